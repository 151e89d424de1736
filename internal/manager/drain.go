package manager

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// DefaultShutdownDelay is how long a stopping replica keeps answering
// admission requests: long enough for the endpoints of its Service to drop
// it, and for the API servers (or the kube-proxy in front of them) to stop
// sending it new connections, on a cluster under ordinary load.
const DefaultShutdownDelay = 10 * time.Second

// drain is a replica's shutdown state. A webhook replica told to stop
// (SIGTERM at a rolling update or a node drain) is still in its Service's
// endpoints for a few seconds, and the API servers still hold keep-alive
// connections to it; stopping at once would have them fail, under
// failurePolicy Fail, every guarded write sent its way in that time. While
// draining it goes on answering, reports itself not ready, and asks every
// client to close its connection after the answer (HTTP/2: GOAWAY), so
// that the next request opens one to a replica that stays.
type drain struct {
	on atomic.Bool
}

// errDraining is what the readiness check reports while draining.
var errDraining = errors.New("shutting down: draining admission requests")

// Checker is a readiness check that fails once draining has begun.
func (d *drain) Checker(_ *http.Request) error {
	if d.on.Load() {
		return errDraining
	}
	return nil
}

// wrap answers with Connection: close while draining. Over HTTP/2
// (--enable-http2) net/http sends no such header but a GOAWAY, which moves
// the client to a new connection as gracefully.
func (d *drain) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.on.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// Start runs the operator until ctx ends. With a webhook and a shutdown
// delay, the end of ctx starts a drain: the replica keeps serving (and, if
// it leads, reconciling) for the delay, then stops as controller-runtime
// stops a manager (in-flight requests finish, the lease is released). A
// second SIGTERM or interrupt ends the process at once
// (ctrl.SetupSignalHandler).
func (m *Manager) Start(ctx context.Context) error {
	if m.shutdownDelay <= 0 || m.drain == nil {
		return m.Manager.Start(ctx)
	}
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go func() {
		select {
		case <-run.Done():
			return // the manager ended on its own
		case <-ctx.Done():
		}
		m.drain.on.Store(true)
		ctrl.Log.WithName("shutdown").Info("stopping: the webhook answers until the delay has passed, reporting itself not ready", "delay", m.shutdownDelay.String())
		t := time.NewTimer(m.shutdownDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-run.Done():
		}
		stop()
	}()
	return m.Manager.Start(run)
}

// reviewReadTimeout bounds the reading of one admission request: the API
// server waits at most 30 seconds (timeoutSeconds) for an answer, and
// controller-runtime's server bounds only the reading of the headers, so
// a client that sent part of a body and stalled would hold its handler
// and connection for as long as it liked.
const reviewReadTimeout = 30 * time.Second

// boundRead gives each request a read deadline of d from its arrival: a
// body not read by then fails to read, and the handler refuses it.
func boundRead(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)) // unsupported: unbounded, as before
		h.ServeHTTP(w, r)
	})
}
