package view

import "k8s.io/apimachinery/pkg/runtime/schema"

// NetworkACLGVK is the ACK EC2 NetworkACL kind.
var NetworkACLGVK = schema.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "NetworkACL"}

// NetworkACL is the view of an ec2.services.k8s.aws/v1alpha1 NetworkACL.
type NetworkACL struct {
	Meta
	Spec        Object
	VPCID       String
	EntriesPath Path
	// Entries are spec.entries in list order (AWS evaluates them by
	// ruleNumber, ingress and egress separately).
	Entries []NACLEntry
	Errors  []*FieldError
}

// NACLEntry is one element of spec.entries.
type NACLEntry struct {
	Path       Path
	Index      int
	RuleNumber Int
	// Protocol is "-1" (all) or a protocol number ("6" tcp, "17" udp):
	// EC2 takes only numbers here. Rules read a name as a security
	// group's rule would, and report it.
	Protocol String
	// RuleAction is "allow" or "deny".
	RuleAction String
	// Egress is true for an outbound entry; absent means inbound.
	Egress        Bool
	CIDRBlock     String
	IPv6CIDRBlock String
	// PortRange is spec.entries[].portRange; From and To its bounds.
	PortRange Object
	From, To  Int
}

// NewNetworkACL decodes a NetworkACL view from an unstructured object.
func NewNetworkACL(obj map[string]any) *NetworkACL {
	spec := Spec(obj)
	n := &NetworkACL{Meta: ReadMeta(obj), Spec: spec, EntriesPath: spec.Path.Child("entries")}
	if spec.Err != nil {
		n.Errors = append(n.Errors, spec.Err)
	}
	n.VPCID = spec.String("vpcID")
	items, err := spec.List("entries")
	if err != nil {
		n.Errors = append(n.Errors, err)
	}
	for i, it := range items {
		if it.Err != nil {
			n.Errors = append(n.Errors, it.Err)
			continue
		}
		pr := it.Object("portRange")
		if pr.Err != nil {
			n.Errors = append(n.Errors, pr.Err)
		}
		n.Entries = append(n.Entries, NACLEntry{
			Path:          it.Path,
			Index:         i,
			RuleNumber:    it.Int("ruleNumber"),
			Protocol:      it.String("protocol"),
			RuleAction:    it.String("ruleAction"),
			Egress:        it.Bool("egress"),
			CIDRBlock:     it.String("cidrBlock"),
			IPv6CIDRBlock: it.String("ipv6CIDRBlock"),
			PortRange:     pr,
			From:          pr.Int("from"),
			To:            pr.Int("to"),
		})
	}
	return n
}
