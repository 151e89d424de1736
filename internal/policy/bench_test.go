package policy_test

import (
	"fmt"
	"testing"

	"github.com/ackguard/ackguard/internal/benchcpu"
	"github.com/ackguard/ackguard/internal/policy"
)

// twentyKiBIdentityPolicy is an identity policy of just under 20 KiB, the
// mix of fiftyStatements repeated: twice IAM's aggregate inline quota, so
// it bounds what one analysis of a role's documents costs.
func twentyKiBIdentityPolicy() string {
	var stmts []string
	for i := 0; ; i++ {
		var s string
		switch i % 5 {
		case 0:
			s = fmt.Sprintf(`{"Sid":"Read%d","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-%d","arn:aws:s3:::bucket-%d/*"]}`, i, i, i)
		case 1:
			s = fmt.Sprintf(`{"Sid":"Pass%d","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-%d","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`, i, i)
		case 2:
			s = fmt.Sprintf(`{"Sid":"Dyn%d","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/t%d"}`, i, i)
		case 3:
			s = fmt.Sprintf(`{"Sid":"Logs%d","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:111122223333:log-group:/aws/lambda/f%d:*"}`, i, i)
		default:
			s = fmt.Sprintf(`{"Sid":"Deny%d","Effect":"Deny","NotAction":["s3:Get*","dynamodb:*"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, i)
		}
		if len(v12(append(stmts, s)...)) > 20*1024 {
			return v12(stmts...)
		}
		stmts = append(stmts, s)
	}
}

// BenchmarkParseAnalyze20KiB parses a 20 KiB identity policy and asks the
// analyzer every question the IAM rules ask of it (escalation, credential,
// exfiltration and permissions-management actions).
func BenchmarkParseAnalyze20KiB(b *testing.B) {
	raw := twentyKiBIdentityPolicy()
	if len(raw) > 20*1024 || len(raw) < 19*1024 {
		b.Fatalf("document is %d bytes", len(raw))
	}
	l := policy.MustReferenceLists()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	benchcpu.Loop(b, func() {
		d, problems := policy.Parse(raw, policy.IdentityPolicy, policy.Options{MaxBytes: len(raw) + 1})
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		analyzeAll(policy.Analyze(policy.Source{Name: "p", Doc: d}), l)
	})
}

// BenchmarkParseBucketPolicy parses a bucket policy seen for the first
// time, as an admission of a new Bucket does: the one-statement document
// of a clean Bucket (deny without TLS), and a three-statement one whose
// statements name principals, lists and conditions.
func BenchmarkParseBucketPolicy(b *testing.B) {
	for _, tc := range []struct{ name, raw string }{
		{"tls-only", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",` +
			`"Resource":["arn:aws:s3:::orders-assets","arn:aws:s3:::orders-assets/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		{"three-statements", `{"Version":"2012-10-17","Id":"orders","Statement":[` +
			`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::orders-assets","arn:aws:s3:::orders-assets/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
			`{"Sid":"AppReads","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/app","111122223333"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::orders-assets","arn:aws:s3:::orders-assets/*"]},` +
			`{"Sid":"OrgWrites","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::orders-assets/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","s3:x-amz-acl":["bucket-owner-full-control"]}}}]}`},
	} {
		opts := policy.Options{AllowCanonicalUser: true}
		b.Run(tc.name, func(b *testing.B) {
			if d, problems := policy.Parse(tc.raw, policy.ResourcePolicy, opts); d == nil || len(problems) > 0 {
				b.Fatal(problems)
			}
			if _, ok := policy.ParseQuick(tc.raw, policy.ResourcePolicy, opts, policy.MaxBucketPolicyBytes); !ok {
				b.Fatal("the one-pass reader does not read it")
			}
			b.ReportAllocs()
			benchcpu.Loop(b, func() { _, _ = policy.Parse(tc.raw, policy.ResourcePolicy, opts) })
		})
		// The same document through the tree and its grammar pass, which
		// Parse takes for a document with a problem (and took for all
		// before the one-pass reader).
		b.Run(tc.name+"-tree", func(b *testing.B) {
			b.ReportAllocs()
			benchcpu.Loop(b, func() { _, _ = policy.ParseTree(tc.raw, policy.ResourcePolicy, opts, policy.MaxBucketPolicyBytes) })
		})
	}
}
