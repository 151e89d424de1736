package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3003(t *testing.T) {
	const p = "spec.policy"
	withPolicy := func(statements ...string) map[string]any {
		return with(secureSpec(), "policy", pol(append([]string{tlsDeny}, statements...)...))
	}
	runRuleCases(t, "S3-003", []ruleCase{
		{name: "secure: only the TLS deny", spec: secureSpec()},
		{name: "secure: public read is S3-002's", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, ""))},
		{name: "secure: write restricted to the organisation", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutObject"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`))},
		{name: "secure: write granted to a named account", spec: withPolicy(stmt("Allow", partner, `"Action":"s3:PutObject"`, ""))},
		{name: "insecure: public s3:PutObject", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutObject"`, "")), action: rules.Deny, want: []want{
			{p, "Statement[1] allows s3:PutObject to any principal"},
		}},
		{name: "tricky: NotAction s3:Get* with Principal * grants writes", spec: withPolicy(stmt("Allow", anyone, `"NotAction":["s3:Get*"]`, "")), want: []want{
			{p, "allows s3:PutObject, s3:PutObjectAcl, s3:PutBucketPolicy, s3:PutBucketAcl and 9 more to any principal"},
		}},
		{name: "tricky: s3:Delete*", spec: withPolicy(stmt("Allow", anyone, `"Action":["s3:GetObject","s3:Delete*"]`, "")), want: []want{
			{p, "allows s3:Delete* to any principal"},
		}},
		{name: "tricky: s3:*", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:*"`, "")), want: []want{
			{p, "allows s3:*"},
		}},
		{name: "tricky: abort multipart upload", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:AbortMultipartUpload"`, "")), want: []want{
			{p, "s3:AbortMultipartUpload"},
		}},
		{name: "tricky: ? pattern may allow a write", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:?utObject"`, "")), want: []want{
			{p, "s3:?utObject"},
		}},
		{name: "tricky: IfExists condition does not restrict", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutObject"`, `{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}`)), want: []want{
			{p, "is true when the key is absent"},
		}},
	})
}
