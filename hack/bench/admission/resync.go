package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
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
	// long admissions were made, one every ProbeEveryMs: 3.5 periods, for
	// at least two resyncs (an informer's first comes about two periods
	// after it started, the next a period later).
	PeriodSeconds float64 `json:"periodSeconds"`
	WindowSeconds float64 `json:"windowSeconds"`
	ProbeEveryMs  float64 `json:"probeEveryMs"`
	// Busy: admissions begun in a sample in which the manager used at
	// least busyShare of a CPU; Idle: the others.
	Busy latencySummary `json:"busy"`
	Idle latencySummary `json:"idle"`
	// EpisodeSeconds are how long each busy episode lasted (busy samples
	// with gaps of at most episodeGap between them: a resync, and shorter
	// ones such as a Report write or a collection); BusySeconds is how
	// long the manager was busy in the window, ManagerCPUSeconds its CPU
	// time over the window.
	EpisodeSeconds    []float64 `json:"episodeSeconds"`
	BusySeconds       float64   `json:"busySeconds"`
	ManagerCPUSeconds float64   `json:"managerCPUSeconds"`
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

// episodeGap is the longest run of idle samples within one busy episode:
// a resync's judging comes in bursts split by collections, Report writes
// and waits for the API server, all within a second.
const episodeGap = 10

// episodes returns the durations of the busy episodes that have ended:
// runs of busy samples with at most episodeGap idle ones between them,
// followed by more than episodeGap idle ones.
func episodes(spans []cpuSpan) []time.Duration {
	var out []time.Duration
	first, last, idle := -1, -1, 0
	for i, s := range spans {
		switch {
		case s.busy():
			if first < 0 {
				first = i
			}
			last, idle = i, 0
		case first >= 0:
			if idle++; idle > episodeGap {
				out = append(out, spans[last].end.Sub(spans[first].start))
				first, last, idle = -1, -1, 0
			}
		}
	}
	return out
}

// probe is one timed admission.
type probe struct {
	at      time.Time
	latency time.Duration
}

// runResync creates cfg.Resync clean Buckets, starts the manager with a
// short --resync-period and its webhook registered, waits until it has
// judged them all and gone idle, then makes a dry-run create of a clean
// Bucket (admitted by the webhook, never stored, so the resyncs judge the
// N Buckets alone) every -probe-every for 3.5 resync periods while
// sampling the manager's CPU, and splits the admissions' latencies by
// whether the manager was busy when each began.
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
	p, err := startManager(ctx, bin, args, managerEnv(e, cfg), filepath.Join(e.work, "ackguard-resync.log"), probeAddr, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	const hookName = "bench-ackguard"
	if err := registerURLWebhook(ctx, e, hook, hookName); err != nil {
		return nil, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = unregisterWebhook(uctx, e, hookName)
	}()
	if err := e.waitDenied(ctx, probeNamespace, "S3-001", 0, p); err != nil {
		return nil, err
	}
	if err := waitIdle(ctx, p, 2*time.Minute); err != nil {
		return nil, fmt.Errorf("waiting for the manager to judge its Buckets and go idle: %w", err)
	}
	window := cfg.ResyncPeriod * 7 / 2
	logf("  judged its %d Buckets; a dry-run create every %s for %s", cfg.Resync, cfg.ProbeEvery, window)

	sctx, stopSampling := context.WithCancel(ctx)
	s := &sampler{p: p}
	var sampling sync.WaitGroup
	sampling.Go(func() { s.run(sctx) })
	start := time.Now()
	probes, err := e.probeEvery(ctx, cfg.ProbeEvery, window)
	window = time.Since(start)
	stopSampling()
	sampling.Wait()
	if gone, exitErr := p.exited(); gone {
		return nil, exitErr
	}
	if err != nil {
		return nil, err
	}
	spans, err := s.result()
	if err != nil {
		return nil, err
	}
	res := &resyncResult{N: cfg.Resync, PeriodSeconds: cfg.ResyncPeriod.Seconds(), WindowSeconds: window.Seconds(),
		ProbeEveryMs: ms(cfg.ProbeEvery)}
	busy, idle := splitByBusy(probes, spans)
	res.Busy, res.Idle = summarize(busy), summarize(idle)
	for _, d := range episodes(spans) {
		res.EpisodeSeconds = append(res.EpisodeSeconds, d.Seconds())
	}
	for _, sp := range spans {
		res.ManagerCPUSeconds += sp.cpu.Seconds()
		if sp.busy() {
			res.BusySeconds += sp.end.Sub(sp.start).Seconds()
		}
	}
	logf("  %d admissions while the manager was busy (%d episodes, %.1f s of %.0f s), %d while it was not",
		res.Busy.N, len(res.EpisodeSeconds), res.BusySeconds, res.WindowSeconds, res.Idle.N)
	if len(res.EpisodeSeconds) == 0 {
		return nil, fmt.Errorf("the manager was never busy in %s: no resync seen (its log: %s)", window.Round(time.Second), p.log.Name())
	}
	return res, nil
}

