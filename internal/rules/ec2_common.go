package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/cidr"
	"github.com/ackguard/ackguard/internal/view"
)

var sgKind = []schema.GroupKind{view.SecurityGroupGVK.GroupKind()}

// Port semantics shared by the EC2 rules (rule catalog §6):
//   - tcp/6 and udp/17 use fromPort..toPort as an inclusive port range;
//   - -1/all means every protocol and every port, whatever the ports say;
//   - icmp/1 and icmpv6/58 use the ports as type and code: they never match
//     a port;
//   - any other protocol (a number such as 50, or a name EC2 does not
//     define) opens that whole protocol: it matches no TCP/UDP port, but it
//     is a full-range rule (EC2-005) and never an authorized port (EC2-004).
//
// Missing or malformed ports on a tcp/udp rule are read as the full range,
// and a missing or malformed protocol as all protocols: when in doubt the
// rule is judged as wide as it could be.

const maxPort = 65535

type protocolKind int

const (
	protoPorts protocolKind = iota // tcp, udp
	protoAll                       // -1
	protoICMP                      // icmp, icmpv6
	protoOther                     // any other protocol
)

// sgPermission is one rule of a rule list, with its protocol and port range
// normalised.
type sgPermission struct {
	view.IPPermission
	kind protocolKind
	// proto is the normalised protocol name: tcp, udp, icmp, icmpv6, all,
	// or the protocol as written (lower-cased) for other protocols.
	proto  string
	lo, hi int64 // port range, for protoPorts
}

func newSGPermission(p view.IPPermission) sgPermission {
	s := sgPermission{IPPermission: p, lo: 0, hi: maxPort}
	raw := ""
	if p.IPProtocol.Err == nil {
		raw = strings.ToLower(strings.TrimSpace(p.IPProtocol.Value))
	}
	switch raw {
	case "tcp", "6":
		s.kind, s.proto = protoPorts, "tcp"
	case "udp", "17":
		s.kind, s.proto = protoPorts, "udp"
	case "icmp", "1":
		s.kind, s.proto = protoICMP, "icmp"
	case "icmpv6", "58":
		s.kind, s.proto = protoICMP, "icmpv6"
	case "-1", "all", "":
		s.kind, s.proto = protoAll, "all"
	default:
		s.kind, s.proto = protoOther, raw
	}
	if s.kind == protoPorts {
		if f := p.FromPort; f.Present && f.Err == nil && f.Value >= 0 && f.Value <= maxPort {
			s.lo = f.Value
		}
		if t := p.ToPort; t.Present && t.Err == nil && t.Value >= 0 && t.Value <= maxPort {
			s.hi = t.Value
		}
		if s.lo > s.hi {
			s.lo, s.hi = s.hi, s.lo
		}
	}
	return s
}

// matchesPort reports whether the rule admits traffic to port p over proto
// ("tcp" or "udp"; "" for either).
func (s sgPermission) matchesPort(proto string, p int64) bool {
	switch s.kind {
	case protoAll:
		return true
	case protoPorts:
		return (proto == "" || proto == s.proto) && s.lo <= p && p <= s.hi
	}
	return false
}

// fullRange reports whether the rule opens every port of its protocol:
// all protocols, a protocol without ports, or a tcp/udp range from 0 (or
// 1, port 0 being reserved) to 65535.
func (s sgPermission) fullRange() bool {
	switch s.kind {
	case protoAll, protoOther:
		return true
	case protoPorts:
		return s.lo <= 1 && s.hi >= maxPort
	}
	return false
}

// describe renders the rule's protocol and ports: "tcp 20-25", "all".
func (s sgPermission) describe() string {
	switch s.kind {
	case protoPorts:
		if s.lo == s.hi {
			return fmt.Sprintf("%s %d", s.proto, s.lo)
		}
		return fmt.Sprintf("%s %d-%d", s.proto, s.lo, s.hi)
	case protoAll:
		return "all protocols and ports"
	case protoICMP:
		return s.proto
	}
	return "protocol " + s.proto + " (all of it)"
}

// publicRange is a range that makes a rule public, with its parsed network.
type publicRange struct {
	view.IPRange
	Prefix netip.Prefix
}

// subject identifies the finding across updates: the rule's protocol and
// ports and the masked network.
func (r publicRange) subject(s sgPermission) string {
	return s.describe() + " from " + r.Prefix.String()
}

