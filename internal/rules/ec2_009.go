package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/cidr"
	"github.com/ackguard/ackguard/internal/view"
)

var naclKind = []schema.GroupKind{view.NetworkACLGVK.GroupKind()}

// naclEntry is one ingress or egress entry of a network ACL, normalised
// with the security groups' port semantics (ec2_common.go).
type naclEntry struct {
	view.NACLEntry
	perm   sgPermission
	allow  bool
	number int64
	// numbered is false when ruleNumber is missing, malformed or one EC2
	// refuses: the entry is then ordered as widely as it could be (an
	// allow first, a deny last).
	numbered bool
	prefix   netip.Prefix
	hasCIDR  bool
	// exact is false when the protocol, or the port range of a tcp or
	// udp entry, is missing or malformed, or when the protocol is a name
	// (EC2 takes only protocol numbers in a network ACL entry). Read as wide as it could be,
	// such an entry would deny everything; EC2 refuses it instead, so a
	// deny that is not exact shadows nothing.
	exact bool
}

func readNACLEntry(e view.NACLEntry) naclEntry {
	n := naclEntry{NACLEntry: e}
	n.perm = newSGPermission(view.IPPermission{Path: e.Path, Index: e.Index, IPProtocol: e.Protocol, FromPort: e.From, ToPort: e.To})
	// An unknown action is read as allow: when in doubt, as wide as it
	// could be.
	n.allow = e.RuleAction.Err != nil || !strings.EqualFold(strings.TrimSpace(e.RuleAction.Value), "deny")
	if r := e.RuleNumber; r.Present && r.Err == nil && validRuleNumber(r.Value) {
		n.number, n.numbered = r.Value, true
	}
	n.exact = e.Protocol.NonEmpty() && protocolNumber(e.Protocol.Value) && (n.perm.kind != protoPorts || validPort(e.From) && validPort(e.To))
	for _, s := range []view.String{e.CIDRBlock, e.IPv6CIDRBlock} {
		if s.NonEmpty() {
			if p, err := cidr.Parse(s.Value); err == nil {
				n.prefix, n.hasCIDR = p, true
				break
			}
		}
	}
	return n
}

// protocolNumber reports whether a network ACL entry's protocol is a
// number, as EC2 requires: CreateNetworkAclEntry takes only protocol
// numbers (-1 for all), and the AWS CLI turns tcp, udp, icmp and all into
// 6, 17, 1 and -1 itself before calling it. ACK sends the value as
// written, so EC2 refuses an entry that names its protocol.
func protocolNumber(p string) bool {
	_, err := strconv.Atoi(strings.TrimSpace(p))
	return err == nil
}

// validRuleNumber reports whether a ruleNumber has a place in AWS's
// order: 1-32766, which EC2 accepts, or the numbers of the default
// deny-all entries AWS adds itself, 32767 for IPv4 and 32768 for IPv6
// (the "*" entries: DescribeNetworkAcls returns them, so ACK puts them in
// spec.entries when it adopts a network ACL, and a spec may carry them;
// ACK never creates them). Other numbers are reserved or refused.
func validRuleNumber(n int64) bool { return n >= 1 && n <= 32768 }

// validPort reports whether a port is present and in 0-65535.
func validPort(p view.Int) bool {
	return p.Present && p.Err == nil && p.Value >= 0 && p.Value <= maxPort
}

// source is the entry's CIDR field, for paths and messages.
func (n naclEntry) source() view.String {
	if n.CIDRBlock.NonEmpty() || !n.IPv6CIDRBlock.Present {
		return n.CIDRBlock
	}
	return n.IPv6CIDRBlock
}

