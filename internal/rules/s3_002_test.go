package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
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
		{name: "tricky: without a Version, ${...} is a literal value that restricts (catalog A6)", spec: with(secureSpec(), "policy",
			`{"Statement":[`+stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":"${aws:username}"}}`)+`]}`)},
		{name: "tricky: under 2012-10-17, ${...} is a variable that does not", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":"${aws:username}"}}`)), want: []want{
			{p, "Statement[1] allows s3:GetObject to any principal"},
		}},
		{name: "tricky: NotAction on writes grants reads", spec: withPolicy(stmt("Allow", anyone, `"NotAction":"s3:Put*"`, "")), want: []want{
			{p, "s3:GetObject"},
		}},
	})
}
