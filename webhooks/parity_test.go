package webhooks

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/scan"
)

// TestWebhookAndScanAgree drives the same creations and updates through
// the webhook handler and through scan (an update: with the old object in
// --base): both decide through governance.Admit, so the verdict, the
// denying rules and the warning rules must be equal.
func TestWebhookAndScanAgree(t *testing.T) {
	const tlsOnly = `"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"TLS\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::x\",\"arn:aws:s3:::x/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"`
	const ownership = `"ownershipControls":{"rules":[{"objectOwnership":"BucketOwnerEnforced"}]}`
	const cnStatus = `,"status":{"ackResourceMetadata":{"arn":"arn:aws-cn:s3:::x","ownerAccountID":"111122223333","region":"cn-north-1"}}`
	const cnLockout = `"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutBucketPolicy\",\"Resource\":\"arn:aws-cn:s3:::x\"}]}"`
	objWithMeta := func(kind, apiVersion, meta, spec string) string {
		return `{"apiVersion":"` + apiVersion + `","kind":"` + kind + `","metadata":{"name":"b","namespace":"ns"` + meta + `},"spec":{` + spec + `}}`
	}
	bucket := func(meta, spec string) string {
		return objWithMeta("Bucket", "s3.services.k8s.aws/v1alpha1", meta, spec)
	}
	cases := []struct {
		name string
		kind metav1.GroupVersionKind
		obj  string
		old  string // an UPDATE from it (scan --base)
		// sent is the object the API server sends the webhook, when not
		// obj: an UPDATE carries the stored status, not the manifest's.
		sent    string
		allowed bool
	}{
		{
			name:    "update keeping a public ACL",
			old:     bucket("", `"name":"x",`+securePAB+`,"acl":"public-read"`),
			obj:     bucket("", `"name":"x",`+securePAB+`,"acl":"public-read","tagging":{"tagSet":[{"key":"team","value":"a"}]}`),
			allowed: true,
		},
		{
			name: "update bringing a public ACL",
			old:  bucket("", `"name":"x",`+securePAB),
			obj:  bucket("", `"name":"x",`+securePAB+`,"acl":"public-read"`),
		},
		{
			// The stored status names the aws-cn partition: the API
			// server sends the update with it, and scan judges the
			// manifest with it too, so the lockout of the bucket's ARN
			// is denied by both.
			name: "update locking everyone out of an aws-cn bucket",
			old:  strings.TrimSuffix(bucket("", `"name":"x",`+securePAB), "}") + cnStatus + "}",
			obj:  bucket("", `"name":"x",`+securePAB+`,`+cnLockout),
			sent: strings.TrimSuffix(bucket("", `"name":"x",`+securePAB+`,`+cnLockout), "}") + cnStatus + "}",
		},
		{
			name: "update setting a missing flag to false",
			old:  bucket("", `"name":"x","publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":true,"blockPublicPolicy":true}`),
			obj:  bucket("", `"name":"x","publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":true,"blockPublicPolicy":true,"restrictPublicBuckets":false}`),
		},
		{name: "clean bucket", obj: bucket("", `"name":"x",`+securePAB+`,`+tlsOnly+`,`+ownership), allowed: true},
		{name: "bucket without block public access", obj: bucket("", `"name":"x"`)},
		{name: "public bucket policy", obj: bucket("", `"name":"x",`+securePAB+`,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::x/*\"}]}"`)},
		{
			name:    "adoption placeholder is admitted by both",
			obj:     bucket(`,"annotations":{"services.k8s.aws/adoption-policy":"adopt"}`, `"name":"x"`),
			allowed: true,
		},
		{
			name: "adopt-or-create is judged as a creation",
			obj:  bucket(`,"annotations":{"services.k8s.aws/adoption-policy":"adopt-or-create"}`, `"name":"x"`),
		},
		{name: "invalid policy document", obj: bucket("", `"name":"x",`+securePAB+`,"policy":"{\"Statement\":["`)},
		{name: "public ACL", obj: bucket("", `"name":"x",`+securePAB+`,"acl":"public-read"`)},
		{
			name: "role with an admin inline policy",
			kind: metav1.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Role"},
			obj: objWithMeta("Role", "iam.services.k8s.aws/v1alpha1", "", `"name":"r","assumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",`+
				`"inlinePolicies":{"admin":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}`),
		},
		{
			name: "security group open to the internet on SSH",
			kind: metav1.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "SecurityGroup"},
			obj: objWithMeta("SecurityGroup", "ec2.services.k8s.aws/v1alpha1", "", `"name":"sg","description":"web","vpcID":"vpc-1",`+
				`"ingressRules":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":[{"cidrIP":"0.0.0.0/0","description":"ssh"}]}]`),
		},
		{
			name: "data-perimeter bucket policy pinned to an account",
			obj:  bucket("", `"name":"x",`+securePAB+`,`+ownership+`,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::x\",\"arn:aws:s3:::x/*\"],\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":\"111122223333\"}}}]}"`),
		},
		{
			name:    "NotAction on one service's resources",
			kind:    metav1.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Policy"},
			obj:     objWithMeta("Policy", "iam.services.k8s.aws/v1alpha1", "", `"name":"p","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"arn:aws:s3:::x/*\"}]}"`),
			allowed: true, // IAM-002 and IAM-005 warn: the statement stays inside s3
		},
		{
			name: "security group open to the internet on SSH across two rules",
			kind: metav1.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "SecurityGroup"},
			obj: objWithMeta("SecurityGroup", "ec2.services.k8s.aws/v1alpha1", "", `"name":"sg","description":"web","vpcID":"vpc-1",`+
				`"ingressRules":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":[{"cidrIP":"0.0.0.0/1","description":"low"}]},{"ipProtocol":"-1","ipRanges":[{"cidrIP":"128.0.0.0/1","description":"high"}]}]`),
		},
		{
			// A status in a manifest never reaches the cluster, so it names
			// no owner account for either: the grant to another account is
			// denied by both.
			name: "cross-account grant beside a status naming that account",
			obj: strings.TrimSuffix(bucket("", `"name":"x",`+securePAB+`,`+ownership+`,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999999999999:root\"},\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::x/*\"}]}"`), "}") +
				`,"status":{"ackResourceMetadata":{"ownerAccountID":"999999999999","region":"eu-west-1"}}}`,
		},
		{
			name: "public database",
			kind: metav1.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBInstance"},
			obj: objWithMeta("DBInstance", "rds.services.k8s.aws/v1alpha1", "", `"dbInstanceIdentifier":"db","dbInstanceClass":"db.t3.micro","engine":"postgres",`+
				`"publiclyAccessible":true,"storageEncrypted":true`),
		},
	}
	v := newTestValidator(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request(admissionv1.Create, tc.obj, "")
			var opts scan.Options
			if tc.old != "" {
				req = request(admissionv1.Update, cmp.Or(tc.sent, tc.obj), tc.old)
				base := filepath.Join(t.TempDir(), "base.json")
				if err := os.WriteFile(base, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
				opts.Base = []string{base}
			}
			if tc.kind.Kind != "" {
				req.Kind = tc.kind
			}
			resp := v.Handle(context.Background(), req)
			var hookDeny []string
			if resp.Result != nil && resp.Result.Details != nil {
				for _, c := range resp.Result.Details.Causes {
					hookDeny = append(hookDeny, ruleOf(c.Message))
				}
			}
			var hookWarn []string
			for _, w := range resp.Warnings {
				hookWarn = append(hookWarn, rulesOfWarning(w)...)
			}

			opts.Registry = rules.Default()
			rep := scan.Scan(context.Background(), []string{"-"}, strings.NewReader(tc.obj), opts)
			if len(rep.Errors) > 0 {
				t.Fatalf("scan errors: %+v", rep.Errors)
			}
			var scanDeny, scanWarn []string
			for _, f := range rep.Findings {
				if f.Action == string(rules.Deny) {
					scanDeny = append(scanDeny, f.Rule)
				} else {
					scanWarn = append(scanWarn, f.Rule)
				}
			}
			scanAllowed := rep.Summary.Denied == 0

			if resp.Allowed != tc.allowed || scanAllowed != tc.allowed {
				t.Fatalf("allowed: webhook %v, scan %v, want %v (webhook denials %v, scan denials %v)", resp.Allowed, scanAllowed, tc.allowed, hookDeny, scanDeny)
			}
			slices.Sort(hookDeny)
			slices.Sort(scanDeny)
			slices.Sort(hookWarn)
			slices.Sort(scanWarn)
			if !slices.Equal(hookDeny, scanDeny) {
				t.Errorf("denying rules: webhook %v, scan %v", hookDeny, scanDeny)
			}
			if !slices.Equal(hookWarn, scanWarn) {
				t.Errorf("warning rules: webhook %v, scan %v", hookWarn, scanWarn)
			}
			if !tc.allowed && len(hookDeny) == 0 {
				t.Errorf("denied without a cause")
			}
		})
	}
}

// ruleOf returns the rule ID of a cause message ("Forbidden: S3-001: ...").
func ruleOf(msg string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(msg, "Forbidden: "), ": ")
	return id
}

// rulesOfWarning returns the rule IDs of one warning line:
// "spec.acl: S3-004: ..." or, for a folded line,
// "spec.policy: S3-002, S3-003: cannot evaluate ...".
func rulesOfWarning(w string) []string {
	_, rest, _ := strings.Cut(w, ": ")
	ids, _, _ := strings.Cut(rest, ": ")
	return strings.Split(ids, ", ")
}
