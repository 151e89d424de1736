package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// stmt builds a statement with the given principal element, action element
// and condition block ("" for none) on the bucket's objects.
func stmt(effect, principal, action, condition string) string {
	s := `{"Effect":"` + effect + `",` + principal + `,` + action + `,"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + `}`
}

const (
	anyone  = `"Principal":"*"`
	partner = `"Principal":{"AWS":"arn:aws:iam::444455556666:root"}`
)

func TestS3002(t *testing.T) {
	const p = "spec.policy"
	withPolicy := func(statements ...string) map[string]any {
		return with(secureSpec(), "policy", pol(append([]string{tlsDeny}, statements...)...))
	}
	runRuleCases(t, "S3-002", []ruleCase{
		{name: "secure: read restricted by StringEquals aws:SourceVpce", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`))},
		{name: "secure: read granted to a named account", spec: withPolicy(stmt("Allow", partner, `"Action":["s3:GetObject","s3:ListBucket"]`, ""))},
		{name: "secure: no policy", spec: with(secureSpec(), "policy", nil)},
		{name: "secure: empty policy string", spec: with(secureSpec(), "policy", "  ")},
		{name: "secure: public write only is S3-003's", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutObject"`, ""))},
		{name: "secure: Deny to everyone", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:GetObject"`, ""))},
		{name: "insecure: s3:GetObject to *", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, "")), action: rules.Deny, want: []want{
			{p, `Statement[1] allows s3:GetObject to any principal`},
		}},
		{name: "tricky: StringNotEquals aws:SourceVpce is still public", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`)), want: []want{
			{p, "StringNotEquals on aws:SourceVpce matches every other value"},
		}},
		{name: "tricky: s3:* to AWS *", spec: withPolicy(stmt("Allow", `"Principal":{"AWS":"*"}`, `"Action":"s3:*"`, "")), want: []want{
			{p, "allows s3:* to any principal"},
		}},
		{name: "tricky: * action", spec: withPolicy(stmt("Allow", anyone, `"Action":"*"`, "")), want: []want{
			{p, "allows * to any principal"},
		}},
		{name: "tricky: case-insensitive action", spec: withPolicy(stmt("Allow", anyone, `"Action":"S3:LISTBUCKET"`, "")), want: []want{
			{p, "S3:LISTBUCKET"},
		}},
		{name: "tricky: wildcard VPC endpoint", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringLike":{"aws:SourceVpce":"vpce-*"}}`)), want: []want{
			{p, "has a wildcard"},
		}},
		{name: "tricky: aws:SourceIp covering everything in two halves", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}`)), want: []want{
			{p, "whole internet"},
		}},
		{name: "tricky: federated principal", spec: withPolicy(stmt("Allow", `"Principal":{"Federated":"graph.facebook.com"}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "identity provider graph.facebook.com"},
		}},
		{name: "tricky: NotPrincipal with Allow", spec: withPolicy(`{"Sid":"AllButPartner","Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), want: []want{
			{p, `Statement[1] (Sid "AllButPartner") allows s3:GetObject to every principal not listed in NotPrincipal`},
		}},
		{name: "tricky: two public statements give two findings", spec: withPolicy(
			stmt("Allow", anyone, `"Action":"s3:GetObject"`, ""),
			stmt("Allow", anyone, `"Action":"s3:ListBucket"`, ""),
		), want: []want{
			{p, "Statement[1] allows s3:GetObject"},
			{p, "Statement[2] allows s3:ListBucket"},
		}},
		{name: "tricky: NotAction on writes grants reads", spec: withPolicy(stmt("Allow", anyone, `"NotAction":"s3:Put*"`, "")), want: []want{
			{p, "s3:GetObject"},
		}},
	})
}

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
