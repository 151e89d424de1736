package governance

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/benchcpu"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// benchPolicies are three policies (two parameter sets, so two
// evaluations) that all select the benchmark's bucket.
func benchPolicies() []v1alpha1.GuardrailPolicy {
	return policies(
		policy("all"),
		policy("team-a", nsLabels("team", "a"), rule("S3-001", v1alpha1.Audit), maxDuration(30*day)),
		policy("dev", objLabels("env", "dev"), rule("S3-006", v1alpha1.Enforce),
			params(v1alpha1.Parameters{OwnerAccounts: []string{"111122223333"}})),
	)
}

// benchExceptions are twenty exceptions in ns, one of which exempts the
// benchmark's bucket "b" from S3-006.
func benchExceptions(ns string) []v1alpha1.GuardrailException {
	var excs []v1alpha1.GuardrailException
	for i := range 19 {
		var ex v1alpha1.GuardrailException
		switch i % 3 {
		case 0: // another bucket
			ex = exception(ns, fmt.Sprintf("bucket-%d", i), []string{"S3-001", "S3-006"}, t0.Add(7*day))
		case 1: // a selector that does not match
			ex = exception(ns, fmt.Sprintf("sel-%d", i), []string{"S3-001"}, t0.Add(7*day),
				resources(bySelector(bucketGK, matchLabels("env", fmt.Sprintf("prod-%d", i)))))
		default: // this bucket, another rule
			ex = exception(ns, fmt.Sprintf("other-rule-%d", i), []string{"S3-005"}, t0.Add(7*day),
				resources(byName(bucketGK, "b")))
		}
		excs = append(excs, ex)
	}
	return append(excs, exception(ns, "b", []string{"S3-006"}, t0.Add(7*day)))
}

// benchJudge judges the insecure bucket team-a/b (labels env=dev) with
// the engine, checking first that the three benchmark policies select it
// and the one exception exempts it.
func benchJudge(b *testing.B, e *Engine) {
	obj := insecureBucket("team-a", "b", map[string]string{"env": "dev"})
	ns := nsOf("team-a", "team", "a")
	j := e.Judge(obj, ns, t0, nil)
	if len(j.Policies) != 3 || len(j.Results) != 2 || result(j, "S3-006") == nil || result(j, "S3-006").Exception == nil {
		b.Fatalf("unexpected judgement: policies %v results %v", j.Policies, resultIDs(j))
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Judge(obj, ns, t0, nil)
	}
}

// BenchmarkJudgeBucket judges an insecure bucket under three policies (two
// parameter sets, so two evaluations) and twenty exceptions in its
// namespace, one of which applies.
func BenchmarkJudgeBucket(b *testing.B) {
	excs := benchExceptions("team-a")
	if len(excs) != 20 {
		b.Fatalf("%d exceptions", len(excs))
	}
	benchJudge(b, New(reg, Defaults{ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}}, benchPolicies(), excs))
}

// atScalePolicies are the three benchmark policies among 997 others that
// select other kinds or other namespaces (or objects with other labels):
// 1,000 GuardrailPolicies.
func atScalePolicies() []v1alpha1.GuardrailPolicy {
	pols := benchPolicies()
	for i := len(pols); i < 1000; i++ {
		name := fmt.Sprintf("p-%04d", i)
		switch i % 4 {
		case 0: // another kind
			pols = append(pols, policy(name, kinds(sgGK), rule("EC2-004", v1alpha1.Enforce)))
		case 1: // other kinds, another team's namespaces
			pols = append(pols, policy(name, kinds(dbGK, roleGK), nsLabels("team", fmt.Sprintf("t-%d", i))))
		case 2: // buckets of another team
			pols = append(pols, policy(name, kinds(bucketGK), nsLabels("team", fmt.Sprintf("t-%d", i)), maxDuration(10*day)))
		default: // any kind in one other namespace
			pols = append(pols, policy(name, nsSelector(matchLabels("kubernetes.io/metadata.name", fmt.Sprintf("ns-%d", i))),
				params(v1alpha1.Parameters{OwnerAccounts: []string{fmt.Sprintf("%012d", i)}})))
		}
	}
	return pols
}

// BenchmarkJudgeBucketAtScale judges the same bucket in a cluster with
// 1,000 GuardrailPolicies (atScalePolicies) and 10,000
// GuardrailExceptions spread over 500 namespaces, twenty each (the
// bucket's namespace holds the twenty of BenchmarkJudgeBucket). It should
// cost about what BenchmarkJudgeBucket does.
func BenchmarkJudgeBucketAtScale(b *testing.B) {
	pols := atScalePolicies()
	excs := benchExceptions("team-a")
	for n := 1; len(excs) < 10000; n++ {
		excs = append(excs, benchExceptions(fmt.Sprintf("ns-%d", n))...)
	}
	if len(pols) != 1000 || len(excs) != 10000 {
		b.Fatalf("%d policies, %d exceptions", len(pols), len(excs))
	}
	benchJudge(b, New(reg, Defaults{ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}}, pols, excs))
}

// BenchmarkJudgeAcrossNamespaces judges the insecure bucket b (labels
// env=dev) in one namespace after another, round robin, as a resync of
// every guarded object does: under the three policies that select it
// alone and among the 1,000 of atScalePolicies, in 1,000 and in 10,000
// namespaces (each labelled team=a). The engine remembers what its
// policies make of each namespace it judged in (up to maxNamespaceMemo
// of them); a namespace it does not remember costs a pass over every
// policy. Each namespace is judged once before the timing.
func BenchmarkJudgeAcrossNamespaces(b *testing.B) {
	d := Defaults{ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}}
	for _, arm := range []struct {
		name string
		pols []v1alpha1.GuardrailPolicy
	}{{"policies=3", benchPolicies()}, {"policies=1000", atScalePolicies()}} {
		e := New(reg, d, arm.pols, nil)
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/namespaces=%d", arm.name, n), func(b *testing.B) {
				objs := make([]map[string]any, n)
				nss := make([]Namespace, n)
				for i := range n {
					name := fmt.Sprintf("team-a-%05d", i)
					objs[i] = insecureBucket(name, "b", map[string]string{"env": "dev"})
					nss[i] = nsOf(name, "team", "a")
					if j := e.Judge(objs[i], nss[i], t0, nil); len(j.Policies) != 3 {
						b.Fatalf("%s: policies %v", name, j.Policies)
					}
				}
				i := 0
				b.ReportAllocs()
				benchcpu.Loop(b, func() {
					e.Judge(objs[i], nss[i], t0, nil)
					if i++; i == n {
						i = 0
					}
				})
			})
		}
	}
}

// BenchmarkJudgeCleanBucket judges a clean bucket under the default
// policy (no GuardrailPolicy: the baseline applies) with no exceptions:
// the common case, one policy selecting the object and nothing to report.
// It first checks that the baseline selects the bucket and that every
// rule on by default passed, so that it cannot time a judge that stopped
// judging.
func BenchmarkJudgeCleanBucket(b *testing.B) {
	e := New(reg, Defaults{ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}}, nil, nil)
	obj := rulestest.CleanBucket()
	ns := nsOf("team-a")
	j := e.Judge(obj, ns, t0, nil)
	if !slices.Equal(j.Policies, []string{BaselineName}) || len(j.Denials()) != 0 || len(j.Results) != 0 ||
		!slices.Equal(passedIDs(j), ruleIDsFor(bucketGK)) {
		b.Fatalf("unexpected judgement: policies %v results %v passed %v", j.Policies, resultIDs(j), passedIDs(j))
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Judge(obj, ns, t0, nil)
	}
}
