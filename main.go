// Command ackguard keeps AWS resources managed through AWS Controllers for
// Kubernetes (ACK) on the safe side of the shared-responsibility line.
//
//	ackguard manager [flags]        run the validating webhook and drift reconciler
//	ackguard scan [flags] PATH...   judge manifests offline, under their GuardrailPolicies (for GitOps pipelines)
//	ackguard rules                  list the rules
//	ackguard version
//
// main.go only wires flags to the packages that do the work.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/scan"
)

// version, commit and date say what the binary was built from: the build
// stamps them (-ldflags "-X main.version=... -X main.commit=... -X main.date=...",
// see LDFLAGS in the Makefile and .goreleaser.yaml); buildinfo.go fills in
// what a plain go build or go install left unstamped.
var version, commit, date string

const usage = `ackguard keeps ACK-managed AWS resources on the safe side.

Usage:
  ackguard manager [flags]       run the validating webhook and the drift reconciler
  ackguard scan [flags] PATH...  judge manifests offline under their GuardrailPolicies (exit 0 clean, 1 denied, 2 error)
  ackguard rules [--markdown]    list the rules
  ackguard version               print the version

Run "ackguard COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "manager":
		return runManager(args[1:], stderr)
	case "scan":
		return scan.Run(args[1:], stdin, stdout, stderr)
	case "rules":
		if len(args) > 1 && (args[1] == "--markdown" || args[1] == "-o=markdown") {
			printRulesMarkdown(stdout)
			return 0
		}
		printRules(stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ackguard: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// stringList is a repeatable, comma-separable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

func runManager(args []string, stderr io.Writer) int {
	o := manager.DefaultOptions()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint (\"0\" disables it)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of the /healthz and /readyz endpoints")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "address of the net/http/pprof endpoints (/debug/pprof/); empty keeps them off (bind to loopback: profiles expose internals)")
	fs.IntVar(&o.WebhookPort, "webhook-port", o.WebhookPort, "port the webhook server listens on")
	fs.StringVar(&o.WebhookCertDir, "webhook-cert-dir", o.WebhookCertDir, "folder holding tls.crt and tls.key for the webhook server")
	fs.BoolVar(&o.LeaderElection, "leader-elect", o.LeaderElection, "elect a leader so only one replica runs the reconcilers")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "namespace of the leader-election lease (default: the pod's namespace)")
	fs.BoolVar(&o.EnableWebhook, "enable-webhook", o.EnableWebhook, "serve the validating webhook")
	fs.BoolVar(&o.EnableReconciler, "enable-reconciler", o.EnableReconciler, "run the drift reconcilers")
	owners := stringList{}
	fs.Var(&owners, "owner-account", "AWS account ID that owns the guarded resources (repeatable or comma-separated)")
	ack := stringList{}
	fs.Var(&ack, "ack-controller", "namespace:serviceaccount of an ACK controller whose writes are admitted with a warning (repeatable; default: "+strings.Join(o.ACKControllers, ",")+")")
	fs.DurationVar(&o.KindPollInterval, "kind-poll-interval", o.KindPollInterval, "how often to look for ACK kinds installed after start")
	fs.IntVar(&o.RemediationMaxAttempts, "remediation-max-attempts", o.RemediationMaxAttempts, "patches of one object within --remediation-window before ackguard stops fighting its source of truth")
	fs.DurationVar(&o.RemediationWindow, "remediation-window", o.RemediationWindow, "window for --remediation-max-attempts")
	fs.IntVar(&o.ReconcileWorkers, "reconcile-workers", o.ReconcileWorkers, "objects of one kind the reconciler judges and patches at once")
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
	zopts := zap.Options{}
	zopts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	o.OwnerAccounts = owners
	if len(ack) > 0 {
		o.ACKControllers = ack
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintln(stderr, "ackguard manager:", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zopts)))
	log := ctrl.Log.WithName("setup")
	log.Info("starting ackguard", "version", version, "webhook", o.EnableWebhook, "reconciler", o.EnableReconciler,
		"ownerAccounts", o.OwnerAccounts, "ackControllers", o.ACKControllers)
	if len(o.OwnerAccounts) == 0 {
		log.Info("no --owner-account set: every AWS account principal counts as external")
	}
	if err := manager.Run(ctrl.SetupSignalHandler(), ctrl.GetConfigOrDie(), o); err != nil {
		log.Error(err, "manager stopped")
		return 1
	}
	return 0
}

func printRules(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tADMISSION\tREMEDIATION\tBASELINE\tFSBP\tTITLE")
	for _, r := range rules.Default().Rules() {
		fsbp := strings.Join(r.References.FSBP, ",")
		if fsbp == "" {
			fsbp = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Admission, r.Remediation, governance.CatalogAction(r), fsbp, r.Title)
	}
	_ = tw.Flush()
}

// printRulesMarkdown prints the rule table the README carries.
func printRulesMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| ID | Check | Kinds | Sev | Admission | Remediation | Baseline action | Maps to |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rules.Default().Rules() {
		var kinds []string
		for _, k := range r.Kinds {
			kinds = append(kinds, k.Kind)
		}
		var refs []string
		for _, group := range [][]string{r.References.FSBP, r.References.Checkov, r.References.Config} {
			if len(group) > 0 {
				refs = append(refs, strings.Join(group, ", "))
			}
		}
		rem := string(r.Remediation)
		if r.Fixer != nil && r.Remediation == rules.Audit {
			rem += " (fix opt-in)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.ID, r.Title, strings.Join(kinds, ", "), r.Severity, r.Admission, rem, governance.CatalogAction(r), strings.Join(refs, "; "))
	}
}
