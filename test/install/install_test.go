package install

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/testenv"
	"github.com/ackguard/ackguard/internal/view"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

// The install suite applies the chart and config/ to a real kube-apiserver
// and runs managers as the chart's ServiceAccount. The control plane starts
// with the first test that calls suite.Start (every test that talks to the
// API server does, first); the rendering tests run without it.
var (
	// Every manager of the suite logs through forbiddenLog (and to stderr
	// with ACKGUARD_TEST_LOG set).
	suite = testenv.New(testenv.Options{Name: "install suite", CRDs: testCRDs, Setup: setupSuite, Logger: newRecordingLogger})
	// cluster and ctx are set once the control plane runs.
	cluster *localcluster.Cluster
	ctx     context.Context
)

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

func setupSuite(sctx context.Context, c *localcluster.Cluster) error {
	cluster, ctx = c, sctx
	return nil
}

// testCRDs are the stand-ins for other projects' CRDs the chart's objects
// need: cert-manager's and the Prometheus Operator's.
func testCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range []string{"testdata/cert-manager-crds.yaml", "testdata/monitoring-crds.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.UnmarshalStrict([]byte(doc), crd); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, crd)
		}
	}
	return out, nil
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	err := cluster.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// apply server-side applies the objects, as `kubectl apply --server-side`.
func apply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := cluster.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("install-test"), client.ForceOwnership); err != nil {
			t.Fatalf("server-side apply of %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// applyInOrder applies objects as an installer must: CRDs first, then,
// once they are Established, everything else, webhook configurations last
// (they point at a Service with no pods here, and would refuse the
// GuardrailPolicy otherwise).
func applyInOrder(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var crds, rest, hooks []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "CustomResourceDefinition":
			crds = append(crds, o)
		case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
			hooks = append(hooks, o)
		default:
			rest = append(rest, o)
		}
	}
	apply(t, crds)
	for _, c := range crds {
		waitEstablished(t, c.GetName())
	}
	apply(t, rest)
	apply(t, hooks)
}

// waitEstablished waits until the API server serves a CRD's kind.
func waitEstablished(t *testing.T, name string) {
	t.Helper()
	if err := cluster.WaitEstablished(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// removeWebhooks deletes applied webhook configurations: they point at a
// Service with no pods here and would refuse every Bucket write.
func removeWebhooks(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range find(objs, "ValidatingWebhookConfiguration") {
		if err := cluster.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	}
}

// removeHooks deletes applied Helm hook objects, as Helm does before it
// creates them again (hook-delete-policy before-hook-creation): a Pod
// cannot be changed in place.
func removeHooks(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if o.GetAnnotations()["helm.sh/hook"] == "" {
			continue
		}
		if err := cluster.Client.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	}
}

func TestChartAndConfigApplyServerSide(t *testing.T) {
	suite.Start(t)
	ensureNamespace(t, releaseNamespace)
	// The chart goes to its own namespace and release name so the two
	// installs do not collide (Deployment selectors are immutable).
	ensureNamespace(t, "ackguard-helm")
	for _, vf := range ciValues(t) {
		t.Run("helm/"+vf, func(t *testing.T) {
			objs := helmTemplateAs(t, "guard", "ackguard-helm", vf)
			t.Cleanup(func() { removeWebhooks(t, objs); removeHooks(t, objs) })
			applyInOrder(t, objs)
		})
	}
	t.Run("kustomize/config-default", func(t *testing.T) {
		objs := kustomizeBuild(t)
		t.Cleanup(func() { removeWebhooks(t, objs) })
		applyInOrder(t, objs)
	})
}

// chartIdentity is the chart's ServiceAccount as the API server sees it.
func chartIdentity() rest.ImpersonationConfig {
	return rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + releaseNamespace + ":ackguard-controller-manager",
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + releaseNamespace, "system:authenticated"},
	}
}

// chartWebhook returns the chart's webhook configuration (rendered with a
// ci values file) pointed at the test's webhook server by URL.
func chartWebhook(t *testing.T, valuesFile string) *unstructured.Unstructured {
	t.Helper()
	hooks := find(helmTemplate(t, valuesFile), "ValidatingWebhookConfiguration")
	if len(hooks) != 1 {
		t.Fatalf("%d webhook configurations", len(hooks))
	}
	// Each webhook by name: the same server, one path each.
	local := map[string]map[string]any{}
	for _, w := range cluster.WebhookConfiguration("").Webhooks {
		local[w.Name] = map[string]any{"url": *w.ClientConfig.URL, "caBundle": base64.StdEncoding.EncodeToString(w.ClientConfig.CABundle)}
	}
	hook := hooks[0]
	ws, _, _ := unstructured.NestedSlice(hook.Object, "webhooks")
	for i := range ws {
		name, _, _ := unstructured.NestedString(ws[i].(map[string]any), "name")
		cc, ok := local[name]
		if !ok {
			t.Fatalf("the chart's webhook %s is not one webhookconfig builds", name)
		}
		ws[i].(map[string]any)["clientConfig"] = cc
	}
	_ = unstructured.SetNestedSlice(hook.Object, ws, "webhooks")
	hook.SetAnnotations(nil)
	return hook
}

