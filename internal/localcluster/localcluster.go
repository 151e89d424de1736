// Package localcluster runs a local control plane (the envtest
// kube-apiserver and etcd, no containers) with ackguard wired to it: the
// ACK CRDs installed, the webhook served on loopback with a generated
// certificate and registered by URL. The demo and the integration tests
// share it, so what the demo shows is what the tests prove.
package localcluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/config/crd"
	"github.com/ackguard/ackguard/internal/kinds"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/webhookconfig"
	"github.com/ackguard/ackguard/webhooks"
)

// K8sVersion is the version hack/setup-envtest.sh builds.
const K8sVersion = "1.37.2"

// Options for Start.
type Options struct {
	// AssetsDir holds kube-apiserver, etcd and kubectl; default
	// $KUBEBUILDER_ASSETS, else bin/k8s/<K8sVersion> above the working
	// directory.
	AssetsDir string
	// CRDs are installed besides ackguard's own and the openreports.io
	// Report.
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// APIServerFlags are kube-apiserver flags set besides envtest's, by
	// name without dashes ("watch-cache": "false").
	APIServerFlags map[string]string
	// EtcdDataDir is the folder etcd keeps its data in, the caller's to
	// remove (default: a temporary folder, removed when the cluster stops).
	EtcdDataDir string
}

// Cluster is a running local control plane.
type Cluster struct {
	Env       *envtest.Environment
	Config    *rest.Config
	Client    client.Client
	AssetsDir string
	webhook   envtest.WebhookInstallOptions
	certDir   string
}

// Scheme returns a scheme with the built-in types (ACK objects are read as
// unstructured).
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	_ = reportsv1alpha1.Install(s)
	return s
}

// Start starts the control plane and installs the CRDs.
func Start(opts Options) (*Cluster, error) {
	dir, err := findAssets(opts.AssetsDir)
	if err != nil {
		return nil, err
	}
	own, err := crd.All()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDs:                  append(own, opts.CRDs...),
		ErrorIfCRDPathMissing: true,
		Scheme:                Scheme(),
	}
	// The API server's certificates live in a folder of ours, so it can be
	// restarted with the same ones (RestartAPIServer).
	certDir, err := os.MkdirTemp("", "ackguard-apiserver-")
	if err != nil {
		return nil, err
	}
	env.ControlPlane.GetAPIServer().CertDir = certDir
	if opts.EtcdDataDir != "" {
		env.ControlPlane.Etcd = &envtest.Etcd{DataDir: opts.EtcdDataDir}
	}
	for name, value := range opts.APIServerFlags {
		env.ControlPlane.GetAPIServer().Configure().Set(name, value)
	}
	cfg, err := env.Start()
	if err != nil {
		_ = os.RemoveAll(certDir)
		return nil, fmt.Errorf("starting the local control plane from %s: %w", dir, err)
	}
	c := &Cluster{Env: env, Config: cfg, AssetsDir: dir, certDir: certDir}
	c.webhook = envtest.WebhookInstallOptions{LocalServingHost: "127.0.0.1"}
	if err := c.webhook.PrepWithoutInstalling(); err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("preparing webhook certificates: %w", err)
	}
	c.Client, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return c, nil
}

