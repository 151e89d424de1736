package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/localcluster"
)

// reconcileResult compares the manager converging N violating Buckets
// with a plain client issuing the same patches.
type reconcileResult struct {
	N       int `json:"n"`
	Workers int `json:"workers"`
	// Applied: the Buckets carried kubectl's last-applied annotation.
	Applied bool `json:"applied,omitempty"`
	// CreateSeconds is how long creating one set of N Buckets took.
	CreateSeconds float64 `json:"createSeconds"`
	// PlainSeconds: the plain loop's patches, from the first to the last;
	// PlainWatchSeconds: from the first until a watch saw none in
	// violation (the manager is timed by the same watch).
	PlainSeconds      float64 `json:"plainSeconds"`
	PlainWatchSeconds float64 `json:"plainWatchSeconds"`
	// PlainFirstSeconds and PlainHalfSeconds: from the first patch until
	// the watch saw the first Bucket fixed, and half of them;
	// FirstSeconds and HalfSeconds the same from the manager's start; -1
	// when the watch never saw it.
	PlainFirstSeconds float64 `json:"plainFirstSeconds"`
	PlainHalfSeconds  float64 `json:"plainHalfSeconds"`
	FirstSeconds      float64 `json:"firstSeconds"`
	HalfSeconds       float64 `json:"halfSeconds"`
	// PlainAfter is the same plain loop run again on N fresh Buckets once
	// the manager stopped: the control plane has more behind it by then
	// (etcd's history, the watch cache's), so the manager, which runs
	// between the two, is compared with their mean (RatioToMean).
	PlainAfter *plainRun `json:"plainAfter,omitempty"`
	// RatioToMean is ConvergeSeconds over the mean of PlainSeconds and
	// PlainAfter's.
	RatioToMean float64 `json:"ratioToMean,omitempty"`
	// ReadySeconds: from starting the manager until /readyz answers;
	// ConvergeSeconds: from starting it until no Bucket is in violation.
	ReadySeconds    float64 `json:"readySeconds"`
	ConvergeSeconds float64 `json:"convergeSeconds"`
	// Ratio is ConvergeSeconds / PlainSeconds; RatioAfterReady leaves
	// out the manager's start.
	Ratio           float64 `json:"ratio"`
	RatioAfterReady float64 `json:"ratioAfterReady"`
	// The manager's peak RSS (VmHWM), its RSS and its CPU time once
	// everything converged and it went idle.
	PeakRSS    int64   `json:"peakRSSBytes"`
	RSS        int64   `json:"rssBytes"`
	CPUSeconds float64 `json:"cpuSeconds"`
	// Heap: with -heap, the manager's heap figures.
	Heap *heapResult `json:"heap,omitempty"`
	// PlainRequests and ManagerRequests count the requests the API server
	// answered during the plain loop and from the manager's start until
	// none was in violation (the benchmark's own list included in both),
	// by verb and resource, watches left out (see apiRequests).
	PlainRequests   apiRequests `json:"plainRequests,omitempty"`
	ManagerRequests apiRequests `json:"managerRequests,omitempty"`
	// PlainCPU and ManagerCPU: the CPU time kube-apiserver, etcd and the
	// benchmark's own process (the loop's client and the watch) used over
	// the same spans; the manager's own is CPUSeconds.
	PlainCPU   *spanCPU `json:"plainCPU,omitempty"`
	ManagerCPU *spanCPU `json:"managerCPU,omitempty"`
}

// plainRun is one run of the plain patch loop.
type plainRun struct {
	Seconds      float64     `json:"seconds"`
	WatchSeconds float64     `json:"watchSeconds"`
	FirstSeconds float64     `json:"firstSeconds"`
	HalfSeconds  float64     `json:"halfSeconds"`
	Requests     apiRequests `json:"requests,omitempty"`
	CPU          *spanCPU    `json:"cpu,omitempty"`
}

// spanCPU is the CPU time of the processes on the machine beside the
// manager over one span, in seconds.
type spanCPU struct {
	APIServer float64 `json:"apiserverSeconds"`
	Etcd      float64 `json:"etcdSeconds"`
	Bench     float64 `json:"benchSeconds"`
}

// scaled returns the span's figures multiplied by f.
func (c *spanCPU) scaled(f float64) *spanCPU {
	return &spanCPU{APIServer: c.APIServer * f, Etcd: c.Etcd * f, Bench: c.Bench * f}
}

func (c *spanCPU) String() string {
	return fmt.Sprintf("%.2f s, %.2f s, %.2f s", c.APIServer, c.Etcd, c.Bench)
}

