package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/view"
)

// Options for Run.
type Options struct {
	// Examples is the folder with bucket-drifted.yaml, bucket-insecure.yaml
	// and bucket-secure.yaml.
	Examples string
	// WorkDir receives the kubeconfig; default a new temporary folder,
	// removed when Run returns.
	WorkDir string
	// Out receives the narration.
	Out io.Writer
	// Wait keeps the cluster running until ctx ends; false returns after
	// the walkthrough (used by tests).
	Wait bool
}

const namespace = "demo"

// Run performs the walkthrough. Cancelled (Ctrl-C) before it ends, it
// stops as it does after it, with no error: what failed then (a kubectl
// the interrupt killed, a wait cut short) failed because of the interrupt.
func Run(ctx context.Context, opts Options) (err error) {
	defer func() {
		if err != nil && errors.Is(ctx.Err(), context.Canceled) {
			err = nil
		}
	}()
	out := opts.Out
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	step := func(format string, args ...any) { fmt.Fprintf(out, "\n==> "+format+"\n", args...) }

	crds, source, err := ackcrds.Load()
	if err != nil {
		return err
	}
	step("Starting a local control plane (kube-apiserver + etcd) with the ACK CRDs (%s)", source)
	cluster, err := localcluster.Start(localcluster.Options{CRDs: crds})
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping the local control plane")
		_ = cluster.Stop()
	}()
	workDir := opts.WorkDir
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "ackguard-demo-"); err != nil {
			return err
		}
		// The kubeconfig is of no use once the control plane stops.
		defer os.RemoveAll(workDir)
	}
	kubeconfig := filepath.Join(workDir, "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		return err
	}
	kubectl := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(cluster.AssetsDir, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		b, err := cmd.CombinedOutput()
		return strings.TrimRight(string(b), "\n"), err
	}
	show := func(args ...string) (string, error) {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = shellQuote(a)
		}
		say("$ kubectl %s", strings.Join(quoted, " "))
		text, err := kubectl(args...)
		say("%s", indent(text))
		return text, err
	}
	say("kubeconfig: %s", kubeconfig)
	if err := cluster.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}

	step("Before ackguard is installed: a Bucket with Block Public Access partly off and no TLS-only policy")
	if _, err := show("apply", "-f", filepath.Join(opts.Examples, "bucket-drifted.yaml")); err != nil {
		return fmt.Errorf("applying the drifted bucket: %w", err)
	}

	step("Starting ackguard (webhook + drift reconciler) and registering its webhook")
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	mopts := cluster.ManagerOptions()
	if _, _, err := cluster.StartAckguard(runCtx, mopts); err != nil {
		return err
	}
	if err := cluster.RegisterWebhook(ctx, admissionregistrationv1.Fail); err != nil {
		return err
	}
	if err := cluster.WaitForAdmission(ctx, namespace); err != nil {
		return err
	}

	step("A developer applies an insecure Bucket: ackguard denies it")
	if _, err := show("apply", "-f", filepath.Join(opts.Examples, "bucket-insecure.yaml")); err == nil {
		return fmt.Errorf("the insecure bucket was admitted")
	}

	step("A secure Bucket is admitted")
	if _, err := show("apply", "-f", filepath.Join(opts.Examples, "bucket-secure.yaml")); err != nil {
		return fmt.Errorf("the secure bucket was denied: %w", err)
	}

	step("The drift reconciler patched the pre-existing Bucket back")
	if err := waitRemediated(ctx, cluster.Client, "legacy-reports"); err != nil {
		return err
	}
	if _, err := show("get", "bucket", "legacy-reports", "-n", namespace, "-o", "jsonpath={.spec.publicAccessBlock}{\"\\n\"}{.spec.policy}{\"\\n\"}{.spec.tagging}{\"\\n\"}"); err != nil {
		return err
	}
	say("previous values, kept so the fix can be undone:")
	if _, err := show("get", "bucket", "legacy-reports", "-n", namespace, "-o", "jsonpath={.metadata.annotations.ackguard\\.dev/remediation}"); err != nil {
		return err
	}
	if err := waitEvent(ctx, kubectl); err != nil {
		return err
	}
	if _, err := show("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=legacy-reports,reason="+controllers.ReasonRemediated); err != nil {
		return err
	}

	if !opts.Wait {
		return nil
	}
	step("ackguard is running. Try it yourself:")
	say("  export KUBECONFIG=%s", kubeconfig)
	say("  %s apply -f <your-bucket.yaml>", filepath.Join(cluster.AssetsDir, "kubectl"))
	say("Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

func waitRemediated(ctx context.Context, c client.Client, name string) error {
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(view.BucketGVK)
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		_, ok := u.GetAnnotations()[controllers.AnnotationRemediation]
		return ok, nil
	})
}

func waitEvent(ctx context.Context, kubectl func(args ...string) (string, error)) error {
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		text, err := kubectl("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=legacy-reports,reason="+controllers.ReasonRemediated, "-o", "name")
		return err == nil && strings.TrimSpace(text) != "", nil
	})
}

// shellQuote quotes an argument of a command the demo shows, so that it
// can be pasted into a shell as it ran (a jsonpath's {"\n"} and
// ackguard\.dev lose their quotes and backslash otherwise).
func shellQuote(arg string) string {
	if arg != "" && strings.Trim(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@%+") == "" {
		return arg
	}
	return "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
}

func indent(s string) string {
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
