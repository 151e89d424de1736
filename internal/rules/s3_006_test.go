package rules_test

import (
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// denyTLS is a deny-insecure-transport statement with the given parts
// replaced.
func denyTLS(principal, action, resource, condition string) string {
	return `{"Effect":"Deny",` + principal + `,` + action + `,` + resource + `,"Condition":` + condition + `}`
}

func TestS3006(t *testing.T) {
	const (
		p         = "spec.policy"
		both      = `"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]`
		insecure  = `{"Bool":{"aws:SecureTransport":"false"}}`
		s3All     = `"Action":"s3:*"`
		noDeny    = "no statement denies s3:* to every principal on the bucket and its objects when aws:SecureTransport is false"
		partnerRO = `{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`
	)
	withPolicy := func(statements ...string) map[string]any {
		return with(secureSpec(), "policy", pol(statements...))
	}
	runRuleCases(t, "S3-006", []ruleCase{
		{name: "secure: compliant statement", spec: withPolicy(partnerRO, tlsDeny)},
		{name: "secure: Principal AWS *", spec: withPolicy(denyTLS(`"Principal":{"AWS":"*"}`, s3All, both, insecure))},
		{name: "secure: boolean false value", spec: withPolicy(denyTLS(anyone, s3All, both, `{"Bool":{"aws:SecureTransport":false}}`))},
		{name: "secure: BoolIfExists", spec: withPolicy(denyTLS(anyone, s3All, both, `{"BoolIfExists":{"aws:SecureTransport":"false"}}`))},
		{name: "secure: action *", spec: withPolicy(denyTLS(anyone, `"Action":"*"`, both, insecure))},
		{name: "secure: resource prefix covers bucket and objects", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket*"`, insecure))},
		{name: "secure: resource *", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"*"`, insecure))},
		{name: "insecure: policy absent", spec: with(secureSpec(), "policy", nil), action: rules.Warn, want: []want{
			{p, "the bucket has no policy, so plain-HTTP requests are allowed"},
		}},
		{name: "insecure: policy without the deny", spec: withPolicy(partnerRO), action: rules.Warn, want: []want{{p, noDeny}}},
		{name: "tricky: missing bucket/* resource", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket"`, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: missing bucket resource", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket/*"`, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: extra condition", spec: withPolicy(denyTLS(anyone, s3All, both, `{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)), want: []want{{p, noDeny}}},
		{name: "tricky: SecureTransport true", spec: withPolicy(denyTLS(anyone, s3All, both, `{"Bool":{"aws:SecureTransport":"true"}}`)), want: []want{{p, noDeny}}},
		{name: "tricky: only some actions", spec: withPolicy(denyTLS(anyone, `"Action":"s3:GetObject"`, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: s3:Get* is not every action", spec: withPolicy(denyTLS(anyone, `"Action":"s3:Get*"`, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: Allow instead of Deny", spec: withPolicy(strings.Replace(tlsDeny, `"Deny"`, `"Allow"`, 1)), want: []want{{p, noDeny}}},
		{name: "tricky: named principal", spec: withPolicy(denyTLS(`"Principal":{"AWS":"444455556666"}`, s3All, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: another bucket", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":["arn:aws:s3:::other","arn:aws:s3:::other/*"]`, insecure)), want: []want{{p, noDeny}}},
	})

	// The ARNs follow the bucket's partition.
	t.Run("tricky: aws-cn partition", func(t *testing.T) {
		obj := bucket(with(secureSpec()))
		obj["metadata"].(map[string]any)["annotations"] = map[string]any{"services.k8s.aws/region": "cn-north-1"}
		got := findingsOf(obj, rules.Config{}, "S3-006")
		checkFindings(t, got, []want{{p, noDeny}})
		if !strings.Contains(got[0].Remedy, `"arn:aws-cn:s3:::my-bucket/*"`) {
			t.Errorf("remedy does not name the aws-cn ARN: %s", got[0].Remedy)
		}
		obj["spec"].(map[string]any)["policy"] = pol(strings.ReplaceAll(tlsDeny, "arn:aws:", "arn:aws-cn:"))
		checkFindings(t, findingsOf(obj, rules.Config{}, "S3-006"), nil)
	})
}
