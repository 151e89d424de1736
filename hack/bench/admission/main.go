// Command admission measures, through a real API server (envtest's
// kube-apiserver and etcd, no containers), what admitting an ACK Bucket
// costs under each admission engine, and how fast ackguard's drift
// reconciler brings many violating Buckets back.
//
//	go run ./hack/bench/admission [-n 300] [-json] [-pprof FILE]   # make bench-admission
//	go run ./hack/bench/admission -reconcile 10000 [-heap FILE]     # make bench-reconcile
//	go run ./hack/bench/admission -costs 2600                       # make bench-costs
//	go run ./hack/bench/admission -resync 10000                     # make bench-resync
//	KYVERNO_BIN=kyverno go run ./hack/bench/admission -phases kyverno -work-dir DIR -v
//
// Admission phases, in one run against one control plane: none; a
// ValidatingAdmissionPolicy checking the four Block Public Access flags in
// CEL; a no-op webhook (this program as its own process: it reads the
// review and admits, the floor any webhook pays); the ackguard manager as a separate process (all defaults, then
// --enable-reconciler=false) behind a ValidatingWebhookConfiguration by
// URL; and, when KYVERNO_BIN names a Kyverno binary, Kyverno's admission
// controller with a ClusterPolicy and a ValidatingPolicy. -phases picks
// some of the groups none, vap, noop, ackguard and kyverno (default all). Each
// phase first proves its policy denies an insecure Bucket, then times N
// sequential creates of a clean Bucket and N creates from 8 goroutines,
// after 20 uncounted warm-up creates. For a process it reads RSS and CPU
// time from /proc. docs/performance.md explains the figures.
//
// The manager, and the no-op webhook likewise, runs with the CPU request
// the chart's and config/manager's default resources hand it (-cpu-request
// 50, as ACKGUARD_CPU_REQUEST: Go code on one CPU); -cpu-request 0 hands
// none and leaves the Go runtime's default GOMAXPROCS (every CPU of the
// machine).
//
// Kyverno runs as a local process, out of a cluster: --serverIP and
// --webhookServerPort on a free 127.0.0.1 port (its webhooks by URL),
// --caSecretName and --tlsSecretName (required; the secret names of its
// Helm chart, in which it creates its own CA and serving pair), its two
// metrics servers on free local ports, and
// --generateValidatingAdmissionPolicy=false; its CRDs from the module cache
// (v1.19.1) or KYVERNO_CRDS_DIR; namespace kyverno with the config maps
// kyverno and kyverno-metrics. The policy is created once Kyverno's leader
// has registered the webhook that validates policies; a phase fails at once
// when the process exits. Its log is kept in -work-dir.
//
// With -heap FILE, the reconcile run starts the manager with its pprof
// endpoint on loopback and GODEBUG=gctrace=1, saves its heap profile (after
// a collection) once it converged and went idle, and reports its live heap
// then, its largest heap at a collection and its largest live heap after
// one: peak RSS is about the largest heap plus the runtime and binary, so
// these tell live data from garbage awaiting collection.
//
// With -costs N, it measures instead what the manager's writes beside
// its patches cost kube-apiserver and etcd (N Events recorded in a burst;
// the Report the manager's store builds for N judged Buckets, written
// -report-writes times), and what a second watcher of every Bucket adds to
// a patch: the manager's informer beside the watch of the reconcile run,
// in sets of N/4 patches with and without it, in a balanced order. The
// control plane's idle CPU, measured first, is taken off each figure.
//
// With -resync N, it creates N clean Buckets, starts the manager with a
// short --resync-period (-resync-period) and its webhook registered, and
// once it has judged them and gone idle makes a dry-run create of a clean
// Bucket every -probe-every (admitted by the webhook, never stored) for
// 3.5 periods (at least two resyncs) while reading the manager's CPU time
// every 100 ms: admissions begun while the manager used at least half a
// CPU are reported apart from the others.
// With -cpu-request 50 and 0 it shows what one P costs an admission while
// the reconcilers are busy.
//
// It is a benchmark, not a test: it asserts nothing about durations, and
// `go test ./...` does not run it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ackguard/ackguard/internal/manager"
)

