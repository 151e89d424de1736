package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/reports"
)

func TestParseStatCPU(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
	line := "4242 (ackguard (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("parseStatCPU = %s, want %s (300 ticks)", got, want)
	}
	for _, bad := range []string{"", "4242 ackguard S 1", "1 (a) S 1 2 3"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted a malformed line", bad)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tackguard\nVmHWM:\t   61440 kB\nVmRSS:\t   51200 kB\n"
	for key, want := range map[string]int64{"VmRSS": 50 << 20, "VmHWM": 60 << 20} {
		got, err := parseStatusKB(status, key)
		if err != nil || got != want {
			t.Errorf("parseStatusKB(%s) = %d, %v; want %d", key, got, err, want)
		}
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("a missing key was not an error")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("percentile(%v) = %s, want %s", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestCompliant(t *testing.T) {
	if !compliant(bucketSpec("ns", "b", true)) {
		t.Error("the secure Bucket is not compliant")
	}
	if compliant(bucketSpec("ns", "b", false)) {
		t.Error("the insecure Bucket is compliant")
	}
}

func TestParsePhases(t *testing.T) {
	all, err := parsePhases("all")
	if err != nil || len(all) != len(phaseGroups) {
		t.Fatalf("parsePhases(all) = %v, %v; want every group", all, err)
	}
	got, err := parsePhases("kyverno, none")
	if err != nil || len(got) != 2 || !got["kyverno"] || !got["none"] {
		t.Errorf("parsePhases(kyverno, none) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "kyverno,", "gatekeeper", "Kyverno"} {
		if _, err := parsePhases(bad); err == nil {
			t.Errorf("parsePhases(%q) accepted an unknown group", bad)
		}
	}
}

func TestRunRefusesKyvernoWithoutBinary(t *testing.T) {
	t.Setenv("KYVERNO_BIN", "")
	var out, errOut strings.Builder
	if code := run([]string{"-phases", "kyverno"}, &out, &errOut); code != 2 {
		t.Fatalf("run(-phases kyverno) without KYVERNO_BIN = %d, want 2 (stderr %q)", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "KYVERNO_BIN") {
		t.Errorf("the error does not name KYVERNO_BIN: %q", errOut.String())
	}
}

func TestParseGCTrace(t *testing.T) {
	log := `{"level":"info","msg":"starting"}
gc 1 @0.010s 3%: 0.014+1.2+0.003 ms clock, 0.028+0.3/0.9/0.1+0.006 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 2 @1.500s 4%: 0.02+3+0.01 ms clock, 0.04+1/2/0+0.02 ms cpu, 120->130->70 MB, 125 MB goal, 1 MB stacks, 1 MB globals, 2 P
gc 3 @9.000s 4%: 0.02+3+0.01 ms clock, 0.04+1/2/0+0.02 ms cpu, 140->141->90 MB, 140 MB goal, 1 MB stacks, 1 MB globals, 2 P (forced)
`
	n, peak, live, err := parseGCTrace(strings.NewReader(log))
	if err != nil || n != 3 || peak != 141 || live != 90 {
		t.Errorf("parseGCTrace = %d, %d, %d, %v; want 3, 141, 90", n, peak, live, err)
	}
}

func TestParseMemStats(t *testing.T) {
	text := "heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# Alloc = 1024\n# HeapAlloc = 1024\n# HeapInuse = 2048\n# Sys = 4096\n# PauseNs = [1 2 3]\n"
	got := parseMemStats(text)
	if got["HeapAlloc"] != 1024 || got["HeapInuse"] != 2048 || got["Sys"] != 4096 {
		t.Errorf("parseMemStats = %v", got)
	}
	if _, ok := got["PauseNs"]; ok {
		t.Error("a list was read as a number")
	}
}

// The no-op webhook answers every review with its uid, admits it, and
// denies only the probe Bucket.
func TestNoopReview(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed bool
	}{{"clean", true}, {probeName, false}} {
		body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","name":"` + tc.name +
			`","operation":"CREATE","object":{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"` + tc.name + `"},"spec":{"name":"b"}}}}`
		rec := httptest.NewRecorder()
		noopReview(rec, httptest.NewRequest(http.MethodPost, "/validate", strings.NewReader(body)))
		var got struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Response   struct {
				UID     string `json:"uid"`
				Allowed bool   `json:"allowed"`
				Status  struct {
					Message string `json:"message"`
				} `json:"status"`
			} `json:"response"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %q: %v", tc.name, rec.Code, rec.Body.String(), err)
		}
		// The API server refuses a response that is not an AdmissionReview
		// of the version it sent.
		if got.APIVersion != "admission.k8s.io/v1" || got.Kind != "AdmissionReview" {
			t.Errorf("%s: answered a %s %s, want an admission.k8s.io/v1 AdmissionReview", tc.name, got.APIVersion, got.Kind)
		}
		if got.Response.UID != "u-1" || got.Response.Allowed != tc.allowed || (!tc.allowed && got.Response.Status.Message != noopDenial) {
			t.Errorf("%s: answered %+v", tc.name, got.Response)
		}
	}
	rec := httptest.NewRecorder()
	noopReview(rec, httptest.NewRequest(http.MethodPost, "/validate", strings.NewReader("{")))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a truncated review: %d, want 400", rec.Code)
	}
}

// The API server's request counters are summed by verb and resource, and
// a later reading less an earlier one keeps what grew.
func TestRequestCounts(t *testing.T) {
	text := func(patches, events int) []byte {
		return fmt.Appendf(nil, `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="s3.services.k8s.aws",resource="buckets",scope="resource",subresource="",verb="PATCH",version="v1alpha1"} %d
apiserver_request_total{code="409",component="apiserver",dry_run="",group="s3.services.k8s.aws",resource="buckets",scope="resource",subresource="",verb="PATCH",version="v1alpha1"} 2
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} %d
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="buckets",scope="resource",subresource="status",verb="PUT",version="v1"} 4
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="s3.services.k8s.aws",resource="buckets",scope="namespace",subresource="",verb="WATCH",version="v1alpha1"} 3
# HELP other_total Something else
# TYPE other_total counter
other_total 5
`, patches, events)
	}
	before, err := parseRequestCounts(text(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := apiRequests{"PATCH buckets": 10, "PATCH buckets 409": 2, "PUT buckets/status": 4, "POST events": 0, "GET (no resource: discovery, health, metrics)": 9}
	if !reflect.DeepEqual(before, want) {
		t.Errorf("read %v, want %v", before, want)
	}
	after, err := parseRequestCounts(text(110, 7))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after.since(before).String(), "PATCH buckets 100, POST events 7"; got != want {
		t.Errorf("since: %q, want %q", got, want)
	}
	if _, err := parseRequestCounts([]byte("other_total 5\n")); err == nil {
		t.Error("metrics without apiserver_request_total read without an error")
	}
	if _, err := parseRequestCounts([]byte("apiserver_request_total{verb=\n")); err == nil {
		t.Error("a broken metrics text read without an error")
	}
}

func TestStopTwice(t *testing.T) {
	p, err := startProc("sleep", "sleep", []string{"30"}, nil, filepath.Join(t.TempDir(), "sleep.log"))
	if err != nil {
		t.Skip(err)
	}
	stopped := make(chan struct{})
	go func() {
		p.stop()
		p.stop() // as a deferred stop does after an explicit one
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatal("stop called a second time does not return")
	}
	if gone, _ := p.exited(); !gone {
		t.Fatal("stopped, yet not exited")
	}
}

func TestRunRefusesCostsFlagsThatDoNotApply(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-costs", "10", "-reconcile", "10"}, "separate runs"},
		{[]string{"-costs", "-1"}, "not negative"},
		{[]string{"-costs", "10", "-report-writes", "0"}, "-report-writes"},
		{[]string{"-costs", "10", "-pprof", "cpu.pb"}, "runs no manager"},
		{[]string{"-costs", "10", "-ackguard", "bin/ackguard"}, "runs no manager"},
		{[]string{"-costs", "10", "-cpu-request", "50"}, "runs no manager"},
		{[]string{"-cpu-request", "-1"}, "not negative"},
		{[]string{"-report-writes", "3"}, "Report writes of -costs"},
	} {
		var out, errOut strings.Builder
		if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
	}
}

// TestDefaultCPURequestIsTheCharts: the manager is benchmarked with the
// CPU request the chart's default values and config/manager give it.
func TestDefaultCPURequestIsTheCharts(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	var values struct {
		Resources struct {
			Requests struct {
				CPU string `json:"cpu"`
			} `json:"requests"`
		} `json:"resources"`
	}
	readYAML(t, filepath.Join(root, "charts", "ackguard", "values.yaml"), "", &values)
	var deployment struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Name      string `json:"name"`
						Resources struct {
							Requests struct {
								CPU string `json:"cpu"`
							} `json:"requests"`
						} `json:"resources"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	readYAML(t, filepath.Join(root, "config", "manager", "manager.yaml"), "Deployment", &deployment)
	requests := map[string]string{"the chart's values.yaml": values.Resources.Requests.CPU}
	for _, c := range deployment.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			requests["config/manager"] = c.Resources.Requests.CPU
		}
	}
	if len(requests) != 2 {
		t.Fatalf("config/manager has no container named manager")
	}
	for where, cpu := range requests {
		q, err := resource.ParseQuantity(cpu)
		if err != nil {
			t.Fatalf("%s: requests.cpu %q: %v", where, cpu, err)
		}
		if q.MilliValue() != defaultCPURequest {
			t.Errorf("%s requests %s, the benchmark hands the manager %dm", where, q.String(), defaultCPURequest)
		}
	}
}

