package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ackguard/ackguard/internal/localcluster"
)

// kyvernoVersion is the release whose CRDs are looked for in the module
// cache when KYVERNO_CRDS_DIR is not set.
const kyvernoVersion = "v1.19.1"

// Kyverno's namespace, the secrets it keeps its CA and serving pair in
// (the names its Helm chart gives them), and the webhook configuration
// through which it validates policies.
const (
	kyvernoNamespace     = "kyverno"
	kyvernoCASecret      = "kyverno-svc.kyverno.svc.kyverno-tls-ca"
	kyvernoTLSSecret     = "kyverno-svc.kyverno.svc.kyverno-tls-pair"
	kyvernoPolicyWebhook = "kyverno-policy-validating-webhook-cfg"
)

// kyvernoAdmissions installs Kyverno's CRDs and returns two phases, each
// running Kyverno's admission controller (KYVERNO_BIN) as a local process
// with its webhooks by URL: a ClusterPolicy (validate.pattern) and a
// ValidatingPolicy (CEL), both on the four Block Public Access flags.
func kyvernoAdmissions(ctx context.Context, e *env, cfg config) ([]*admission, error) {
	dir := cfg.KyvernoCRDs
	if dir == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return nil, fmt.Errorf("go env GOMODCACHE: %w", err)
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "github.com/kyverno/kyverno@"+kyvernoVersion, "config/crds")
	}
	var paths []string
	for _, sub := range []string{"kyverno", "policies.kyverno.io", "policyreport", "reports"} {
		paths = append(paths, filepath.Join(dir, sub))
	}
	if _, err := envtest.InstallCRDs(e.cluster.Config, envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true}); err != nil {
		return nil, fmt.Errorf("installing Kyverno's CRDs from %s (set KYVERNO_CRDS_DIR): %w", dir, err)
	}
	if err := e.namespace(ctx, kyvernoNamespace); err != nil {
		return nil, err
	}
	for _, name := range []string{"kyverno", "kyverno-metrics"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: kyvernoNamespace, Name: name}}
		if err := e.client.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
	}
	vpolVersion, err := servedVersion(ctx, e.client, "validatingpolicies.policies.kyverno.io")
	if err != nil {
		return nil, err
	}
	flags := []string{"blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"}
	pattern := map[string]any{}
	var cel []any
	for _, f := range flags {
		pattern[f] = true
		cel = append(cel, map[string]any{
			"expression": fmt.Sprintf("has(object.spec.publicAccessBlock) && has(object.spec.publicAccessBlock.%[1]s) && object.spec.publicAccessBlock.%[1]s", f),
			"message":    fmt.Sprintf("bench-kyverno: spec.publicAccessBlock.%s must be true", f),
		})
	}
	clusterPolicy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
		"metadata": map[string]any{"name": "bench-bucket-public-access-block"},
		"spec": map[string]any{"rules": []any{map[string]any{
			"name":  "public-access-block",
			"match": map[string]any{"any": []any{map[string]any{"resources": map[string]any{"kinds": []any{"s3.services.k8s.aws/v1alpha1/Bucket"}}}}},
			"validate": map[string]any{
				"failureAction": "Enforce",
				"message":       "bench-kyverno: the four Block Public Access flags must be true",
				"pattern":       map[string]any{"spec": map[string]any{"publicAccessBlock": pattern}},
			},
		}}},
	}}
	validatingPolicy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policies.kyverno.io/" + vpolVersion, "kind": "ValidatingPolicy",
		"metadata": map[string]any{"name": "bench-bucket-public-access-block"},
		"spec": map[string]any{
			"validationActions": []any{"Deny"},
			"matchConstraints": map[string]any{"resourceRules": []any{map[string]any{
				"apiGroups": []any{bucketGVR.Group}, "apiVersions": []any{bucketGVR.Version},
				"operations": []any{"CREATE", "UPDATE"}, "resources": []any{bucketGVR.Resource},
			}}},
			"validations": cel,
		},
	}}
	return []*admission{
		kyvernoAdmission(e, cfg, "Kyverno ClusterPolicy (validate.pattern, four flags)", clusterPolicy),
		kyvernoAdmission(e, cfg, "Kyverno ValidatingPolicy (CEL, four flags)", validatingPolicy),
	}, nil
}

func servedVersion(ctx context.Context, c client.Client, crdName string) (string, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Name: crdName}, crd); err != nil {
		return "", fmt.Errorf("the Kyverno CRD %s: %w", crdName, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return v.Name, nil
		}
	}
	return "", fmt.Errorf("CRD %s has no storage version", crdName)
}

