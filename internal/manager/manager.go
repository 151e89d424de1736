// Package manager assembles ackguard's operator: the validating webhook and
// the drift reconcilers on one controller-runtime manager. main.go parses
// flags into Options; the demo builds the same manager against its local
// control plane.
package manager

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/kinds"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
	"github.com/ackguard/ackguard/webhooks"
)

// DefaultACKControllers are the service accounts ACK's Helm charts create
// (namespace ack-system, name ack-<service>-controller).
func DefaultACKControllers() []string {
	var out []string
	for _, svc := range []string{"s3", "rds", "iam", "ec2", "lambda"} {
		out = append(out, "ack-system:ack-"+svc+"-controller")
	}
	return out
}

// Options configure the operator.
type Options struct {
	MetricsAddr             string
	ProbeAddr               string
	WebhookHost             string
	WebhookPort             int
	WebhookCertDir          string
	LeaderElection          bool
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod time the election
	// (0: controller-runtime's 15s, 10s, 2s): a follower takes over at
	// most LeaseDuration after the leader stopped renewing; a leader that
	// stops gracefully releases the lease at once.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// SkipControllerNameValidation lets several managers run in one
	// process (tests).
	SkipControllerNameValidation bool
	EnableWebhook                bool
	EnableReconciler             bool
	// OwnerAccounts are the AWS account IDs that own the guarded resources.
	// More are learned from ACK: namespace annotations, the cross-account
	// role map in ACKNamespace, and synced resources' status.
	OwnerAccounts []string
	// Partition is the AWS partition of the guarded resources that do not
	// tell theirs (their status, region annotation or ARN): the partition
	// of the ACK controllers' region. "" means aws.
	Partition string
	// ACKNamespace is the ACK controllers' namespace, where their
	// cross-account role map lives ("" reads no role map).
	ACKNamespace string
	// ACKControllers are "namespace:name" service accounts whose writes are
	// admitted with a warning.
	ACKControllers []string
	// KindPollInterval is how often ACK kinds are looked for: installed
	// ones start being guarded, deleted ones stop being watched and, on
	// every replica, read by rules.
	KindPollInterval time.Duration
	// RemediationMaxAttempts and RemediationWindow bound how often one
	// object is patched before ackguard stops fighting its source of truth.
	RemediationMaxAttempts int
	RemediationWindow      time.Duration
	// RemediationBackoff is the least time between the first and second
	// fix of one object, doubled for each later one (0: 10s).
	RemediationBackoff time.Duration
	// MaxPatchesPerSecond bounds the fixes of all the reconcilers together
	// (a token bucket with a burst of as many; 0: unbounded).
	MaxPatchesPerSecond float64
	// EventQPS and EventBurst bound the Events the manager records, as the
	// kubelet's --event-qps and --event-burst bound its own: Events are
	// best effort, and a mass remediation or a resync of many violating
	// objects must not double the API server's write load. Events beyond
	// the bound are dropped and counted (ackguard_events_dropped_total);
	// every fix is still recorded in the object's annotation, its report
	// and the log. EventQPS 0: unbounded.
	EventQPS   float64
	EventBurst int
	// ResyncPeriod is how often every guarded object is judged again
	// without any event (0: 10m): it catches what events missed and
	// applies policy changes to objects nothing else re-queued.
	ResyncPeriod time.Duration
	// ReconcileWorkers is how many objects of one kind the reconciler
	// judges and patches at once: at least 1 when the reconciler runs.
	ReconcileWorkers int
	// CertRotation, when enabled, manages the webhook's certificate.
	CertRotation CertRotation
	// ReportFlushInterval is how often changed policy reports are written
	// (0: 10s); ReportMaxResults bounds the results of one namespace's
	// report (0: 500).
	ReportFlushInterval time.Duration
	ReportMaxResults    int
	// PolicyStatusInterval is how often GuardrailPolicy counts are
	// refreshed (0: 30s).
	PolicyStatusInterval time.Duration
	// EnableHTTP2 lets the webhook server speak HTTP/2. Off, it offers
	// HTTP/1.1 only, as kubebuilder scaffolds it: HTTP/2's stream
	// handling is where the rapid-reset and CONTINUATION flood attacks
	// (CVE-2023-44487, CVE-2023-39325) hit, and the API server reuses
	// HTTP/1.1 connections to a webhook as well.
	EnableHTTP2 bool
	// PprofAddr serves net/http/pprof under /debug/pprof/ when set; "" or
	// "0" keeps it off.
	PprofAddr string
	// APICompression lets the manager's API client ask for gzip
	// responses. Off (the default), the API server sends list and watch
	// responses uncompressed: the manager talks to it over the cluster
	// network, where compressing every watch event costs the API server
	// and the manager CPU and saves nothing that matters.
	APICompression bool
	// ShutdownDelay is how long a webhook replica told to stop keeps
	// answering admission requests, reporting itself not ready, before it
	// stops (0: stops at once). See drain.
	ShutdownDelay time.Duration
}

