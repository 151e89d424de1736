package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/ruledoc"
	"github.com/ackguard/ackguard/internal/rules"
)

const long = `Judge Kubernetes manifests offline with ackguard's rules, as admission
would. A PATH is a file, a directory (searched recursively for .yaml, .yml
and .json files; hidden directories are skipped) or - for standard input.
A directory holding kustomization.yaml is built as kubectl apply -k would
(local files only, no plugins; --kustomize=false reads its files instead),
one holding Chart.yaml rendered as helm template would (default values,
then each --values file; the kinds ackguard guards are served to
.Capabilities.APIVersions, with --api-versions), and the built objects are
judged. Objects of
kinds ackguard does not guard are skipped and counted.

Resources are judged under the GuardrailPolicies and GuardrailExceptions
(policy.ackguard.dev/v1alpha1) found in the PATHs and in --policy, with
namespaces selected by the labels of the v1 Namespaces found there; a
namespaced object that names no namespace is judged in --namespace
(default "default"), where kubectl apply -n would create it; with
no GuardrailPolicy, the built-in baseline (every rule at its catalog
default) applies, as in a cluster without one. A resource is judged as its
creation, or, when --base holds it under the same kind, namespace and name,
as the UPDATE from there: what it already had then warns, as the webhook
judges an update.

Outputs: text (grouped by file and resource, file:line for each finding,
coloured on a terminal unless NO_COLOR is set), json (the published
report), sarif (SARIF 2.1.0, for code scanning) and junit (JUnit XML).

Exit status: 0 if nothing would be denied, 1 if a resource would be denied
(with --fail-on warn: also admitted with warnings; with --fail-on never:
never), 2 on a usage error or an input that cannot be read or decoded (a policy or
exception with problems included: one the cluster would refuse, or one
naming rule IDs or kinds this version does not know).`

const example = `  # the cluster's policies from the GitOps repository, the app's manifests
  ackguard scan --policy platform/guardrails/ apps/shop/

  # or the live cluster's policies
  kubectl get guardrailpolicies,guardrailexceptions,namespaces -A -o yaml \
    | ackguard scan --policy - apps/shop/

  # rendered manifests from standard input, as JSON for a pipeline
  kustomize build overlays/prod | ackguard scan -o json -

  # a pull-request gate that code scanning displays, on a few rules first
  ackguard scan -o sarif --rules 'S3-*,IAM-001' deploy/ > ackguard.sarif

  # a pull request judged as the cluster will judge it: what the target
  # branch already had warns, what the change brings denies
  git worktree add /tmp/base origin/main
  ackguard scan --base /tmp/base/deploy/ deploy/`

// OutputFormats are the values --output accepts, the default first.
var OutputFormats = []string{OutputText, OutputJSON, OutputSARIF, OutputJUnit}

// FailOnValues are the values --fail-on accepts, the default first.
var FailOnValues = []string{FailOnDeny, FailOnWarn, FailOnNever}

