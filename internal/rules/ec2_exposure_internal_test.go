package rules

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// portSegmentsByDefinition is portSegments as its comment defines it: the
// cuts of every rule of proto within (lo, hi], sorted, between lo and hi.
func portSegmentsByDefinition(e *sgExposure, proto string, lo, hi int64) [][2]int64 {
	bounds := []int64{lo, hi + 1}
	for _, rr := range e.rules {
		if rr.kind == protoPorts && rr.proto == proto {
			for _, b := range []int64{rr.lo, rr.hi + 1} {
				if b > lo && b <= hi {
					bounds = append(bounds, b)
				}
			}
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var out [][2]int64
	for j := 0; j+1 < len(bounds); j++ {
		out = append(out, [2]int64{bounds[j], bounds[j+1] - 1})
	}
	return out
}

// The memoised cuts give the segments the definition gives, for random
// lists of tcp, udp and other rules and random port windows, asked in any
// order on one list.
func TestPortSegmentsMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	port := func() int64 {
		if rng.IntN(4) == 0 {
			return []int64{0, 1, 22, 80, 443, maxPort}[rng.IntN(6)]
		}
		return rng.Int64N(maxPort + 1)
	}
	for round := range 500 {
		e := &sgExposure{}
		for range rng.IntN(12) {
			p := sgPermission{kind: protoPorts, proto: []string{"tcp", "udp"}[rng.IntN(2)]}
			switch rng.IntN(5) {
			case 0:
				p.kind, p.proto = protoAll, "all"
			case 1:
				p.kind, p.proto = protoOther, "esp"
			}
			p.lo, p.hi = port(), port()
			if p.lo > p.hi {
				p.lo, p.hi = p.hi, p.lo
			}
			e.rules = append(e.rules, sgRuleRanges{sgPermission: p})
		}
		for range 8 {
			proto := []string{"tcp", "udp"}[rng.IntN(2)]
			lo, hi := port(), port()
			if lo > hi {
				lo, hi = hi, lo
			}
			got, want := e.portSegments(proto, lo, hi), portSegmentsByDefinition(e, proto, lo, hi)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %s [%d, %d], rules %+v:\n got %v\nwant %v", round, proto, lo, hi, e.rules, got, want)
			}
		}
	}
}
