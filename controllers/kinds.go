package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// KindWatcher starts a drift reconciler for each guarded ACK kind once its
// CRD is installed, checking again every Interval, so installing an ACK
// controller after ackguard needs no restart. It runs on the leader only.
type KindWatcher struct {
	Manager  ctrl.Manager
	Kinds    []schema.GroupVersionKind
	Interval time.Duration
	// New returns the reconciler for a kind.
	New func(gvk schema.GroupVersionKind) *DriftReconciler

	mu       sync.Mutex
	started  map[schema.GroupVersionKind]*DriftReconciler
	governed bool
}

var _ manager.LeaderElectionRunnable = &KindWatcher{}

// NeedLeaderElection makes the watcher, and so the controllers it starts,
// run on the elected leader only.
func (w *KindWatcher) NeedLeaderElection() bool { return true }

// Start checks for the kinds until the context ends.
func (w *KindWatcher) Start(ctx context.Context) error {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if err := w.sync(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// installedReferences returns the references from gvk whose target kind is
// installed now. (A target installed later is picked up when ackguard
// restarts; the periodic resync still re-judges referrers meanwhile.)
func (w *KindWatcher) installedReferences(gvk schema.GroupVersionKind) []Reference {
	var out []Reference
	for _, ref := range ACKReferences() {
		if ref.From != gvk {
			continue
		}
		if _, err := w.Manager.GetRESTMapper().RESTMapping(ref.To.GroupKind(), ref.To.Version); err == nil {
			out = append(out, ref)
		}
	}
	return out
}

// Started returns the kinds whose reconcilers run.
func (w *KindWatcher) Started() []schema.GroupVersionKind {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []schema.GroupVersionKind
	for _, k := range w.Kinds {
		if w.started[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

func (w *KindWatcher) sync(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("kinds")
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started == nil {
		w.started = map[schema.GroupVersionKind]*DriftReconciler{}
	}
	for _, gvk := range w.Kinds {
		if w.started[gvk] != nil {
			continue
		}
		if _, err := w.Manager.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			if !meta.IsNoMatchError(err) {
				log.Error(err, "cannot look up kind", "kind", gvk.String())
			} else {
				log.V(1).Info("kind not installed; will check again", "kind", gvk.String(), "interval", w.Interval.String())
			}
			continue
		}
		rec := w.New(gvk)
		rec.Watch = w.installedReferences(gvk)
		rec.WatchGovernance = rec.WatchGovernance || w.governed
		if err := rec.SetupWithManager(w.Manager); err != nil {
			return fmt.Errorf("starting the drift reconciler for %s: %w", gvk, err)
		}
		w.started[gvk] = rec
		log.Info("watching kind", "kind", gvk.String())
	}
	return nil
}

// EnableGovernance makes every reconciler, running or started later,
// re-judge its objects when policies, exceptions or namespace labels
// change: call it once ackguard's CRDs are installed.
func (w *KindWatcher) EnableGovernance() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.governed {
		return nil
	}
	w.governed = true
	for _, rec := range w.started {
		if rec.WatchGovernance {
			continue
		}
		if err := rec.WatchGovernanceChanges(); err != nil {
			return err
		}
		rec.WatchGovernance = true
	}
	return nil
}