func kyvernoAdmission(e *env, cfg config, name string, policy *unstructured.Unstructured) *admission {
	a := &admission{name: name, denies: "bench-kyverno", denyTimeout: 5 * time.Minute}
	a.start = func(ctx context.Context) (*proc, error) {
		// Free ports, so that nothing else on the machine collides with the
		// webhook server (which the webhooks' URL names) or the two metrics
		// servers (fixed ports, on every interface, by default).
		var addrs [3]string
		for i := range addrs {
			addr, err := localcluster.FreeAddr()
			if err != nil {
				return nil, err
			}
			addrs[i] = addr
		}
		webhookAddr, metricsAddr, crMetricsAddr := addrs[0], addrs[1], addrs[2]
		_, webhookPort, _ := net.SplitHostPort(webhookAddr)
		metricsHost, metricsPort, _ := net.SplitHostPort(metricsAddr)
		args := []string{
			"--kubeconfig=" + e.kubeconfig,
			// Out of a cluster: the webhooks by URL on this address (a
			// certificate for its IP), no Deployment to look for.
			"--serverIP=" + webhookAddr, "--webhookServerHost=127.0.0.1", "--webhookServerPort=" + webhookPort,
			// Required since 1.19 (the Helm chart passes them): the
			// secrets in which Kyverno keeps the CA it creates and the
			// serving pair it signs. Without them it exits at once.
			"--caSecretName=" + kyvernoCASecret, "--tlsSecretName=" + kyvernoTLSSecret,
			"--metricsHost=" + metricsHost, "--metricsPort=" + metricsPort, "--controllerRuntimeMetricsAddress=" + crMetricsAddr,
			"--generateValidatingAdmissionPolicy=false",
		}
		envv := []string{
			"KUBECONFIG=" + e.kubeconfig,
			"KYVERNO_NAMESPACE=" + kyvernoNamespace, "KYVERNO_POD_NAME=kyverno-local",
			"KYVERNO_SERVICEACCOUNT_NAME=kyverno-admission-controller", "KYVERNO_DEPLOYMENT=kyverno-admission-controller",
			"INIT_CONFIG=kyverno", "METRICS_CONFIG=kyverno-metrics",
		}
		logPath := filepath.Join(e.work, "kyverno-"+policy.GetKind()+".log")
		p, err := startProc("kyverno", cfg.KyvernoBin, args, envv, logPath)
		if err != nil {
			return nil, err
		}
		// Until Kyverno's leader has registered the webhook that validates
		// policies, the API server would store the policy unchecked, and
		// nothing would tell a policy Kyverno rejects from one it never saw.
		policyHook := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		var last error
		err = poll(ctx, 3*time.Minute, time.Second, func() (bool, error) {
			if gone, err := p.exited(); gone {
				return false, err
			}
			last = e.client.Get(ctx, client.ObjectKey{Name: kyvernoPolicyWebhook}, policyHook)
			return last == nil, client.IgnoreNotFound(last)
		})
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("waiting for Kyverno's webhook configuration %s: %v (last answer: %v; log: %s)", kyvernoPolicyWebhook, err, last, logPath)
		}
		// Its webhook may not serve yet (no serving pair yet): retry until
		// it accepts the policy.
		err = poll(ctx, 2*time.Minute, time.Second, func() (bool, error) {
			if gone, err := p.exited(); gone {
				return false, err
			}
			last = e.client.Create(ctx, policy.DeepCopy())
			return last == nil || apierrors.IsAlreadyExists(last), nil
		})
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("creating the %s: %v (last answer: %v; log: %s)", policy.GetKind(), err, last, logPath)
		}
		return p, nil
	}
	a.stop = func(ctx context.Context) error {
		return deleteAll(ctx, e.client, policy.DeepCopy())
	}
	// Kyverno's webhook configurations outlive its process: remove them so
	// the next phase starts clean.
	a.cleanup = func(ctx context.Context) error {
		for _, l := range []client.ObjectList{&admissionregistrationv1.ValidatingWebhookConfigurationList{}, &admissionregistrationv1.MutatingWebhookConfigurationList{}} {
			if err := e.client.List(ctx, l); err != nil {
				return err
			}
			var objs []client.Object
			switch l := l.(type) {
			case *admissionregistrationv1.ValidatingWebhookConfigurationList:
				for i := range l.Items {
					objs = append(objs, &l.Items[i])
				}
			case *admissionregistrationv1.MutatingWebhookConfigurationList:
				for i := range l.Items {
					objs = append(objs, &l.Items[i])
				}
			}
			for _, o := range objs {
				if strings.HasPrefix(o.GetName(), "kyverno-") {
					if err := deleteAll(ctx, e.client, o); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return a
}
