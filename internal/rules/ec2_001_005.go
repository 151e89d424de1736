package rules

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// adminPorts are SSH and RDP, the ports of EC2-001 and EC2-002.
var adminPorts = []int64{22, 3389}

// highRiskPortsJSON is EC2-003's list of the ports Security Hub EC2.19
// checks, shipped as versioned data with its source (rule catalog §11.6:
// the list drifts, so it is data, not code).
//
//go:embed data/ec2_high_risk_ports.json
var highRiskPortsJSON []byte

// PortList is the versioned list of high-risk ports.
type PortList struct {
	Version string  `json:"version"`
	Source  string  `json:"source"`
	Ports   []int64 `json:"ports"`
}

// HighRiskPorts returns the port list EC2-003 uses.
func HighRiskPorts() PortList {
	return mustData[PortList]("ec2_high_risk_ports.json", highRiskPortsJSON)
}

// highRiskPorts are the ports of HighRiskPorts.
var highRiskPorts = HighRiskPorts().Ports

// publicIngressRule builds EC2-001, -002, -003 and -005: each flags the
// public ranges (of the lists it owns) of the ingress rules that match,
// and fixes by removing exactly those ranges.
type publicIngressRule struct {
	// lists are the range lists the rule owns: view.IPRangesField,
	// view.IPv6RangesField.
	lists []string
	// matches returns why range r of rule i is in scope ("" when it is
	// not).
	matches func(e *sgExposure, i int, r publicRange) string
	remedy  string
	// reportsInput makes the rule report what in spec.ingressRules cannot
	// be judged (one rule does it for all).
	reportsInput bool
	// fixable, when set, says which ranges in scope the fix may remove
	// (the others are reported, not fixable); nil: all of them.
	fixable func(e *sgExposure, i int, r publicRange) bool
}

func (r publicIngressRule) canFix(e *sgExposure, i int, pr publicRange) bool {
	return r.fixable == nil || r.fixable(e, i, pr)
}

func (r publicIngressRule) pick(e *sgExposure, i int, pr publicRange) bool {
	return slices.Contains(r.lists, pr.List) && r.matches(e, i, pr) != "" && r.canFix(e, i, pr)
}

func (r publicIngressRule) check(in *Input) []Finding {
	sg := securityGroup(in)
	var out []Finding
	if r.reportsInput {
		out = sgInputErrors(sg, sg.Ingress)
	}
	if sg.Spec.Err != nil {
		return out
	}
	e := in.ingressExposure()
	for i, rr := range e.rules {
		for _, pr := range rr.public {
			if !slices.Contains(r.lists, pr.List) {
				continue
			}
			if why := r.matches(e, i, pr); why != "" {
				out = append(out, ingressFinding(rr, pr, why, r.remedy, r.canFix(e, i, pr)))
			}
		}
	}
	return out
}

func (r publicIngressRule) fix(m *Mutation) error { return removePublicIngress(m, r.pick) }

func matchesAdminPorts(e *sgExposure, i int, r publicRange) string {
	if ports := e.publicPortsOf(i, r, adminPorts); len(ports) > 0 {
		return ", which includes " + portsNamed(ports)
	}
	return ""
}

const removeRangeRemedy = "remove that range from the rule (reach the instances through a VPN, a bastion or SSM Session Manager, or allow named networks)"

// EC2-001: no ingress from a public IPv4 range to SSH (22) or RDP (3389)
// over TCP, UDP or all protocols.
func ec2001() *Rule {
	r := publicIngressRule{lists: []string{view.IPRangesField}, matches: matchesAdminPorts, remedy: removeRangeRemedy, reportsInput: true}
	return &Rule{
		ID:          "EC2-001",
		Title:       "No ingress from a public IPv4 range to port 22 or 3389",
		Severity:    High,
		Kinds:       sgKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"EC2.53", "EC2.13", "EC2.14"},
			Config:  []string{"vpc-sg-port-restriction-check", "restricted-ssh", "restricted-common-ports"},
			Checkov: []string{"CKV_AWS_24", "CKV_AWS_25"},
			CIS:     []string{"v5.0.0 5.3", "v3.0.0 5.2", "v1.2.0 4.1", "v1.2.0 4.2"},
		},
		Check: r.check,
		Fixer: r.fix,
	}
}

