package governance

import (
	"fmt"
	"testing"

	"github.com/ackguard/ackguard/api/v1alpha1"
)

// BenchmarkJudgeBucket judges an insecure bucket under three policies (two
// parameter sets, so two evaluations) and twenty exceptions in its
// namespace, one of which applies.
func BenchmarkJudgeBucket(b *testing.B) {
	pols := policies(
		policy("all"),
		policy("team-a", nsLabels("team", "a"), rule("S3-001", v1alpha1.Audit), maxDuration(30*day)),
		policy("dev", objLabels("env", "dev"), rule("S3-006", v1alpha1.Enforce),
			params(v1alpha1.Parameters{OwnerAccounts: []string{"111122223333"}})),
	)
	var excs []v1alpha1.GuardrailException
	for i := 0; i < 19; i++ {
		var ex v1alpha1.GuardrailException
		switch i % 3 {
		case 0: // another bucket
			ex = exception("team-a", fmt.Sprintf("bucket-%d", i), []string{"S3-001", "S3-006"}, t0.Add(7*day))
		case 1: // a selector that does not match
			ex = exception("team-a", fmt.Sprintf("sel-%d", i), []string{"S3-001"}, t0.Add(7*day),
				resources(bySelector(bucketGK, matchLabels("env", fmt.Sprintf("prod-%d", i)))))
		default: // this bucket, another rule
			ex = exception("team-a", fmt.Sprintf("other-rule-%d", i), []string{"S3-005"}, t0.Add(7*day),
				resources(byName(bucketGK, "b")))
		}
		excs = append(excs, ex)
	}
	excs = append(excs, exception("team-a", "b", []string{"S3-006"}, t0.Add(7*day)))
	if len(excs) != 20 {
		b.Fatalf("%d exceptions", len(excs))
	}
	e := New(reg, Defaults{ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}}, pols, excs)
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
