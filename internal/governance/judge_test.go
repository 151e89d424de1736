package governance

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// mapJudgement is a judgement as mapJudge makes it.
type mapJudgement struct {
	j           Judgement // Policies, Results, Passed, Config, NextChange
	fixConfigs  map[string]rules.Config
	ackByPolicy map[string][]string
}

// mapJudge is how Judge worked before it judged without maps (per policy's
// ACK controllers, per rule enabled and failed, per finding key, per
// parameter set, per rule's position) and before the exception index:
// the reference the engine's judgements must match. exs are the
// exceptions the engine was built with.
func mapJudge(e *Engine, exs []v1alpha1.GuardrailException, obj map[string]any, ns Namespace, now time.Time, resolver rules.Resolver) mapJudgement {
	meta := view.ReadIdentity(obj)
	objLabels := labels.Set(meta.Labels)
	mj := mapJudgement{ackByPolicy: map[string][]string{}}
	j := &mj.j
	var selected []*CompiledPolicy
	nsSel := e.pols.namespace(ns)
	for _, p := range e.pols.selecting(nsSel, meta.GroupKind) {
		if p.sel.Matches(objLabels) {
			selected = append(selected, p)
			j.Policies = append(j.Policies, p.name)
			mj.ackByPolicy[p.name] = p.ackCtrl
		}
	}
	if len(selected) == 0 {
		return mj
	}
	j.Config = selected[0].cfg
	j.Config.Resolver = resolver
	kindRules := e.reg.RulesFor(meta.GroupKind)

	type acc struct {
		res   Result
		fixBy *CompiledPolicy
	}
	byKey := map[string]*acc{}
	var order []string
	failed := map[string]bool{}
	enabled := map[string]string{} // rule → first policy enabling it
	done := map[string]bool{}
	for _, p := range selected {
		if done[p.cfgKey] {
			continue
		}
		done[p.cfgKey] = true
		var group []*CompiledPolicy
		for _, q := range selected {
			if q.cfgKey == p.cfgKey {
				group = append(group, q)
			}
		}
		cfg := p.cfg
		cfg.Resolver = resolver
		keep := func(r *rules.Rule) bool {
			for _, q := range group {
				if q.action(r) != v1alpha1.Disabled {
					if _, ok := enabled[r.ID]; !ok {
						enabled[r.ID] = q.name
					}
					return true
				}
			}
			return false
		}
		for _, f := range e.reg.EvaluateOnly(obj, cfg, keep) {
			rule := e.reg.Rule(f.RuleID)
			failed[f.RuleID] = true
			a := byKey[f.Key()]
			if a == nil {
				a = &acc{res: Result{Finding: f, Category: Category(rule)}}
				byKey[f.Key()] = a
				order = append(order, f.Key())
			}
			for _, q := range group {
				adm, fix := split(q.action(rule))
				adm = findingAdmission(adm, rule, f)
				if adm > a.res.Admission {
					a.res.Admission, a.res.AdmissionPolicy = adm, q.name
				}
				if fix && rule.Fixer != nil && f.Fixable && !a.res.Fix {
					a.res.Fix, a.res.FixPolicy, a.fixBy = true, q.name, q
				}
			}
		}
	}
	for _, k := range order {
		a := byKey[k]
		a.res.Action = join(a.res.Admission, a.res.Fix)
		if ex := linearException(exs, obj, a.res.RuleID, nsSel.maxExc, now); ex != nil {
			a.res.Exception = &ExceptionRef{Namespace: ex.Namespace, Name: ex.Name, Reason: ex.Spec.Reason, ExpiresAt: ex.Spec.ExpiresAt.Time}
			a.res.Fix = false
			if j.NextChange.IsZero() || a.res.Exception.ExpiresAt.Before(j.NextChange) {
				j.NextChange = a.res.Exception.ExpiresAt
			}
		}
		if _, seen := mj.fixConfigs[a.res.RuleID]; a.res.Fix && !seen {
			if mj.fixConfigs == nil {
				mj.fixConfigs = map[string]rules.Config{}
			}
			cfg := a.fixBy.cfg
			cfg.Resolver = resolver
			mj.fixConfigs[a.res.RuleID] = cfg
		}
		j.Results = append(j.Results, a.res)
	}
	if len(j.Results) > 1 {
		pos := map[string]int{}
		for i, r := range kindRules {
			pos[r.ID] = i
		}
		slices.SortStableFunc(j.Results, func(a, b Result) int { return pos[a.RuleID] - pos[b.RuleID] })
	}
	for _, r := range kindRules {
		if p, ok := enabled[r.ID]; ok && !failed[r.ID] {
			j.Passed = append(j.Passed, RuleRef{Rule: r, Policy: p})
		}
	}
	return mj
}