// DefaultOptions returns the defaults the flags document.
func DefaultOptions() Options {
	return Options{
		MetricsAddr:            ":8080",
		ProbeAddr:              ":8081",
		WebhookPort:            9443,
		WebhookCertDir:         "/tmp/k8s-webhook-server/serving-certs",
		EnableWebhook:          true,
		EnableReconciler:       true,
		ACKControllers:         DefaultACKControllers(),
		ACKNamespace:           owners.DefaultACKNamespace,
		Partition:              "aws",
		KindPollInterval:       time.Minute,
		RemediationMaxAttempts: 2,
		RemediationWindow:      time.Hour,
		RemediationBackoff:     controllers.DefaultRemediationBackoff,
		MaxPatchesPerSecond:    DefaultMaxPatchesPerSecond,
		EventQPS:               DefaultEventQPS,
		EventBurst:             DefaultEventBurst,
		ReconcileWorkers:       4,
		ResyncPeriod:           DefaultResyncPeriod,
		ReportFlushInterval:    reports.DefaultFlushInterval,
		ReportMaxResults:       reports.DefaultMaxResults,
		ShutdownDelay:          DefaultShutdownDelay,
	}
}

// DefaultEventQPS and DefaultEventBurst are the kubelet's defaults for
// its --event-qps and --event-burst.
const (
	DefaultEventQPS   = 50
	DefaultEventBurst = 100
)

// LeaderElectionID names the Lease the replicas elect their leader with.
const LeaderElectionID = "ackguard.policy.ackguard.dev"

// tlsOptions are the webhook server's TLS settings: HTTP/1.1 only unless
// HTTP/2 is enabled.
func tlsOptions(http2 bool) []func(*tls.Config) {
	if http2 {
		return nil
	}
	return []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
}

func durationOrNil(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}

// Defaults of Options.
const (
	DefaultResyncPeriod        = 10 * time.Minute
	DefaultMaxPatchesPerSecond = 20
)

