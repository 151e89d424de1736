package rules

import (
	"net/netip"
	"slices"

	"github.com/ackguard/ackguard/internal/cidr"
	"github.com/ackguard/ackguard/internal/view"
)

// The internet reaches a port when the union of the sources of every rule
// of the list that admits that port is public (catalog §0): 0.0.0.0/0
// split across several rules, across ranges such as 0.0.0.0/1 and
// 128.0.0.0/1, or across port ranges that together span a port, is still
// the internet. sgExposure answers, for each range of each rule, on which
// protocols and ports it is public in that sense.
//
// A range is public on a port when it is wide by itself (cidr.IsWide), or
// when it is not private and the ranges of its address family that are
// not wide, over every rule admitting the port, cover the whole family.
// Wide ranges are left out of the union so that a named network next to a
// 0.0.0.0/0 is not reported with it.

// anyProtocol stands for the protocols no rule names: only all-protocol
// rules admit them.
const anyProtocol = "*"

// sgExposure is a rule list with the public reach of each range.
type sgExposure struct {
	rules []sgRuleRanges
	// covered[v4] tells whether the narrow ranges of every rule together
	// cover the family at all; when not, no union can, and only wide
	// ranges are public.
	covered map[bool]bool
	// unions memoises whether the narrow ranges admitting a protocol and
	// port cover a family.
	unions map[unionKey]bool
	// everyPort memoises everyPortPublic (port -1 in the key).
	everyPort map[unionKey]bool
	// bounds memoises portBounds.
	bounds map[string][]int64
}

type unionKey struct {
	proto string
	port  int64
	v4    bool
}

// sgRuleRanges is one rule with its parsed ranges and those public
// somewhere the rule admits traffic.
type sgRuleRanges struct {
	sgPermission
	ranges []publicRange
	public []publicRange
}

// newSGExposure reads a rule list.
func newSGExposure(rl view.RuleList) *sgExposure {
	e := &sgExposure{covered: map[bool]bool{}, unions: map[unionKey]bool{}, everyPort: map[unionKey]bool{}}
	e.rules = make([]sgRuleRanges, 0, len(rl.Rules))
	var narrow []netip.Prefix
	for _, p := range rl.Rules {
		rr := sgRuleRanges{sgPermission: newSGPermission(p), ranges: make([]publicRange, 0, len(p.IPRanges)+len(p.IPv6Ranges))}
		for _, rs := range [][]view.IPRange{p.IPRanges, p.IPv6Ranges} {
			for _, r := range rs {
				if pfx, ok := parseRange(r); ok {
					rr.ranges = append(rr.ranges, publicRange{IPRange: r, Prefix: pfx})
					if !cidr.IsWide(pfx) && rr.kind != protoICMP {
						narrow = append(narrow, pfx)
					}
				}
			}
		}
		e.rules = append(e.rules, rr)
	}
	e.covered[true] = cidr.CoversFamily(narrow, true)
	e.covered[false] = cidr.CoversFamily(narrow, false)
	for i := range e.rules {
		rr := &e.rules[i]
		if rr.kind == protoICMP {
			// ICMP has no ports; only its own ranges decide (EC2-007 and
			// the port rules never judge it).
			rr.public = publicRanges(rl.Rules[i])
			continue
		}
		for _, r := range rr.ranges {
			if e.publicSomewhere(i, r) {
				rr.public = append(rr.public, r)
			}
		}
	}
	return e
}

// admits reports whether rule k admits traffic of proto ("tcp", "udp",
// another protocol as written, or anyProtocol) to port (ignored for
// protocols without ports).
func (e *sgExposure) admits(k int, proto string, port int64) bool {
	s := e.rules[k].sgPermission
	switch s.kind {
	case protoAll:
		return true
	case protoPorts:
		return s.proto == proto && s.lo <= port && port <= s.hi
	case protoOther:
		return s.proto == proto
	}
	return false
}

// publicAt reports whether range r of rule i is public for proto and port,
// given that rule i admits them.
func (e *sgExposure) publicAt(i int, r publicRange, proto string, port int64) bool {
	if !e.admits(i, proto, port) {
		return false
	}
	if cidr.IsWide(r.Prefix) {
		return true
	}
	v4 := r.Prefix.Addr().Is4()
	if cidr.IsPrivate(r.Prefix) || !e.covered[v4] {
		return false
	}
	key := unionKey{proto, port, v4}
	if covers, ok := e.unions[key]; ok {
		return covers
	}
	var union []netip.Prefix
	for k, rr := range e.rules {
		if !e.admits(k, proto, port) {
			continue
		}
		for _, o := range rr.ranges {
			if o.Prefix.Addr().Is4() == v4 && !cidr.IsWide(o.Prefix) {
				union = append(union, o.Prefix)
			}
		}
	}
	e.unions[key] = cidr.CoversFamily(union, v4)
	return e.unions[key]
}

