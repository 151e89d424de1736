package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
)

// helmCLI runs helm against the suite's API server, with its own
// configuration and cache directories.
func helmCLI(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(tool(t, "HELM", "helm"), append(args, "--kubeconfig", kubeconfig)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestHelmInstall installs the chart with `helm install` — CRDs from crds/
// first, then the templates in Helm's order — with the default values
// (failurePolicy Fail) while no webhook pod can ever answer (envtest runs
// no pods): the baseline GuardrailPolicy must be created before the
// webhook configuration that would refuse it. The suite's API server
// already has the Report CRD, installed without Helm: the case
// reports.installCRD=false exists for (Helm refuses to adopt it).
func TestHelmInstall(t *testing.T) {
	suite.Start(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	// A baseline applied by another test has no Helm owner either.
	baseline := &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: governance.BaselineName}}
	if err := cluster.Client.Delete(ctx, baseline); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	release, ns := "helmit", "helm-install"
	// No hooks: envtest runs no pods, so Helm would wait for the CRD
	// upgrade Job forever (TestHelmUpgradeChangesCRDs runs its command).
	out, err := helmCLI(t, kubeconfig, "install", release, "charts/ackguard", "--namespace", ns, "--create-namespace",
		"--set", "reports.installCRD=false", "--no-hooks")
	if err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	// NOTES.txt says what was installed and how to check it.
	for _, want := range []string{"is installed in " + ns + " as release " + release, "Owner accounts: none set", "helm test " + release + " -n " + ns, "rollout status deployment/" + release + "-ackguard-controller-manager"} {
		if !strings.Contains(out, want) {
			t.Errorf("helm install's notes lack %q:\n%s", want, out)
		}
	}
	uninstalled := false
	t.Cleanup(func() {
		if uninstalled {
			return
		}
		// Leave no webhook configuration that refuses what later tests write.
		if out, err := helmCLI(t, kubeconfig, "uninstall", release, "--namespace", ns, "--no-hooks"); err != nil {
			t.Errorf("helm uninstall: %v\n%s", err, out)
		}
	})

	got := &v1alpha1.GuardrailPolicy{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: governance.BaselineName}, got); err != nil {
		t.Fatalf("helm install created no baseline policy: %v", err)
	}
	if got.Labels["app.kubernetes.io/managed-by"] != "Helm" || len(got.Spec.Rules) == 0 {
		t.Errorf("the installed baseline: labels %v, %d rules", got.Labels, len(got.Spec.Rules))
	}
	hook := &unstructured.Unstructured{}
	hook.SetAPIVersion("admissionregistration.k8s.io/v1")
	hook.SetKind("ValidatingWebhookConfiguration")
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: release + "-ackguard-validating-webhook-configuration"}, hook); err != nil {
		t.Fatalf("helm install created no webhook configuration: %v", err)
	}
	if fp, _, _ := unstructured.NestedSlice(hook.Object, "webhooks"); len(fp) != 2 || !strings.Contains(string(mustJSON(t, hook.Object)), `"failurePolicy":"Fail"`) {
		t.Errorf("the installed webhook configuration: %s", mustJSON(t, hook.Object))
	}

	// Uninstalling removes the baseline and the webhook configuration, and
	// keeps the CRDs (crds/ are never deleted by Helm).
	out, err = helmCLI(t, kubeconfig, "uninstall", release, "--namespace", ns, "--no-hooks")
	if err != nil {
		t.Fatalf("helm uninstall: %v\n%s", err, out)
	}
	uninstalled = true
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: governance.BaselineName}, &v1alpha1.GuardrailPolicy{}); !apierrors.IsNotFound(err) {
		t.Errorf("the baseline after helm uninstall: %v", err)
	}
	if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(hook), hook.DeepCopy()); !apierrors.IsNotFound(err) {
		t.Errorf("the webhook configuration after helm uninstall: %v", err)
	}
	if err := cluster.Client.List(ctx, &v1alpha1.GuardrailPolicyList{}); err != nil {
		t.Errorf("GuardrailPolicies are no longer served after helm uninstall: %v", err)
	}
}