// findAssets locates the envtest binaries.
func findAssets(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for d := wd; ; d = filepath.Dir(d) {
			cand := filepath.Join(d, "bin", "k8s", K8sVersion)
			if _, err := os.Stat(filepath.Join(cand, "kube-apiserver")); err == nil {
				dir = cand
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir == "" {
		return "", errors.New("no envtest binaries: run hack/setup-envtest.sh (make envtest) or set KUBEBUILDER_ASSETS")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s missing in %s: run hack/setup-envtest.sh", b, dir)
		}
	}
	return dir, nil
}

// FreeAddr returns a loopback address with a port nothing listens on now,
// for a metrics endpoint a test scrapes.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ManagerOptions returns operator options wired to this cluster's webhook
// serving address and certificates, with metrics and probes off.
func (c *Cluster) ManagerOptions() manager.Options {
	o := manager.DefaultOptions()
	o.MetricsAddr = "0"
	o.ProbeAddr = "0"
	o.WebhookHost = c.webhook.LocalServingHost
	o.WebhookPort = c.webhook.LocalServingPort
	o.WebhookCertDir = c.webhook.LocalServingCertDir
	o.KindPollInterval = 2 * time.Second
	o.ReportFlushInterval = 300 * time.Millisecond
	o.PolicyStatusInterval = time.Second
	o.ShutdownDelay = 0 // tests stop and start managers on one port
	return o
}

// StartAckguard runs the operator until ctx ends and waits until its
// webhook answers TLS. The returned channel yields the manager's exit error.
func (c *Cluster) StartAckguard(ctx context.Context, opts manager.Options) (*manager.Manager, <-chan error, error) {
	return c.StartAckguardAs(ctx, c.Config, opts)
}

// StartAckguardAs is StartAckguard with another identity (for example an
// impersonated service account, to prove its RBAC is sufficient).
func (c *Cluster) StartAckguardAs(ctx context.Context, cfg *rest.Config, opts manager.Options) (*manager.Manager, <-chan error, error) {
	m, err := manager.New(cfg, opts)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- m.Start(ctx) }()
	if opts.EnableWebhook {
		if err := c.waitForWebhook(ctx, done); err != nil {
			return nil, nil, err
		}
	}
	return m, done, nil
}

func (c *Cluster) waitForWebhook(ctx context.Context, done <-chan error) error {
	addr := net.JoinHostPort(c.webhook.LocalServingHost, strconv.Itoa(c.webhook.LocalServingPort))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe of our own loopback server
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case err := <-done:
			return fmt.Errorf("ackguard stopped before its webhook served: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webhook at %s did not answer: %w", addr, err)
		}
	}
}

// WebhookConfiguration returns the configuration pointing at the local
// webhook by URL.
func (c *Cluster) WebhookConfiguration(fp admissionregistrationv1.FailurePolicyType) *admissionregistrationv1.ValidatingWebhookConfiguration {
	base := "https://" + net.JoinHostPort(c.webhook.LocalServingHost, strconv.Itoa(c.webhook.LocalServingPort))
	url, govURL := base+webhooks.Path, base+webhooks.GovernancePath
	return webhookconfig.Validating(rules.Default(), webhookconfig.Options{
		ClientConfig:           admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: c.webhook.LocalServingCAData},
		GovernanceClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &govURL, CABundle: c.webhook.LocalServingCAData},
		FailurePolicy:          fp,
	})
}

// RegisterWebhook creates (or replaces) the webhook configuration and waits
// until the API server calls the webhook.
func (c *Cluster) RegisterWebhook(ctx context.Context, fp admissionregistrationv1.FailurePolicyType) error {
	want := c.WebhookConfiguration(fp)
	existing := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	err := c.Client.Get(ctx, client.ObjectKey{Name: want.Name}, existing)
	switch {
	case apierrors.IsNotFound(err):
		err = c.Client.Create(ctx, want)
	case err == nil:
		existing.Webhooks = want.Webhooks
		err = c.Client.Update(ctx, existing)
	}
	if err != nil {
		return fmt.Errorf("registering the webhook: %w", err)
	}
	return nil
}

// WaitForAdmission waits until the API server sends Bucket requests to the
// webhook (it picks up webhook configurations through an informer): a
// server-side dry-run of a Bucket without Block Public Access is repeated
// until ackguard denies it.
func (c *Cluster) WaitForAdmission(ctx context.Context, namespace string) error {
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": "ackguard-admission-probe", "namespace": namespace},
		"spec":     map[string]any{"name": "ackguard-admission-probe"},
	}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err != nil && strings.Contains(err.Error(), "S3-001") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API server does not call the webhook yet (last answer: %v)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Kubeconfig writes a kubeconfig for the cluster's admin user to path.
