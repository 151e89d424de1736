package governance

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

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
		ack      []string           // ACKControllers
		ackWrite map[string]bool    // rule → ACKControllerWrite for "sa:deployer"
		fixMin   map[string][]int64 // rule → the minimums its fix runs under
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
			// Both deny: the policy that does not name the user decided the
			// denial as much as the one that does, whatever their names.
			name: "insecure: an equal denial by a policy not naming the ACK controller is not lifted",
			pols: policies(
				policy("a", params(ack("sa:deployer")), rule("S3-001", v1alpha1.Deny)),
				policy("b", rule("S3-001", v1alpha1.Deny)),
			),
			policies: []string{"a", "b"},
			want:     []expect{denied("S3-001", "a")},
			ack:      []string{"sa:deployer"},
			ackWrite: map[string]bool{"S3-001": false},
		},
		{
			name: "secure: an equal denial by policies all naming the ACK controller is lifted",
			pols: policies(
				policy("a", params(ack("sa:deployer")), rule("S3-001", v1alpha1.Deny)),
				policy("b", params(ack("sa:other", "sa:deployer")), rule("S3-001", v1alpha1.Enforce)),
			),
			policies: []string{"a", "b"},
			want:     []expect{{rule: "S3-001", admission: DenyAdmission, fix: true, action: v1alpha1.Enforce, admPolicy: "a", fixPolicy: "b"}},
			ack:      []string{"sa:deployer", "sa:other"},
			ackWrite: map[string]bool{"S3-001": true},
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
			fixMin:   map[string][]int64{"RDS-005": {20}, "RDS-001": {3}},
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
				if got := fixMinimums(j, id); !slices.Equal(got, want) {
					t.Errorf("FixConfigs(%s) minimums %v, want %v", id, got, want)
				}
			}
		})
	}
}

// A rule with several fixable findings, some found under one parameter
// set and some under another: the fix runs under every parameter set
// whose policy asked for it, in the order found.
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
		wantDays []int64
	}{
		{
			name:     "the first set finds x and fixes it",
			pols:     policies(policy("a", minimum(5), rule("TST-001", v1alpha1.Remediate)), policy("b", minimum(20), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"a", "b"},
			wantDays: []int64{5, 20},
		},
		{
			name:     "the first set finds x without fixing it",
			pols:     policies(policy("a", minimum(5), rule("TST-001", v1alpha1.Audit)), policy("b", minimum(20), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"b", "b"},
			wantDays: []int64{20},
		},
		{
			name:     "the first set finds both",
			pols:     policies(policy("a", minimum(20), rule("TST-001", v1alpha1.Remediate)), policy("b", minimum(5), rule("TST-001", v1alpha1.Remediate))),
			fixedBy:  []string{"a", "a"},
			wantDays: []int64{20, 5},
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
			if got := fixMinimums(j, "TST-001"); !slices.Equal(got, tt.wantDays) {
				t.Errorf("TST-001 fixes under minimums %v, want %v", got, tt.wantDays)
			}
		})
	}
}

// Two policies with different parameters for one rule: the finding's text
// is the strictest policy's, so a denial says what satisfies the policy
// that denies.
func TestFindingTextOfTheDecidingPolicy(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	lenient := policy("a-lenient", rule("RDS-005", v1alpha1.Audit), params(v1alpha1.Parameters{MinBackupRetentionDays: i32(7)}))
	strict := policy("b-strict", rule("RDS-005", v1alpha1.Deny), params(v1alpha1.Parameters{MinBackupRetentionDays: i32(14)}))
	for _, order := range [][]v1alpha1.GuardrailPolicy{{lenient, strict}, {strict, lenient}} {
		e := New(reg, Defaults{}, policies(order...), nil)
		j := e.Judge(dbInstance("team-a", "db", "backupRetentionPeriod", int64(3)), nsOf("team-a"), t0, nil)
		r := result(j, "RDS-005")
		if r == nil || r.AdmissionPolicy != "b-strict" || !strings.Contains(r.Message+" "+r.Remedy, "14") || strings.Contains(r.Message+" "+r.Remedy, " 7 ") {
			t.Errorf("result %+v, want b-strict's denial naming its minimum of 14", r)
		}
	}
}

