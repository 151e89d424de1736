package logging

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestLazyWritesTheSameLines: every way controller-runtime and ackguard
// use a logger gives the same line, caller included, through Lazy as
// directly.
func TestLazyWritesTheSameLines(t *testing.T) {
	use := func(l logr.Logger) {
		l = l.WithName("controller").WithValues("controller", "bucket", "controllerKind", "Bucket")
		r := l.WithValues("Bucket", "ns/b", "namespace", "ns", "name", "b").WithValues("reconcileID", "r-1")
		r.Info("fixed", "rules", []string{"S3-001"}) // line A
		r.V(1).Info("verdict", "denied", 0)
		r.V(2).Info("not written at verbosity 1")
		r.WithName("sub").Error(errors.New("conflict"), "patch failed", "attempt", 2)
		l.WithValues("a", 1).WithName("x").WithValues("b", 2).Info("names after values")
		logr.FromContextOrDiscard(logr.NewContext(t.Context(), r)).Info("from the context")
		r.WithCallDepth(0).Info("call depth")
	}
	lines := func(wrap func(logr.Logger) logr.Logger) []string {
		var out []string
		l := funcr.New(func(prefix, args string) { out = append(out, prefix+" "+args) },
			funcr.Options{LogCaller: funcr.All, Verbosity: 1})
		use(wrap(l))
		return out
	}
	direct := lines(func(l logr.Logger) logr.Logger { return l })
	lazy := lines(Lazy)
	if len(direct) != 6 {
		t.Fatalf("direct logging wrote %d lines, want 6:\n%s", len(direct), strings.Join(direct, "\n"))
	}
	if strings.Join(lazy, "\n") != strings.Join(direct, "\n") {
		t.Fatalf("lazy logging wrote\n%s\nwant\n%s", strings.Join(lazy, "\n"), strings.Join(direct, "\n"))
	}
	if !strings.Contains(direct[0], "logging_test.go") || !strings.Contains(direct[0], `"reconcileID"="r-1"`) {
		t.Fatalf("the first line %q names neither the caller nor the values", direct[0])
	}
	if Lazy(logr.Discard()).Enabled() {
		t.Error("a discarding logger became enabled")
	}
}

func BenchmarkReconcileLoggerUnused(b *testing.B) {
	base := zap.New(zap.WriteTo(io.Discard)) // as the manager builds its logger
	for name, l := range map[string]logr.Logger{"direct": base, "lazy": Lazy(base)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = l.WithValues("Bucket", "ns/b", "namespace", "ns", "name", "b").WithValues("reconcileID", "r-1")
			}
		})
	}
}
