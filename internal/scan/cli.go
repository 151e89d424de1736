package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ackguard/ackguard/internal/cmdutil"
)

const long = `Judge Kubernetes manifests offline with ackguard's rules, as admission
would. A PATH is a file, a directory (searched recursively for .yaml, .yml
and .json files; hidden directories are skipped) or - for standard input.

Resources are judged under the GuardrailPolicies and GuardrailExceptions
(policy.ackguard.dev/v1alpha1) found in the PATHs and in --policy, with
namespaces selected by the labels of the v1 Namespaces found there; with
no GuardrailPolicy, the built-in baseline (every rule at its catalog
default) applies, as in a cluster without one.

Exit status: 0 if nothing would be denied, 1 if a resource would be denied,
2 on a usage error or an input that cannot be read or decoded (a policy or
exception with problems included: one the cluster would refuse, or one
naming rule IDs or kinds this version does not know).`

const example = `  # the cluster's policies from the GitOps repository, the app's manifests
  ackguard scan --policy platform/guardrails/ apps/shop/

  # or the live cluster's policies
  kubectl get guardrailpolicies,guardrailexceptions,namespaces -A -o yaml \
    | ackguard scan --policy - apps/shop/

  # rendered manifests from standard input, as JSON for a pipeline
  kustomize build overlays/prod | ackguard scan -o json -`

// OutputFormats are the values --output accepts, the default first.
var OutputFormats = []string{OutputText, OutputJSON}

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

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
			rep := Scan(cmd.Context(), paths, stdin, *o)
			if err := Write(rep, o.Output, stdout, stderr); err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, fmt.Errorf("writing the report: %w", err))
			}
			return cmdutil.Exit(rep.ExitCode())
		},
	}
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	BindFlags(cmd.Flags(), o)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(OutputFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// BindFlags registers scan's flags on fs, writing into o. It is the one
// place scan's flags are declared.
func BindFlags(fs *pflag.FlagSet, o *Options) {
	if o.Output == "" {
		o.Output = OutputFormats[0]
	}
	fs.VarP(cmdutil.NewEnum(&o.Output, OutputFormats...), "output", "o", "output `FORMAT`: "+strings.Join(OutputFormats, " or "))
	fs.Var(&accountList{&o.Config.OwnerAccounts}, "owner-account",
		"AWS account `ID` (12 digits) that owns the resources; repeatable, or comma-separated")
	fs.Var(&pathList{&o.Policies}, "policy",
		"file, directory or - to read GuardrailPolicies, GuardrailExceptions and Namespaces from `PATH` (other documents there are not judged); repeatable")
	fs.Var((*timeValue)(&o.Now), "now",
		"judge exceptions at `TIME` (RFC 3339, such as 2026-01-31T00:00:00Z) instead of the current time")
}

// accountList is a repeatable, comma-separable list of AWS account IDs.
type accountList struct{ ids *[]string }

func (l *accountList) String() string { return strings.Join(*l.ids, ",") }
func (l *accountList) Type() string   { return "ID" }
func (l *accountList) Set(v string) error {
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		if !accountIDRe.MatchString(a) {
			return fmt.Errorf("%q is not a 12-digit AWS account ID", a)
		}
		if !slices.Contains(*l.ids, a) {
			*l.ids = append(*l.ids, a)
		}
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
