package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
)

const policiesCRD = "guardrailpolicies.policy.ackguard.dev"

// kubectl returns the envtest kubectl (make envtest builds it beside
// kube-apiserver).
func kubectl(t *testing.T) string {
	t.Helper()
	p := filepath.Join(cluster.AssetsDir, "kubectl")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no kubectl beside the envtest binaries (%v): run make envtest", err)
	}
	return p
}

// copyChart copies charts/ackguard to a temporary folder, to change it.
func copyChart(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "ackguard")
	src := filepath.Join(repoRoot, "charts", "ackguard")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// changeCRD gives the chart copy's GuardrailPolicy CRD what an upgrade
// typically brings: a new optional field and a printer column.
func changeCRD(t *testing.T, chart string) {
	t.Helper()
	file := filepath.Join(chart, "crds", "policy.ackguard.dev_guardrailpolicies.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatal(err)
	}
	v := &crd.Spec.Versions[0]
	v.AdditionalPrinterColumns = append(v.AdditionalPrinterColumns, apiextensionsv1.CustomResourceColumnDefinition{
		Name: "Upgraded", Type: "string", JSONPath: ".spec.upgradeProbe",
	})
	spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
	spec.Properties["upgradeProbe"] = apiextensionsv1.JSONSchemaProps{Type: "string", Description: "A field only the upgraded chart has."}
	v.Schema.OpenAPIV3Schema.Properties["spec"] = spec
	out, err := yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	chartYAML := filepath.Join(chart, "Chart.yaml")
	meta, err := os.ReadFile(chartYAML)
	if err != nil {
		t.Fatal(err)
	}
	meta = []byte(strings.Replace(string(meta), "\nversion: ", "\nversion: 99.0.0-upgrade+", 1))
	if err := os.WriteFile(chartYAML, meta, 0o644); err != nil {
		t.Fatal(err)
	}
}