// cpuMark reads the CPU time of kube-apiserver, etcd and this process.
type cpuMark struct{ api, etcd, self time.Duration }

func (e *env) cpuMark() (cpuMark, error) {
	api, etcd, err := e.controlPlaneCPU()
	if err != nil {
		return cpuMark{}, err
	}
	self, err := pidCPU(os.Getpid())
	return cpuMark{api, etcd, self}, err
}

// since returns the CPU used from m0 until m.
func (m cpuMark) since(m0 cpuMark) *spanCPU {
	return &spanCPU{APIServer: (m.api - m0.api).Seconds(), Etcd: (m.etcd - m0.etcd).Seconds(), Bench: (m.self - m0.self).Seconds()}
}

const (
	plainNamespace      = "bench-plain"
	reconcileNamespace  = "bench-reconcile"
	plainAgainNamespace = "bench-plain-again"
)

// runReconcile: N violating Buckets fixed (a) by a plain client issuing
// the reconciler's merge patch from cfg.Workers goroutines, then, that
// set deleted, (b) N fresh ones by the manager (reconciler on with as many
// workers as the loop's goroutines, webhook not registered). The clock of
// (b) starts when the process starts and stops when a watch of the
// namespace sees none in violation; the same watch runs during (a), whose
// clock stops when its last patch returns.
func runReconcile(ctx context.Context, e *env, cfg config, bin string, logf func(string, ...any)) (*reconcileResult, error) {
	n := cfg.Reconcile
	res := &reconcileResult{N: n, Workers: cfg.Workers, Applied: cfg.Applied}
	for _, ns := range []string{plainNamespace, reconcileNamespace, plainAgainNamespace} {
		if err := e.namespace(ctx, ns); err != nil {
			return nil, err
		}
	}

	plain, err := e.plainLoop(ctx, cfg, plainNamespace, "plain", logf)
	if err != nil {
		return nil, err
	}
	res.CreateSeconds = plain.createSeconds
	res.PlainSeconds, res.PlainWatchSeconds = plain.Seconds, plain.WatchSeconds
	res.PlainFirstSeconds, res.PlainHalfSeconds = plain.FirstSeconds, plain.HalfSeconds
	res.PlainRequests, res.PlainCPU = plain.Requests, plain.CPU

	logf("creating %d violating Buckets in %s", n, reconcileNamespace)
	if _, _, err := e.concurrent(ctx, violatingBuckets(reconcileNamespace, "drift", cfg), cfg.Workers); err != nil {
		return nil, err
	}
	before, err := e.requestCounts(ctx)
	if err != nil {
		return nil, err
	}
	cpu0, err := e.cpuMark()
	if err != nil {
		return nil, err
	}
	var managerMarks progress
	conv, err := e.watchConvergence(ctx, reconcileNamespace, &managerMarks)
	if err != nil {
		return nil, err
	}
	hook, cleanup, err := servingHook()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	args, probeAddr, err := managerArgs(hook)
	if err != nil {
		return nil, err
	}
	args = append(args,
		"--max-patches-per-second=0", // the throughput, not the configured bound
		// As many fixes in flight as the plain loop has patches: each
		// reconcile waits for its patch, so with fewer workers than the
		// loop's goroutines the comparison would time the concurrency.
		fmt.Sprintf("--reconcile-workers=%d", cfg.Workers),
	)
	procEnv := managerEnv(e, cfg)
	var pprofAddr string
	if cfg.Heap != "" || cfg.Pprof != "" {
		if pprofAddr, err = localcluster.FreeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-bind-address="+pprofAddr)
	}
	if cfg.Heap != "" {
		procEnv = append(procEnv, "GODEBUG=gctrace=1")
	}
	logf("starting the manager (reconciler on, its webhook not registered)")
	start := time.Now()
	logPath := filepath.Join(e.work, "ackguard-reconcile.log")
	p, err := startManager(ctx, bin, args, procEnv, logPath, probeAddr, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	res.ReadySeconds = time.Since(start).Seconds()
	logf("  ready after %.2f s; waiting for convergence", res.ReadySeconds)
	profiled := make(chan error, 1)
	if cfg.Pprof != "" {
		go func() {
			data, err := fetchWithin(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, cfg.PprofSeconds), time.Duration(cfg.PprofSeconds)*time.Second+time.Minute)
			if err == nil {
				err = os.WriteFile(cfg.Pprof, data, 0o644)
			}
			profiled <- err
		}()
	} else {
		profiled <- nil
	}
	select {
	case err := <-conv:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res.ConvergeSeconds = time.Since(start).Seconds()
	res.FirstSeconds, res.HalfSeconds = managerMarks.since(start)
	cpu1, err := e.cpuMark()
	if err != nil {
		return nil, err
	}
	res.ManagerCPU = cpu1.since(cpu0)
	after, err := e.requestCounts(ctx)
	if err != nil {
		return nil, err
	}
	res.ManagerRequests = after.since(before)
	res.Ratio = res.ConvergeSeconds / res.PlainSeconds
	res.RatioAfterReady = (res.ConvergeSeconds - res.ReadySeconds) / res.PlainSeconds
	logf("  converged after %.2f s", res.ConvergeSeconds)
	cpu, err := p.settle(ctx)
	if err != nil {
		return nil, err
	}
	res.CPUSeconds = cpu.Seconds()
	if err := <-profiled; err != nil {
		return nil, fmt.Errorf("CPU profile of the convergence: %w", err)
	}
	if cfg.Pprof != "" {
		logf("  CPU profile of the convergence saved to %s", cfg.Pprof)
	}
	res.RSS = p.rss()
	if res.PeakRSS, err = p.memory("VmHWM"); err != nil {
		return nil, err
	}
	if cfg.Heap != "" {
		if res.Heap, err = saveHeap(ctx, pprofAddr, cfg.Heap, logPath); err != nil {
			return nil, err
		}
		logf("  heap profile saved to %s (text: %s.txt)", cfg.Heap, cfg.Heap)
	}
	if left, err := e.violating(ctx, reconcileNamespace); err != nil || len(left) > 0 {
		return nil, fmt.Errorf("%d Buckets still in violation after convergence (%v)", len(left), err)
	}
	// The plain loop again, the manager stopped and its Buckets gone.
	p.stop()
	if err := e.deleteBuckets(ctx, reconcileNamespace); err != nil {
		return nil, err
	}
	again, err := e.plainLoop(ctx, cfg, plainAgainNamespace, "again", logf)
	if err != nil {
		return nil, err
	}
	res.PlainAfter = &again.plainRun
	res.RatioToMean = res.ConvergeSeconds / ((res.PlainSeconds + again.Seconds) / 2)
	return res, nil
}

// plainResult is a plainRun with how long creating its Buckets took.
type plainResult struct {
	plainRun
	createSeconds float64
}

// plainLoop creates cfg.Reconcile violating Buckets in ns and fixes them
// with the plain loop: the reconciler's merge patch from cfg.Workers
// goroutines, timed from the first patch to the last, while a watch
// tells when none is left in violation (as it does for the manager);
// the Buckets are deleted after.
func (e *env) plainLoop(ctx context.Context, cfg config, ns, prefix string, logf func(string, ...any)) (*plainResult, error) {
	n := cfg.Reconcile
	logf("creating %d violating Buckets in %s", n, ns)
	objs := violatingBuckets(ns, prefix, cfg)
	wall, _, err := e.concurrent(ctx, objs, cfg.Workers)
	if err != nil {
		return nil, err
	}
	res := &plainResult{createSeconds: wall.Seconds()}
	logf("  created in %.1f s; patching them with %d goroutines", wall.Seconds(), cfg.Workers)
	before, err := e.requestCounts(ctx)
	if err != nil {
		return nil, err
	}
	cpu0, err := e.cpuMark()
	if err != nil {
		return nil, err
	}
	// The watch that tells when none is left in violation runs for the
	// plain loop too, so that the API server sends each patch to a watcher
	// in both, not only while the manager works.
	var marks progress
	conv, err := e.watchConvergence(ctx, ns, &marks)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	wall, _, err = forEach(ctx, n, cfg.Workers, func(i int) error {
		return e.plainFix(ctx, objs[i])
	})
	if err != nil {
		return nil, err
	}
	res.Seconds = wall.Seconds()
	select {
	case err := <-conv:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res.WatchSeconds = time.Since(start).Seconds()
	res.FirstSeconds, res.HalfSeconds = marks.since(start)
	cpu1, err := e.cpuMark()
	if err != nil {
		return nil, err
	}
	res.CPU = cpu1.since(cpu0)
	after, err := e.requestCounts(ctx)
	if err != nil {
		return nil, err
	}
	res.Requests = after.since(before)
	logf("  plain loop: %.2f s", res.Seconds)
	if left, err := e.violating(ctx, ns); err != nil || len(left) > 0 {
		return nil, fmt.Errorf("the plain loop left %d Buckets in violation (%v)", len(left), err)
	}
	return res, e.deleteBuckets(ctx, ns)
}

// plainFix issues what the drift reconciler issues for S3-001: a JSON
// merge patch of the four flags and the remediation annotation, guarded
// by the resourceVersion the object was read at.
func (e *env) plainFix(ctx context.Context, obj *unstructured.Unstructured) error {
	now := time.Now().UTC()
	state := controllers.RemediationState{Time: now, Rules: []string{"S3-001"}, Attempts: 1, WindowStart: now,
		Previous: []controllers.PreviousValue{{Path: "spec.publicAccessBlock", Present: true, Value: obj.Object["spec"].(map[string]any)["publicAccessBlock"]}}}
	stateJSON, err := json.Marshal(state)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"spec": map[string]any{"publicAccessBlock": map[string]any{
			"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true,
		}},
		"metadata": map[string]any{
			"resourceVersion": obj.GetResourceVersion(),
			"annotations":     map[string]any{controllers.AnnotationRemediation: string(stateJSON)},
		},
	})
	if err != nil {
		return err
	}
	_, err = e.dynamic.Resource(bucketGVR).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.MergePatchType, body,
		metav1.PatchOptions{FieldManager: controllers.FieldManager})
	return err
}

