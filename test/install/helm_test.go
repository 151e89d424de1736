package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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

// installWithoutHooks starts the suite's API server, installs the chart
// there as release in ns without hooks (envtest runs no pods: Helm would
// wait for a hook Job for ever), the Report CRD and the baseline policy
// left to the tests that own them, uninstalls it when the test ends, and
// returns the kubeconfig helm used.
func installWithoutHooks(t *testing.T, release, ns string) string {
	t.Helper()
	suite.Start(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	out, err := helmCLI(t, kubeconfig, "install", release, "charts/ackguard", "--namespace", ns, "--create-namespace",
		"--set", "reports.installCRD=false", "--set", "baselinePolicy.enabled=false", "--no-hooks")
	if err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := helmCLI(t, kubeconfig, "uninstall", release, "--namespace", ns, "--no-hooks"); err != nil {
			t.Errorf("helm uninstall: %v\n%s", err, out)
		}
	})
	return kubeconfig
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

// TestUninstallDeletesTheWebhookFirst: Helm 3 deletes a
// ValidatingWebhookConfiguration, a kind its uninstall order does not list,
// after the webhook Service and the Deployment, and under failurePolicy Fail
// the API server refuses guarded writes in between. The chart's pre-delete
// hook deletes the configuration before anything else: its ClusterRole may
// delete only that configuration, and its command, run as its
// ServiceAccount against an installed release, leaves the Service and the
// Deployment in place (envtest runs no pods: the test runs the Job's
// kubectl arguments itself, as TestHelmUpgradeChangesCRDs does). It also
// deletes the last `helm test` Pod, which stays after a test (see
// TestHelmTestKeepsItsPod) and which Helm's uninstall, deleting no hooks,
// left behind: its Role may delete that one Pod only.
func TestUninstallDeletesTheWebhookFirst(t *testing.T) {
	release, ns := "cleanup", "helm-uninstall"
	hooks := release + "-ackguard-validating-webhook-configuration"
	testPod := release + "-ackguard-test"
	objs := decodeAll(t, run(t, tool(t, "HELM", "helm"), "template", release, "charts/ackguard", "--namespace", ns, "--show-only", "templates/webhook-cleanup.yaml"))
	jobs := find(objs, "Job")
	roles := find(objs, "ClusterRole")
	podRoles := find(objs, "Role")
	if len(jobs) != 1 || len(roles) != 1 || len(podRoles) != 1 {
		t.Fatalf("the uninstall hook renders %d Jobs, %d ClusterRoles and %d Roles, want one each", len(jobs), len(roles), len(podRoles))
	}
	if got, want := ruleSet(t, podRoles[0]), []string{"/pods:delete@" + testPod}; !slices.Equal(got, want) || podRoles[0].GetNamespace() != ns {
		t.Errorf("the uninstall hook's Role in %s grants %v, want %v in %s", podRoles[0].GetNamespace(), got, want, ns)
	}
	for _, o := range objs {
		if got := o.GetAnnotations()["helm.sh/hook"]; got != "pre-delete" {
			t.Errorf("%s %s: hook %q, want pre-delete", o.GetKind(), o.GetName(), got)
		}
	}
	if got, want := ruleSet(t, roles[0]), []string{"admissionregistration.k8s.io/validatingwebhookconfigurations:delete@" + hooks}; !slices.Equal(got, want) {
		t.Errorf("the uninstall hook's ClusterRole grants %v, want %v", got, want)
	}
	for _, vf := range ciValues(t) {
		if len(find(helmTemplate(t, vf), "Job")) == 0 {
			t.Errorf("%s renders no uninstall hook", vf)
		}
	}
	if off := helmTemplateSet(t, "", "webhook.deleteOnUninstall=false"); len(find(off, "Job")) != 1 {
		t.Errorf("webhook.deleteOnUninstall=false renders %d Jobs, want the CRD upgrade Job only", len(find(off, "Job")))
	}

	kubeconfig := installWithoutHooks(t, release, ns)

	var rbac []*unstructured.Unstructured
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		rbac = append(rbac, find(objs, k)...)
	}
	apply(t, rbac)
	// The Pod a passing `helm test` left (its ServiceAccount deleted with
	// the test's other hooks; one stands in here for the API server's
	// ServiceAccount admission), and a Pod of another name.
	ensureServiceAccount(t, ns, "test-pod")
	for _, name := range []string{testPod, "unrelated"} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.PodSpec{
				ServiceAccountName: "test-pod",
				RestartPolicy:      corev1.RestartPolicyNever,
				Containers:         []corev1.Container{{Name: "c", Image: "example.com/c"}},
			},
		}
		if err := cluster.Client.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = cluster.Client.Delete(context.Background(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unrelated"}})
	})
	containers, _, _ := unstructured.NestedSlice(jobs[0].Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	sa, _, _ := unstructured.NestedString(jobs[0].Object, "spec", "template", "spec", "serviceAccountName")
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "=/tmp/", "="+t.TempDir()+"/")
	}
	args = append(args, "--kubeconfig", kubeconfig, "--as", serviceAccountUser(ns, sa))
	if out, err := exec.Command(kubectl(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("the uninstall hook's command: %v\n%s", err, out)
	}
	vwc := &unstructured.Unstructured{}
	vwc.SetAPIVersion("admissionregistration.k8s.io/v1")
	vwc.SetKind("ValidatingWebhookConfiguration")
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: hooks}, vwc); !apierrors.IsNotFound(err) {
		t.Errorf("the webhook configuration after the uninstall hook: %v", err)
	}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: testPod}, &corev1.Pod{}); !apierrors.IsNotFound(err) {
		t.Errorf("the helm test Pod after the uninstall hook: %v", err)
	}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "unrelated"}, &corev1.Pod{}); err != nil {
		t.Errorf("another Pod after the uninstall hook: %v", err)
	}
	for kind, name := range map[string]string{"Service": release + "-ackguard-webhook-service", "Deployment": release + "-ackguard-controller-manager"} {
		o := &unstructured.Unstructured{}
		o.SetAPIVersion(map[string]string{"Service": "v1", "Deployment": "apps/v1"}[kind])
		o.SetKind(kind)
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, o); err != nil {
			t.Errorf("the %s %s after the uninstall hook: %v", kind, name, err)
		}
	}
	// Gone already is success: a second run (a retried Job) passes too.
	if out, err := exec.Command(kubectl(t), args...).CombinedOutput(); err != nil {
		t.Errorf("the uninstall hook's command without a webhook configuration: %v\n%s", err, out)
	}
}