func getCRD(t *testing.T, name string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

func hasPrinterColumn(crd *apiextensionsv1.CustomResourceDefinition, name string) bool {
	return slices.ContainsFunc(crd.Spec.Versions[0].AdditionalPrinterColumns, func(c apiextensionsv1.CustomResourceColumnDefinition) bool {
		return c.Name == name
	})
}

// recreatePoliciesCRD deletes the GuardrailPolicy CRD the suite installed
// (and every GuardrailPolicy with it), so that `helm install` creates it
// from crds/ as on a fresh cluster: owned by Helm's field manager.
func recreatePoliciesCRDByHelm(t *testing.T) {
	t.Helper()
	crd := getCRD(t, policiesCRD)
	if err := cluster.Client.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		err := cluster.Client.Get(ctx, client.ObjectKey{Name: policiesCRD}, &apiextensionsv1.CustomResourceDefinition{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("the GuardrailPolicy CRD was not deleted: %v", err)
	}
}

// runHook runs the CRD upgrade hook as it runs in the cluster: the
// rendered Job's kubectl arguments, as the hook's ServiceAccount (with only
// the hook's RBAC), the ConfigMap's files mounted where the Job mounts them.
func runHook(t *testing.T, kubeconfig, chart, release, ns string) (string, error) {
	t.Helper()
	objs := decodeAll(t, run(t, tool(t, "HELM", "helm"), "template", release, chart, "--namespace", ns, "--show-only", "templates/crd-upgrade.yaml"))
	var rbac []*unstructured.Unstructured
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding"} {
		rbac = append(rbac, find(objs, k)...)
	}
	apply(t, rbac)
	cms, jobs := find(objs, "ConfigMap"), find(objs, "Job")
	if len(cms) != 1 || len(jobs) != 1 {
		t.Fatalf("the CRD upgrade hook renders %d ConfigMaps and %d Jobs", len(cms), len(jobs))
	}
	dir := t.TempDir()
	files, _, _ := unstructured.NestedStringMap(cms[0].Object, "data")
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	containers, _, _ := unstructured.NestedSlice(jobs[0].Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	sa, _, _ := unstructured.NestedString(jobs[0].Object, "spec", "template", "spec", "serviceAccountName")
	for i, a := range args {
		args[i] = strings.NewReplacer("=/crds", "="+dir, "=/tmp/", "="+t.TempDir()+"/").Replace(a)
	}
	args = append(args, "--kubeconfig", kubeconfig, "--as", "system:serviceaccount:"+ns+":"+sa)
	out, err := exec.Command(kubectl(t), args...).CombinedOutput()
	return string(out), err
}

// TestHelmUpgradeChangesCRDs installs the chart with `helm install` (Helm
// creates the CRDs from crds/), creates policies and exceptions, then
// upgrades to a chart whose GuardrailPolicy CRD gained a field and a
// printer column: a plain `kubectl apply --server-side` of the new CRDs
// conflicts with Helm's field manager, the chart's pre-upgrade hook (its
// kubectl command, as its ServiceAccount) applies them, `helm upgrade`
// succeeds, the CRD changed and every existing object survived.
func TestHelmUpgradeChangesCRDs(t *testing.T) {
	suite.Start(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.Kubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(filepath.Join(repoRoot, "charts", "ackguard", "crds", "policy.ackguard.dev_guardrailpolicies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Later tests get the CRD as the chart ships it.
		objs := decodeAll(t, original)
		apply(t, objs)
	})
	recreatePoliciesCRDByHelm(t)

	release, ns := "upgrade", "helm-upgrade"
	// No hooks: envtest runs no pods, so Helm would wait for the Job
	// forever; this test runs the hook's command itself.
	out, err := helmCLI(t, kubeconfig, "install", release, "charts/ackguard", "--namespace", ns, "--create-namespace",
		"--set", "reports.installCRD=false", "--no-hooks")
	if err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := helmCLI(t, kubeconfig, "uninstall", release, "--namespace", ns, "--no-hooks"); err != nil {
			t.Errorf("helm uninstall: %v\n%s", err, out)
		}
	})
	waitEstablished(t, policiesCRD)
	managers := []string{}
	for _, mf := range getCRD(t, policiesCRD).ManagedFields {
		managers = append(managers, mf.Manager+"/"+string(mf.Operation))
	}
	if !slices.Contains(managers, "helm/Update") {
		t.Fatalf("helm install did not create the GuardrailPolicy CRD (field managers %v)", managers)
	}

	// Objects that must survive the upgrade.
	ensureNamespace(t, "upgrade-shop")
	mine := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "upgrade-strict"},
		Spec:       v1alpha1.GuardrailPolicySpec{Rules: []v1alpha1.RuleAction{{ID: "RDS-009", Action: v1alpha1.Deny}}},
	}
	if err := cluster.Client.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(ctx, mine) })
	ex := exception("upgrade-shop", "upgrade-kept", "S3-004")
	if err := cluster.Client.Create(ctx, ex); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(ctx, ex) })

	chartB := copyChart(t)
	changeCRD(t, chartB)

	// What the chart's README used to tell admins to run: refused.
	out2, err := exec.Command(kubectl(t), "apply", "--server-side", "--kubeconfig", kubeconfig,
		"--cache-dir", t.TempDir(), "-f", filepath.Join(chartB, "crds")).CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "conflict") {
		t.Errorf("a plain server-side apply over Helm's CRDs: %v\n%s (want a field-manager conflict, which the hook exists for)", err, out2)
	}

	out, err = runHook(t, kubeconfig, chartB, release, ns)
	if err != nil {
		t.Fatalf("the CRD upgrade hook's command failed: %v\n%s", err, out)
	}
	// Idempotent: a second upgrade with the same CRDs.
	if out, err := runHook(t, kubeconfig, chartB, release, ns); err != nil {
		t.Fatalf("the CRD upgrade hook, run again: %v\n%s", err, out)
	}
	out, err = helmCLI(t, kubeconfig, "upgrade", release, chartB, "--namespace", ns, "--set", "reports.installCRD=false", "--no-hooks")
	if err != nil {
		t.Fatalf("helm upgrade: %v\n%s", err, out)
	}

	crd := getCRD(t, policiesCRD)
	if !hasPrinterColumn(crd, "Upgraded") {
		t.Errorf("after the upgrade the CRD has no new printer column: %+v", crd.Spec.Versions[0].AdditionalPrinterColumns)
	}
	// The new field is served (not pruned) once the CRD is upgraded.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(v1alpha1.GroupVersion.String())
		u.SetKind("GuardrailPolicy")
		u.SetName("upgrade-probe")
		_ = unstructured.SetNestedField(u.Object, "yes", "spec", "upgradeProbe")
		if err := cluster.Client.Create(ctx, u, client.DryRunAll); err != nil {
			return false, err
		}
		v, _, _ := unstructured.NestedString(u.Object, "spec", "upgradeProbe")
		return v == "yes", nil
	})
	if err != nil {
		t.Errorf("the upgraded CRD does not serve its new field: %v", err)
	}
	for _, obj := range []client.Object{&v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: governance.BaselineName}}, mine, ex} {
		if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Errorf("%T %s did not survive the upgrade: %v", obj, obj.GetName(), err)
		}
	}
	if got := mine.Spec.Rules; len(got) != 1 || got[0].ID != "RDS-009" {
		t.Errorf("the policy changed in the upgrade: %+v", got)
	}
	// The hook's ServiceAccount could do nothing else: no other CRD.
	can, err := exec.Command(kubectl(t), "auth", "can-i", "patch", "customresourcedefinitions/reports.openreports.io",
		"--kubeconfig", kubeconfig, "--as", "system:serviceaccount:"+ns+":"+release+"-ackguard-crd-upgrade").Output()
	if err == nil || strings.TrimSpace(string(can)) != "no" {
		t.Errorf("the CRD upgrade hook may patch another CRD: %s %v", can, err)
	}
}
