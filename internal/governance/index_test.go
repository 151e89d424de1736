package governance

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	policydoc "github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// linearSelection is how policies were selected before the index: every
// usable policy tried in name order, the baseline when none is usable.
func linearSelection(ps []v1alpha1.GuardrailPolicy, gk schema.GroupKind, ns Namespace, objLabels map[string]string) []string {
	var cps []*CompiledPolicy
	usable := false
	for i := range ps {
		c := CompilePolicy(reg, Defaults{}, &ps[i])
		cps = append(cps, c)
		usable = usable || c.usable
	}
	if !usable {
		base := Baseline(reg)
		cps = append(cps, CompilePolicy(reg, Defaults{}, &base))
	}
	slices.SortStableFunc(cps, func(a, b *CompiledPolicy) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	var out []string
	for _, c := range cps {
		if c.selects(gk, ns, objLabels) {
			out = append(out, c.name)
		}
	}
	return out
}

// linearMaxExceptionDuration is MaxExceptionDuration before the index.
func linearMaxExceptionDuration(ps []v1alpha1.GuardrailPolicy, ns Namespace) time.Duration {
	least := time.Duration(0)
	usable := false
	for i := range ps {
		c := CompilePolicy(reg, Defaults{}, &ps[i])
		usable = usable || c.usable
		if c.selectsNamespace(ns) && (least == 0 || c.maxExc < least) {
			least = c.maxExc
		}
	}
	if least == 0 || !usable {
		return DefaultMaxExceptionDuration
	}
	return least
}

// linearExemption is how exceptions were looked up before the index:
// every exception of the namespace tried in order. It returns the name of
// the exempting exception, or "".
func linearExemption(exs []v1alpha1.GuardrailException, obj map[string]any, ruleID string, maxDur time.Duration, now time.Time) string {
	if ex := linearException(exs, obj, ruleID, maxDur, now); ex != nil {
		return ex.Name
	}
	return ""
}

// linearException is linearExemption's exception, or nil.
func linearException(exs []v1alpha1.GuardrailException, obj map[string]any, ruleID string, maxDur time.Duration, now time.Time) *v1alpha1.GuardrailException {
	id := view.ReadIdentity(obj)
	for i := range exs {
		ex := &exs[i]
		if ex.Namespace != id.Namespace || !slices.Contains(ex.Spec.Rules, ruleID) {
			continue
		}
		matches := false
		for _, r := range ex.Spec.Resources {
			if r.APIGroup != id.GroupKind.Group || r.Kind != id.GroupKind.Kind {
				continue
			}
			if r.Selector != nil {
				s, err := metav1.LabelSelectorAsSelector(r.Selector)
				if err == nil && s.Matches(id.Labels) {
					matches = true
				}
				continue
			}
			if r.Name == id.Name {
				matches = true
			}
		}
		if !matches {
			continue
		}
		if state, _ := exceptionState(ex, maxDur, now); state == v1alpha1.ExceptionActive {
			return ex
		}
	}
	return nil
}

var (
	randKinds  = []schema.GroupKind{bucketGK, sgGK, dbGK, roleGK, {Group: "example.com", Kind: "Widget"}}
	randTeams  = []string{"a", "b", "c"}
	randEnvs   = []string{"dev", "prod", "test"}
	randSpaces = []string{"team-a", "team-b", "team-c"}
)

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

func randomSelector(r *rand.Rand, key string, values []string) *metav1.LabelSelector {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return matchLabels(key, pick(r, values))
	case 2:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: key, Operator: metav1.LabelSelectorOpIn, Values: []string{pick(r, values), pick(r, values)}}}}
	case 3:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: key, Operator: metav1.LabelSelectorOpDoesNotExist}}}
	case 4:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{pick(r, randSpaces)}}}}
	default:
		if r.IntN(4) == 0 {
			return badSelector()
		}
		return &metav1.LabelSelector{}
	}
}

func randomPolicies(r *rand.Rand, n int) []v1alpha1.GuardrailPolicy {
	var ps []v1alpha1.GuardrailPolicy
	for i := range n {
		var opts []policyOpt
		for range r.IntN(3) {
			opts = append(opts, kinds(pick(r, randKinds)))
		}
		opts = append(opts, nsSelector(randomSelector(r, "team", randTeams)), objSelector(randomSelector(r, "env", randEnvs)),
			maxDuration(time.Duration(1+r.IntN(90))*day))
		// Names collide now and then: order among equal names is kept.
		ps = append(ps, policy(fmt.Sprintf("p-%d", r.IntN(2*n+1)+i%2), opts...))
	}
	return ps
}

