package probe

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/cmdutil"
)

// NewCommand returns `ackguard check-webhook`, which `helm test` runs.
func NewCommand(stdout io.Writer) *cobra.Command {
	namespace := "default"
	var excluded []string
	timeout := 30 * time.Second
	var kubeContext string
	cmd := &cobra.Command{
		Use:   "check-webhook [--namespace NS]",
		Short: "Check that the cluster's ackguard webhook denies an insecure Bucket",
		Long: `Ask the API server to create a Bucket with a public-read ACL as a server-side
dry run (nothing is stored and nothing reaches AWS) and pass only when
ackguard denies it (` + Rule + `). It reads the kubeconfig as kubectl does
(--kubeconfig, $KUBECONFIG, ~/.kube/config; --context), or the pod's
service account in a cluster;
"helm test" runs it. It needs ACK's S3 CRD and permission to create Buckets
in the namespace. Exit code 0: denied by ackguard; 2: a usage error, or no
cluster to check (no kubeconfig, or one that names no file); 1: anything
else, said.`,
		Example: `  ackguard check-webhook --namespace team-a`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				// An expired deadline would fail the dry run as if the
				// API server or the webhook did.
				return cmdutil.Fail(cmdutil.ExitUsage, fmt.Errorf("--timeout must be positive, not %v", timeout))
			}
			if slices.Contains(excluded, namespace) {
				return cmdutil.Fail(cmdutil.ExitFailure, fmt.Errorf("FAIL: namespace %s is never sent to the webhook, so the check would prove nothing; check in a namespace ackguard guards", namespace))
			}
			cfg, err := cmdutil.ClusterConfig(kubeContext)
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, fmt.Errorf("FAIL: no cluster to check: %w", err))
			}
			c, err := client.New(cfg, client.Options{})
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitFailure, fmt.Errorf("FAIL: %w", err))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			denial, err := Denies(ctx, c, namespace)
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitFailure, fmt.Errorf("FAIL: %w", err))
			}
			_, err = fmt.Fprintf(stdout, "PASS: ackguard denied the insecure Bucket in %s:\n%s\n", namespace, denial)
			return err
		},
	}
	cmd.Flags().VarP(cmdutil.NewNamespace(&namespace), "namespace", "n", "`NAMESPACE` to dry-run the Bucket in")
	cmd.Flags().StringSliceVar(&excluded, "excluded-namespaces", nil, "namespaces the webhook configuration never sends (`LIST`): checking in one fails at once")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "give up after this long")
	cmd.Flags().StringVar(&kubeContext, "context", "", "the kubeconfig `CONTEXT` to use (default: its current context)")
	if f := flag.CommandLine.Lookup("kubeconfig"); f != nil { // controller-runtime's, as the manager binds it
		cmd.Flags().AddGoFlag(f)
	}
	return cmd
}