// judgementDiff returns how got differs from the reference want, as far
// as anyone outside the engine can tell (users are the usernames to ask
// ACKControllerWrite about), or "".
func judgementDiff(got *Judgement, want mapJudgement, users []string) string {
	w := &want.j
	switch {
	case !reflect.DeepEqual(got.Policies, w.Policies):
		return fmt.Sprintf("Policies %v, want %v", got.Policies, w.Policies)
	case !reflect.DeepEqual(got.Results, w.Results):
		return fmt.Sprintf("Results\n%+v\nwant\n%+v", got.Results, w.Results)
	case !reflect.DeepEqual(got.Passed, w.Passed):
		return fmt.Sprintf("Passed %v, want %v", passedIDs(got), passedIDs(w))
	case !reflect.DeepEqual(got.Config, w.Config):
		return fmt.Sprintf("Config %+v, want %+v", got.Config, w.Config)
	case !reflect.DeepEqual(got.NextChange, w.NextChange):
		return fmt.Sprintf("NextChange %s, want %s", got.NextChange, w.NextChange)
	case !slices.Equal(got.ACKControllers(), union(mapLists(w.Policies, want.ackByPolicy))):
		return fmt.Sprintf("ACKControllers %v, want %v", got.ACKControllers(), union(mapLists(w.Policies, want.ackByPolicy)))
	}
	for _, rl := range reg.Rules() {
		wantCfg, ok := want.fixConfigs[rl.ID]
		if !ok {
			wantCfg = w.Config
		}
		if gotCfg := got.FixConfig(rl.ID); !reflect.DeepEqual(gotCfg, wantCfg) {
			return fmt.Sprintf("FixConfig(%s) %+v, want %+v", rl.ID, gotCfg, wantCfg)
		}
	}
	for _, r := range got.Results {
		for _, u := range users {
			if g, wnt := got.ACKControllerWrite(r, u), slices.Contains(want.ackByPolicy[r.AdmissionPolicy], u); g != wnt {
				return fmt.Sprintf("ACKControllerWrite(%s by %q, %s) = %v, want %v", r.RuleID, r.AdmissionPolicy, u, g, wnt)
			}
		}
	}
	return ""
}

// mapLists returns the lists of the named policies, in order.
func mapLists(names []string, byName map[string][]string) [][]string {
	var out [][]string
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out
}

var judgeUsers = []string{"sa:a", "sa:b", "sa:c"}

// randomJudgePolicy is a policy with random kinds, selectors, actions,
// default action and parameters; names collide now and then.
func randomJudgePolicy(r *rand.Rand, ruleIDs []string) v1alpha1.GuardrailPolicy {
	i32 := func(v int32) *int32 { return &v }
	opts := []policyOpt{
		nsSelector(randomSelector(r, "team", randTeams)), objSelector(randomSelector(r, "env", randEnvs)),
		maxDuration(time.Duration(1+r.IntN(90)) * day),
		defaultAction(pick(r, []v1alpha1.DefaultAction{"", v1alpha1.CatalogDefault, "Audit", "Enforce", "Remediate", "Deny", "Disabled"})),
	}
	if r.IntN(3) == 0 {
		opts = append(opts, kinds(pick(r, []schema.GroupKind{bucketGK, dbGK, sgGK})))
	}
	for range r.IntN(5) {
		opts = append(opts, rule(pick(r, ruleIDs), pick(r, []v1alpha1.Action{v1alpha1.Enforce, v1alpha1.Deny, v1alpha1.Remediate, v1alpha1.Audit, v1alpha1.Disabled})))
	}
	var pr v1alpha1.Parameters
	switch r.IntN(5) {
	case 0:
		pr.MinBackupRetentionDays = i32(int32(5 + r.IntN(20)))
	case 1:
		pr.AllowedPublicPorts = []v1alpha1.PortRange{{Protocol: "tcp", From: 8443, To: 8443}}
	case 2:
		pr.OwnerAccounts = []string{"111122223333"}
	}
	if r.IntN(2) == 0 {
		pr.ACKControllers = []string{pick(r, judgeUsers)}
	}
	opts = append(opts, params(pr))
	return policy(fmt.Sprintf("p-%d", r.IntN(6)), opts...)
}

