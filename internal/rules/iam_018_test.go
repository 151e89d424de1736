package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestIAM018(t *testing.T) {
	doc := idp(allow(`"s3:GetObject"`, `"arn:aws:s3:::b/*"`))
	runIAMCases(t, "IAM-018", []iamCase{
		{name: "secure: only managed policies", spec: with(roleWith(), "policies", []any{"arn:aws:iam::111122223333:policy/app"})},
		{name: "secure: an empty inline map", kind: "Group", spec: map[string]any{"name": "g", "inlinePolicies": map[string]any{}}},
		{name: "insecure: a role with two inline policies", spec: roleWith("read", doc, "write", doc), action: rules.Warn, want: []want{
			{inl("read"), `the role has the inline policy "read"`},
			{inl("write"), `the role has the inline policy "write"`},
		}},
		{name: "insecure: a user's inline policy", kind: "User", spec: map[string]any{"name": "u", "inlinePolicies": map[string]any{"p": doc}}, want: []want{
			{inl("p"), "the user has the inline policy"},
		}},
		{name: "tricky: an inline policy even if invalid", kind: "Group", spec: map[string]any{"name": "g", "inlinePolicies": map[string]any{"broken": "{"}}, want: []want{
			{inl("broken"), "the group has the inline policy"},
		}},
		{name: "wrong type: inlinePolicies a list", spec: with(roleWith(), "inlinePolicies", []any{doc}), want: []want{
			{"spec.inlinePolicies", "invalid input: must be an object"},
		}},
	})
}
