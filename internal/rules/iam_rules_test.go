package rules_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

const (
	star     = `"*"`
	adminDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"}]}`
	readDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`
)

func TestPOL001IAM(t *testing.T) {
	runIAMCases(t, "POL-001", []iamCase{
		{name: "secure: valid trust and inline", spec: roleWith("read", readDoc)},
		{name: "insecure: inline with trailing comma", action: rules.Deny, spec: roleWith("bad", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket",],"Resource":"*"}]}`), want: []want{
			{inl("bad"), `invalid inline policy: not valid JSON`},
		}},
		{name: "insecure: identity policy names a Principal", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", "must not name a Principal"},
		}},
		{name: "tricky: trust policy with string Principal *", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", `does not accept the string form "*"`},
		}},
		{name: "tricky: trust policy with NotPrincipal and Resource", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "must not use NotPrincipal"},
			{"spec.assumeRolePolicyDocument", "must not name a Resource"},
		}},
		{name: "tricky: URL-encoded inline policy is judged decoded", spec: roleWith("enc", url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}`)), want: []want{
			{inl("enc"), `URL-encoded; judged decoded`},
		}},
		{name: "tricky: valid URL-encoded inline policy passes", spec: roleWith("enc", url.QueryEscape(readDoc))},
		{name: "tricky: bad URL encoding", spec: roleWith("pct", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/100%"}]}`), want: []want{
			{inl("pct"), "not valid URL encoding"},
		}},
		{name: "tricky: empty managed policy", kind: "Policy", spec: policySpec("  "), want: []want{
			{"spec.policyDocument", "the document is empty"},
		}},
		{name: "tricky: inline policy over the user quota", kind: "User", spec: map[string]any{"name": "u", "inlinePolicies": map[string]any{"big": idp(strings.Repeat(allow(`"s3:GetObject"`, `"arn:aws:s3:::bucket-with-a-long-name/*"`)+",", 40) + allow(star, star))}}, want: []want{
			{inl("big"), "may be at most 2048"},
		}},
		{name: "tricky: inline policies each within the user quota, over it together (A7)", kind: "User", spec: map[string]any{"name": "u", "inlinePolicies": map[string]any{
			"a": idp(strings.Repeat(allow(`"s3:GetObject"`, `"arn:aws:s3:::bucket-with-a-long-name/*"`)+",", 20) + allow(`"s3:GetObject"`, star)),
			"b": idp(strings.Repeat(allow(`"s3:PutObject"`, `"arn:aws:s3:::bucket-with-a-long-name/*"`)+",", 20) + allow(`"s3:PutObject"`, star)),
		}}, want: []want{
			{"spec.inlinePolicies", "IAM allows a user at most 2048 in all of its inline policies"},
		}},
		{name: "secure: two small inline policies of a role", spec: roleWith("a", readDoc, "b", readDoc)},
		{name: "wrong type: inline value is a number", spec: with(roleWith(), "inlinePolicies", map[string]any{"n": int64(3)}), want: []want{
			{inl("n"), "invalid input: must be a string, found number"},
		}},
		{name: "secure: referenced Policy problems belong to the Policy", spec: with(roleWith(), "policyRefs", []any{map[string]any{"from": map[string]any{"name": "broken"}}}),
			cfg: rules.Config{Resolver: resolverWith("broken", "{")}},
	})
}

func TestPOL002(t *testing.T) {
	runIAMCases(t, "POL-002", []iamCase{
		{name: "secure: identity policy", kind: "Policy", spec: policySpec(readDoc)},
		{name: "tricky: NotPrincipal in a trust policy is invalid input (POL-001)", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "cannot evaluate"},
		}},
	})
	runRuleCases(t, "POL-002", []ruleCase{
		{name: "secure: NotPrincipal with Deny", spec: with(secureSpec(), "policy", pol(tlsDeny, `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::my-bucket"}`))},
		{name: "insecure: NotPrincipal with Allow", action: rules.Deny, spec: with(secureSpec(), "policy", pol(tlsDeny, `{"Sid":"X","Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`)), want: []want{
			{"spec.policy", `Statement[1] (Sid "X") uses NotPrincipal with Effect Allow`},
		}},
	})
}