// waitIdle waits until the manager uses less than busyShare of a CPU over
// half a second: it has judged what it found at start.
func waitIdle(ctx context.Context, p *proc, timeout time.Duration) error {
	const span = 500 * time.Millisecond
	return poll(ctx, timeout, 0, func() (bool, error) {
		c0, err := p.cpu()
		if err != nil {
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(span):
		}
		c1, err := p.cpu()
		if err != nil {
			return false, err
		}
		return (c1 - c0).Seconds() < busyShare*span.Seconds(), nil
	})
}

// sampler reads the manager's CPU time every cpuSample.
type sampler struct {
	p     *proc
	mu    sync.Mutex
	spans []cpuSpan
	err   error
}

func (s *sampler) run(ctx context.Context) {
	prev, err := s.p.cpu()
	at := time.Now()
	t := time.NewTicker(cpuSample)
	defer t.Stop()
	for err == nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var cur time.Duration
		if cur, err = s.p.cpu(); err == nil {
			now := time.Now() // when it was read, not when the tick was due
			s.mu.Lock()
			s.spans = append(s.spans, cpuSpan{start: at, end: now, cpu: cur - prev})
			s.mu.Unlock()
			prev, at = cur, now
		}
	}
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *sampler) result() ([]cpuSpan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spans, s.err
}

// probeEvery makes a dry-run create of a clean Bucket in probeNamespace
// every interval until window has passed, and returns each create's start
// and latency. A create that takes longer than interval
// delays the next one (they are never sent back to back to catch up), and
// each is timed from when it was sent.
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
		obj := bucketSpec(probeNamespace, fmt.Sprintf("probe-%06d", i), true)
		start := time.Now()
		if err := e.client.Create(ctx, obj, client.DryRunAll); err != nil {
			return nil, fmt.Errorf("admission %d: %w", i, err)
		}
		out = append(out, probe{at: start, latency: time.Since(start)})
		if next = next.Add(interval); next.Before(time.Now()) {
			next = time.Now()
		}
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
	fmt.Fprintf(w, "admission while the manager judges %d Buckets again (--resync-period=%gs): a dry-run create of a clean Bucket every %g ms for %.0f s\n\n",
		r.N, r.PeriodSeconds, r.ProbeEveryMs, r.WindowSeconds)
	fmt.Fprintf(w, "%-42s %6s %9s %9s %9s\n", "ADMISSIONS", "N", "P50", "P99", "MAX")
	for _, row := range []struct {
		name string
		s    latencySummary
	}{{fmt.Sprintf("while the manager used ≥ %.0f%% of a CPU", busyShare*100), r.Busy}, {"the others", r.Idle}} {
		fmt.Fprintf(w, "%-42s %6d %6.2f ms %6.2f ms %6.2f ms\n", row.name, row.s.N, row.s.P50Ms, row.s.P99Ms, row.s.MaxMs)
	}
	eps := make([]string, len(r.EpisodeSeconds))
	for i, d := range r.EpisodeSeconds {
		eps[i] = fmt.Sprintf("%.1f s", d)
	}
	fmt.Fprintf(w, "\nthe manager: busy %.1f s of the window in %d episodes (%s), %.2f s of CPU over it\n",
		r.BusySeconds, len(r.EpisodeSeconds), strings.Join(eps, ", "), r.ManagerCPUSeconds)
}
