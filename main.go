// Command ackguard keeps AWS resources managed through AWS Controllers for
// Kubernetes (ACK) on the safe side of the shared-responsibility line.
//
//	ackguard manager [flags]        run the validating webhook and drift reconciler
//	ackguard scan [flags] PATH...   judge manifests offline, under their GuardrailPolicies (for GitOps pipelines)
//	ackguard rules [-o FORMAT]      list the rules
//	ackguard explain RULE-ID        explain one rule, with examples
//	ackguard check-webhook [--namespace NS]   check that the cluster's webhook denies an insecure Bucket
//	ackguard version
//	ackguard completion SHELL       shell completion (bash, zsh, fish, powershell)
//
// main.go only wires commands and flags to the packages that do the work.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/probe"
	"github.com/ackguard/ackguard/internal/scan"
)

// version, commit and date say what the binary was built from: the build
// stamps them (-ldflags "-X main.version=... -X main.commit=... -X main.date=...",
// see LDFLAGS in the Makefile and .goreleaser.yaml); buildinfo.go fills in
// what a plain go build or go install left unstamped.
var version, commit, date string

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args (without the program name) and
// returns the exit code: 0 success, 1 denied (scan) or a failed manager,
// 2 a usage error or unusable input.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cmdutil.Execute(newRootCommand(stdin, stdout, stderr), args, stderr)
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ackguard",
		Short: "ackguard keeps ACK-managed AWS resources on the safe side",
		Long: `ackguard keeps AWS resources managed through AWS Controllers for Kubernetes
(ACK) secure: a validating webhook and a drift reconciler in the cluster
(ackguard manager), and the same rules offline for pipelines (ackguard scan).`,
		Version: version,
		// No Args: cobra then reports an unknown command, with suggestions.
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate(versionLine() + "\n")
	root.AddCommand(
		newManagerCommand(stderr),
		scan.NewCommand(stdin, stdout, stderr),
		newRulesCommand(stdout),
		newExplainCommand(stdout),
		newVersionCommand(stdout),
		probe.NewCommand(stdout),
	)
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// An unknown shell is an error, not a reason to print help.
			c.Args = cobra.NoArgs
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		if c.Name() == "help" {
			// An unknown topic is a usage error, said on stderr, as an
			// unknown command is (cobra's prints it on stdout, exit 0).
			help := c.Run
			c.Run = nil
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if target, _, err := cmd.Root().Find(args); target == nil || err != nil {
					return cmdutil.Fail(cmdutil.ExitUsage, fmt.Errorf("unknown help topic %q (ackguard --help lists the commands)", strings.Join(args, " ")))
				}
				help(cmd, args)
				return nil
			}
		}
	}
	return root
}

func newVersionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, versionLine())
			return err
		},
	}
}
