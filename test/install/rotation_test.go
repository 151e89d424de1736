package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/webhookconfig"
	"github.com/ackguard/ackguard/webhooks"
)

// projectSecret stands in for the kubelet: it keeps certDir in step with
// the certificate Secret, as a mounted Secret volume is (atomic renames).
func projectSecret(ctx context.Context, t *testing.T, key client.ObjectKey, certDir string) {
	last := map[string][]byte{}
	for {
		s := &corev1.Secret{}
		if err := cluster.Client.Get(ctx, key, s); err == nil {
			for _, f := range []string{"ca.crt", "tls.crt", "tls.key"} {
				if v := s.Data[f]; len(v) > 0 && !bytes.Equal(v, last[f]) {
					tmp := filepath.Join(certDir, "."+f+".tmp")
					if os.WriteFile(tmp, v, 0o600) == nil && os.Rename(tmp, filepath.Join(certDir, f)) == nil {
						last[f] = v
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func servedFingerprint(addr string) (string, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the served certificate of our own loopback server
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// The fingerprint, not the serial: the rotation library reuses serials.
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:]), nil
}

// TestCertificateRotation runs the manager with self-managed certificates
// (the chart's default) as the chart's ServiceAccount: it fills the Secret,
// injects the CA bundle into the chart's webhook configuration, and, with a
// short validity, rotates the served certificate while admission requests
// keep succeeding.
func TestCertificateRotation(t *testing.T) {
	suite.Start(t)
	ensureNamespace(t, releaseNamespace)
	objs := helmTemplate(t, "")
	var setup []*unstructured.Unstructured
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Secret"} {
		setup = append(setup, find(objs, k)...)
	}
	apply(t, setup)
	secrets := find(objs, "Secret")
	if len(secrets) != 1 {
		t.Fatalf("the chart renders %d Secrets for self-managed certificates", len(secrets))
	}
	secretKey := client.ObjectKey{Namespace: releaseNamespace, Name: secrets[0].GetName()}

	// The chart's webhook configuration, dialled at localhost (the name
	// the rotated certificate is issued for), without a CA bundle: the
	// manager injects it.
	hook := chartWebhook(t, "")
	port := cluster.ManagerOptions().WebhookPort
	ws, _, _ := unstructured.NestedSlice(hook.Object, "webhooks")
	for i := range ws {
		path := webhooks.Path
		if name, _, _ := unstructured.NestedString(ws[i].(map[string]any), "name"); name == webhookconfig.GovernanceWebhookName {
			path = webhooks.GovernancePath
		}
		ws[i].(map[string]any)["clientConfig"] = map[string]any{"url": fmt.Sprintf("https://localhost:%d%s", port, path)}
	}
	_ = unstructured.SetNestedSlice(hook.Object, ws, "webhooks")
	installWebhook(t, hook)

	certDir := t.TempDir()
	pctx, stopProjection := context.WithCancel(ctx)
	defer stopProjection()
	go projectSecret(pctx, t, secretKey, certDir)

	opts := cluster.ManagerOptions()
	opts.EnableReconciler = false
	opts.WebhookCertDir = certDir
	opts.CertRotation = manager.CertRotation{
		Enabled:              true,
		SecretNamespace:      releaseNamespace,
		SecretName:           secretKey.Name,
		DNSName:              "localhost",
		WebhookConfiguration: hook.GetName(),
		ServerDuration:       time.Hour,
		Lookahead:            time.Hour - 6*time.Second, // renew 6 s after issue
		CheckFrequency:       time.Second,
	}
	forbiddenLog.reset()
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = chartIdentity()
	mctx, stop := context.WithCancel(ctx)
	_, done, err := cluster.StartAckguardAs(mctx, cfg, opts)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	defer func() { stop(); <-done; expectNoRefusals(t) }()

	ns := "rotation"
	ensureNamespace(t, ns)
	if err := probeDenied(t, ns); err != nil {
		t.Fatal(err)
	}
	caBefore := currentCABundle(t, hook.GetName())
	if len(caBefore) == 0 {
		t.Fatal("no CA bundle injected")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	first, err := servedFingerprint(addr)
	if err != nil {
		t.Fatal(err)
	}

	// Keep admitting while the certificate rotates (twice).
	seen := map[string]bool{first: true}
	requests := 0
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		err := cluster.Client.Create(ctx, insecure(ns, "during-rotation"), client.DryRunAll)
		requests++
		if err == nil || !strings.Contains(err.Error(), "S3-004") {
			return false, fmt.Errorf("request %d was not judged by the webhook: %v", requests, err)
		}
		if s, err := servedFingerprint(addr); err == nil {
			seen[s] = true
		}
		return len(seen) >= 3, nil
	})
	if err != nil {
		t.Fatalf("after %d requests and %d certificates: %v", requests, len(seen), err)
	}
	if after := currentCABundle(t, hook.GetName()); !bytes.Equal(after, caBefore) {
		t.Error("the CA changed during server-certificate rotation (clients would see a gap)")
	}
	t.Logf("%d certificates served, %d requests judged without a TLS failure", len(seen), requests)
}

func currentCABundle(t *testing.T, name string) []byte {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("admissionregistration.k8s.io/v1")
	u.SetKind("ValidatingWebhookConfiguration")
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
		t.Fatal(err)
	}
	ws, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
	ca, _, _ := unstructured.NestedString(ws[0].(map[string]any), "clientConfig", "caBundle")
	return []byte(ca)
}
