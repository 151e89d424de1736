package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/benchcpu"
	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// The engine's cost per object for typical objects of each guarded shape
// (docs/performance.md, "Engine"). Each benchmark first checks the
// verdict, so a rule that stopped judging cannot look fast. Run with
// `go test ./internal/rules -run '^$' -bench . -benchmem`.

// evaluateParsedAndCached times obj's evaluation twice: "parse", each
// policy document parsed afresh (a document never seen before), and
// "cached", the documents read from a warm cache (the manager's case for
// an UPDATE, a reconcile or a resync of an object it has judged before).
func evaluateParsedAndCached(b *testing.B, reg *rules.Registry, obj map[string]any, report ...func(*testing.B)) {
	run := func(name string, cfg rules.Config) {
		b.Run(name, func(b *testing.B) {
			reg.Evaluate(obj, cfg)
			for _, r := range report {
				r(b)
			}
			b.ReportAllocs()
			benchcpu.Loop(b, func() { reg.Evaluate(obj, cfg) })
		})
	}
	run("parse", rules.Config{})
	run("cached", rules.Config{Documents: policy.NewCache(64, 1<<20)})
}

// BenchmarkEvaluateCleanBucket judges a Bucket as ACK's samples write one,
// clean under every rule: the common admission.
func BenchmarkEvaluateCleanBucket(b *testing.B) {
	reg, obj := rules.Default(), rulestest.CleanBucket()
	if f := reg.Evaluate(obj, rules.Config{}); len(f) != 0 {
		b.Fatalf("findings for the clean bucket:\n%s", texts(f))
	}
	evaluateParsedAndCached(b, reg, obj)
}

// benchRole is a Role with a harmless trust policy and three inline
// policies of twenty statements each, as an application role looks:
// scoped data access, logs, parameters, a PassRole with a condition, and
// a conditioned Deny.
func benchRole() map[string]any {
	kv := make([]string, 0, 6)
	for p := 0; p < 3; p++ {
		stmts := make([]string, 0, 20)
		for i := 0; i < 20; i++ {
			n := p*20 + i
			switch i % 5 {
			case 0:
				stmts = append(stmts, fmt.Sprintf(`{"Sid":"Read%d","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::orders-%d","arn:aws:s3:::orders-%d/*"]}`, n, n, n))
			case 1:
				stmts = append(stmts, fmt.Sprintf(`{"Sid":"Table%d","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/orders-%d"}`, n, n))
			case 2:
				stmts = append(stmts, fmt.Sprintf(`{"Sid":"Logs%d","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:eu-west-1:111122223333:log-group:/app/orders-%d:*"}`, n, n))
			case 3:
				stmts = append(stmts, fmt.Sprintf(`{"Sid":"Pass%d","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/orders-worker-%d","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`, n, n))
			default:
				stmts = append(stmts, fmt.Sprintf(`{"Sid":"DenyPlain%d","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::orders-%d/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, n, n))
			}
		}
		kv = append(kv, fmt.Sprintf("orders-%d", p), idp(stmts...))
	}
	return iamObj("Role", roleWith(kv...))
}

// BenchmarkEvaluateRoleThreeInlinePolicies judges a Role with three
// inline policies of 20 statements each (every IAM and POL rule).
func BenchmarkEvaluateRoleThreeInlinePolicies(b *testing.B) {
	reg, obj := rules.Default(), benchRole()
	for name, doc := range obj["spec"].(map[string]any)["inlinePolicies"].(map[string]any) {
		if n := strings.Count(doc.(string), `"Sid"`); n != 20 {
			b.Fatalf("inline policy %s has %d statements", name, n)
		}
	}
	for _, f := range reg.Evaluate(obj, rules.Config{}) {
		if f.Action == rules.Deny && !f.Inconclusive {
			b.Fatalf("the role is denied: %s", f.Text())
		}
	}
	evaluateParsedAndCached(b, reg, obj)
}

// benchSecurityGroup is a SecurityGroup with 50 ingress and 50 egress
// rules: private ranges, the public web ports, ICMP, and IPv6.
func benchSecurityGroup() map[string]any {
	in := make([]any, 0, 50)
	out := make([]any, 0, 50)
	for i := 0; i < 50; i++ {
		port := int64(8000 + i)
		switch i % 5 {
		case 0:
			in = append(in, perm("tcp", int64(443), int64(443), "0.0.0.0/0", "::/0"))
		case 1:
			in = append(in, perm("tcp", port, port, fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("2001:db8:%x::/48", i)))
		case 2:
			in = append(in, perm("udp", port, port+10, fmt.Sprintf("172.16.%d.0/24", i)))
		case 3:
			in = append(in, perm("icmp", int64(8), int64(0), "0.0.0.0/0"))
		default:
			in = append(in, perm("tcp", int64(22), int64(22), fmt.Sprintf("192.168.%d.0/24", i)))
		}
		out = append(out, perm("tcp", port, port, fmt.Sprintf("10.%d.0.0/16", i)))
	}
	obj := sg(in...)
	obj["spec"].(map[string]any)["egressRules"] = out
	return obj
}

// BenchmarkEvaluateSecurityGroup50Rules judges a SecurityGroup with 50
// ingress and 50 egress rules (every EC2 rule).
func BenchmarkEvaluateSecurityGroup50Rules(b *testing.B) {
	reg, obj := rules.Default(), benchSecurityGroup()
	for _, f := range reg.Evaluate(obj, rules.Config{}) {
		if f.Action == rules.Deny {
			b.Fatalf("the group is denied: %s", f.Text())
		}
	}
	evaluateParsedAndCached(b, reg, obj)
}

// BenchmarkEvaluateBucket20KiBPolicy judges a Bucket whose policy is just
// under S3's 20 KiB limit: the largest document a bucket can carry, parsed
// and classified by every S3 rule.
func BenchmarkEvaluateBucket20KiBPolicy(b *testing.B) {
	reg, obj := rules.Default(), rulestest.CleanBucket()
	spec := obj["spec"].(map[string]any)
	var stmts []string
	for i := 0; ; i++ {
		s := fmt.Sprintf(`{"Sid":"App%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-%d"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::orders-assets/app-%d/*"}`, i, i, i)
		if len(pol(append(stmts, s, tlsDeny)...)) > 20*1024 {
			break
		}
		stmts = append(stmts, s)
	}
	spec["policy"] = pol(append(stmts, strings.ReplaceAll(tlsDeny, bucketName, "orders-assets"))...)
	if f := reg.Evaluate(obj, rules.Config{}); len(f) != 0 {
		b.Fatalf("findings for a %d-byte policy:\n%s", len(spec["policy"].(string)), texts(f))
	}
	evaluateParsedAndCached(b, reg, obj, func(b *testing.B) {
		b.ReportMetric(float64(len(spec["policy"].(string))), "policy-bytes")
	})
}
