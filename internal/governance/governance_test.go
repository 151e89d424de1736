package governance

import (
	"slices"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// ---- no policy: the implicit baseline ----

func TestImplicitBaseline(t *testing.T) {
	teamA := nsOf("team-a")
	tests := []struct {
		name     string
		policies []v1alpha1.GuardrailPolicy
		obj      map[string]any
		want     []expect
		results  []string
	}{
		{
			name: "secure: compliant bucket has no results",
			obj:  secureBucket("team-a", "b", nil),
		},
		{
			name:    "insecure: bare bucket gets catalog defaults",
			obj:     insecureBucket("team-a", "b", nil),
			results: []string{"S3-001", "S3-006"},
			want:    []expect{enforced("S3-001", "baseline"), remediated("S3-006", "baseline")},
		},
		{
			name:    "insecure: deny/audit and warn/audit rules",
			obj:     bucketWith("team-a", "b", "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}),
			results: []string{"S3-005"},
			want:    []expect{audited("S3-005", "baseline")},
		},
		{
			name:     "tricky: an empty, non-nil policy list is no policy",
			policies: []v1alpha1.GuardrailPolicy{},
			obj:      insecureBucket("team-a", "b", map[string]string{"env": "dev"}),
			results:  []string{"S3-001", "S3-006"},
			want:     []expect{enforced("S3-001", "baseline"), remediated("S3-006", "baseline")},
		},
		{
			name:    "tricky: RDS deny/fix rule through the baseline",
			obj:     dbInstance("team-a", "db", "publiclyAccessible", true),
			results: []string{"RDS-001"},
			want:    []expect{enforced("RDS-001", "baseline")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.policies, nil)
			if !e.Implicit() {
				t.Error("Implicit() = false with no policy")
			}
			if got := e.Policies(); !slices.Equal(got, []string{"baseline"}) {
				t.Errorf("Policies() = %v", got)
			}
			if p := e.Problems("baseline"); p != nil {
				t.Errorf("baseline problems: %v", p)
			}
			j := e.Judge(tt.obj, teamA, t0, nil)
			if !slices.Equal(j.Policies, []string{"baseline"}) {
				t.Errorf("judgement policies %v", j.Policies)
			}
			if got := resultIDs(j); !slices.Equal(got, tt.results) {
				t.Errorf("results %v, want %v", got, tt.results)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
		})
	}
}

func TestImplicitBaselineSummaries(t *testing.T) {
	e := New(reg, Defaults{}, nil, nil)
	j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
	if d := j.Denials(); len(d) != 1 || d[0].RuleID != "S3-001" {
		t.Errorf("Denials() = %v", d)
	}
	if got := j.FixRules(); !slices.Equal(got, []string{"S3-001", "S3-006"}) {
		t.Errorf("FixRules() = %v", got)
	}
	r := result(j, "S3-001")
	if r == nil || r.Category != "S3" || r.Policy() != "baseline" || r.Severity != rules.High || r.Path.String() != "spec.publicAccessBlock" {
		t.Errorf("S3-001 result %+v", r)
	}
	if !j.NextChange.IsZero() {
		t.Errorf("NextChange %v without exceptions", j.NextChange)
	}
}

// ---- policies exist but none selects the object ----

func TestNoPolicySelects(t *testing.T) {
	tests := []struct {
		name     string
		policies []v1alpha1.GuardrailPolicy
		obj      map[string]any
		ns       Namespace
		selected bool
	}{
		{
			name:     "secure: policy selects the namespace",
			policies: policies(policy("teams", nsLabels("team", "a"))),
			obj:      insecureBucket("team-a", "b", nil), ns: nsOf("team-a", "team", "a"), selected: true,
		},
		{
			name:     "insecure: namespace label differs",
			policies: policies(policy("teams", nsLabels("team", "a"))),
			obj:      insecureBucket("team-b", "b", nil), ns: nsOf("team-b", "team", "b"),
		},
		{
			name:     "insecure: only another kind selected",
			policies: policies(policy("rds", kinds(dbGK)), policy("sg", kinds(sgGK))),
			obj:      insecureBucket("team-a", "b", nil), ns: nsOf("team-a"),
		},
		{
			name:     "tricky: a policy with an invalid selector selects nothing",
			policies: policies(policy("broken", objSelector(badSelector())), policy("elsewhere", nsLabels("team", "z"))),
			obj:      insecureBucket("team-a", "b", nil), ns: nsOf("team-a"),
		},
		{
			name:     "tricky: namespace selected by kubernetes.io/metadata.name without labels",
			policies: policies(policy("by-name", nsLabels("kubernetes.io/metadata.name", "team-a"))),
			obj:      insecureBucket("team-a", "b", nil), ns: nsOf("team-a"), selected: true,
		},
		{
			name:     "tricky: metadata.name label overrides a stale label of that key",
			policies: policies(policy("by-name", nsLabels("kubernetes.io/metadata.name", "team-a"))),
			obj:      insecureBucket("team-b", "b", nil), ns: nsOf("team-b", "kubernetes.io/metadata.name", "team-a"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.policies, nil)
			if e.Implicit() {
				t.Error("Implicit() = true with policies")
			}
			j := e.Judge(tt.obj, tt.ns, t0, nil)
			if !tt.selected {
				if len(j.Results) != 0 || len(j.Policies) != 0 || len(j.Passed) != 0 || len(j.ACKControllers()) != 0 {
					t.Errorf("unselected object judged: policies %v results %v passed %v", j.Policies, resultIDs(j), passedIDs(j))
				}
				return
			}
			if len(j.Policies) != 1 || len(j.Results) == 0 {
				t.Errorf("selected object: policies %v results %v", j.Policies, resultIDs(j))
			}
		})
	}
}

// The namespace's name label is added on a copy: the caller's labels are
// left alone.
func TestNamespaceLabelSet(t *testing.T) {
	in := map[string]string{"team": "a", "kubernetes.io/metadata.name": "stale"}
	set := Namespace{Name: "team-a", Labels: in}.labelSet()
	if set["kubernetes.io/metadata.name"] != "team-a" || set["team"] != "a" || len(set) != 2 {
		t.Errorf("labelSet %v", set)
	}
	if in["kubernetes.io/metadata.name"] != "stale" {
		t.Error("caller's labels modified")
	}
	// Without a name (a scan of manifests without namespace) nothing is
	// added.
	if set := (Namespace{}).labelSet(); len(set) != 0 {
		t.Errorf("labelSet of an empty namespace %v", set)
	}
}

// ---- per-namespace actions ----

func TestPerNamespaceActions(t *testing.T) {
	ps := policies(
		policy("team-a-audit", nsLabels("team", "a"), rule("S3-001", v1alpha1.Audit)),
		policy("team-b-enforce", nsLabels("team", "b"), rule("S3-001", v1alpha1.Enforce)),
		policy("by-name", nsLabels("kubernetes.io/metadata.name", "legacy"), rule("S3-001", v1alpha1.Deny), rule("S3-006", v1alpha1.Disabled)),
	)
	e := New(reg, Defaults{}, ps, nil)
	tests := []struct {
		name     string
		ns       Namespace
		policies []string
		want     []expect
	}{
		{name: "secure: team a audits", ns: nsOf("team-a", "team", "a"), policies: []string{"team-a-audit"},
			want: []expect{audited("S3-001", "team-a-audit"), remediated("S3-006", "team-a-audit")}},
		{name: "insecure: team b enforces", ns: nsOf("team-b", "team", "b"), policies: []string{"team-b-enforce"},
			want: []expect{enforced("S3-001", "team-b-enforce"), remediated("S3-006", "team-b-enforce")}},
		{name: "tricky: unlabelled namespace is not governed", ns: nsOf("team-c")},
		{name: "tricky: selected by its name alone", ns: nsOf("legacy"), policies: []string{"by-name"},
			want: []expect{denied("S3-001", "by-name"), absent("S3-006")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := e.Judge(insecureBucket(tt.ns.Name, "b", nil), tt.ns, t0, nil)
			if !slices.Equal(j.Policies, tt.policies) {
				t.Errorf("policies %v, want %v", j.Policies, tt.policies)
			}
			if tt.want == nil && len(j.Results) != 0 {
				t.Errorf("results %v, want none", resultIDs(j))
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
		})
	}
}

// ---- strictest action wins, per dimension ----

// partnerWrites is a bucket policy that lets another account change it
// (S3-007, deny/audit, no fixer).
var partnerWrites = tlsOnly("b", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutBucketPolicy","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`)

func TestStrictestWins(t *testing.T) {
	bucketRules := ruleIDsFor(bucketGK)
	tests := []struct {
		name     string
		policies []v1alpha1.GuardrailPolicy
		obj      map[string]any
		want     []expect
		passed   []string // exact Passed IDs when non-nil
	}{
		{
			name:     "secure: Audit and Enforce give Enforce from the enforcing policy",
			policies: policies(policy("a-audit", rule("S3-001", v1alpha1.Audit)), policy("b-enforce", rule("S3-001", v1alpha1.Enforce))),
			want:     []expect{enforced("S3-001", "b-enforce")},
		},
		{
			name:     "secure: order of names does not matter",
			policies: policies(policy("z-audit", rule("S3-001", v1alpha1.Audit)), policy("a-enforce", rule("S3-001", v1alpha1.Enforce))),
			want:     []expect{enforced("S3-001", "a-enforce")},
		},
		{
			name: "insecure: Deny and Remediate join to Enforce, each dimension named",
			policies: policies(
				policy("deny-pol", rule("S3-001", v1alpha1.Deny)),
				policy("fix-pol", rule("S3-001", v1alpha1.Remediate)),
			),
			want: []expect{{rule: "S3-001", admission: DenyAdmission, fix: true, action: v1alpha1.Enforce, admPolicy: "deny-pol", fixPolicy: "fix-pol"}},
		},
		{
			name: "insecure: Remediate and Deny with the names swapped",
			policies: policies(
				policy("a-fix", rule("S3-001", v1alpha1.Remediate)),
				policy("b-deny", rule("S3-001", v1alpha1.Deny)),
			),
			want: []expect{{rule: "S3-001", admission: DenyAdmission, fix: true, action: v1alpha1.Enforce, admPolicy: "b-deny", fixPolicy: "a-fix"}},
		},
		{
			name: "tricky: Disabled everywhere gives no result and no pass",
			policies: policies(
				policy("p1", rule("S3-001", v1alpha1.Disabled)),
				policy("p2", rule("S3-001", v1alpha1.Disabled)),
			),
			want:   []expect{absent("S3-001"), remediated("S3-006", "p1")},
			passed: without(bucketRules, "S3-001", "S3-006"),
		},
		{
			name: "tricky: Disabled in one, Audit in another gives Audit",
			policies: policies(
				policy("a-off", rule("S3-001", v1alpha1.Disabled)),
				policy("b-audit", rule("S3-001", v1alpha1.Audit)),
			),
			want: []expect{audited("S3-001", "b-audit")},
		},
		{
			name: "tricky: equal strictness names the first policy",
			policies: policies(
				policy("beta", rule("S3-001", v1alpha1.Enforce)),
				policy("alpha", rule("S3-001", v1alpha1.Enforce)),
			),
			want: []expect{enforced("S3-001", "alpha")},
		},
		{
			name: "tricky: Enforce on a rule without a fixer only denies",
			policies: policies(
				policy("p", rule("S3-007", v1alpha1.Enforce)),
			),
			obj:  bucketWith("team-a", "b", "policy", partnerWrites),
			want: []expect{denied("S3-007", "p")},
		},
		{
			name: "tricky: Remediate alone on a rule without a fixer is Audit, no fix policy",
			policies: policies(
				policy("p", rule("S3-007", v1alpha1.Remediate)),
			),
			obj:  bucketWith("team-a", "b", "policy", partnerWrites),
			want: []expect{audited("S3-007", "p")},
		},
		{
			name: "tricky: Enforce on a warn/audit rule that has a fixer fixes it",
			policies: policies(
				policy("a", rule("S3-005", v1alpha1.Audit)),
				policy("b", rule("S3-005", v1alpha1.Enforce)),
			),
			obj:  bucketWith("team-a", "b", "ownershipControls", map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}),
			want: []expect{enforced("S3-005", "b")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := tt.obj
			if obj == nil {
				obj = insecureBucket("team-a", "b", nil)
			}
			e := New(reg, Defaults{}, tt.policies, nil)
			j := e.Judge(obj, nsOf("team-a"), t0, nil)
			if len(j.Policies) != len(tt.policies) {
				t.Errorf("policies %v", j.Policies)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			if tt.passed != nil && !slices.Equal(passedIDs(j), tt.passed) {
				t.Errorf("passed %v, want %v", passedIDs(j), tt.passed)
			}
		})
	}
}

// ---- defaultAction for unlisted rules ----

func TestDefaultAction(t *testing.T) {
	bucketRules := ruleIDsFor(bucketGK)
	tests := []struct {
		name    string
		pol     v1alpha1.GuardrailPolicy
		want    []expect
		results []string
		passed  []string
	}{
		{
			name:    "secure: CatalogDefault is the catalog",
			pol:     policy("p", defaultAction(v1alpha1.CatalogDefault)),
			results: []string{"S3-001", "S3-006"},
			want:    []expect{enforced("S3-001", "p"), remediated("S3-006", "p")},
			passed:  without(bucketRules, "S3-001", "S3-006"),
		},
		{
			name:    "secure: unset defaultAction is CatalogDefault",
			pol:     policy("p"),
			results: []string{"S3-001", "S3-006"},
			want:    []expect{enforced("S3-001", "p"), remediated("S3-006", "p")},
		},
		{
			name:    "insecure: Disabled turns every unlisted rule off",
			pol:     policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled))),
			results: nil,
			passed:  []string{},
		},
		{
			name:    "insecure: Enforce raises a warn/fix rule",
			pol:     policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce))),
			results: []string{"S3-001", "S3-006"},
			want:    []expect{enforced("S3-001", "p"), enforced("S3-006", "p")},
		},
		{
			name:    "tricky: listed rules override the default",
			pol:     policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled)), rule("S3-001", v1alpha1.Audit)),
			results: []string{"S3-001"},
			want:    []expect{audited("S3-001", "p"), absent("S3-006")},
			passed:  []string{},
		},
		{
			name:    "tricky: default Audit with a listed Enforce",
			pol:     policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Audit)), rule("S3-006", v1alpha1.Enforce)),
			results: []string{"S3-001", "S3-006"},
			want:    []expect{audited("S3-001", "p"), enforced("S3-006", "p")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, policies(tt.pol), nil)
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
			if got := resultIDs(j); !slices.Equal(got, tt.results) {
				t.Errorf("results %v, want %v", got, tt.results)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			if tt.passed != nil && !slices.Equal(passedIDs(j), tt.passed) {
				t.Errorf("passed %v, want %v", passedIDs(j), tt.passed)
			}
		})
	}
}

// ---- match.kinds and match.selector ----

func TestMatch(t *testing.T) {
	dev := map[string]string{"env": "dev"}
	tests := []struct {
		name     string
		pol      v1alpha1.GuardrailPolicy
		obj      map[string]any
		selected bool
	}{
		{name: "secure: kind listed", pol: policy("p", kinds(bucketGK)), obj: insecureBucket("team-a", "b", dev), selected: true},
		{name: "secure: one of several kinds", pol: policy("p", kinds(dbGK, bucketGK)), obj: insecureBucket("team-a", "b", dev), selected: true},
		{name: "secure: label selector matches", pol: policy("p", objLabels("env", "dev")), obj: insecureBucket("team-a", "b", dev), selected: true},
		{name: "secure: all of kinds, namespace and labels match", pol: policy("p", kinds(bucketGK), nsLabels("team", "a"), objLabels("env", "dev")), obj: insecureBucket("team-a", "b", dev), selected: true},
		{name: "insecure: kind not listed", pol: policy("p", kinds(dbGK)), obj: insecureBucket("team-a", "b", dev)},
		{name: "insecure: label differs", pol: policy("p", objLabels("env", "prod")), obj: insecureBucket("team-a", "b", dev)},
		{name: "insecure: object without labels", pol: policy("p", objLabels("env", "dev")), obj: insecureBucket("team-a", "b", nil)},
		{name: "insecure: labels match but namespace does not", pol: policy("p", nsLabels("team", "z"), objLabels("env", "dev")), obj: insecureBucket("team-a", "b", dev)},
		{name: "tricky: same kind name, other group", pol: policy("p", kinds(schema.GroupKind{Group: "s3.example.com", Kind: "Bucket"})), obj: insecureBucket("team-a", "b", dev)},
		{name: "tricky: kind is case-sensitive", pol: policy("p", kinds(schema.GroupKind{Group: bucketGK.Group, Kind: "bucket"})), obj: insecureBucket("team-a", "b", dev)},
		{name: "tricky: DoesNotExist selects unlabelled objects", pol: policy("p", objSelector(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "ackguard.dev/skip", Operator: metav1.LabelSelectorOpDoesNotExist},
		}})), obj: insecureBucket("team-a", "b", nil), selected: true},
		{name: "tricky: NotIn excludes a labelled object", pol: policy("p", objSelector(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev", "test"}},
		}})), obj: insecureBucket("team-a", "b", dev)},
		{name: "tricky: non-string label values are ignored", pol: policy("p", objLabels("env", "dev")), obj: func() map[string]any {
			o := insecureBucket("team-a", "b", nil)
			o["metadata"].(map[string]any)["labels"] = map[string]any{"env": 1}
			return o
		}()},
		{name: "tricky: empty selector selects everything", pol: policy("p", objSelector(&metav1.LabelSelector{})), obj: insecureBucket("team-a", "b", nil), selected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// "elsewhere" is in force and selects nothing here, so a p
			// that selects no guarded kind does not bring in the baseline.
			e := New(reg, Defaults{}, policies(tt.pol, policy("elsewhere", nsLabels("team", "z"))), nil)
			j := e.Judge(tt.obj, nsOf("team-a", "team", "a"), t0, nil)
			got := len(j.Policies) == 1
			if got != tt.selected {
				t.Fatalf("selected = %v, want %v (policies %v)", got, tt.selected, j.Policies)
			}
			if tt.selected {
				checkResult(t, j, enforced("S3-001", "p"))
			} else if len(j.Results) != 0 {
				t.Errorf("results %v for an unselected object", resultIDs(j))
			}
		})
	}
}

// A policy that selects only DB instances does not judge a bucket, while
// another one does, and vice versa.
func TestMatchKindsSplitsPolicies(t *testing.T) {
	e := New(reg, Defaults{}, policies(
		policy("buckets", kinds(bucketGK), rule("S3-001", v1alpha1.Audit)),
		policy("dbs", kinds(dbGK), rule("RDS-001", v1alpha1.Audit)),
	), nil)
	ns := nsOf("team-a")
	jb := e.Judge(insecureBucket("team-a", "b", nil), ns, t0, nil)
	if !slices.Equal(jb.Policies, []string{"buckets"}) {
		t.Errorf("bucket policies %v", jb.Policies)
	}
	checkResult(t, jb, audited("S3-001", "buckets"))
	jd := e.Judge(dbInstance("team-a", "db", "publiclyAccessible", true), ns, t0, nil)
	if !slices.Equal(jd.Policies, []string{"dbs"}) {
		t.Errorf("db policies %v", jd.Policies)
	}
	checkResult(t, jd, audited("RDS-001", "dbs"))
}

// ---- Problems and ValidatePolicy ----

func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		pol      v1alpha1.GuardrailPolicy
		problems [][]string // each: substrings one problem must contain
		usable   bool
	}{
		{name: "secure: valid policy", pol: policy("p", kinds(bucketGK), nsLabels("team", "a"), rule("S3-001", v1alpha1.Audit)), usable: true},
		{name: "insecure: invalid selector", pol: policy("p", objSelector(badSelector())),
			problems: [][]string{{"spec.match.selector", "Sometimes"}}},
		{name: "insecure: invalid namespace selector", pol: policy("p", nsSelector(badSelector())),
			problems: [][]string{{"spec.match.namespaceSelector"}}},
		{name: "insecure: invalid label value", pol: policy("p", objLabels("env", "not a valid value!")),
			problems: [][]string{{"spec.match.selector"}}},
		{name: "tricky: unknown rule ID is reported but the policy applies", pol: policy("p", rule("S3-999", v1alpha1.Enforce), rule("S3-001", v1alpha1.Audit)),
			problems: [][]string{{"spec.rules[0].id", "no rule S3-999"}}, usable: true},
		{name: "tricky: duplicate rule ID", pol: policy("p", rule("S3-001", v1alpha1.Audit), rule("S3-006", v1alpha1.Audit), rule("S3-001", v1alpha1.Audit)),
			problems: [][]string{{"spec.rules[2].id", "S3-001 is listed twice"}}, usable: true},
		{name: "tricky: unguarded kind", pol: policy("p", kinds(schema.GroupKind{Group: "apps", Kind: "Deployment"}, bucketGK)),
			problems: [][]string{{"spec.match.kinds[0]", "Deployment.apps"}}, usable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := tt.pol
			direct := ValidatePolicy(reg, &pol)
			// "elsewhere" is usable and selects nothing here, so an
			// unusable p does not bring in the baseline.
			e := New(reg, Defaults{}, policies(pol, policy("elsewhere", nsLabels("team", "z"))), nil)
			viaEngine := e.Problems("p")
			if !slices.Equal(direct, viaEngine) {
				t.Errorf("ValidatePolicy %v != Problems %v", direct, viaEngine)
			}
			if len(viaEngine) != len(tt.problems) {
				t.Errorf("problems %q, want %d", viaEngine, len(tt.problems))
			}
			for _, subs := range tt.problems {
				if !hasProblem(viaEngine, subs...) {
					t.Errorf("no problem with %q in %q", subs, viaEngine)
				}
			}
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a", "team", "a"), t0, nil)
			if got := len(j.Policies) == 1; got != tt.usable {
				t.Errorf("usable = %v, want %v", got, tt.usable)
			}
			if e.Implicit() {
				t.Error("an invalid policy must not bring in the baseline")
			}
		})
	}
	// Problems of an unknown policy, or of a fine one, are nil; the
	// returned slice is a copy.
	e := New(reg, Defaults{}, policies(policy("fine"), policy("bad", rule("XX-001", v1alpha1.Audit))), nil)
	if e.Problems("nope") != nil || e.Problems("fine") != nil {
		t.Errorf("Problems: nope %v fine %v", e.Problems("nope"), e.Problems("fine"))
	}
	p := e.Problems("bad")
	p[0] = "changed"
	if e.Problems("bad")[0] == "changed" {
		t.Error("Problems returns the engine's own slice")
	}
}

// The listed action of an unknown rule does not leak into a known one, and
// the last duplicate wins consistently.
func TestUnknownAndDuplicateRules(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("p",
		defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled)),
		rule("S3-999", v1alpha1.Enforce),
		rule("S3-001", v1alpha1.Enforce),
		rule("S3-001", v1alpha1.Audit),
	)), nil)
	j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
	if got := resultIDs(j); !slices.Equal(got, []string{"S3-001"}) {
		t.Errorf("results %v", got)
	}
	checkResult(t, j, audited("S3-001", "p"))
}

// ---- parameters ----

func TestParameters(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	allow := func(proto string, from, to int32) policyOpt {
		return params(v1alpha1.Parameters{AllowedPublicPorts: []v1alpha1.PortRange{{Protocol: proto, From: from, To: to}}})
	}
	partnerPolicy := partnerWrites
	tests := []struct {
		name     string
		defaults Defaults
		pols     []v1alpha1.GuardrailPolicy
		obj      map[string]any
		rule     string
		fails    bool
		extra    []expect
	}{
		{name: "secure: port 443 is allowed by default", pols: policies(policy("p")), obj: securityGroup("team-a", "sg", 443, "0.0.0.0/0"), rule: "EC2-004"},
		{name: "insecure: port 8443 fails by default", pols: policies(policy("p")), obj: securityGroup("team-a", "sg", 8443, "0.0.0.0/0"), rule: "EC2-004", fails: true,
			extra: []expect{denied("EC2-004", "p")}},
		{name: "secure: policy allows tcp 8443", pols: policies(policy("p", allow("tcp", 8443, 8443))), obj: securityGroup("team-a", "sg", 8443, "0.0.0.0/0"), rule: "EC2-004"},
		{name: "tricky: allowing udp 8443 does not allow tcp", pols: policies(policy("p", allow("udp", 8443, 8443))), obj: securityGroup("team-a", "sg", 8443, "0.0.0.0/0"), rule: "EC2-004", fails: true},
		{name: "tricky: allowed list replaces 80/443", pols: policies(policy("p", allow("tcp", 8443, 8443))), obj: securityGroup("team-a", "sg", 443, "0.0.0.0/0"), rule: "EC2-004", fails: true},
		{name: "tricky: allowing 8080 leaves the high-risk rule", pols: policies(policy("p", allow("tcp", 8000, 9000))), obj: securityGroup("team-a", "sg", 8080, "0.0.0.0/0"), rule: "EC2-004",
			extra: []expect{enforced("EC2-003", "p")}},
		{name: "tricky: defaults allow, policy without ports keeps them", defaults: Defaults{Config: rules.Config{AllowedPublicPorts: []rules.PortRange{{Protocol: "tcp", From: 8443, To: 8443}}}},
			pols: policies(policy("p")), obj: securityGroup("team-a", "sg", 8443, "0.0.0.0/0"), rule: "EC2-004"},

		{name: "secure: 14 days of backups", pols: policies(policy("p")), obj: dbInstance("team-a", "db"), rule: "RDS-005"},
		{name: "insecure: 3 days fails the default 7", pols: policies(policy("p")), obj: dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)), rule: "RDS-005", fails: true,
			extra: []expect{remediated("RDS-005", "p")}},
		{name: "secure: policy minimum 3", pols: policies(policy("p", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(3)}))), obj: dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)), rule: "RDS-005"},
		{name: "tricky: policy minimum 30 fails 14 days", pols: policies(policy("p", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(30)}))), obj: dbInstance("team-a", "db"), rule: "RDS-005", fails: true},
		{name: "tricky: manager default 3 applies without a policy parameter", defaults: Defaults{Config: rules.Config{MinBackupRetentionDays: 3}},
			pols: policies(policy("p")), obj: dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)), rule: "RDS-005"},
		{name: "tricky: policy parameter overrides the manager default", defaults: Defaults{Config: rules.Config{MinBackupRetentionDays: 3}},
			pols: policies(policy("p", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(7)}))), obj: dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)), rule: "RDS-005", fails: true},

		{name: "insecure: other account may change the bucket policy", pols: policies(policy("p")), obj: bucketWith("team-a", "b", "policy", partnerPolicy), rule: "S3-007", fails: true,
			extra: []expect{denied("S3-007", "p")}},
		{name: "secure: policy declares the owner account", pols: policies(policy("p", params(v1alpha1.Parameters{OwnerAccounts: []string{"444455556666"}}))),
			obj: bucketWith("team-a", "b", "policy", partnerPolicy), rule: "S3-007"},
		{name: "tricky: owner accounts of the manager defaults", defaults: Defaults{Config: rules.Config{OwnerAccounts: []string{"444455556666"}}},
			pols: policies(policy("p")), obj: bucketWith("team-a", "b", "policy", partnerPolicy), rule: "S3-007"},
		{name: "tricky: implicit baseline uses the manager defaults", defaults: Defaults{Config: rules.Config{OwnerAccounts: []string{"444455556666"}}},
			obj: bucketWith("team-a", "b", "policy", partnerPolicy), rule: "S3-007"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, tt.defaults, tt.pols, nil)
			j := e.Judge(tt.obj, nsOf("team-a"), t0, nil)
			r := result(j, tt.rule)
			if (r != nil) != tt.fails {
				t.Fatalf("%s failed = %v, want %v (results %v)", tt.rule, r != nil, tt.fails, resultIDs(j))
			}
			if _, ok := passedBy(j, tt.rule); ok == tt.fails {
				t.Errorf("%s passed = %v, want %v", tt.rule, ok, !tt.fails)
			}
			for _, w := range tt.extra {
				checkResult(t, j, w)
			}
		})
	}
}

// Two policies with different parameters select one object: each is
// evaluated with its own parameters, and a finding only one of them makes
// takes only that policy's action.
func TestParametersPerPolicy(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	allow8443 := params(v1alpha1.Parameters{AllowedPublicPorts: []v1alpha1.PortRange{{Protocol: "tcp", From: 8443, To: 8443}}})
	tests := []struct {
		name string
		pols []v1alpha1.GuardrailPolicy
		obj  map[string]any
		want []expect
	}{
		{
			name: "secure: both allow the port",
			pols: policies(
				policy("a-strict", allow8443, rule("EC2-004", v1alpha1.Enforce)),
				policy("b-lax", allow8443, rule("EC2-004", v1alpha1.Audit)),
			),
			obj:  securityGroup("team-a", "sg", 8443, "0.0.0.0/0"),
			want: []expect{absent("EC2-004")},
		},
		{
			name: "insecure: the policy that allows the port does not decide",
			pols: policies(
				policy("a-allows", allow8443, rule("EC2-004", v1alpha1.Deny)),
				policy("b-default", rule("EC2-004", v1alpha1.Audit)),
			),
			obj:  securityGroup("team-a", "sg", 8443, "0.0.0.0/0"),
			want: []expect{audited("EC2-004", "b-default")},
		},
		{
			name: "insecure: both find it, strictest wins",
			pols: policies(
				policy("a-allows-80", params(v1alpha1.Parameters{AllowedPublicPorts: []v1alpha1.PortRange{{Protocol: "tcp", From: 80, To: 80}}}), rule("EC2-004", v1alpha1.Deny)),
				policy("b-default", rule("EC2-004", v1alpha1.Audit)),
			),
			obj:  securityGroup("team-a", "sg", 8443, "0.0.0.0/0"),
			want: []expect{denied("EC2-004", "a-allows-80")},
		},
		{
			name: "tricky: RDS minimum differs per policy",
			pols: policies(
				policy("a-min3", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(3)}), rule("RDS-005", v1alpha1.Enforce)),
				policy("b-min7", rule("RDS-005", v1alpha1.Audit)),
			),
			obj:  dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)),
			want: []expect{audited("RDS-005", "b-min7")},
		},
		{
			name: "tricky: same parameters, different actions, evaluated once",
			pols: policies(
				policy("a", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(10)}), rule("RDS-005", v1alpha1.Deny)),
				policy("b", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(10)}), rule("RDS-005", v1alpha1.Remediate)),
			),
			obj:  dbInstance("team-a", "db", "backupRetentionPeriod", int64(7)),
			want: []expect{{rule: "RDS-005", admission: DenyAdmission, fix: true, action: v1alpha1.Enforce, admPolicy: "a", fixPolicy: "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.pols, nil)
			j := e.Judge(tt.obj, nsOf("team-a"), t0, nil)
			if len(j.Policies) != 2 {
				t.Errorf("policies %v", j.Policies)
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			// Results are one per finding key even when both evaluations
			// find the same thing.
			seen := map[string]bool{}
			for _, r := range j.Results {
				if seen[r.Key()] {
					t.Errorf("duplicate result %s", r.Text())
				}
				seen[r.Key()] = true
			}
		})
	}
}

// The judgement's Config is the first selected policy's, with the
// resolver; the engine's Defaults resolver never leaks in.
func TestJudgementConfig(t *testing.T) {
	type fakeResolver struct{ rules.Resolver }
	res := fakeResolver{}
	i32 := func(v int32) *int32 { return &v }
	d := Defaults{Config: rules.Config{OwnerAccounts: []string{"111122223333"}, Resolver: fakeResolver{}}}
	e := New(reg, d, policies(
		policy("b", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(20)})),
		policy("a", params(v1alpha1.Parameters{MinBackupRetentionDays: i32(10), TrustedAccounts: []string{"999999999999"}, TrustedOrganizations: []string{"o-abcdefghij"}})),
	), nil)
	j := e.Judge(dbInstance("team-a", "db"), nsOf("team-a"), t0, res)
	if j.Config.MinBackupRetentionDays != 10 || !slices.Equal(j.Config.OwnerAccounts, []string{"111122223333"}) ||
		!slices.Equal(j.Config.TrustedAccounts, []string{"999999999999"}) || !slices.Equal(j.Config.TrustedOrgs, []string{"o-abcdefghij"}) {
		t.Errorf("Config %+v", j.Config)
	}
	if j.Config.Resolver != res {
		t.Errorf("Config.Resolver is not the one passed to Judge")
	}
	// RDS-005 under a (10) passes 14 days; under b (20) it fails.
	checkResult(t, j, remediated("RDS-005", "b"))
	j2 := e.Judge(dbInstance("team-a", "db"), nsOf("team-a"), t0, nil)
	if j2.Config.Resolver != nil {
		t.Error("nil resolver replaced by the defaults' resolver")
	}
}

// ---- ACK controllers ----

func TestACKControllers(t *testing.T) {
	ack := func(users ...string) policyOpt {
		return params(v1alpha1.Parameters{ACKControllers: users})
	}
	d := Defaults{ACKControllers: []string{"sa:s3"}}
	tests := []struct {
		name   string
		d      Defaults
		pols   []v1alpha1.GuardrailPolicy
		engine []string
		judged []string // for a bucket in team-a labelled team=a
	}{
		{name: "secure: defaults only, implicit baseline", d: d, engine: []string{"sa:s3"}, judged: []string{"sa:s3"}},
		{name: "secure: no defaults, no policy", engine: nil, judged: nil},
		{name: "insecure: union of defaults and policies, without duplicates", d: d,
			pols:   policies(policy("a", ack("sa:rds", "sa:s3")), policy("b", ack("sa:ec2"))),
			engine: []string{"sa:s3", "sa:rds", "sa:ec2"}, judged: []string{"sa:s3", "sa:rds", "sa:ec2"}},
		{name: "tricky: Judge unions only the selecting policies", d: d,
			pols:   policies(policy("a", ack("sa:rds")), policy("b", nsLabels("team", "b"), ack("sa:ec2"))),
			engine: []string{"sa:s3", "sa:rds", "sa:ec2"}, judged: []string{"sa:s3", "sa:rds"}},
		{name: "tricky: only an unusable policy: the baseline guards, with the defaults", d: d,
			pols:   policies(policy("a", objSelector(badSelector()), ack("sa:x"))),
			engine: []string{"sa:s3"}, judged: []string{"sa:s3"}},
		{name: "tricky: a policy selecting no guarded kind beside one in force: its list is not in force", d: d,
			pols:   policies(policy("a", ack("sa:rds")), policy("typo", kinds(schema.GroupKind{Group: "s3.services.k8s.aws", Kind: "bucket"}), ack("sa:x"))),
			engine: []string{"sa:s3", "sa:rds"}, judged: []string{"sa:s3", "sa:rds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, tt.d, tt.pols, nil)
			if got := e.ACKControllers(); !slices.Equal(got, tt.engine) {
				t.Errorf("ACKControllers() = %v, want %v", got, tt.engine)
			}
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a", "team", "a"), t0, nil)
			if !slices.Equal(j.ACKControllers(), tt.judged) {
				t.Errorf("judgement ACKControllers = %v, want %v", j.ACKControllers(), tt.judged)
			}
		})
	}
	// The defaults slice is not aliased by the engine.
	dd := Defaults{ACKControllers: make([]string, 1, 4)}
	dd.ACKControllers[0] = "sa:s3"
	e := New(reg, dd, policies(policy("a", ack("sa:rds")), policy("b", ack("sa:ec2"))), nil)
	if got := e.ACKControllers(); !slices.Equal(got, []string{"sa:s3", "sa:rds", "sa:ec2"}) {
		t.Errorf("ACKControllers() = %v", got)
	}
	if got := dd.ACKControllers[:cap(dd.ACKControllers)]; got[1] != "" {
		t.Errorf("defaults' backing array written: %v", got)
	}
}

// ---- Passed ----

func TestPassed(t *testing.T) {
	bucketRules := ruleIDsFor(bucketGK)
	tests := []struct {
		name   string
		pols   []v1alpha1.GuardrailPolicy
		obj    map[string]any
		passed []string
		by     map[string]string
	}{
		{name: "secure: every bucket rule passes", pols: policies(policy("p")), obj: secureBucket("team-a", "b", nil),
			passed: bucketRules, by: map[string]string{"S3-001": "p", "POL-001": "p"}},
		{name: "insecure: failed rules are not passed", pols: policies(policy("p")), obj: insecureBucket("team-a", "b", nil),
			passed: without(bucketRules, "S3-001", "S3-006"), by: map[string]string{"S3-005": "p"}},
		{name: "tricky: disabled rules are not passed", pols: policies(policy("p", rule("S3-005", v1alpha1.Disabled))), obj: secureBucket("team-a", "b", nil),
			passed: without(bucketRules, "S3-005")},
		{name: "tricky: the enabling policy is named", pols: policies(
			policy("a", rule("S3-005", v1alpha1.Disabled)),
			policy("b", rule("S3-005", v1alpha1.Audit)),
		), obj: secureBucket("team-a", "b", nil), passed: bucketRules, by: map[string]string{"S3-005": "b", "S3-001": "a"}},
		{name: "tricky: implicit baseline", obj: secureBucket("team-a", "b", nil), passed: bucketRules, by: map[string]string{"S3-013": "baseline"}},
		{name: "tricky: only the object's kind", pols: policies(policy("p")), obj: dbInstance("team-a", "db"), passed: ruleIDsFor(dbGK)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.pols, nil)
			j := e.Judge(tt.obj, nsOf("team-a"), t0, nil)
			if got := passedIDs(j); !slices.Equal(got, tt.passed) {
				t.Errorf("passed %v, want %v", got, tt.passed)
			}
			for id, want := range tt.by {
				if got, ok := passedBy(j, id); !ok || got != want {
					t.Errorf("%s passed by %q (%v), want %q", id, got, ok, want)
				}
			}
			for _, r := range j.Passed {
				if result(j, r.Rule.ID) != nil {
					t.Errorf("%s both passed and failed", r.Rule.ID)
				}
			}
		})
	}
}

// ---- findings a rule lowered or raised ----

func TestFindingAdmissionInJudge(t *testing.T) {
	invalid := bucketWith("team-a", "b", "policy", "{not json")
	tests := []struct {
		name string
		pol  v1alpha1.GuardrailPolicy
		obj  map[string]any
		want []expect
	}{
		{
			name: "secure: valid policy, nothing to lower",
			pol:  policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce))),
			obj:  secureBucket("team-a", "b", nil),
		},
		{
			name: "insecure: invalid policy denies through POL-001 only",
			pol:  policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce))),
			obj:  invalid,
			want: []expect{
				denied("POL-001", "p"),
				// deny rules that could not judge: a warning, never a denial,
				// and nothing to fix.
				audited("S3-002", "p"), audited("S3-003", "p"), audited("S3-007", "p"), audited("S3-013", "p"), audited("POL-002", "p"),
			},
		},
		{
			name: "tricky: lowered finding under Deny stays a warning",
			pol:  policy("p", rule("S3-003", v1alpha1.Deny)),
			obj:  invalid,
			want: []expect{audited("S3-003", "p")},
		},
		{
			name: "tricky: lowered finding under Disabled stays away",
			pol:  policy("p", rule("S3-003", v1alpha1.Disabled)),
			obj:  invalid,
			want: []expect{absent("S3-003")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, policies(tt.pol), nil)
			j := e.Judge(tt.obj, nsOf("team-a"), t0, nil)
			if tt.want == nil && len(j.Results) != 0 {
				t.Errorf("results %v", resultIDs(j))
			}
			for _, w := range tt.want {
				checkResult(t, j, w)
			}
			for _, d := range j.Denials() {
				if d.Finding.Action == rules.Warn && reg.Rule(d.RuleID).Admission == rules.Deny {
					t.Errorf("lowered finding denies: %s", d.Text())
				}
			}
		})
	}
}

// A warn rule whose check panics yields a deny finding, which denies
// wherever the rule is enabled, even under Audit; under Disabled it is not
// even evaluated.
func TestFindingRaisedToDeny(t *testing.T) {
	panicky := &rules.Rule{
		ID: "TST-001", Title: "panics", Severity: rules.Low, Kinds: []schema.GroupKind{bucketGK},
		Admission: rules.Warn, Remediation: rules.Audit,
		Check: func(*rules.Input) []rules.Finding { panic("boom") },
	}
	quiet := &rules.Rule{
		ID: "TST-002", Title: "quiet", Severity: rules.Low, Kinds: []schema.GroupKind{bucketGK},
		Admission: rules.Deny, Remediation: rules.Audit,
		Check: func(*rules.Input) []rules.Finding { return nil },
	}
	small, err := rules.NewRegistry(panicky, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		action v1alpha1.Action
		want   expect
	}{
		{v1alpha1.Audit, denied("TST-001", "p")},
		{v1alpha1.Remediate, denied("TST-001", "p")},
		{v1alpha1.Enforce, denied("TST-001", "p")},
		{v1alpha1.Disabled, absent("TST-001")},
	} {
		t.Run(string(tc.action), func(t *testing.T) {
			e := New(small, Defaults{}, policies(policy("p", rule("TST-001", tc.action))), nil)
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
			if tc.action == v1alpha1.Remediate || tc.action == v1alpha1.Enforce {
				// The finding has no fix: the drift dimension stays off.
				if r := result(j, "TST-001"); r == nil || r.Fix {
					t.Errorf("result %+v", r)
				}
			}
			checkResult(t, j, tc.want)
			if got := passedIDs(j); !slices.Equal(got, []string{"TST-002"}) {
				t.Errorf("passed %v", got)
			}
		})
	}
}

// ---- results and odd objects ----

func TestResultsOrder(t *testing.T) {
	// Findings in registry order, whatever the policy order.
	obj := bucketWith("team-a", "b", "policy", "{not json", "publicAccessBlock", nil)
	e := New(reg, Defaults{}, policies(policy("z"), policy("a", defaultAction(v1alpha1.DefaultAction(v1alpha1.Audit)))), nil)
	j := e.Judge(obj, nsOf("team-a"), t0, nil)
	var want []string
	for _, id := range ruleIDsFor(bucketGK) {
		if result(j, id) != nil {
			want = append(want, id)
		}
	}
	if got := resultIDs(j); !slices.Equal(got, want) || len(got) < 5 {
		t.Errorf("results %v, want registry order %v", got, want)
	}
	if !slices.Equal(j.Policies, []string{"a", "z"}) {
		t.Errorf("policies %v, want sorted", j.Policies)
	}
	if got := e.Policies(); !slices.Equal(got, []string{"a", "z"}) {
		t.Errorf("Policies() %v", got)
	}
}

func TestOddObjects(t *testing.T) {
	e := New(reg, Defaults{}, nil, nil)
	tests := []struct {
		name     string
		obj      map[string]any
		results  bool
		selected bool
	}{
		{name: "secure: unguarded kind selected but judged by no rule", obj: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d", "namespace": "team-a"},
		}, selected: true},
		{name: "insecure: bucket without metadata", obj: map[string]any{
			"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "spec": map[string]any{"name": "b"},
		}, results: true, selected: true},
		{name: "tricky: empty object", obj: map[string]any{}, selected: true},
		{name: "tricky: unparsable apiVersion", obj: map[string]any{
			"apiVersion": "a/b/c", "kind": "Bucket", "metadata": map[string]any{"name": "b"}, "spec": map[string]any{"name": "b"},
		}, selected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := e.Judge(tt.obj, Namespace{}, t0, nil)
			if (len(j.Results) > 0) != tt.results || (len(j.Policies) > 0) != tt.selected {
				t.Errorf("results %v policies %v", resultIDs(j), j.Policies)
			}
		})
	}
}

// The engine is read-only after New: concurrent judgements agree.
func TestConcurrentJudge(t *testing.T) {
	e := New(reg, Defaults{}, policies(
		policy("a", rule("S3-001", v1alpha1.Audit)),
		policy("b", rule("S3-006", v1alpha1.Enforce)),
	), exceptions(exception("team-a", "b", []string{"S3-001"}, t0.Add(day))))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
				if r := result(j, "S3-001"); r == nil || r.Exception == nil {
					t.Error("S3-001 not exempted")
					return
				}
				if r := result(j, "S3-006"); r == nil || !r.Denies() {
					t.Error("S3-006 not denied")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The policies passed to New are compiled: changing them afterwards does
// not change the engine.
func TestEngineIndependentOfInput(t *testing.T) {
	ps := policies(policy("p", rule("S3-001", v1alpha1.Audit)))
	e := New(reg, Defaults{}, ps, nil)
	ps[0].Spec.Rules[0].Action = v1alpha1.Enforce
	ps[0].Name = "q"
	j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
	checkResult(t, j, audited("S3-001", "p"))
}

// Policies were given but none can be applied (an invalid selector admitted
// while the webhook was down): the baseline guards instead of nothing.
func TestUnusablePoliciesFallBackToTheBaseline(t *testing.T) {
	e := New(reg, Defaults{}, policies(policy("broken", objSelector(badSelector()))), nil)
	if !e.Implicit() {
		t.Error("Implicit() = false: nothing would guard the cluster")
	}
	if len(e.Problems("broken")) == 0 {
		t.Error("the unusable policy's problems are not reported")
	}
	if got := e.Policies(); !slices.Equal(got, []string{BaselineName}) {
		t.Errorf("Policies() = %v: want the baseline alone in force", got)
	}
	j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a"), t0, nil)
	if !slices.Equal(j.Policies, []string{BaselineName}) || len(j.Denials()) == 0 {
		t.Errorf("policies %v, denials %v: want the baseline denying S3-001", j.Policies, resultIDs(j))
	}
}

// Each fix runs with the parameters of the policy that asked for it, and
// only the policy that decided a denial can lift it for its ACK
// controllers.
func TestFixConfigAndACKControllersFollowTheDecidingPolicy(t *testing.T) {
	fourteen := int32(14)
	e := New(reg, Defaults{}, policies(
		policy("a-teams", defaultAction(v1alpha1.DefaultAction(v1alpha1.Audit)), params(v1alpha1.Parameters{ACKControllers: []string{"system:serviceaccount:team:deployer"}})),
		policy("prod-backups", rule("RDS-005", v1alpha1.Remediate), rule("RDS-001", v1alpha1.Enforce), params(v1alpha1.Parameters{MinBackupRetentionDays: &fourteen})),
	), nil)
	j := e.Judge(dbInstance("team-a", "db", "backupRetentionPeriod", int64(3), "publiclyAccessible", true), nsOf("team-a"), t0, nil)
	if got := fixMinimums(j, "RDS-005"); !slices.Equal(got, []int64{14}) {
		t.Errorf("RDS-005 fixes under minimums %v, want prod-backups' 14 alone", got)
	}
	for _, r := range j.Results {
		if r.RuleID != "RDS-001" {
			continue
		}
		if !r.Denies() || r.AdmissionPolicy != "prod-backups" {
			t.Fatalf("RDS-001: denies=%v by %q", r.Denies(), r.AdmissionPolicy)
		}
		if j.ACKControllerWrite(r, "system:serviceaccount:team:deployer") {
			t.Error("a-teams' ACK controller list lifted prod-backups' denial")
		}
	}
}

// A policy whose kinds are all kinds this version does not guard (a
// misspelling, a newer version's kind) selects nothing: it is not in
// force, so it does not take the baseline's place. A policy naming one
// kind it knows, or listing only unknown rules, selects and is in force.
func TestPolicySelectingNoKnownKind(t *testing.T) {
	buckets := schema.GroupKind{Group: "s3.services.k8s.aws", Kind: "Buckets"}
	queue := schema.GroupKind{Group: "sqs.services.k8s.aws", Kind: "Queue"}
	tests := []struct {
		name     string
		policies []v1alpha1.GuardrailPolicy
		implicit bool
		noKind   bool     // the first policy selects no kind this version guards
		want     []string // the policies judging an insecure bucket in team-a
	}{
		{name: "insecure: a misspelt kind alone: the baseline guards",
			policies: policies(policy("typo", kinds(buckets))), implicit: true, noKind: true, want: []string{BaselineName}},
		{name: "insecure: a newer version's kind alone: the baseline guards",
			policies: policies(policy("sqs", kinds(queue), rule("S3-001", v1alpha1.Disabled))), implicit: true, noKind: true, want: []string{BaselineName}},
		{name: "tricky: unknown kinds with valid selectors: the baseline guards",
			policies: policies(policy("typo", kinds(buckets, queue), nsLabels("team", "a"), objLabels("app", "web"))), implicit: true, noKind: true, want: []string{BaselineName}},
		{name: "secure: one known kind among unknown ones: in force",
			policies: policies(policy("mixed", kinds(buckets, bucketGK))), want: []string{"mixed"}},
		{name: "secure: another policy in force: it alone applies",
			policies: policies(policy("typo", kinds(buckets)), policy("elsewhere", nsLabels("team", "z"))), noKind: true},
		{name: "tricky: only unknown rules: it selects, and is in force",
			policies: policies(policy("rules", rule("S3-999", v1alpha1.Enforce))), want: []string{"rules"}},
		{name: "tricky: only unknown rules, default Disabled: in force, judging nothing",
			policies: policies(policy("rules", defaultAction(v1alpha1.DefaultAction(v1alpha1.Disabled)), rule("S3-999", v1alpha1.Enforce))), want: []string{"rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, tt.policies, nil)
			if e.Implicit() != tt.implicit {
				t.Errorf("Implicit() = %v, want %v", e.Implicit(), tt.implicit)
			}
			j := e.Judge(insecureBucket("team-a", "b", nil), nsOf("team-a", "team", "a"), t0, nil)
			if !slices.Equal(j.Policies, tt.want) {
				t.Errorf("policies %v, want %v", j.Policies, tt.want)
			}
			if slices.Equal(tt.want, []string{BaselineName}) && len(j.Denials()) == 0 {
				t.Errorf("the baseline denies nothing: results %v", resultIDs(j))
			}
			// What the manager logs at start as the policies in force.
			var inForce []string
			for _, p := range tt.policies {
				if !SelectsNoKind(reg, &p) {
					inForce = append(inForce, p.Name)
				}
			}
			if tt.implicit {
				inForce = append(inForce, BaselineName)
			}
			slices.Sort(inForce)
			if got := e.Policies(); !slices.Equal(got, inForce) {
				t.Errorf("Policies() = %v, want %v", got, inForce)
			}
			if got, want := SelectsNoKind(reg, &tt.policies[0]), tt.noKind; got != want {
				t.Errorf("SelectsNoKind(%s) = %v, want %v", tt.policies[0].Name, got, want)
			}
		})
	}
}
