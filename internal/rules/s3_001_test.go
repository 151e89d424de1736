package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3001(t *testing.T) {
	const pab = "spec.publicAccessBlock"
	flags := func(acls, ignore, policy, restrict any) map[string]any {
		m := map[string]any{}
		for k, v := range map[string]any{"blockPublicACLs": acls, "ignorePublicACLs": ignore, "blockPublicPolicy": policy, "restrictPublicBuckets": restrict} {
			if v != nil {
				m[k] = v
			}
		}
		return m
	}
	runRuleCases(t, "S3-001", []ruleCase{
		{name: "secure: all four flags true", spec: with(secureSpec(), "publicAccessBlock", allBlocked())},
		{name: "insecure: all four flags false", spec: with(secureSpec(), "publicAccessBlock", flags(false, false, false, false)), action: rules.Deny, want: []want{
			{pab + ".blockPublicACLs", "blockPublicACLs is false"},
			{pab + ".ignorePublicACLs", "ignorePublicACLs is false"},
			{pab + ".blockPublicPolicy", "blockPublicPolicy is false"},
			{pab + ".restrictPublicBuckets", "restrictPublicBuckets is false"},
		}},
		{name: "tricky: a directory bucket without the block (AWS keeps it on, ACK rejects the field)",
			spec: with(with(secureSpec(), "publicAccessBlock", nil), "name", "logs--usw2-az1--x-s3")},
		{name: "tricky: block absent", spec: with(secureSpec(), "publicAccessBlock", nil), action: rules.Deny, want: []want{
			{pab, "publicAccessBlock is not set, so ACK removes the bucket's Block Public Access"},
		}},
		{name: "tricky: block null is absent", spec: withNull(secureSpec(), "publicAccessBlock"), want: []want{
			{pab, "is not set"},
		}},
		{name: "tricky: one flag missing is not false but still fails", spec: with(secureSpec(), "publicAccessBlock", flags(true, true, true, nil)), want: []want{
			{pab + ".restrictPublicBuckets", "restrictPublicBuckets is not set (ACK sends it as false)"},
		}},
		{name: "tricky: empty block", spec: with(secureSpec(), "publicAccessBlock", map[string]any{}), want: []want{
			{pab + ".blockPublicACLs", "is not set"},
			{pab + ".ignorePublicACLs", "is not set"},
			{pab + ".blockPublicPolicy", "is not set"},
			{pab + ".restrictPublicBuckets", "is not set"},
		}},
		{name: "tricky: one flag false", spec: with(secureSpec(), "publicAccessBlock", flags(true, false, true, true)), want: []want{
			{pab + ".ignorePublicACLs", "ignorePublicACLs is false"},
		}},
		{name: "wrong type: blockPublicACLs \"yes\"", spec: with(secureSpec(), "publicAccessBlock", flags("yes", true, true, true)), want: []want{
			{pab + ".blockPublicACLs", "invalid input: must be a boolean, found string"},
		}},
		{name: "wrong type: flag as a number", spec: with(secureSpec(), "publicAccessBlock", flags(true, true, int64(1), true)), want: []want{
			{pab + ".blockPublicPolicy", "must be a boolean, found number"},
		}},
		{name: "wrong type: block as a string", spec: with(secureSpec(), "publicAccessBlock", "all"), want: []want{
			{pab, "invalid input: must be an object, found string"},
		}},
	})
}
