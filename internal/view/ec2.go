package view

import "k8s.io/apimachinery/pkg/runtime/schema"

// SecurityGroupGVK is the ACK EC2 SecurityGroup kind.
var SecurityGroupGVK = schema.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "SecurityGroup"}

// SecurityGroup is the view of an ec2.services.k8s.aws/v1alpha1
// SecurityGroup.
type SecurityGroup struct {
	Meta
	Spec        Object
	Name        String // spec.name (the AWS group name)
	Description String
	Ingress     RuleList // spec.ingressRules
	Egress      RuleList // spec.egressRules
	// Errors lists fields of the wrong shape not carried by a typed field
	// (spec itself, a rule or range that is not an object, a list that is
	// not an array).
	Errors []*FieldError
}

// RuleList is spec.ingressRules or spec.egressRules. ACK treats both as
// authoritative: a fix replaces the list whole.
type RuleList struct {
	Path  Path
	Rules []IPPermission
	// Raw are the list's elements as decoded, including malformed ones,
	// so that a fix can rewrite the list keeping them unchanged.
	Raw []any
}

// IPPermission is one element of a rule list.
type IPPermission struct {
	Path       Path
	Index      int // position in RuleList.Raw
	IPProtocol String
	FromPort   Int
	ToPort     Int
	IPRanges   []IPRange // ipRanges[].cidrIP
	IPv6Ranges []IPRange // ipv6Ranges[].cidrIPv6
	// PrefixListIDs and UserIDGroupPairs are sources that are never
	// public; only their descriptions are read.
	PrefixListIDs    []Described
	UserIDGroupPairs []Described
}

// The two lists of a rule that name ranges of addresses (IPRange.List
// names the one a range is in), and the two that name prefix lists and
// security group pairs, which are never public.
const (
	IPRangesField         = "ipRanges"
	IPv6RangesField       = "ipv6Ranges"
	PrefixListIDsField    = "prefixListIDs"
	UserIDGroupPairsField = "userIDGroupPairs"
)

// SourceFields are the fields of a rule that name its sources, in CRD
// order.
var SourceFields = []string{IPRangesField, IPv6RangesField, PrefixListIDsField, UserIDGroupPairsField}

// IPRange is one element of ipRanges or ipv6Ranges.
type IPRange struct {
	Path Path // the element
	// List is IPRangesField or IPv6RangesField; Index the element's
	// position.
	List        string
	Index       int
	CIDR        String
	Description String
}

// Described is a list element of which only the description is read.
type Described struct {
	Path        Path
	Description String
	// Fields is the element as decoded (read only): what it names
	// besides its description identifies it.
	Fields map[string]any
}

// NewSecurityGroup decodes a SecurityGroup view from an unstructured
// object.
func NewSecurityGroup(obj map[string]any) *SecurityGroup {
	spec := Spec(obj)
	sg := &SecurityGroup{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		sg.Errors = append(sg.Errors, spec.Err)
	}
	sg.Name = spec.String("name")
	sg.Description = spec.String("description")
	sg.Ingress = readRuleList(spec, "ingressRules", &sg.Errors)
	sg.Egress = readRuleList(spec, "egressRules", &sg.Errors)
	return sg
}

func readRuleList(spec Object, key string, errs *[]*FieldError) RuleList {
	rl := RuleList{Path: spec.Path.Child(key)}
	if raw, ok := spec.lookup(key); ok {
		rl.Raw, _ = raw.([]any)
	}
	items, err := spec.List(key)
	if err != nil {
		*errs = append(*errs, err)
		return rl
	}
	rl.Rules = make([]IPPermission, 0, len(items))
	for i, it := range items {
		if it.Err != nil {
			*errs = append(*errs, it.Err)
			continue
		}
		p := IPPermission{
			Path:       it.Path,
			Index:      i,
			IPProtocol: it.String("ipProtocol"),
			FromPort:   it.Int("fromPort"),
			ToPort:     it.Int("toPort"),
		}
		p.IPRanges = readRanges(it, IPRangesField, "cidrIP", errs)
		p.IPv6Ranges = readRanges(it, IPv6RangesField, "cidrIPv6", errs)
		p.PrefixListIDs = readDescribed(it, PrefixListIDsField, errs)
		p.UserIDGroupPairs = readDescribed(it, UserIDGroupPairsField, errs)
		rl.Rules = append(rl.Rules, p)
	}
	return rl
}

// Named returns what the element names besides its description: a new
// map of its other fields.
func (d Described) Named() map[string]any {
	named := make(map[string]any, len(d.Fields))
	for k, v := range d.Fields {
		if k != "description" {
			named[k] = v
		}
	}
	return named
}

func readRanges(rule Object, key, cidrKey string, errs *[]*FieldError) []IPRange {
	items, err := rule.List(key)
	if err != nil {
		*errs = append(*errs, err)
		return nil
	}
	out := make([]IPRange, 0, len(items))
	for i, it := range items {
		if it.Err != nil {
			*errs = append(*errs, it.Err)
			continue
		}
		out = append(out, IPRange{
			Path: it.Path, List: key, Index: i,
			CIDR: it.String(cidrKey), Description: it.String("description"),
		})
	}
	return out
}

func readDescribed(rule Object, key string, errs *[]*FieldError) []Described {
	items, err := rule.List(key)
	if err != nil {
		*errs = append(*errs, err)
		return nil
	}
	out := make([]Described, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			*errs = append(*errs, it.Err)
			continue
		}
		out = append(out, Described{Path: it.Path, Description: it.String("description"), Fields: it.Fields})
	}
	return out
}
