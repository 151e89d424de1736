package scan

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ackguard/ackguard/internal/rules"
)

const usage = `Usage: ackguard scan [flags] PATH...

Judge Kubernetes manifests offline with ackguard's rules, as admission
would. A PATH is a file, a directory (searched recursively for .yaml, .yml
and .json files; hidden directories are skipped) or - for standard input.
A directory holding kustomization.yaml is built as kubectl apply -k would
(local files only, no plugins), one holding Chart.yaml rendered as helm
template would, and the built objects are judged.

Resources are judged under the GuardrailPolicies and GuardrailExceptions
(policy.ackguard.dev/v1alpha1) found in the PATHs and in --policy, with
namespaces selected by the labels of the v1 Namespaces found there; with
no GuardrailPolicy, the built-in baseline (every rule at its catalog
default) applies, as in a cluster without one.

Flags:
  -o, --output FORMAT     text (default), json, sarif (SARIF 2.1.0, for code
                          scanning) or junit (JUnit XML, for test reports)
      --fail-on WHAT      deny (default): exit 1 when a resource would be
                          denied; warn: also when admitted with warnings;
                          never: exit 0 whatever the findings (input errors
                          still exit 2)
      --rules GLOBS       report only the rules matching these IDs or globs,
                          comma-separated (S3-001,IAM-*); repeatable
      --skip-rules GLOBS  do not report the rules matching these; repeatable
      --kustomize=false   read a directory holding kustomization.yaml as plain
                          files instead of building it (kustomize build)
      --values FILE       values file for the charts rendered, over their
                          default values (as helm template -f); repeatable
      --release-name NAME, --release-namespace NS
                          the release a chart is rendered for (default
                          release-name in default, as helm template)
      --exclude GLOB      do not read the paths matching GLOB while walking a
                          directory (a name such as vendor or *.test.yaml, or
                          a path such as charts/*/ci); repeatable
      --owner-account ID  AWS account ID (12 digits) that owns the resources;
                          repeatable, or comma-separated
      --policy PATH       file, directory or - to read GuardrailPolicies,
                          GuardrailExceptions and Namespaces from (other
                          documents there are not judged); repeatable
      --now TIME          judge exceptions at TIME (RFC 3339, such as
                          2026-01-31T00:00:00Z) instead of the current time
  -h, --help              show this help

Text output is coloured on a terminal unless NO_COLOR is set.

Exit status: 0 if nothing would be denied, 1 if a resource would be denied
(or, with --fail-on warn, admitted with warnings),
2 on a usage error or an input that cannot be read or decoded (a policy or
exception with problems included: one the cluster would refuse, or one
naming rule IDs or kinds this version does not know).
`

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// Run is "ackguard scan": it parses args (without the program and command
// names), scans, writes the report and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunContext(context.Background(), args, stdin, stdout, stderr)
}

// RunContext is Run with a context that interrupts the scan when done.
func RunContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed below, on stdout for -h
	output := OutputText
	fs.StringVar(&output, "output", OutputText, "output format: text, json, sarif or junit")
	fs.StringVar(&output, "o", OutputText, "shorthand for --output")
	var owners []string
	fs.Func("owner-account", "AWS account ID that owns the resources (repeatable)", func(v string) error {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if !accountIDRe.MatchString(a) {
				return fmt.Errorf("%q is not a 12-digit AWS account ID", a)
			}
			if !slices.Contains(owners, a) {
				owners = append(owners, a)
			}
		}
		return nil
	})
	var policies []string
	fs.Func("policy", "file, directory or - to read GuardrailPolicies, GuardrailExceptions and Namespaces from (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("empty path")
		}
		policies = append(policies, v)
		return nil
	})
	failOn := FailOnDeny
	fs.Func("fail-on", "deny, warn or never", func(v string) error {
		if v != FailOnDeny && v != FailOnWarn && v != FailOnNever {
			return fmt.Errorf("%q is not deny, warn or never", v)
		}
		failOn = v
		return nil
	})
	var ruleGlobs, skipGlobs, exclude []string
	fs.Func("rules", "rule IDs or globs to report (repeatable, comma-separated)", globList(&ruleGlobs))
	fs.Func("skip-rules", "rule IDs or globs not to report (repeatable, comma-separated)", globList(&skipGlobs))
	fs.Func("exclude", "glob of paths not to read (repeatable)", func(v string) error {
		if _, err := path.Match(v, ""); err != nil || v == "" {
			return fmt.Errorf("%q is not a valid glob", v)
		}
		exclude = append(exclude, v)
		return nil
	})
	kustomize := true
	fs.BoolVar(&kustomize, "kustomize", true, "build directories holding a kustomization")
	var valueFiles []string
	fs.Func("values", "values file for the charts rendered (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("empty path")
		}
		valueFiles = append(valueFiles, v)
		return nil
	})
	var releaseName, releaseNamespace string
	fs.StringVar(&releaseName, "release-name", DefaultReleaseName, "release name charts are rendered for")
	fs.StringVar(&releaseNamespace, "release-namespace", DefaultReleaseNamespace, "release namespace charts are rendered for")
	var now time.Time
	fs.Func("now", "time to judge exceptions at (RFC 3339)", func(v string) error {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
		}
		now = t
		return nil
	})

	paths, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case err != nil:
		// The flag package has printed the error.
		fmt.Fprint(stderr, usage)
		return 2
	}
	if !slices.Contains(Outputs, output) {
		fmt.Fprintf(stderr, "invalid value %q for flag --output: want %s\n", output, strings.Join(Outputs, ", "))
		fmt.Fprint(stderr, usage)
		return 2
	}
	for _, g := range append(slices.Clone(ruleGlobs), skipGlobs...) {
		if !matchesARule(g) {
			fmt.Fprintf(stderr, "invalid rule selection %q: it matches no rule of this version (see ackguard rules)\n", g)
			return 2
		}
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "no path to scan: give files, directories or - for standard input")
		fmt.Fprint(stderr, usage)
		return 2
	}

	opts := Options{Output: output, Config: rules.Config{OwnerAccounts: owners}, Policies: policies, Now: now,
		Rules: ruleGlobs, SkipRules: skipGlobs, Exclude: exclude, FailOn: failOn, Color: colorOutput(stdout),
		NoKustomize: !kustomize, Values: valueFiles, ReleaseName: releaseName, ReleaseNamespace: releaseNamespace}
	rep := Scan(ctx, paths, stdin, opts)
	if err := WriteReport(rep, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "error: writing the report: %v\n", err)
		return 2
	}
	return rep.ExitCodeFor(failOn)
}

// matchesARule reports whether a rule ID glob matches a rule.
func matchesARule(glob string) bool {
	for _, r := range rules.Default().Rules() {
		if matchAny([]string{glob}, r.ID) {
			return true
		}
	}
	return false
}

// globList parses comma-separated rule ID globs into *dst.
func globList(dst *[]string) func(string) error {
	return func(v string) error {
		for _, g := range strings.Split(v, ",") {
			g = strings.ToUpper(strings.TrimSpace(g))
			if _, err := path.Match(g, ""); err != nil || g == "" {
				return fmt.Errorf("%q is not a rule ID or glob such as S3-001 or IAM-*", g)
			}
			*dst = append(*dst, g)
		}
		return nil
	}
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

// parseArgs parses flags anywhere among the paths ("scan dir -o json"),
// as kubectl does; after "--" every argument is a path.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return paths, nil
		}
		// Parse stops at the first non-flag argument, or just after "--".
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(paths, rest...), nil
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
}
