package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/testenv"
)

// The integration suite runs the webhook against a real kube-apiserver
// (envtest binaries built by hack/setup-envtest.sh). No fake client. The
// control plane and ackguard start with the first test that calls
// suite.Start (every test that talks to the API server does, first); unit
// tests and fuzz targets run without them.
var (
	suite = testenv.New(testenv.Options{Name: "integration suite", Setup: setupSuite})
	// cluster and ctx are set once the control plane runs.
	cluster *localcluster.Cluster
	ctx     context.Context
	// ackguard is the suite's manager (a webhook-only replica).
	ackguard *manager.Manager
)

const (
	ackS3Controller  = "system:serviceaccount:ack-system:ack-s3-controller"
	ackRDSController = "system:serviceaccount:ack-system:ack-rds-controller"
)

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

// setupSuite starts ackguard's webhook, registers it and waits until the
// API server calls it.
func setupSuite(sctx context.Context, c *localcluster.Cluster) error {
	cluster, ctx = c, sctx
	opts := cluster.ManagerOptions()
	opts.EnableReconciler = false // this suite judges admission alone
	var err error
	if ackguard, _, err = cluster.StartAckguard(ctx, opts); err != nil {
		return err
	}
	if err := cluster.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}); err != nil {
		return err
	}
	if err := cluster.RegisterWebhook(ctx, admissionregistrationv1.Fail); err != nil {
		return err
	}
	if err := cluster.WaitForAdmission(ctx, "probe"); err != nil {
		return err
	}
	return grantACKController(ctx)
}

// newNamespace isolates a test.
func newNamespace(t *testing.T) string {
	t.Helper()
	suite.Start(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "wh-"}}
	if err := cluster.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// warningRecorder collects the admission warnings the API server relays.
type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// list returns the warnings received since the last reset.
func (w *warningRecorder) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs)
}

func (w *warningRecorder) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = nil
}

func (w *warningRecorder) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

// clientAs returns a client for the given user (impersonated; empty = the
// admin) that records warnings.
func clientAs(t *testing.T, user string) (client.Client, *warningRecorder) {
	t.Helper()
	suite.Start(t)
	cfg := rest.CopyConfig(cluster.Config)
	rec := &warningRecorder{}
	cfg.WarningHandler = rec
	if user != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
	c, err := client.New(cfg, client.Options{Scheme: cluster.Env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// grantACKController lets the ACK S3 and RDS controllers' service accounts
// write their kinds, as ACK's Helm charts do.
func grantACKController(ctx context.Context) error {
	for _, c := range []struct{ name, group, resource string }{
		{"ack-s3-controller", "s3.services.k8s.aws", "buckets"},
		{"ack-rds-controller", "rds.services.k8s.aws", "dbinstances"},
	} {
		role := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: c.name},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{c.group}, Resources: []string{c.resource},
				Verbs: []string{"get", "list", "watch", "create", "update", "patch"},
			}},
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: c.name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "ack-system", Name: c.name}},
		}
		for _, o := range []client.Object{role, binding} {
			if err := cluster.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
	}
	return nil
}

func bucket(ns, name string, spec map[string]any) *unstructured.Unstructured {
	if _, ok := spec["name"]; !ok {
		spec["name"] = "ackguard-test-" + name
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

func secureSpec(bucketName string) map[string]any {
	spec := rulestest.BucketHygiene()
	spec["name"] = bucketName
	spec["publicAccessBlock"] = map[string]any{
		"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true,
	}
	spec["policy"] = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, bucketName)
	return spec
}

// causes returns the Invalid status causes of a denial as "field|message".
func causes(t *testing.T, err error) []string {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("expected an API status error, got %v", err)
	}
	st := status.Status()
	if st.Code != 422 || st.Reason != metav1.StatusReasonInvalid {
		t.Fatalf("expected 422 Invalid, got %d %s: %s", st.Code, st.Reason, st.Message)
	}
	var out []string
	if st.Details != nil {
		for _, c := range st.Details.Causes {
			out = append(out, c.Field+"|"+c.Message)
		}
	}
	return out
}

func hasCause(causes []string, field, substr string) bool {
	for _, c := range causes {
		f, msg, _ := strings.Cut(c, "|")
		if f == field && strings.Contains(msg, substr) {
			return true
		}
	}
	return false
}
