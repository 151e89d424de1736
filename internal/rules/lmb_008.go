package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// LMB-008: a function in a VPC spans at least two Availability Zones, so
// that it keeps running when one zone fails. One subnet is one zone.
// Where several subnets are named, their zones are not in the Function's
// spec: the rule reads the ACK Subnets that spec.vpcConfig.subnetRefs
// name through the Resolver (in scan, from the same input; in the cluster
// ackguard does not read Subnets, so it says it could not tell), and a
// subnet given by ID has no zone ackguard can read. A set whose zones are
// not all known is inconclusive, never a verdict; two distinct zones
// among those known pass.
func lmb008() *Rule {
	return &Rule{
		ID:          "LMB-008",
		Title:       "A function in a VPC spans at least two Availability Zones",
		Severity:    Medium,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:   []string{"Lambda.5"},
			Config: []string{"lambda-vpc-multi-az-check"},
		},
		Check: checkLMB008,
	}
}

const lmb008Remedy = "name subnets in at least two Availability Zones in spec.vpcConfig.subnetIDs or subnetRefs"

func checkLMB008(in *Input) []Finding {
	f, subnets, stop := functionSubnets(in)
	if stop != nil || f == nil {
		return stop
	}
	path := f.VPCConfig.Path
	switch len(subnets) {
	case 0:
		return nil // not in a VPC (LMB-007)
	case 1:
		return []Finding{{Path: path, Message: fmt.Sprintf("the function runs in one subnet (%s), so in one Availability Zone", subnets[0]), Remedy: lmb008Remedy, Subject: "one subnet"}}
	}
	names, ids := map[string]bool{}, map[string]bool{}
	var unknown []string
	for _, s := range subnets {
		name, id, why := subnetZone(in, s)
		switch {
		case id != "":
			ids[id] = true
		case name != "":
			names[name] = true
		default:
			unknown = append(unknown, fmt.Sprintf("%s (%s)", s, why))
		}
	}
	if len(names) >= 2 || len(ids) >= 2 {
		return nil
	}
	if len(unknown) == 0 && (len(names) == 0 || len(ids) == 0) {
		zone := slices.Collect(maps.Keys(names))
		if len(ids) > 0 {
			zone = slices.Collect(maps.Keys(ids))
		}
		return []Finding{{Path: path, Message: fmt.Sprintf("all %d subnets of the function are in the Availability Zone %s", len(subnets), zone[0]), Remedy: lmb008Remedy, Subject: "one zone"}}
	}
	if len(unknown) == 0 {
		unknown = append(unknown, "zones given by name and by ID cannot be compared")
	}
	msg := "cannot tell whether the function spans two Availability Zones: " + strings.Join(unknown, "; ")
	return []Finding{{Path: path, Message: msg, Remedy: lmb008Remedy + " (scan judges subnetRefs with the Subnet manifests in the same input)",
		Subject: "unresolved zones", Action: Warn, Inconclusive: true}}
}

// subnetZone returns the zone of one subnet, by name or ID, or why it is
// not known.
func subnetZone(in *Input, s functionSubnet) (name, id, why string) {
	if s.id != "" {
		return "", "", "the zone of a subnet given by ID is not in the spec"
	}
	if in.Config.Resolver == nil {
		return "", "", "no cluster access in this evaluation"
	}
	obj, found, err := in.Config.Resolver.Get(view.SubnetGVK, s.namespace, s.name)
	switch {
	case err != nil:
		return "", "", err.Error()
	case !found:
		return "", "", "not found"
	}
	sn := view.NewSubnet(obj)
	switch {
	case sn.AvailabilityZoneID.Err == nil && sn.AvailabilityZoneID.NonEmpty():
		return "", sn.AvailabilityZoneID.Value, ""
	case sn.AvailabilityZone.Err == nil && sn.AvailabilityZone.NonEmpty():
		return sn.AvailabilityZone.Value, "", ""
	}
	return "", "", "the Subnet sets no availabilityZone (AWS chooses one)"
}
