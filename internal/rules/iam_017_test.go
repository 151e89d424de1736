package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestIAM017(t *testing.T) {
	const (
		devBoundary   = "arn:aws:iam::111122223333:policy/DeveloperBoundary"
		otherBoundary = "arn:aws:iam::111122223333:policy/Other"
	)
	allowed := rules.Config{AllowedPermissionsBoundaries: []string{devBoundary}}
	withBoundary := func(spec map[string]any, kv ...any) map[string]any { return with(spec, kv...) }
	ref := map[string]any{"from": map[string]any{"name": "boundary"}}
	// A Policy "boundary" in team-a, created by ACK (with an ARN) or not yet.
	created := resolverWith("boundary", idp(allow(`"s3:*"`, `"*"`)))
	created.objs["Policy/team-a/boundary"]["status"] = map[string]any{"ackResourceMetadata": map[string]any{"arn": devBoundary, "ownerAccountID": "111122223333", "region": "eu-west-1"}}
	pending := resolverWith("boundary", idp(allow(`"s3:*"`, `"*"`)))
	runIAMCases(t, "IAM-017", []iamCase{
		{name: "secure: any boundary without an allowed list", spec: withBoundary(roleWith(), "permissionsBoundary", otherBoundary)},
		{name: "secure: an allowed boundary", cfg: allowed, spec: withBoundary(roleWith(), "permissionsBoundary", devBoundary)},
		{name: "secure: a user with an allowed boundary", kind: "User", cfg: allowed, spec: map[string]any{"name": "u", "permissionsBoundary": devBoundary}},
		{name: "secure: a reference without an allowed list", spec: withBoundary(roleWith(), "permissionsBoundaryRef", ref)},
		{name: "secure: a reference to a created allowed Policy", cfg: rules.Config{AllowedPermissionsBoundaries: []string{devBoundary}, Resolver: created}, spec: withBoundary(roleWith(), "permissionsBoundaryRef", ref)},
		{name: "insecure: no boundary", spec: roleWith(), action: rules.Deny, want: []want{
			{"spec.permissionsBoundary", "the role carries no permissions boundary"},
		}},
		{name: "insecure: a user without a boundary", kind: "User", spec: map[string]any{"name": "u"}, want: []want{
			{"spec.permissionsBoundary", "the user carries no permissions boundary"},
		}},
		{name: "insecure: a boundary not in the list", cfg: allowed, spec: withBoundary(roleWith(), "permissionsBoundary", otherBoundary), action: rules.Deny, want: []want{
			{"spec.permissionsBoundary", "permissions boundary " + otherBoundary + " is not one of the allowed boundaries"},
		}},
		{name: "tricky: an empty boundary is none", spec: withBoundary(roleWith(), "permissionsBoundary", ""), want: []want{
			{"spec.permissionsBoundary", "carries no permissions boundary"},
		}},
		{name: "tricky: the allowed ARN in another partition is another policy", cfg: allowed, spec: withBoundary(roleWith(), "permissionsBoundary", "arn:aws-cn:iam::111122223333:policy/DeveloperBoundary"), want: []want{
			{"spec.permissionsBoundary", "not one of the allowed"},
		}},
		{name: "tricky: a reference to a Policy ACK has not created is inconclusive", cfg: rules.Config{AllowedPermissionsBoundaries: []string{devBoundary}, Resolver: pending}, spec: withBoundary(roleWith(), "permissionsBoundaryRef", ref), action: rules.Warn, want: []want{
			{"spec.permissionsBoundaryRef", "has no ARN yet"},
		}},
		{name: "tricky: a reference offline is inconclusive", cfg: allowed, spec: withBoundary(roleWith(), "permissionsBoundaryRef", ref), action: rules.Warn, want: []want{
			{"spec.permissionsBoundaryRef", "could not be read"},
		}},
		{name: "tricky: a reference to a created Policy not in the list", cfg: rules.Config{AllowedPermissionsBoundaries: []string{otherBoundary}, Resolver: created}, spec: withBoundary(roleWith(), "permissionsBoundaryRef", ref), action: rules.Deny, want: []want{
			{"spec.permissionsBoundaryRef", "is not one of the allowed"},
		}},
		{name: "wrong type: boundary a list", spec: withBoundary(roleWith(), "permissionsBoundary", []any{devBoundary}), want: []want{
			{"spec.permissionsBoundary", "invalid input: must be a string"},
		}},
	})
	// Groups carry no boundary: the rule does not judge them.
	if got := findingsOf(iamObj("Group", map[string]any{"name": "g"}), rules.Config{}, "IAM-017"); len(got) != 0 {
		t.Errorf("findings on a Group: %s", texts(got))
	}
}