// violating lists the names of the namespace's Buckets in violation.
func (e *env) violating(ctx context.Context, ns string) ([]string, error) {
	var out []string
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := e.dynamic.Resource(bucketGVR).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			if !compliant(&l.Items[i]) {
				out = append(out, l.Items[i].GetName())
			}
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// watchConvergence lists the namespace's violating Buckets, then watches
// until none is left; the channel yields nil then (or the error that
// stopped it). A watch that ends early is resumed from a fresh list.
func (e *env) watchConvergence(ctx context.Context, ns string, marks *progress) (<-chan error, error) {
	left := map[string]bool{}
	rv, err := e.listViolating(ctx, ns, left)
	if err != nil {
		return nil, err
	}
	if len(left) == 0 {
		return nil, fmt.Errorf("no Bucket in %s is in violation", ns)
	}
	total := len(left)
	done := make(chan error, 1)
	var mu sync.Mutex
	go func() {
		for {
			w, err := e.dynamic.Resource(bucketGVR).Namespace(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
			if err != nil {
				done <- err
				return
			}
			for ev := range w.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue // an error status: resume from a fresh list
				}
				rv = u.GetResourceVersion()
				if ev.Type == watch.Bookmark {
					continue
				}
				mu.Lock()
				if ev.Type == watch.Deleted || compliant(u) {
					delete(left, u.GetName())
				} else {
					left[u.GetName()] = true
				}
				empty := len(left) == 0
				marks.saw(total-len(left), total)
				mu.Unlock()
				if empty {
					w.Stop()
					done <- nil
					return
				}
			}
			if ctx.Err() != nil {
				done <- ctx.Err()
				return
			}
			mu.Lock()
			clear(left)
			rv, err = e.listViolating(ctx, ns, left)
			empty := len(left) == 0
			mu.Unlock()
			if err != nil || empty {
				done <- err
				return
			}
		}
	}()
	return done, nil
}

