package rules

import (
	"fmt"
	"sort"
	"strings"
)

// defaultPublicPorts are EC2-004's authorized public ports when the
// configuration names none (Security Hub EC2.18 default: TCP 80 and 443,
// no UDP port).
var defaultPublicPorts = []PortRange{{Protocol: "tcp", From: 80, To: 80}, {Protocol: "tcp", From: 443, To: 443}}

// EC2-004: public ingress only on authorized ports.
//
// A tcp/udp rule passes when its whole port range lies within the
// authorized ranges of its protocol; all-protocol rules and rules for other
// protocols never do. ICMP rules are not judged (they have no ports; their
// fromPort/toPort are type and code).
func ec2004() *Rule {
	return &Rule{
		ID:          "EC2-004",
		Title:       "Public ingress only on authorized ports (default TCP 80 and 443)",
		Severity:    High,
		Kinds:       sgKind,
		Admission:   Deny,
		Remediation: Audit, // the allow-list is a product decision
		References: References{
			FSBP:    []string{"EC2.18"},
			Config:  []string{"vpc-sg-open-only-to-authorized-ports"},
			Checkov: []string{"CKV_AWS_260"},
		},
		Check: checkEC2004,
	}
}

func checkEC2004(in *Input) []Finding {
	sg := securityGroup(in)
	if sg.Spec.Err != nil {
		return nil
	}
	allowed := in.Config.AllowedPublicPorts
	if allowed == nil {
		allowed = defaultPublicPorts
	}
	var out []Finding
	e := in.ingressExposure()
	what := fmt.Sprintf(", which is not an authorized public port (authorized: %s)", describePorts(allowed))
	for i, rr := range e.rules {
		for _, pr := range rr.public {
			if e.authorizedRange(i, pr, allowed) {
				continue
			}
			out = append(out, ingressFinding(rr, pr, what,
				"open only authorized ports to the internet, restrict the source to named networks, or add the port to the configured allowed public ports", false))
		}
	}
	return out
}

// authorizedRange reports whether every port on which range r of rule i
// is public lies in an allowed range of the same protocol. All-protocol
// rules and rules for protocols without ports never are; ICMP is not
// judged (its fromPort/toPort are type and code).
func (e *sgExposure) authorizedRange(i int, r publicRange, allowed []PortRange) bool {
	s := e.rules[i].sgPermission
	switch s.kind {
	case protoICMP:
		return true
	case protoAll, protoOther:
		return false
	}
	for _, span := range e.publicPorts(i, r, s.proto) {
		p := s
		p.lo, p.hi = span[0], span[1]
		if !p.authorized(allowed) {
			return false
		}
	}
	return true
}

// authorized reports whether every port the rule opens is in an allowed
// range of the same protocol.
func (s sgPermission) authorized(allowed []PortRange) bool {
	switch s.kind {
	case protoICMP:
		return true
	case protoAll, protoOther:
		return false
	}
	var spans []PortRange
	for _, a := range allowed {
		if normalProtocol(a.Protocol) == s.proto && a.From <= a.To {
			spans = append(spans, a)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].From < spans[j].From })
	cur := s.lo
	for _, a := range spans {
		if a.From > cur {
			return false
		}
		if a.To >= cur {
			cur = a.To + 1
		}
		if cur > s.hi {
			return true
		}
	}
	return cur > s.hi
}

func normalProtocol(p string) string {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "tcp", "6":
		return "tcp"
	case "udp", "17":
		return "udp"
	}
	return strings.ToLower(strings.TrimSpace(p))
}

func describePorts(ports []PortRange) string {
	if len(ports) == 0 {
		return "none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		if p.From == p.To {
			s[i] = fmt.Sprintf("%s %d", normalProtocol(p.Protocol), p.From)
		} else {
			s[i] = fmt.Sprintf("%s %d-%d", normalProtocol(p.Protocol), p.From, p.To)
		}
	}
	return strings.Join(s, ", ")
}
