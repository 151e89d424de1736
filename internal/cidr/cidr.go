// Package cidr compares IP ranges as parsed networks, never as text:
// host bits are masked ("10.1.2.3/0" is 0.0.0.0/0), IPv6 is normalised, and
// a set of ranges whose union is the whole address space counts as open.
package cidr

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Thresholds below which a prefix is treated as public (ackguard decision,
// rule catalog section 0): IPv4 shorter than /8, IPv6 shorter than /16.
const (
	MinPrivateBitsV4 = 8
	MinPrivateBitsV6 = 16
)

// Parse parses a CIDR or a bare address (a /32 or /128) and masks host bits.
func Parse(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		// Only a prefix inside ::ffff:0:0/96 is an IPv4 range; a shorter
		// one reaches beyond it and stays IPv6 (PrefixFrom with negative
		// bits would return an invalid prefix).
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// IsWide reports whether one prefix alone is public for ackguard: the whole
// space, or shorter than MinPrivateBitsV4/V6.
func IsWide(p netip.Prefix) bool {
	if p.Addr().Is4() {
		return p.Bits() < MinPrivateBitsV4
	}
	return p.Bits() < MinPrivateBitsV6
}

// IsPrivate reports whether every address of p is in a range that never
// appears as a public source address (RFC 1918, loopback, link-local,
// unique-local, carrier-grade NAT).
func IsPrivate(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Addr().Is4() == p.Addr().Is4() && r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("::1/128"),
}

// CoversFamily reports whether the union of the prefixes of one family
// (IPv4 when v4 is true) is the whole address space of that family.
func CoversFamily(prefixes []netip.Prefix, v4 bool) bool {
	type span struct{ lo, hi netip.Addr }
	var spans []span
	for _, p := range prefixes {
		if p.Addr().Is4() != v4 {
			continue
		}
		spans = append(spans, span{p.Addr(), lastAddr(p)})
	}
	if len(spans) == 0 {
		return false
	}
	slices.SortFunc(spans, func(a, b span) int { return a.lo.Compare(b.lo) })
	first := netip.IPv6Unspecified()
	if v4 {
		first = netip.IPv4Unspecified()
	}
	if spans[0].lo != first {
		return false
	}
	hi := spans[0].hi
	for _, s := range spans[1:] {
		if !hi.IsValid() { // reached the top of the space
			return true
		}
		next := hi.Next()
		if !next.IsValid() {
			return true
		}
		if s.lo.Compare(next) > 0 {
			return false
		}
		if s.hi.Compare(hi) > 0 {
			hi = s.hi
		}
	}
	return !hi.Next().IsValid()
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

// Open reports whether a set of prefixes is public for ackguard: one of them
// is wide (IsWide), or together they cover a whole family.
func Open(prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if IsWide(p) {
			return true
		}
	}
	return CoversFamily(prefixes, true) || CoversFamily(prefixes, false)
}

// Subtract returns the addresses of p that none of qs holds, as disjoint
// prefixes (none when qs cover p). Prefixes of the other family are
// ignored.
func Subtract(p netip.Prefix, qs []netip.Prefix) []netip.Prefix {
	p = p.Masked()
	for _, q := range qs {
		q = q.Masked()
		if q.Addr().Is4() != p.Addr().Is4() || !q.Overlaps(p) {
			continue
		}
		if q.Bits() <= p.Bits() {
			return nil // q holds all of p
		}
		// q is inside p: split p in halves and subtract from each.
		lo, hi := halves(p)
		return append(Subtract(lo, qs), Subtract(hi, qs)...)
	}
	return []netip.Prefix{p}
}

// halves splits p into its two prefixes one bit longer.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	lo := netip.PrefixFrom(p.Addr(), bits)
	b := p.Addr().AsSlice()
	i := p.Bits()
	b[i/8] |= 0x80 >> (i % 8)
	a, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(a, bits)
}