// readYAML decodes the document of a YAML file whose kind is kind (any
// document for kind "": the first).
func readYAML(t *testing.T, path, kind string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---") {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if kind == "" || head.Kind == kind {
			if err := yaml.Unmarshal([]byte(doc), into); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return
		}
	}
	t.Fatalf("%s has no %s", path, kind)
}

func TestManagerEnv(t *testing.T) {
	e := &env{kubeconfig: "/tmp/kubeconfig"}
	for req, want := range map[int][]string{
		50: {"KUBECONFIG=/tmp/kubeconfig", manager.CPURequestEnv + "=50"},
		// 0 is handed down too, so that none in the benchmark's own
		// environment reaches the manager.
		0: {"KUBECONFIG=/tmp/kubeconfig", manager.CPURequestEnv + "=0"},
	} {
		if got := managerEnv(e, config{CPURequest: req}); !reflect.DeepEqual(got, want) {
			t.Errorf("managerEnv with -cpu-request %d = %q, want %q", req, got, want)
		}
	}
}

func TestSpanCPUScaled(t *testing.T) {
	got := (&spanCPU{APIServer: 2, Etcd: 1, Bench: 4}).scaled(0.5)
	if *got != (spanCPU{APIServer: 1, Etcd: 0.5, Bench: 2}) {
		t.Errorf("scaled(0.5) = %+v", *got)
	}
}