// portSegments returns the port intervals of proto ("tcp" or "udp") on
// which the set of admitting rules is constant, clipped to [lo, hi].
func (e *sgExposure) portSegments(proto string, lo, hi int64) [][2]int64 {
	bounds := e.portBounds(proto)
	// The bounds past lo and not past hi split [lo, hi]; the others
	// split nothing within it.
	k, _ := slices.BinarySearch(bounds, lo+1)
	end, _ := slices.BinarySearch(bounds, hi+1)
	out := make([][2]int64, 0, end-k+1)
	start := lo
	for ; k < end; k++ {
		out = append(out, [2]int64{start, bounds[k] - 1})
		start = bounds[k]
	}
	return append(out, [2]int64{start, hi})
}

// portBounds returns, sorted and distinct, the first and one-past-last
// ports of every rule of proto: where the set of rules admitting a port
// changes. It is computed once per list and protocol.
func (e *sgExposure) portBounds(proto string) []int64 {
	if b, ok := e.bounds[proto]; ok {
		return b
	}
	var b []int64
	for _, rr := range e.rules {
		if rr.kind == protoPorts && rr.proto == proto {
			b = append(b, rr.lo, rr.hi+1)
		}
	}
	slices.Sort(b)
	b = slices.Compact(b)
	if e.bounds == nil {
		e.bounds = map[string][]int64{}
	}
	e.bounds[proto] = b
	return b
}

// publicPorts returns the intervals of proto's ports, within the ports
// rule i admits, on which its range r is public.
func (e *sgExposure) publicPorts(i int, r publicRange, proto string) [][2]int64 {
	s := e.rules[i].sgPermission
	lo, hi := int64(0), int64(maxPort)
	switch s.kind {
	case protoPorts:
		if s.proto != proto {
			return nil
		}
		lo, hi = s.lo, s.hi
	case protoAll:
	default:
		return nil
	}
	var out [][2]int64
	for _, seg := range e.portSegments(proto, lo, hi) {
		if !e.publicAt(i, r, proto, seg[0]) {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1]+1 == seg[0] {
			out[n-1][1] = seg[1]
			continue
		}
		out = append(out, seg)
	}
	return out
}

// publicProtocol reports whether range r of rule i is public for every
// port of a protocol without ports: the rule's own protocol for another
// protocol (ESP, GRE, ...), and for an all-protocol rule the protocols no
// rule names or any other protocol a rule names.
func (e *sgExposure) publicProtocol(i int, r publicRange) bool {
	s := e.rules[i].sgPermission
	switch s.kind {
	case protoOther:
		return e.publicAt(i, r, s.proto, 0)
	case protoAll:
		if e.publicAt(i, r, anyProtocol, 0) {
			return true
		}
		for _, rr := range e.rules {
			if rr.kind == protoOther && e.publicAt(i, r, rr.proto, 0) {
				return true
			}
		}
	}
	return false
}

// publicSomewhere reports whether range r of rule i is public on some
// protocol and port the rule admits.
func (e *sgExposure) publicSomewhere(i int, r publicRange) bool {
	if e.publicProtocol(i, r) {
		return true
	}
	for _, proto := range []string{"tcp", "udp"} {
		if len(e.publicPorts(i, r, proto)) > 0 {
			return true
		}
	}
	return false
}

// publicPortsOf returns the ports of the list that range r of rule i
// makes reachable from the internet over tcp or udp.
func (e *sgExposure) publicPortsOf(i int, r publicRange, ports []int64) []int64 {
	var out []int64
	for _, p := range ports {
		for _, proto := range []string{"tcp", "udp"} {
			if e.publicAt(i, r, proto, p) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// everyPortPublic reports whether the list opens every port of proto
// (1-65535; port 0 is reserved) to the internet of one address family
// (IPv4 when v4 is true).
func (e *sgExposure) everyPortPublic(proto string, v4 bool) bool {
	key := unionKey{proto, -1, v4}
	if open, ok := e.everyPort[key]; ok {
		return open
	}
	e.everyPort[key] = e.openOnEveryPort(proto, v4)
	return e.everyPort[key]
}

func (e *sgExposure) openOnEveryPort(proto string, v4 bool) bool {
	for _, seg := range e.portSegments(proto, 1, maxPort) {
		open := false
		for i, rr := range e.rules {
			for _, r := range rr.ranges {
				if r.Prefix.Addr().Is4() == v4 && e.publicAt(i, r, proto, seg[0]) {
					open = true
					break
				}
			}
			if open {
				break
			}
		}
		if !open {
			return false
		}
	}
	return true
}

// alone reports whether range r is public by itself or with the other
// ranges of its own rule, so that a message need not name other rules.
func alone(rr sgRuleRanges, r publicRange) bool {
	if cidr.IsWide(r.Prefix) {
		return true
	}
	var own []netip.Prefix
	for _, o := range rr.ranges {
		own = append(own, o.Prefix)
	}
	return cidr.CoversFamily(own, r.Prefix.Addr().Is4())
}
