package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3009(t *testing.T) {
	base := secureSpec()
	status := func(s any) map[string]any { return map[string]any{"status": s} }
	runRuleCases(t, "S3-009", []ruleCase{
		{name: "secure: Enabled", spec: with(base, "versioning", status("Enabled"))},
		{name: "insecure: no versioning", spec: with(base, "versioning", nil), action: rules.Warn, want: []want{
			{"spec.versioning.status", "versioning is not enabled"},
		}},
		{name: "insecure: Suspended", spec: with(base, "versioning", status("Suspended")), want: []want{
			{"spec.versioning.status", "versioning is Suspended"},
		}},
		{name: "tricky: an empty versioning object", spec: with(base, "versioning", map[string]any{}), want: []want{
			{"spec.versioning.status", "not enabled"},
		}},
		{name: "tricky: lower-case enabled is not Enabled", spec: with(base, "versioning", status("enabled")), want: []want{
			{"spec.versioning.status", "versioning is enabled, not Enabled"},
		}},
		{name: "wrong type: versioning a string", spec: with(base, "versioning", "Enabled"), want: []want{
			{"spec.versioning", "invalid input: must be an object"},
		}},
	})
}

// The fix is opt-in (audit by default) and writes status=Enabled only.
func TestS3009Fix(t *testing.T) {
	reg := rules.Default()
	if r := reg.Rule("S3-009"); r.Remediation != rules.Audit || r.Fixer == nil {
		t.Fatalf("S3-009: remediation %s, fixer %v: want audit with an opt-in fix", r.Remediation, r.Fixer != nil)
	}
	for name, spec := range map[string]map[string]any{
		"absent":    with(secureSpec(), "versioning", nil),
		"suspended": with(secureSpec(), "versioning", map[string]any{"status": "Suspended"}),
		"string":    with(secureSpec(), "versioning", "on"),
	} {
		plan, err := reg.Remediate(bucket(spec), rules.Config{}, []string{"S3-009"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(plan.Changes) != 1 || findingsOf(plan.Object, rules.Config{}, "S3-009") != nil {
			t.Errorf("%s: changes %+v, findings after %v", name, plan.Changes, findingsOf(plan.Object, rules.Config{}, "S3-009"))
		}
	}
	plan, err := reg.Remediate(bucket(with(secureSpec(), "versioning", map[string]any{"status": "Enabled"})), rules.Config{}, []string{"S3-009"})
	if err != nil || !plan.Empty() {
		t.Errorf("Enabled: plan %+v, %v", plan, err)
	}
}