func installWebhook(t *testing.T, hook *unstructured.Unstructured) {
	t.Helper()
	j := mustJSON(t, hook.Object)
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	apply(t, []*unstructured.Unstructured{u})
	t.Cleanup(func() { removeWebhooks(t, []*unstructured.Unstructured{u}) })
}

func bucket(ns, name string, spec map[string]any) *unstructured.Unstructured {
	spec["name"] = "ackguard-install-" + name
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     spec,
	}}
}

func insecure(ns, name string) *unstructured.Unstructured {
	return bucket(ns, name, map[string]any{"acl": "public-read"})
}

// probeDenied waits until the API server calls the freshly installed
// webhook (it watches configurations) and it denies an insecure Bucket.
func probeDenied(t *testing.T, ns string) error {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		last = cluster.Client.Create(ctx, insecure(ns, "probe"), client.DryRunAll)
		return last != nil && strings.Contains(last.Error(), "S3-004"), nil
	})
	if err != nil {
		return fmt.Errorf("webhook never denied the probe: %v", last)
	}
	return nil
}

// expectNoRefusals fails the test for every RBAC refusal the managers
// logged since forbiddenLog.reset.
func expectNoRefusals(t *testing.T) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range forbiddenLog.list() {
		if !seen[e] {
			seen[e] = true
			t.Errorf("the manager, as the chart's ServiceAccount, was refused: %s", e)
		}
	}
}

// exception returns a GuardrailException exempting the Bucket x from rules.
func exception(ns, name string, ruleIDs ...string) *v1alpha1.GuardrailException {
	return &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     ruleIDs,
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "x"}},
			Reason:    "SEC-1234: public website, accepted until the CDN migration",
			ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour).Truncate(time.Second)),
		},
	}
}

// TestManagerRunsWithTheChartsRBAC runs the manager as the chart's
// ServiceAccount: with only the chart's ClusterRole and Role (and the
// chart's CRDs and baseline policy) it must start, elect a leader, read
// policies, watch, patch drift, record Events, admit/deny ACK objects and
// validate exceptions, and never be refused anything (its log is checked).
func TestManagerRunsWithTheChartsRBAC(t *testing.T) {
	suite.Start(t)
	ensureNamespace(t, releaseNamespace)
	objs := helmTemplate(t, "")
	var setup []*unstructured.Unstructured
	for _, k := range []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "GuardrailPolicy"} {
		setup = append(setup, find(objs, k)...)
	}
	applyInOrder(t, setup)

	ns := "rbac-proof"
	ensureNamespace(t, ns)
	drifted := insecure(ns, "drifted")
	if err := cluster.Client.Create(ctx, drifted); err != nil {
		t.Fatal(err)
	}

	defer startManagerAsChart(t, cluster.ManagerOptions())()

	// Watches and patches with the chart's RBAC.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(view.BucketGVK)
		if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(drifted), u); err != nil {
			return false, err
		}
		acl, _, _ := unstructured.NestedString(u.Object, "spec", "acl")
		return acl == "private", nil
	})
	if err != nil {
		t.Fatalf("the manager, as the chart's ServiceAccount, did not remediate: %v", err)
	}
	// Records Events.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		list := &eventsv1.EventList{}
		if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if e.Reason == controllers.ReasonRemediated && e.Regarding.Name == "drifted" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatal("no Remediated event recorded with the chart's RBAC")
	}
	// Admits and denies through the chart's webhook configuration.
	installWebhook(t, chartWebhook(t, ""))
	if err := probeDenied(t, ns); err != nil {
		t.Fatal(err)
	}
	secure := bucket(ns, "secure", map[string]any{
		"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true},
	})
	if err := cluster.Client.Create(ctx, secure, client.DryRunAll); err != nil {
		t.Errorf("secure bucket denied: %v", err)
	}
	// The chart's governance webhook judges exceptions, reading the
	// namespace and its policies with the chart's RBAC.
	err = cluster.Client.Create(ctx, exception(ns, "unknown-rule", "ZZZ-999"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), webhookconfig.GovernanceWebhookName) || !strings.Contains(err.Error(), "ZZZ-999") {
		t.Errorf("an exception for an unknown rule: %v, want a denial by %s", err, webhookconfig.GovernanceWebhookName)
	}
	if err := cluster.Client.Create(ctx, exception(ns, "valid", "S3-001"), client.DryRunAll); err != nil {
		t.Errorf("a valid exception was refused: %v", err)
	}
}

