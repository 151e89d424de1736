package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// TestEveryRuleHasDocs checks that each registered rule's documentation
// file exists and decodes with every field set; internal/ruledoc's tests
// judge its examples with the engine.
func TestEveryRuleHasDocs(t *testing.T) {
	for _, r := range rules.Default().Rules() {
		d, err := r.Docs()
		if err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		for name, v := range map[string]string{"description": d.Description, "rationale": d.Rationale, "fix": d.Fix, "reconciler": d.Reconciler, "insecure": d.Insecure, "secure": d.Secure} {
			if v == "" {
				t.Errorf("%s: no %s", r.ID, name)
			}
		}
	}
}