// evaluationOrder sorts entries as AWS evaluates them: lowest ruleNumber
// first (the first entry that matches decides).
func evaluationOrder(entries []naclEntry) []naclEntry {
	out := slices.Clone(entries)
	rank := func(n naclEntry) int64 {
		switch {
		case n.numbered:
			return n.number
		case n.allow:
			return -1 << 62
		}
		return 1 << 62
	}
	slices.SortStableFunc(out, func(a, b naclEntry) int {
		ra, rb := rank(a), rank(b)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	return out
}

// admittedFrom returns, for traffic to port over proto, the source
// addresses each allow entry decides (what no earlier entry matched), by
// position in spec.entries.
func admittedFrom(ordered []naclEntry, proto string, port int64) map[int][]netip.Prefix {
	out := map[int][]netip.Prefix{}
	var decided []netip.Prefix
	for _, n := range ordered {
		if !n.hasCIDR || !n.perm.matchesPort(proto, port) || !n.allow && !n.exact {
			continue
		}
		if n.allow {
			if rest := cidr.Subtract(n.prefix, decided); len(rest) > 0 {
				out[n.Index] = append(out[n.Index], rest...)
			}
		}
		decided = append(decided, n.prefix)
	}
	return out
}

// EC2-009: network ACL entries do not let the internet reach SSH (22) or
// RDP (3389). Inbound entries are evaluated as AWS does: by ruleNumber,
// lowest first, the first entry that matches the packet deciding, so a
// lower-numbered deny shadows a later allow; the addresses the allow
// entries admit are public as a security group's ranges are (catalog §0:
// a prefix wider than /8 or /16, or ranges that together cover the
// whole space).
func ec2009() *Rule {
	return &Rule{
		ID:          "EC2-009",
		Title:       "Network ACLs do not allow ingress from the internet to SSH or RDP",
		Severity:    Medium,
		Kinds:       naclKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:    []string{"EC2.21"},
			Config:  []string{"nacl-no-unrestricted-ssh-rdp"},
			Checkov: []string{"CKV_AWS_229", "CKV_AWS_230", "CKV_AWS_231", "CKV_AWS_232", "CKV_AWS_352"},
			CIS:     []string{"v5.0.0 5.2", "v3.0.0 5.1", "v1.4.0 5.1"},
		},
		OptIn: true,
		Check: checkEC2009,
	}
}

func checkEC2009(in *Input) []Finding {
	acl := view.NewNetworkACL(in.Object)
	out := naclInputErrors(acl)
	if acl.Spec.Err != nil {
		return out
	}
	var ingress []naclEntry
	for _, e := range acl.Entries {
		if !e.Egress.IsTrue() {
			ingress = append(ingress, readNACLEntry(e))
		}
	}
	ordered := evaluationOrder(ingress)
	// reached[entry, family, port] lists the protocols through which the
	// internet reaches an admin port via that entry.
	type key struct {
		index int
		v4    bool
		port  int64
	}
	reached := map[key][]string{}
	for _, port := range adminPorts {
		for _, proto := range []string{"tcp", "udp"} {
			admitted := admittedFrom(ordered, proto, port)
			for _, v4 := range []bool{true, false} {
				// As for security groups (ec2_exposure.go): addresses an
				// entry admits are public when wide by themselves, or when
				// not private and the admitted addresses that are not wide
				// cover the family together. Wide ones stay out of the
				// union, so that a named network next to 0.0.0.0/0 is not
				// reported with it.
				var narrow []netip.Prefix
				for _, ps := range admitted {
					for _, p := range ps {
						if p.Addr().Is4() == v4 && !cidr.IsWide(p) {
							narrow = append(narrow, p)
						}
					}
				}
				covered := cidr.CoversFamily(narrow, v4)
				for idx, ps := range admitted {
					for _, p := range ps {
						if p.Addr().Is4() == v4 && (cidr.IsWide(p) || covered && !cidr.IsPrivate(p)) {
							k := key{idx, v4, port}
							reached[k] = append(reached[k], fmt.Sprintf("%s %d", proto, port))
							break
						}
					}
				}
			}
		}
	}
	// One finding per admin port an entry lets the internet reach: which
	// ports it reaches depends on the deny entries before it, so an UPDATE
	// removing or renumbering the deny that shadowed SSH from an entry
	// that already reached RDP reaches SSH anew.
	for _, n := range ingress {
		for _, v4 := range []bool{true, false} {
			for _, port := range adminPorts {
				via := reached[key{n.Index, v4, port}]
				if len(via) == 0 {
					continue
				}
				src := n.source()
				num := "without a ruleNumber"
				if r := n.RuleNumber; r.Present && r.Err == nil && !n.numbered {
					num = fmt.Sprintf("%d (a ruleNumber EC2 refuses)", r.Value)
				}
				if n.numbered {
					num = fmt.Sprintf("%d", n.number)
				}
				out = append(out, Finding{
					Path: src.Path,
					Message: fmt.Sprintf("inbound entry %s allows %s from %s, so the internet reaches %s (no lower-numbered entry denies it)",
						num, n.perm.describe(), n.prefix, strings.Join(via, ", ")),
					Remedy:  fmt.Sprintf("add a lower-numbered deny entry for port %d from %s, or allow only named networks (reach instances through a VPN, a bastion or SSM Session Manager)", port, n.prefix),
					Subject: fmt.Sprintf("%s from %s to port %d", n.perm.describe(), n.prefix, port),
				})
			}
		}
	}
	return out
}

// naclInputErrors reports what in spec.entries ackguard cannot judge.
func naclInputErrors(acl *view.NetworkACL) []Finding {
	var out []Finding
	for _, e := range acl.Errors {
		out = append(out, fieldErrorFinding(e))
	}
	for _, e := range acl.Entries {
		for _, err := range []*view.FieldError{e.RuleNumber.Err, e.Protocol.Err, e.RuleAction.Err, e.Egress.Err, e.CIDRBlock.Err, e.IPv6CIDRBlock.Err, e.From.Err, e.To.Err} {
			if err != nil {
				out = append(out, fieldErrorFinding(err))
			}
		}
		if e.Egress.IsTrue() {
			continue
		}
		invalid := func(path view.Path, msg, remedy string) {
			out = append(out, Finding{Path: path, Subject: "invalid input", Message: "invalid input: " + msg, Remedy: remedy})
		}
		if !e.RuleNumber.Present {
			invalid(e.RuleNumber.Path, "the entry has no ruleNumber, so ackguard cannot tell which entries it shadows (it is judged as if it came first when it allows, last when it denies)", "set ruleNumber (1-32766)")
		} else if r := e.RuleNumber; r.Err == nil && !validRuleNumber(r.Value) {
			invalid(r.Path, fmt.Sprintf("ruleNumber %d is outside 1-32766, so EC2 refuses the entry (it is judged as if it came first when it allows, last when it denies)", r.Value), "set ruleNumber (1-32766)")
		}
		// EC2 refuses an entry without them; it is judged as wide as it
		// could be when it allows and as denying nothing when it denies.
		switch n := readNACLEntry(e); {
		case n.exact || e.Protocol.Err != nil || e.From.Err != nil || e.To.Err != nil || e.PortRange.Err != nil:
		case !e.Protocol.NonEmpty():
			invalid(e.Protocol.Path, "the entry has no protocol (judged as every protocol when it allows, as nothing when it denies)", "set protocol (-1, 6, 17, 1 or 58)")
		case !protocolNumber(e.Protocol.Value):
			invalid(e.Protocol.Path, fmt.Sprintf("protocol %q is not a number, and EC2 takes only protocol numbers in a network ACL entry, so it refuses the entry (judged as %s when it allows, as nothing when it denies)", e.Protocol.Value, n.perm.describe()), "set protocol to a number (-1 for all, 6 tcp, 17 udp, 1 icmp, 58 icmpv6)")
		default:
			invalid(e.PortRange.Path, "a tcp or udp entry needs portRange.from and portRange.to in 0-65535 (judged as every port when it allows, as nothing when it denies)", "set portRange.from and portRange.to")
		}
		if a := e.RuleAction; a.Err == nil && !strings.EqualFold(strings.TrimSpace(a.Value), "allow") && !strings.EqualFold(strings.TrimSpace(a.Value), "deny") {
			invalid(a.Path, fmt.Sprintf("ruleAction %q is neither allow nor deny (judged as allow)", a.Value), "set ruleAction to allow or deny")
		}
		for _, s := range []view.String{e.CIDRBlock, e.IPv6CIDRBlock} {
			if s.NonEmpty() {
				if _, err := cidr.Parse(s.Value); err != nil {
					invalid(s.Path, err.Error()+", so ackguard cannot tell whether it is public", "set it to a CIDR such as 10.0.0.0/16")
				}
			}
		}
	}
	return out
}
