package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/rules"
)

// costsNamespace holds what -costs writes.
const costsNamespace = "bench-costs"

// costsResult is what the control plane spent on the kinds of write the
// manager makes beside its patches, and on a second watcher of every
// Bucket. Figures are kube-apiserver's and etcd's CPU time from /proc,
// less what they spend idle in as long (Idle).
type costsResult struct {
	// Idle is the control plane's CPU in one idle second, measured first.
	Idle          *spanCPU   `json:"idlePerSecond"`
	Events        int        `json:"events"`
	EventCPU      *spanCPU   `json:"eventCPU"`
	ReportResults int        `json:"reportResults"`
	ReportBytes   int        `json:"reportBytes"`
	ReportWrites  int        `json:"reportWrites"`
	ReportCPU     *spanCPU   `json:"reportCPU"`
	Patches       int        `json:"patchesPerSet"`
	PatchSets     []patchSet `json:"patchSets"`
}

// patchSet is one set of Bucket patches, with or without the second
// watcher.
type patchSet struct {
	Watcher bool `json:"watcher"`
	// WatchEvents is how many events the second watcher read.
	WatchEvents int      `json:"watchEvents,omitempty"`
	Seconds     float64  `json:"seconds"`
	CPU         *spanCPU `json:"cpu"`
}

// costsOrder is the order of the patch sets: with (W) and without (P) the
// second watcher, balanced (ABBA) so that a control plane that slows
// down or speeds up over the run weighs on both alike.
const costsOrder = "PWWPPWWP"