// publicRanges returns the ranges of one rule that make it public
// (catalog §0): every prefix wider than /8 (IPv4) or /16 (IPv6), and, when
// the other ranges of the same address family together cover the whole
// space, every one of them that is not private. All ranges of the rule,
// IPv4 and IPv6 lists alike, are considered together; removing the
// returned ranges leaves the rule not public.
func publicRanges(p view.IPPermission) []publicRange {
	var parsed []publicRange
	for _, rs := range [][]view.IPRange{p.IPRanges, p.IPv6Ranges} {
		for _, r := range rs {
			if pfx, ok := parseRange(r); ok {
				parsed = append(parsed, publicRange{IPRange: r, Prefix: pfx})
			}
		}
	}
	var out []publicRange
	for _, v4 := range []bool{true, false} {
		var rest []publicRange
		var restPfx []netip.Prefix
		for _, r := range parsed {
			switch {
			case r.Prefix.Addr().Is4() != v4:
			case cidr.IsWide(r.Prefix):
				out = append(out, r)
			default:
				rest = append(rest, r)
				restPfx = append(restPfx, r.Prefix)
			}
		}
		if cidr.CoversFamily(restPfx, v4) {
			for _, r := range rest {
				if !cidr.IsPrivate(r.Prefix) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

func parseRange(r view.IPRange) (netip.Prefix, bool) {
	if !r.CIDR.Present || r.CIDR.Err != nil {
		return netip.Prefix{}, false
	}
	p, err := cidr.Parse(r.CIDR.Value)
	return p, err == nil
}

// ingressFinding builds the finding of one public range of a rule. A range
// that is public only with the ranges of other rules says so.
func ingressFinding(rr sgRuleRanges, r publicRange, what, remedy string, fixable bool) Finding {
	public := "public"
	if !alone(rr, r) {
		public = "public: with the group's other rules open to the same traffic, the ranges cover the whole address space"
	}
	return Finding{
		Path:    r.CIDR.Path,
		Message: fmt.Sprintf("%s %s allows %s from %s (%s)", r.List, r.CIDR.Value, rr.describe(), r.Prefix, public) + what,
		Remedy:  remedy,
		Subject: r.subject(rr.sgPermission),
		Fixable: fixable,
	}
}

// sgInputErrors reports what in one rule list ackguard cannot judge: list
// elements of the wrong shape, ranges that are not CIDRs, a protocol or
// port of the wrong type. The owning rule reports them instead of passing
// the list unseen.
func sgInputErrors(sg *view.SecurityGroup, rl view.RuleList) []Finding {
	var out []Finding
	for _, e := range sg.Errors {
		if e.Path.Equal(sg.Spec.Path) || pathUnder(e.Path, rl.Path) {
			out = append(out, fieldErrorFinding(e))
		}
	}
	for _, p := range rl.Rules {
		for _, f := range []*view.FieldError{p.IPProtocol.Err, p.FromPort.Err, p.ToPort.Err} {
			if f != nil {
				out = append(out, fieldErrorFinding(f))
			}
		}
		for _, rs := range [][]view.IPRange{p.IPRanges, p.IPv6Ranges} {
			for _, r := range rs {
				switch {
				case r.CIDR.Err != nil:
					out = append(out, fieldErrorFinding(r.CIDR.Err))
				case !r.CIDR.Present:
					out = append(out, Finding{Path: r.CIDR.Path, Subject: "invalid input",
						Message: "invalid input: the range has no " + r.CIDR.Path[len(r.CIDR.Path)-1],
						Remedy:  "set it to a CIDR"})
				default:
					if _, err := cidr.Parse(r.CIDR.Value); err != nil {
						out = append(out, Finding{Path: r.CIDR.Path, Subject: "invalid input",
							Message: "invalid input: " + err.Error() + ", so ackguard cannot tell whether it is public",
							Remedy:  "set it to a CIDR such as 10.0.0.0/16 (EC2 rejects anything else)"})
					}
				}
			}
		}
	}
	return out
}

func pathUnder(p, prefix view.Path) bool {
	return len(p) >= len(prefix) && prefix.Equal(p[:len(prefix)])
}

// removePublicIngress rewrites spec.ingressRules without the public ranges
// that pick selects, and drops a rule left with no source at all. Lists are
// replaced whole (ACK treats them as authoritative): every other rule and
// range is carried over as it was.
func removePublicIngress(m *Mutation, pick func(e *sgExposure, i int, r publicRange) bool) error {
	sg := view.NewSecurityGroup(m.Input().Object)
	if sg.Spec.Err != nil || sg.Ingress.Raw == nil {
		return nil
	}
	drop := map[int]map[string]map[int]bool{} // rule index → list key → range index
	e := newSGExposure(sg.Ingress)
	for i, rr := range e.rules {
		for _, r := range rr.public {
			if !pick(e, i, r) {
				continue
			}
			if drop[rr.Index] == nil {
				drop[rr.Index] = map[string]map[int]bool{}
			}
			if drop[rr.Index][r.List] == nil {
				drop[rr.Index][r.List] = map[int]bool{}
			}
			drop[rr.Index][r.List][r.Index] = true
		}
	}
	if len(drop) == 0 {
		return nil
	}
	out := make([]any, 0, len(sg.Ingress.Raw))
	for i, raw := range sg.Ingress.Raw {
		lists, ok := drop[i]
		rule, isMap := raw.(map[string]any)
		if !ok || !isMap {
			out = append(out, raw)
			continue
		}
		kept := make(map[string]any, len(rule))
		for k, v := range rule {
			kept[k] = v
		}
		for key, idx := range lists {
			items, _ := rule[key].([]any)
			var rest []any
			for j, it := range items {
				if !idx[j] {
					rest = append(rest, it)
				}
			}
			if len(rest) == 0 {
				delete(kept, key)
			} else {
				kept[key] = rest
			}
		}
		if hasSource(kept) {
			out = append(out, kept)
		}
	}
	return m.Set(sg.Ingress.Path, out)
}

// hasSource reports whether a rule still names any source.
func hasSource(rule map[string]any) bool {
	for _, k := range view.SourceFields {
		if items, ok := rule[k].([]any); ok && len(items) > 0 {
			return true
		}
		if v, ok := rule[k]; ok && v != nil {
			if _, isList := v.([]any); !isList {
				return true // malformed, kept as it was
			}
		}
	}
	return false
}

// portsNamed is "port 22" for one port, "ports 22, 3389" for more.
func portsNamed(ports []int64) string {
	if len(ports) == 1 {
		return "port " + portList(ports)
	}
	return "ports " + portList(ports)
}

// portList renders ports for messages.
func portList(ports []int64) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.FormatInt(p, 10)
	}
	return strings.Join(s, ", ")
}

// securityGroup returns the object's SecurityGroup view.
func securityGroup(in *Input) *view.SecurityGroup { return in.SecurityGroup() }
