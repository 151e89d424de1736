package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/ackcrds"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

var (
	bucketGVK = schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
	bucketGVR = schema.GroupVersionResource{Group: "s3.services.k8s.aws", Version: "v1alpha1", Resource: "buckets"}
)

// env is the running control plane with what the phases share.
type env struct {
	cluster       *localcluster.Cluster
	client        client.Client
	dynamic       dynamic.Interface
	kubeconfig    string
	work          string
	serverVersion string
	crdSource     string
	// apiserverPID and etcdPID are the control plane's processes, whose
	// CPU time the phases report.
	apiserverPID, etcdPID int
	// idle is the control plane's CPU in an idle second, once -costs
	// measured it; measureCPU takes it off what it measures.
	idle *spanCPU
	// warnings counts the admission warnings the benchmark's creates drew;
	// firstWarning keeps the first one.
	warnings     atomic.Int64
	firstWarning atomic.Pointer[string]
}

// HandleWarningHeader counts an admission warning (rest.WarningHandler).
func (e *env) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 {
		return
	}
	e.warnings.Add(1)
	e.firstWarning.CompareAndSwap(nil, &text)
}

// startEnv starts kube-apiserver and etcd with ackguard's CRDs, the
// openreports Report CRD and the Bucket CRD (ACK's real one when
// ACK_CRDS_DIR is set), and writes an admin kubeconfig for the processes.
// etcd keeps its data in etcdDir (default: a temporary folder of envtest's).
func startEnv(ctx context.Context, work, etcdDir string) (*env, error) {
	crds, source, err := ackcrds.Load()
	if err != nil {
		return nil, err
	}
	var bucket []*apiextensionsv1.CustomResourceDefinition
	for _, c := range crds {
		if c.Spec.Group == bucketGVK.Group && c.Spec.Names.Kind == bucketGVK.Kind {
			bucket = append(bucket, c)
		}
	}
	if len(bucket) == 0 {
		return nil, fmt.Errorf("no Bucket CRD in %s", source)
	}
	c, err := localcluster.Start(localcluster.Options{CRDs: bucket, EtcdDataDir: etcdDir})
	if err != nil {
		return nil, err
	}
	e := &env{cluster: c, work: work, crdSource: source, kubeconfig: filepath.Join(work, "kubeconfig")}
	if err := e.init(ctx); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *env) init(ctx context.Context) error {
	// The benchmark's own client: no client-side throttling.
	cfg := rest.CopyConfig(e.cluster.Config)
	cfg.QPS, cfg.Burst = 1e6, 1e6
	cfg.WarningHandler = e
	var err error
	if e.client, err = client.New(cfg, client.Options{Scheme: localcluster.Scheme()}); err != nil {
		return err
	}
	if e.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	if v, err := dc.ServerVersion(); err == nil {
		e.serverVersion = v.GitVersion
	}
	if e.apiserverPID, e.etcdPID, err = e.cluster.ControlPlanePIDs(); err != nil {
		return err
	}
	return e.cluster.Kubeconfig(e.kubeconfig)
}

func (e *env) stop() { _ = e.cluster.Stop() }

// controlPlaneCPU returns the CPU time kube-apiserver and etcd have used.
func (e *env) controlPlaneCPU() (apiserver, etcd time.Duration, err error) {
	if apiserver, err = pidCPU(e.apiserverPID); err != nil {
		return 0, 0, err
	}
	if etcd, err = pidCPU(e.etcdPID); err != nil {
		return 0, 0, err
	}
	return apiserver, etcd, nil
}

// namespace creates a namespace (or keeps an existing one).
func (e *env) namespace(ctx context.Context, name string) error {
	err := e.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// deleteBuckets deletes every Bucket of the namespace and waits until none
// is left.
func (e *env) deleteBuckets(ctx context.Context, ns string) error {
	if err := e.dynamic.Resource(bucketGVR).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("deleting the Buckets of %s: %w", ns, err)
	}
	return poll(ctx, 2*time.Minute, 200*time.Millisecond, func() (bool, error) {
		l, err := e.dynamic.Resource(bucketGVR).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return false, err
		}
		return len(l.Items) == 0, nil
	})
}

