package governance

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// optInRegistry is S3-001 with an opt-in rule on buckets that fails every
// bucket, names the object lock mode its configuration requires, and
// counts its evaluations.
func optInRegistry(t *testing.T, evaluated *atomic.Int64) *rules.Registry {
	t.Helper()
	optIn := &rules.Rule{
		ID: "TST-001", Title: "test opt-in rule", Severity: rules.Medium,
		Kinds:     []schema.GroupKind{bucketGK},
		Admission: rules.Deny, Remediation: rules.Audit,
		OptIn: true,
		Check: func(in *rules.Input) []rules.Finding {
			evaluated.Add(1)
			return []rules.Finding{{Message: "mode " + in.Config.RequiredObjectLockMode}}
		},
	}
	r, err := rules.NewRegistry(reg.Rule("S3-001"), optIn)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An opt-in rule is off, and never evaluated, unless a policy lists it;
// a policy that lists it may also give its parameters.
func TestOptInRules(t *testing.T) {
	mode := func(m string) policyOpt {
		return params(v1alpha1.Parameters{RequiredObjectLockMode: m})
	}
	tests := []struct {
		name    string
		pols    []v1alpha1.GuardrailPolicy
		results []string
		want    []expect
		passed  []string
		message string // TST-001's message, when it has a result
	}{
		{name: "secure: no policy, the baseline leaves it off", results: []string{"S3-001"}, passed: []string{}},
		{name: "secure: a policy that does not list it", pols: policies(policy("p")), results: []string{"S3-001"}, passed: []string{}},
		{name: "tricky: defaultAction Enforce does not switch it on", pols: policies(policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce)))),
			results: []string{"S3-001"}, want: []expect{absent("TST-001")}},
		{name: "tricky: listed Disabled stays off", pols: policies(policy("p", rule("TST-001", v1alpha1.Disabled))), results: []string{"S3-001"}},
		{name: "insecure: listed with an action switches it on", pols: policies(policy("p", rule("TST-001", v1alpha1.Audit))),
			results: []string{"S3-001", "TST-001"}, want: []expect{audited("TST-001", "p")}, message: "mode "},
		{name: "insecure: listed Deny denies, with the policy's parameter", pols: policies(policy("p", rule("TST-001", v1alpha1.Deny), mode("COMPLIANCE"))),
			results: []string{"S3-001", "TST-001"}, want: []expect{denied("TST-001", "p")}, message: "mode COMPLIANCE"},
		{name: "tricky: one of two policies switches it on, with its own parameters", pols: policies(
			policy("a", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce)), mode("GOVERNANCE")),
			policy("b", rule("TST-001", v1alpha1.Audit), mode("COMPLIANCE")),
		), results: []string{"S3-001", "TST-001"}, want: []expect{audited("TST-001", "b")}, message: "mode COMPLIANCE"},
		{name: "tricky: a parameter alone does not switch it on", pols: policies(policy("p", mode("COMPLIANCE"))), results: []string{"S3-001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			r := optInRegistry(t, &n)
			e := New(r, Defaults{}, tt.pols, nil)
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
			if got := resultIDs(j); !slices.Equal(got, tt.results) {
				t.Errorf("results %v, want %v", got, tt.results)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			on := slices.Contains(tt.results, "TST-001")
			if got := n.Load(); (got > 0) != on {
				t.Errorf("TST-001 evaluated %d times, switched on: %v", got, on)
			}
			if tt.passed != nil && !slices.Equal(passedIDs(j), tt.passed) {
				t.Errorf("passed %v, want %v", passedIDs(j), tt.passed)
			}
			if res := result(j, "TST-001"); res != nil && res.Message != tt.message {
				t.Errorf("TST-001 message %q, want %q", res.Message, tt.message)
			}
			if _, ok := passedBy(j, "TST-001"); ok {
				t.Error("TST-001 passed: it fails every bucket")
			}
		})
	}
}