func TestWatcherMeans(t *testing.T) {
	set := func(watcher bool, apiSeconds float64) patchSet {
		return patchSet{Watcher: watcher, CPU: &spanCPU{APIServer: apiSeconds}}
	}
	// 100 patches a set: 0.4 s is 4 ms a patch.
	sets := []patchSet{set(false, 0.4), set(true, 0.5), set(true, 0.7), set(false, 0.6)}
	with, without := watcherMeans(sets, 100)
	if math.Abs(with-6) > 1e-9 || math.Abs(without-5) > 1e-9 {
		t.Errorf("watcherMeans = %v, %v; want 6, 5", with, without)
	}
	if with, without := watcherMeans(nil, 100); with != 0 || without != 0 {
		t.Errorf("watcherMeans(nil) = %v, %v; want 0, 0", with, without)
	}
}

// TestJudgedReport: the Report -costs writes is the store's, bounded and
// for the namespace asked, with the result timestamps runCosts rewrites.
func TestJudgedReport(t *testing.T) {
	rep, err := judgedReport(context.Background(), "team", 600)
	if err != nil {
		t.Fatal(err)
	}
	results, _ := rep.Object["results"].([]any)
	if rep.GetNamespace() != "team" || len(results) != reports.DefaultMaxResults {
		t.Fatalf("report %s/%s with %d results, want %d in team", rep.GetNamespace(), rep.GetName(), len(results), reports.DefaultMaxResults)
	}
	var fail int
	for _, r := range results {
		r := r.(map[string]any)
		if r["result"] == "fail" {
			fail++
		}
		ts, ok := r["timestamp"].(map[string]any)
		if _, seconds := ts["seconds"]; !ok || !seconds {
			t.Fatalf("a result's timestamp is %#v, not {seconds, nanos}: runCosts would change nothing", r["timestamp"])
		}
	}
	if fail == 0 {
		t.Errorf("no failing result among %d: the violating half was not judged", len(results))
	}
}

func TestRunRefusesResyncFlagsThatDoNotApply(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-resync", "10", "-reconcile", "10"}, "separate runs"},
		{[]string{"-resync", "10", "-costs", "10"}, "separate runs"},
		{[]string{"-resync", "-1"}, "not be negative"},
		{[]string{"-resync-period", "5s"}, "shape the run of -resync"},
		{[]string{"-probe-every", "5ms"}, "shape the run of -resync"},
		{[]string{"-resync", "10", "-resync-period", "500ms"}, "at least 1s"},
		{[]string{"-resync", "10", "-probe-every", "0s"}, "positive"},
		{[]string{"-resync", "10", "-pprof", "cpu.pb"}, "do not apply to -resync"},
		{[]string{"-resync", "10", "-applied"}, "do not apply to -resync"},
	} {
		var out, errOut strings.Builder
		if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
	}
}