// runCosts measures, on one control plane: cfg.Costs Events recorded
// from cfg.Workers goroutines; cfg.ReportWrites writes of the Report the
// manager's store builds for cfg.Costs judged Buckets (at most
// reports.DefaultMaxResults results), applied as the store applies it;
// and sets of cfg.Costs/4 Bucket patches (the reconciler's merge patch),
// each watched as the reconcile run watches its Buckets, with and
// without a second watcher of every Bucket (the manager's informer).
func runCosts(ctx context.Context, e *env, cfg config, logf func(string, ...any)) (*costsResult, error) {
	if err := e.namespace(ctx, costsNamespace); err != nil {
		return nil, err
	}
	res := &costsResult{Events: cfg.Costs, ReportWrites: cfg.ReportWrites, Patches: max(cfg.Costs/4, 1)}
	var err error
	if e.idle, err = e.idleCPU(ctx, 2*time.Second); err != nil {
		return nil, err
	}
	res.Idle = e.idle
	logf("control plane idle: kube-apiserver %.1f ms, etcd %.1f ms of CPU a second", e.idle.APIServer*1000, e.idle.Etcd*1000)

	logf("recording %d Events from %d goroutines", res.Events, cfg.Workers)
	res.EventCPU, err = e.measureCPU(ctx, func() error {
		_, _, err := forEach(ctx, res.Events, cfg.Workers, func(i int) error {
			return e.client.Create(ctx, remediationEvent(costsNamespace, i))
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}

	rep, err := judgedReport(ctx, costsNamespace, cfg.Costs)
	if err != nil {
		return nil, err
	}
	res.ReportResults = len(rep.Object["results"].([]any))
	data, err := rep.MarshalJSON()
	if err != nil {
		return nil, err
	}
	res.ReportBytes = len(data)
	logf("writing a Report of %d results (%d bytes) %d times", res.ReportResults, res.ReportBytes, res.ReportWrites)
	write := func(i int) error {
		// Every write changes every result's time, so that each is a real
		// change: an apply that changes nothing is not written to etcd.
		for _, r := range rep.Object["results"].([]any) {
			r.(map[string]any)["timestamp"] = map[string]any{"seconds": int64(1_800_000_000 + i), "nanos": int64(0)}
		}
		// Apply writes the answer into what it is given: a copy each time.
		return e.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(rep.DeepCopy()), client.FieldOwner(reports.FieldOwner), client.ForceOwnership)
	}
	// The first write creates the Report (no update validation then); it
	// is not counted.
	if err := write(0); err != nil {
		return nil, fmt.Errorf("creating the Report: %w", err)
	}
	res.ReportCPU, err = e.measureCPU(ctx, func() error {
		for i := range res.ReportWrites {
			if err := write(i + 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report writes: %w", err)
	}

	for i, v := range costsOrder {
		set, err := e.patchSet(ctx, cfg, fmt.Sprintf("bench-costs-%d", i), res.Patches, v == 'W', logf)
		if err != nil {
			return nil, err
		}
		res.PatchSets = append(res.PatchSets, *set)
	}
	return res, nil
}

// idleCPU returns the control plane's CPU time in one second, measured
// over a span of d in which nothing is asked of it.
func (e *env) idleCPU(ctx context.Context, d time.Duration) (*spanCPU, error) {
	span, took, err := e.cpuOver(ctx, nil, d)
	if err != nil {
		return nil, err
	}
	return span.scaled(1 / took.Seconds()), nil
}

// measureCPU returns the control plane's CPU time spent while fn ran and
// for a second after (what the writes left queued: watch fan-out, etcd),
// less what it spends idle in as long (e.idle, when measured).
func (e *env) measureCPU(ctx context.Context, fn func() error) (*spanCPU, error) {
	span, took, err := e.cpuOver(ctx, fn, time.Second)
	if err != nil {
		return nil, err
	}
	if e.idle != nil {
		idle := e.idle.scaled(took.Seconds())
		span.APIServer -= idle.APIServer
		span.Etcd -= idle.Etcd
	}
	return span, nil
}

// cpuOver returns the control plane's CPU time while fn (when not nil)
// ran and for tail after it, and how long that span was.
func (e *env) cpuOver(ctx context.Context, fn func() error, tail time.Duration) (*spanCPU, time.Duration, error) {
	c0, err := e.cpuMark()
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	if fn != nil {
		if err := fn(); err != nil {
			return nil, 0, err
		}
	}
	select {
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	case <-time.After(tail):
	}
	c1, err := e.cpuMark()
	if err != nil {
		return nil, 0, err
	}
	return c1.since(c0), time.Since(start), nil
}

// patchSet creates n violating Buckets in ns, then patches each as the
// reconciler does while a watch of every Bucket reads the changes (the
// reconcile run's, which the plain loop has too) and, with watcher, a
// second one (the manager's informer), and deletes them.
func (e *env) patchSet(ctx context.Context, cfg config, ns string, n int, watcher bool, logf func(string, ...any)) (*patchSet, error) {
	if err := e.namespace(ctx, ns); err != nil {
		return nil, err
	}
	objs := buckets(ns, "cost", n, false)
	if _, _, err := e.concurrent(ctx, objs, cfg.Workers); err != nil {
		return nil, err
	}
	set := &patchSet{Watcher: watcher}
	base, err := e.watchChanges(ctx)
	if err != nil {
		return nil, err
	}
	defer base.Stop()
	go drain(base)
	var w watch.Interface
	read := make(chan int, 1)
	if watcher {
		if w, err = e.watchChanges(ctx); err != nil {
			return nil, err
		}
		defer w.Stop()
		go func() { read <- drain(w) }()
	}
	set.CPU, err = e.measureCPU(ctx, func() error {
		wall, _, err := forEach(ctx, n, cfg.Workers, func(i int) error {
			// The created object's resourceVersion guards the patch, as the
			// cached one guards the reconciler's.
			return e.plainFix(ctx, objs[i])
		})
		set.Seconds = wall.Seconds()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("patching %s: %w", ns, err)
	}
	with := ""
	if w != nil {
		w.Stop()
		if set.WatchEvents = <-read; set.WatchEvents < n {
			return nil, fmt.Errorf("the second watcher read %d events of %d patches: it did not keep up", set.WatchEvents, n)
		}
		with = fmt.Sprintf(" with a second watcher (it read %d events)", set.WatchEvents)
	}
	logf("  %d patches%s: %.2f s, kube-apiserver %.2f ms each", n, with, set.Seconds, set.CPU.APIServer*1000/float64(n))
	return set, e.deleteBuckets(ctx, ns)
}

// watchChanges watches every Bucket from the current resourceVersion: the
// changes only, not first an ADDED event for every Bucket there is.
func (e *env) watchChanges(ctx context.Context) (watch.Interface, error) {
	l, err := e.dynamic.Resource(bucketGVR).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	return e.dynamic.Resource(bucketGVR).Watch(ctx, metav1.ListOptions{ResourceVersion: l.GetResourceVersion()})
}

// drain reads a watch's events, as a client that keeps up with them
// does, until the watch stops; it returns how many it read.
func drain(w watch.Interface) int {
	n := 0
	for range w.ResultChan() {
		n++
	}
	return n
}

// remediationEvent is an Event as the drift reconciler records one for a
// fix (events.k8s.io/v1, regarding a Bucket).
func remediationEvent(ns string, i int) *eventsv1.Event {
	name := fmt.Sprintf("drift-%05d", i)
	now := time.Now()
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s.%x", name, now.UnixNano())},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: "ackguard", ReportingInstance: "ackguard-bench",
		Action: "Remediate", Reason: controllers.ReasonRemediated, Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{APIVersion: bucketGVR.GroupVersion().String(), Kind: "Bucket", Namespace: ns, Name: name,
			UID: bucketUID(i), ResourceVersion: "1"},
		Note: "patched spec.publicAccessBlock.blockPublicACLs, spec.publicAccessBlock.ignorePublicACLs, " +
			"spec.publicAccessBlock.blockPublicPolicy, spec.publicAccessBlock.restrictPublicBuckets (S3-001); previous values in " +
			controllers.AnnotationRemediation,
	}
}

// bucketUID is the UID -costs gives the i-th Bucket it names.
func bucketUID(i int) types.UID {
	return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
}

// judgedReport is the Report the manager's store writes for n Buckets of
// ns (half of them violating S3-001), judged under the default rules.
func judgedReport(ctx context.Context, ns string, n int) (*unstructured.Unstructured, error) {
	eng := governance.New(rules.Default(), governance.Defaults{}, nil, nil)
	w := &reportCapture{}
	store := reports.New(w, nil, reports.Options{})
	now := time.Now()
	for i := range n {
		o := bucketSpec(ns, fmt.Sprintf("judged-%05d", i), i%2 == 0)
		o.SetUID(bucketUID(i))
		store.Observe(o, eng.Judge(o.Object, governance.Namespace{Name: ns}, now, nil), nil)
	}
	if err := store.Flush(ctx); err != nil {
		return nil, err
	}
	if w.report == nil {
		return nil, fmt.Errorf("the report store wrote no Report for %d Buckets", n)
	}
	return w.report, nil
}

// reportCapture is a client.Writer that keeps the Report the store applies.
type reportCapture struct {
	client.Writer
	report *unstructured.Unstructured
}

func (c *reportCapture) Apply(_ context.Context, obj runtime.ApplyConfiguration, _ ...client.ApplyOption) error {
	u, ok := obj.(interface{ UnstructuredContent() map[string]any })
	if !ok {
		return fmt.Errorf("unexpected apply configuration %T", obj)
	}
	c.report = &unstructured.Unstructured{Object: u.UnstructuredContent()}
	return nil
}

func printCosts(w io.Writer, c *costsResult) {
	fmt.Fprintf(w, "what the control plane spends on the manager's other writes, and on a second watcher of every Bucket\n")
	fmt.Fprintf(w, "(less its idle CPU: kube-apiserver %.1f ms, etcd %.1f ms a second)\n\n", c.Idle.APIServer*1000, c.Idle.Etcd*1000)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WRITES\tKUBE-APISERVER CPU EACH\tETCD CPU EACH")
	fmt.Fprintf(tw, "%d Events (%s, in a burst)\t%.2f ms\t%.2f ms\n", c.Events, controllers.ReasonRemediated, c.EventCPU.APIServer*1000/float64(c.Events), c.EventCPU.Etcd*1000/float64(c.Events))
	fmt.Fprintf(tw, "%d writes of a Report of %d results (%d KiB)\t%.0f ms\t%.0f ms\n", c.ReportWrites, c.ReportResults, c.ReportBytes>>10,
		c.ReportCPU.APIServer*1000/float64(c.ReportWrites), c.ReportCPU.Etcd*1000/float64(c.ReportWrites))
	_ = tw.Flush()
	fmt.Fprintf(w, "\nsets of %d Bucket patches, each watched (order %s: W with a second watcher of every Bucket)\n", c.Patches, costsOrder)
	var sets []string
	for _, s := range c.PatchSets {
		kind := "P"
		if s.Watcher {
			kind = "W"
		}
		sets = append(sets, fmt.Sprintf("%s %.2f", kind, s.CPU.APIServer*1000/float64(c.Patches)))
	}
	with, without := watcherMeans(c.PatchSets, c.Patches)
	fmt.Fprintf(w, "kube-apiserver CPU per patch, each set (ms)    %s\n", strings.Join(sets, ", "))
	fmt.Fprintf(w, "mean with the watcher; without (ms)            %.2f; %.2f\n", with, without)
}

// watcherMeans returns the kube-apiserver CPU per patch, in ms, averaged
// over the sets with the second watcher and over those without.
func watcherMeans(sets []patchSet, patches int) (with, without float64) {
	var sum [2]float64
	var count [2]int
	for _, s := range sets {
		k := 0
		if s.Watcher {
			k = 1
		}
		sum[k] += s.CPU.APIServer * 1000 / float64(patches)
		count[k]++
	}
	mean := func(k int) float64 {
		if count[k] == 0 {
			return 0
		}
		return sum[k] / float64(count[k])
	}
	return mean(1), mean(0)
}