// TestHelmTestKeepsItsPod: `helm test --logs` reads the test Pod's log
// after the test ran, and Helm has by then deleted every hook-succeeded
// object, so a Pod deleted on success made a passing `helm test --logs`
// fail ("unable to get pod logs ...: pods ... not found"). The Pod now
// stays until the next `helm test`; its ServiceAccount and the Role and
// RoleBinding in test.namespace are still deleted. envtest runs no pods:
// the test marks the Pod Succeeded itself, as a kubelet would.
func TestHelmTestKeepsItsPod(t *testing.T) {
	release, ns := "tested", "helm-test-logs"
	name := release + "-ackguard-test"
	kubeconfig := installWithoutHooks(t, release, ns)
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := helmCLI(t, kubeconfig, "test", release, "--namespace", ns, "--logs", "--timeout", "60s")
		done <- result{out, err}
	}()
	pod := &corev1.Pod{}
	eventually(t, "the test Pod", func() error {
		return cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, pod)
	})
	pod.Status.Phase = corev1.PodSucceeded
	if err := cluster.Client.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if !strings.Contains(res.out, "Phase:          Succeeded") {
		t.Fatalf("helm test did not pass: %v\n%s", res.err, res.out)
	}
	// envtest has no kubelet to serve the log; the Pod must be there to ask.
	if res.err != nil && strings.Contains(res.out, "not found") {
		t.Errorf("helm test --logs found no Pod after a passing test: %v\n%s", res.err, res.out)
	}
	if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{}); err != nil {
		t.Errorf("the test Pod after a passing helm test: %v", err)
	}
	for _, o := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}},
	} {
		if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(o), o); !apierrors.IsNotFound(err) {
			t.Errorf("%T %s after a passing helm test: %v", o, o.GetName(), err)
		}
	}
}