// Validate checks the options a user can get wrong.
func (o Options) Validate() error {
	for _, a := range o.OwnerAccounts {
		if !policy.IsAccountID(a) {
			return fmt.Errorf("owner account %q is not a 12-digit AWS account ID", a)
		}
	}
	if o.Partition != "" && !slices.Contains(policy.Partitions, o.Partition) {
		return fmt.Errorf("AWS partition %q is not one of %s", o.Partition, strings.Join(policy.Partitions, ", "))
	}
	for _, sa := range o.ACKControllers {
		ns, name, ok := strings.Cut(sa, ":")
		if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
			return fmt.Errorf("ACK controller %q must be namespace:serviceaccount", sa)
		}
	}
	if o.LeaseDuration < 0 || o.RenewDeadline < 0 || o.RetryPeriod < 0 || o.KindPollInterval < 0 || o.RemediationWindow < 0 {
		return fmt.Errorf("--leader-election-lease-duration, --leader-election-renew-deadline, --leader-election-retry-period, --kind-poll-interval and --remediation-window must not be negative")
	}
	if o.ReconcileWorkers < 0 || o.RemediationMaxAttempts < 0 || o.EventQPS < 0 || o.EventBurst < 0 {
		return fmt.Errorf("--reconcile-workers, --remediation-max-attempts, --event-qps and --event-burst must not be negative")
	}
	if o.EnableReconciler && o.ReconcileWorkers == 0 {
		// Not quietly one worker: neither the default nor the reconcilers
		// off, which a 0 could be read to mean.
		return fmt.Errorf("--reconcile-workers must be at least 1; --enable-reconciler=false turns the reconcilers off")
	}
	if o.LeaseDuration > 0 && o.RenewDeadline > 0 && o.RenewDeadline >= o.LeaseDuration {
		return fmt.Errorf("the leader election's renew deadline (%s) must be shorter than its lease duration (%s)", o.RenewDeadline, o.LeaseDuration)
	}
	// Leader election refuses to start, naming no flag, unless the renew
	// deadline leaves room for a retry and its jitter (client-go's
	// JitterFactor, 1.2); unset values are controller-runtime's.
	renew, retry := orDefault(o.RenewDeadline, 10*time.Second), orDefault(o.RetryPeriod, 2*time.Second)
	if o.LeaderElection && float64(renew) <= leaderelection.JitterFactor*float64(retry) {
		return fmt.Errorf("--leader-election-renew-deadline (%s) must be longer than %.1f times --leader-election-retry-period (%s)", renew, leaderelection.JitterFactor, retry)
	}
	if o.ShutdownDelay < 0 {
		return fmt.Errorf("--shutdown-delay must not be negative")
	}
	if o.ResyncPeriod < 0 || o.RemediationBackoff < 0 || o.MaxPatchesPerSecond < 0 {
		return fmt.Errorf("resync period, remediation backoff and patches per second must not be negative")
	}
	if o.ReportFlushInterval < 0 || o.ReportMaxResults < 0 {
		return fmt.Errorf("report flush interval and maximum results must not be negative")
	}
	// controller-runtime takes a negative port for "no webhook server",
	// which its readiness check passes: a ready replica refusing every
	// admission.
	if o.EnableWebhook && (o.WebhookPort < 0 || o.WebhookPort > 65535) {
		return fmt.Errorf("the webhook port %d is not a TCP port (1-65535)", o.WebhookPort)
	}
	if !o.EnableWebhook && !o.EnableReconciler {
		return fmt.Errorf("both the webhook and the reconciler are disabled; nothing to run")
	}
	return o.CertRotation.validate()
}

// ACKUsernames turns "ns:name" service accounts into API usernames.
func (o Options) ACKUsernames() []string {
	out := make([]string, 0, len(o.ACKControllers))
	for _, sa := range o.ACKControllers {
		ns, name, _ := strings.Cut(sa, ":")
		out = append(out, "system:serviceaccount:"+ns+":"+name)
	}
	return out
}

// Manager is the assembled operator.
type Manager struct {
	ctrl.Manager
	Kinds      *controllers.KindWatcher
	governance *governanceWatcher
	source     *govsource.Source
	// drain and shutdownDelay: see Start (nil without a webhook).
	drain         *drain
	shutdownDelay time.Duration
}

// Resolver returns what the rules of the manager's reconcilers read
// related objects through (the webhook's reads the same way); ctx bounds
// every lookup.
func (m *Manager) Resolver(ctx context.Context) rules.Resolver { return m.source.Resolver(ctx) }

// Bounds of the parsed-document cache.
const (
	policyCacheEntries = 2048
	policyCacheBytes   = 2 << 20
)