// Two Remediate policies with different minimums for RDS-005: the fix
// runs under both in one plan, so one patch satisfies both, in either
// order of the policies (before, the first set's minimum was written and
// the next pass fixed again, which the reconciler counted as a revert).
func TestFixUnderEveryParameterSetInOnePlan(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	seven := policy("a-seven", rule("RDS-005", v1alpha1.Remediate), params(v1alpha1.Parameters{MinBackupRetentionDays: i32(7)}))
	fourteen := policy("b-fourteen", rule("RDS-005", v1alpha1.Remediate), params(v1alpha1.Parameters{MinBackupRetentionDays: i32(14)}))
	for _, order := range [][]v1alpha1.GuardrailPolicy{{seven, fourteen}, {fourteen, seven}} {
		e := New(reg, Defaults{}, policies(order...), nil)
		for _, tt := range []struct {
			days, want int64
			asking     []string
		}{{3, 14, []string{"a-seven", "b-fourteen"}}, {10, 14, []string{"b-fourteen"}}, {20, 0, nil}} {
			obj := dbInstance("team-a", "db", "backupRetentionPeriod", tt.days)
			j := e.Judge(obj, nsOf("team-a"), t0, nil)
			plan, err := reg.RemediateEach(obj, j.FixConfigs, j.FixRules())
			if err != nil {
				t.Fatal(err)
			}
			// The fix runs under the parameters of each policy the object
			// falls short of, so each is named as asking for it (the
			// Remediated event, the reports), in the policies' order.
			r := result(j, "RDS-005")
			if tt.want != 0 && (r == nil || !slices.Equal(r.FixPolicies, tt.asking) || r.FixPolicy != tt.asking[0]) {
				t.Errorf("%s first, %d days: the fix names %+v, want %v", order[0].Name, tt.days, r, tt.asking)
			}
			if tt.want == 0 {
				if !plan.Empty() {
					t.Errorf("%s first, %d days: plan %+v, want none", order[0].Name, tt.days, plan.Changes)
				}
				continue
			}
			if len(plan.Changes) != 1 || plan.Changes[0].Path.String() != "spec.backupRetentionPeriod" ||
				plan.Changes[0].Old != tt.days || plan.Changes[0].New != tt.want {
				t.Errorf("%s first, %d days: changes %+v, want one change %d → %d", order[0].Name, tt.days, plan.Changes, tt.days, tt.want)
				continue
			}
			if again := e.Judge(plan.Object, nsOf("team-a"), t0, nil); len(again.FixRules()) != 0 {
				t.Errorf("%s first, %d days: the fixed object still has fixes due: %v", order[0].Name, tt.days, again.FixRules())
			}
		}
	}
}

// A fix the catalog makes opt-in (S3-009's versioning, which can never be
// turned off again) runs only where a policy lists the rule: a default
// action of Remediate or Enforce gives such a rule its admission part
// alone, while a fix the catalog makes by default (S3-001) still runs.
func TestDefaultActionNeverSwitchesOnAnOptInFix(t *testing.T) {
	obj := bucketWith("team-a", "b", "versioning", map[string]any{"status": "Suspended"},
		"publicAccessBlock", map[string]any{"blockPublicACLs": true})
	for _, tt := range []struct {
		name  string
		pol   v1alpha1.GuardrailPolicy
		fixes []string
		s3009 v1alpha1.Action
	}{
		{"default Remediate", policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Remediate))), []string{"S3-001"}, v1alpha1.Audit},
		{"default Enforce", policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Enforce))), []string{"S3-001"}, v1alpha1.Deny},
		{"listed Remediate", policy("p", defaultAction(v1alpha1.DefaultAction(v1alpha1.Remediate)), rule("S3-009", v1alpha1.Remediate)), []string{"S3-001", "S3-009"}, v1alpha1.Remediate},
		{"catalog default", policy("p"), []string{"S3-001"}, v1alpha1.Audit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := New(reg, Defaults{}, policies(tt.pol), nil)
			j := e.Judge(obj, nsOf("team-a"), t0, nil)
			if got := j.FixRules(); !slices.Equal(got, tt.fixes) {
				t.Errorf("fixes %v, want %v", got, tt.fixes)
			}
			if r := result(j, "S3-009"); r == nil || r.Action != tt.s3009 {
				t.Errorf("S3-009: %+v, want action %s", r, tt.s3009)
			}
		})
	}
}

// ACK creates a resource that names no region in its namespace's
// services.k8s.aws/default-region, else in the controller's --aws-region:
// a bucket that tells no partition is judged, and fixed, in the partition
// of its namespace's default region, else in the configured one; its own
// region annotation comes first.
func TestNamespaceDefaultRegionDecidesThePartition(t *testing.T) {
	for _, tt := range []struct {
		name                          string
		nsRegion, objRegion, configed string
		want                          string
	}{
		{"nothing anywhere", "", "", "", "aws"},
		{"configured alone", "", "", "aws-cn", "aws-cn"},
		{"namespace in China", "cn-north-1", "", "", "aws-cn"},
		{"namespace before the configured partition", "cn-northwest-1", "", "aws-us-gov", "aws-cn"},
		{"namespace in aws under a configured aws-cn", "us-east-1", "", "aws-cn", "aws"},
		{"the object's region first", "cn-north-1", "us-gov-west-1", "", "aws-us-gov"},
		{"a namespace region of no known partition", "moon-1", "", "aws-cn", "aws-cn"},
	} {
		e := New(reg, Defaults{Config: rules.Config{Partition: tt.configed}}, nil, nil)
		obj := bucketWith("team-a", "b", "policy", nil)
		if tt.objRegion != "" {
			obj["metadata"].(map[string]any)["annotations"] = map[string]any{view.AnnotationRegion: tt.objRegion}
		}
		ns := nsOf("team-a")
		ns.DefaultRegion = tt.nsRegion
		j := e.Judge(obj, ns, t0, nil)
		arn := `arn:` + tt.want + `:s3:::b/*`
		if r := result(j, "S3-006"); r == nil || !strings.Contains(r.Remedy, arn) {
			t.Errorf("%s: S3-006 %+v, want a remedy naming %s", tt.name, r, arn)
			continue
		}
		if got := cmp.Or(j.Config.Partition, "aws"); got != tt.want && tt.objRegion == "" {
			t.Errorf("%s: the judgement's configuration has partition %q, want %q", tt.name, got, tt.want)
		}
		plan, err := reg.RemediateEach(obj, j.FixConfigs, j.FixRules())
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := plan.MergePatch()["spec"].(map[string]any)["policy"].(string); !strings.Contains(p, arn) {
			t.Errorf("%s: the fix writes %q, want ARNs like %s", tt.name, p, arn)
		}
	}
}