// randomJudgeObject is a bucket, DBInstance or SecurityGroup with none,
// some or many findings.
func randomJudgeObject(r *rand.Rand, ns string) map[string]any {
	l := randomLabels(r)
	switch r.IntN(6) {
	case 0:
		return secureBucket(ns, "b", l)
	case 1:
		return insecureBucket(ns, "b", l)
	case 2:
		spec := secureBucketSpec("b")
		spec["policy"] = "{not json"
		delete(spec, "publicAccessBlock")
		return ackObj(view.BucketGVK, ns, "b", l, spec)
	case 3:
		spec := secureDBSpec()
		spec["backupRetentionPeriod"] = int64(r.IntN(25))
		spec["publiclyAccessible"] = r.IntN(2) == 0
		return ackObj(view.DBInstanceGVK, ns, "db", l, spec)
	case 4:
		return securityGroup(ns, "sg", pick(r, []int64{443, 8443, 22}), pick(r, []string{"0.0.0.0/0", "10.0.0.0/8"}))
	default:
		return ackObj(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, ns, "w", l, map[string]any{})
	}
}

// randomJudgeExceptions are up to ten exceptions over the test's
// namespaces, objects and rules, some expired or too long.
func randomJudgeExceptions(r *rand.Rand) []v1alpha1.GuardrailException {
	var exs []v1alpha1.GuardrailException
	for range r.IntN(10) {
		gk := pick(r, []schema.GroupKind{bucketGK, dbGK, sgGK})
		res := byName(gk, pick(r, []string{"b", "db", "sg"}))
		if r.IntN(3) == 0 {
			res = bySelector(gk, matchLabels("env", pick(r, randEnvs)))
		}
		ids := []string{pick(r, []string{"S3-001", "S3-005", "S3-006", "RDS-001", "RDS-005", "EC2-004"})}
		ex := exception(pick(r, randSpaces), "x", ids, t0.Add(time.Duration(r.IntN(72)-12)*time.Hour),
			exName(fmt.Sprintf("ex-%d", r.IntN(20))), resources(res), created(t0.Add(-time.Duration(r.IntN(100))*day)))
		exs = append(exs, ex)
	}
	return exs
}

// Judge decides exactly as the map-based judge did, over random policy
// sets (several selecting one object, with shared and distinct parameter
// sets, lenient and strict ACK controller lists, colliding names),
// objects, namespaces and exceptions.
func TestJudgeMatchesMapJudge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var ruleIDs []string
	for _, gk := range []schema.GroupKind{bucketGK, dbGK, sgGK} {
		for _, rl := range reg.RulesFor(gk) {
			ruleIDs = append(ruleIDs, rl.ID)
		}
	}
	multi := 0
	for round := range 300 {
		var ps []v1alpha1.GuardrailPolicy
		for range r.IntN(6) {
			ps = append(ps, randomJudgePolicy(r, ruleIDs))
		}
		d := Defaults{}
		if r.IntN(2) == 0 {
			d.ACKControllers = []string{"sa:a"}
		}
		exs := randomJudgeExceptions(r)
		e := New(reg, d, ps, exs)
		for range 10 {
			ns := randomNamespace(r)
			obj := randomJudgeObject(r, ns.Name)
			now := t0.Add(time.Duration(r.IntN(24)) * time.Hour)
			var resolver rules.Resolver
			if r.IntN(2) == 0 {
				resolver = stubResolver{}
			}
			got := e.Judge(obj, ns, now, resolver)
			if diff := judgementDiff(got, mapJudge(e, exs, obj, ns, now, resolver), judgeUsers); diff != "" {
				t.Fatalf("round %d: %v in %+v under %d policies: %s", round, obj["metadata"], ns, len(ps), diff)
			}
			if len(got.Policies) > 1 {
				multi++
			}
		}
	}
	if multi < 300 {
		t.Errorf("only %d judgements under several policies", multi)
	}
}

