package rules

import (
	"fmt"
	"strings"
	"testing"
)

// benchBucket is a realistic worst case for one admission: a bucket with a
// 20-statement policy (some public, some conditioned), ACL grants and an
// ownership rule.
func benchBucket() map[string]any {
	var stmts []string
	for i := 0; i < 20; i++ {
		switch i % 4 {
		case 0:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Read%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-%d"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bench","arn:aws:s3:::bench/*"]}`, i, i))
		case 1:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Vpce%d","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bench/p%d/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`, i, i))
		case 2:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Public%d","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bench/pub%d/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`, i, i))
		default:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Deny%d","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::bench"}`, i))
		}
	}
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": "bench", "namespace": "default"},
		"spec": map[string]any{
			"name":              "bench",
			"policy":            `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`,
			"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": false},
			"acl":               "public-read|private",
			"grantRead":         `id=abc, uri="http://acs.amazonaws.com/groups/global/AllUsers"`,
			"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}},
		},
	}
}

// BenchmarkEvaluateBucket is the engine's cost per admission request.
func BenchmarkEvaluateBucket(b *testing.B) {
	reg, obj := Default(), benchBucket()
	b.ReportAllocs()
	for b.Loop() {
		if len(reg.Evaluate(obj, Config{})) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkRemediateBucket is the engine's cost per drift fix.
func BenchmarkRemediateBucket(b *testing.B) {
	reg, obj := Default(), benchBucket()
	ids := []string{"S3-001", "S3-003", "S3-004", "S3-006"}
	b.ReportAllocs()
	for b.Loop() {
		plan, err := reg.Remediate(obj, Config{}, ids)
		if err != nil || plan.Empty() {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalStatement is the cost of a statement's identity
// (statementSubject) for statements as bucket policies write them.
func BenchmarkCanonicalStatement(b *testing.B) {
	for _, bc := range []struct{ name, stmt string }{
		{"tls-deny", `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`},
		{"public-get", `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`},
		{"conditions", "{\n  \"Sid\": \"AppAccess\",\n  \"Effect\": \"Allow\",\n  \"Principal\": {\"AWS\": [\"arn:aws:iam::111122223333:role/b\", \"arn:aws:iam::111122223333:role/a\"]},\n  \"Action\": [\"s3:PutObject\", \"s3:GetObject\", \"s3:ListBucket\"],\n  \"Resource\": [\"arn:aws:s3:::my-bucket/*\", \"arn:aws:s3:::my-bucket\"],\n  \"Condition\": {\n    \"StringEquals\": {\"aws:SourceVpce\": [\"vpce-2b\", \"vpce-1a\"], \"s3:x-amz-acl\": \"private\"},\n    \"IpAddress\": {\"aws:SourceIp\": [\"203.0.113.0/24\"]}\n  }\n}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if canonicalStatement(bc.stmt) == "" {
					b.Fatal("empty")
				}
			}
		})
	}
}
