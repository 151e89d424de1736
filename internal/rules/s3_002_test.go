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
		// Conditions that look restrictive but are not, and those that are
		// (catalog §10.1 C1-C4, [OPS], [MULTI]).
		{name: "tricky: StringEqualsIfExists aws:SourceVpce is true when the key is absent", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`)), want: []want{
			{p, "StringEqualsIfExists on aws:SourceVpce is true when the key is absent"},
		}},
		{name: "tricky: IpAddressIfExists aws:SourceIp is true when the key is absent", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`)), want: []want{
			{p, "IpAddressIfExists on aws:SourceIp is true when the key is absent"},
		}},
		{name: "tricky: ForAllValues:StringEquals on the single-valued aws:SourceVpce is true when the key is absent", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"ForAllValues:StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`)), want: []want{
			{p, "ForAllValues:StringEquals on aws:SourceVpce is true when the key is absent"},
		}},
		{name: "secure: ForAnyValue:StringEquals aws:SourceVpce is false when the key is absent, so it restricts", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"ForAnyValue:StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`))},
		{name: "tricky: ForAnyValue:StringNotEquals aws:SourceVpce matches every other endpoint", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"ForAnyValue:StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`)), want: []want{
			{p, "matches every other value"},
		}},
		{name: "tricky: Null false only asks that aws:SourceVpce exist, any endpoint", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"Null":{"aws:SourceVpce":"false"}}`)), want: []want{
			{p, "Null does not restrict aws:SourceVpce to fixed values"},
		}},
		{name: "tricky: Null with a JSON boolean reads the same", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"Null":{"aws:SourceVpce":false}}`)), want: []want{
			{p, "Null does not restrict aws:SourceVpce"},
		}},
		{name: "secure: an IfExists condition ANDed with a fixed one restricts (C4)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"},"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`))},
		{name: "secure: condition key names are case-insensitive (F4)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"AWS:SOURCEVPCE":"vpce-1a2b3c4d"}}`))},
		{name: "secure: a JSON number is the account ID's text", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceAccount":111122223333}}`))},
		{name: "secure: several fixed values are ORed (C4)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":["vpce-1a2b3c4d","vpce-5e6f7a8b"]}}`))},
		{name: "tricky: one wildcard value among fixed ones opens the condition", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringLike":{"aws:SourceVpce":["vpce-1a2b3c4d","vpce-*"]}}`)), want: []want{
			{p, "has a wildcard"},
		}},
		{name: "tricky: an empty value list is invalid (POL-001), never compliant", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":[]}}`)), want: []want{
			{p, "cannot evaluate"},
		}},
		{name: "tricky: case-twin keys in one operator are invalid (POL-001), never compliant", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d","aws:sourcevpce":"vpce-5e6f7a8b"}}`)), want: []want{
			{p, "cannot evaluate"},
		}},
		{name: "secure: aws:PrincipalAccount with a fixed value restricts (C1)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`))},
		{name: "tricky: aws:PrincipalOrgPaths is not among the restricting keys (C1)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"ForAnyValue:StringEquals":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}}`)), want: []want{
			{p, "Statement[1] allows s3:GetObject to any principal"},
		}},
		{name: "tricky: aws:SourceOrgID is not among the restricting keys (C1)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:SourceOrgID":"o-a1b2c3d4e5"}}`)), want: []want{
			{p, "Statement[1] allows s3:GetObject to any principal"},
		}},
		{name: "tricky: a policy variable in a 2012-10-17 aws:PrincipalAccount does not restrict (C2)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:GetObject"`, `{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}`)), want: []want{
			{p, "uses a policy variable"},
		}},
		// Principals (B1-B6).
		{name: "tricky: AWS * in an array is every principal (B1)", spec: withPolicy(stmt("Allow", `"Principal":{"AWS":["*"]}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "allows s3:GetObject to any principal"},
		}},
		{name: "tricky: AWS * next to a named account is still every principal (B1)", spec: withPolicy(stmt("Allow", `"Principal":{"AWS":["444455556666","*"]}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "allows s3:GetObject to any principal"},
		}},
		{name: "tricky: a partial wildcard account is invalid (B3), never all accounts", spec: withPolicy(stmt("Allow", `"Principal":{"AWS":"arn:aws:iam::*:root"}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "cannot evaluate"},
		}},
		{name: "tricky: an account ID with a wildcard is invalid (B3)", spec: withPolicy(stmt("Allow", `"Principal":{"AWS":"4444555566*"}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "cannot evaluate"},
		}},
		{name: "tricky: a wildcard service principal is invalid", spec: withPolicy(stmt("Allow", `"Principal":{"Service":"*"}`, `"Action":"s3:GetObject"`, "")), want: []want{
			{p, "cannot evaluate"},
		}},
		{name: "secure: a canonical user is one fixed account", spec: withPolicy(stmt("Allow", `"Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, `"Action":"s3:GetObject"`, ""))},
		{name: "secure: NotPrincipal with Deny grants nothing (B5)", spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`)},
		{name: "tricky: NotAction on writes grants reads", spec: withPolicy(stmt("Allow", anyone, `"NotAction":"s3:Put*"`, "")), want: []want{
			{p, "s3:GetObject"},
		}},
	})
}
