package governance

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// maxNamespaceMemo bounds the namespaces (name and labels) whose policy
// selection an engine remembers; past it each new one takes the place of
// one chosen at random. Label changes leave stale entries behind, so the
// bound keeps a long-lived engine's memory flat. Starting over instead
// would forget every namespace each time the bound is reached: judging
// round robin over more namespaces than it (a resync of a large cluster)
// would never find one remembered, and every judgement would pay a pass
// over every policy. Evicting one at random keeps a share that shrinks
// gradually as the namespaces outnumber the bound (about two thirds of
// 10,000).
const maxNamespaceMemo = 8192

// policySet is the compiled policies of an engine with their indexes. It
// is shared by engines that differ only in their exceptions.
type policySet struct {
	// all are the policies given, sorted by name (the baseline alone when
	// it applies implicitly), usable or not: only the usable ones are in
	// force.
	all      []*CompiledPolicy
	byName   map[string]*CompiledPolicy
	implicit bool
	// usable are the policies that can select anything, sorted by name;
	// the indexes below hold positions in it.
	usable []*CompiledPolicy
	// byKind lists, for each kind some policy names, the usable policies
	// matching it: those naming it and those naming no kind, in name
	// order. anyKind lists the latter alone (for every other kind).
	byKind  map[schema.GroupKind][]int
	anyKind []int

	// memo remembers, per namespace, which policies select it; memoKeys
	// are its keys (at most maxNamespaceMemo), one of which a new key
	// replaces once they are that many. memoMu serialises adding to it.
	memo     sync.Map // nsKey → *nsSelection
	memoMu   sync.Mutex
	memoKeys []string
}

// nsSelection is what the policies make of one namespace.
type nsSelection struct {
	// selects[i] reports whether usable[i] selects the namespace.
	selects []bool
	// maxExc is the namespace's MaxExceptionDuration.
	maxExc time.Duration
	// byKind memoises the policies selecting both the namespace and a
	// kind some policy names, in name order; anyKind those selecting the
	// namespace and any other kind.
	byKind      sync.Map // schema.GroupKind → []*CompiledPolicy
	anyKindOnce sync.Once
	anyKind     []*CompiledPolicy
}

func newPolicySet(reg *rules.Registry, d Defaults, policies []*CompiledPolicy) *policySet {
	ps := &policySet{byKind: map[schema.GroupKind][]int{}}
	for _, p := range policies {
		if p != nil {
			ps.all = append(ps.all, p)
		}
	}
	if len(ps.all) == 0 {
		base := Baseline(reg)
		ps.all = []*CompiledPolicy{CompilePolicy(reg, d, &base)}
		ps.implicit = true
	} else if !slices.ContainsFunc(ps.all, func(p *CompiledPolicy) bool { return p.usable }) {
		// Every policy given is unusable (an invalid selector admitted
		// while the webhook was down, kinds ackguard does not guard):
		// guard with the baseline rather than with nothing. Their
		// problems are still reported.
		base := Baseline(reg)
		ps.all = append(ps.all, CompilePolicy(reg, d, &base))
		ps.implicit = true
	}
	slices.SortStableFunc(ps.all, func(a, b *CompiledPolicy) int { return strings.Compare(a.name, b.name) })
	ps.byName = make(map[string]*CompiledPolicy, len(ps.all))
	for _, p := range ps.all {
		if _, dup := ps.byName[p.name]; !dup {
			ps.byName[p.name] = p
		}
		if p.usable {
			ps.usable = append(ps.usable, p)
		}
	}
	for i, p := range ps.usable {
		if len(p.kinds) == 0 {
			ps.anyKind = append(ps.anyKind, i)
			continue
		}
		for _, gk := range p.kinds {
			if l := ps.byKind[gk]; len(l) == 0 || l[len(l)-1] != i { // a kind listed twice
				ps.byKind[gk] = append(l, i)
			}
		}
	}
	// Merge the policies matching any kind into each kind's list, keeping
	// name order (positions in usable are in name order).
	for gk, l := range ps.byKind {
		merged := make([]int, 0, len(l)+len(ps.anyKind))
		merged = append(merged, l...)
		merged = append(merged, ps.anyKind...)
		slices.Sort(merged)
		ps.byKind[gk] = merged
	}
	return ps
}

// namespace returns what the policies make of a namespace, computing it
// once per name and labels.
func (ps *policySet) namespace(ns Namespace) *nsSelection {
	key := ns.key()
	if v, ok := ps.memo.Load(key); ok {
		return v.(*nsSelection)
	}
	set := ns.labelSet()
	sel := &nsSelection{selects: make([]bool, len(ps.usable))}
	for i, p := range ps.usable {
		if p.nsSel.Matches(set) {
			sel.selects[i] = true
			if sel.maxExc == 0 || p.maxExc < sel.maxExc {
				sel.maxExc = p.maxExc
			}
		}
	}
	if sel.maxExc == 0 {
		sel.maxExc = DefaultMaxExceptionDuration
	}
	ps.memoMu.Lock()
	defer ps.memoMu.Unlock()
	if v, known := ps.memo.LoadOrStore(key, sel); known {
		return v.(*nsSelection) // another judgement stored it meanwhile
	}
	if len(ps.memoKeys) < maxNamespaceMemo {
		ps.memoKeys = append(ps.memoKeys, key)
	} else {
		i := rand.IntN(len(ps.memoKeys))
		ps.memo.Delete(ps.memoKeys[i])
		ps.memoKeys[i] = key
	}
	return sel
}