func randomNamespace(r *rand.Rand) Namespace {
	ns := Namespace{Name: pick(r, randSpaces)}
	if r.IntN(4) > 0 {
		ns.Labels = map[string]string{"team": pick(r, randTeams)}
	}
	return ns
}

func randomLabels(r *rand.Rand) map[string]string {
	if r.IntN(3) == 0 {
		return nil
	}
	return map[string]string{"env": pick(r, randEnvs)}
}

// The index selects exactly the policies the linear scan selected, over
// random policy sets, namespaces, kinds and labels; one engine judges
// many objects, so the per-namespace memo is exercised too.
func TestIndexedSelectionMatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		ps := randomPolicies(r, r.IntN(12))
		e := New(reg, Defaults{}, ps, nil)
		for range 30 {
			gk, ns, l := pick(r, randKinds), randomNamespace(r), randomLabels(r)
			gvk := gk.WithVersion("v1alpha1")
			obj := ackObj(gvk, ns.Name, "x", l, map[string]any{})
			got := e.Judge(obj, ns, t0, nil).Policies
			want := linearSelection(ps, gk, ns, l)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: %s in %+v with labels %v: selected %v, the linear scan %v", round, gk, ns, l, got, want)
			}
			if got, want := e.MaxExceptionDuration(ns), linearMaxExceptionDuration(ps, ns); got != want {
				t.Fatalf("round %d: MaxExceptionDuration(%+v) = %s, the linear scan %s", round, ns, got, want)
			}
		}
	}
}

// The exception index exempts with exactly the exception the linear scan
// found: the first given, of the object's namespace, naming the rule and
// the object (by name or selector), in force at now.
func TestIndexedExemptionMatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	allRules := []string{"S3-001", "S3-006", "S3-005"}
	for round := range 200 {
		var exs []v1alpha1.GuardrailException
		for range r.IntN(15) {
			var res []v1alpha1.ResourceRef
			for range 1 + r.IntN(2) {
				gk := pick(r, []schema.GroupKind{bucketGK, bucketGK, sgGK})
				if r.IntN(2) == 0 {
					res = append(res, byName(gk, pick(r, []string{"b", "c", ""})))
				} else {
					s := randomSelector(r, "env", randEnvs)
					if s == nil {
						s = &metav1.LabelSelector{}
					}
					res = append(res, bySelector(gk, s))
				}
			}
			ids := []string{pick(r, allRules)}
			if r.IntN(2) == 0 {
				ids = append(ids, pick(r, allRules))
			}
			ex := exception(pick(r, randSpaces), "x", ids, t0.Add(time.Duration(r.IntN(48)-12)*time.Hour),
				exName(fmt.Sprintf("ex-%d", r.IntN(30))), resources(res...), created(t0.Add(-time.Duration(r.IntN(100))*day)))
			exs = append(exs, ex)
		}
		ps := randomPolicies(r, r.IntN(4))
		e := New(reg, Defaults{}, ps, exs)
		for range 20 {
			ns := randomNamespace(r)
			obj := insecureBucket(ns.Name, pick(r, []string{"b", "c"}), randomLabels(r))
			now := t0.Add(time.Duration(r.IntN(24)) * time.Hour)
			j := e.Judge(obj, ns, now, nil)
			for _, res := range j.Results {
				got := ""
				if res.Exception != nil {
					got = res.Exception.Name
				}
				want := linearExemption(exs, obj, res.RuleID, linearMaxExceptionDuration(ps, ns), now)
				if got != want {
					t.Fatalf("round %d: %s of %v in %+v at %s: exempted by %q, the linear scan %q", round, res.RuleID, obj["metadata"], ns, now, got, want)
				}
			}
		}
	}
}

