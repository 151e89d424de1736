package rules

import "github.com/ackguard/ackguard/internal/view"

// LMB-007 (opt-in): the function runs in a VPC (spec.vpcConfig names
// subnets), so that its network access goes through the VPC's controls.
func lmb007() *Rule {
	return &Rule{
		ID:          "LMB-007",
		Title:       "The function runs in a VPC",
		Severity:    Low,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			FSBP:    []string{"Lambda.3"},
			Config:  []string{"lambda-inside-vpc"},
			Checkov: []string{"CKV_AWS_117"},
		},
		Check: checkLMB007,
	}
}

func checkLMB007(in *Input) []Finding {
	f, subnets, stop := functionSubnets(in)
	if stop != nil || f == nil {
		return stop
	}
	if len(subnets) == 0 {
		return []Finding{{Path: f.VPCConfig.Path, Message: "the function is not connected to a VPC",
			Remedy: "set spec.vpcConfig.subnetIDs (or subnetRefs) and securityGroupIDs; the execution role needs the AWSLambdaVPCAccessExecutionRole permissions"}}
	}
	return nil
}

// functionSubnet is one subnet a Function names: by ID, or by reference
// to an ACK Subnet.
type functionSubnet struct {
	id string // subnetIDs entry
	// namespace and name of the referenced Subnet, when id is empty.
	namespace, name string
}

func (s functionSubnet) String() string {
	if s.id != "" {
		return s.id
	}
	return "Subnet " + s.namespace + "/" + s.name
}

// functionSubnets returns the Function's view and the distinct subnets of
// spec.vpcConfig; or the findings of the fields it cannot read; or
// nothing at all when the spec is not an object (another rule says so).
func functionSubnets(in *Input) (*view.FunctionConfig, []functionSubnet, []Finding) {
	f := view.NewFunctionConfig(in.Object)
	if f.Spec.Err != nil {
		return nil, nil, nil
	}
	var errs []Finding
	for _, err := range []*view.FieldError{f.VPCConfig.Err, f.SubnetIDsList.Err, f.SubnetRefsErr} {
		if err != nil {
			errs = append(errs, fieldErrorFinding(err))
		}
	}
	var out []functionSubnet
	seen := map[string]bool{}
	for _, id := range f.SubnetIDs {
		switch {
		case id.Err != nil:
			errs = append(errs, fieldErrorFinding(id.Err))
		case id.NonEmpty() && !seen["id:"+id.Value]:
			seen["id:"+id.Value] = true
			out = append(out, functionSubnet{id: id.Value})
		}
	}
	for _, r := range f.SubnetRefs {
		ns, name, ok := r.Target(f.Namespace)
		switch {
		case r.Err != nil:
			errs = append(errs, fieldErrorFinding(r.Err))
		case ok && !seen["ref:"+ns+"/"+name]:
			seen["ref:"+ns+"/"+name] = true
			out = append(out, functionSubnet{namespace: ns, name: name})
		}
	}
	if len(errs) > 0 {
		return f, nil, errs
	}
	return f, out, nil
}
