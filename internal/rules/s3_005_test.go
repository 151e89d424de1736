package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3005(t *testing.T) {
	ownership := func(v any) map[string]any {
		return map[string]any{"rules": []any{map[string]any{"objectOwnership": v}}}
	}
	base := secureSpec()
	runRuleCases(t, "S3-005", []ruleCase{
		{name: "secure: BucketOwnerEnforced", spec: with(base, "ownershipControls", ownership("BucketOwnerEnforced"))},
		{name: "secure: absent passes (S3 default, late-initialized by ACK)", spec: with(base, "ownershipControls", nil)},
		{name: "secure: create-time objectOwnership BucketOwnerEnforced", spec: with(base, "ownershipControls", nil, "objectOwnership", "BucketOwnerEnforced")},
		{name: "insecure: ObjectWriter warns", spec: with(base, "ownershipControls", ownership("ObjectWriter")), action: rules.Warn, want: []want{
			{"spec.ownershipControls.rules[0].objectOwnership", `object ownership "ObjectWriter" keeps ACLs enabled`},
		}},
		{name: "insecure: BucketOwnerPreferred warns", spec: with(base, "ownershipControls", ownership("BucketOwnerPreferred")), action: rules.Warn, want: []want{
			{"spec.ownershipControls.rules[0].objectOwnership", `"BucketOwnerPreferred"`},
		}},
		{name: "tricky: create-time objectOwnership ObjectWriter", spec: with(base, "ownershipControls", nil, "objectOwnership", "ObjectWriter"), action: rules.Warn, want: []want{
			{"spec.objectOwnership", `"ObjectWriter" keeps ACLs enabled`},
		}},
		{name: "tricky: ownershipControls wins over the create-time field", spec: with(base, "ownershipControls", ownership("BucketOwnerEnforced"), "objectOwnership", "ObjectWriter")},
		{name: "tricky: second rule keeps ACLs", spec: with(base, "ownershipControls", map[string]any{"rules": []any{
			map[string]any{"objectOwnership": "BucketOwnerEnforced"}, map[string]any{"objectOwnership": "ObjectWriter"},
		}}), want: []want{
			{"spec.ownershipControls.rules[1].objectOwnership", "ObjectWriter"},
		}},
		// ACK deletes the ownership controls when the field has no rules
		// (syncOwnershipControls); it late-initializes only a nil field.
		{name: "insecure: ownershipControls without rules", spec: with(base, "ownershipControls", map[string]any{}), action: rules.Warn, want: []want{
			{"spec.ownershipControls.rules", "holds no rule"},
		}},
		{name: "tricky: an empty rules list", spec: with(base, "ownershipControls", map[string]any{"rules": []any{}}), want: []want{
			{"spec.ownershipControls.rules", "holds no rule"},
		}},
		{name: "secure: ownershipControls null is absent", spec: withNull(base, "ownershipControls")},
		{name: "wrong type: objectOwnership boolean", spec: with(base, "ownershipControls", ownership(true)), want: []want{
			{"spec.ownershipControls.rules[0].objectOwnership", "invalid input: must be a string, found boolean"},
		}},
		{name: "wrong type: rules not a list", spec: with(base, "ownershipControls", map[string]any{"rules": "BucketOwnerEnforced"}), want: []want{
			{"spec.ownershipControls.rules", "invalid input: must be an array, found string"},
		}},
		{name: "wrong type: rules element not an object", spec: with(base, "ownershipControls", map[string]any{"rules": []any{"BucketOwnerEnforced"}}), want: []want{
			{"spec.ownershipControls.rules[0]", "invalid input: must be an object, found string"},
		}},
		{name: "wrong type: ownershipControls a string", spec: with(base, "ownershipControls", "BucketOwnerEnforced"), want: []want{
			{"spec.ownershipControls", "invalid input: must be an object, found string"},
		}},
	})
}