// NewCommand returns "ackguard scan". Its exit code (through
// cmdutil.Execute) is the report's: 0 clean, 1 denied, 2 error.
func NewCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	o := &Options{Output: OutputText}
	cmd := &cobra.Command{
		Use:     "scan [flags] PATH...",
		Short:   "Judge manifests offline under their GuardrailPolicies (exit 0 clean, 1 denied, 2 error)",
		Long:    long,
		Example: example,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("no path to scan: give files, directories or - for standard input")
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := stdinConflict(paths, *o); err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			opts := *o
			opts.Color = colorOutput(stdout)
			rep := Scan(cmd.Context(), paths, stdin, opts)
			if err := WriteReport(rep, opts, stdout, stderr); err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, fmt.Errorf("writing the report: %w", err))
			}
			return cmdutil.Exit(rep.ExitCodeFor(opts.FailOn))
		},
	}
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	BindFlags(cmd.Flags(), o)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(OutputFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions(FailOnValues, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// BindFlags registers scan's flags on fs, writing into o. It is the one
// place scan's flags are declared.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	if o.Output == "" {
		o.Output = OutputFormats[0]
	}
	fs.VarP(cmdutil.NewEnum(&o.Output, OutputFormats...), "output", "o", "output `FORMAT`: "+strings.Join(OutputFormats, " or "))
	fs.Var(&csvList{values: &o.Config.OwnerAccounts, typ: "ID", check: accountID}, "owner-account",
		"AWS account `ID` (12 digits) that owns the resources; repeatable, or comma-separated")
	if o.Config.Partition == "" {
		o.Config.Partition = policy.Partitions[0]
	}
	fs.Var(cmdutil.NewEnum(&o.Config.Partition, policy.Partitions...), "aws-partition",
		"AWS `PARTITION` of the resources that do not tell theirs (no partition or region in their status, no services.k8s.aws/region annotation, no ARN, no services.k8s.aws/default-region annotation on their Namespace in the input), as the manager's --aws-partition: "+strings.Join(policy.Partitions, ", "))
	fs.Var(&pathList{&o.Base}, "base",
		"file, directory or - holding the resources as they are before the change (the target branch's manifests, or kubectl get -o yaml of the cluster): a resource found there under the same kind, namespace and name is judged as the UPDATE from it, as the webhook judges it, so that what it already had warns instead of denying, and rules refer to the objects it holds that the change does not (a Function's Role), as the webhook reads them from the cluster; repeatable")
	fs.Var(&pathList{&o.Policies}, "policy",
		"file, directory or - to read GuardrailPolicies, GuardrailExceptions and Namespaces from `PATH`, with the owner accounts in resources' status (an export of the cluster; other documents there are not judged; a PATH holding none is an error, but for an empty List, kubectl get -o yaml of a cluster that holds none); repeatable")
	fs.Var((*timeValue)(&o.Now), "now",
		"judge exceptions at `TIME` (RFC 3339, such as 2026-01-31T00:00:00Z) instead of the current time")
	if o.FailOn == "" {
		o.FailOn = FailOnValues[0]
	}
	fs.Var(cmdutil.NewEnum(&o.FailOn, FailOnValues...), "fail-on",
		"what exits 1: deny (a resource would be denied), warn (denied or admitted with warnings) or never")
	fs.Var(&ruleGlobs{&o.Rules}, "rules",
		"report only the rules matching these IDs or `GLOBS`, comma-separated (S3-001,IAM-*); repeatable")
	fs.Var(&ruleGlobs{&o.SkipRules}, "skip-rules",
		"do not report the rules matching these IDs or `GLOBS`, comma-separated; repeatable")
	fs.Var(&globList{&o.Exclude}, "exclude",
		"do not read what a directory walk finds matching `GLOB`: a name (vendor, *.test.yaml) or a path (charts/*/ci, where a ** segment is any number of directories: **/ci); repeatable")
	kf := fs.VarPF((*notBool)(&o.NoKustomize), "kustomize", "",
		"build directories holding a kustomization (kubectl apply -k) and judge the built objects; false reads their files as they are")
	kf.NoOptDefVal = "true"
	fs.Var(&pathList{&o.Values}, "values",
		"values `FILE` for the charts rendered, over their default values (as helm template -f); repeatable; one that cannot be read, or given while no input is a chart, is an input error")
	fs.Var(&csvList{values: &o.APIVersions, typ: "VERSIONS", check: apiVersion}, "api-versions",
		"more API `VERSIONS` charts see served in .Capabilities.APIVersions (group/version or group/version/Kind, comma-separated; those of the kinds ackguard guards always are), as helm template --api-versions; repeatable")
	if o.ReleaseName == "" {
		o.ReleaseName = DefaultReleaseName
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	fs.StringVar(&o.ACKNamespace, "ack-namespace", owners.DefaultACKNamespace,
		"`NAMESPACE` of the ACK controllers: ACK's cross-account role map ConfigMaps name owner accounts only there, as for the manager; empty reads none")
	fs.StringVar(&o.ReleaseName, "release-name", o.ReleaseName, "release `NAME` charts are rendered for")
	fs.VarPF(cmdutil.NewNamespace(&o.Namespace), "namespace", "n",
		"`NAMESPACE` the namespaced objects that name none are judged in, as kubectl apply -n creates them there (charts too, unless --release-namespace)").DefValue = o.Namespace
	fs.Var(cmdutil.NewNamespace(&o.ReleaseNamespace), "release-namespace",
		"release `NAMESPACE` charts are rendered in, and their objects that name none judged in (default: --namespace)")
}

// stdinConflict refuses --values - beside a PATH, --policy or --base -:
// both would read standard input, and one of them would read nothing.
func stdinConflict(paths []string, o Options) error {
	if !slices.Contains(o.Values, "-") {
		return nil
	}
	for _, inputs := range [][]string{paths, o.Policies, o.Base} {
		if slices.Contains(inputs, "-") {
			return errors.New("--values - and - as an input both read standard input: give the values or the manifests as a file")
		}
	}
	return nil
}

// ruleGlobs is a repeatable, comma-separable list of rule IDs or globs,
// each matching a rule of this version.
type ruleGlobs struct{ globs *[]string }

func (l *ruleGlobs) String() string { return strings.Join(*l.globs, ",") }
func (l *ruleGlobs) Type() string   { return "GLOBS" }
func (l *ruleGlobs) Set(v string) error {
	for _, g := range strings.Split(v, ",") {
		g = strings.ToUpper(strings.TrimSpace(g))
		if _, err := path.Match(g, ""); err != nil || g == "" {
			return fmt.Errorf("%q is not a rule ID or glob such as S3-001 or IAM-*", g)
		}
		if !slices.ContainsFunc(rules.Default().Rules(), func(r *rules.Rule) bool { return matchAny([]string{g}, r.ID) }) {
			if near := ruledoc.Suggest(rules.Default(), g); len(near) > 0 && !strings.ContainsAny(g, "*?[") {
				return fmt.Errorf("%q matches no rule of this version; did you mean %s? (see ackguard rules)", g, strings.Join(near, ", "))
			}
			return fmt.Errorf("%q matches no rule of this version (see ackguard rules)", g)
		}
		*l.globs = append(*l.globs, g)
	}
	return nil
}

// globList is a repeatable list of path globs.
type globList struct{ globs *[]string }

func (l *globList) String() string { return strings.Join(*l.globs, ",") }
func (l *globList) Type() string   { return "GLOB" }
func (l *globList) Set(v string) error {
	g := trimSlashes(v)
	if _, err := path.Match(g, ""); err != nil || g == "" {
		return fmt.Errorf("%q is not a valid glob", v)
	}
	*l.globs = append(*l.globs, g)
	return nil
}

// trimSlashes drops the slashes that end a glob: "vendor/" names the
// directory vendor, as a shell completes it.
func trimSlashes(g string) string {
	return strings.TrimRight(g, "/")
}

// notBool is a boolean flag stored negated (--kustomize sets
// Options.NoKustomize to false).
type notBool bool

func (b *notBool) String() string { return strconv.FormatBool(!bool(*b)) }
func (b *notBool) Type() string   { return "bool" }
func (b *notBool) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*b = notBool(!on)
	return nil
}

