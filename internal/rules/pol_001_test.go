package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestPOL001(t *testing.T) {
	const p = "spec.policy"
	// manyProblems has 12 statements missing Effect.
	var bad []string
	for i := 0; i < 12; i++ {
		bad = append(bad, fmt.Sprintf(`{"Sid":"S%d","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, i))
	}
	tooMany := make([]want, 0, 11)
	for i := 0; i < 10; i++ {
		tooMany = append(tooMany, want{p, fmt.Sprintf("Statement[%d]: missing Effect", i)})
	}
	tooMany = append(tooMany, want{p, "and 2 more problems"})

	runRuleCases(t, "POL-001", []ruleCase{
		{name: "secure: valid policy", spec: secureSpec()},
		{name: "secure: no policy", spec: with(secureSpec(), "policy", nil)},
		{name: "insecure: invalid JSON", action: rules.Deny, spec: with(secureSpec(), "policy", `{"Version":"2012-10-17","Statement":[`), want: []want{
			{p, "invalid bucket policy: not valid JSON"},
		}},
		{name: "tricky: duplicate key", spec: with(secureSpec(), "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`), want: []want{
			{p, `Statement[0].Effect: duplicate key "Effect"`},
		}},
		{name: "tricky: Effect allow", spec: with(secureSpec(), "policy", pol(`{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)), want: []want{
			{p, `Statement[0].Effect: must be "Allow" or "Deny", found "allow"`},
		}},
		{name: "tricky: condition keys differing only by case", spec: with(secureSpec(), "policy", pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:sourceVpce":"vpce-2"}}}`)), want: []want{
			{p, "with different case"},
		}},
		{name: "tricky: partial wildcard principal", spec: with(secureSpec(), "policy", pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"*"}`)), want: []want{
			{p, "partial wildcard"},
		}},
		{name: "tricky: canonical user is allowed in a bucket policy", spec: with(secureSpec(), "policy", pol(tlsDeny, `{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`))},
		{name: "tricky: over 20 KB", spec: with(secureSpec(), "policy", pol(tlsDeny)+strings.Repeat(" ", 20*1024)), want: []want{
			{p, "a resource policy may be at most 20480 bytes"},
		}},
		{name: "wrong type: policy is a number", spec: with(secureSpec(), "policy", int64(42)), want: []want{
			{p, "invalid input: must be a string, found number"},
		}},
		{name: "wrong type: policy is an object", spec: with(secureSpec(), "policy", map[string]any{"Version": "2012-10-17"}), want: []want{
			{p, "invalid input: must be a string, found object"},
		}},
		{name: "many problems are capped at ten", spec: with(secureSpec(), "policy", pol(bad...)), want: tooMany},
	})
}

// TestInvalidPolicyIsNeverCompliant checks that, when POL-001 fails, every
// other policy rule reports "invalid input" with a warning instead of
// passing the document.
func TestInvalidPolicyIsNeverCompliant(t *testing.T) {
	policyRules := []string{"S3-002", "S3-003", "S3-006", "S3-007", "S3-013"}
	tests := []struct {
		name   string
		policy any
	}{
		{"invalid JSON", `{"Statement":`},
		{"duplicate key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}`},
		{"Effect allow", pol(`{"Effect":"allow","Principal":"*","Action":"s3:*","Resource":"*"}`)},
		{"wrong type", int64(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := bucket(with(secureSpec(), "policy", tt.policy))
			all := rules.Default().Evaluate(obj, rules.Config{})
			var pol001 int
			for _, f := range all {
				if f.RuleID == "POL-001" {
					pol001++
					if f.Action != rules.Deny {
						t.Errorf("POL-001 action %q, want deny", f.Action)
					}
				}
			}
			if pol001 == 0 {
				t.Error("no POL-001 finding")
			}
			for _, id := range policyRules {
				got := findingsOf(obj, rules.Config{}, id)
				checkFindings(t, got, []want{{"spec.policy", "cannot evaluate: the bucket policy is invalid (see POL-001)"}})
				for _, f := range got {
					if f.Action != rules.Warn || f.Subject != "invalid input" {
						t.Errorf("%s: action %q subject %q, want warn / invalid input", id, f.Action, f.Subject)
					}
				}
			}
		})
	}
}