func (c *Cluster) Kubeconfig(path string) error {
	user, err := c.Env.ControlPlane.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// KillAPIServer kills kube-apiserver, as a crash would (etcd keeps
// running), and waits until it is gone; StartAPIServer starts it again on
// the same address, certificates and data.
func (c *Cluster) KillAPIServer() error {
	pid, err := findProcess("kube-apiserver", "--cert-dir="+c.certDir)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing kube-apiserver (pid %d): %w", pid, err)
	}
	// Gone once its parent (envtest) reaped it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", pid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver (pid %d) still runs after SIGKILL", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// envtest may not have marked it exited yet, and then fails to signal
	// it: the process is gone either way, and Start makes a new one.
	_ = c.Env.ControlPlane.GetAPIServer().Stop()
	return nil
}

// findProcess returns the pid of the process named name whose command line
// holds arg.
func findProcess(name, arg string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == name && slices.Contains(args, arg) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no %s process with %s", name, arg)
}

// ControlPlanePIDs returns the process ids of this cluster's kube-apiserver
// and etcd (for benchmarks that read their CPU time).
func (c *Cluster) ControlPlanePIDs() (apiserver, etcd int, err error) {
	if apiserver, err = findProcess("kube-apiserver", "--cert-dir="+c.certDir); err != nil {
		return 0, 0, err
	}
	if etcd, err = findProcess("etcd", "--data-dir="+c.Env.ControlPlane.Etcd.DataDir); err != nil {
		return 0, 0, err
	}
	return apiserver, etcd, nil
}

// StartAPIServer starts kube-apiserver again after KillAPIServer.
func (c *Cluster) StartAPIServer() error {
	return c.Env.ControlPlane.GetAPIServer().Start()
}

// Stop stops the control plane.
func (c *Cluster) Stop() error {
	err := c.Env.Stop()
	if cerr := c.webhook.Cleanup(); err == nil {
		err = cerr
	}
	if c.certDir != "" {
		if rerr := os.RemoveAll(c.certDir); err == nil {
			err = rerr
		}
	}
	return err
}

// crdDeletionTimeout bounds the wait for a deleted CRD to be gone. The
// CRD's finalizer runs in the API server's apiextensions controller, which
// lags when every test package of `make test` starts at once on a small
// machine: a CI run once needed more than 30 s.
const crdDeletionTimeout = 2 * time.Minute

// UninstallCRD deletes a CRD and waits until it is gone and discovery no
// longer serves its kind; it returns the CRD as it can be created again.
// Once the deletion was asked for, that CRD is returned with an error too,
// so a caller can restore it (InstallCRD waits for the old one to go).
//
// The API server deletes a CRD only after every instance of it: an
// instance whose finalizers nobody removes (no ACK controller runs here)
// holds the CRD forever, so the finalizers of the instances being deleted
// are removed while waiting. A CRD not gone in time is reported with its
// Terminating condition and the instances left.
func (c *Cluster) UninstallCRD(ctx context.Context, name string) (*apiextensionsv1.CustomResourceDefinition, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
		return nil, err
	}
	again := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: crd.Name, Labels: crd.Labels, Annotations: crd.Annotations},
		Spec:       crd.Spec,
	}
	// The API server deletes a CRD's instances by listing them through
	// the kind's storage, which it starts at the first request for the
	// kind; until its cache is filled a list is refused, and the deletion
	// is retried with a backoff that doubles each time. A kind nothing
	// read before (a test deleting CRDs it never used) could so wait for
	// minutes on a loaded machine: list it first, until the storage
	// answers.
	var listErr error
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, crdDeletionTimeout, true, func(ctx context.Context) (bool, error) {
		_, listErr = c.instances(ctx, crd)
		return listErr == nil, nil
	}); err != nil {
		return nil, fmt.Errorf("CRD %s not deleted: its instances cannot be listed: %w (last: %v)", name, err, listErr)
	}
	if err := c.Client.Delete(ctx, crd); err != nil {
		return nil, err
	}
	last := crd
	var released time.Time
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, crdDeletionTimeout, true, func(ctx context.Context) (bool, error) {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Client.Get(ctx, client.ObjectKey{Name: name}, got); apierrors.IsNotFound(err) {
			return true, nil
		} else if err == nil {
			last = got
		}
		if time.Since(released) > time.Second {
			released = time.Now()
			c.releaseInstances(ctx, last)
		}
		return false, nil
	})
	if err != nil {
		return again, fmt.Errorf("CRD %s not deleted: %w (%s)", name, err, c.deletionState(context.WithoutCancel(ctx), last))
	}
	// Discovery follows the deletion a little later.
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return again, err
	}
	gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name, Kind: crd.Spec.Names.Kind}
	served := kinds.New(dc, []schema.GroupVersionKind{gvk})
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		now, answered := served.Check(ctx)[gvk]
		return answered && !now, nil
	})
	if err != nil {
		return again, fmt.Errorf("CRD %s still discovered: %w", name, err)
	}
	return again, nil
}