// colorOutput reports whether to colour the text written to w: only on a
// terminal, and not when NO_COLOR is set to anything (no-color.org) or
// TERM is dumb.
func colorOutput(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// csvList is a repeatable, comma-separable list flag: each value is
// trimmed, checked and kept once.
type csvList struct {
	values *[]string
	typ    string
	check  func(string) error
}

func (l *csvList) String() string { return strings.Join(*l.values, ",") }
func (l *csvList) Type() string   { return l.typ }
func (l *csvList) Set(v string) error {
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		if err := l.check(a); err != nil {
			return err
		}
		if !slices.Contains(*l.values, a) {
			*l.values = append(*l.values, a)
		}
	}
	return nil
}

// accountID checks an AWS account ID.
func accountID(a string) error {
	if !policy.IsAccountID(a) {
		return fmt.Errorf("%q is not a 12-digit AWS account ID", a)
	}
	return nil
}

// apiVersion checks an API version as helm template --api-versions takes it.
func apiVersion(a string) error {
	if a == "" || strings.ContainsAny(a, " \t") {
		return fmt.Errorf("%q is not an API version such as networking.k8s.io/v1 or cert-manager.io/v1/Certificate", a)
	}
	return nil
}

// pathList is a repeatable list of paths.
type pathList struct{ paths *[]string }

func (l *pathList) String() string { return strings.Join(*l.paths, ",") }
func (l *pathList) Type() string   { return "PATH" }
func (l *pathList) Set(v string) error {
	if v == "" {
		return errors.New("empty path")
	}
	*l.paths = append(*l.paths, v)
	return nil
}

// timeValue is an RFC 3339 time; zero means unset.
type timeValue time.Time

func (t *timeValue) String() string {
	if time.Time(*t).IsZero() {
		return ""
	}
	return time.Time(*t).Format(time.RFC3339)
}
func (t *timeValue) Type() string { return "TIME" }
func (t *timeValue) Set(v string) error {
	parsed, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
	}
	*t = timeValue(parsed)
	return nil
}

// Run is "ackguard scan": it parses args (without the program and command
// names), scans, writes the report and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunContext(context.Background(), args, stdin, stdout, stderr)
}

// RunContext is Run with a context that interrupts the scan when done.
func RunContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := NewCommand(stdin, stdout, stderr)
	cmd.SetContext(ctx)
	return cmdutil.Execute(cmd, args, stderr)
}