func (e *env) listViolating(ctx context.Context, ns string, into map[string]bool) (string, error) {
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := e.dynamic.Resource(bucketGVR).Namespace(ns).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			if !compliant(&l.Items[i]) {
				into[l.Items[i].GetName()] = true
			}
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return l.GetResourceVersion(), nil
		}
	}
}

// marks prints the first-fixed and half-fixed seconds ("n/a" for -1).
func marks(first, half float64) string {
	f := func(s float64) string {
		if s < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f s", s)
	}
	return f(first) + "; " + f(half)
}

func printReconcile(w io.Writer, r *reconcileResult) {
	applied := ""
	if r.Applied {
		applied = ", each with kubectl's last-applied annotation"
	}
	fmt.Fprintf(w, "reconcile at scale: %d Buckets with every Block Public Access flag false (S3-001, fixed by a merge patch)%s\n\n", r.N, applied)
	rows := [][2]string{
		{"create one set (" + fmt.Sprint(r.Workers) + " goroutines)", fmt.Sprintf("%.2f s", r.CreateSeconds)},
		{"plain client loop, same merge patches, " + fmt.Sprint(r.Workers) + " goroutines", fmt.Sprintf("%.2f s", r.PlainSeconds)},
		{"plain client loop: first patch → a watch sees none in violation", fmt.Sprintf("%.2f s", r.PlainWatchSeconds)},
		{"plain client loop: first patch → first fixed; half fixed", marks(r.PlainFirstSeconds, r.PlainHalfSeconds)},
		{"ackguard manager (" + fmt.Sprint(r.Workers) + " reconcile workers): start → ready", fmt.Sprintf("%.2f s", r.ReadySeconds)},
		{"ackguard manager: start → first fixed; half fixed", marks(r.FirstSeconds, r.HalfSeconds)},
		{"ackguard manager: start → none in violation", fmt.Sprintf("%.2f s", r.ConvergeSeconds)},
		{"ratio manager / plain loop (from start; from ready)", fmt.Sprintf("%.2f×; %.2f×", r.Ratio, r.RatioAfterReady)},
		{"manager peak RSS (VmHWM) / RSS when idle after", mib(r.PeakRSS) + " / " + mib(r.RSS)},
		{"manager CPU time, start to idle", fmt.Sprintf("%.2f s", r.CPUSeconds)},
	}
	if a := r.PlainAfter; a != nil {
		rows = append(rows,
			[2]string{"plain client loop again, after the manager stopped", fmt.Sprintf("%.2f s", a.Seconds)},
			[2]string{"ratio manager / mean of the two plain loops (from start)", fmt.Sprintf("%.2f×", r.RatioToMean)},
		)
	}
	if r.PlainRequests != nil {
		rows = append(rows,
			[2]string{"API requests answered during the plain loop", r.PlainRequests.String()},
			[2]string{"API requests answered, manager start → none in violation", r.ManagerRequests.String()},
		)
	}
	if r.PlainCPU != nil && r.ManagerCPU != nil {
		rows = append(rows,
			[2]string{"CPU during the plain loop: kube-apiserver, etcd, loop + watch", r.PlainCPU.String()},
			[2]string{"CPU, manager start → none in violation: kube-apiserver, etcd, watch", r.ManagerCPU.String()},
		)
		if a := r.PlainAfter; a != nil && a.CPU != nil {
			rows = append(rows, [2]string{"CPU during the plain loop again: kube-apiserver, etcd, loop + watch", a.CPU.String()})
		}
	}
	if h := r.Heap; h != nil {
		rows = append(rows,
			[2]string{"manager heap when idle: live after a collection / in use / from the OS", mib(h.LiveBytes) + " / " + mib(h.InuseBytes) + " / " + mib(h.SysBytes)},
			[2]string{"manager heap at collections (gctrace): largest / largest live after", fmt.Sprintf("%d MB / %d MB (%d collections)", h.PeakHeapMB, h.PeakLiveMB, h.Collections)},
		)
	}
	width := 0
	for _, row := range rows {
		width = max(width, len([]rune(row[0])))
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s%s  %s\n", row[0], strings.Repeat(" ", width-len([]rune(row[0]))), row[1])
	}
}