// config is what the flags set.
type config struct {
	N            int
	Warmup       int
	Workers      int
	JSON         bool
	Pprof        string
	PprofSeconds int
	Heap         string
	Reconcile    int
	Resync       int
	ResyncPeriod time.Duration
	ProbeEvery   time.Duration
	Costs        int
	ReportWrites int
	Applied      bool
	Ackguard     string
	// CPURequest is the manager's CPU request in millicores
	// (ACKGUARD_CPU_REQUEST), as a deployment hands it down; 0 gives none.
	CPURequest  int
	WorkDir     string
	EtcdParent  string
	Timeout     time.Duration
	KyvernoBin  string
	KyvernoCRDs string
	Verbose     bool
	// Phases is the set of admission phase groups to run (-phases).
	Phases map[string]bool
}

// phaseGroups are the values of -phases, in the order the phases run.
var phaseGroups = []string{"none", "vap", "noop", "ackguard", "kyverno"}

// parsePhases reads -phases: "all" or a comma-separated list of groups.
func parsePhases(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		switch {
		case g == "all":
			for _, k := range phaseGroups {
				out[k] = true
			}
		case slices.Contains(phaseGroups, g):
			out[g] = true
		default:
			return nil, fmt.Errorf("-phases: unknown phase group %q (want all or a list of %s)", g, strings.Join(phaseGroups, ", "))
		}
	}
	return out, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == noopCommand {
		os.Exit(serveNoop(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := config{}
	fs := flag.NewFlagSet("admission", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.N, "n", 300, "creates timed per phase, sequentially and again from -workers goroutines")
	fs.IntVar(&cfg.Warmup, "warmup", 20, "uncounted creates before the timed ones")
	fs.IntVar(&cfg.Workers, "workers", 8, "goroutines of the concurrent phase (and of the plain patch loop)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&cfg.Pprof, "pprof", "", "save a CPU profile of the ackguard manager under concurrent creates to this file, and what it allocated meanwhile to FILE with .allocs before the extension (reconciler-off phase: -noreconciler before the extension); with -reconcile, of its first -pprof-seconds of convergence after it is ready")
	fs.IntVar(&cfg.PprofSeconds, "pprof-seconds", 20, "length of the -pprof profile (creates keep coming that long)")
	fs.StringVar(&cfg.Heap, "heap", "", "with -reconcile: save the manager's heap profile once it converged and went idle to this file (its text form, with the runtime's memory statistics, to FILE.txt), and run it with GODEBUG=gctrace=1 to report its peak heap")
	fs.IntVar(&cfg.Reconcile, "reconcile", 0, "instead of the admission phases, converge this many violating Buckets (plain patch loop vs. the manager)")
	fs.IntVar(&cfg.Resync, "resync", 0, "instead of the admission phases, time admissions (a dry-run create of a clean Bucket every -probe-every) while the manager judges this many clean Buckets again on its resyncs, against those made while it is idle")
	fs.DurationVar(&cfg.ResyncPeriod, "resync-period", 10*time.Second, "with -resync: the manager's --resync-period")
	fs.DurationVar(&cfg.ProbeEvery, "probe-every", 10*time.Millisecond, "with -resync: how often a Bucket is created (dry run)")
	fs.IntVar(&cfg.Costs, "costs", 0, "instead of the admission phases, measure what the manager's other writes cost the control plane: this many Events, the Report of this many judged Buckets written -report-writes times, and 8 sets of a quarter as many Bucket patches with and without one more watcher of every Bucket")
	fs.IntVar(&cfg.ReportWrites, "report-writes", 5, "with -costs: how many times the Report is written")
	fs.BoolVar(&cfg.Applied, "applied", false, "with -reconcile: give each Bucket the last-applied-configuration annotation `kubectl apply` writes (a JSON copy of the object as applied)")
	fs.StringVar(&cfg.Ackguard, "ackguard", "", "ackguard binary to run (default: go build -o WORKDIR/ackguard . from the module root)")
	fs.IntVar(&cfg.CPURequest, "cpu-request", defaultCPURequest, "the manager's CPU request in millicores, handed to it (and to the no-op webhook) as the chart and config/manager do (ACKGUARD_CPU_REQUEST; the default is theirs, which runs Go code on one CPU); 0 hands none, which leaves the Go runtime's default GOMAXPROCS")
	fs.StringVar(&cfg.EtcdParent, "etcd-dir", "", "make etcd's data folder in this folder, /dev/shm for one in memory: etcd's writes then wait for no disk, whose latency varies from run to run (default: a temporary folder on disk)")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "folder for the kubeconfig, certificates and process logs (default: a new temporary folder, removed at the end)")
	fs.DurationVar(&cfg.Timeout, "timeout", 60*time.Minute, "give up after this long")
	fs.BoolVar(&cfg.Verbose, "v", false, "log progress to stderr")
	phases := fs.String("phases", "all", "admission phases to run: all, or a comma-separated list of "+strings.Join(phaseGroups, ", ")+" (kyverno needs KYVERNO_BIN)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.KyvernoBin = os.Getenv("KYVERNO_BIN")
	cfg.KyvernoCRDs = os.Getenv("KYVERNO_CRDS_DIR")
	var err error
	if cfg.Phases, err = parsePhases(*phases); err != nil {
		fmt.Fprintln(stderr, "admission:", err)
		return 2
	}
	switch {
	case *phases != "all" && cfg.Phases["kyverno"] && cfg.KyvernoBin == "":
		fmt.Fprintln(stderr, "admission: -phases kyverno needs KYVERNO_BIN, the Kyverno binary to run")
		return 2
	case cfg.N < 1 || cfg.Warmup < 0 || cfg.Workers < 1 || cfg.Reconcile < 0 || cfg.Costs < 0 || cfg.ReportWrites < 1 || cfg.PprofSeconds < 1 || cfg.CPURequest < 0:
		fmt.Fprintln(stderr, "admission: -n, -workers, -report-writes and -pprof-seconds must be at least 1, -warmup, -reconcile, -costs and -cpu-request not negative")
		return 2
	case cfg.Costs > 0 && cfg.Reconcile > 0, cfg.Resync > 0 && (cfg.Costs > 0 || cfg.Reconcile > 0):
		fmt.Fprintln(stderr, "admission: -costs, -reconcile and -resync are separate runs")
		return 2
	case cfg.Resync < 0:
		fmt.Fprintln(stderr, "admission: -resync must not be negative")
		return 2
	case cfg.Resync == 0 && (setFlags(fs)["resync-period"] || setFlags(fs)["probe-every"]):
		fmt.Fprintln(stderr, "admission: -resync-period and -probe-every shape the run of -resync")
		return 2
	case cfg.Resync > 0 && (cfg.ResyncPeriod < time.Second || cfg.ProbeEvery <= 0):
		fmt.Fprintln(stderr, "admission: -resync-period must be at least 1s and -probe-every positive")
		return 2
	case cfg.Resync > 0 && (cfg.Pprof != "" || cfg.Heap != "" || cfg.Applied):
		fmt.Fprintln(stderr, "admission: -pprof, -heap and -applied do not apply to -resync")
		return 2
	case cfg.Costs > 0 && (cfg.Pprof != "" || cfg.Ackguard != "" || setFlags(fs)["cpu-request"]):
		fmt.Fprintln(stderr, "admission: -costs runs no manager: -pprof, -ackguard and -cpu-request do not apply")
		return 2
	case cfg.Costs == 0 && setFlags(fs)["report-writes"]:
		fmt.Fprintln(stderr, "admission: -report-writes counts the Report writes of -costs")
		return 2
	case cfg.Reconcile == 0 && cfg.Heap != "":
		fmt.Fprintln(stderr, "admission: -heap profiles the manager of -reconcile")
		return 2
	case cfg.Reconcile == 0 && cfg.Applied:
		fmt.Fprintln(stderr, "admission: -applied shapes the Buckets of -reconcile")
		return 2
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	logf := func(string, ...any) {}
	if cfg.Verbose || !cfg.JSON {
		logf = func(format string, a ...any) {
			fmt.Fprintf(stderr, "[bench %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
		}
	}
	rep, err := bench(ctx, cfg, logf)
	if err != nil {
		fmt.Fprintln(stderr, "admission:", err)
		return 1
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "admission:", err)
			return 1
		}
		return 0
	}
	printReport(stdout, rep)
	return 0
}

// report is what one run measured.
type report struct {
	Machine   machine           `json:"machine"`
	N         int               `json:"n,omitempty"`
	Workers   int               `json:"workers"`
	Phases    []phaseResult     `json:"phases,omitempty"`
	Reconcile *reconcileResult  `json:"reconcile,omitempty"`
	Costs     *costsResult      `json:"costs,omitempty"`
	Resync    *resyncResult     `json:"resync,omitempty"`
	Profiles  map[string]string `json:"profiles,omitempty"`
}

type machine struct {
	CPUs          int    `json:"cpus"`
	CPUModel      string `json:"cpuModel"`
	Go            string `json:"go"`
	KubeAPIServer string `json:"kubeAPIServer"`
	BucketCRD     string `json:"bucketCRD"`
	Date          string `json:"date"`
	// EtcdData is the folder etcd's data folder was made in, when -etcd-dir set it.
	EtcdData string `json:"etcdData,omitempty"`
	// ManagerCPURequest is the CPU request handed to the manager, in
	// millicores (-cpu-request; 0: none).
	ManagerCPURequest *int `json:"managerCPURequest,omitempty"`
}

func bench(ctx context.Context, cfg config, logf func(string, ...any)) (*report, error) {
	work := cfg.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "ackguard-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		work = dir
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	bin := cfg.Ackguard
	if bin == "" && cfg.Costs == 0 && (cfg.Reconcile > 0 || cfg.Resync > 0 || cfg.Phases["ackguard"]) {
		bin = filepath.Join(work, "ackguard")
		logf("building %s", bin)
		if err := buildAckguard(ctx, bin); err != nil {
			return nil, err
		}
	}
	var etcdDir string
	if cfg.EtcdParent != "" {
		dir, err := os.MkdirTemp(cfg.EtcdParent, "ackguard-bench-etcd-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		etcdDir = dir
	}
	logf("starting the control plane")
	env, err := startEnv(ctx, work, etcdDir)
	if err != nil {
		return nil, err
	}
	defer env.stop()
	rep := &report{Workers: cfg.Workers, Machine: machine{
		CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Go: runtime.Version(),
		KubeAPIServer: env.serverVersion, BucketCRD: env.crdSource, Date: time.Now().UTC().Format(time.RFC3339),
		EtcdData: cfg.EtcdParent,
	}}
	if cfg.Costs > 0 {
		if rep.Costs, err = runCosts(ctx, env, cfg, logf); err != nil {
			return nil, err
		}
		return rep, nil
	}
	rep.Machine.ManagerCPURequest = &cfg.CPURequest // every other run starts the manager
	if cfg.Resync > 0 {
		if rep.Resync, err = runResync(ctx, env, cfg, bin, logf); err != nil {
			return nil, err
		}
		return rep, nil
	}
	if cfg.Reconcile > 0 {
		res, err := runReconcile(ctx, env, cfg, bin, logf)
		if err != nil {
			return nil, err
		}
		rep.Reconcile = res
		return rep, nil
	}
	rep.N = cfg.N
	rep.Phases, rep.Profiles, err = runAdmission(ctx, env, cfg, bin, logf)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// defaultCPURequest is the CPU request, in millicores, of the chart's and
// config/manager's default resources (TestDefaultCPURequestIsTheCharts
// holds it to both).
const defaultCPURequest = 50

// managerEnv is the environment the manager runs with beside the
// benchmark's own: the control plane's kubeconfig and the CPU request a
// deployment hands it, 0 as the downward API gives it when none is set
// (the last value wins, so the benchmark's own environment cannot hand it
// another). A GOMAXPROCS in the benchmark's environment reaches the
// manager and wins; the manager logs what it runs with.
func managerEnv(e *env, cfg config) []string {
	return []string{"KUBECONFIG=" + e.kubeconfig, fmt.Sprintf("%s=%d", manager.CPURequestEnv, cfg.CPURequest)}
}

// cpuRequestText says what -cpu-request handed the manager.
func cpuRequestText(millis int) string {
	if millis == 0 {
		return "none (the Go runtime's default GOMAXPROCS)"
	}
	return fmt.Sprintf("%dm (%s)", millis, manager.CPURequestEnv)
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func printReport(w io.Writer, rep *report) {
	m := rep.Machine
	etcd := ""
	if m.EtcdData != "" {
		etcd = ", etcd data in " + m.EtcdData
	}
	if m.ManagerCPURequest != nil {
		etcd += ", manager's CPU request " + cpuRequestText(*m.ManagerCPURequest)
	}
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, kube-apiserver %s, Bucket CRD: %s%s, %s\n\n", m.CPUs, m.CPUModel, m.Go, m.KubeAPIServer, m.BucketCRD, etcd, m.Date)
	if len(rep.Phases) > 0 {
		fmt.Fprintf(w, "admission of a clean Bucket: %d sequential creates, %d from %d goroutines, after warm-up\n\n", rep.N, rep.N, rep.Workers)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADMISSION\tSEQ P50\tSEQ P99\tPAR CREATES/S\tPAR P50\tPAR P99\tIDLE RSS\tRSS AFTER\tCPU IN PHASE\tCPU/CREATE\tAPISERVER+ETCD CPU/CREATE")
		for _, p := range rep.Phases {
			idle, after, cpu, per := "-", "-", "-", "-"
			if p.Process {
				idle, after = mib(p.IdleRSS), mib(p.AfterRSS)
				cpu = fmt.Sprintf("%.2f s", p.CPUSeconds)
				per = fmt.Sprintf("%.2f ms", p.CPUPerCreateMs)
			}
			fmt.Fprintf(tw, "%s\t%.2f ms\t%.2f ms\t%.0f\t%.2f ms\t%.2f ms\t%s\t%s\t%s\t%s\t%.2f + %.2f ms\n", p.Name, p.SeqP50Ms, p.SeqP99Ms, p.ParCreatesPerSec, p.ParP50Ms, p.ParP99Ms, idle, after, cpu, per, p.APIServerCPUPerCreateMs, p.EtcdCPUPerCreateMs)
		}
		_ = tw.Flush()
		fmt.Fprintln(w, "\nCPU/CREATE: the process's CPU time (utime+stime) from the first warm-up create until it is idle after the")
		fmt.Fprintln(w, "concurrent creates, divided by the creates in that span (warm-up + 2N); APISERVER+ETCD CPU/CREATE: the")
		fmt.Fprintln(w, "control plane's from the first warm-up create until the last concurrent create returned, divided the same way.")
		for _, p := range rep.Phases {
			fmt.Fprintf(w, "requests answered during %s: %s\n", p.Name, p.Requests)
		}
		for name, path := range rep.Profiles {
			fmt.Fprintf(w, "profile of %s under concurrent creates: %s (what it allocated: %s)\n", name, path, allocsProfile(path))
		}
	}
	if r := rep.Reconcile; r != nil {
		printReconcile(w, r)
	}
	if c := rep.Costs; c != nil {
		printCosts(w, c)
	}
	if r := rep.Resync; r != nil {
		printResync(w, r)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