func TestPOL003(t *testing.T) {
	svc := func(cond string) string {
		return stmt("Allow", `"Principal":{"Service":"logging.s3.amazonaws.com"}`, `"Action":"s3:PutObject"`, cond)
	}
	runRuleCases(t, "POL-003", []ruleCase{
		{name: "secure: SourceAccount", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)))},
		{name: "secure: SourceArn key in other case", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"ArnLike":{"AWS:SOURCEARN":"arn:aws:s3:::src"}}`)))},
		{name: "insecure: no condition", action: rules.Warn, spec: with(secureSpec(), "policy", pol(tlsDeny, svc(""))), want: []want{
			{"spec.policy", "logging.s3.amazonaws.com without an aws:SourceArn or aws:SourceAccount condition"},
		}},
		{name: "tricky: IfExists does not restrict", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}`))), want: []want{
			{"spec.policy", "confused deputy"},
		}},
		{name: "tricky: a wildcard SourceArn of any bucket does not restrict", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`))), want: []want{
			{"spec.policy", `its only source condition does not pin a source: aws:SourceArn value "arn:aws:s3:::*" has a wildcard`},
		}},
		{name: "tricky: a wildcard bucket name prefix does not restrict (any account may own such a bucket)", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"StringLike":{"aws:SourceArn":["arn:aws:s3:::logs-src","arn:aws:s3:::logs-*"]}}`))), want: []want{
			{"spec.policy", "confused deputy"},
		}},
		{name: "tricky: a wildcard SourceAccount does not restrict", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"StringLike":{"aws:SourceAccount":"1111*"}}`))), want: []want{
			{"spec.policy", "confused deputy"},
		}},
		{name: "secure: a wildcard SourceArn under a fixed account", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}`)))},
		{name: "secure: StringEquals reads * literally", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"StringEquals":{"aws:SourceArn":"arn:aws:s3:::*"}}`)))},
		{name: "tricky: Null false only asks that the key exist", spec: with(secureSpec(), "policy", pol(tlsDeny, svc(`{"Null":{"aws:SourceAccount":"false"}}`))), want: []want{
			{"spec.policy", "confused deputy"},
		}},
	})
	runIAMCases(t, "POL-003", []iamCase{{name: "secure: trust policies are exempt", spec: roleWith()}})
}

func TestPOL004(t *testing.T) {
	runIAMCases(t, "POL-004", []iamCase{
		{name: "secure: 2012", spec: roleWith("read", readDoc)},
		{name: "insecure: missing Version", action: rules.Warn, spec: roleWith("v", `{"Statement":[`+allow(`"s3:GetObject"`, `"arn:aws:s3:::b/*"`)+`]}`), want: []want{
			{inl("v"), "has no Version"},
		}},
		{name: "tricky: 2008 with a variable", kind: "Policy", spec: policySpec(`{"Version":"2008-10-17","Statement":[` + allow(`"s3:GetObject"`, `"arn:aws:s3:::b/${aws:username}/*"`) + `]}`), want: []want{
			{"spec.policyDocument", `this document uses "${"`},
		}},
		{name: "tricky: trust policy too", spec: with(roleWith(), "assumeRolePolicyDocument", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), want: []want{
			{"spec.assumeRolePolicyDocument", "has no Version"},
		}},
	})
}

func TestPOL005(t *testing.T) {
	runIAMCases(t, "POL-005", []iamCase{
		{name: "secure: plain condition", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"*"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)))},
		{name: "insecure: ForAllValues on a single-valued key", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"*"`, `{"ForAllValues:StringEquals":{"aws:SourceVpce":"vpce-1"}}`))), want: []want{
			{"spec.policyDocument", "ForAllValues: on the single-valued key aws:SourceVpce"},
		}},
		{name: "tricky: wildcard under StringEquals", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"*"`, `{"StringEquals":{"aws:PrincipalTag/team":"dev*"}}`))), want: []want{
			{"spec.policyDocument", "compares it literally"},
		}},
		{name: "tricky: private-only SourceIp", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"*"`, `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`))), want: []want{
			{"spec.policyDocument", "names only private ranges"},
		}},
		{name: "tricky: IfExists on the key restricting a wildcard trust", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "is true when aws:PrincipalOrgID is absent"},
		}},
		{name: "tricky: ForAllValues on a multi-valued key is fine", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"*"`, `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`)))},
	})
}

func TestIAM001(t *testing.T) {
	runIAMCases(t, "IAM-001", []iamCase{
		{name: "secure: scoped actions", spec: roleWith("read", readDoc)},
		{name: "secure: * on one bucket is not admin", kind: "Policy", spec: policySpec(idp(allow(star, `"arn:aws:s3:::b/*"`)))},
		{name: "secure: Deny * on *", kind: "Policy", spec: policySpec(idp(`{"Effect":"Deny","Action":"*","Resource":"*"}`))},
		{name: "insecure: * on *", action: rules.Deny, spec: roleWith("admin", adminDoc), want: []want{
			{inl("admin"), `Statement[0] (Sid "Admin") allows Action "*" on Resource "*"`},
		}},
		{name: "tricky: arn:* is effectively *", kind: "Policy", spec: policySpec(idp(allow(`["*"]`, `"arn:*"`))), want: []want{
			{"spec.policyDocument", `on Resource "arn:*"`},
		}},
		{name: "tricky: arn:aws:* and arn:*:*:*:*:*", kind: "Policy", spec: policySpec(idp(allow(star, `"arn:aws:*"`), allow(`"*:*"`, `"arn:*:*:*:*:*"`))), want: []want{
			{"spec.policyDocument", "Statement[0]"},
			{"spec.policyDocument", "Statement[1]"},
		}},
		{name: "tricky: arn* and *:* match every ARN too", kind: "Policy", spec: policySpec(idp(allow(star, `"arn*"`), allow(star, `["arn:aws:s3:::b/*","*:*"]`))), want: []want{
			{"spec.policyDocument", `Statement[0] allows Action "*" on Resource "arn*"`},
			{"spec.policyDocument", "Statement[1]"},
		}},
		{name: "tricky: '?' beside '*' is a wildcard in an Allow (D2): ?*:* is every action, arn:?* every ARN", kind: "Policy", spec: policySpec(idp(allow(`"?*:*"`, star), allow(star, `"arn:?*"`))), want: []want{
			{"spec.policyDocument", `Statement[0] allows Action "?*:*" on Resource "*"`},
			{"spec.policyDocument", `Statement[1] allows Action "*" on Resource "arn:?*"`},
		}},
		{name: "secure: ?:? names no real action", kind: "Policy", spec: policySpec(idp(allow(`"?:?"`, star)))},
		{name: "tricky: a '?' standing for one character of the partition still covers every ARN in an Allow (D2, E1): arn:???:* and arn:a?s:* are arn:aws:*", kind: "Policy", spec: policySpec(idp(allow(star, `"arn:???:*"`), allow(star, `"arn:a?s:*"`))), want: []want{
			{"spec.policyDocument", `Statement[0] allows Action "*" on Resource "arn:???:*"`},
			{"spec.policyDocument", `Statement[1] allows Action "*" on Resource "arn:a?s:*"`},
		}},
		{name: "secure: arn:aws:???:* is not every ARN (arn:aws:lambda:… has no colon after three characters)", kind: "Policy", spec: policySpec(idp(allow(star, `"arn:aws:???:*"`)))},
		{name: "tricky: NotResource with Action *", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::secret/*"}`)), want: []want{
			{"spec.policyDocument", "NotResource"},
		}},
		{name: "tricky: a condition does not excuse it (F1)", kind: "Policy", spec: policySpec(idp(allow(star, star, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`))), want: []want{
			{"spec.policyDocument", "its Condition does not excuse it"},
		}},
		{name: "tricky: admin Policy referenced by the Role", spec: with(roleWith(), "policyRefs", []any{map[string]any{"from": map[string]any{"name": "admin"}}}),
			cfg: rules.Config{Resolver: resolverWith("admin", adminDoc)}, want: []want{
				{"spec.policyRefs[0]", "Policy team-a/admin: Statement[0]"},
			}},
		{name: "tricky: URL-encoded admin", spec: roleWith("enc", url.QueryEscape(adminDoc)), want: []want{
			{inl("enc"), "URL-encoded"},
		}},
		{name: "tricky: admin in a User's and a Group's inline policy", kind: "User", spec: map[string]any{"name": "u", "inlinePolicies": map[string]any{"a": adminDoc}}, want: []want{
			{inl("a"), "administrator access"},
		}},
		{name: "invalid: reported as invalid input", spec: roleWith("bad", "{"), action: rules.Warn, want: []want{
			{inl("bad"), "cannot evaluate"},
		}},
	})
}

func TestIAM002(t *testing.T) {
	runIAMCases(t, "IAM-002", []iamCase{
		{name: "secure: named actions", spec: roleWith("read", readDoc)},
		{name: "insecure: s3:* warns", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"s3:*"`, `"arn:aws:s3:::b/*"`))), want: []want{
			{"spec.policyDocument", `allows "s3:*"`},
		}},
		{name: "insecure: IAM:* denies (any case)", action: rules.Deny, kind: "Policy", spec: policySpec(idp(allow(`"IAM:*"`, star))), want: []want{
			{"spec.policyDocument", `"IAM:*"`},
		}},
		{name: "tricky: * on one service's resources stays in that service (D4)", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(star, `"arn:aws:s3:::b/*"`))), want: []want{
			{"spec.policyDocument", `allows "*" on Resource "arn:aws:s3:::b/*": every s3 action on those resources`},
		}},
		{name: "tricky: * on IAM role ARNs reaches iam and sts", action: rules.Deny, kind: "Policy", spec: policySpec(idp(allow(star, `"arn:aws:iam::111122223333:role/*"`))), want: []want{
			{"spec.policyDocument", "every iam, sts action on those resources"},
		}},
		{name: "tricky: * on * is IAM-001's", kind: "Policy", spec: policySpec(adminDoc)},
		{name: "tricky: NotAction svc:* on * grants other services", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", `allows NotAction "s3:*" on Resource "*": every action of every other service`},
		}},
		{name: "secure: NotAction with one literal action is IAM-005's", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"ec2:TerminateInstances","Resource":"*"}`))},
		{name: "tricky: NotAction svc:* on one service's resources warns (D4)", action: rules.Warn, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::*"}`)), want: []want{
			{"spec.policyDocument", `allows NotAction "iam:*" on Resource "arn:aws:s3:::*": every s3 action not listed`},
		}},
		{name: "tricky: NotAction svc:* on KMS keys denies", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:*","Resource":"arn:aws:kms:*:111122223333:key/*"}`)), want: []want{
			{"spec.policyDocument", "every kms action not listed"},
		}},
		{name: "secure: NotAction of the only service its resources name grants it nothing", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:*","Resource":"arn:aws:s3:::b/*"}`))},
		{name: "tricky: s3:Get* is not service-wide", kind: "Policy", spec: policySpec(idp(allow(`"s3:Get*"`, `"arn:aws:s3:::b/*"`)))},
		{name: "tricky: s3:?* is service-wide ('?' is a wildcard in an Allow, D2)", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"s3:?*"`, `"arn:aws:s3:::b/*"`))), want: []want{
			{"spec.policyDocument", `allows "s3:?*" on Resource "arn:aws:s3:::b/*": a whole service`},
		}},
		{name: "tricky: a wildcard in the service takes iam (i*:*) and denies", action: rules.Deny, kind: "Policy", spec: policySpec(idp(allow(`"I*:*"`, `"arn:aws:s3:::b/*"`))), want: []want{
			{"spec.policyDocument", `allows "I*:*" on Resource "arn:aws:s3:::b/*": every service whose name matches "i*" (iam among them)`},
		}},
		{name: "tricky: a wildcard in the service taking no sensitive one warns", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"s3*:*"`, `"arn:aws:s3:::b/*"`))), want: []want{
			{"spec.policyDocument", `every service whose name matches "s3*"`},
		}},
		{name: "tricky: NotAction with a wildcard in the service on * denies", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3*:*","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", `allows NotAction "s3*:*" on Resource "*": every action of every other service`},
		}},
		{name: "secure: i*:Get* names no whole service", kind: "Policy", spec: policySpec(idp(allow(`"i*:Get*"`, `"arn:aws:s3:::b/*"`)))},
	})
}

func TestIAM003(t *testing.T) {
	ref := func(names ...string) []any {
		var out []any
		for _, n := range names {
			out = append(out, map[string]any{"from": map[string]any{"name": n}})
		}
		return out
	}
	runIAMCases(t, "IAM-003", []iamCase{
		{name: "secure: reads", spec: roleWith("read", readDoc)},
		{name: "secure: PassRole without a compute action", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star)))},
		{name: "insecure: CreatePolicyVersion on *", action: rules.Deny, kind: "Policy", spec: policySpec(idp(allow(`"iam:CreatePolicyVersion"`, star))), want: []want{
			{"spec.policyDocument", "Statement[0] allows privilege escalation on unconstrained resources: CreateNewPolicyVersion (iam:CreatePolicyVersion)"},
		}},
		{name: "tricky: union across statements (PassRole + RunInstances)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star), allow(`"ec2:RunInstances"`, star))), want: []want{
			{"spec.policyDocument", "Statement[0] and Statement[1] together allow privilege escalation"},
		}},
		{name: "tricky: union across inline and referenced documents", spec: with(roleWith("pass", idp(allow(`"iam:PassRole"`, star))), "policyRefs", ref("lambda")),
			cfg: rules.Config{Resolver: resolverWith("lambda", idp(allow(`["lambda:CreateFunction","lambda:InvokeFunction"]`, star)))}, want: []want{
				{inl("pass"), `Statement[0] and Statement[0] of Policy team-a/lambda (referenced by spec.policyRefs[0]) together allow privilege escalation`},
			}},
		{name: "tricky: union with an ACK Policy attached by its ARN (G1)", spec: with(roleWith("pass", idp(allow(`"iam:PassRole"`, star))), "policies", []any{"arn:aws:iam::111122223333:policy/p"}),
			cfg: rules.Config{Resolver: resolverWith("p", idp(allow(`["lambda:CreateFunction","lambda:InvokeFunction"]`, star)))}, want: []want{
				{inl("pass"), "PassExistingRoleToNewLambdaThenInvoke"},
			}},
		{name: "tricky: a policy ARN no ACK Policy names is not judged", spec: with(roleWith("pass", idp(allow(`"iam:PassRole"`, star))), "policies", []any{"arn:aws:iam::111122223333:policy/other", "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
			cfg: rules.Config{Resolver: resolverWith("p", idp(allow(`["lambda:CreateFunction","lambda:InvokeFunction"]`, star)))}},
		{name: "tricky: type-wide resource counts (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:AttachUserPolicy"`, `"arn:aws:iam::111122223333:user/*"`))), want: []want{
			{"spec.policyDocument", "AttachUserPolicy"},
		}},
		{name: "tricky: a wildcard type covers every user (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:AttachUserPolicy"`, `"arn:aws:iam::*:*/*"`))), want: []want{
			{"spec.policyDocument", "AttachUserPolicy"},
		}},
		{name: "tricky: a named resource does not", kind: "Policy", spec: policySpec(idp(allow(`"iam:AttachUserPolicy"`, `"arn:aws:iam::111122223333:user/alice"`)))},
		{name: "tricky: sts:AssumeRole acts on iam roles: role/* is type-wide for it (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:UpdateAssumeRolePolicy"`, star), allow(`"sts:AssumeRole"`, `"arn:aws:iam::111122223333:role/*"`))), want: []want{
			{"spec.policyDocument", "UpdateRolePolicyToAssumeIt"},
		}},
		{name: "insecure: a session in an existing Bedrock AgentCore code interpreter runs code as its role (cloudsplaining, catalog §9.1)", kind: "Policy", spec: policySpec(idp(allow(`["bedrock-agentcore:StartCodeInterpreterSession","bedrock-agentcore:InvokeCodeInterpreter"]`, star))), want: []want{
			{"spec.policyDocument", "AccessExistingBedrockCodeInterpreterSession"},
		}},
		{name: "tricky: conditions do not excuse it (F1)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PutRolePolicy"`, star, `{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`))), want: []want{
			{"spec.policyDocument", "PutRolePolicy"},
		}},
		{name: "tricky: unconditional Deny covering the resources subtracts (F3)", kind: "Policy", spec: policySpec(idp(allow(`"iam:*"`, star), `{"Effect":"Deny","Action":"iam:*","Resource":"*"}`))},
		{name: "tricky: conditional Deny does not subtract (F3)", kind: "Policy", spec: policySpec(idp(allow(`"iam:CreateAccessKey"`, star), `{"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`)), want: []want{
			{"spec.policyDocument", "CreateAccessKey"},
		}},
		{name: "tricky: Deny on fewer resources does not subtract", kind: "Policy", spec: policySpec(idp(allow(`"iam:CreateAccessKey"`, star), `{"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/admin"}`)), want: []want{
			{"spec.policyDocument", "CreateAccessKey"},
		}},
		{name: "tricky: a Deny naming another partition covers none of the identity's resources (F3)", kind: "Policy", spec: policySpec(idp(allow(`["iam:PassRole","ec2:RunInstances"]`, star), `{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws-cn:iam::*:*"}`)), want: []want{
			{"spec.policyDocument", "CreateEC2WithExistingInstanceProfile"},
		}},
		{name: "tricky: nor of an ARN of the identity's partition", kind: "Policy", spec: policySpec(idp(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::111122223333:user/*"`), `{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws-us-gov:iam::*:*"}`)), want: []want{
			{"spec.policyDocument", "CreateAccessKey"},
		}},
		{name: "tricky: a '?' Deny never subtracts (D2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:CreateAccessKey"`, star), `{"Effect":"Deny","Action":"iam:CreateAccess?ey","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", "CreateAccessKey"},
		}},
		{name: "tricky: NotAction allows escalation", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", "privilege escalation"},
		}},
		{name: "tricky: Action * gives one finding", kind: "Policy", spec: policySpec(adminDoc), want: []want{
			{"spec.policyDocument", "and"},
		}},
		{name: "tricky: referenced Policy not found warns", spec: with(roleWith(), "policyRefs", ref("missing")), cfg: rules.Config{Resolver: resolverWith()}, want: []want{
			{"spec.policyRefs[0]", "the referenced Policy team-a/missing was not found"},
		}},
		{name: "tricky: no resolver warns", spec: with(roleWith(), "policyRefs", ref("p")), want: []want{
			{"spec.policyRefs[0]", "could not be read"},
		}},
		{name: "tricky: lookup failure warns", spec: with(roleWith(), "policyRefs", []any{map[string]any{"from": map[string]any{"name": "p", "namespace": "other"}}}),
			cfg: rules.Config{Resolver: objects{fail: map[string]bool{"Policy/other/p": true}}}, want: []want{
				{"spec.policyRefs[0]", "Policy other/p could not be read (cache not synced)"},
			}},
	})
	// In the partition the identity is in, the same Deny subtracts.
	cn := iamObj("Policy", policySpec(idp(allow(`["iam:PassRole","ec2:RunInstances"]`, star), `{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws-cn:iam::*:*"}`)))
	cn["metadata"].(map[string]any)["annotations"] = map[string]any{"services.k8s.aws/region": "cn-north-1"}
	if got := findingsOf(cn, rules.Config{}, "IAM-003"); len(got) != 0 {
		t.Errorf("a Deny on arn:aws-cn:iam::*:* in aws-cn left findings: %v", got)
	}
	// So it does in the configured partition, when the identity tells
	// none.
	cn = iamObj("Policy", policySpec(idp(allow(`["iam:PassRole","ec2:RunInstances"]`, star), `{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws-cn:iam::*:*"}`)))
	if got := findingsOf(cn, rules.Config{Partition: "aws-cn"}, "IAM-003"); len(got) != 0 {
		t.Errorf("a Deny on arn:aws-cn:iam::*:* under the configured aws-cn left findings: %v", got)
	}
	for _, f := range findingsOf(iamObj("Role", with(roleWith(), "policyRefs", ref("p"))), rules.Config{}, "IAM-003") {
		if f.Action != rules.Warn {
			t.Errorf("unresolved reference finding has action %q, want warn", f.Action)
		}
	}
}

func TestIAM004(t *testing.T) {
	runIAMCases(t, "IAM-004", []iamCase{
		{name: "secure: named role", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:role/app"`)))},
		{name: "secure: scoped by iam:PassedToService (F2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star, `{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}`)))},
		{name: "insecure: PassRole on *", action: rules.Deny, kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star))), want: []want{
			{"spec.policyDocument", `allows iam:PassRole (through Action "iam:PassRole") on Resource "*"`},
		}},
		{name: "tricky: role/* is a wildcard ARN (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:role/*"`))), want: []want{
			{"spec.policyDocument", "role/*"},
		}},
		{name: "tricky: via Action *", kind: "Policy", spec: policySpec(adminDoc), want: []want{
			{"spec.policyDocument", `through Action "*"`},
		}},
		{name: "tricky: *:role/* is every role without spelling the ARN (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"*:role/*"`))), want: []want{
			{"spec.policyDocument", `on Resource "*:role/*"`},
		}},
		{name: "tricky: arn* is every resource", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn*"`))), want: []want{
			{"spec.policyDocument", `on Resource "arn*"`},
		}},
		{name: "secure: *:role/app names one role", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"*:role/app"`)))},
		{name: "tricky: *role/* is every role too", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"*role/*"`))), want: []want{
			{"spec.policyDocument", `on Resource "*role/*"`},
		}},
		{name: "tricky: */* is every role, as it covers *role/* (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"*/*"`))), want: []want{
			{"spec.policyDocument", `on Resource "*/*"`},
		}},
		{name: "tricky: a wildcard type is every role of the account (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:*/*"`))), want: []want{
			{"spec.policyDocument", `on Resource "arn:aws:iam::111122223333:*/*"`},
		}},
		{name: "tricky: *:111122223333:role/* is every role of the account, as arn:aws:iam::111122223333:role/* is (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"*:111122223333:role/*"`))), want: []want{
			{"spec.policyDocument", `on Resource "*:111122223333:role/*"`},
		}},
		{name: "tricky: NotResource", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin"}`)), want: []want{
			{"spec.policyDocument", "NotResource"},
		}},
		{name: "tricky: NotResource of another partition withholds nothing", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws-cn:iam::*:*"}`)), want: []want{
			{"spec.policyDocument", "NotResource"},
		}},
		{name: "tricky: other conditions do not clear it", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star, `{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`))), want: []want{
			{"spec.policyDocument", "without an iam:PassedToService condition"},
		}},
		{name: "tricky: PassedToService with a bare * does not clear it", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star, `{"StringLike":{"iam:PassedToService":"*"}}`))), want: []want{
			{"spec.policyDocument", "iam:PassRole"},
		}},
		{name: "tricky: case-insensitive action", kind: "Policy", spec: policySpec(idp(allow(`"IAM:passrole"`, star))), want: []want{
			{"spec.policyDocument", "IAM:passrole"},
		}},
		{name: "tricky: PassedToService matching every service by StringLike does not clear it", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star, `{"StringLike":{"iam:PassedToService":"*.amazonaws.com"}}`))), want: []want{
			{"spec.policyDocument", "without an iam:PassedToService condition"},
		}},
		{name: "secure: under StringEquals a * is literal text, which scopes", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, star, `{"StringEquals":{"iam:PassedToService":"*.amazonaws.com"}}`)))},
		{name: "tricky: every role and policy of the account (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:*"`))), want: []want{
			{"spec.policyDocument", "arn:aws:iam::111122223333:*"},
		}},
		{name: "tricky: ? in the account covers every account (D2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::????????????:role/*"`))), want: []want{
			{"spec.policyDocument", "????????????"},
		}},
		{name: "tricky: two inline policies alike are two findings, each where it is", spec: roleWith("a", idp(allow(`"iam:PassRole"`, star)), "b", idp(allow(`"iam:PassRole"`, star))), want: []want{
			{inl("a"), `Statement[0] allows iam:PassRole`},
			{inl("b"), `Statement[0] allows iam:PassRole`},
		}},
		{name: "secure: ? for one character of a role name covers few roles", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:role/app?"`)))},
		{name: "tricky: a Deny whose NotResource holds a variable subtracts nothing: the variable may name the Allow's roles (F3)", kind: "Policy", spec: policySpec(idp(allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:role/*"`), `{"Effect":"Deny","Action":"iam:PassRole","NotResource":"arn:aws:iam::${aws:PrincipalAccount}:role/*"}`)), want: []want{
			{"spec.policyDocument", `on Resource "arn:aws:iam::111122223333:role/*"`},
		}},
		{name: "secure: under Version 2008-10-17 that NotResource is literal text, which no role's ARN is: the Deny covers every role", kind: "Policy", spec: policySpec(`{"Version":"2008-10-17","Statement":[` + allow(`"iam:PassRole"`, `"arn:aws:iam::111122223333:role/*"`) + `,{"Effect":"Deny","Action":"iam:PassRole","NotResource":"arn:aws:iam::${aws:PrincipalAccount}:role/*"}]}`)},
	})
}

func TestIAM005(t *testing.T) {
	runIAMCases(t, "IAM-005", []iamCase{
		{name: "secure: Action and Resource", spec: roleWith("read", readDoc)},
		{name: "secure: NotAction in a Deny", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, star), `{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}`))},
		{name: "insecure: NotAction on *", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", `NotAction "iam:*"`},
		}},
		{name: "tricky: NotAction inside one bucket warns (D4)", action: rules.Warn, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"}`)), want: []want{
			{"spec.policyDocument", "NotAction"},
		}},
		{name: "tricky: NotResource denies", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}`)), want: []want{
			// The statement's Action, then its NotResource, each once.
			{"spec.policyDocument", `combines Effect Allow with Action "s3:GetObject" on NotResource "arn:aws:s3:::secret/*" (every resource not listed): it grants`},
		}},
		{name: "tricky: NotAction and NotResource", action: rules.Deny, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}`)), want: []want{
			{"spec.policyDocument", `combines Effect Allow with NotAction "iam:*" (every action not listed) on NotResource "arn:aws:s3:::secret/*" (every resource not listed): it grants`},
		}},
	})
}

func TestIAM006to009And019(t *testing.T) {
	runIAMCases(t, "IAM-006", []iamCase{
		{name: "secure: bucket policy on one bucket", kind: "Policy", spec: policySpec(idp(allow(`"s3:PutBucketPolicy"`, `"arn:aws:s3:::b"`)))},
		{name: "insecure: kms:PutKeyPolicy on *", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"kms:PutKeyPolicy"`, star))), want: []want{
			{"spec.policyDocument", "kms:PutKeyPolicy"},
		}},
		{name: "tricky: iam:Put*Policy on every role (E2)", kind: "Policy", spec: policySpec(idp(allow(`"iam:Put*Policy"`, `"arn:aws:iam::111122223333:role/*"`))), want: []want{
			{"spec.policyDocument", "iam:PutRolePolicy"},
		}},
		{name: "tricky: a condition clears it", kind: "Policy", spec: policySpec(idp(allow(`"lambda:AddPermission"`, star, `{"StringEquals":{"aws:ResourceTag/team":"a"}}`)))},
		{name: "tricky: an IfExists condition does not", kind: "Policy", spec: policySpec(idp(allow(`"lambda:AddPermission"`, star, `{"StringEqualsIfExists":{"aws:ResourceTag/team":"a"}}`))), want: []want{
			{"spec.policyDocument", "lambda:AddPermission"},
		}},
	})
	runIAMCases(t, "IAM-007", []iamCase{
		{name: "secure: GetAuthorizationToken scoped is impossible, so no grant", kind: "Policy", spec: policySpec(readDoc)},
		{name: "insecure: ecr:GetAuthorizationToken on *", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"ecr:GetAuthorizationToken"`, star))), want: []want{
			{"spec.policyDocument", "ecr:GetAuthorizationToken"},
		}},
		// ecr:GetAuthorizationToken and sts:GetSessionToken take no
		// resource: a Deny or NotResource on a pattern that matches every
		// ARN but not "*" leaves them granted.
		{name: "tricky: a Deny on *:* leaves GetAuthorizationToken", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"ecr:GetAuthorizationToken"`, star), `{"Effect":"Deny","Action":"ecr:*","Resource":"*:*"}`)), want: []want{
			{"spec.policyDocument", "ecr:GetAuthorizationToken"},
		}},
		{name: "tricky: a Deny on arn* leaves GetSessionToken", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"sts:GetSessionToken"`, star), `{"Effect":"Deny","Action":"sts:*","Resource":"arn*"}`)), want: []want{
			{"spec.policyDocument", "sts:GetSessionToken"},
		}},
		{name: "tricky: NotResource *:* still grants GetAuthorizationToken", action: rules.Warn, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","NotResource":"*:*"}`)), want: []want{
			{"spec.policyDocument", "ecr:GetAuthorizationToken"},
		}},
		{name: "secure: a Deny on * takes GetAuthorizationToken", kind: "Policy", spec: policySpec(idp(allow(`"ecr:GetAuthorizationToken"`, star), `{"Effect":"Deny","Action":"ecr:*","Resource":"*"}`))},
		{name: "tricky: rds-db:* on arn:aws:rds-db:*:*:*", kind: "Policy", spec: policySpec(idp(allow(`"rds-db:*"`, `"arn:aws:rds-db:*:*:*"`))), want: []want{
			{"spec.policyDocument", "rds-db:connect"},
		}},
	})
	runIAMCases(t, "IAM-008", []iamCase{
		{name: "secure: one bucket", spec: roleWith("read", readDoc)},
		{name: "insecure: s3:GetObject on *", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, star))), want: []want{
			{"spec.policyDocument", "s3:GetObject"},
		}},
		{name: "tricky: arn:aws:s3:::* is effectively * for S3", kind: "Policy", spec: policySpec(idp(allow(`"s3:Get*"`, `"arn:aws:s3:::*"`))), want: []want{
			{"spec.policyDocument", `Resource "arn:aws:s3:::*"`},
		}},
		{name: "tricky: a covering unconditional Deny subtracts", kind: "Policy", spec: policySpec(idp(allow(`"secretsmanager:GetSecretValue"`, star), `{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}`))},
		{name: "tricky: arn:aws:s3:::?* is every bucket and object ('?' is a wildcard in an Allow, D2)", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"arn:aws:s3:::?*"`))), want: []want{
			{"spec.policyDocument", `Resource "arn:aws:s3:::?*"`},
		}},
		{name: "tricky: arn:aws:s?:::* is every bucket and object ('?' stands for one character of the service in an Allow, D2)", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"arn:aws:s?:::*"`))), want: []want{
			{"spec.policyDocument", `Resource "arn:aws:s?:::*"`},
		}},
		{name: "tricky: a NotAction pattern with '?' does not withhold s3:GetObject (D2 over-approximation, as NotResource)", kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","NotAction":"s3:Get?bject","Resource":"arn:aws:s3:::*"}`)), want: []want{
			{"spec.policyDocument", "s3:GetObject"},
		}},
		{name: "secure: arn:aws:s3:::? is the buckets of one character, not every bucket", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, `"arn:aws:s3:::?"`)))},
		{name: "tricky: but a Deny on arn:aws:s3:::?* does not subtract (D2)", kind: "Policy", spec: policySpec(idp(allow(`"s3:GetObject"`, star), `{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::?*"}`)), want: []want{
			{"spec.policyDocument", `Resource "*"`},
		}},
	})
	runIAMCases(t, "IAM-009", []iamCase{
		{name: "secure: read on *", kind: "Policy", spec: policySpec(idp(allow(`["s3:ListAllMyBuckets","ec2:Describe*"]`, star)))},
		{name: "insecure: ec2:TerminateInstances on *", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"ec2:TerminateInstances"`, star))), want: []want{
			{"spec.policyDocument", `"ec2:TerminateInstances"`},
		}},
		{name: "tricky: not-resource-restrictable action is excluded", kind: "Policy", spec: policySpec(idp(allow(`"cloudwatch:PutMetricData"`, star)))},
		{name: "tricky: wildcard that may be a write", kind: "Policy", spec: policySpec(idp(allow(`"dynamodb:*Item"`, star))), want: []want{
			{"spec.policyDocument", "dynamodb:*Item"},
		}},
		{name: "tricky: a covering unconditional Deny subtracts (F3)", kind: "Policy", spec: policySpec(idp(allow(`"iam:CreatePolicyVersion"`, star), `{"Effect":"Deny","Action":"iam:*","Resource":"*"}`))},
		{name: "tricky: a Deny in another inline policy of the role subtracts too", spec: roleWith("w", idp(allow(`"ec2:TerminateInstances"`, star)), "guard", idp(`{"Effect":"Deny","Action":"ec2:Terminate*","Resource":"*"}`))},
		{name: "tricky: a Deny of part of the pattern does not", kind: "Policy", spec: policySpec(idp(allow(`"iam:Create*"`, star), `{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", `"iam:Create*"`},
		}},
		{name: "tricky: a NotAction Deny that spares some of the pattern does not", kind: "Policy", spec: policySpec(idp(allow(`"iam:Create*"`, star), `{"Effect":"Deny","NotAction":"iam:CreateUser","Resource":"*"}`)), want: []want{
			{"spec.policyDocument", `"iam:Create*"`},
		}},
		{name: "tricky: a conditional Deny does not", kind: "Policy", spec: policySpec(idp(allow(`"ec2:TerminateInstances"`, star), `{"Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`)), want: []want{
			{"spec.policyDocument", `"ec2:TerminateInstances"`},
		}},
		{name: "tricky: a Deny on every IAM ARN leaves actions that take no resource", kind: "Policy", spec: policySpec(idp(allow(`"iam:UpdateAccountPasswordPolicy"`, star), `{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::*:*"}`)), want: []want{
			{"spec.policyDocument", `"iam:UpdateAccountPasswordPolicy"`},
		}},
		{name: "tricky: a Deny on some resources does not", kind: "Policy", spec: policySpec(idp(allow(`"ec2:TerminateInstances"`, star), `{"Effect":"Deny","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/i-1"}`)), want: []want{
			{"spec.policyDocument", `"ec2:TerminateInstances"`},
		}},
	})
	runIAMCases(t, "IAM-019", []iamCase{
		{name: "secure: named role", kind: "Policy", spec: policySpec(idp(allow(`"sts:AssumeRole"`, `"arn:aws:iam::111122223333:role/deploy"`)))},
		{name: "insecure: sts:AssumeRole on *", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"sts:AssumeRole"`, star))), want: []want{
			{"spec.policyDocument", "sts:AssumeRole"},
		}},
		{name: "tricky: sts:* on arn:aws:iam::*:*", kind: "Policy", spec: policySpec(idp(allow(`"sts:*"`, `"arn:aws:iam::*:*"`))), want: []want{
			{"spec.policyDocument", "sts:AssumeRole"},
		}},
		{name: "tricky: a Deny on sts ARNs leaves AssumeRole on IAM roles (F3)", action: rules.Warn, kind: "Policy", spec: policySpec(idp(allow(`"sts:AssumeRole"`, star), `{"Effect":"Deny","Action":"sts:*","Resource":"arn:aws:sts::*:*"}`)), want: []want{
			{"spec.policyDocument", "sts:AssumeRole"},
		}},
		{name: "tricky: NotResource of sts ARNs still reaches every role", action: rules.Warn, kind: "Policy", spec: policySpec(idp(`{"Effect":"Allow","Action":"sts:AssumeRole","NotResource":"arn:aws:sts::*:*"}`)), want: []want{
			{"spec.policyDocument", "sts:AssumeRole"},
		}},
	})
}

func TestIAM010(t *testing.T) {
	anyAWS := func(cond string) map[string]any {
		s := `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return with(roleWith(), "assumeRolePolicyDocument", trust(s+`}`))
	}
	runIAMCases(t, "IAM-010", []iamCase{
		{name: "secure: service principal", spec: roleWith()},
		{name: "secure: pinned to an organization", spec: anyAWS(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}`)},
		{name: "insecure: AWS *", action: rules.Deny, spec: anyAWS(""), want: []want{
			{"spec.assumeRolePolicyDocument", `trusts {"AWS": "*"}`},
		}},
		{name: "tricky: string Principal * fails too (B4)", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", `"Principal": "*"`},
		}},
		{name: "tricky: * inside an AWS array", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "any AWS principal"},
		}},
		{name: "tricky: negated operator does not restrict", spec: anyAWS(`{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "matches every other value"},
		}},
		{name: "tricky: IfExists does not restrict", spec: anyAWS(`{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "true when the key is absent"},
		}},
		{name: "tricky: ForAllValues does not restrict", spec: anyAWS(`{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "true when the key is absent"},
		}},
		{name: "tricky: wildcard value does not restrict", spec: anyAWS(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "has a wildcard"},
		}},
		{name: "tricky: a policy variable does not restrict under 2012", spec: anyAWS(`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "policy variable"},
		}},
		{name: "tricky: the same text is a fixed value under 2008 (A6)", spec: with(roleWith(), "assumeRolePolicyDocument", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}}]}`)},
		{name: "tricky: an unrelated key does not restrict", spec: anyAWS(`{"StringEquals":{"sts:ExternalId":"secret"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "any AWS principal"},
		}},
		{name: "tricky: key name case does not matter (F4)", spec: anyAWS(`{"StringEquals":{"AWS:principalorgid":"o-a1b2c3"}}`)},
		{name: "tricky: AWS * alone in an array (B1)", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "any AWS principal"},
		}},
		{name: "secure: ForAnyValue:StringEquals is false when the key is absent, so it pins", spec: anyAWS(`{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}`)},
		{name: "tricky: Null false only asks that the caller be in some organization", spec: anyAWS(`{"Null":{"aws:PrincipalOrgID":"false"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "Null does not restrict aws:PrincipalOrgID"},
		}},
		{name: "tricky: aws:PrincipalOrgPaths is not among the pinning keys", spec: anyAWS(`{"ForAnyValue:StringEquals":{"aws:PrincipalOrgPaths":"o-a1b2c3/r-ab12/ou-ab12-11111111/"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "any AWS principal"},
		}},
		{name: "tricky: aws:SourceAccount names no caller of AssumeRole", spec: anyAWS(`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "any AWS principal"},
		}},
		{name: "secure: a JSON number is the account ID's text", spec: anyAWS(`{"StringEquals":{"aws:PrincipalAccount":111122223333}}`)},
		{name: "tricky: a wildcard in the role name is not a fixed value (C2)", spec: anyAWS(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci-*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "has a wildcard"},
		}},
		{name: "tricky: a partial wildcard account is invalid (B3), never all accounts", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "cannot evaluate"},
		}},
		{name: "tricky: NotPrincipal is invalid in a trust policy (A3)", spec: with(roleWith(), "assumeRolePolicyDocument", trust(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`)), want: []want{
			{"spec.assumeRolePolicyDocument", "cannot evaluate"},
		}},
		{name: "secure: Policy objects have no trust policy", kind: "Policy", spec: policySpec(readDoc)},
	})
}

func TestIAM011(t *testing.T) {
	owner := rules.Config{OwnerAccounts: []string{"111122223333"}, TrustedAccounts: []string{"444455556666"}, TrustedOrgs: []string{"o-trusted"}}
	aws := func(principal, cond string) map[string]any {
		s := `{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"sts:AssumeRole"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return with(roleWith(), "assumeRolePolicyDocument", trust(s+`}`))
	}
	runIAMCases(t, "IAM-011", []iamCase{
		{name: "secure: owner account role", cfg: owner, spec: aws(`"arn:aws:iam::111122223333:role/ci"`, "")},
		{name: "secure: trusted account ID", cfg: owner, spec: aws(`"444455556666"`, "")},
		{name: "secure: * pinned to a trusted org", cfg: owner, spec: aws(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-trusted"}}`)},
		{name: "secure: a foreign account ANDed with a pin to a trusted org (C4)", cfg: owner, spec: aws(`"arn:aws:iam::999988887777:role/deploy"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-trusted"}}`)},
		{name: "tricky: a foreign account with an IfExists org condition is not pinned (C3)", cfg: owner, spec: aws(`"999988887777"`, `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-trusted"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts 999988887777, outside"},
		}},
		{name: "tricky: a foreign account with an org condition naming an untrusted org too", cfg: owner, spec: aws(`"999988887777"`, `{"StringEquals":{"aws:PrincipalOrgID":["o-trusted","o-other"]}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts 999988887777, outside"},
		}},
		{name: "insecure: foreign account", action: rules.Deny, cfg: owner, spec: aws(`"999988887777"`, ""), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts 999988887777, outside the owner and trusted accounts"},
		}},
		{name: "tricky: foreign root ARN", cfg: owner, spec: aws(`["arn:aws:iam::111122223333:root","arn:aws:iam::999988887777:root"]`, ""), want: []want{
			{"spec.assumeRolePolicyDocument", "arn:aws:iam::999988887777:root"},
		}},
		{name: "tricky: * pinned to an untrusted org", cfg: owner, spec: aws(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-other"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "organization o-other"},
		}},
		{name: "secure: * pinned to the owner account by ArnLike aws:PrincipalArn", cfg: owner, spec: aws(`"*"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci-*"}}`)},
		{name: "secure: an untrusted org ANDed with a pin to the owner account (C4)", cfg: owner, spec: aws(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-other","aws:PrincipalAccount":"111122223333"}}`)},
		{name: "tricky: * pinned to a foreign account by aws:PrincipalArn", cfg: owner, spec: aws(`"*"`, `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::999988887777:role/x"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts account 999988887777, outside"},
		}},
		{name: "tricky: * pinned to a foreign account next to a value naming no account (C4: values are ORed)", cfg: owner, spec: aws(`"*"`, `{"StringEquals":{"aws:PrincipalAccount":["999988887777","prod"]}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts account 999988887777, outside"},
		}},
		{name: "tricky: * pinned to a foreign role next to an ARN with no resource", cfg: owner, spec: aws(`"*"`, `{"ArnEquals":{"aws:PrincipalArn":["arn:aws:iam::999988887777:role/x","arn:aws:iam::111122223333"]}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts account 999988887777, outside"},
		}},
		{name: "tricky: * pinned to a foreign role by an upper-case ARN under StringEqualsIgnoreCase", cfg: owner, spec: aws(`"*"`, `{"StringEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::999988887777:ROLE/X"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "trusts account 999988887777, outside"},
		}},
		{name: "secure: a foreign account ANDed with a pin to the owner account and a value naming no account", cfg: owner, spec: aws(`"999988887777"`, `{"StringEquals":{"aws:PrincipalAccount":["111122223333","prod"]}}`)},
		{name: "tricky: no configuration makes every account external (G2)", spec: aws(`"111122223333"`, ""), want: []want{
			{"spec.assumeRolePolicyDocument", "no owner or trusted accounts are configured"},
		}},
		{name: "secure: service principal", spec: roleWith()},
	})
}

func TestIAM012(t *testing.T) {
	fed := func(provider, cond string) map[string]any {
		s := `{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return with(roleWith(), "assumeRolePolicyDocument", trust(s+`}`))
	}
	const gh = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
	const eks = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	runIAMCases(t, "IAM-012", []iamCase{
		{name: "secure: GitHub pinned to a repo", spec: fed(gh, `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/app:ref:refs/heads/main"}}`)},
		{name: "secure: EKS IRSA", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com","oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:team-a:app"}}`)},
		{name: "insecure: GitHub without conditions", action: rules.Deny, spec: fed(gh, ""), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on token.actions.githubusercontent.com:aud and a condition on token.actions.githubusercontent.com:sub naming"},
		}},
		{name: "tricky: GitHub sub with a wildcard repository", spec: fed(gh, `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "naming the organization and repository"},
		}},
		{name: "tricky: a GitHub enterprise's own issuer needs the repository too", spec: fed("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com/acme", `{"StringEquals":{"token.actions.githubusercontent.com/acme:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com/acme:sub":"repo:*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "a condition on token.actions.githubusercontent.com/acme:sub naming the organization and repository"},
		}},
		{name: "secure: a GitHub enterprise's own issuer pinned to a repository", spec: fed("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com/acme", `{"StringEquals":{"token.actions.githubusercontent.com/acme:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com/acme:sub":"repo:acme/app:*"}}`)},
		{name: "tricky: an audience that is a policy variable names none (the token's own aud)", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"${oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud}","oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:team-a:app"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud:"},
		}},
		{name: "tricky: a subject that is a policy variable names none", spec: fed("arn:aws:iam::111122223333:oidc-provider/idp.example.com", `{"StringEquals":{"idp.example.com:aud":"app","idp.example.com:sub":"${idp.example.com:sub}"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on idp.example.com:sub:"},
		}},
		{name: "tricky: a GitHub repository that is a policy variable names none", spec: fed(gh, `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/${aws:username}:ref:refs/heads/main"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "naming the organization and repository"},
		}},
		{name: "secure: under 2008-10-17 ${...} is literal text, a fixed value (A6)", spec: with(roleWith(), "assumeRolePolicyDocument", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/idp.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"idp.example.com:aud":"app","idp.example.com:sub":"${idp.example.com:sub}"}}}]}`)},
		{name: "tricky: sub under StringLikeIfExists does not pin", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"},"StringLikeIfExists":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:team-a:app"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub naming"},
		}},
		{name: "tricky: Null:false on aud and sub only asks that they exist", spec: fed(eks, `{"Null":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"false","oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"false"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", ":aud and a condition on oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub naming"},
		}},
		// ackguard decision: an EKS subject must fix the namespace.
		{name: "tricky: EKS sub with a wildcard namespace", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"},"StringLike":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", `naming the namespace and service account ("system:serviceaccount:<namespace>:<name>", no wildcard in the namespace)`},
		}},
		{name: "tricky: EKS sub with a wildcard namespace and name", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"},"StringLike":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":["system:serviceaccount:team-a:app","system:serviceaccount:team-*:app"]}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "no wildcard in the namespace"},
		}},
		{name: "tricky: EKS sub that is no service account", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"},"StringLike":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"team-a*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "naming the namespace and service account"},
		}},
		{name: "secure: EKS sub of every service account of one namespace", spec: fed(eks, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"},"StringLike":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:team-a:*"}}`)},
		{name: "secure: another OIDC provider's subject format is its own", spec: fed("arn:aws:iam::111122223333:oidc-provider/auth.example.com", `{"StringEquals":{"auth.example.com:aud":"app","auth.example.com:sub":"user-42"}}`)},
		// ackguard decision: hosted CI services' subjects must name the
		// customer's project or organization.
		{name: "secure: GitLab pinned to a project", spec: fed("arn:aws:iam::111122223333:oidc-provider/gitlab.com", `{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"},"StringLike":{"gitlab.com:sub":"project_path:acme/app:ref_type:branch:ref:*"}}`)},
		{name: "tricky: GitLab with a wildcard project", spec: fed("arn:aws:iam::111122223333:oidc-provider/gitlab.com", `{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"},"StringLike":{"gitlab.com:sub":"project_path:acme/*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", `a condition on gitlab.com:sub naming the group and project ("project_path:<group>/<project>:...", no wildcard in either)`},
		}},
		{name: "tricky: GitLab subject of every project", spec: fed("arn:aws:iam::111122223333:oidc-provider/gitlab.com", `{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"},"StringLike":{"gitlab.com:sub":"project_path:*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "a condition on gitlab.com:sub naming the group and project"},
		}},
		{name: "secure: HCP Terraform pinned to an organization", spec: fed("arn:aws:iam::111122223333:oidc-provider/app.terraform.io", `{"StringEquals":{"app.terraform.io:aud":"aws.workload.identity"},"StringLike":{"app.terraform.io:sub":"organization:acme:project:*:workspace:*:run_phase:*"}}`)},
		{name: "tricky: HCP Terraform with any organization", spec: fed("arn:aws:iam::111122223333:oidc-provider/app.terraform.io", `{"StringEquals":{"app.terraform.io:aud":"aws.workload.identity"},"StringLike":{"app.terraform.io:sub":"organization:*"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", `naming the organization ("organization:<org>:...", no wildcard in it)`},
		}},
		// Facebook and Login with Amazon have no :aud or :sub keys.
		{name: "secure: Facebook pinned by its own keys", spec: fed("graph.facebook.com", `{"StringEquals":{"graph.facebook.com:app_id":"358770994578462","graph.facebook.com:id":"10158"}}`)},
		{name: "tricky: Facebook pinned to the application only", spec: fed("graph.facebook.com", `{"StringEquals":{"graph.facebook.com:app_id":"358770994578462"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on graph.facebook.com:id:"},
		}},
		{name: "insecure: Login with Amazon unpinned asks for its own keys", action: rules.Deny, spec: fed("www.amazon.com", ""), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on www.amazon.com:app_id and a condition on www.amazon.com:user_id:"},
		}},
		{name: "tricky: Facebook's :aud and :sub do not exist", spec: fed("graph.facebook.com", `{"StringEquals":{"graph.facebook.com:aud":"358770994578462","graph.facebook.com:sub":"10158"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "a condition on graph.facebook.com:app_id and a condition on graph.facebook.com:id:"},
		}},
		{name: "tricky: a Bool on SAML:aud names no audience", spec: fed("arn:aws:iam::111122223333:saml-provider/okta", `{"Bool":{"SAML:aud":"true"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "SAML:aud"},
		}},
		{name: "tricky: SAML needs SAML:aud", spec: fed("arn:aws:iam::111122223333:saml-provider/okta", ""), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on SAML:aud:"},
		}},
		{name: "secure: SAML with SAML:aud", spec: fed("arn:aws:iam::111122223333:saml-provider/okta", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`)},
		{name: "insecure: Cognito without an amr or a sub", spec: fed("cognito-identity.amazonaws.com", `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:11112222-3333-4444-5555-666677778888"}}`), want: []want{
			{"spec.assumeRolePolicyDocument", "without a condition on cognito-identity.amazonaws.com:amr or :sub:"},
		}},
	})
}

func TestIAM013to016(t *testing.T) {
	runIAMCases(t, "IAM-013", []iamCase{
		{name: "secure: user without policies", kind: "User", spec: map[string]any{"name": "u"}},
		{name: "insecure: inline and attached", action: rules.Warn, kind: "User", spec: map[string]any{"name": "u", "inlinePolicies": map[string]any{"r": readDoc}, "policies": []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, want: []want{
			{inl("r"), `the user has the inline policy "r"`},
			{"spec.policies[0]", "the user attaches the managed policy arn:aws:iam::aws:policy/ReadOnlyAccess"},
		}},
		// One finding per policy, so that an UPDATE adding a policy to a
		// user that has one is a finding it introduces.
		{name: "insecure: each policy of each list is a finding", action: rules.Warn, kind: "User", spec: map[string]any{"name": "u",
			"inlinePolicies": map[string]any{"r": readDoc, "w": readDoc},
			"policies":       []any{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
			"policyRefs":     []any{map[string]any{"from": map[string]any{"name": "read"}}, map[string]any{"from": map[string]any{"name": "write", "namespace": "shared"}}},
		}, want: []want{
			{inl("r"), `inline policy "r"`},
			{inl("w"), `inline policy "w"`},
			{"spec.policies[0]", "ReadOnlyAccess"},
			{"spec.policies[1]", "AmazonS3ReadOnlyAccess"},
			{"spec.policyRefs[0]", "the user references the Policy team-a/read"},
			{"spec.policyRefs[1]", "the user references the Policy shared/write"},
		}},
		{name: "secure: roles may carry policies", spec: roleWith("r", readDoc)},
	})
	runIAMCases(t, "IAM-014", []iamCase{
		{name: "secure: ReadOnlyAccess", spec: with(roleWith(), "policies", []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"})},
		{name: "insecure: AdministratorAccess", action: rules.Deny, spec: with(roleWith(), "policies", []any{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"}), want: []want{
			{"spec.policies[1]", "AdministratorAccess"},
		}},
		{name: "tricky: other partition, on a Group", kind: "Group", spec: map[string]any{"name": "g", "policies": []any{"arn:aws-cn:iam::aws:policy/AdministratorAccess"}}, want: []want{
			{"spec.policies[0]", "arn:aws-cn:iam::aws:policy/AdministratorAccess"},
		}},
		{name: "tricky: a customer policy of the same name is IAM-001's", spec: with(roleWith(), "policies", []any{"arn:aws:iam::111122223333:policy/AdministratorAccess"})},
		{name: "insecure: a policyRef to the ACK Policy that holds AdministratorAccess", action: rules.Deny, spec: with(roleWith(), "policyRefs", refsTo("admin")),
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("admin", adminDoc), "admin", "arn:aws:iam::aws:policy/AdministratorAccess")}, want: []want{
				{"spec.policyRefs[0]", "Policy team-a/admin is the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess"},
			}},
		{name: "tricky: a policyRef in another partition, on a Group", kind: "Group", spec: map[string]any{"name": "g", "policyRefs": refsTo("read", "admin")},
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("read", readDoc, "admin", adminDoc), "admin", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess")}, want: []want{
				{"spec.policyRefs[1]", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"},
			}},
		{name: "secure: a policyRef to a customer policy named AdministratorAccess is IAM-001's", spec: with(roleWith(), "policyRefs", refsTo("admin")),
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("admin", adminDoc), "admin", "arn:aws:iam::111122223333:policy/AdministratorAccess")}},
		{name: "secure: a policyRef ACK has not resolved to an ARN yet", spec: with(roleWith(), "policyRefs", refsTo("admin")), cfg: rules.Config{Resolver: resolverWith("admin", readDoc)}},
		{name: "wrong type: policies is a string, not a list", spec: with(roleWith(), "policies", "arn:aws:iam::aws:policy/AdministratorAccess"), want: []want{
			{"spec.policies", "invalid input: must be an array, found string"},
		}},
		{name: "wrong type: a policies element is a number", kind: "User", spec: map[string]any{"name": "u", "policies": []any{int64(3)}}, want: []want{
			{"spec.policies[0]", "invalid input: must be a string, found number"},
		}},
	})
	runIAMCases(t, "IAM-015", []iamCase{
		{name: "insecure: CloudShell", kind: "User", spec: map[string]any{"name": "u", "policies": []any{"arn:aws:iam::aws:policy/AWSCloudShellFullAccess"}}, want: []want{
			{"spec.policies[0]", "AWSCloudShellFullAccess"},
		}},
		{name: "insecure: a policyRef to the ACK Policy that adopted AWSCloudShellFullAccess attaches it", action: rules.Deny, kind: "User", spec: map[string]any{"name": "u", "policyRefs": refsTo("shell")},
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("shell", readDoc), "shell", "arn:aws:iam::aws:policy/AWSCloudShellFullAccess")}, want: []want{
				{"spec.policyRefs[0]", "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"},
			}},
	})
	runIAMCases(t, "IAM-016", []iamCase{
		{name: "insecure: IAMFullAccess and PowerUserAccess", spec: with(roleWith(), "policies", []any{"arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess"}), want: []want{
			{"spec.policies[0]", "IAMFullAccess"},
			{"spec.policies[1]", "PowerUserAccess"},
		}},
		{name: "insecure: a policyRef to the ACK Policy that adopted IAMFullAccess attaches it, on a Group", action: rules.Deny, kind: "Group", spec: map[string]any{"name": "g", "policyRefs": refsTo("read", "iamfull")},
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("read", readDoc, "iamfull", adminDoc), "iamfull", "arn:aws:iam::aws:policy/IAMFullAccess")}, want: []want{
				{"spec.policyRefs[1]", "arn:aws:iam::aws:policy/IAMFullAccess"},
			}},
		{name: "secure: a policyRef to a customer policy named PowerUserAccess", spec: with(roleWith(), "policyRefs", refsTo("power")),
			cfg: rules.Config{Resolver: withRecordedARN(resolverWith("power", readDoc), "power", "arn:aws:iam::111122223333:policy/PowerUserAccess")}},
	})
}

func TestLMB012(t *testing.T) {
	fn := func(role map[string]any) map[string]any {
		return map[string]any{"name": "f", "roleRef": map[string]any{"from": map[string]any{"name": "exec"}}}
	}
	res := func(roleSpec map[string]any, policies ...string) objects {
		o := resolverWith(policies...)
		obj := iamObj("Role", roleSpec)
		obj["metadata"].(map[string]any)["name"] = "exec"
		o.objs["Role/team-a/exec"] = obj
		return o
	}
	byARN := func(arn string) map[string]any { return map[string]any{"name": "f", "role": arn} }
	// byName holds a Role whose IAM name (ExecRole) is not its Kubernetes
	// name (exec-role).
	byName := func(roleSpec map[string]any) objects {
		o := resolverWith()
		obj := iamObj("Role", with(roleSpec, "name", "ExecRole"))
		obj["metadata"].(map[string]any)["name"] = "exec-role"
		o.objs["Role/team-a/exec-role"] = obj
		return o
	}
	runIAMCases(t, "LMB-012", []iamCase{
		{name: "secure: an ARN naming a role outside the cluster", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/other"), cfg: rules.Config{Resolver: byName(roleWith("admin", adminDoc))}},
		{name: "secure: an ARN without a resolver is not judged", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/ExecRole")},
		{name: "insecure: an ARN naming an admin Role by its IAM name", action: rules.Warn, kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/ExecRole"), cfg: rules.Config{Resolver: byName(roleWith("admin", adminDoc))}, want: []want{
			{"spec.role", "the execution role Role team-a/exec-role: spec.inlinePolicies.admin: Statement[0]"},
			{"spec.role", "privilege escalation"},
		}},
		{name: "tricky: the ARN's path must match the Role's spec.path", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/service-role/ExecRole"), cfg: rules.Config{Resolver: byName(roleWith("admin", adminDoc))}},
		{name: "tricky: a matching path", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/service-role/ExecRole"), cfg: rules.Config{Resolver: byName(with(roleWith("admin", adminDoc), "path", "/service-role/"))}, want: []want{
			{"spec.role", "spec.inlinePolicies"}, {"spec.role", "privilege escalation"},
		}},
		{name: "tricky: a Role named like the ARN, found without listing", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/exec"), cfg: rules.Config{Resolver: getOnly{res(with(roleWith(), "name", "exec", "policies", []any{"arn:aws:iam::aws:policy/AdministratorAccess"}))}}, want: []want{
			{"spec.role", "AdministratorAccess"},
		}},
		{name: "tricky: the Roles cannot be listed", kind: "Function", spec: byARN("arn:aws:iam::111122223333:role/ExecRole"), cfg: rules.Config{Resolver: objects{fail: map[string]bool{"Role/": true}}}, want: []want{
			{"spec.role", "could not be looked up among the ACK Roles (cache not synced)"},
		}},
		{name: "secure: least-privilege role", kind: "Function", spec: fn(nil), cfg: rules.Config{Resolver: res(roleWith("read", readDoc))}},
		{name: "insecure: admin inline policy", action: rules.Warn, kind: "Function", spec: fn(nil), cfg: rules.Config{Resolver: res(roleWith("admin", adminDoc))}, want: []want{
			{"spec.roleRef", "the execution role Role team-a/exec: spec.inlinePolicies.admin: Statement[0]"},
			{"spec.roleRef", "privilege escalation"},
		}},
		{name: "tricky: AdministratorAccess ARN on the role", kind: "Function", spec: fn(nil), cfg: rules.Config{Resolver: res(with(roleWith(), "policies", []any{"arn:aws:iam::aws:policy/AdministratorAccess"}))}, want: []want{
			{"spec.roleRef", "the execution role Role team-a/exec: spec.policies[0] attaches the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess"},
		}},
		{name: "tricky: AdministratorAccess through the role's policyRefs", kind: "Function", spec: fn(nil),
			cfg: rules.Config{Resolver: withRecordedARN(res(with(roleWith(), "policyRefs", refsTo("managed")), "managed", readDoc), "managed", "arn:aws:iam::aws:policy/AdministratorAccess")}, want: []want{
				{"spec.roleRef", "the execution role Role team-a/exec: spec.policyRefs[0]: Policy team-a/managed is the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess"},
			}},
		{name: "tricky: escalation through the role's referenced Policy", kind: "Function", spec: fn(nil),
			cfg: rules.Config{Resolver: res(with(roleWith(), "policyRefs", []any{map[string]any{"from": map[string]any{"name": "esc"}}}), "esc", idp(allow(`"lambda:UpdateFunctionCode"`, star)))}, want: []want{
				{"spec.roleRef", "EditExistingLambdaFunctionWithRole"},
			}},
		{name: "tricky: role not found", kind: "Function", spec: fn(nil), cfg: rules.Config{Resolver: resolverWith()}, want: []want{
			{"spec.roleRef", "Role team-a/exec was not found"},
		}},
		{name: "tricky: no resolver", kind: "Function", spec: fn(nil), want: []want{
			{"spec.roleRef", "could not be read"},
		}},
	})
}

// TestPermissionsBoundaryPolicy covers catalog §5: a Policy referenced only
// as a permissions boundary is a ceiling, not a grant, and is exempt from
// IAM-001 to IAM-009 and IAM-019 (IAM-007's sts:AssumeRole part); any use
// as a grant makes it judged as one.
func TestPermissionsBoundaryPolicy(t *testing.T) {
	// A typical boundary: everything but IAM administration.
	boundary := policySpec(idp(allow(star, star), `{"Effect":"Deny","Action":["iam:CreateUser","iam:DeleteRolePermissionsBoundary"],"Resource":"*"}`))
	boundary["name"] = "dev-boundary"
	ref := func(name string) map[string]any { return map[string]any{"from": map[string]any{"name": name}} }
	identities := func(objs ...map[string]any) objects {
		o := resolverWith()
		for i, obj := range objs {
			meta := view.ReadMeta(obj)
			name := fmt.Sprintf("id-%d", i)
			obj["metadata"].(map[string]any)["name"] = name
			o.objs[meta.GVK.Kind+"/team-a/"+name] = obj
		}
		return o
	}
	asBoundaryRef := iamObj("Role", with(roleWith(), "permissionsBoundaryRef", ref("obj-policy")))
	asBoundaryARN := iamObj("User", map[string]any{"name": "dev", "permissionsBoundary": "arn:aws:iam::111122223333:policy/dev-boundary"})
	asGrantRef := iamObj("Role", with(roleWith(), "policyRefs", []any{ref("obj-policy")}))
	asGrantARN := iamObj("Group", map[string]any{"name": "devs", "policies": []any{"arn:aws:iam::111122223333:policy/dev-boundary"}})
	otherPath := iamObj("User", map[string]any{"name": "dev", "permissionsBoundary": "arn:aws:iam::111122223333:policy/team/dev-boundary"})
	exempt := []string{"IAM-001", "IAM-002", "IAM-003", "IAM-004", "IAM-005", "IAM-006", "IAM-007", "IAM-008", "IAM-009", "IAM-019"}
	tests := []struct {
		name     string
		resolver rules.Resolver
		judged   bool
	}{
		{"secure: boundary of a Role by reference", identities(asBoundaryRef), false},
		{"secure: boundary of a User by ARN", identities(asBoundaryARN), false},
		{"insecure: also attached to a Role", identities(asBoundaryRef, asGrantRef), true},
		{"insecure: also attached to a Group by ARN", identities(asBoundaryARN, asGrantARN), true},
		{"tricky: referenced by nobody is judged as a grant", identities(), true},
		{"tricky: an ARN with another path names another policy", identities(otherPath), true},
		{"tricky: identities that cannot be listed", getOnly{identities(asBoundaryRef)}, true},
		{"tricky: no resolver", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules.Default().Evaluate(iamObj("Policy", boundary), rules.Config{Resolver: tt.resolver})
			judged := map[string]bool{}
			for _, f := range got {
				judged[f.RuleID] = true
			}
			if tt.judged != judged["IAM-001"] {
				t.Errorf("IAM-001 reported = %v, want %v:\n%s", judged["IAM-001"], tt.judged, texts(got))
			}
			if !tt.judged {
				for _, id := range exempt {
					if judged[id] {
						t.Errorf("%s judged a boundary-only Policy:\n%s", id, texts(got))
					}
				}
			}
		})
	}
}