// An exception's expiry is judged at the judgement's time, to the
// nanosecond, by the same engine: nothing of it is compiled in.
func TestExceptionExpiryJudgedAtJudgementTime(t *testing.T) {
	exp := t0.Add(time.Hour)
	e := New(reg, Defaults{}, nil, exceptions(exception("team-a", "b", []string{"S3-001"}, exp)))
	obj := insecureBucket("team-a", "b", nil)
	for _, tt := range []struct {
		at     time.Time
		exempt bool
	}{
		{t0, true},
		{exp.Add(-time.Nanosecond), true},
		{exp, false},
		{exp.Add(time.Nanosecond), false},
		{t0, true}, // the engine kept nothing of the later judgements
	} {
		j := e.Judge(obj, nsOf("team-a"), tt.at, nil)
		r := result(j, "S3-001")
		if r == nil {
			t.Fatalf("at %s: no S3-001 finding", tt.at)
		}
		if (r.Exception != nil) != tt.exempt {
			t.Errorf("at %s: exempted %v, want %v", tt.at, r.Exception != nil, tt.exempt)
		}
		if tt.exempt && !j.NextChange.Equal(exp) {
			t.Errorf("at %s: NextChange %s, want the expiry %s", tt.at, j.NextChange, exp)
		}
	}
}

// Engines assembled from compiled parts judge as New does, and one that
// swaps its exceptions keeps its policies.
func TestAssembleWithExceptions(t *testing.T) {
	ps := policies(policy("p", rule("S3-001", v1alpha1.Audit)))
	cp := CompilePolicy(reg, Defaults{}, &ps[0])
	e := Assemble(reg, Defaults{}, []*CompiledPolicy{cp}, nil)
	obj := insecureBucket("team-a", "b", nil)
	if r := result(e.Judge(obj, nsOf("team-a"), t0, nil), "S3-001"); r == nil || r.Exception != nil || r.Action != v1alpha1.Audit {
		t.Fatalf("S3-001 = %+v, want audited by p", r)
	}
	ex := exception("team-a", "b", []string{"S3-001"}, t0.Add(day))
	e2 := e.WithExceptions(map[string]*Exceptions{"team-a": CompileExceptions([]*v1alpha1.GuardrailException{&ex})})
	if r := result(e2.Judge(obj, nsOf("team-a"), t0, nil), "S3-001"); r == nil || r.Exception == nil {
		t.Errorf("S3-001 = %+v, want exempted", r)
	}
	if r := result(e.Judge(obj, nsOf("team-a"), t0, nil), "S3-001"); r == nil || r.Exception != nil {
		t.Errorf("the first engine changed: S3-001 = %+v", r)
	}
	if !slices.Equal(e2.Policies(), []string{"p"}) {
		t.Errorf("policies %v", e2.Policies())
	}
}

// A namespace's labels are part of what the memo remembers: the same name
// with other labels is selected anew.
func TestNamespaceMemoFollowsLabels(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("team-a", nsLabels("team", "a"))), nil)
	obj := insecureBucket("ns", "b", nil)
	for i, tt := range []struct {
		ns   Namespace
		want int
	}{
		{nsOf("ns", "team", "a"), 1},
		{nsOf("ns", "team", "b"), 0},
		{nsOf("ns"), 0},
		{nsOf("ns", "team", "a"), 1},
	} {
		if got := len(e.Judge(obj, tt.ns, t0, nil).Policies); got != tt.want {
			t.Errorf("%d: %+v selected by %d policies, want %d", i, tt.ns, got, tt.want)
		}
	}
}

// The namespace memo stays within maxNamespaceMemo entries, and judging
// round robin over more namespaces than that still finds most of them
// remembered: a full memo forgets one namespace for each new one, not
// all of them.
func TestNamespaceMemoBoundedWithoutStartingOver(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("team-a", nsLabels("team", "a"), maxDuration(30*day))), nil)
	n := maxNamespaceMemo * 5 / 4
	nss := make([]Namespace, n)
	for i := range nss {
		nss[i] = nsOf(fmt.Sprintf("ns-%05d", i), "team", "a")
		e.MaxExceptionDuration(nss[i])
	}
	remembered := 0
	for _, ns := range nss {
		if _, ok := e.pols.memo.Load(ns.key()); ok {
			remembered++
		}
		if got := e.MaxExceptionDuration(ns); got != 30*day {
			t.Fatalf("%s: MaxExceptionDuration %s, want 30 days", ns.Name, got)
		}
	}
	entries := 0
	e.pols.memo.Range(func(any, any) bool { entries++; return true })
	if entries > maxNamespaceMemo || len(e.pols.memoKeys) != maxNamespaceMemo {
		t.Errorf("%d entries, %d keys; at most %d", entries, len(e.pols.memoKeys), maxNamespaceMemo)
	}
	// Evicting at random keeps about three in five of them here; starting
	// over kept none.
	if remembered < n*2/5 {
		t.Errorf("%d of %d namespaces remembered on the second round", remembered, n)
	}
}