// TestCertManagerSwitchUpgrades: `helm upgrade` between cert-manager and
// self-managed certificates keeps the certificate Secret both ways.
// cert-manager writes it as type kubernetes.io/tls, with the release's
// ownership (secretTemplate), and an upgrade to certManager.enabled=false
// adopts it: the chart's Secret must not set a type, which is immutable,
// or the upgrade fails. And a release whose chart set type Opaque (the
// chart before) upgrades to one that sets none.
func TestCertManagerSwitchUpgrades(t *testing.T) {
	suite.Start(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	base := []string{"--set", "reports.installCRD=false", "--set", "baselinePolicy.enabled=false", "--no-hooks"}
	helm := func(t *testing.T, args ...string) {
		t.Helper()
		if out, err := helmCLI(t, kubeconfig, append(args, base...)...); err != nil {
			t.Fatalf("helm %s: %v\n%s", args[0], err, out)
		}
	}
	uninstall := func(release, ns string) {
		t.Cleanup(func() {
			if out, err := helmCLI(t, kubeconfig, "uninstall", release, "--namespace", ns, "--no-hooks"); err != nil {
				t.Errorf("helm uninstall: %v\n%s", err, out)
			}
		})
	}
	secret := func(t *testing.T, ns, name string) *corev1.Secret {
		t.Helper()
		s := &corev1.Secret{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("from cert-manager", func(t *testing.T) {
		release, ns := "switch", "helm-cert-switch"
		name := release + "-ackguard-webhook-server-cert"
		helm(t, "install", release, "charts/ackguard", "--namespace", ns, "--create-namespace", "--set", "certManager.enabled=true")
		uninstall(release, ns)
		// The Secret as cert-manager writes it (secretTemplate's labels
		// and annotations; envtest runs no cert-manager).
		issued := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
				Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
				Annotations: map[string]string{"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns},
			},
			Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key"), "ca.crt": []byte("ca")},
		}
		if err := cluster.Client.Create(ctx, issued); err != nil {
			t.Fatal(err)
		}
		helm(t, "upgrade", release, "charts/ackguard", "--namespace", ns, "--set", "certManager.enabled=false")
		if s := secret(t, ns, name); string(s.Data["tls.crt"]) != "crt" {
			t.Errorf("the upgrade changed the certificate Secret: type %s, data %v", s.Type, s.Data)
		}
	})

	t.Run("from a chart that set type Opaque", func(t *testing.T) {
		release, ns := "opaque", "helm-cert-opaque"
		name := release + "-ackguard-webhook-server-cert"
		before := copyChart(t)
		file := filepath.Join(before, "templates", "certificate.yaml")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.Contains(text, "type: Opaque") {
			text = strings.Replace(text, "# No data here", "type: Opaque\n# No data here", 1)
		}
		if !strings.Contains(text, "type: Opaque") {
			t.Fatal("templates/certificate.yaml has no Secret to give a type")
		}
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		helm(t, "install", release, before, "--namespace", ns, "--create-namespace")
		uninstall(release, ns)
		// What the rotation writes.
		s := secret(t, ns, name)
		s.Data = map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key"), "ca.crt": []byte("ca"), "ca.key": []byte("ca-key")}
		if err := cluster.Client.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
		helm(t, "upgrade", release, "charts/ackguard", "--namespace", ns)
		if s := secret(t, ns, name); s.Type != corev1.SecretTypeOpaque || string(s.Data["ca.key"]) != "ca-key" {
			t.Errorf("after the upgrade the certificate Secret has type %s, data %v", s.Type, s.Data)
		}
	})
}