// TestSplitByBusy: an admission counts as made while the manager was busy
// when it began in a sample in which the manager used at least half a CPU;
// one begun outside every sample counts as idle.
func TestSplitByBusy(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	spans := []cpuSpan{
		{start: at(0), end: at(100), cpu: 60 * time.Millisecond},   // busy
		{start: at(100), end: at(200), cpu: 10 * time.Millisecond}, // idle
		{start: at(200), end: at(300), cpu: 50 * time.Millisecond}, // busy: half a CPU
		{start: at(300), end: at(400), cpu: 49 * time.Millisecond}, // idle
	}
	probes := []probe{
		{at: at(50), latency: 1 * time.Millisecond},
		{at: at(150), latency: 2 * time.Millisecond},
		{at: at(200), latency: 3 * time.Millisecond},
		{at: at(250), latency: 4 * time.Millisecond},
		{at: at(350), latency: 5 * time.Millisecond},
		{at: at(-10), latency: 6 * time.Millisecond},
		{at: at(500), latency: 7 * time.Millisecond},
	}
	busy, idle := splitByBusy(probes, spans)
	// The probe at 200 ms is on the boundary: it began when the idle
	// sample ended, and counts with it.
	if want := durations(1, 4); !reflect.DeepEqual(busy, want) {
		t.Errorf("busy %v, want %v", busy, want)
	}
	if want := durations(2, 3, 5, 6, 7); !reflect.DeepEqual(idle, want) {
		t.Errorf("idle %v, want %v", idle, want)
	}
	if s := summarize(durations(1, 2, 3, 10)); s != (latencySummary{N: 4, P50Ms: 2, P99Ms: 10, MaxMs: 10}) {
		t.Errorf("summarize = %+v", s)
	}
	if s := summarize(nil); s != (latencySummary{}) {
		t.Errorf("summarize(nil) = %+v", s)
	}
}

// TestEpisodes: busy samples with at most episodeGap idle ones between
// them are one episode, which has ended once more idle ones follow.
func TestEpisodes(t *testing.T) {
	gap, ended := strings.Repeat(".", episodeGap), strings.Repeat(".", episodeGap+1)
	pattern := "BB" + gap + "B" + ended + "BBB" + ended
	t0 := time.Unix(1000, 0)
	var spans []cpuSpan
	for i, b := range pattern {
		cpu := 10 * time.Millisecond
		if b == 'B' {
			cpu = 80 * time.Millisecond
		}
		spans = append(spans, cpuSpan{start: t0.Add(time.Duration(i) * cpuSample), end: t0.Add(time.Duration(i+1) * cpuSample), cpu: cpu})
	}
	first := time.Duration(2+episodeGap+1) * cpuSample
	if got, want := episodes(spans), []time.Duration{first, 3 * cpuSample}; !reflect.DeepEqual(got, want) {
		t.Errorf("episodes of %s = %v, want %v", pattern, got, want)
	}
	if got := episodes(spans[:len(spans)-1]); len(got) != 1 {
		t.Errorf("an episode not yet followed by %d idle samples counts: %v", episodeGap+1, got)
	}
}

// durations returns the milliseconds as durations.
func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, n := range ms {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestParseStatusCount(t *testing.T) {
	status := "Name:\tackguard\nvoluntary_ctxt_switches:\t1234\nnonvoluntary_ctxt_switches:\t56\n"
	for key, want := range map[string]int64{"voluntary_ctxt_switches": 1234, "nonvoluntary_ctxt_switches": 56} {
		if got, err := parseStatusCount(status, key); err != nil || got != want {
			t.Errorf("parseStatusCount(%s) = %d, %v; want %d", key, got, err, want)
		}
	}
	for _, bad := range []string{"Name:\tx\n", "voluntary_ctxt_switches:\tmany\n"} {
		if _, err := parseStatusCount(bad, "voluntary_ctxt_switches"); err == nil {
			t.Errorf("parseStatusCount(%q) accepted it", bad)
		}
	}
	// This process's own threads: every thread read, some switches.
	before, err := pidThreads(os.Getpid())
	if err != nil || len(before) == 0 {
		t.Fatalf("pidThreads(self) = %v, %v", before, err)
	}
	for range 50 {
		time.Sleep(time.Millisecond) // a few wake-ups
	}
	after, err := pidThreads(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	span := spanOf(before, after)
	if span.voluntary <= 0 || span.sleepiest.voluntary <= 0 || span.sleepiest.voluntary > span.voluntary {
		t.Errorf("span %+v over 50 sleeps", span)
	}
	// A thread that started between the readings counts from zero.
	delete(before, slices.Collect(maps.Keys(after))[0])
	if s := spanOf(before, after); s.voluntary < span.voluntary {
		t.Errorf("a thread new in the second reading lowered the total: %+v < %+v", s, span)
	}
}
