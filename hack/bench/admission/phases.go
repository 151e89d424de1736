package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/webhooks"
)

// benchNamespace holds the timed Buckets (emptied after each phase).
const benchNamespace = "bench"

// phaseResult is one admission engine's figures.
type phaseResult struct {
	Name             string  `json:"name"`
	Creates          int     `json:"creates"`
	SeqP50Ms         float64 `json:"seqP50Ms"`
	SeqP99Ms         float64 `json:"seqP99Ms"`
	SeqMeanMs        float64 `json:"seqMeanMs"`
	ParCreatesPerSec float64 `json:"parCreatesPerSec"`
	ParP50Ms         float64 `json:"parP50Ms"`
	ParP99Ms         float64 `json:"parP99Ms"`
	// Process figures (ackguard, Kyverno): RSS once it serves, RSS after
	// the phase, CPU time from the first warm-up create until it is idle
	// after the concurrent creates, and that CPU per create in the span.
	Process        bool    `json:"process"`
	IdleRSS        int64   `json:"idleRSSBytes,omitempty"`
	AfterRSS       int64   `json:"afterRSSBytes,omitempty"`
	PeakRSS        int64   `json:"peakRSSBytes,omitempty"`
	CPUSeconds     float64 `json:"cpuSeconds,omitempty"`
	CPUPerCreateMs float64 `json:"cpuPerCreateMs,omitempty"`
	// The context switches of the process's threads per create over the
	// same span: voluntary ones are the wake-ups that waiting for work
	// costs (a request, a watch event), involuntary ones being put off a
	// CPU the machine's other processes want.
	VoluntarySwitchesPerCreate   float64 `json:"voluntarySwitchesPerCreate,omitempty"`
	InvoluntarySwitchesPerCreate float64 `json:"involuntarySwitchesPerCreate,omitempty"`
	// Of those, the thread that went to sleep most often: the Go
	// runtime's monitor thread (sysmon), which paces itself by sleeping
	// while the process is busy. Its CPU per create is part of
	// CPUPerCreateMs.
	MonitorSwitchesPerCreate float64 `json:"monitorSwitchesPerCreate,omitempty"`
	MonitorCPUPerCreateMs    float64 `json:"monitorCPUPerCreateMs,omitempty"`
	// The control plane's CPU time per create from the first warm-up
	// create until the last concurrent create returned, and the requests
	// its API server answered then, by verb and resource: what admission
	// costs the API server and etcd, beside what the admission process
	// spends itself.
	APIServerCPUPerCreateMs float64     `json:"apiserverCPUPerCreateMs"`
	EtcdCPUPerCreateMs      float64     `json:"etcdCPUPerCreateMs"`
	Requests                apiRequests `json:"requests,omitempty"`
}

// admission is one engine: start installs it and returns the process
// serving it (nil when the API server itself decides), stop removes it.
type admission struct {
	name    string
	denies  string // a substring of the denial of an insecure Bucket
	start   func(ctx context.Context) (*proc, error)
	stop    func(ctx context.Context) error
	pprofTo string // with -pprof: where this phase's profile goes
	pprof   string // the process's pprof address
	// denyTimeout bounds the wait for the first denial (default 1m).
	denyTimeout time.Duration
	// cleanup, when set, runs after the process stopped.
	cleanup func(ctx context.Context) error
}