// violatingBuckets prebuilds the cfg.Reconcile Buckets of one set, with
// kubectl's last-applied annotation when cfg.Applied.
func violatingBuckets(ns, prefix string, cfg config) []*unstructured.Unstructured {
	objs := buckets(ns, prefix, cfg.Reconcile, false)
	if cfg.Applied {
		withLastApplied(objs)
	}
	return objs
}

// withLastApplied gives each object the annotation `kubectl apply` (and
// the GitOps tools that apply as it does) writes: the object as applied,
// as compact JSON.
func withLastApplied(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		applied, err := json.Marshal(o.Object)
		if err != nil {
			panic(err) // the benchmark's own maps always encode
		}
		o.SetAnnotations(map[string]string{corev1.LastAppliedConfigAnnotation: string(applied)})
	}
}

// progress records when a convergence watch saw the first Bucket fixed and
// when it saw half of those in violation at its start fixed.
type progress struct {
	mu          sync.Mutex
	first, half time.Time
}

// saw records that fixed of total Buckets are out of violation now.
func (p *progress) saw(fixed, total int) {
	if fixed <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.first.IsZero() {
		p.first = now
	}
	if p.half.IsZero() && 2*fixed >= total {
		p.half = now
	}
}

// since returns the seconds from start to the first fix and to half; -1
// for a mark the watch never saw (convergence found by a relist).
func (p *progress) since(start time.Time) (first, half float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	after := func(t time.Time) float64 {
		if t.IsZero() {
			return -1
		}
		return t.Sub(start).Seconds()
	}
	return after(p.first), after(p.half)
}
