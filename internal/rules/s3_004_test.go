package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3004(t *testing.T) {
	const (
		allUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
		authUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
		logs      = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	)
	base := secureSpec()
	runRuleCases(t, "S3-004", []ruleCase{
		{name: "secure: no ACL", spec: base},
		{name: "secure: private", spec: with(base, "acl", "private")},
		{name: "secure: bucket-owner-full-control", spec: with(base, "acl", "bucket-owner-full-control")},
		{name: "secure: ACK joined form without public ACLs", spec: with(base, "acl", "private|bucket-owner-read")},
		{name: "secure: grant to a canonical ID", spec: with(base, "grantFullControl", `id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`)},
		{name: "tricky: LogDelivery group is not public", spec: with(base, "grantWrite", `uri="`+logs+`"`, "grantReadACP", "uri="+logs)},
		{name: "insecure: public-read", spec: with(base, "acl", "public-read"), action: rules.Deny, want: []want{
			{"spec.acl", "canned ACL public-read grants access to everyone"},
		}},
		{name: "insecure: public-read-write", spec: with(base, "acl", "public-read-write"), want: []want{
			{"spec.acl", "public-read-write"},
		}},
		{name: "tricky: authenticated-read is public", spec: with(base, "acl", "authenticated-read"), want: []want{
			{"spec.acl", "canned ACL authenticated-read grants read access to every AWS account"},
		}},
		{name: "tricky: ACK's joined form public-read|private", spec: with(base, "acl", "public-read|private"), want: []want{
			{"spec.acl", "canned ACL public-read grants"},
		}},
		{name: "tricky: grantRead AllUsers quoted", spec: with(base, "grantRead", `uri="`+allUsers+`"`), want: []want{
			{"spec.grantRead", "grants READ to the group " + allUsers + " (everyone)"},
		}},
		{name: "tricky: grantRead AllUsers unquoted", spec: with(base, "grantRead", "uri="+allUsers), want: []want{
			{"spec.grantRead", "grants READ to the group " + allUsers + " (everyone)"},
		}},
		{name: "tricky: AllUsers among named grantees", spec: with(base, "grantRead", `id="abc", uri="`+allUsers+`", emailAddress="a@example.com"`), want: []want{
			{"spec.grantRead", allUsers},
		}},
		{name: "tricky: AuthenticatedUsers write ACP", spec: with(base, "grantWriteACP", `URI="`+authUsers+`"`), want: []want{
			{"spec.grantWriteACP", "grants WRITE_ACP to the group " + authUsers + " (every AWS account)"},
		}},
		{name: "tricky: ACL and two grants", spec: with(base, "acl", "public-read", "grantFullControl", "uri="+allUsers, "grantWrite", "uri="+authUsers), want: []want{
			{"spec.acl", "public-read"},
			{"spec.grantFullControl", "grants FULL_CONTROL to the group " + allUsers},
			{"spec.grantWrite", "AuthenticatedUsers"},
		}},
		{name: "wrong type: acl number", spec: with(base, "acl", int64(1)), want: []want{
			{"spec.acl", "invalid input: must be a string, found number"},
		}},
		{name: "wrong type: grantRead list", spec: with(base, "grantRead", []any{"uri=" + allUsers}), want: []want{
			{"spec.grantRead", "invalid input: must be a string, found array"},
		}},
	})
}