// instances lists the instances of a CRD (its first served version).
func (c *Cluster) instances(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) ([]unstructured.Unstructured, error) {
	version := crd.Spec.Versions[0].Name
	for _, v := range crd.Spec.Versions {
		if v.Served {
			version = v.Name
			break
		}
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: crd.Spec.Group, Version: version, Kind: crd.Spec.Names.ListKind})
	if list.GetKind() == "" {
		list.SetKind(crd.Spec.Names.Kind + "List")
	}
	if err := c.Client.List(ctx, list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// releaseInstances removes the finalizers of a deleted CRD's instances
// that are being deleted: nothing else would.
func (c *Cluster) releaseInstances(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) {
	items, err := c.instances(ctx, crd)
	if err != nil {
		return
	}
	for i := range items {
		o := &items[i]
		if o.GetDeletionTimestamp() == nil || len(o.GetFinalizers()) == 0 {
			continue
		}
		patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
		_ = c.Client.Patch(ctx, o, patch)
	}
}

// deletionState says why a deleted CRD is still there: its finalizers, its
// Terminating condition (the API server's account of deleting the
// instances) and the instances left, with their finalizers.
func (c *Cluster) deletionState(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "finalizers %v", crd.Finalizers)
	cond := "no Terminating condition"
	for _, cd := range crd.Status.Conditions {
		if cd.Type == apiextensionsv1.Terminating {
			cond = fmt.Sprintf("Terminating=%s %s: %s", cd.Status, cd.Reason, cd.Message)
		}
	}
	fmt.Fprintf(&b, ", %s", cond)
	items, err := c.instances(ctx, crd)
	switch {
	case err != nil:
		fmt.Fprintf(&b, ", instances not listed: %v", err)
	case len(items) == 0:
		b.WriteString(", no instance left")
	default:
		fmt.Fprintf(&b, ", %d instances left:", len(items))
		for _, o := range items {
			fmt.Fprintf(&b, " %s/%s (finalizers %v, deleted %v)", o.GetNamespace(), o.GetName(), o.GetFinalizers(), o.GetDeletionTimestamp() != nil)
		}
	}
	return b.String()
}

// InstallCRD creates the CRD and waits until it is established. A CRD of
// that name still being deleted (UninstallCRD timed out) is waited for
// first.
func (c *Cluster) InstallCRD(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	var last *apiextensionsv1.CustomResourceDefinition
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, crdDeletionTimeout, true, func(ctx context.Context) (bool, error) {
		err := c.Client.Create(ctx, crd.DeepCopy())
		if !apierrors.IsAlreadyExists(err) {
			return true, err
		}
		old := &apiextensionsv1.CustomResourceDefinition{}
		if gerr := c.Client.Get(ctx, client.ObjectKey{Name: crd.Name}, old); gerr != nil {
			return false, client.IgnoreNotFound(gerr)
		}
		if old.DeletionTimestamp == nil {
			return true, err // a live CRD of that name
		}
		last = old
		c.releaseInstances(ctx, old)
		return false, nil
	})
	if err != nil {
		if last != nil && wait.Interrupted(err) {
			return fmt.Errorf("CRD %s not installed: the one deleted before is still there: %w (%s)", crd.Name, err, c.deletionState(context.WithoutCancel(ctx), last))
		}
		return err
	}
	return c.WaitEstablished(ctx, crd.Name)
}

// WaitEstablished waits until the API server serves a CRD's kind (its
// Established condition); a CRD not found yet is waited for.
func (c *Cluster) WaitEstablished(ctx context.Context, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Client.Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s not established: %w", name, err)
	}
	return nil
}
