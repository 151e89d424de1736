package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

const (
	resyncNamespace = "bench-resync"
	probeNamespace  = "bench-probe"
	// busyShare is the share of a CPU the manager must have used in a
	// sample for the admissions begun in it to count as made while it was
	// busy: a resync judges every object at once, the probe's own
	// admissions cost it a few percent of a CPU.
	busyShare = 0.5
	// cpuSample is how often the manager's CPU time is read.
	cpuSample = 100 * time.Millisecond
)

// resyncResult is what -resync measured: the latency of admissions while
// the manager judges every guarded object again (its resync), against
// those made while it was otherwise idle.
type resyncResult struct {
	N int `json:"n"`
	// PeriodSeconds is the manager's --resync-period; WindowSeconds how
	// long admissions were made, one every ProbeEveryMs.
	PeriodSeconds float64 `json:"periodSeconds"`
	WindowSeconds float64 `json:"windowSeconds"`
	ProbeEveryMs  float64 `json:"probeEveryMs"`
	// Busy: admissions begun in a sample in which the manager used at
	// least busyShare of a CPU; Idle: the others.
	Busy latencySummary `json:"busy"`
	Idle latencySummary `json:"idle"`
	// BusySeconds is how long the manager was busy in the window, and
	// ManagerCPUSeconds its CPU time over the window.
	BusySeconds       float64 `json:"busySeconds"`
	ManagerCPUSeconds float64 `json:"managerCPUSeconds"`
}

type latencySummary struct {
	N     int     `json:"n"`
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
}

func summarize(d []time.Duration) latencySummary {
	if len(d) == 0 {
		return latencySummary{}
	}
	return latencySummary{N: len(d), P50Ms: ms(percentile(d, 50)), P99Ms: ms(percentile(d, 99)), MaxMs: ms(slices.Max(d))}
}

// cpuSpan is the manager's CPU time over one sample.
type cpuSpan struct {
	start, end time.Time
	cpu        time.Duration
}

func (s cpuSpan) busy() bool {
	return s.cpu.Seconds() >= busyShare*s.end.Sub(s.start).Seconds()
}

// probe is one timed admission.
type probe struct {
	at      time.Time
	latency time.Duration
}

// runResync creates cfg.Resync clean Buckets, starts the manager with a
// short --resync-period and its webhook registered, waits until it has
// judged them all and gone idle, then creates a clean Bucket every
// -probe-every for two and a half resync periods while sampling the
// manager's CPU, and splits the admissions' latencies by whether the
// manager was busy when each began.
func runResync(ctx context.Context, e *env, cfg config, bin string, logf func(string, ...any)) (*resyncResult, error) {
	for _, ns := range []string{resyncNamespace, probeNamespace} {
		if err := e.namespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	logf("creating %d clean Buckets in %s", cfg.Resync, resyncNamespace)
	if _, _, err := e.concurrent(ctx, buckets(resyncNamespace, "guarded", cfg.Resync, true), cfg.Workers); err != nil {
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
	args = append(args, "--resync-period="+cfg.ResyncPeriod.String())
	logf("starting the manager (--resync-period=%s)", cfg.ResyncPeriod)
	p, err := startProc("ackguard", bin, args, managerEnv(e, cfg), filepath.Join(e.work, "ackguard-resync.log"))
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if err := p.waitHTTP(ctx, "http://"+probeAddr+"/readyz", 5*time.Minute); err != nil {
		return nil, err
	}
	const hookName = "bench-ackguard"
	if err := registerURLWebhook(ctx, e, hook, hookName); err != nil {
		return nil, err
	}
	defer func() { _ = unregisterWebhook(context.Background(), e, hookName) }()
	if err := e.waitDenied(ctx, probeNamespace, "S3-001", 0, p); err != nil {
		return nil, err
	}
	if _, err := p.settle(ctx); err != nil {
		return nil, err
	}
	window := cfg.ResyncPeriod*5/2 + time.Second
	logf("  judged its %d Buckets; one admission every %s for %s", cfg.Resync, cfg.ProbeEvery, window.Round(time.Second))

	sctx, stopSampling := context.WithCancel(ctx)
	var (
		spans    []cpuSpan
		sampling sync.WaitGroup
		sampErr  error
	)
	sampling.Go(func() { spans, sampErr = sampleCPU(sctx, p) })
	probes, err := e.probeEvery(ctx, cfg.ProbeEvery, window)
	stopSampling()
	sampling.Wait()
	if err != nil {
		return nil, err
	}
	if sampErr != nil {
		return nil, sampErr
	}
	res := &resyncResult{N: cfg.Resync, PeriodSeconds: cfg.ResyncPeriod.Seconds(), WindowSeconds: window.Seconds(),
		ProbeEveryMs: ms(cfg.ProbeEvery)}
	busy, idle := splitByBusy(probes, spans)
	res.Busy, res.Idle = summarize(busy), summarize(idle)
	for _, s := range spans {
		res.ManagerCPUSeconds += s.cpu.Seconds()
		if s.busy() {
			res.BusySeconds += s.end.Sub(s.start).Seconds()
		}
	}
	logf("  %d admissions while the manager was busy (%.1f s of the window), %d while it was not", res.Busy.N, res.BusySeconds, res.Idle.N)
	if res.Busy.N == 0 {
		return nil, fmt.Errorf("the manager was never busy in the %s window: no resync seen (its log: %s)", window, p.log.Name())
	}
	return res, nil
}

// sampleCPU reads the manager's CPU time every cpuSample until ctx ends.
func sampleCPU(ctx context.Context, p *proc) ([]cpuSpan, error) {
	var out []cpuSpan
	prev, err := p.cpu()
	if err != nil {
		return nil, err
	}
	at := time.Now()
	t := time.NewTicker(cpuSample)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out, nil
		case now := <-t.C:
			cur, err := p.cpu()
			if err != nil {
				return nil, err
			}
			out = append(out, cpuSpan{start: at, end: now, cpu: cur - prev})
			prev, at = cur, now
		}
	}
}