// Several policies selecting one object: the parameter sets are evaluated
// once each, in the order of their first policy; results follow the
// registry whatever set found them; the enabling, deciding and fixing
// policies are named; ACK controller lists stay each policy's own.
func TestJudgeSeveralPolicies(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	ack := func(users ...string) v1alpha1.Parameters { return v1alpha1.Parameters{ACKControllers: users} }
	owner := v1alpha1.Parameters{OwnerAccounts: []string{"111122223333"}}
	tests := []struct {
		name     string
		pols     []v1alpha1.GuardrailPolicy
		obj      map[string]any
		policies []string
		want     []expect
		passedBy map[string]string
		ack      []string        // ACKControllers
		ackWrite map[string]bool // rule → ACKControllerWrite for "sa:deployer"
		fixMin   map[string]int64
	}{
		{
			name: "secure: the first policy of the first parameter set to enable a rule is named",
			pols: policies(
				policy("a", rule("S3-005", v1alpha1.Disabled)),
				policy("b", params(owner), rule("S3-005", v1alpha1.Audit)),
				policy("c", rule("S3-005", v1alpha1.Audit)),
			),
			obj:      secureBucket("team-a", "b", nil),
			policies: []string{"a", "b", "c"},
			passedBy: map[string]string{"S3-005": "c", "S3-001": "a"},
		},
		{
			name: "insecure: a parameter set split by another: the strictest policy decides",
			pols: policies(
				policy("a", rule("S3-001", v1alpha1.Audit)),
				policy("b", params(owner), rule("S3-001", v1alpha1.Deny)),
				policy("c", rule("S3-001", v1alpha1.Enforce)),
			),
			policies: []string{"a", "b", "c"},
			want:     []expect{enforced("S3-001", "c"), remediated("S3-006", "a")},
		},
		{
			name: "insecure: the strict policy decides, the lenient one's ACK controller is not lifted",
			pols: policies(
				policy("lenient", params(ack("sa:deployer")), rule("S3-001", v1alpha1.Audit)),
				policy("strict", rule("S3-001", v1alpha1.Deny)),
			),
			policies: []string{"lenient", "strict"},
			want:     []expect{denied("S3-001", "strict"), remediated("S3-006", "lenient")},
			ack:      []string{"sa:deployer"},
			ackWrite: map[string]bool{"S3-001": false, "S3-006": true},
		},
		{
			name: "insecure: the policy naming the ACK controller decides",
			pols: policies(
				policy("a-strict", params(ack("sa:deployer")), rule("S3-001", v1alpha1.Deny)),
				policy("b-lenient", params(ack("sa:other")), rule("S3-001", v1alpha1.Audit)),
			),
			policies: []string{"a-strict", "b-lenient"},
			want:     []expect{denied("S3-001", "a-strict")},
			ack:      []string{"sa:deployer", "sa:other"},
			ackWrite: map[string]bool{"S3-001": true, "S3-006": true},
		},
		{
			name: "tricky: an object selector leaves the middle policy out, and its ACK controllers",
			pols: policies(
				policy("a", rule("S3-001", v1alpha1.Audit)),
				policy("b", objLabels("env", "prod"), params(ack("sa:deployer")), rule("S3-001", v1alpha1.Deny)),
				policy("c", params(ack("sa:c"))),
			),
			obj:      insecureBucket("team-a", "b", map[string]string{"env": "dev"}),
			policies: []string{"a", "c"},
			want:     []expect{enforced("S3-001", "c")},
			ack:      []string{"sa:c"},
			ackWrite: map[string]bool{"S3-001": false},
		},
		{
			name: "tricky: a later parameter set finds an earlier rule: results in registry order, fixes with their own set",
			pols: policies(
				policy("a", defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled)), params(v1alpha1.Parameters{MinBackupRetentionDays: i32(20)}),
					rule("RDS-005", v1alpha1.Remediate)),
				policy("b", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(3)}), rule("RDS-001", v1alpha1.Enforce)),
			),
			obj:      dbInstance("team-a", "db", "backupRetentionPeriod", int64(10), "publiclyAccessible", true),
			policies: []string{"a", "b"},
			want:     []expect{enforced("RDS-001", "b"), remediated("RDS-005", "a")},
			passedBy: map[string]string{"RDS-002": "b"},
			fixMin:   map[string]int64{"RDS-005": 20, "RDS-001": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := tt.obj
			if obj == nil {
				obj = insecureBucket("team-a", "b", nil)
			}
			e := New(reg, Defaults{}, tt.pols, nil)
			j := e.Judge(obj, nsOf("team-a"), t0, nil)
			if !slices.Equal(j.Policies, tt.policies) {
				t.Fatalf("policies %v, want %v", j.Policies, tt.policies)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			gk := view.ReadIdentity(obj).GroupKind
			var order []string
			for _, id := range ruleIDsFor(gk) {
				if result(j, id) != nil {
					order = append(order, id)
				}
			}
			if got := resultIDs(j); !slices.Equal(got, order) {
				t.Errorf("results %v, want registry order %v", got, order)
			}
			for id, want := range tt.passedBy {
				if got, ok := passedBy(j, id); !ok || got != want {
					t.Errorf("%s passed by %q (%v), want %q", id, got, ok, want)
				}
			}
			if got := j.ACKControllers(); !slices.Equal(got, tt.ack) {
				t.Errorf("ACKControllers %v, want %v", got, tt.ack)
			}
			for id, want := range tt.ackWrite {
				if r := result(j, id); r == nil || j.ACKControllerWrite(*r, "sa:deployer") != want {
					t.Errorf("%s: ACKControllerWrite(sa:deployer) is not %v", id, want)
				}
			}
			for id, want := range tt.fixMin {
				if got := j.FixConfig(id).MinBackupRetentionDays; got != want {
					t.Errorf("FixConfig(%s) minimum %d, want %d", id, got, want)
				}
			}
		})
	}
}

