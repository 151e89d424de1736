package reports

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ackguard/ackguard/internal/governance"
)

// BenchmarkFlushTenThousandResources observes 10,000 buckets of one
// namespace (baseline judgements: failures, warnings and passes) and
// writes the namespace's one bounded Report. Run with
// `go test ./internal/reports -run '^$' -bench Flush -benchmem`.
func BenchmarkFlushTenThousandResources(b *testing.B) {
	eng := governance.New(registry, governance.Defaults{}, nil, nil)
	const n = 10000
	objs := make([]*governanceObj, n)
	for i := range objs {
		o := bucket("team", fmt.Sprintf("bucket-%05d", i))
		spec := map[string]any{"name": o.GetName()}
		if i%2 == 0 {
			spec["acl"] = "public-read"
		}
		o.Object["spec"] = spec
		objs[i] = &governanceObj{u: o, j: eng.Judge(o.Object, governance.Namespace{Name: "team"}, time.Now(), nil)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, r := &fakeWriter{}, &fakeReader{existing: map[string]bool{}}
		s := New(w, r, Options{Log: logr.Discard()})
		for _, o := range objs {
			s.Observe(o.u, o.j)
		}
		if err := s.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		reps := w.take()
		if len(reps) != 1 || len(reps[0].Results) > DefaultMaxResults {
			b.Fatalf("%d reports, %d results", len(reps), len(reps[0].Results))
		}
	}
}

type governanceObj struct {
	u *unstructured.Unstructured
	j *governance.Judgement
}
