package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3007(t *testing.T) {
	const p = "spec.policy"
	withPolicy := func(statements ...string) map[string]any {
		return with(secureSpec(), "policy", pol(append([]string{tlsDeny}, statements...)...))
	}
	other := func(principal, action string) string {
		return stmt("Allow", `"Principal":{"AWS":"`+principal+`"}`, action, "")
	}
	owner := rules.Config{OwnerAccounts: []string{"444455556666"}}
	runRuleCases(t, "S3-007", []ruleCase{
		{name: "secure: only the TLS deny", spec: secureSpec()},
		{name: "secure: other account may only read", spec: withPolicy(other("arn:aws:iam::444455556666:root", `"Action":["s3:GetObject","s3:ListBucket"]`))},
		{name: "secure: owner account may change the policy", cfg: owner, spec: withPolicy(other("arn:aws:iam::444455556666:root", `"Action":"s3:PutBucketPolicy"`))},
		{name: "secure: owner account as a bare ID (B2)", cfg: owner, spec: withPolicy(other("444455556666", `"Action":"s3:*"`))},
		{name: "secure: owner account role", cfg: owner, spec: withPolicy(other("arn:aws:iam::444455556666:role/admin", `"Action":"s3:PutBucketAcl"`))},
		{name: "secure: Deny is not a grant", spec: withPolicy(stmt("Deny", `"Principal":{"AWS":"444455556666"}`, `"Action":"s3:PutBucketPolicy"`, ""))},
		{name: "secure: service principal is left to the confused-deputy rule", spec: withPolicy(stmt("Allow", `"Principal":{"Service":"logging.s3.amazonaws.com"}`, `"Action":"s3:PutObjectAcl"`, ""))},
		{name: "insecure: other account without owner config", action: rules.Deny, spec: withPolicy(other("arn:aws:iam::444455556666:root", `"Action":"s3:PutBucketPolicy"`)), want: []want{
			{p, "Statement[1] allows s3:PutBucketPolicy to arn:aws:iam::444455556666:root, outside the owner accounts"},
		}},
		{name: "insecure: other account with a different owner", cfg: rules.Config{OwnerAccounts: []string{"111122223333"}}, spec: withPolicy(other("444455556666", `"Action":"s3:PutObjectAcl"`)), want: []want{
			{p, "allows s3:PutObjectAcl to 444455556666"},
		}},
		{name: "secure: data perimeter, * pinned to the owner account by aws:PrincipalAccount", cfg: owner, spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutEncryptionConfiguration"`, `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`))},
		{name: "secure: data perimeter, * pinned by ArnLike aws:PrincipalArn on owner roles", cfg: owner, spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:*"`, `{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::444455556666:role/admin-*","arn:aws:iam::444455556666:root"]}}`))},
		{name: "secure: an external principal pinned to the owner account reaches no one outside it", cfg: owner, spec: withPolicy(stmt("Allow", `"Principal":{"AWS":"777788889999"}`, `"Action":"s3:PutBucketPolicy"`, `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`))},
		{name: "tricky: * pinned to another account", cfg: owner, spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutBucketAcl"`, `{"StringEquals":{"aws:PrincipalAccount":["444455556666","777788889999"]}}`)), want: []want{
			{p, "allows s3:PutBucketAcl to any principal of account 777788889999 (aws:PrincipalAccount), outside the owner accounts"},
		}},
		{name: "tricky: pinned account without owner config is external (G2)", spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutBucketAcl"`, `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`)), want: []want{
			{p, "to any principal of account 444455556666"},
		}},
		{name: "tricky: a negated account condition pins nothing", cfg: owner, spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutObjectAcl"`, `{"StringNotEquals":{"aws:PrincipalAccount":"777788889999"}}`)), want: []want{
			{p, "allows s3:PutObjectAcl to any principal, outside"},
		}},
		{name: "tricky: a network condition keeps * from being public but not inside the owner accounts", cfg: owner, spec: withPolicy(stmt("Allow", anyone, `"Action":"s3:PutBucketPolicy"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`)), want: []want{
			{p, "to any principal (the condition on aws:SourceVpce does not confine it to the owner accounts), outside"},
		}},
		{name: "tricky: s3:* lists every blacklisted action", spec: withPolicy(other("arn:aws:iam::444455556666:root", `"Action":"s3:*"`)), want: []want{
			{p, "allows s3:DeleteBucketPolicy, s3:PutBucketAcl, s3:PutBucketPolicy, s3:PutEncryptionConfiguration, s3:PutObjectAcl to"},
		}},
		{name: "tricky: s3:Put* via wildcard", spec: withPolicy(other("444455556666", `"Action":"s3:Put*"`)), want: []want{
			{p, "s3:PutBucketAcl, s3:PutBucketPolicy, s3:PutEncryptionConfiguration, s3:PutObjectAcl"},
		}},
		{name: "tricky: NotAction grants the rest", spec: withPolicy(other("444455556666", `"NotAction":"s3:Get*"`)), want: []want{
			{p, "s3:DeleteBucketPolicy"},
		}},
		{name: "tricky: mixed owner and external principals", cfg: owner, spec: withPolicy(stmt("Allow", `"Principal":{"AWS":["444455556666","arn:aws:iam::777788889999:user/u"]}`, `"Action":"s3:PutBucketPolicy"`, "")), want: []want{
			{p, "to arn:aws:iam::777788889999:user/u, outside"},
		}},
		{name: "tricky: NotPrincipal with Allow", cfg: owner, spec: withPolicy(`{"Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},"Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::my-bucket"}`), want: []want{
			{p, "every principal not listed in NotPrincipal"},
		}},
	})
}