// bucketSpec is a Bucket: with secure, clean under every rule on by
// default (the four Block Public Access flags true, ACLs disabled, a
// TLS-only bucket policy, and the fields the warning rules S3-008 to
// S3-011 ask for); without, the same with every Block Public Access flag
// false (S3-001, which the reconciler fixes; nothing else is wrong with
// it).
func bucketSpec(ns, name string, secure bool) *unstructured.Unstructured {
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",`+
		`"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, name)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": bucketGVK.GroupVersion().String(), "kind": bucketGVK.Kind,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"name": name,
			"publicAccessBlock": map[string]any{
				"blockPublicACLs": secure, "ignorePublicACLs": secure, "blockPublicPolicy": secure, "restrictPublicBuckets": secure,
			},
			"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}},
			"policy":            policy,
		},
	}}
	for k, v := range rulestest.BucketHygiene() {
		u.Object["spec"].(map[string]any)[k] = v
	}
	return u
}

// compliant reports whether a Bucket has all four Block Public Access flags
// true.
func compliant(u *unstructured.Unstructured) bool {
	for _, f := range []string{"blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"} {
		v, ok, _ := unstructured.NestedBool(u.Object, "spec", "publicAccessBlock", f)
		if !ok || !v {
			return false
		}
	}
	return true
}

// buckets prebuilds n Buckets named PREFIX-00000….
func buckets(ns, prefix string, n int, secure bool) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, n)
	for i := range out {
		out[i] = bucketSpec(ns, fmt.Sprintf("%s-%05d", prefix, i), secure)
	}
	return out
}

// sequential creates the objects one after another and returns each
// create's client-side latency.
func (e *env) sequential(ctx context.Context, objs []*unstructured.Unstructured) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, len(objs))
	for _, o := range objs {
		start := time.Now()
		if err := e.client.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("creating %s: %w", o.GetName(), err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// concurrent creates the objects from workers goroutines and returns the
// wall time and each create's latency.
func (e *env) concurrent(ctx context.Context, objs []*unstructured.Unstructured, workers int) (time.Duration, []time.Duration, error) {
	return forEach(ctx, len(objs), workers, func(i int) error {
		if err := e.client.Create(ctx, objs[i]); err != nil {
			return fmt.Errorf("creating %s: %w", objs[i].GetName(), err)
		}
		return nil
	})
}

// forEach runs fn(0..n-1) from workers goroutines; it returns the wall
// time, each call's latency, and the first error (which stops the rest).
func forEach(ctx context.Context, n, workers int, fn func(i int) error) (time.Duration, []time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return wall, lat, first
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s)) + 0.999999999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// probe dry-runs the create of an insecure Bucket; nil means admitted.
// probeName names the insecure Bucket a phase's admission must deny.
const probeName = "bench-insecure-probe"

func (e *env) probe(ctx context.Context, ns string) error {
	return e.client.Create(ctx, bucketSpec(ns, probeName, false), client.DryRunAll)
}

// waitDenied waits until an insecure Bucket is denied with a message
// containing want (admission configuration reaches the API server's
// informers after a moment). It gives up at once when p, the process that
// should deny, exits.
func (e *env) waitDenied(ctx context.Context, ns, want string, timeout time.Duration, p *proc) error {
	if timeout == 0 {
		timeout = time.Minute
	}
	var last error
	err := poll(ctx, timeout, 200*time.Millisecond, func() (bool, error) {
		if p != nil {
			if gone, err := p.exited(); gone {
				return false, err
			}
		}
		last = e.probe(ctx, ns)
		return last != nil && strings.Contains(last.Error(), want), nil
	})
	if err != nil {
		return fmt.Errorf("an insecure Bucket is not denied with %q: %v (last answer: %v)", want, err, last)
	}
	return nil
}

// waitAdmitted waits until an insecure Bucket is admitted again (the
// previous phase's admission is gone).
func (e *env) waitAdmitted(ctx context.Context, ns string) error {
	var last error
	err := poll(ctx, time.Minute, 200*time.Millisecond, func() (bool, error) {
		last = e.probe(ctx, ns)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("an insecure Bucket is still denied (last answer: %v)", last)
	}
	return nil
}

// poll calls cond every interval until it returns true, it fails, or
// timeout passes.
func poll(ctx context.Context, timeout, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// buildAckguard builds the manager binary from the module this program is
// part of, as `make build` and the release do (static, no symbol table):
// the resident size of the binary's own pages counts in its RSS.
func buildAckguard(ctx context.Context, out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	return nil
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run from inside the ackguard module, or pass -ackguard")
	}
	return filepath.Dir(mod), nil
}
