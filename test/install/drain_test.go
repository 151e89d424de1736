package install

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

// TestStoppingReplicaDrains: a webhook replica told to stop (its context
// ends, as at SIGTERM) keeps judging admission requests for its shutdown
// delay while its readiness check fails naming the shutdown, answers
// HTTP/1.1 clients with Connection: close so that they reconnect to another
// replica, and stops once the delay has passed. Before the drain the same
// replica keeps its connections alive.
func TestStoppingReplicaDrains(t *testing.T) {
	suite.Start(t)
	ns := "draining"
	ensureNamespace(t, ns)
	probeAddr, err := localcluster.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	const delay = 8 * time.Second
	opts := cluster.ManagerOptions()
	opts.EnableReconciler = false
	opts.ProbeAddr = probeAddr
	opts.ShutdownDelay = delay
	mctx, stop := context.WithCancel(ctx)
	_, done, err := cluster.StartAckguard(mctx, opts)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	// On every way out, wait for the manager to end: a replica left
	// draining would hold the webhook port the next test's manager binds
	// for its whole delay, and that test would talk to this one.
	ended := false
	defer func() {
		stop()
		if !ended {
			select {
			case <-done:
			case <-time.After(delay + 60*time.Second):
			}
		}
	}()
	installWebhook(t, chartWebhook(t, "default-values.yaml"))
	if err := probeDenied(t, ns); err != nil {
		t.Fatal(err)
	}
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + probeAddr + "/readyz?verbose")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("a serving replica is not ready: %d %s", code, body)
	}
	post := directReview(t)
	if closing, err := post(); err != nil || closing {
		t.Fatalf("before the drain: Connection: close %v, error %v", closing, err)
	}

	stop()
	stopped := time.Now()
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		code, body := readyz()
		return code == http.StatusInternalServerError && strings.Contains(body, "[-]shutdown"), nil
	})
	if err != nil {
		code, body := readyz()
		t.Fatalf("a draining replica's readiness: %d %s", code, body)
	}
	// The API server's requests are still judged.
	if err := cluster.Client.Create(ctx, insecure(ns, "while-draining"), client.DryRunAll); err == nil || !strings.Contains(err.Error(), "S3-004") {
		t.Errorf("a draining replica did not judge: %v", err)
	}
	if closing, err := post(); err != nil || !closing {
		t.Errorf("while draining: Connection: close %v, error %v", closing, err)
	}
	select {
	case err := <-done:
		ended = true
		if err != nil {
			t.Errorf("the manager ended with %v", err)
		}
		if took := time.Since(stopped); took < delay {
			t.Errorf("the manager stopped %s after it was told to, before its %s delay", took, delay)
		}
	case <-time.After(delay + 60*time.Second):
		t.Fatal("the manager did not stop after its delay")
	}
	if _, err := post(); err == nil {
		t.Error("the webhook still answers after the manager stopped")
	}
}

// directReview returns what posts a Bucket's review straight to the
// webhook over HTTP/1.1, as the API server does, and says whether the
// answer asked to close the connection.
func directReview(t *testing.T) func() (closing bool, err error) {
	t.Helper()
	var url string
	pool := x509.NewCertPool()
	for _, w := range cluster.WebhookConfiguration("").Webhooks {
		if w.Name == webhookconfig.WebhookName {
			url = *w.ClientConfig.URL
			pool.AppendCertsFromPEM(w.ClientConfig.CABundle)
		}
	}
	if url == "" {
		t.Fatal("no webhook URL")
	}
	obj, err := json.Marshal(bucket("draining", "direct", map[string]any{}).Object)
	if err != nil {
		t.Fatal(err)
	}
	review, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "drain-test",
			Kind:      metav1.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"},
			Resource:  metav1.GroupVersionResource{Group: "s3.services.k8s.aws", Version: "v1alpha1", Resource: "buckets"},
			Name:      "direct",
			Namespace: "draining",
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: obj},
			DryRun:    new(true),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: false,
	}}
	t.Cleanup(hc.CloseIdleConnections)
	return func() (bool, error) {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(review))
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		var out admissionv1.AdmissionReview
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return false, err
		}
		if out.Response == nil || out.Response.UID != "drain-test" {
			t.Errorf("the webhook answered %+v", out.Response)
		}
		return resp.Close, nil
	}
}