// probeEvery creates a clean Bucket in probeNamespace every interval (or
// as soon as the last returned, when it took longer) until window has
// passed, and returns each create's start and latency.
func (e *env) probeEvery(ctx context.Context, interval, window time.Duration) ([]probe, error) {
	var out []probe
	end := time.Now().Add(window)
	next := time.Now()
	for i := 0; time.Now().Before(end); i++ {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		obj := bucketSpec(probeNamespace, fmt.Sprintf("probe-%06d", i), true)
		start := time.Now()
		if err := e.client.Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("admission %d: %w", i, err)
		}
		out = append(out, probe{at: start, latency: time.Since(start)})
	}
	return out, nil
}

// splitByBusy sorts the probes' latencies by whether the sample their
// start fell in was busy; probes outside every sample count as idle.
func splitByBusy(probes []probe, spans []cpuSpan) (busy, idle []time.Duration) {
	for _, pr := range probes {
		i := sort.Search(len(spans), func(i int) bool { return !spans[i].end.Before(pr.at) })
		if i < len(spans) && !pr.at.Before(spans[i].start) && spans[i].busy() {
			busy = append(busy, pr.latency)
		} else {
			idle = append(idle, pr.latency)
		}
	}
	return busy, idle
}

func printResync(w io.Writer, r *resyncResult) {
	fmt.Fprintf(w, "admission while the manager judges %d Buckets again (--resync-period=%gs): a clean Bucket every %g ms for %.0f s\n\n",
		r.N, r.PeriodSeconds, r.ProbeEveryMs, r.WindowSeconds)
	fmt.Fprintf(w, "%-42s %6s %9s %9s %9s\n", "ADMISSIONS", "N", "P50", "P99", "MAX")
	for _, row := range []struct {
		name string
		s    latencySummary
	}{{fmt.Sprintf("while the manager used ≥ %.0f%% of a CPU", busyShare*100), r.Busy}, {"the others", r.Idle}} {
		fmt.Fprintf(w, "%-42s %6d %6.2f ms %6.2f ms %6.2f ms\n", row.name, row.s.N, row.s.P50Ms, row.s.P99Ms, row.s.MaxMs)
	}
	fmt.Fprintf(w, "\nthe manager: busy %.1f s of the window, %.2f s of CPU over it\n", r.BusySeconds, r.ManagerCPUSeconds)
}