// EC2-002: the same for public IPv6 ranges (::/0 and wider than /16).
func ec2002() *Rule {
	r := publicIngressRule{lists: []string{view.IPv6RangesField}, matches: matchesAdminPorts, remedy: removeRangeRemedy}
	return &Rule{
		ID:          "EC2-002",
		Title:       "No ingress from a public IPv6 range to port 22 or 3389",
		Severity:    High,
		Kinds:       sgKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"EC2.54", "EC2.13", "EC2.14"},
			Config:  []string{"vpc-sg-port-restriction-check"},
			Checkov: []string{"CKV_AWS_24", "CKV_AWS_25"},
			CIS:     []string{"v5.0.0 5.4", "v3.0.0 5.3"},
		},
		Check: r.check,
		Fixer: r.fix,
	}
}

// EC2-003: no public ingress to the high-risk ports of Security Hub EC2.19.
func ec2003() *Rule {
	r := publicIngressRule{
		lists: []string{view.IPRangesField, view.IPv6RangesField},
		matches: func(e *sgExposure, i int, r publicRange) string {
			if ports := e.publicPortsOf(i, r, highRiskPorts); len(ports) > 0 {
				return ", which includes the high-risk " + portsNamed(ports)
			}
			return ""
		},
		remedy: "remove that range from the rule and allow only the networks that need the service",
	}
	return &Rule{
		ID:          "EC2-003",
		Title:       "No public ingress to high-risk ports",
		Severity:    Critical,
		Kinds:       sgKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"EC2.19"},
			Config:  []string{"restricted-common-ports"},
			Checkov: []string{"CKV_AWS_24", "CKV_AWS_25"},
		},
		Check: r.check,
		Fixer: r.fix,
	}
}

// matchesEveryPort is EC2-005's scope: a rule that opens every port of
// its protocol, or a range that, with the group's other rules, opens every
// tcp or udp port to the internet.
func matchesEveryPort(e *sgExposure, i int, r publicRange) string {
	v4 := r.Prefix.Addr().Is4()
	if rr := e.rules[i]; e.publicProtocol(i, r) || rr.kind == protoPorts && rr.fullRange() && alone(rr, r) {
		if rr.kind == protoOther {
			// ESP, GRE and the like have no ports: the rule opens the
			// whole protocol.
			return ", which is all its traffic: the protocol has no ports"
		}
		return ", which is every port"
	}
	var opened []string
	for _, proto := range []string{"tcp", "udp"} {
		if len(e.publicPorts(i, r, proto)) > 0 && e.everyPortPublic(proto, v4) {
			opened = append(opened, proto)
		}
	}
	if len(opened) > 0 {
		return fmt.Sprintf(", which with the group's other rules opens every %s port to the internet", strings.Join(opened, " and "))
	}
	return ""
}

// opensEveryPortAlone reports whether range r of rule i opens every port
// by itself: all protocols, or a rule of the full port range (public
// alone, or with other rules' addresses: the ports are its own). Those are
// what the catalog's fix removes; of ranges that open every port only
// together, no one is the offending element (removing them all would take
// authorized ports with them, EC2-004's 443), so they are reported for a
// person to choose.
func opensEveryPortAlone(e *sgExposure, i int, r publicRange) bool {
	rr := e.rules[i]
	return e.publicProtocol(i, r) || rr.kind == protoPorts && rr.fullRange()
}

// EC2-005: no public ingress on all protocols or on a full port range.
func ec2005() *Rule {
	r := publicIngressRule{
		lists:   []string{view.IPRangesField, view.IPv6RangesField},
		matches: matchesEveryPort,
		remedy:  "remove that range from the rule and open only the ports and networks the service needs",
		fixable: opensEveryPortAlone,
	}
	return &Rule{
		ID:          "EC2-005",
		Title:       "No public ingress on all protocols or on the full port range",
		Severity:    Critical,
		Kinds:       sgKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			Config:  []string{"vpc-sg-open-only-to-authorized-ports"},
			Checkov: []string{"CKV_AWS_277"},
		},
		Check: r.check,
		Fixer: r.fix,
	}
}