// New builds the operator on a manager for the given cluster.
func New(cfg *rest.Config, opts Options) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.DisableCompression = !opts.APICompression
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, reportsv1alpha1.Install} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	resync := opts.ResyncPeriod
	if resync == 0 {
		resync = DefaultResyncPeriod
	}
	// The informers of the guarded (unstructured) kinds decode list and
	// watch responses in one pass instead of client-go's three, without
	// the bookkeeping the cache's transform strips (below), sharing the
	// small subtrees of the specs between the cached objects (resources
	// made from one template carry the same settings): nothing changes a
	// cached object (the reconcilers copy one before patching it).
	informers := &unstructuredjson.Informers{Config: cfg, DropBookkeeping: true, Subtrees: &unstructuredjson.Subtrees{}, OnFallback: func(gvk schema.GroupVersionKind, err error) {
		ctrl.Log.WithName("cache").Info("decoding with client-go's decoder", "kind", gvk.String(), "reason", err.Error())
	}}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		// ACK objects are read as unstructured; serve those reads from the
		// informer cache too (the reconcilers already watch their kinds).
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		// Nothing reads managedFields or kubectl's last-applied copy of the
		// object: keeping them out of the cache saves memory per guarded
		// object (each is about as large as the rest of it). Every
		// informer re-delivers its objects each resync period; the drift
		// reconcilers judge them all again then (controllers.Resync).
		// The cache has no label, field or namespace restriction, which
		// the informers above would have to apply.
		Cache:                   cache.Options{DefaultTransform: unstructuredjson.StripBookkeeping, SyncPeriod: &resync, NewInformer: informers.New},
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:  opts.ProbeAddr,
		PprofBindAddress:        opts.PprofAddr,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		// The process ends when the manager stops: hand over at once.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 durationOrNil(opts.LeaseDuration),
		RenewDeadline:                 durationOrNil(opts.RenewDeadline),
		RetryPeriod:                   durationOrNil(opts.RetryPeriod),
		Controller:                    config.Controller{SkipNameValidation: &opts.SkipControllerNameValidation},
	})
	if err != nil {
		return nil, err
	}
	informers.HTTPClient, informers.Mapper = mgr.GetHTTPClient(), mgr.GetRESTMapper()
	mets, err := metrics.New(nil)
	if err != nil {
		return nil, err
	}
	registry := rules.Default()
	// Parsed policy documents are kept across requests: the CREATE, each
	// UPDATE and every reconcile of one object carry the same document.
	// Bounded by the documents' text (parsed, a document takes about ten
	// times its text), least recently used first out.
	ruleCfg := rules.Config{OwnerAccounts: opts.OwnerAccounts, Partition: opts.Partition, Documents: policy.NewCache(policyCacheEntries, policyCacheBytes)}
	m := &Manager{Manager: mgr}
	defaults := governance.Defaults{Config: ruleCfg, ACKControllers: opts.ACKUsernames()}
	// One compiled snapshot of the policies, exceptions and namespace
	// labels, kept current from the informers, serves the webhook, the
	// reconcilers and the status controllers. Without ackguard's CRDs only
	// namespaces are watched and the baseline applies.
	governed := governanceInstalled(mgr)
	snap := govsource.NewSnapshot(registry, defaults)
	if err := snap.Watch(context.Background(), mgr.GetCache(), governed); err != nil {
		return nil, err
	}
	// Every replica knows which guarded kinds (and their references'
	// targets) are served, from discovery, checked at start and every
	// --kind-poll-interval: rules read no related object of a kind whose
	// CRD was deleted (the RESTMapper keeps the kind, and a cached read
	// would wait for an informer that never syncs), and its informer is
	// removed. The leader's KindWatcher shares the answers.
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, err
	}
	served := kinds.New(dc, controllers.WatchedKinds(GuardedKinds(registry)))
	poller := &kinds.Poller{Served: served, Cache: mgr.GetCache(), Interval: opts.KindPollInterval}
	if err := mgr.Add(poller); err != nil {
		return nil, err
	}
	source := &govsource.Source{
		Reader: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Registry: registry,
		Defaults: defaults, Snapshot: snap, Served: served.Served,
	}
	m.source = source
	// Owner accounts are also learned from ACK's cross-account role map,
	// read by name in the ACK controllers' namespace.
	if opts.ACKNamespace != "" {
		if err := mgr.Add(&govsource.CARM{Reader: mgr.GetAPIReader(), Namespace: opts.ACKNamespace, Snapshot: snap}); err != nil {
			return nil, err
		}
	}
	// The reconciler reuses the judgement the webhook made of an object it
	// just admitted, instead of judging it again on the watch event.
	var memo *govsource.Memo
	if opts.EnableWebhook && opts.EnableReconciler {
		memo = &govsource.Memo{}
		source.Memo = memo
	}
	// Every replica says which policies are in force (webhook-only
	// replicas too), and builds the snapshot the webhook reads before it
	// is ready, so the first admission request does not wait for it.
	warm := &cacheWarmer{mgr: mgr, source: source}
	if err := mgr.Add(warm); err != nil {
		return nil, err
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	// Ready once the served kinds are known.
	if err := mgr.AddReadyzCheck("kinds", poller.Checker); err != nil {
		return nil, err
	}
	if opts.EnableWebhook {
		v, err := webhooks.NewValidator(webhooks.Options{
			Registry: registry, Config: ruleCfg, ACKControllers: opts.ACKUsernames(), Reader: mgr.GetClient(),
			APIReader: mgr.GetAPIReader(), Served: served.Served, Metrics: mets, Snapshot: snap, Memo: memo, Subtrees: informers.Subtrees,
		})
		if err != nil {
			return nil, err
		}
		srv := webhook.NewServer(webhook.Options{Host: opts.WebhookHost, Port: opts.WebhookPort, CertDir: opts.WebhookCertDir, TLSOpts: tlsOptions(opts.EnableHTTP2)})
		m.drain, m.shutdownDelay = &drain{}, opts.ShutdownDelay
		srv.Register(webhooks.Path, m.drain.wrap(boundRead(v, reviewReadTimeout))) // one JSON pass per review (webhooks.(*Validator).ServeHTTP)
		srv.Register(webhooks.GovernancePath, m.drain.wrap(boundRead(v.Governance().Webhook(), reviewReadTimeout)))
		if err := addWebhookServer(mgr, srv, opts.WebhookCertDir, opts.CertRotation); err != nil {
			return nil, err
		}
		if err := metrics.RegisterCertificateExpiry(nil, filepath.Join(opts.WebhookCertDir, "tls.crt")); err != nil {
			return nil, err
		}
		// Ready once the webhook serves (with rotation: once its
		// certificates are mounted).
		if err := mgr.AddReadyzCheck("webhook", srv.StartedChecker()); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("policy-cache", warm.Checker); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("shutdown", m.drain.Checker); err != nil {
			return nil, err
		}
	} else if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	// setupStatus starts the policy and exception status controllers.
	var setupStatus func() error
	if opts.EnableReconciler {
		// The drift reconcilers' Events are best effort: a mass
		// remediation or a resync of many violating objects must not
		// double the API server's writes. An exception's Expired,
		// Invalidated and Reactivated Events, each recorded once when its
		// state changes, are never dropped for them.
		unbounded := mgr.GetEventRecorder("ackguard")
		recorder := controllers.NewBoundedRecorder(unbounded, opts.EventQPS, opts.EventBurst, mets.EventsDropped)
		watchGovernance := governed
		store := reports.New(mgr.GetClient(), mgr.GetAPIReader(), reports.Options{
			FlushInterval: opts.ReportFlushInterval, MaxResults: opts.ReportMaxResults,
		})
		if err := mgr.Add(store); err != nil {
			return nil, err
		}
		setupStatus = func() error {
			return controllers.SetupGovernance(mgr, controllers.GovernanceOptions{
				Source: source, Counts: store.PolicyCounts, Recorder: unbounded, Metrics: mets,
				PolicyResync: opts.PolicyStatusInterval,
			})
		}
		if watchGovernance {
			if err := setupStatus(); err != nil {
				return nil, err
			}
		}
		// One token bucket for every kind's reconciler: the API server and
		// the AWS APIs behind ACK see at most this many fixes a second.
		limiter := rate.NewLimiter(rate.Inf, 1)
		if opts.MaxPatchesPerSecond > 0 {
			limiter = rate.NewLimiter(rate.Limit(opts.MaxPatchesPerSecond), max(int(opts.MaxPatchesPerSecond), 1))
		}
		// One remediation memory for every kind's reconciler, kept when a
		// kind's reconciler is started again.
		memory := &controllers.RemediationMemory{}
		m.Kinds = &controllers.KindWatcher{
			Manager:  mgr,
			Kinds:    GuardedKinds(registry),
			Interval: opts.KindPollInterval,
			Served:   served,
			New: func(gvk schema.GroupVersionKind) *controllers.DriftReconciler {
				return &controllers.DriftReconciler{
					Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Registry: registry, Config: ruleCfg, GVK: gvk, Recorder: recorder,
					Governance: source, WatchGovernance: watchGovernance, Results: store,
					MaxAttempts: opts.RemediationMaxAttempts, Window: opts.RemediationWindow, Backoff: opts.RemediationBackoff,
					Limiter: limiter, Metrics: mets,
					Workers: opts.ReconcileWorkers, Memory: memory,
				}
			},
		}
		if err := mgr.Add(m.Kinds); err != nil {
			return nil, err
		}
	}
	if !governed {
		// ackguard's CRDs installed later are picked up without a restart.
		m.governance = &governanceWatcher{mgr: mgr, snap: snap, kinds: m.Kinds, setupStatus: setupStatus, interval: opts.KindPollInterval}
		if err := mgr.Add(m.governance); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Governed reports whether ackguard's CRDs are watched: at start, or since
// they were installed.
func (m *Manager) Governed() bool {
	return m.governance == nil || m.governance.done.Load()
}

// governanceWatcher waits for ackguard's CRDs when they were not installed
// at start, then watches policies and exceptions: the snapshot every
// replica's webhook reads, the reconcilers' re-judging, the status
// controllers. It runs on every replica.
type governanceWatcher struct {
	mgr         ctrl.Manager
	snap        *govsource.Snapshot
	kinds       *controllers.KindWatcher
	setupStatus func() error
	interval    time.Duration
	done        atomic.Bool
}

func (w *governanceWatcher) NeedLeaderElection() bool { return false }

func (w *governanceWatcher) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("policies")
	interval := w.interval
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for !governanceServed(w.mgr) {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	if err := w.snap.WatchGovernance(ctx, w.mgr.GetCache()); err != nil {
		return err
	}
	if w.setupStatus != nil {
		if err := w.setupStatus(); err != nil {
			return err
		}
	}
	if w.kinds != nil {
		if err := w.kinds.EnableGovernance(); err != nil {
			return err
		}
	}
	w.done.Store(true)
	log.Info("ackguard's CRDs are installed: GuardrailPolicies and GuardrailExceptions now apply")
	<-ctx.Done()
	return nil
}

// governanceServed reports whether both of ackguard's kinds are served now.
func governanceServed(mgr ctrl.Manager) bool {
	for _, kind := range []string{"GuardrailPolicy", "GuardrailException"} {
		if _, err := mgr.GetRESTMapper().RESTMapping(v1alpha1.GroupVersion.WithKind(kind).GroupKind(), v1alpha1.GroupVersion.Version); err != nil {
			return false
		}
	}
	return true
}

// governanceInstalled reports whether ackguard's own CRDs are served; without
// them there are no policies to watch and the baseline applies. Any other
// error (the API server not answering) counts as installed: watching them
// then fails and the manager does not start, rather than applying the
// baseline for good.
func governanceInstalled(mgr ctrl.Manager) bool {
	for _, kind := range []string{"GuardrailPolicy", "GuardrailException"} {
		if _, err := mgr.GetRESTMapper().RESTMapping(v1alpha1.GroupVersion.WithKind(kind).GroupKind(), v1alpha1.GroupVersion.Version); err != nil {
			if !meta.IsNoMatchError(err) {
				return true
			}
			ctrl.Log.WithName("setup").Info("ackguard's CRDs are not installed: the built-in baseline applies until they are (checked every --kind-poll-interval)",
				"kind", kind, "reason", err.Error())
			return false
		}
	}
	return true
}

// cacheWarmer waits for the informers the webhook reads (policies,
// exceptions, namespaces) to sync, builds the governance snapshot, reports
// ready then, and says at start which policies are in force, or that the
// built-in baseline applies. It runs on every replica.
type cacheWarmer struct {
	mgr    ctrl.Manager
	source *govsource.Source
	ready  atomic.Bool
}

// NeedLeaderElection: every replica serves the webhook.
func (w *cacheWarmer) NeedLeaderElection() bool { return false }

// Checker is the readiness check.
func (w *cacheWarmer) Checker(_ *http.Request) error {
	if !w.ready.Load() {
		return fmt.Errorf("the governance snapshot has not been built yet")
	}
	return nil
}

func (w *cacheWarmer) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("policies")
	if !w.mgr.GetCache().WaitForCacheSync(ctx) || !toolscache.WaitForCacheSync(ctx.Done(), w.source.Snapshot.HasSynced) {
		return nil
	}
	eng := w.source.Snapshot.Engine() // the first build
	w.ready.Store(true)
	if eng.Implicit() {
		log.Info("no usable GuardrailPolicy in the cluster: applying the built-in baseline (every rule at its catalog default)")
	} else {
		log.Info("GuardrailPolicies in force", "policies", eng.Policies())
	}
	<-ctx.Done()
	return nil
}

// GuardedKinds returns the ACK kinds the registry guards, at the version
// every ACK controller serves (v1alpha1).
func GuardedKinds(r *rules.Registry) []schema.GroupVersionKind {
	var out []schema.GroupVersionKind
	for _, gk := range r.Kinds() {
		out = append(out, gk.WithVersion("v1alpha1"))
	}
	return out
}

// Run builds the operator and runs it until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	m, err := New(cfg, opts)
	if err != nil {
		return err
	}
	return m.Start(ctx)
}
