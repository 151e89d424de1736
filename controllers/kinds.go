package controllers

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/ackguard/ackguard/internal/kinds"
)

// KindWatcher starts a drift reconciler for each guarded ACK kind once its
// CRD is installed, and stops it (and the kind's informer) once the CRD
// is deleted, checking again every Interval: installing, deleting or
// reinstalling an ACK controller's CRDs needs no restart of ackguard. It
// runs on the leader only.
type KindWatcher struct {
	Manager  ctrl.Manager
	Kinds    []schema.GroupVersionKind
	Interval time.Duration
	// New returns the reconciler for a kind.
	New func(gvk schema.GroupVersionKind) *DriftReconciler
	// Served tells which kinds are served (default: one asking a
	// discovery client on the manager's config about the kinds and their
	// references' targets). It is asked every Interval, as the manager's
	// RESTMapper keeps a kind it once found after its CRD is deleted. It
	// may be shared with the manager's kinds.Poller, and must check at
	// least the kinds and their references' targets.
	Served *kinds.Served

	mu       sync.Mutex
	started  map[schema.GroupVersionKind]*runningKind
	served   map[schema.GroupVersionKind]bool // as of the last check
	named    map[schema.GroupVersionKind]bool // controller names taken
	governed bool
	// restartGap, when set, is called between the stop of a reconciler
	// restarted for its referenced kinds and the start of the next (with
	// mu held): a test seam.
	restartGap func(schema.GroupVersionKind)
	// failed hears of a reconciler that stopped with an error (its
	// caches never synced): the watcher, and so the manager, stops then.
	failed chan error
}

// runningKind is a started reconciler and how to stop it.
type runningKind struct {
	rec    *DriftReconciler
	cancel context.CancelFunc
	done   chan struct{}
}

var _ manager.LeaderElectionRunnable = &KindWatcher{}

// NeedLeaderElection makes the watcher, and so the controllers it starts,
// run on the elected leader only.
func (w *KindWatcher) NeedLeaderElection() bool { return true }

// Start checks for the kinds until the context ends, then stops every
// reconciler it started and waits for them.
func (w *KindWatcher) Start(ctx context.Context) error {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	if w.Served == nil {
		dc, err := discovery.NewDiscoveryClientForConfigAndClient(w.Manager.GetConfig(), w.Manager.GetHTTPClient())
		if err != nil {
			return err
		}
		w.Served = kinds.New(dc, WatchedKinds(w.Kinds))
	}
	w.failed = make(chan error, 1)
	defer w.stopAll()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if err := w.sync(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.failed:
			return err
		case <-t.C:
		}
	}
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

// WatchedKinds returns the kinds and the targets of their references: the
// kinds a KindWatcher of the kinds needs to know are served.
func WatchedKinds(guarded []schema.GroupVersionKind) []schema.GroupVersionKind {
	out := slices.Clone(guarded)
	for _, ref := range ACKReferences() {
		if slices.Contains(guarded, ref.From) && !slices.Contains(out, ref.To) {
			out = append(out, ref.To)
		}
	}
	return out
}

// sync starts the reconcilers of kinds served now, stops those of kinds no
// longer served (removing their informers: nothing retries a list of a
// kind that is gone), and restarts a reconciler when a kind it references
// comes or goes, so it watches exactly the targets served.
func (w *KindWatcher) sync(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("kinds")
	served := w.Served.Check(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started == nil {
		w.started = map[schema.GroupVersionKind]*runningKind{}
		w.named = map[schema.GroupVersionKind]bool{}
	}
	changed := func(k schema.GroupVersionKind) bool { return served[k] != w.served[k] }
	var gone []schema.GroupVersionKind
	for k := range served {
		if w.served != nil && w.served[k] && !served[k] {
			gone = append(gone, k)
		}
	}
	for _, gvk := range w.Kinds {
		run := w.started[gvk]
		if run == nil {
			continue
		}
		switch {
		case !served[gvk]:
			w.stop(gvk)
			// Its objects went with its CRD, whether or not the
			// reconciler saw them go: a watch down while the CRD was
			// deleted delivers no deletion (listing a kind that is gone
			// only fails).
			run.rec.memory().notes.forgetKind(gvk.GroupKind())
			run.rec.Metrics.ForgetKind(gvk.Kind)
			if run.rec.Results != nil {
				run.rec.Results.ForgetKind(gvk.GroupKind())
			}
			if snap := run.rec.Governance.Snapshot; snap != nil {
				snap.ForgetStatusOf(gvk)
			}
			log.Info("kind no longer served (its CRD was deleted): stopped watching it; it is watched again once installed", "kind", gvk.String())
		case slices.ContainsFunc(ACKReferences(), func(ref Reference) bool { return ref.From == gvk && changed(ref.To) }):
			// The next reconciler forgets the objects deleted until it
			// runs, which no handler heard of (DriftReconciler.goneSince).
			w.stop(gvk)
			log.Info("a referenced kind was installed or deleted: restarting", "kind", gvk.String())
			if w.restartGap != nil {
				w.restartGap(gvk)
			}
		}
	}
	// The informers of deleted kinds stop once no reconciler uses them.
	for _, k := range gone {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(k)
		if err := w.Manager.GetCache().RemoveInformer(ctx, u); err != nil {
			log.Error(err, "cannot stop the informer of a deleted kind", "kind", k.String())
		}
	}
	w.served = served
	if ctx.Err() != nil {
		return nil
	}
	for _, gvk := range w.Kinds {
		if w.started[gvk] != nil {
			continue
		}
		if !served[gvk] {
			log.V(1).Info("kind not installed; will check again", "kind", gvk.String(), "interval", w.Interval.String())
			continue
		}
		if err := w.start(ctx, gvk); err != nil {
			return err
		}
		log.Info("watching kind", "kind", gvk.String())
	}
	return nil
}

// start runs the reconciler of a kind until ctx ends or stop.
func (w *KindWatcher) start(ctx context.Context, gvk schema.GroupVersionKind) error {
	rec := w.New(gvk)
	for _, ref := range ACKReferences() {
		if ref.From == gvk && w.served[ref.To] {
			rec.Watch = append(rec.Watch, ref)
		}
	}
	rec.WatchGovernance = rec.WatchGovernance || w.governed
	rec.renamed = w.named[gvk]
	if err := rec.Setup(w.Manager); err != nil {
		return fmt.Errorf("starting the drift reconciler for %s: %w", gvk, err)
	}
	w.named[gvk] = true
	kctx, cancel := context.WithCancel(ctx)
	run := &runningKind{rec: rec, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(run.done)
		if err := rec.Run(kctx); err != nil && kctx.Err() == nil {
			select {
			case w.failed <- fmt.Errorf("the drift reconciler for %s: %w", gvk, err):
			default:
			}
		}
	}()
	w.started[gvk] = run
	return nil
}

// stop stops the reconciler of a kind and waits until its workers are
// done and its event handlers removed. Call with mu held.
func (w *KindWatcher) stop(gvk schema.GroupVersionKind) {
	run := w.started[gvk]
	if run == nil {
		return
	}
	run.cancel()
	<-run.done
	delete(w.started, gvk)
}

func (w *KindWatcher) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for gvk := range w.started {
		w.stop(gvk)
	}
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
	for _, run := range w.started {
		if run.rec.WatchGovernance {
			continue
		}
		if err := run.rec.WatchGovernanceChanges(); err != nil {
			return err
		}
		run.rec.WatchGovernance = true
	}
	return nil
}
