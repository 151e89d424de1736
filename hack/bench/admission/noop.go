package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ackguard/ackguard/internal/manager"
)

// noopCommand is the first argument that makes this program the no-op
// webhook's process instead of the benchmark.
const noopCommand = "serve-noop-webhook"

// noopDenial is what the no-op webhook answers the probe Bucket, so that
// waitDenied can tell it serves.
const noopDenial = "denied by the no-op webhook"

// noopAdmission is the floor every webhook pays: a process that reads the
// AdmissionReview (it must, to answer its uid) and admits everything
// without looking at the object, over the same TLS and HTTP/1.1 as
// ackguard's webhook server by default, registered by URL like it, and
// with the manager's environment: the same CPU request, so that it runs
// Go code on as many CPUs as the manager does (manager.ApplyMaxProcs).
// Only the probe Bucket is denied, to prove the webhook is called.
func noopAdmission(e *env, cfg config, hook *envtest.WebhookInstallOptions) *admission {
	const hookName = "bench-noop"
	a := &admission{name: "no-op webhook (reads the review, admits)", denies: noopDenial}
	a.start = func(ctx context.Context) (*proc, error) {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort(hook.LocalServingHost, strconv.Itoa(hook.LocalServingPort))
		p, err := startProc("no-op webhook", self, []string{noopCommand, "-cert-dir", hook.LocalServingCertDir, "-addr", addr},
			managerEnv(e, cfg), filepath.Join(e.work, "noop-webhook.log"))
		if err != nil {
			return nil, err
		}
		if err := registerURLWebhook(ctx, e, hook, hookName); err != nil {
			p.stop()
			return nil, err
		}
		return p, nil
	}
	a.stop = func(ctx context.Context) error { return unregisterWebhook(ctx, e, hookName) }
	return a
}

// serveNoop is the no-op webhook's process.
func serveNoop(args []string) int {
	fs := flag.NewFlagSet(noopCommand, flag.ContinueOnError)
	certDir := fs.String("cert-dir", "", "folder holding tls.crt and tls.key")
	addr := fs.String("addr", "127.0.0.1:9443", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	procs, from, err := manager.ApplyMaxProcs(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "GOMAXPROCS %d (%s)\n", procs, from)
	cert, err := tls.LoadX509KeyPair(filepath.Join(*certDir, "tls.crt"), filepath.Join(*certDir, "tls.key"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           http.HandlerFunc(noopReview),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		// HTTP/1.1 only, as ackguard's webhook server offers by default.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	if err := srv.ListenAndServeTLS("", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// noopReview answers an AdmissionReview: allowed, except for the probe.
func noopReview(w http.ResponseWriter, r *http.Request) {
	var review struct {
		Request struct {
			UID  string `json:"uid"`
			Name string `json:"name"`
		} `json:"request"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	if err == nil {
		err = json.NewDecoder(bytes.NewReader(body)).Decode(&review)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type status struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	resp := struct {
		UID     string  `json:"uid"`
		Allowed bool    `json:"allowed"`
		Status  *status `json:"status,omitempty"`
	}{UID: review.Request.UID, Allowed: true}
	if review.Request.Name == probeName {
		resp.Allowed, resp.Status = false, &status{Code: http.StatusForbidden, Message: noopDenial}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": resp})
}
