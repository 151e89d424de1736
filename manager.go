package main

import (
	"flag"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/logging"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/policy"
)

func newManagerCommand(stderr io.Writer) *cobra.Command {
	o := manager.DefaultOptions()
	var owners, ack stringList
	zopts := zap.Options{}
	cmd := &cobra.Command{
		Use:   "manager [flags]",
		Short: "Run the validating webhook and the drift reconciler",
		Long: `Run ackguard in the cluster: the validating webhook that judges ACK resources
on admission, and the drift reconciler that reports (and, where the policy
says so, fixes) resources that are out of policy. It reads the kubeconfig
as controller-runtime does (--kubeconfig, $KUBECONFIG, in-cluster).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			o.OwnerAccounts = owners
			if len(ack) > 0 {
				o.ACKControllers = ack
			}
			if err := o.Validate(); err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			cfg, err := cmdutil.ClusterConfig("")
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			ctrl.SetLogger(logging.Lazy(zap.New(zap.UseFlagOptions(&zopts), zap.WriteTo(stderr))))
			log := ctrl.Log.WithName("setup")
			log.Info("starting ackguard", "version", version, "webhook", o.EnableWebhook, "reconciler", o.EnableReconciler,
				"ownerAccounts", o.OwnerAccounts, "awsPartition", o.Partition, "ackControllers", o.ACKControllers)
			limit, err := manager.ApplySoftMemoryLimit(os.Getenv)
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			if limit > 0 {
				log.Info("Go soft memory limit set to 90% of the container's", "bytes", limit)
			}
			procs, from, err := manager.ApplyMaxProcs(os.Getenv)
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			log.Info("Go code runs on this many CPUs at once", "GOMAXPROCS", procs, "from", from)
			if len(o.OwnerAccounts) == 0 {
				log.Info("no --owner-account set: owner accounts are learned from ACK (namespace annotations, the cross-account role map, synced resources' status); until one is known every AWS account principal counts as external")
			}
			if err := manager.Run(ctrl.SetupSignalHandler(), cfg, o); err != nil {
				log.Error(err, "manager stopped")
				return cmdutil.Exit(cmdutil.ExitFailure)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint (\"0\" disables it)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of the /healthz and /readyz endpoints")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "address of the net/http/pprof endpoints (/debug/pprof/); empty keeps them off (bind to loopback: profiles expose internals)")
	fs.IntVar(&o.WebhookPort, "webhook-port", o.WebhookPort, "port the webhook server listens on")
	fs.StringVar(&o.WebhookCertDir, "webhook-cert-dir", o.WebhookCertDir, "folder holding tls.crt and tls.key for the webhook server")
	fs.DurationVar(&o.ShutdownDelay, "shutdown-delay", o.ShutdownDelay, "how long the webhook keeps answering after SIGTERM, reporting itself not ready, so that the API servers move to other replicas before it stops (0: stop at once; a second signal stops at once)")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2, "let the webhook server speak HTTP/2 (off: HTTP/1.1 only, safe from HTTP/2 rapid-reset attacks)")
	fs.BoolVar(&o.APICompression, "kube-api-compression", o.APICompression, "ask the API server for gzip-compressed responses (off: uncompressed, which costs the API server and ackguard less CPU per watch event on a cluster network)")
	fs.BoolVar(&o.LeaderElection, "leader-elect", o.LeaderElection, "elect a leader so only one replica runs the reconcilers")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "namespace of the leader-election lease (default: the pod's namespace)")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "how long followers wait before taking over a lease the leader stopped renewing")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it gives up leading (shorter than the lease duration)")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", 2*time.Second, "how often candidates try to acquire or renew the lease")
	fs.BoolVar(&o.EnableWebhook, "enable-webhook", o.EnableWebhook, "serve the validating webhook")
	fs.BoolVar(&o.EnableReconciler, "enable-reconciler", o.EnableReconciler, "run the drift reconcilers")
	fs.Var(&owners, "owner-account", "AWS account `ID` that owns the guarded resources (repeatable or comma-separated)")
	fs.Var(cmdutil.NewEnum(&o.Partition, policy.Partitions...), "aws-partition", "AWS `PARTITION` of the guarded resources that do not tell theirs (no partition or region in their status, no services.k8s.aws/region annotation, no ARN, no services.k8s.aws/default-region annotation on their namespace): the partition of the region the ACK controllers create them in ("+strings.Join(policy.Partitions, ", ")+")")
	fs.StringVar(&o.ACKNamespace, "ack-namespace", o.ACKNamespace, "namespace of the ACK controllers, where their cross-account role map (ConfigMaps ack-role-account-map, ack-role-team-map) names owner accounts; empty reads none")
	fs.Var(&ack, "ack-controller", "`namespace:serviceaccount` of an ACK controller whose writes are admitted with a warning (repeatable; default: "+strings.Join(o.ACKControllers, ",")+")")
	fs.DurationVar(&o.KindPollInterval, "kind-poll-interval", o.KindPollInterval, "how often every replica looks for ACK kinds installed after start, or deleted")
	fs.IntVar(&o.RemediationMaxAttempts, "remediation-max-attempts", o.RemediationMaxAttempts, "patches of one object within --remediation-window before ackguard stops fighting its source of truth")
	fs.DurationVar(&o.RemediationWindow, "remediation-window", o.RemediationWindow, "window for --remediation-max-attempts")
	fs.DurationVar(&o.RemediationBackoff, "remediation-backoff", o.RemediationBackoff, "least time between the first and second fix of one object, doubled for each later one within the window")
	fs.Float64Var(&o.MaxPatchesPerSecond, "max-patches-per-second", o.MaxPatchesPerSecond, "fixes per second of all the reconcilers together (0: unbounded)")
	fs.Float64Var(&o.EventQPS, "event-qps", o.EventQPS, "Events of the drift reconcilers written per second at most (those beyond --event-burst are dropped and counted in ackguard_events_dropped_total; a GuardrailException's Expired, Invalidated and Reactivated Events are never dropped; 0: unbounded)")
	fs.IntVar(&o.EventBurst, "event-burst", o.EventBurst, "Events written at once before --event-qps applies")
	fs.DurationVar(&o.ResyncPeriod, "resync-period", o.ResyncPeriod, "how often every guarded object is judged again without any event (catches missed events, applies policy changes)")
	fs.IntVar(&o.ReconcileWorkers, "reconcile-workers", o.ReconcileWorkers, "objects of one kind the reconciler judges and patches at once (at least 1; --enable-reconciler=false turns the reconcilers off)")
	fs.DurationVar(&o.ReportFlushInterval, "report-flush-interval", o.ReportFlushInterval, "how often changed openreports.io Reports (one per namespace) are written")
	fs.IntVar(&o.ReportMaxResults, "report-max-results", o.ReportMaxResults, "most results kept in one namespace's Report (the summary still counts every result)")
	rot := &o.CertRotation
	fs.BoolVar(&rot.Enabled, "cert-rotation", false, "manage the webhook's serving certificate and CA bundle (rotated before expiry); off when cert-manager or another tool provides them")
	fs.StringVar(&rot.SecretNamespace, "cert-secret-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the certificate Secret (default: $POD_NAMESPACE)")
	fs.StringVar(&rot.SecretName, "cert-secret-name", "ackguard-webhook-server-cert", "name of the certificate Secret")
	fs.StringVar(&rot.DNSName, "webhook-dns-name", "", "DNS name the API server dials (<service>.<namespace>.svc)")
	fs.StringVar(&rot.WebhookConfiguration, "webhook-configuration-name", "ackguard-validating-webhook-configuration", "ValidatingWebhookConfiguration whose CA bundle ackguard keeps current")
	fs.DurationVar(&rot.ServerDuration, "cert-validity", 0, "validity of the server certificate (0: one year)")
	fs.DurationVar(&rot.Lookahead, "cert-renew-before", 0, "renew the certificate this long before it expires (0: 90 days)")
	fs.DurationVar(&rot.CheckFrequency, "cert-check-interval", 0, "how often to check the certificate (0: 12 hours)")
	// zap's flags (--zap-log-level, --zap-devel, ...) and controller-runtime's
	// --kubeconfig are registered on Go flag sets.
	gofs := flag.NewFlagSet("manager", flag.ContinueOnError)
	zopts.BindFlags(gofs)
	// controller-runtime's usage names epoch, which its logger no longer
	// defaults to.
	if f := gofs.Lookup("zap-time-encoding"); f != nil {
		f.Usage = "Zap time encoding (one of 'epoch', 'millis', 'nanos', 'iso8601', 'rfc3339' or 'rfc3339nano'). Defaults to 'rfc3339'."
	}
	if f := flag.CommandLine.Lookup("kubeconfig"); f != nil {
		gofs.Var(f.Value, f.Name, f.Usage)
	}
	fs.AddGoFlagSet(gofs)
	return cmd
}

// stringList is a repeatable, comma-separable flag.
type stringList []string

var _ pflag.Value = (*stringList)(nil)

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Type() string   { return "strings" }
func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}
