package governance

import (
	"testing"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

func TestCatalogAction(t *testing.T) {
	tests := []struct {
		name string
		rule *rules.Rule
		want v1alpha1.Action
	}{
		// Real catalog rules, one per column combination.
		{name: "deny/fix S3-001 is Enforce", rule: reg.Rule("S3-001"), want: v1alpha1.Enforce},
		{name: "deny/fix RDS-001 is Enforce", rule: reg.Rule("RDS-001"), want: v1alpha1.Enforce},
		{name: "deny/audit S3-002 is Deny", rule: reg.Rule("S3-002"), want: v1alpha1.Deny},
		{name: "deny/audit EC2-004 is Deny", rule: reg.Rule("EC2-004"), want: v1alpha1.Deny},
		{name: "warn/fix S3-006 is Remediate", rule: reg.Rule("S3-006"), want: v1alpha1.Remediate},
		{name: "warn/fix RDS-005 is Remediate", rule: reg.Rule("RDS-005"), want: v1alpha1.Remediate},
		{name: "warn/audit S3-005 is Audit", rule: reg.Rule("S3-005"), want: v1alpha1.Audit},
		{name: "warn/audit POL-004 is Audit", rule: reg.Rule("POL-004"), want: v1alpha1.Audit},
		// Tricky: the catalog never disables a rule, whatever its columns.
		{name: "tricky: unknown admission counts as warn", rule: &rules.Rule{ID: "TST-001", Admission: "", Remediation: rules.Audit}, want: v1alpha1.Audit},
		{name: "tricky: unknown remediation counts as audit", rule: &rules.Rule{ID: "TST-002", Admission: rules.Deny, Remediation: ""}, want: v1alpha1.Deny},
		{name: "tricky: warn with fix", rule: &rules.Rule{ID: "TST-003", Admission: rules.Warn, Remediation: rules.Fix}, want: v1alpha1.Remediate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rule == nil {
				t.Fatal("rule missing from the registry")
			}
			if got := CatalogAction(tt.rule); got != tt.want {
				t.Errorf("CatalogAction(%s) = %s, want %s", tt.rule.ID, got, tt.want)
			}
		})
	}
}

// Every rule of the registry switched on maps to one of the four
// non-disabled actions consistent with its catalog columns; the catalog
// disables the opt-in rules alone.
func TestCatalogActionEveryRule(t *testing.T) {
	for _, r := range reg.Rules() {
		adm, fix := split(OnAction(r))
		wantAdm := AdmitWithWarning
		if r.Admission == rules.Deny {
			wantAdm = DenyAdmission
		}
		if adm != wantAdm || fix != (r.Remediation == rules.Fix) {
			t.Errorf("%s (%s/%s): OnAction = %s", r.ID, r.Admission, r.Remediation, OnAction(r))
		}
		want := OnAction(r)
		if !r.OnByDefault() {
			want = v1alpha1.Disabled
		}
		if CatalogAction(r) != want {
			t.Errorf("%s (opt-in: %v): CatalogAction = %s, want %s", r.ID, !r.OnByDefault(), CatalogAction(r), want)
		}
	}
}

func TestBaseline(t *testing.T) {
	b := Baseline(reg)
	if b.Name != BaselineName || BaselineName != "baseline" {
		t.Errorf("name %q, want baseline", b.Name)
	}
	if b.Kind != "GuardrailPolicy" || b.APIVersion != "policy.ackguard.dev/v1alpha1" {
		t.Errorf("type %s %s", b.APIVersion, b.Kind)
	}
	if b.Spec.DefaultAction != v1alpha1.CatalogDefault {
		t.Errorf("defaultAction %q", b.Spec.DefaultAction)
	}
	// Selects everything.
	if len(b.Spec.Match.Kinds) != 0 || b.Spec.Match.NamespaceSelector != nil || b.Spec.Match.Selector != nil {
		t.Errorf("baseline match is not empty: %+v", b.Spec.Match)
	}
	all := reg.Rules()
	if len(b.Spec.Rules) != len(all) {
		t.Fatalf("baseline lists %d rules, registry has %d", len(b.Spec.Rules), len(all))
	}
	for i, r := range all {
		ra := b.Spec.Rules[i]
		if ra.ID != r.ID || ra.Action != CatalogAction(r) {
			t.Errorf("rules[%d] = %s %s, want %s %s", i, ra.ID, ra.Action, r.ID, CatalogAction(r))
		}
	}
	if p := ValidatePolicy(reg, &b); len(p) != 0 {
		t.Errorf("baseline is invalid: %v", p)
	}
	// Tricky: a smaller registry gives a smaller baseline.
	small, err := rules.NewRegistry(reg.Rule("S3-001"), reg.Rule("S3-005"))
	if err != nil {
		t.Fatal(err)
	}
	sb := Baseline(small)
	if len(sb.Spec.Rules) != 2 || sb.Spec.Rules[0] != (v1alpha1.RuleAction{ID: "S3-001", Action: v1alpha1.Enforce}) ||
		sb.Spec.Rules[1] != (v1alpha1.RuleAction{ID: "S3-005", Action: v1alpha1.Audit}) {
		t.Errorf("small baseline rules %+v", sb.Spec.Rules)
	}
}