// The baseline lists an opt-in rule Disabled; OnAction is what switching
// it on with its catalog columns gives.
func TestOptInBaselineAndActions(t *testing.T) {
	var n atomic.Int64
	r := optInRegistry(t, &n)
	b := Baseline(r)
	if !slices.Equal(b.Spec.Rules, []v1alpha1.RuleAction{{ID: "S3-001", Action: v1alpha1.Enforce}, {ID: "TST-001", Action: v1alpha1.Disabled}}) {
		t.Errorf("baseline rules %+v", b.Spec.Rules)
	}
	optIn := r.Rule("TST-001")
	if optIn.OnByDefault() || !r.Rule("S3-001").OnByDefault() {
		t.Error("OnByDefault")
	}
	if got := CatalogAction(optIn); got != v1alpha1.Disabled {
		t.Errorf("CatalogAction = %s, want Disabled", got)
	}
	if got := OnAction(optIn); got != v1alpha1.Deny {
		t.Errorf("OnAction = %s, want Deny", got)
	}
	if p := ValidatePolicy(r, &b); len(p) != 0 {
		t.Errorf("baseline problems %v", p)
	}
	// Registry.Evaluate runs the rules on by default alone.
	for _, f := range r.Evaluate(insecureBucket("team-a", "b", nil), rules.Config{}) {
		if f.RuleID == "TST-001" {
			t.Error("Evaluate ran an opt-in rule")
		}
	}
	if n.Load() != 0 {
		t.Errorf("opt-in rule evaluated %d times", n.Load())
	}
	if got := r.EvaluateOnly(insecureBucket("team-a", "b", nil), rules.Config{}, func(x *rules.Rule) bool { return strings.HasPrefix(x.ID, "TST-") }); len(got) != 1 {
		t.Errorf("EvaluateOnly of the opt-in rule: %d findings", len(got))
	}
}

// The catalog's opt-in rules through the default registry: silent without
// a policy naming them, judged with the naming policy's parameters.
func TestCatalogOptInRules(t *testing.T) {
	const dev = "arn:aws:iam::111122223333:policy/DeveloperBoundary"
	role := func(boundary string) map[string]any {
		spec := map[string]any{"name": "app", "assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}
		if boundary != "" {
			spec["permissionsBoundary"] = boundary
		}
		return ackObj(view.RoleGVK, "team-a", "app", nil, spec)
	}
	boundaries := params(v1alpha1.Parameters{AllowedPermissionsBoundaries: []string{dev}})
	lockMode := params(v1alpha1.Parameters{RequiredObjectLockMode: "COMPLIANCE"})
	locked := bucketWith("team-a", "b", "objectLockEnabledForBucket", true)
	tests := []struct {
		name   string
		pols   []v1alpha1.GuardrailPolicy
		obj    map[string]any
		rule   string
		want   *expect // nil: no result
		passed bool
	}{
		{name: "secure: no policy, a role without a boundary", obj: role(""), rule: "IAM-017"},
		{name: "secure: a policy enforcing everything else", pols: policies(policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce)))), obj: role(""), rule: "IAM-017"},
		{name: "insecure: switched on, a role without a boundary", pols: policies(policy("p", rule("IAM-017", v1alpha1.Deny))), obj: role(""), rule: "IAM-017", want: ptrTo(denied("IAM-017", "p"))},
		{name: "insecure: switched on, a boundary not allowed", pols: policies(policy("p", rule("IAM-017", v1alpha1.Deny), boundaries)), obj: role("arn:aws:iam::111122223333:policy/Other"), rule: "IAM-017", want: ptrTo(denied("IAM-017", "p"))},
		{name: "secure: switched on, an allowed boundary", pols: policies(policy("p", rule("IAM-017", v1alpha1.Deny), boundaries)), obj: role(dev), rule: "IAM-017", passed: true},
		{name: "secure: no policy, a bucket without Object Lock", obj: bucketWith("team-a", "b"), rule: "S3-012"},
		{name: "tricky: Object Lock switched on without a mode", pols: policies(policy("p", rule("S3-012", v1alpha1.Audit))), obj: locked, rule: "S3-012", passed: true},
		{name: "tricky: Object Lock switched on, COMPLIANCE required", pols: policies(policy("p", rule("S3-012", v1alpha1.Audit), lockMode)), obj: locked, rule: "S3-012", want: ptrTo(audited("S3-012", "p"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.pols, nil)
			d := e.Admit(Request{Operation: Create, Object: tt.obj, Namespace: nsOf("team-a"), Now: t0})
			j := d.Judgement
			if tt.want == nil {
				checkResult(t, j, absent(tt.rule))
			} else {
				checkResult(t, j, *tt.want)
			}
			if _, ok := passedBy(j, tt.rule); ok != tt.passed {
				t.Errorf("%s passed = %v, want %v", tt.rule, ok, tt.passed)
			}
			for _, o := range d.Outcomes() {
				if o.RuleID == tt.rule && tt.want == nil {
					t.Errorf("outcome of a rule that is off: %+v", o)
				}
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
