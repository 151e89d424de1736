// Package testenv is the envtest harness of the integration suites
// (controllers, webhooks, test/install, the demo, internal/govsource and
// internal/unstructuredjson): one TestMain body that sets the logger, a
// control plane (internal/localcluster) started lazily by the first test
// that needs it, stopped when the suite ends whatever its outcome, and a
// check that controller-runtime recovered no panic in a reconciler or a
// webhook while the suite ran.
//
// A suite declares
//
//	var suite = testenv.New(testenv.Options{Name: "webhook suite", Setup: ...})
//	func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }
//
// and each test that talks to the API server starts with suite.Start(t).
// Tests that do not call it (unit tests, fuzz targets) and every test
// under -short run without kube-apiserver and etcd.
//
// Import it only from _test.go files.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/localcluster"
)

// LogEnv, when set, sends the suite's logs to stderr.
const LogEnv = "ACKGUARD_TEST_LOG"

// PanicMetrics are controller-runtime's counters of recovered panics; a
// suite fails when any of them is non-zero at its end.
var PanicMetrics = []string{
	"controller_runtime_reconcile_panics_total",
	"controller_runtime_webhook_panics_total",
	"controller_runtime_conversion_webhook_panics_total",
}

// Options of a suite.
type Options struct {
	// Name names the suite in its error messages ("webhook suite").
	Name string
	// CRDs returns CRDs installed besides ackguard's own, the openreports.io
	// Report and ACK's (from $ACK_CRDS_DIR, else the project's minimal ones).
	CRDs func() ([]*apiextensionsv1.CustomResourceDefinition, error)
	// Setup runs once, right after the control plane started, for example
	// to start ackguard against it. ctx ends when the suite ends, before
	// the control plane stops.
	Setup func(ctx context.Context, c *localcluster.Cluster) error
	// Logger builds the controller-runtime logger from the default sink
	// (nil unless LogEnv is set); nil: that sink, or a discarding logger.
	Logger func(next logr.LogSink) logr.Logger
}

// Suite is one test binary's control plane.
type Suite struct {
	opts Options

	ctx    context.Context
	cancel context.CancelFunc

	// panics is where the panic counters are read (controller-runtime's
	// registry).
	panics prometheus.Gatherer

	once    sync.Once
	cluster *localcluster.Cluster
	err     error
}

// New returns a suite; nothing starts before Start.
func New(opts Options) *Suite {
	if opts.Name == "" {
		opts.Name = "envtest suite"
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Suite{opts: opts, ctx: ctx, cancel: cancel, panics: crmetrics.Registry}
}

// Run is the body of TestMain: it runs the tests, stops the control plane
// when a test started it, and fails the suite when controller-runtime
// counted a panic. It returns the exit code.
func (s *Suite) Run(m *testing.M) int {
	logf.SetLogger(s.logger())
	return s.run(m.Run, os.Stderr)
}

func (s *Suite) run(tests func() int, stderr io.Writer) (code int) {
	defer func() {
		if err := s.stop(); err != nil {
			fmt.Fprintf(stderr, "%s: stopping the control plane: %v\n", s.opts.Name, err)
			if code == 0 {
				code = 1
			}
		}
	}()
	code = tests()
	if err := CheckNoPanics(s.panics); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", s.opts.Name, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Start returns the running cluster, starting the control plane (and the
// suite's Setup) on first use. It skips the test under -short and fails
// it when the control plane could not start; later tests fail with the
// same error without another attempt.
func (s *Suite) Start(t testing.TB) *localcluster.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the envtest control plane (skipped with -short)")
	}
	s.once.Do(func() { s.cluster, s.err = s.start() })
	if s.err != nil {
		t.Fatalf("%s: %v", s.opts.Name, s.err)
	}
	return s.cluster
}

// Context ends when the suite ends, before the control plane stops.
func (s *Suite) Context() context.Context { return s.ctx }

func (s *Suite) start() (*localcluster.Cluster, error) {
	crds, _, err := ackcrds.Load()
	if err != nil {
		return nil, err
	}
	if s.opts.CRDs != nil {
		more, err := s.opts.CRDs()
		if err != nil {
			return nil, err
		}
		crds = append(crds, more...)
	}
	c, err := localcluster.Start(localcluster.Options{CRDs: crds})
	if err != nil {
		return nil, err
	}
	if s.opts.Setup != nil {
		if err := s.opts.Setup(s.ctx, c); err != nil {
			s.cancel()
			_ = c.Stop()
			return nil, fmt.Errorf("setting up: %w", err)
		}
	}
	return c, nil
}

// stop ends the suite's context (stopping what Setup started) and then the
// control plane, if it runs; it also keeps a later Start from starting it.
func (s *Suite) stop() error {
	s.once.Do(func() { s.err = errors.New("the suite has ended") })
	s.cancel()
	if s.cluster == nil {
		return nil
	}
	c := s.cluster
	s.cluster = nil
	return c.Stop()
}

func (s *Suite) logger() logr.Logger {
	next := DefaultLogSink()
	if s.opts.Logger != nil {
		return s.opts.Logger(next)
	}
	if next == nil {
		return logr.Discard()
	}
	return logr.New(next)
}

// DefaultLogSink writes to stderr when LogEnv is set; else it is nil.
func DefaultLogSink() logr.LogSink {
	if os.Getenv(LogEnv) == "" {
		return nil
	}
	return zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)).GetSink()
}

// CheckNoPanics returns an error naming every PanicMetrics series of g
// that is non-zero.
func CheckNoPanics(g prometheus.Gatherer) error {
	families, err := g.Gather()
	if err != nil {
		return fmt.Errorf("reading controller-runtime's panic counters: %w", err)
	}
	watched := map[string]bool{}
	for _, n := range PanicMetrics {
		watched[n] = true
	}
	var bad []string
	for _, f := range families {
		if !watched[f.GetName()] {
			continue
		}
		for _, m := range f.GetMetric() {
			if v := m.GetCounter().GetValue(); v != 0 {
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				bad = append(bad, fmt.Sprintf("%s{%s} = %g", f.GetName(), strings.Join(labels, ","), v))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("controller-runtime recovered panics during the suite (see the log with %s=1): %s", LogEnv, strings.Join(bad, "; "))
}
