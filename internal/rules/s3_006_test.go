package rules_test

import (
	"strconv"
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
		{name: "secure: the bucket and its objects denied by a statement each", spec: withPolicy(
			denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket"`, insecure),
			denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket/*"`, insecure))},
		{name: "tricky: the objects' statement has another condition", spec: withPolicy(
			denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket"`, insecure),
			denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket/*"`, `{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)), want: []want{{p, noDeny}}},
		{name: "tricky: missing bucket/* resource", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket"`, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: missing bucket resource", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":"arn:aws:s3:::my-bucket/*"`, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: extra condition", spec: withPolicy(denyTLS(anyone, s3All, both, `{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)), want: []want{{p, noDeny}}},
		{name: "tricky: SecureTransport true", spec: withPolicy(denyTLS(anyone, s3All, both, `{"Bool":{"aws:SecureTransport":"true"}}`)), want: []want{{p, noDeny}}},
		{name: "tricky: only some actions", spec: withPolicy(denyTLS(anyone, `"Action":"s3:GetObject"`, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: s3:Get* is not every action", spec: withPolicy(denyTLS(anyone, `"Action":"s3:Get*"`, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: Allow instead of Deny", spec: withPolicy(strings.Replace(tlsDeny, `"Deny"`, `"Allow"`, 1)), want: []want{{p, noDeny}}},
		{name: "tricky: named principal", spec: withPolicy(denyTLS(`"Principal":{"AWS":"444455556666"}`, s3All, both, insecure)), want: []want{{p, noDeny}}},
		{name: "tricky: another bucket", spec: withPolicy(denyTLS(anyone, s3All, `"Resource":["arn:aws:s3:::other","arn:aws:s3:::other/*"]`, insecure)), want: []want{{p, noDeny}}},
		// A bucket that tells no region is in the configured partition,
		// where ACK creates it in its default region.
		{name: "secure: the configured partition's ARNs", cfg: rules.Config{Partition: "aws-cn"}, spec: withPolicy(strings.ReplaceAll(tlsDeny, "arn:aws:", "arn:aws-cn:"))},
		{name: "tricky: aws ARNs in the configured aws-cn partition", cfg: rules.Config{Partition: "aws-cn"}, spec: withPolicy(tlsDeny), want: []want{{p, noDeny}}},
	})

	// A valid policy with no room left for the statement: the finding
	// stays, not fixable, and the fix writes nothing (with it the policy
	// would fail POL-001 and S3 would refuse it).
	t.Run("tricky: no room for the statement", func(t *testing.T) {
		filler := func(i int) string {
			return `{"Sid":"P` + strconv.Itoa(i) + `","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`
		}
		var stmts []string
		doc := ""
		for len(doc) < 20480-150 {
			stmts = append(stmts, filler(len(stmts)))
			doc = pol(stmts...)
		}
		obj := bucket(with(secureSpec(), "policy", doc))
		if got := findingsOf(obj, rules.Config{}, "POL-001"); len(got) != 0 {
			t.Fatalf("the filler policy (%d bytes) is not valid: %+v", len(doc), got)
		}
		got := findingsOf(obj, rules.Config{}, "S3-006")
		checkFindings(t, got, []want{{p, noDeny}})
		if got[0].Fixable || !strings.Contains(got[0].Remedy, "over S3's limit of 20480") {
			t.Errorf("finding %+v: want it not fixable, its remedy naming the limit", got[0])
		}
		plan, err := rules.Default().Remediate(obj, rules.Config{}, []string{"S3-006"})
		if err != nil || !plan.Empty() {
			t.Errorf("plan %+v, err %v: want nothing written", plan.Changes, err)
		}
		// With room for it, the same kind of policy is fixed.
		small := bucket(with(secureSpec(), "policy", pol(filler(0))))
		if got := findingsOf(small, rules.Config{}, "S3-006"); len(got) != 1 || !got[0].Fixable {
			t.Errorf("a small policy: %+v, want one fixable finding", got)
		}
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

	// ACK writes every bucket's ARN as arn:aws:s3:::<name>, whatever the
	// partition (s3-controller's bucketARN), and leaves the partition out
	// of the status; the region it records, or the region annotation,
	// names the partition.
	t.Run("tricky: aws-cn bucket as ACK records it", func(t *testing.T) {
		obj := bucket(with(secureSpec(), "policy", pol(strings.ReplaceAll(tlsDeny, "arn:aws:", "arn:aws-cn:"))))
		obj["status"] = map[string]any{"ackResourceMetadata": map[string]any{
			"arn": "arn:aws:s3:::my-bucket", "region": "cn-northwest-1", "ownerAccountID": "111122223333",
		}}
		checkFindings(t, findingsOf(obj, rules.Config{}, "S3-006"), nil)
		obj["spec"].(map[string]any)["policy"] = nil
		got := findingsOf(obj, rules.Config{}, "S3-006")
		checkFindings(t, got, []want{{p, "no policy"}})
		if !strings.Contains(got[0].Remedy, `"arn:aws-cn:s3:::my-bucket/*"`) {
			t.Errorf("remedy does not name the aws-cn ARN: %s", got[0].Remedy)
		}
		// The configured partition does not override the one the bucket
		// tells.
		got = findingsOf(obj, rules.Config{Partition: "aws-us-gov"}, "S3-006")
		if len(got) != 1 || !strings.Contains(got[0].Remedy, `"arn:aws-cn:s3:::my-bucket/*"`) {
			t.Errorf("under a configured aws-us-gov, the remedy does not name the aws-cn ARN: %+v", got)
		}
		// The European Sovereign Cloud is a partition of its own.
		obj["status"] = nil
		obj["metadata"].(map[string]any)["annotations"] = map[string]any{"services.k8s.aws/region": "eusc-de-east-1"}
		got = findingsOf(obj, rules.Config{}, "S3-006")
		checkFindings(t, got, []want{{p, "no policy"}})
		if !strings.Contains(got[0].Remedy, `"arn:aws-eusc:s3:::my-bucket/*"`) {
			t.Errorf("remedy does not name the aws-eusc ARN: %s", got[0].Remedy)
		}
	})
}
