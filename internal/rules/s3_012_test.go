package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3012(t *testing.T) {
	base := with(secureSpec(), "versioning", map[string]any{"status": "Enabled"})
	locked := with(base, "objectLockEnabledForBucket", true)
	retention := func(r map[string]any) map[string]any {
		return map[string]any{"rule": map[string]any{"defaultRetention": r}}
	}
	compliance := rules.Config{RequiredObjectLockMode: "COMPLIANCE"}
	runRuleCases(t, "S3-012", []ruleCase{
		{name: "secure: Object Lock enabled, no mode required", spec: locked},
		{name: "secure: required COMPLIANCE for 30 days", cfg: compliance, spec: with(locked, "objectLockConfiguration", retention(map[string]any{"mode": "COMPLIANCE", "days": int64(30)}))},
		{name: "secure: required GOVERNANCE for a year", cfg: rules.Config{RequiredObjectLockMode: "GOVERNANCE"}, spec: with(locked, "objectLockConfiguration", retention(map[string]any{"mode": "GOVERNANCE", "years": int64(1)}))},
		{name: "insecure: no Object Lock", spec: base, action: rules.Warn, want: []want{
			{"spec.objectLockEnabledForBucket", "Object Lock is not enabled"},
		}},
		{name: "insecure: explicitly false", spec: with(base, "objectLockEnabledForBucket", false), want: []want{
			{"spec.objectLockEnabledForBucket", "not enabled"},
		}},
		{name: "insecure: GOVERNANCE where COMPLIANCE is required", cfg: compliance, spec: with(locked, "objectLockConfiguration", retention(map[string]any{"mode": "GOVERNANCE", "days": int64(30)})), want: []want{
			{"spec.objectLockConfiguration.rule.defaultRetention.mode", "mode is GOVERNANCE; the policy requires COMPLIANCE"},
		}},
		{name: "tricky: a mode required but no default retention", cfg: compliance, spec: locked, want: []want{
			{"spec.objectLockConfiguration.rule.defaultRetention.mode", "no default retention"},
		}},
		{name: "tricky: the mode without a period", cfg: compliance, spec: with(locked, "objectLockConfiguration", retention(map[string]any{"mode": "COMPLIANCE"})), want: []want{
			{"spec.objectLockConfiguration.rule.defaultRetention", "no period"},
		}},
		{name: "tricky: a retention configured without enabling Object Lock", cfg: compliance, spec: with(base, "objectLockConfiguration", retention(map[string]any{"mode": "COMPLIANCE", "days": int64(1)})), want: []want{
			{"spec.objectLockEnabledForBucket", "not enabled"},
		}},
		{name: "tricky: the parameter's case does not matter", cfg: rules.Config{RequiredObjectLockMode: "compliance"}, spec: with(locked, "objectLockConfiguration", retention(map[string]any{"mode": "COMPLIANCE", "days": int64(1)}))},
		{name: "wrong type: enabled a string", spec: with(base, "objectLockEnabledForBucket", "true"), want: []want{
			{"spec.objectLockEnabledForBucket", "invalid input: must be a boolean"},
		}},
	})
}
