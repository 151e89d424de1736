package rules

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// EC2-006: a VPC's default security group, once adopted into ACK, has no
// rules.
func ec2006() *Rule {
	return &Rule{
		ID:          "EC2-006",
		Title:       "The VPC default security group has no rules",
		Severity:    High,
		Kinds:       sgKind,
		Admission:   Warn,
		Remediation: Audit, // anything using the default group would break
		References: References{
			FSBP:    []string{"EC2.2"},
			Config:  []string{"vpc-default-security-group-closed"},
			Checkov: []string{"CKV2_AWS_12"},
			CIS:     []string{"v5.0.0 5.5", "v3.0.0 5.4", "v1.4.0 5.3", "v1.2.0 4.3"},
		},
		Check: checkEC2006,
	}
}

// checkEC2006 reports each rule of the default group as a finding of its
// own. Its subject names the list, never the rule (its protocol, ports or
// sources), so that an UPDATE reordering or editing the rules introduces
// nothing, and one adding a rule does (Finding.IdentityKey): the group is
// judged by how many rules it has, as IAM-018 judges inline policies.
func checkEC2006(in *Input) []Finding {
	sg := securityGroup(in)
	if sg.Spec.Err != nil || sg.Name.Err != nil || sg.Name.Value != "default" {
		return nil
	}
	var out []Finding
	for _, l := range []struct {
		rl   view.RuleList
		what string
		dir  string
	}{{sg.Ingress, "ingress rule", " from "}, {sg.Egress, "egress rule", " to "}} {
		// what each well-formed rule opens, and to what sources, by its
		// index in the list.
		opens := make(map[int]string, len(l.rl.Rules))
		for _, p := range l.rl.Rules {
			opens[p.Index] = newSGPermission(p).describe()
			if src := ruleSources(p); src != "" {
				opens[p.Index] += l.dir + src
			}
		}
		for i := range l.rl.Raw {
			msg := "the VPC default security group has an " + l.what
			if d, ok := opens[i]; ok {
				msg += " (" + d + ")"
			}
			out = append(out, Finding{
				Path:    l.rl.Path.Index(i),
				Message: msg,
				Remedy:  fmt.Sprintf("move the workloads to dedicated security groups, then remove the rule from %s", l.rl.Path),
				Subject: l.what,
			})
		}
	}
	return out
}

// maxNamedSources is how many sources of a rule an EC2-006 message names
// before "and N more".
const maxNamedSources = 3

// ruleSources renders the sources of a rule briefly, for rules that differ
// only by them to read apart: "10.0.0.0/8, prefix list pl-1, group sg-1",
// the first maxNamedSources and "and N more"; "" when it names none.
func ruleSources(p view.IPPermission) string {
	var named []string
	for _, rs := range [][]view.IPRange{p.IPRanges, p.IPv6Ranges} {
		for _, r := range rs {
			if c := strings.TrimSpace(r.CIDR.Value); r.CIDR.Err == nil && c != "" {
				named = append(named, c)
			}
		}
	}
	for _, d := range p.PrefixListIDs {
		named = append(named, "prefix list "+namedBy(d, "prefixListID"))
	}
	for _, d := range p.UserIDGroupPairs {
		named = append(named, "group "+namedBy(d, "groupID", "groupName"))
	}
	if len(named) > maxNamedSources {
		return strings.Join(named[:maxNamedSources], ", ") + fmt.Sprintf(" and %d more", len(named)-maxNamedSources)
	}
	return strings.Join(named, ", ")
}

// namedBy returns the first of a source's fields keys that is a non-empty
// string, or else what the source names (sourceText).
func namedBy(d view.Described, keys ...string) string {
	for _, k := range keys {
		if v, ok := d.Fields[k].(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return sourceText(d)
}

// EC2-007: egress is not all protocols to a public range. It also reports
// what in spec.egressRules cannot be judged.
func ec2007() *Rule {
	return &Rule{
		ID:          "EC2-007",
		Title:       "Egress is not open on all protocols to the internet",
		Severity:    Low,
		Kinds:       sgKind,
		Admission:   Warn,
		Remediation: Audit, // would break outbound traffic
		References: References{
			Checkov: []string{"CKV_AWS_382"},
		},
		Check: checkEC2007,
	}
}

func checkEC2007(in *Input) []Finding {
	sg := securityGroup(in)
	out := sgInputErrors(sg, sg.Egress)
	if sg.Spec.Err != nil {
		return nil // reported by EC2-001
	}
	e := in.egressExposure()
	for i, rr := range e.rules {
		if rr.kind != protoAll {
			continue
		}
		for _, pr := range rr.public {
			if !e.publicProtocol(i, pr) {
				continue
			}
			out = append(out, Finding{
				Path:    pr.CIDR.Path,
				Message: fmt.Sprintf("egress allows all protocols and ports to %s (public)", pr.Prefix),
				Remedy:  "allow only the protocols, ports and destinations the workload needs",
				Subject: pr.subject(rr.sgPermission),
			})
		}
	}
	return out
}

// EC2-008: the group and every range and source of its rules have a
// description.
func ec2008() *Rule {
	return &Rule{
		ID:          "EC2-008",
		Title:       "The security group and every range of its rules have a description",
		Severity:    Low,
		Kinds:       sgKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			Checkov: []string{"CKV_AWS_23"},
		},
		Check: checkEC2008,
	}
}

func checkEC2008(in *Input) []Finding {
	sg := securityGroup(in)
	if sg.Spec.Err != nil {
		return nil
	}
	var out []Finding
	// subject names what lacks a description (a rule's protocol and ports
	// with the range or source), so that an UPDATE moving it within its
	// list does not make it new; it is computed only for a finding.
	describe := func(d view.String, what string, subject func() string) {
		switch {
		case d.Err != nil:
			out = append(out, fieldErrorFinding(d.Err))
		case !d.Present || d.Value == "":
			out = append(out, Finding{Path: d.Path, Message: what + " has no description", Remedy: "describe what it is for", Subject: subject()})
		}
	}
	describe(sg.Description, "the security group", func() string { return "" })
	for _, rl := range []view.RuleList{sg.Ingress, sg.Egress} {
		for _, p := range rl.Rules {
			for _, rs := range [][]view.IPRange{p.IPRanges, p.IPv6Ranges} {
				for _, r := range rs {
					describe(r.Description, "the range", func() string {
						return newSGPermission(p).describe() + " from " + strings.TrimSpace(r.CIDR.Value)
					})
				}
			}
			for _, ds := range [][]view.Described{p.PrefixListIDs, p.UserIDGroupPairs} {
				for _, d := range ds {
					describe(d.Description, "the source", func() string {
						return newSGPermission(p).describe() + " from " + sourceText(d)
					})
				}
			}
		}
	}
	return out
}

// sourceText renders a source (a prefix list, a security group pair) by
// what it names besides its description: its other fields, keys sorted.
func sourceText(d view.Described) string {
	named := d.Named()
	b, err := json.Marshal(named)
	if err != nil {
		return fmt.Sprint(named)
	}
	return string(b)
}
