package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// BenchmarkFlushTenThousandResources observes 10,000 buckets of one
// namespace and writes the namespace's one bounded Report: "mixed" has
// failures, warnings and passes (half the buckets public), "clean" only
// passes, of which the Report keeps the first DefaultMaxResults. Run with
// `go test ./internal/reports -run '^$' -bench Flush -benchmem`.
func BenchmarkFlushTenThousandResources(b *testing.B) {
	b.Run("mixed", func(b *testing.B) {
		benchmarkFlush(b, func(i int, name string) map[string]any {
			spec := map[string]any{"name": name}
			if i%2 == 0 {
				spec["acl"] = "public-read"
			}
			return spec
		})
	})
	b.Run("clean", func(b *testing.B) {
		benchmarkFlush(b, func(_ int, name string) map[string]any {
			spec := rulestest.CleanBucket()["spec"].(map[string]any)
			spec["name"] = name
			spec["policy"] = strings.ReplaceAll(spec["policy"].(string), "orders-assets", name)
			return spec
		})
	})
}

func benchmarkFlush(b *testing.B, spec func(i int, name string) map[string]any) {
	eng := governance.New(registry, governance.Defaults{}, nil, nil)
	const n = 10000
	objs := make([]*governanceObj, n)
	for i := range objs {
		o := bucket("team", fmt.Sprintf("bucket-%05d", i))
		o.Object["spec"] = spec(i, o.GetName())
		objs[i] = &governanceObj{u: o, j: eng.Judge(o.Object, governance.Namespace{Name: "team"}, time.Now(), nil)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, r := &fakeWriter{}, &fakeReader{existing: map[string]bool{}}
		s := New(w, r, Options{Log: logr.Discard()})
		for _, o := range objs {
			s.Observe(o.u, o.j, nil)
		}
		if err := s.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		reps := w.take()
		if len(reps) != 1 || len(reps[0].Results) == 0 || len(reps[0].Results) > DefaultMaxResults {
			b.Fatalf("%d reports, %d results", len(reps), len(reps[0].Results))
		}
	}
}

type governanceObj struct {
	u *unstructured.Unstructured
	j *governance.Judgement
}