// A rule with several fixable findings, some found under one parameter
// set and some under another: the first fixable result of the rule, in
// the order found, decides the configuration its fix runs with.
func TestFixConfigOfARuleFoundUnderSeveralParameterSets(t *testing.T) {
	// TST-001 finds "x" always, and "y" too when the minimum is over 10.
	twoFindings := &rules.Rule{
		ID: "TST-001", Title: "two findings", Severity: rules.Low, Kinds: []schema.GroupKind{bucketGK},
		Admission: rules.Warn, Remediation: rules.Fix,
		Check: func(in *rules.Input) []rules.Finding {
			out := []rules.Finding{{Message: "x", Subject: "x", Fixable: true}}
			if in.Config.MinBackupRetentionDays > 10 {
				out = append(out, rules.Finding{Message: "y", Subject: "y", Fixable: true})
			}
			return out
		},
		Fixer: func(*rules.Mutation) error { return nil },
	}
	small, err := rules.NewRegistry(twoFindings)
	if err != nil {
		t.Fatal(err)
	}
	minimum := func(days int32) policyOpt { return params(v1alpha1.Parameters{MinBackupRetentionDays: &days}) }
	for _, tt := range []struct {
		name     string
		pols     []v1alpha1.GuardrailPolicy
		fixedBy  []string // FixPolicy of x and y
		wantDays int64
	}{
		{
			name:     "the first set finds x and fixes it",
			pols:     policies(policy("a", minimum(5), rule("TST-001", v1alpha1.Remediate)), policy("b", minimum(20), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"a", "b"},
			wantDays: 5,
		},
		{
			name:     "the first set finds x without fixing it",
			pols:     policies(policy("a", minimum(5), rule("TST-001", v1alpha1.Audit)), policy("b", minimum(20), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"b", "b"},
			wantDays: 20,
		},
		{
			name:     "the first set finds both",
			pols:     policies(policy("a", minimum(20), rule("TST-001", v1alpha1.Remediate)), policy("b", minimum(5), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"a", "a"},
			wantDays: 20,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := New(small, Defaults{}, tt.pols, nil)
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
			var fixedBy []string
			for _, r := range j.Results {
				fixedBy = append(fixedBy, r.FixPolicy)
			}
			if len(j.Results) != 2 || j.Results[0].Subject != "x" || !slices.Equal(fixedBy, tt.fixedBy) {
				t.Fatalf("results %+v, want x then y fixed by %v", j.Results, tt.fixedBy)
			}
			if got := j.FixConfig("TST-001").MinBackupRetentionDays; got != tt.wantDays {
				t.Errorf("TST-001 fixes with a minimum of %d, want %d", got, tt.wantDays)
			}
		})
	}
}