// TestAdmissionOnlyManagerRunsWithTheChartsRBAC: with reconciler.enabled=
// false the chart grants no patches, Events, status or Reports; the
// manager, admission only, runs on what is left as the chart's
// ServiceAccount (leader election on, as with two replicas): it starts,
// denies an insecure Bucket, judges exceptions, and is refused nothing.
func TestAdmissionOnlyManagerRunsWithTheChartsRBAC(t *testing.T) {
	suite.Start(t)
	ensureNamespace(t, releaseNamespace)
	objs := helmTemplateSet(t, "", "reconciler.enabled=false")
	var setup []*unstructured.Unstructured
	for _, k := range []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "GuardrailPolicy"} {
		setup = append(setup, find(objs, k)...)
	}
	applyInOrder(t, setup)
	// Later tests run as the chart's ServiceAccount with the default RBAC.
	t.Cleanup(func() { apply(t, find(helmTemplate(t, ""), "ClusterRole")) })

	ns := "admission-only"
	ensureNamespace(t, ns)
	opts := cluster.ManagerOptions()
	opts.EnableReconciler = false
	defer startManagerAsChart(t, opts)()
	installWebhook(t, chartWebhook(t, ""))
	if err := probeDenied(t, ns); err != nil {
		t.Fatal(err)
	}
	err := cluster.Client.Create(ctx, exception(ns, "unknown-rule", "ZZZ-999"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "ZZZ-999") {
		t.Errorf("an exception for an unknown rule: %v, want a denial", err)
	}
	if err := cluster.Client.Create(ctx, exception(ns, "valid", "S3-001"), client.DryRunAll); err != nil {
		t.Errorf("a valid exception was refused: %v", err)
	}
}

// TestWebhookDownFailurePolicy: with the manager stopped, failurePolicy
// Ignore lets a Bucket through and Fail refuses it; kube-system is never
// sent to the webhook.
func TestWebhookDownFailurePolicy(t *testing.T) {
	suite.Start(t)
	ns := "failure-policy"
	ensureNamespace(t, ns)
	cases := []struct {
		values     string
		admitsDown bool
	}{
		{"default-values.yaml", false},      // Fail
		{"ignore-single-values.yaml", true}, // Ignore
	}
	for _, tc := range cases {
		t.Run(tc.values, func(t *testing.T) {
			mctx, stop := context.WithCancel(ctx)
			opts := cluster.ManagerOptions()
			opts.EnableReconciler = false
			_, done, err := cluster.StartAckguard(mctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			installWebhook(t, chartWebhook(t, tc.values))
			if err := probeDenied(t, ns); err != nil {
				t.Fatal(err)
			}
			stop()
			<-done

			err = cluster.Client.Create(ctx, insecure(ns, "while-down"), client.DryRunAll)
			switch {
			case tc.admitsDown && err != nil:
				t.Errorf("failurePolicy Ignore refused a Bucket while the webhook was down: %v", err)
			case !tc.admitsDown && err == nil:
				t.Error("failurePolicy Fail admitted a Bucket while the webhook was down")
			case !tc.admitsDown && !strings.Contains(err.Error(), "failed calling webhook"):
				t.Errorf("unexpected refusal: %v", err)
			}
			// The cluster can always heal itself: kube-system is excluded.
			if err := cluster.Client.Create(ctx, insecure("kube-system", "system-"+strings.TrimSuffix(tc.values, ".yaml")), client.DryRunAll); err != nil {
				t.Errorf("a Bucket in kube-system was sent to the webhook: %v", err)
			}
		})
	}
}

// startManagerAsChart starts the manager as the chart's ServiceAccount,
// electing its leader in the release namespace, and returns what stops it:
// it waits for the manager to end (freeing the webhook port for the next
// test) and checks that the API server refused it nothing.
func startManagerAsChart(t *testing.T, opts manager.Options) func() {
	t.Helper()
	forbiddenLog.reset()
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = chartIdentity()
	mctx, stop := context.WithCancel(ctx)
	opts.LeaderElection = true
	opts.LeaderElectionNamespace = releaseNamespace
	_, done, err := cluster.StartAckguardAs(mctx, cfg, opts)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	return func() {
		stop()
		<-done
		expectNoRefusals(t)
	}
}