func runAdmission(ctx context.Context, e *env, cfg config, bin string, logf func(string, ...any)) ([]phaseResult, map[string]string, error) {
	if err := e.namespace(ctx, benchNamespace); err != nil {
		return nil, nil, err
	}
	hook, cleanup, err := servingHook()
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()

	var phases []*admission
	if cfg.Phases["none"] {
		phases = append(phases, &admission{name: "none", start: func(context.Context) (*proc, error) { return nil, nil }, stop: func(context.Context) error { return nil }})
	}
	if cfg.Phases["vap"] {
		phases = append(phases, vapAdmission(e))
	}
	if cfg.Phases["noop"] {
		phases = append(phases, noopAdmission(e, cfg, hook))
	}
	if cfg.Phases["ackguard"] {
		phases = append(phases,
			ackguardAdmission(e, cfg, bin, hook, "ackguard (all defaults)", nil, cfg.Pprof),
			ackguardAdmission(e, cfg, bin, hook, "ackguard --enable-reconciler=false", []string{"--enable-reconciler=false"}, suffixed(cfg.Pprof, "-noreconciler")))
	}
	if cfg.Phases["kyverno"] && cfg.KyvernoBin != "" {
		k, err := kyvernoAdmissions(ctx, e, cfg)
		if err != nil {
			return nil, nil, err
		}
		phases = append(phases, k...)
	}
	var out []phaseResult
	profiles := map[string]string{}
	for _, ph := range phases {
		logf("phase %s", ph.name)
		res, err := runPhase(ctx, e, cfg, ph, logf)
		if err != nil {
			return nil, nil, fmt.Errorf("phase %s: %w", ph.name, err)
		}
		out = append(out, res)
		if ph.pprofTo != "" && ph.pprof != "" {
			profiles[ph.name] = ph.pprofTo
		}
	}
	return out, profiles, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a phase name into a short object-name prefix.
func slug(name string) string {
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}

func suffixed(path, suffix string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + suffix + ext
}

func runPhase(ctx context.Context, e *env, cfg config, ph *admission, logf func(string, ...any)) (res phaseResult, err error) {
	res.Name = ph.name
	p, err := ph.start(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := ph.stop(ctx); serr != nil && err == nil {
			err = serr
		}
		if werr := e.waitAdmitted(ctx, benchNamespace); werr != nil && err == nil {
			err = werr
		}
		if p != nil {
			p.stop()
		}
		if ph.cleanup != nil {
			if cerr := ph.cleanup(ctx); cerr != nil && err == nil {
				err = cerr
			}
		}
		if derr := e.deleteBuckets(ctx, benchNamespace); derr != nil && err == nil {
			err = derr
		}
	}()
	if ph.denies != "" {
		if err := e.waitDenied(ctx, benchNamespace, ph.denies, ph.denyTimeout, p); err != nil {
			return res, err
		}
	}
	e.warnings.Store(0) // the clean Buckets below must draw none
	e.firstWarning.Store(nil)
	prefix := slug(ph.name)
	warm := buckets(benchNamespace, prefix+"-w", cfg.Warmup, true)
	seq := buckets(benchNamespace, prefix+"-s", cfg.N, true)
	par := buckets(benchNamespace, prefix+"-p", cfg.N, true)
	var cpu0 time.Duration
	var threads0 map[string]threadStat
	if p != nil {
		res.Process = true
		if _, err := p.settle(ctx); err != nil {
			return res, err
		}
		res.IdleRSS = p.rss()
		if cpu0, err = p.cpu(); err != nil {
			return res, err
		}
		if threads0, err = p.threads(); err != nil {
			return res, err
		}
	}
	api0, etcd0, err := e.controlPlaneCPU()
	if err != nil {
		return res, err
	}
	req0, err := e.requestCounts(ctx)
	if err != nil {
		return res, err
	}
	if _, err := e.sequential(ctx, warm); err != nil {
		return res, err
	}
	var cpuSeq0 time.Duration
	if p != nil {
		if cpuSeq0, err = p.cpu(); err != nil {
			return res, err
		}
	}
	lat, err := e.sequential(ctx, seq)
	if err != nil {
		return res, err
	}
	var cpuSeq1 time.Duration
	if p != nil {
		if cpuSeq1, err = p.cpu(); err != nil {
			return res, err
		}
	}
	res.SeqP50Ms, res.SeqP99Ms = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	res.SeqMeanMs = ms(sum / time.Duration(len(lat)))
	wall, plat, err := e.concurrent(ctx, par, cfg.Workers)
	if err != nil {
		return res, err
	}
	res.ParCreatesPerSec = float64(len(par)) / wall.Seconds()
	res.ParP50Ms, res.ParP99Ms = ms(percentile(plat, 50)), ms(percentile(plat, 99))
	res.Creates = len(warm) + len(seq) + len(par)
	if n := e.warnings.Load(); n > 0 {
		return res, fmt.Errorf("the clean Bucket drew %d admission warnings, the first %q: the benchmark must time an object clean under every rule on by default", n, *e.firstWarning.Load())
	}
	logf("  seq p50 %.2f ms p99 %.2f ms; %d goroutines: %.0f creates/s", res.SeqP50Ms, res.SeqP99Ms, cfg.Workers, res.ParCreatesPerSec)
	if err := e.controlPlaneFigures(ctx, &res, api0, etcd0, req0, logf); err != nil {
		return res, err
	}
	if p == nil {
		return res, nil
	}
	cpu1, err := p.settle(ctx)
	if err != nil {
		return res, err
	}
	res.AfterRSS = p.rss()
	res.PeakRSS, _ = p.memory("VmHWM")
	res.CPUSeconds = (cpu1 - cpu0).Seconds()
	res.CPUPerCreateMs = ms(cpu1-cpu0) / float64(res.Creates)
	threads1, err := p.threads()
	if err != nil {
		return res, err
	}
	span := spanOf(threads0, threads1)
	perCreate := func(n int64) float64 { return float64(n) / float64(res.Creates) }
	res.VoluntarySwitchesPerCreate = perCreate(span.voluntary)
	res.InvoluntarySwitchesPerCreate = perCreate(span.involuntary)
	res.MonitorSwitchesPerCreate = perCreate(span.sleepiest.voluntary)
	res.MonitorCPUPerCreateMs = ms(span.sleepiest.cpu) / float64(res.Creates)
	logf("  %s: RSS idle %s, after %s; CPU %.2f s = %.2f ms per create (sequential creates alone %.2f ms each, until settled); context switches per create: %.1f voluntary, %.1f involuntary; the runtime's monitor thread: %.1f of the voluntary, %.3f ms of CPU per create", p.name, mib(res.IdleRSS), mib(res.AfterRSS), res.CPUSeconds, res.CPUPerCreateMs, ms(cpuSeq1-cpuSeq0)/float64(len(seq)), res.VoluntarySwitchesPerCreate, res.InvoluntarySwitchesPerCreate, res.MonitorSwitchesPerCreate, res.MonitorCPUPerCreateMs)
	if ph.pprofTo != "" && ph.pprof != "" {
		if err := profileUnderLoad(ctx, e, cfg, ph, prefix, logf); err != nil {
			return res, err
		}
	}
	return res, nil
}

// controlPlaneFigures fills in what the phase's creates cost kube-apiserver
// and etcd since api0, etcd0 and req0 were read.
func (e *env) controlPlaneFigures(ctx context.Context, res *phaseResult, api0, etcd0 time.Duration, req0 apiRequests, logf func(string, ...any)) error {
	api1, etcd1, err := e.controlPlaneCPU()
	if err != nil {
		return err
	}
	req1, err := e.requestCounts(ctx)
	if err != nil {
		return err
	}
	res.APIServerCPUPerCreateMs = ms(api1-api0) / float64(res.Creates)
	res.EtcdCPUPerCreateMs = ms(etcd1-etcd0) / float64(res.Creates)
	res.Requests = req1.since(req0)
	logf("  control plane: kube-apiserver %.2f ms, etcd %.2f ms of CPU per create; requests answered: %s", res.APIServerCPUPerCreateMs, res.EtcdCPUPerCreateMs, res.Requests)
	return nil
}

// profileUnderLoad takes a CPU profile of the process through its pprof
// endpoint while creates keep coming from cfg.Workers goroutines (not
// counted in the phase's figures), and over the same window the profile
// of what it allocated (allocsProfile(ph.pprofTo)), whose total divided by
// the creates is the heap each create costs the manager.
func profileUnderLoad(ctx context.Context, e *env, cfg config, ph *admission, prefix string, logf func(string, ...any)) error {
	logf("  profiling %s for %ds under %d-way creates", ph.name, cfg.PprofSeconds, cfg.Workers)
	type answer struct {
		data []byte
		err  error
	}
	get := func(endpoint string) <-chan answer {
		got := make(chan answer, 1)
		go func() {
			hc := &http.Client{Timeout: time.Duration(cfg.PprofSeconds+30) * time.Second}
			resp, err := hc.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", ph.pprof, endpoint, cfg.PprofSeconds))
			if err != nil {
				got <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("pprof answered %d: %s", resp.StatusCode, data)
			}
			got <- answer{data, err}
		}()
		return got
	}
	cpuProfile, allocs := get("profile"), get("allocs")
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	created := make(chan int, 1)
	go func() {
		n := 0
		for batch := 0; loadCtx.Err() == nil; batch++ {
			objs := buckets(benchNamespace, fmt.Sprintf("%s-prof%03d", prefix, batch), 200, true)
			_, _, err := e.concurrent(loadCtx, objs, cfg.Workers)
			if err != nil {
				break
			}
			n += len(objs)
		}
		created <- n
	}()
	a, b := <-cpuProfile, <-allocs
	stopLoad()
	n := <-created
	if err := cmp.Or(a.err, b.err); err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	if err := os.WriteFile(ph.pprofTo, a.data, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(allocsProfile(ph.pprofTo), b.data, 0o644); err != nil {
		return err
	}
	logf("  profile (%d creates during it) saved to %s, what it allocated to %s", n, ph.pprofTo, allocsProfile(ph.pprofTo))
	return nil
}

// allocsProfile is where the allocation profile taken beside the CPU
// profile file goes: ".allocs" before its extension (mgr.prof:
// mgr.allocs.prof).
func allocsProfile(file string) string {
	return suffixed(file, ".allocs")
}

// vapAdmission is a ValidatingAdmissionPolicy checking the four Block
// Public Access flags in CEL, evaluated in the API server.
func vapAdmission(e *env) *admission {
	const name = "bench-bucket-public-access-block"
	flags := []string{"blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"}
	var validations []admissionregistrationv1.Validation
	for _, f := range flags {
		validations = append(validations, admissionregistrationv1.Validation{
			Expression: fmt.Sprintf("has(object.spec.publicAccessBlock) && has(object.spec.publicAccessBlock.%[1]s) && object.spec.publicAccessBlock.%[1]s", f),
			Message:    fmt.Sprintf("%s: spec.publicAccessBlock.%s must be true", name, f),
		})
	}
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: bucketRule(),
			}}},
			Validations: validations,
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: name, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	return &admission{
		name:   "ValidatingAdmissionPolicy (CEL, four flags)",
		denies: name,
		start: func(ctx context.Context) (*proc, error) {
			if err := e.client.Create(ctx, policy.DeepCopy()); err != nil {
				return nil, err
			}
			return nil, e.client.Create(ctx, binding.DeepCopy())
		},
		stop: func(ctx context.Context) error {
			return deleteAll(ctx, e.client, binding.DeepCopy(), policy.DeepCopy())
		},
	}
}