func TestSplitJoin(t *testing.T) {
	tests := []struct {
		action v1alpha1.Action
		adm    Admission
		fix    bool
	}{
		{v1alpha1.Enforce, DenyAdmission, true},
		{v1alpha1.Deny, DenyAdmission, false},
		{v1alpha1.Remediate, AdmitWithWarning, true},
		{v1alpha1.Audit, AdmitWithWarning, false},
		{v1alpha1.Disabled, AdmitSilently, false},
	}
	for _, tt := range tests {
		adm, fix := split(tt.action)
		if adm != tt.adm || fix != tt.fix {
			t.Errorf("split(%s) = %d, %v; want %d, %v", tt.action, adm, fix, tt.adm, tt.fix)
		}
		if got := join(tt.adm, tt.fix); got != tt.action {
			t.Errorf("join(%d, %v) = %s, want %s", tt.adm, tt.fix, got, tt.action)
		}
	}
	// Tricky: unknown or empty actions are Disabled; fix without any
	// admission joins to Remediate (a drift-only policy still warns).
	for _, a := range []v1alpha1.Action{"", "enforce", "CatalogDefault"} {
		if adm, fix := split(a); adm != AdmitSilently || fix {
			t.Errorf("split(%q) = %d, %v; want silent, no fix", a, adm, fix)
		}
	}
	if got := join(AdmitSilently, true); got != v1alpha1.Remediate {
		t.Errorf("join(silent, fix) = %s, want Remediate", got)
	}
	if AdmitSilently >= AdmitWithWarning || AdmitWithWarning >= DenyAdmission {
		t.Error("admission levels are not ordered by strictness")
	}
}

func TestFindingAdmissionUnit(t *testing.T) {
	denyRule, warnRule := reg.Rule("S3-003"), reg.Rule("S3-006")
	tests := []struct {
		name   string
		policy Admission
		rule   *rules.Rule
		action rules.Action
		want   Admission
	}{
		{name: "secure: deny rule, deny finding, Enforce", policy: DenyAdmission, rule: denyRule, action: rules.Deny, want: DenyAdmission},
		{name: "secure: deny rule, deny finding, Audit", policy: AdmitWithWarning, rule: denyRule, action: rules.Deny, want: AdmitWithWarning},
		{name: "secure: warn rule, warn finding, Enforce", policy: DenyAdmission, rule: warnRule, action: rules.Warn, want: DenyAdmission},
		{name: "insecure: deny rule lowered to warn never denies", policy: DenyAdmission, rule: denyRule, action: rules.Warn, want: AdmitWithWarning},
		{name: "insecure: warn rule raised to deny denies under Audit", policy: AdmitWithWarning, rule: warnRule, action: rules.Deny, want: DenyAdmission},
		{name: "tricky: lowered under Audit stays a warning", policy: AdmitWithWarning, rule: denyRule, action: rules.Warn, want: AdmitWithWarning},
		{name: "tricky: raised under Disabled stays silent", policy: AdmitSilently, rule: warnRule, action: rules.Deny, want: AdmitSilently},
		{name: "tricky: lowered under Disabled stays silent", policy: AdmitSilently, rule: denyRule, action: rules.Warn, want: AdmitSilently},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingAdmission(tt.policy, tt.rule, rules.Finding{RuleID: tt.rule.ID, Action: tt.action})
			if got != tt.want {
				t.Errorf("findingAdmission = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCategory(t *testing.T) {
	tests := map[string]string{
		"S3-001":  "S3",
		"RDS-005": "RDS",
		"EC2-004": "EC2",
		"IAM-001": "IAM",
		"POL-001": "IAM policy",
		"LMB-003": "Lambda",
	}
	for id, want := range tests {
		if got := Category(reg.Rule(id)); got != want {
			t.Errorf("Category(%s) = %q, want %q", id, got, want)
		}
	}
	// Tricky: nil and IDs without a dash.
	if got := Category(nil); got != "" {
		t.Errorf("Category(nil) = %q", got)
	}
	if got := Category(&rules.Rule{ID: "ODD"}); got != "ODD" {
		t.Errorf("Category(ODD) = %q", got)
	}
	if got := Category(&rules.Rule{ID: "POL-"}); got != "POL" {
		t.Errorf("Category(POL-) = %q", got)
	}
}

func TestResultPolicy(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{name: "admission policy wins", r: Result{AdmissionPolicy: "a", FixPolicy: "b"}, want: "a"},
		{name: "fix policy when no admission policy", r: Result{FixPolicy: "b"}, want: "b"},
		{name: "none", r: Result{}, want: ""},
	}
	for _, tt := range tests {
		if got := tt.r.Policy(); got != tt.want {
			t.Errorf("%s: Policy() = %q, want %q", tt.name, got, tt.want)
		}
	}
	// Denies: only an unexempted DenyAdmission.
	if !(Result{Admission: DenyAdmission}).Denies() {
		t.Error("DenyAdmission does not deny")
	}
	if (Result{Admission: DenyAdmission, Exception: &ExceptionRef{Name: "x"}}).Denies() {
		t.Error("exempted DenyAdmission denies")
	}
	if (Result{Admission: AdmitWithWarning}).Denies() {
		t.Error("warning denies")
	}
}
