package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3013(t *testing.T) {
	const p = "spec.policy"
	withPolicy := func(statements ...string) map[string]any {
		return with(secureSpec(), "policy", pol(append([]string{tlsDeny}, statements...)...))
	}
	owner := rules.Config{OwnerAccounts: []string{"111122223333"}}
	runRuleCases(t, "S3-013", []ruleCase{
		{name: "secure: the S3-006 secure-transport deny", spec: secureSpec()},
		{name: "secure: Deny with ArnNotLike aws:PrincipalArn exception", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/ack-s3-controller","arn:aws:iam::111122223333:root"]}}`))},
		{name: "secure: exception naming an owner account", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`))},
		{name: "secure: exception by organisation", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`))},
		{name: "secure: insecure transport AND another condition", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`))},
		// Every AWS API endpoint refuses TLS below 1.2, so the ACK
		// controller never sends a request this Deny matches (AWS's
		// "enforce TLS 1.2 or higher" bucket policy).
		{name: "secure: Deny of TLS versions below 1.2", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"NumericLessThan":{"s3:TlsVersion":1.2}}`))},
		{name: "secure: Deny of TLS versions up to 1.1", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"NumericLessThanEquals":{"s3:TlsVersion":"1.1"}}`))},
		{name: "tricky: Deny of TLS versions below 1.3 may lock out a TLS 1.2 client", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"NumericLessThan":{"s3:TlsVersion":["1.2","1.3"]}}`)), want: []want{
			{p, "under conditions the owner and the ACK controller may not meet"},
		}},
		{name: "tricky: Deny of TLS versions from 1.2", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"NumericGreaterThanEquals":{"s3:TlsVersion":"1.2"}}`)), want: []want{
			{p, "under conditions"},
		}},
		{name: "secure: Deny on objects only", spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-bucket/*"}`)},
		{name: "secure: Deny of object actions", spec: withPolicy(stmt("Deny", anyone, `"Action":["s3:GetObject","s3:PutObject"]`, ""))},
		{name: "secure: Deny to a named principal", spec: withPolicy(stmt("Deny", `"Principal":{"AWS":"arn:aws:iam::444455556666:root"}`, `"Action":"s3:*"`, ""))},
		{name: "secure: NotPrincipal names the controller's role and its account", cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/ack-s3-controller","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`)},
		{name: "secure: NotPrincipal with a role and its account as a bare ID, no owner config", spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/ack-s3-controller","111122223333"]},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`)},
		{name: "insecure: NotPrincipal naming only the owner account root", action: rules.Deny, cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`), want: []want{
			{p, "every principal outside NotPrincipal (it names only the account arn:aws:iam::111122223333:root, which exempts only its root user: every role and assumed-role session of that account, the ACK controller's included, is denied"},
		}},
		{name: "tricky: NotPrincipal naming only an account ID, no owner config", spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::my-bucket"}`), want: []want{
			{p, "names only the account 111122223333"},
		}},
		{name: "tricky: NotPrincipal naming a role without its account", cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/ack-s3-controller"},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`), want: []want{
			{p, "names arn:aws:iam::111122223333:role/ack-s3-controller without the ARN of its account"},
		}},
		// An assumed-role session ARN names one session: the controller's
		// SDK names a new session when it renews its credentials.
		{name: "insecure: NotPrincipal naming an assumed-role session and its account", action: rules.Deny, cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/ack-s3-controller/session-1","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`), want: []want{
			{p, "it names the session arn:aws:sts::111122223333:assumed-role/ack-s3-controller/session-1, which exempts that session only"},
		}},
		{name: "secure: NotPrincipal naming a session, its role and its account", cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/ack-s3-controller/session-1","arn:aws:iam::111122223333:role/ack-s3-controller","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`)},
		// The Deny at fault is read as AWS applies it: '?' is a one-character
		// wildcard (D2; only a Deny that subtracts from a grant ignores it,
		// to keep findings) and ARNs compare case-sensitively (E3).
		{name: "tricky: a ? in the action still denies", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:?utBucketPolicy"`, "")), want: []want{
			{p, "denies s3:PutBucketPolicy on the bucket to every principal unconditionally"},
		}},
		{name: "tricky: a ? in the resource still covers the bucket", spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-bucke?"}`), want: []want{
			{p, "s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy"},
		}},
		{name: "tricky: a NotResource naming the bucket in other case does not exempt it", spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::MY-BUCKET"}`), want: []want{
			{p, "s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy"},
		}},
		// The bucket's ARN is in the configured partition when the bucket
		// tells none.
		{name: "insecure: a Deny on the bucket's ARN in the configured partition", action: rules.Deny, cfg: rules.Config{Partition: "aws-cn"}, spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws-cn:s3:::my-bucket"}`), want: []want{
			{p, "s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy"},
		}},
		{name: "secure: a Deny on the aws ARN does not reach an aws-cn bucket", cfg: rules.Config{Partition: "aws-cn"}, spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-bucket"}`)},
		{name: "secure: a NotResource naming the bucket exempts it", spec: withPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::my-bucket"}`)},
		{name: "secure: a ? NotAction that excludes the management actions", spec: withPolicy(stmt("Deny", anyone, `"NotAction":"s3:*BucketPolic?"`, ""))},
		{name: "insecure: unconditional Deny s3:* to *", action: rules.Deny, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, "")), want: []want{
			{p, "Statement[1] denies s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy on the bucket to every principal unconditionally"},
		}},
		{name: "tricky: Deny with StringNotEquals aws:SourceVpce", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`)), want: []want{
			{p, "under conditions the owner and the ACK controller may not meet"},
		}},
		{name: "tricky: exception naming another account when owners are configured", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/admin"}}`)), want: []want{
			{p, "denies"},
		}},
		// A Deny confined to principals of other accounts never reaches the
		// owner's: it is an owner exception written the other way round.
		{name: "secure: Deny confined to another account", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringEquals":{"aws:PrincipalAccount":["444455556666","777788889999"]}}`))},
		{name: "secure: Deny confined to roles of another account", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/*"}}`))},
		{name: "tricky: Deny confined to accounts that include an owner", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringEquals":{"aws:PrincipalAccount":["444455556666","111122223333"]}}`)), want: []want{
			{p, "under conditions"},
		}},
		{name: "tricky: Deny confined by a wildcard account", cfg: owner, spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci"}}`)), want: []want{
			{p, "under conditions"},
		}},
		{name: "tricky: Deny confined to another account, owners unknown", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`)), want: []want{
			{p, "under conditions"},
		}},
		{name: "tricky: positive condition on the principal is no exception", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ack-*"}}`)), want: []want{
			{p, "under conditions"},
		}},
		{name: "tricky: only policy actions", spec: withPolicy(stmt("Deny", anyone, `"Action":"s3:*BucketPolicy"`, "")), want: []want{
			{p, "s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy"},
		}},
		{name: "tricky: Principal AWS *", spec: withPolicy(stmt("Deny", `"Principal":{"AWS":"*"}`, `"Action":"s3:PutBucketPolicy"`, "")), want: []want{
			{p, "denies s3:PutBucketPolicy on the bucket to every principal"},
		}},
		{name: "tricky: NotPrincipal without an owner principal", cfg: owner, spec: withPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:*","Resource":"*"}`), want: []want{
			{p, "every principal outside NotPrincipal (it names no principal of the owner accounts)"},
		}},
		{name: "tricky: NotAction deny covers policy management", spec: withPolicy(stmt("Deny", anyone, `"NotAction":"s3:GetObject"`, "")), want: []want{
			{p, "s3:GetBucketPolicy"},
		}},
	})

	// A directory bucket's policy names s3express actions and the bucket's
	// s3express ARN (arn:aws:s3express:<region>:<account>:bucket/<name>).
	const dir = "logs--usw2-az1--x-s3"
	dirARN := "arn:aws:s3express:us-west-2:111122223333:bucket/" + dir
	dirPolicy := func(statements ...string) map[string]any {
		return with(with(secureSpec(), "name", dir), "policy", pol(statements...))
	}
	runRuleCases(t, "S3-013", []ruleCase{
		{name: "secure: directory bucket allowing CreateSession", spec: dirPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3express:CreateSession","Resource":"` + dirARN + `"}`)},
		{name: "insecure: directory bucket Deny s3express:* to *", action: rules.Deny, spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3express:*","Resource":"` + dirARN + `"}`), want: []want{
			{p, "denies s3express:GetBucketPolicy, s3express:PutBucketPolicy, s3express:DeleteBucketPolicy on the bucket to every principal unconditionally"},
		}},
		{name: "insecure: directory bucket Deny on every resource", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3express:PutBucketPolicy","Resource":"*"}`), want: []want{
			{p, "denies s3express:PutBucketPolicy"},
		}},
		{name: "insecure: directory bucket Deny with a region wildcard", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:s3express:*:111122223333:bucket/` + dir + `"}`), want: []want{
			{p, "s3express:DeleteBucketPolicy"},
		}},
		{name: "secure: directory bucket Deny of another bucket", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3express:*","Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/other--usw2-az1--x-s3"}`)},
		{name: "secure: directory bucket Deny of CreateSession only", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"` + dirARN + `"}`)},
		{name: "secure: directory bucket NotResource naming it", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3express:*","NotResource":"` + dirARN + `"}`)},
		{name: "secure: general purpose actions do not reach a directory bucket", spec: dirPolicy(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`)},
	})
}