// selecting returns the usable policies that select a kind in the
// namespace sel describes (object selectors aside), in name order.
func (ps *policySet) selecting(sel *nsSelection, gk schema.GroupKind) []*CompiledPolicy {
	cands, named := ps.byKind[gk]
	if !named {
		// Every kind no policy names has the same candidates.
		sel.anyKindOnce.Do(func() { sel.anyKind = sel.filter(ps, ps.anyKind) })
		return sel.anyKind
	}
	if v, ok := sel.byKind.Load(gk); ok {
		return v.([]*CompiledPolicy)
	}
	out := sel.filter(ps, cands)
	sel.byKind.Store(gk, out)
	return out
}

// filter returns the policies at the positions that select the namespace.
func (sel *nsSelection) filter(ps *policySet, positions []int) []*CompiledPolicy {
	var out []*CompiledPolicy
	for _, i := range positions {
		if sel.selects[i] {
			out = append(out, ps.usable[i])
		}
	}
	return out
}

// key identifies a namespace by its name and labels.
func (n Namespace) key() string {
	if len(n.Labels) == 0 {
		return n.Name
	}
	keys := make([]string, 0, len(n.Labels))
	size := len(n.Name)
	for k, v := range n.Labels {
		keys = append(keys, k)
		size += len(k) + len(v) + 2
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(n.Name)
	for _, k := range keys {
		// Names and labels hold no NUL.
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(n.Labels[k])
	}
	return b.String()
}

// Exceptions are the compiled GuardrailExceptions of one namespace,
// indexed by rule and kind, then by resource name (a selector is tried on
// every object of its kind). Expiry is not compiled in: a judgement
// decides it at its own time.
type Exceptions struct {
	n     int
	index map[exceptionKey]*exceptionBucket
}

type exceptionKey struct {
	rule string
	gk   schema.GroupKind
}

type exceptionBucket struct {
	byName     map[string][]exceptionEntry
	bySelector []exceptionEntry
}

// exceptionEntry is one resource of one exception; ord is the exception's
// position among those given, which decides between several that apply.
type exceptionEntry struct {
	ord int
	ex  *v1alpha1.GuardrailException
	sel labels.Selector
}

// CompileExceptions indexes the exceptions of one namespace; they are
// tried in the order given. The engine keeps the pointers: the exceptions
// must not change afterwards.
func CompileExceptions(exs []*v1alpha1.GuardrailException) *Exceptions {
	set := &Exceptions{n: len(exs), index: map[exceptionKey]*exceptionBucket{}}
	for ord, ex := range exs {
		for _, r := range ex.Spec.Resources {
			ent := exceptionEntry{ord: ord, ex: ex}
			if r.Selector != nil {
				s, err := metav1.LabelSelectorAsSelector(r.Selector)
				if err != nil {
					continue // selects nothing
				}
				ent.sel = s
			}
			gk := schema.GroupKind{Group: r.APIGroup, Kind: r.Kind}
			for _, rule := range ex.Spec.Rules {
				k := exceptionKey{rule: rule, gk: gk}
				b := set.index[k]
				if b == nil {
					b = &exceptionBucket{}
					set.index[k] = b
				}
				switch {
				case ent.sel != nil:
					b.bySelector = append(b.bySelector, ent)
				default:
					if b.byName == nil {
						b.byName = map[string][]exceptionEntry{}
					}
					b.byName[r.Name] = append(b.byName[r.Name], ent)
				}
			}
		}
	}
	return set
}

// Len is the number of exceptions.
func (x *Exceptions) Len() int {
	if x == nil {
		return 0
	}
	return x.n
}

// first returns, of the exceptions naming the rule and matching the
// object, the one given first among those ok accepts, or nil.
func (x *Exceptions) first(ruleID string, gk schema.GroupKind, name string, objLabels labels.Labels, ok func(*v1alpha1.GuardrailException) bool) *v1alpha1.GuardrailException {
	if x == nil {
		return nil
	}
	b := x.index[exceptionKey{rule: ruleID, gk: gk}]
	if b == nil {
		return nil
	}
	var out *v1alpha1.GuardrailException
	best := 0 // out's position among those given
	try := func(e exceptionEntry) {
		// One given after out need not be asked about.
		if (out == nil || e.ord < best) && ok(e.ex) {
			out, best = e.ex, e.ord
		}
	}
	for _, e := range b.byName[name] {
		try(e)
	}
	for _, e := range b.bySelector {
		if e.sel.Matches(objLabels) {
			try(e)
		}
	}
	return out
}