func bucketRule() admissionregistrationv1.RuleWithOperations {
	scope := admissionregistrationv1.NamespacedScope
	return admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups: []string{bucketGVR.Group}, APIVersions: []string{bucketGVR.Version}, Resources: []string{bucketGVR.Resource}, Scope: &scope,
		},
	}
}

func deleteAll(ctx context.Context, c client.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := client.IgnoreNotFound(c.Delete(ctx, o)); err != nil {
			return err
		}
	}
	return nil
}

// ackguardAdmission runs `ackguard manager` as its own process with the
// flags of docs/performance.md, registered by URL for Buckets.
func ackguardAdmission(e *env, cfg config, bin string, hook *envtest.WebhookInstallOptions, name string, extra []string, pprofTo string) *admission {
	const hookName = "bench-ackguard"
	a := &admission{name: name, denies: "S3-001", pprofTo: pprofTo}
	a.start = func(ctx context.Context) (*proc, error) {
		args, probeAddr, err := managerArgs(hook)
		if err != nil {
			return nil, err
		}
		if pprofTo != "" {
			if a.pprof, err = localcluster.FreeAddr(); err != nil {
				return nil, err
			}
			args = append(args, "--pprof-bind-address="+a.pprof)
		}
		args = append(args, extra...)
		logPath := filepath.Join(e.work, slug(name)+".log")
		p, err := startManager(ctx, bin, args, managerEnv(e, cfg), logPath, probeAddr, 2*time.Minute)
		if err != nil {
			return nil, err
		}
		if err := registerURLWebhook(ctx, e, hook, hookName); err != nil {
			p.stop()
			return nil, err
		}
		return p, nil
	}
	a.stop = func(ctx context.Context) error { return unregisterWebhook(ctx, e, hookName) }
	return a
}

// registerURLWebhook registers the webhook served at hook's local address
// for Bucket creates and updates, by URL, failing closed.
func registerURLWebhook(ctx context.Context, e *env, hook *envtest.WebhookInstallOptions, name string) error {
	url := "https://" + net.JoinHostPort(hook.LocalServingHost, strconv.Itoa(hook.LocalServingPort)) + webhooks.Path
	return e.client.Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.ack.ackguard.dev",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: hook.LocalServingCAData},
			Rules:                   []admissionregistrationv1.RuleWithOperations{bucketRule()},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To[int32](10),
		}},
	})
}

func unregisterWebhook(ctx context.Context, e *env, name string) error {
	return deleteAll(ctx, e.client, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}})
}