// nonZero returns a value of type t that is not its zero value, or false
// for a type it does not know how to fill.
func nonZero(t reflect.Type) (reflect.Value, bool) {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Slice:
		e, ok := nonZero(t.Elem())
		if !ok {
			return v, false
		}
		v.Set(reflect.Append(v, e))
	case reflect.Map:
		k, ok1 := nonZero(t.Key())
		e, ok2 := nonZero(t.Elem())
		if !ok1 || !ok2 {
			return v, false
		}
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		e, ok := nonZero(t.Elem())
		if !ok {
			return v, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(e)
		v.Set(p)
	case reflect.Struct:
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			e, ok := nonZero(t.Field(i).Type)
			if !ok {
				return v, false
			}
			v.Field(i).Set(e)
		}
	default:
		return v, false
	}
	return v, true
}

// Every field of rules.Config (but the Resolver, which the judgement
// sets, and the document cache, which only saves parsing) is part of the configuration key: two policies differing in any
// parameter, present or added later, are never evaluated as one.
func TestConfigKeyCoversEveryConfigField(t *testing.T) {
	base := configKey(rules.Config{}, nil)
	ct := reflect.TypeFor[rules.Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		if f.Name == "Resolver" || f.Name == "Documents" {
			continue
		}
		val, ok := nonZero(f.Type)
		if !ok {
			t.Errorf("rules.Config.%s: this test cannot fill a %s; teach nonZero the type", f.Name, f.Type)
			continue
		}
		var cfg rules.Config
		reflect.ValueOf(&cfg).Elem().Field(i).Set(val)
		if configKey(cfg, nil) == base {
			t.Errorf("rules.Config.%s is not part of the configuration key: policies differing in it would be evaluated with one setting", f.Name)
		}
		if !f.IsExported() {
			t.Errorf("rules.Config.%s is unexported: the key cannot encode it", f.Name)
		}
	}
	if configKey(rules.Config{}, []string{"system:serviceaccount:a:b"}) == base {
		t.Error("the ACK controller list is not part of the configuration key")
	}
	if configKey(rules.Config{Resolver: stubResolver{}}, nil) != base {
		t.Error("the resolver changes the configuration key")
	}
	if configKey(rules.Config{Documents: policydoc.NewCache(1, 1)}, nil) != base {
		t.Error("the document cache changes the configuration key")
	}
}

type stubResolver struct{}

func (stubResolver) Get(schema.GroupVersionKind, string, string) (map[string]any, bool, error) {
	return nil, false, nil
}

// Policies differing in one parameter are evaluated apart: each fix runs
// with its own policy's value.
func TestPoliciesWithOtherParametersAreNotMerged(t *testing.T) {
	ten, twenty := int32(10), int32(20)
	e := New(reg, Defaults{}, policies(
		policy("a", rule("RDS-005", v1alpha1.Remediate), params(v1alpha1.Parameters{MinBackupRetentionDays: &ten})),
		policy("b", rule("RDS-005", v1alpha1.Remediate), params(v1alpha1.Parameters{MinBackupRetentionDays: &twenty})),
	), nil)
	if e.pols.byName["a"].cfgKey == e.pols.byName["b"].cfgKey {
		t.Fatal("two retention minimums share a configuration key")
	}
	j := e.Judge(dbInstance("team-a", "db", "backupRetentionPeriod", int64(15)), nsOf("team-a"), t0, nil)
	r := result(j, "RDS-005")
	if r == nil || r.FixPolicy != "b" {
		t.Fatalf("RDS-005 = %+v: want the finding of b's minimum of 20", r)
	}
	if got := fixMinimums(j, "RDS-005"); !slices.Equal(got, []int64{20}) {
		t.Errorf("fix runs under minimums %v, want 20 alone", got)
	}
}
