package scan

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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

Resources are judged under the GuardrailPolicies and GuardrailExceptions
(policy.ackguard.dev/v1alpha1) found in the PATHs and in --policy, with
namespaces selected by the labels of the v1 Namespaces found there; with
no GuardrailPolicy, the built-in baseline (every rule at its catalog
default) applies, as in a cluster without one.

Flags:
  -o, --output FORMAT     text (default) or json
      --owner-account ID  AWS account ID (12 digits) that owns the resources;
                          repeatable, or comma-separated
      --policy PATH       file, directory or - to read GuardrailPolicies,
                          GuardrailExceptions and Namespaces from (other
                          documents there are not judged); repeatable
      --now TIME          judge exceptions at TIME (RFC 3339, such as
                          2026-01-31T00:00:00Z) instead of the current time
  -h, --help              show this help

Exit status: 0 if nothing would be denied, 1 if a resource would be denied,
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
	fs.StringVar(&output, "output", OutputText, "output format: text or json")
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
	if output != OutputText && output != OutputJSON {
		fmt.Fprintf(stderr, "invalid value %q for flag --output: want text or json\n", output)
		fmt.Fprint(stderr, usage)
		return 2
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "no path to scan: give files, directories or - for standard input")
		fmt.Fprint(stderr, usage)
		return 2
	}

	opts := Options{Output: output, Config: rules.Config{OwnerAccounts: owners}, Policies: policies, Now: now}
	rep := Scan(ctx, paths, stdin, opts)
	if err := Write(rep, output, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "error: writing the report: %v\n", err)
		return 2
	}
	return rep.ExitCode()
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
