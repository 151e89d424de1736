package engines

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// engine is one implementation of the checks under comparison.
type engine struct {
	name string
	// policy is false for the versions that check the four flags only.
	policy bool
	v      Verdict
}

func engines(tb testing.TB) []engine {
	tb.Helper()
	ctx := context.Background()
	celFlags, err := CELFlags()
	if err != nil {
		tb.Fatalf("CEL flags: %v", err)
	}
	celPolicy, err := CELPolicy()
	if err != nil {
		tb.Fatalf("CEL policy: %v", err)
	}
	regoFlags, err := RegoFlags(ctx)
	if err != nil {
		tb.Fatalf("Rego flags: %v", err)
	}
	regoPolicy, err := RegoPolicy(ctx)
	if err != nil {
		tb.Fatalf("Rego policy: %v", err)
	}
	return []engine{
		{"ackguard-flags", false, Ackguard("S3-001")},
		{"ackguard-flags-policy", true, Ackguard("S3-001", "S3-002", "S3-003")},
		{"ackguard-flags-policy-cached", true, AckguardCached("S3-001", "S3-002", "S3-003")},
		{"ackguard-all-bucket-rules", true, Ackguard()},
		{"cel-flags", false, celFlags},
		{"cel-flags-policy", true, celPolicy},
		{"rego-flags", false, regoFlags},
		{"rego-flags-policy", true, regoPolicy},
	}
}

// withSpec is the clean bucket with spec fields replaced (nil deletes).
func withSpec(kv ...any) map[string]any {
	obj := rulestest.CleanBucket()
	spec := maps.Clone(obj["spec"].(map[string]any))
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(spec, kv[i].(string))
			continue
		}
		spec[kv[i].(string)] = kv[i+1]
	}
	obj["spec"] = spec
	return obj
}

// withStatement is the clean bucket whose policy also holds the statement.
func withStatement(stmt string) map[string]any {
	obj := rulestest.CleanBucket()
	p := obj["spec"].(map[string]any)["policy"].(string)
	return withSpec("policy", strings.TrimSuffix(p, "]}")+","+stmt+"]}")
}

const getObject = `"Action":"s3:GetObject","Resource":"arn:aws:s3:::orders-assets/*"`

// buckets is the table every engine must judge alike. policyDeny is the
// verdict of the engines that read the policy; the flag-only engines deny
// only when flagDeny.
var buckets = []struct {
	name       string
	obj        map[string]any
	flagDeny   bool
	policyDeny bool
}{
	{"clean", rulestest.CleanBucket(), false, false},
	{"no publicAccessBlock", withSpec("publicAccessBlock", nil), true, true},
	{"blockPublicPolicy false", withSpec("publicAccessBlock", map[string]any{
		"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": false, "restrictPublicBuckets": true}), true, true},
	{"restrictPublicBuckets missing", withSpec("publicAccessBlock", map[string]any{
		"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true}), true, true},
	{"no policy", withSpec("policy", nil), false, false},
	{`Principal "*"`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `}`), false, true},
	{`Principal {"AWS":["*"]} writes`, withStatement(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::orders-assets/*"}`), false, true},
	{`Statement an object, Principal "*"`, withSpec("policy", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",`+getObject+`}}`), false, true},
	{`Principal "*" restricted to a VPC endpoint`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`), false, false},
	{`Principal "*" restricted to an organization (key case)`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `,"Condition":{"StringEquals":{"AWS:PrincipalOrgID":["o-abc123def4"]}}}`), false, false},
	{`Principal "*" under a negated operator`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `,"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`), false, true},
	{`Principal "*" restricted by a wildcard value`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `,"Condition":{"StringLike":{"aws:SourceVpce":"vpce-*"}}}`), false, true},
	{`Principal "*" with a non-restricting key`, withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `,"Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), false, true},
	{"an account principal", withStatement(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},` + getObject + `}`), false, false},
}

// TestVerdictsAgree proves every engine denies what it should and admits
// the clean bucket, so the benchmarks time engines that really judge.
func TestVerdictsAgree(t *testing.T) {
	for _, e := range engines(t) {
		for _, b := range buckets {
			want := b.policyDeny
			if !e.policy {
				want = b.flagDeny
			}
			got, err := e.v(b.obj)
			if err != nil {
				t.Errorf("%s on %s: %v", e.name, b.name, err)
				continue
			}
			if got != want {
				t.Errorf("%s on %s: deny %v, want %v", e.name, b.name, got, want)
			}
		}
	}
}

// BenchmarkCleanBucket times each engine on the clean bucket of
// rulestest: one admission that passes, the common case. hack/bench-ratios.sh
// prints the ratios of one run.
func BenchmarkCleanBucket(b *testing.B) {
	obj := rulestest.CleanBucket()
	for _, e := range engines(b) {
		b.Run(e.name, func(b *testing.B) {
			if deny, err := e.v(obj); deny || err != nil {
				b.Fatalf("the clean bucket is denied (%v)", err)
			}
			b.ReportAllocs()
			loop(b, func() { _, _ = e.v(obj) })
		})
	}
}

// BenchmarkPublicBucket times each engine on a bucket whose policy grants
// s3:GetObject to "*": one admission that is denied.
func BenchmarkPublicBucket(b *testing.B) {
	obj := withStatement(`{"Effect":"Allow","Principal":"*",` + getObject + `}`)
	for _, e := range engines(b) {
		if !e.policy {
			continue
		}
		b.Run(e.name, func(b *testing.B) {
			if deny, err := e.v(obj); !deny || err != nil {
				b.Fatalf("the public bucket is admitted (%v)", err)
			}
			b.ReportAllocs()
			loop(b, func() { _, _ = e.v(obj) })
		})
	}
}
