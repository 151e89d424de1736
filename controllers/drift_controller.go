package controllers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// FieldManager is the field manager of every write ackguard makes.
const FieldManager = "ackguard"

// Event reasons.
const (
	ReasonRemediated         = "Remediated"
	ReasonViolation          = "Violation"
	ReasonRemediationSkipped = "RemediationSkipped"
	ReasonRemediationStopped = "RemediationSuspended"
	ReasonRemediationFailed  = "RemediationFailed"
	defaultMaxAttempts       = 2
	defaultRemediationWindow = time.Hour
	// DefaultRemediationBackoff is the default DriftReconciler.Backoff.
	DefaultRemediationBackoff = 10 * time.Second
	maxEventNoteLength        = 1000
	// maxRetryDelay bounds the backoff of a failing object.
	maxRetryDelay = 5 * time.Minute
)

// DriftReconciler judges the objects of one ACK kind and patches fixable
// violations back to their secure values.
type DriftReconciler struct {
	Client client.Client
	// APIReader reads past the cache after a conflict (the cache may still
	// hold the version that conflicted). Defaults to Client.
	APIReader client.Reader
	Registry  *rules.Registry
	// Config is the rule configuration the manager's flags give; policies
	// override it for the objects they select.
	Config rules.Config
	// Governance reads the cluster's policies and exceptions; when nil one
	// is built on Client with Config.
	Governance *govsource.Source
	// WatchGovernance re-judges objects when GuardrailPolicies,
	// GuardrailExceptions or namespace labels change (set it when
	// ackguard's CRDs are installed).
	WatchGovernance bool
	// Results, when set, receives every judgement and fix (policy reports,
	// policy status).
	Results  ResultSink
	GVK      schema.GroupVersionKind
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	// MaxAttempts bounds remediations of one object within Window; past it
	// the reconciler reports instead of patching (it never fights a GitOps
	// tool forever).
	MaxAttempts int
	Window      time.Duration
	// Backoff is the least time between the first and second fix of one
	// object; it doubles for each later attempt (0: 10s).
	Backoff time.Duration
	// Limiter bounds the fixes per second of every reconciler sharing it
	// (nil: unbounded).
	Limiter *rate.Limiter
	// Workers is how many objects are reconciled at once (one object is
	// never reconciled by two workers); 0 means 1.
	Workers int
	// Memory, when set, is the remediation memory the reconcilers of every
	// kind share (nil: the reconciler's own), so that a kind's reconciler
	// started again keeps the counts and suspensions it decided.
	Memory *RemediationMemory
	// Metrics, when set, records open violations and remediations.
	Metrics *metrics.Metrics
	// Watch lists the referenced kinds (installed ones only) whose changes
	// re-judge the objects that reference them.
	Watch []Reference

	// Set up by Setup.
	controller controller.Controller
	cache      *scopedCache
	// own is the memory of remediation states when Memory is nil.
	own RemediationMemory
	// renamed says an earlier reconciler of the kind ran (the kind was
	// deleted and installed again, or a kind it references came or
	// went): Setup reuses its controller name, and the objects it kept
	// results of that are gone since are forgotten (goneSince).
	renamed bool
}

// thenQueue is a source that, once synced, queues the requests gone
// returns.
type thenQueue struct {
	source.SyncingSource
	gone  func(context.Context) []reconcile.Request
	queue workqueue.TypedRateLimitingInterface[reconcile.Request]
}

func (s *thenQueue) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	s.queue = q
	return s.SyncingSource.Start(ctx, q)
}

func (s *thenQueue) WaitForSync(ctx context.Context) error {
	if err := s.SyncingSource.WaitForSync(ctx); err != nil {
		return err
	}
	for _, req := range s.gone(ctx) {
		s.queue.Add(req)
	}
	return nil
}

// goneSince returns the objects of the kind whose results, gauges,
// suspension or owner account (their status) an earlier reconciler of the
// kind left and that the cache no longer has: reconciled, each is
// forgotten (or judged, created again meanwhile). One deleted after that
// reconciler stopped and before this one's event handler was added is
// otherwise never heard of: the shared informer processed the deletion
// with no handler of the kind, and a handler added is told only of the
// objects there. It is called once the handler is added and has been told
// of them (the cache holds every object whose deletion the handler will
// not hear), before any worker runs; the objects there are left to the
// handler's own events.
func (r *DriftReconciler) goneSince(ctx context.Context) []reconcile.Request {
	keys := r.Metrics.Objects(r.GVK.Kind)
	if r.Results != nil {
		keys = append(keys, r.Results.Objects(r.GVK.GroupKind())...)
	}
	// A resource no policy selects has neither, but its status may name
	// an owner account, which its deletion must take back.
	if r.Governance != nil && r.Governance.Snapshot != nil {
		keys = append(keys, r.Governance.Snapshot.StatusObjects(r.GVK)...)
	}
	var out []reconcile.Request
	for _, key := range keys {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(r.GVK)
		if err := r.cache.Get(ctx, key, obj, client.UnsafeDisableDeepCopy); err == nil {
			continue
		}
		// A key both hold is queued once.
		out = append(out, reconcile.Request{NamespacedName: key})
	}
	return out
}

// ControllerName returns the controller's name for a kind.
func ControllerName(gvk schema.GroupVersionKind) string {
	return "drift-" + strings.ToLower(gvk.Kind) + "." + gvk.Group
}

// SetupWithManager registers the reconciler for its kind: it runs on the
// leader until the manager stops.
func (r *DriftReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := r.Setup(mgr); err != nil {
		return err
	}
	return mgr.Add(manager.RunnableFunc(r.Run))
}

// Setup builds the reconciler's controller for its kind, on the manager's
// cache, without starting it: Run runs it, and a KindWatcher stops it
// when the kind's CRD is deleted.
func (r *DriftReconciler) Setup(mgr ctrl.Manager) error {
	switch {
	case r.Client == nil, r.Registry == nil, r.Recorder == nil:
		return fmt.Errorf("drift reconciler for %s: client, registry and recorder are required", r.GVK.Kind)
	case r.GVK.Kind == "":
		return fmt.Errorf("drift reconciler: no kind")
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.APIReader == nil {
		r.APIReader = r.Client
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = defaultMaxAttempts
	}
	if r.Window <= 0 {
		r.Window = defaultRemediationWindow
	}
	if r.Backoff <= 0 {
		r.Backoff = DefaultRemediationBackoff
	}
	if r.Limiter == nil {
		r.Limiter = rate.NewLimiter(rate.Inf, 1)
	}
	if r.Governance == nil {
		r.Governance = &govsource.Source{Reader: r.Client, Registry: r.Registry, Defaults: governance.Defaults{Config: r.Config}}
	}
	// Every outcome of every fixable rule is exported from the start, so
	// that the first of each is an increase the alerts see.
	var fixable []string
	for _, rule := range r.Registry.RulesFor(r.GVK.GroupKind()) {
		if rule.Fixer != nil {
			fixable = append(fixable, rule.ID)
		}
	}
	r.Metrics.ExportRemediations(r.GVK.Kind, fixable)
	opts := controller.Options{
		Reconciler: r, Logger: mgr.GetLogger(),
		// Namespaces take turns: a mass violation in one does not starve
		// the others.
		// Retries back off per object only: after an outage of the API
		// server, every object failed at once, and an overall bucket would
		// hold back the recovery (fixes are bounded by Limiter instead).
		MaxConcurrentReconciles: max(r.Workers, 1), NewQueue: NewFairQueue, UsePriorityQueue: ptr.To(false),
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, maxRetryDelay),
	}
	opts.DefaultFromConfig(mgr.GetControllerOptions())
	if r.renamed {
		opts.SkipNameValidation = ptr.To(true)
	}
	c, err := controller.NewUnmanaged(ControllerName(r.GVK), opts)
	if err != nil {
		return err
	}
	// Every handler the controller adds to the manager's informers is
	// removed when it stops: informers of other kinds, policies and
	// namespaces outlive it.
	r.controller, r.cache = c, &scopedCache{Cache: mgr.GetCache()}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(r.GVK)
	// Labels decide which policies and exceptions select the object.
	// A resync of the cache (the manager's SyncPeriod) re-delivers every
	// object unchanged: that is the periodic full pass.
	objects := source.Kind(r.cache, client.Object(obj), &handler.EnqueueRequestForObject{},
		predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}, Resync))
	if r.renamed {
		objects = &thenQueue{SyncingSource: objects, gone: r.goneSince}
	}
	sources := []source.Source{objects}
	for _, ref := range r.Watch {
		if ref.From != r.GVK {
			continue
		}
		to := &unstructured.Unstructured{}
		to.SetGroupVersionKind(ref.To)
		sources = append(sources, source.Kind(r.cache, client.Object(to), enqueueReferrers(r.Client, ref), predicate.GenerationChangedPredicate{}))
	}
	for _, src := range sources {
		if err := c.Watch(src); err != nil {
			return err
		}
	}
	if r.WatchGovernance {
		return r.WatchGovernanceChanges()
	}
	return nil
}

// Run runs the controller Setup built until ctx ends and its workers are
// done, then removes its event handlers from the manager's informers.
func (r *DriftReconciler) Run(ctx context.Context) error {
	if r.controller == nil {
		return fmt.Errorf("drift reconciler for %s: not set up", r.GVK.Kind)
	}
	defer r.cache.release()
	return r.controller.Start(ctx)
}

// WatchGovernanceChanges re-judges the objects when GuardrailPolicies,
// GuardrailExceptions or namespace labels or default regions change.
// Setup calls it when WatchGovernance is set; call it on a running
// reconciler once ackguard's CRDs are installed.
func (r *DriftReconciler) WatchGovernanceChanges() error {
	if r.controller == nil {
		return fmt.Errorf("drift reconciler for %s: not set up", r.GVK.Kind)
	}
	for _, src := range []source.Source{
		source.Kind(r.cache, client.Object(&v1alpha1.GuardrailPolicy{}), r.enqueueKind(false), predicate.GenerationChangedPredicate{}),
		source.Kind(r.cache, client.Object(&v1alpha1.GuardrailException{}), r.enqueueKind(true), predicate.GenerationChangedPredicate{}),
		source.Kind(r.cache, client.Object(&corev1.Namespace{}), r.enqueueKind(true), predicate.Or[client.Object](predicate.LabelChangedPredicate{}, DefaultRegionChanged)),
	} {
		if err := r.controller.Watch(src); err != nil {
			return fmt.Errorf("drift reconciler for %s: watching governance: %w", r.GVK.Kind, err)
		}
	}
	return nil
}

// DefaultRegionChanged admits the updates of a Namespace that change its
// services.k8s.aws/default-region annotation, whose partition is that of
// its resources that tell none (and every other event).
var DefaultRegionChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld != nil && e.ObjectNew != nil &&
			view.NamespaceDefaultRegion(e.ObjectOld.GetAnnotations()) != view.NamespaceDefaultRegion(e.ObjectNew.GetAnnotations())
	},
}

// Resync admits the update events a cache resync delivers (the object as it
// was, same resourceVersion), so every object is judged again each resync
// period: what a dropped event, a policy change whose event raced the
// snapshot, or a clock-driven change left behind is caught then.
var Resync = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld != nil && e.ObjectNew != nil && e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion()
	},
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// +kubebuilder:rbac:groups=s3.services.k8s.aws,resources=buckets,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile judges one object and remediates what the rules allow.
func (r *DriftReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	notes, key := &r.memory().notes, memoryKey{r.GVK.GroupKind(), req.NamespacedName}
	notes.begin(key)
	res, err := r.reconcile(ctx, req)
	// A reconcile that failed before it judged the object (and is retried)
	// did not find its states gone; a terminal failure (a fixer that
	// cannot fix) judged it through.
	notes.end(key, err == nil || errors.Is(err, reconcile.TerminalError(nil)))
	if err != nil && r.Metrics != nil {
		r.Metrics.ReconcileErrors.WithLabelValues(r.GVK.Kind).Inc()
	}
	// Let a waiting admission run between two reconciles. A burst of them
	// (a resync judging every object again) never blocks, so on one P it
	// would otherwise keep the P for a whole preemption slice at a time,
	// and a webhook request readied meanwhile waits behind every worker
	// (docs/performance.md, "One CPU for a manager that asks for less
	// than one").
	runtime.Gosched()
	return res, err
}

func (r *DriftReconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj, err := r.load(ctx, req.NamespacedName)
	if obj == nil || err != nil {
		return ctrl.Result{}, err
	}
	d, err := r.decide(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	result := r.report(obj, d)
	fixIDs := d.FixRules()
	readOnly := view.ReadOnly(obj.Object)
	if len(fixIDs) == 0 || readOnly {
		r.Metrics.SetSuspended(r.GVK.Kind, req.NamespacedName, false)
		if r.Results != nil {
			r.Results.Suspended(obj, nil, false)
		}
	}
	if len(fixIDs) == 0 {
		r.memory().settle(obj)
		if readOnly || view.ReadMeta(obj.Object).AwaitsAdoption() {
			return result, nil // never written
		}
		return result, r.clearSuspension(ctx, obj)
	}
	if readOnly {
		if r.event(obj, corev1.EventTypeWarning, ReasonRemediationSkipped, "Remediate",
			"not patched: the object is ACK read-only (%s); fixable: %s", view.AnnotationReadOnly, strings.Join(fixIDs, ", ")) {
			r.countRemediations(fixIDs, metrics.OutcomeSkippedReadOnly)
		}
		return result, nil
	}
	// The object is the cache's own, whose spec subtrees other cached
	// objects share: after a conflict remediate reads the object again
	// into what it was given, so it works on a copy (the plan is a copy
	// already: TestRemediateLeavesItsInputAlone).
	return r.remediate(ctx, req.NamespacedName, obj.DeepCopy(), d.Judgement, fixIDs, result)
}

// clearSuspension rewrites the remediation annotation of an object that
// has no fix due once settle ended the suspension it records: the
// annotation, which people read, must not go on saying that fixing is
// suspended. The state written is the one the reconciler goes on from
// (the window's count stands), with every previous value; only the
// annotation is written, guarded by the resourceVersion, and once: a
// tool that writes the old annotation back is not answered again. A
// suspension this manager did not decide (recorded before a restart, by
// the previous leader, or one whose state it forgot, even when a fix it
// tried since was not written) is cleared once too, the state written
// being the annotation's history, which latest goes on from. A conflict
// is retried at the reconcile the conflicting write brings; a refusal is
// logged, not retried.
func (r *DriftReconciler) clearSuspension(ctx context.Context, obj *unstructured.Unstructured) error {
	state, ended, known := r.memory().endedSuspension(obj)
	if known && !ended {
		return nil
	}
	annotated := annotatedState(obj)
	switch {
	case !known && annotated.Suspended == nil:
		return nil // nothing to clear, and nothing to remember
	case !known:
		state = annotated.history()
	case annotated.Suspended == nil:
		r.memory().put(obj, state) // nothing to clear (the annotation was replaced)
		return nil
	}
	switch err := r.patch(ctx, obj, map[string]any{}, state); {
	case err == nil:
		r.memory().put(obj, state)
		logf.FromContext(ctx).Info("remediation no longer suspended: no fix is due", "annotation", AnnotationRemediation)
		return nil
	case apierrors.IsConflict(err), apierrors.IsNotFound(err):
		return nil
	case refusedPatch(err):
		r.memory().put(obj, state)
		logf.FromContext(ctx).Error(err, "cannot record in the annotation that remediation is no longer suspended", "annotation", AnnotationRemediation)
		return nil
	default:
		return err
	}
}

// load reads the object from the cache; nil when it is gone or being
// deleted (never touched then).
func (r *DriftReconciler) load(ctx context.Context, key types.NamespacedName) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(r.GVK)
	// The cached object itself, not a copy: judging only reads it, and
	// remediate copies it before anything could write to it.
	if err := r.Client.Get(ctx, key, obj, client.UnsafeDisableDeepCopy); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(key)
		}
		return nil, client.IgnoreNotFound(err)
	}
	if obj.GetDeletionTimestamp() != nil {
		r.forget(key)
		return nil, nil
	}
	// The account ACK synced the resource in is an owner account.
	if snap := r.Governance.Snapshot; snap != nil {
		snap.ObserveStatus(r.GVK, key, obj.Object)
	}
	return obj, nil
}

// decide judges the stored object through the one admission decision
// (what admission would refuse were it created now, and what to fix).
func (r *DriftReconciler) decide(ctx context.Context, obj *unstructured.Unstructured) (*governance.Decision, error) {
	return r.Governance.Admit(ctx, governance.Request{Operation: governance.Existing, Object: obj.Object})
}

// report records the judgement (reports, metrics, Violation events for
// what would be denied and no fix resolves) and returns when to look
// again: when an exception that applies expires.
func (r *DriftReconciler) report(obj *unstructured.Unstructured, d *governance.Decision) ctrl.Result {
	j := d.Judgement
	if r.Results != nil {
		r.Results.Observe(obj, j, r.memory().fixTimes(obj, r.Clock))
	}
	r.Metrics.SetViolations(r.GVK.Kind, client.ObjectKeyFromObject(obj), openRules(j.Results))
	result := ctrl.Result{}
	if !j.NextChange.IsZero() {
		result.RequeueAfter = max(j.NextChange.Sub(r.Clock.Now())+time.Second, time.Second)
	}
	if audited := reportOnly(d.Denials); len(audited) > 0 {
		r.event(obj, corev1.EventTypeWarning, ReasonViolation, "Report", "%s", summarize(audited, maxEventNoteLength))
	}
	return result
}

// remediate plans the fixes and patches them, re-reading and re-judging
// the object after a conflict; between the bounded attempts it backs off,
// and past them it reports instead of patching until the spec changes.
func (r *DriftReconciler) remediate(ctx context.Context, key types.NamespacedName, obj *unstructured.Unstructured, j *governance.Judgement, fixIDs []string, result ctrl.Result) (ctrl.Result, error) {
	rem := remediation{j: j, fixIDs: fixIDs}
	err := r.fixUntilNoConflict(ctx, key, obj, &rem)
	a := &rem.a
	suspended := a.suspendedRules(rem.fixIDs)
	if err != nil && (a.step != StepFix || apierrors.IsNotFound(err)) {
		// A suspension whose recording failed is not in force; one that
		// holds some fields while the fix of the others failed still is.
		suspended = nil
	}
	r.Metrics.SetSuspended(r.GVK.Kind, key, len(suspended) > 0)
	if r.Results != nil {
		r.Results.Suspended(obj, suspended, len(suspended) > 0)
	}
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return r.reportFailure(ctx, obj, a, rem.fixIDs, suspended, err, rem.planFailed, result)
	}
	return r.reportRemediation(ctx, obj, &rem, suspended, result)
}

// remediation is one remediate: the judgement and the rules to fix (those
// of the object as last read), and the attempt that wrote them.
type remediation struct {
	j      *governance.Judgement
	fixIDs []string
	a      fixAttempt
	// planFailed: the fixers could not plan the fix (a deterministic
	// error, not the API server's).
	planFailed bool
}

// fixUntilNoConflict plans and writes the fix; after a conflict it reads
// the object again (into obj), judges it again and starts over, within
// the retry's bounds.
func (r *DriftReconciler) fixUntilNoConflict(ctx context.Context, key types.NamespacedName, obj *unstructured.Unstructured, rem *remediation) error {
	tries := 0
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		rem.a = fixAttempt{}
		if tries++; tries > 1 { // a conflict: judge the object as it is now
			if err := r.APIReader.Get(ctx, key, obj); err != nil {
				return err
			}
			if obj.GetDeletionTimestamp() != nil || view.ReadOnly(obj.Object) {
				// Its deletion started, or it became ACK read-only (the
				// write that conflicted may have made it so): never
				// touched; the next reconcile reports it.
				rem.fixIDs = nil
				return nil
			}
			d, err := r.decide(ctx, obj)
			if err != nil {
				return err
			}
			rem.j, rem.fixIDs = d.Judgement, d.FixRules()
		}
		plan, err := r.Registry.RemediateEach(obj.Object, rem.j.FixConfigs, rem.fixIDs)
		if err != nil {
			rem.planFailed = true
			return err
		}
		err = r.attempt(ctx, obj, rem.j, plan, &rem.a)
		if rem.a.notDue {
			rem.fixIDs = nil
		}
		return err
	})
}

// reportRemediation reports what a remediation that wrote without error
// did: the parts left out, a fix that changes nothing, a backoff, a
// suspension, the fix, and the parts the API server refused.
func (r *DriftReconciler) reportRemediation(ctx context.Context, obj *unstructured.Unstructured, rem *remediation, suspended []string, result ctrl.Result) (ctrl.Result, error) {
	a := &rem.a
	r.reportSkipped(obj, a.skipped)
	switch {
	case a.plan.Empty() && len(a.skipped) > 0:
		return result, nil // all of it refused: said above
	case a.plan.Empty():
		if len(rem.fixIDs) == 0 {
			return result, nil // re-judged after a conflict: nothing left
		}
		// The fixes changed nothing, yet their findings remain: say so
		// rather than leave the violation silent.
		const unchanged = " (the fix changes nothing; change the spec)"
		r.event(obj, corev1.EventTypeWarning, ReasonViolation, "Report", "%s"+unchanged, summarize(toFix(rem.j.Results), maxEventNoteLength-len(unchanged)))
		return result, nil
	case a.step == StepWait:
		logf.FromContext(ctx).V(1).Info("fix reverted soon after the last; backing off", "rules", a.plan.Rules, "attempts", a.state.Attempts, "retryAt", a.at)
		return requeueBy(result, a.at.Sub(r.Clock.Now())), nil
	}
	if len(suspended) > 0 {
		r.reportSuspended(obj, rem.j, a, suspended)
	}
	if a.step == StepFix {
		r.reportFix(ctx, obj, rem.j, *a)
	}
	if len(a.failed) > 0 {
		// The API server refused these parts, the rest was patched.
		r.event(obj, corev1.EventTypeWarning, ReasonRemediationFailed, "Remediate", "%s; the rest of the fix was applied", describeSkipped(a.failed))
		r.countRemediations(skippedRules(a.failed), metrics.OutcomeFailed)
		return fixerFailed(ctx, a.failErr, result)
	}
	return result, nil
}

// reportFailure reports a fix that could not be written (planning it
// failed, or the API server refused the patch) and ends the reconcile.
// suspended are the rules a suspension holds meanwhile.
func (r *DriftReconciler) reportFailure(ctx context.Context, obj *unstructured.Unstructured, a *fixAttempt, fixIDs, suspended []string, err error, planFailed bool, result ctrl.Result) (ctrl.Result, error) {
	// The parts admission refuses were not tried: they are reported
	// skipped, not failed; nor were those a suspension holds.
	r.reportSkipped(obj, a.skipped)
	refused := a.refusedRules()
	failed := slices.DeleteFunc(slices.Clone(fixIDs), func(id string) bool {
		return slices.Contains(refused, id) || (slices.Contains(suspended, id) && !slices.Contains(a.patched.Rules, id))
	})
	r.event(obj, corev1.EventTypeWarning, ReasonRemediationFailed, "Remediate", "could not apply %s: %v", strings.Join(failed, ", "), err)
	r.countRemediations(failed, metrics.OutcomeFailed)
	if planFailed || refusedPatch(err) {
		// The same patch would fail the same way: judged again when the
		// object changes, at an exception's expiry or at resync.
		return fixerFailed(ctx, err, result)
	}
	return ctrl.Result{}, err
}

// reportSuspended records that a suspension holds the rules suspended.
func (r *DriftReconciler) reportSuspended(obj *unstructured.Unstructured, j *governance.Judgement, a *fixAttempt, suspended []string) {
	sus := a.state.Suspended
	attempts, window := sus.Attempts, sus.WindowStart
	if attempts == 0 { // none recorded
		attempts, window = a.state.Attempts, a.state.WindowStart
	}
	r.event(obj, corev1.EventTypeWarning, ReasonRemediationStopped, "Remediate",
		"%s reverted %d times since %s; suspended since %s (generation %d) while the spec keeps the values it was reverted to: fix the source of truth, or grant a GuardrailException: %s",
		strings.Join(suspended, ", "), attempts, window.Format(time.RFC3339), sus.Since.Format(time.RFC3339), sus.Generation,
		summarize(findingsWhere(j.Results, func(res governance.Result) bool { return res.Fix && slices.Contains(suspended, res.RuleID) }), maxEventNoteLength))
	if a.step == StepSuspend || a.step == StepFix {
		// A fix of other fields may begin a suspension of the reverted.
		r.countRemediations(a.newlySuspended(suspended), metrics.OutcomeSuspended)
	}
}

// fixAttempt is what one try of remediate decided and did.
type fixAttempt struct {
	// plan is the fix due, less what admission or the API server refuses.
	plan rules.Plan
	// patched is what was patched (StepFix): plan less what a suspension
	// holds.
	patched       rules.Plan
	before, state RemediationState
	step          Step
	at            time.Time
	// skipped are the parts of the fix left out because admission refuses
	// what they would bring; failed those the API server refused (failErr
	// its answer to the whole), the rest being patched.
	skipped, failed []skippedFix
	failErr         error
	// notDue: judged again after waiting for its turn, the fix was no
	// longer due (an exception or a policy changed meanwhile).
	notDue bool
	// fixed is the judgement of the object with the whole plan applied
	// (admissible made it), nil before.
	fixed *governance.Judgement
	// lean: the object was too large to store with the previous values
	// in the annotation; they are left to the log (leaveToLog).
	lean bool
}

// skippedFix is a part of a fix left out, and why.
type skippedFix struct {
	part rules.Plan
	why  string
}

// suspendedRules returns the rules whose fix a suspension holds: all of
// them (fixIDs, less those whose fix admission refuses) when it holds the
// whole fix due, or those of the fields it holds while the rest is fixed.
func (a *fixAttempt) suspendedRules(fixIDs []string) []string {
	switch {
	case a.plan.Empty():
		return nil
	case a.step == StepSuspend || a.step == StepSuspended:
		// Not the rules whose fix admission refuses whole: they are
		// reported skipped, and no patch of theirs was reverted.
		refused := a.refusedRules()
		return slices.DeleteFunc(slices.Clone(fixIDs), func(id string) bool { return slices.Contains(refused, id) })
	case a.state.Suspended != nil:
		return a.state.Suspended.held(a.plan).Rules
	}
	return nil
}

// refusedRules returns the rules whose whole fix admission refuses (the
// parts skipped, less the rules of the plan kept).
func (a *fixAttempt) refusedRules() []string {
	return slices.DeleteFunc(skippedRules(a.skipped), func(id string) bool { return slices.Contains(a.plan.Rules, id) })
}

// newlySuspended returns those of the rules suspended (StepSuspend) that
// no suspension held before: a suspension of some fields, which the new
// one takes in, was counted when it began.
func (a *fixAttempt) newlySuspended(suspended []string) []string {
	prev := a.before.Suspended
	if prev == nil || a.state.Suspended == nil || !a.before.plausible(a.state.Suspended.Since) || fixIdentity(prev.held(a.plan)) != prev.Reverted {
		return suspended // none held, or it ended
	}
	rest := prev.rest(a.plan).Rules
	return slices.DeleteFunc(slices.Clone(suspended), func(id string) bool { return !slices.Contains(rest, id) })
}

// attempt narrows plan to what admission allows, decides the step from
// the object's remediation state and patches; when the API server refuses
// a fix of several parts, it patches those parts it accepts. j is the
// judgement of obj the plan was made from.
func (r *DriftReconciler) attempt(ctx context.Context, obj *unstructured.Unstructured, j *governance.Judgement, plan rules.Plan, a *fixAttempt) error {
	if err := r.admissible(ctx, obj, plan, a); err != nil || a.plan.Empty() {
		return err
	}
	a.before = r.memory().latest(obj, annotatedState(obj))
	for {
		a.state, a.step, a.at = a.before.next(r.Clock.Now().UTC(), obj.GetGeneration(), a.plan, r.bounds())
		body := map[string]any{} // StepSuspend records the state alone
		switch a.step {
		case StepFix:
			a.patched = a.state.Suspended.rest(a.plan)
			due, err := r.takeTurn(ctx, obj, plan)
			if err != nil || !due {
				// Nothing judged before the wait holds now: the parts
				// left out are not reported either.
				*a = fixAttempt{notDue: err == nil}
				return err
			}
			a.state.recordUndo(r.undoRules(ctx, obj, j, a.patched, a.fixedJudgement(plan)))
			if a.lean {
				a.state.leaveToLog()
			}
			body = a.patched.MergePatch()
		case StepSuspend:
		default:
			return nil
		}
		err := r.patch(ctx, obj, body, a.state)
		if err == nil {
			r.memory().put(obj, a.state)
			return nil
		}
		if a.step == StepFix && tooLarge(err) && !a.lean {
			// The fix with its record does not fit the object: the
			// previous values go to the log instead, not the fix.
			a.lean = true
			continue
		}
		if a.step != StepFix || !refusedPatch(err) || len(a.patched.Units()) < 2 || a.failErr != nil {
			return err
		}
		if err := r.leaveOutRefused(ctx, obj, a, err); err != nil {
			return err
		}
	}
}

// admissible sets a.plan to the parts of plan admission allows, and
// a.skipped to the parts it refuses.
func (r *DriftReconciler) admissible(ctx context.Context, obj *unstructured.Unstructured, plan rules.Plan, a *fixAttempt) error {
	if a.plan = plan; plan.Empty() {
		return nil
	}
	admission := func(p rules.Plan) (string, error) {
		d, err := r.introduced(ctx, obj, p)
		if err != nil {
			return "", err
		}
		if len(p.Changes) == len(plan.Changes) {
			// The whole plan: undoRules reads what remains after it.
			a.fixed = d.Judgement
		}
		refused := d.Denials
		if len(refused) == 0 {
			return "", nil
		}
		return "would bring what admission refuses: " + summarize(findingsWhere(refused, nil), maxEventNoteLength), nil
	}
	why, err := admission(plan)
	if err != nil || why == "" {
		return err
	}
	a.plan, a.skipped, err = narrow(plan, why, admission)
	return err
}

// leaveOutRefused asks the API server, with a dry run of each part, which
// parts of the fix it refused with refused, and leaves those out of
// a.plan for the next patch; an error when it accepts none (refused) or
// could not be asked.
func (r *DriftReconciler) leaveOutRefused(ctx context.Context, obj *unstructured.Unstructured, a *fixAttempt, refused error) error {
	state := a.state
	kept, failed, err := narrow(a.patched, "was refused: "+refused.Error(), func(p rules.Plan) (string, error) {
		switch err := r.patch(ctx, obj, p.MergePatch(), state, client.DryRunAll); {
		case err == nil:
			return "", nil
		case refusedPatch(err):
			return "was refused: " + err.Error(), nil
		default:
			return "", err
		}
	})
	if err != nil || kept.Empty() {
		return cmp.Or(err, refused)
	}
	a.failed, a.failErr = failed, refused
	refusedPaths := map[string]bool{}
	for _, f := range failed {
		for _, c := range f.part.Changes {
			refusedPaths[c.Path.String()] = true
		}
	}
	a.plan = a.plan.Keep(func(_ int, c rules.Change) bool { return !refusedPaths[c.Path.String()] })
	return nil
}

// takeTurn waits for the fix's turn under --max-patches-per-second and
// reports whether plan is still due then.
func (r *DriftReconciler) takeTurn(ctx context.Context, obj *unstructured.Unstructured, plan rules.Plan) (bool, error) {
	waitedFrom := r.Clock.Now()
	if err := r.Limiter.Wait(ctx); err != nil {
		return false, err
	}
	if r.Clock.Now().Sub(waitedFrom) > staleAfter {
		// An exception or a policy may have changed while the fix waited
		// for its turn: patch only if it is still due.
		return r.stillDue(ctx, obj, plan)
	}
	return true, nil
}

// narrow returns, of a plan refused whole for why, the units
// (rules.Plan.Units) check accepts, each tried in order with those
// accepted before it, and the others with check's reasons. A plan of one
// unit is refused whole.
func narrow(plan rules.Plan, why string, check func(rules.Plan) (string, error)) (rules.Plan, []skippedFix, error) {
	units := plan.Units()
	if len(units) < 2 {
		return rules.Plan{}, []skippedFix{{part: plan, why: why}}, nil
	}
	keep := make([]bool, len(plan.Changes))
	kept := func(i int, _ rules.Change) bool { return keep[i] }
	var skipped []skippedFix
	for _, u := range units {
		for _, i := range u {
			keep[i] = true
		}
		why, err := check(plan.Keep(kept))
		if err != nil {
			return rules.Plan{}, nil, err
		}
		if why != "" {
			for _, i := range u {
				keep[i] = false
			}
			skipped = append(skipped, skippedFix{part: plan.Keep(func(i int, _ rules.Change) bool { return slices.Contains(u, i) }), why: why})
		}
	}
	return plan.Keep(kept), skipped, nil
}

// reportSkipped records the parts of the fix admission refuses.
func (r *DriftReconciler) reportSkipped(obj *unstructured.Unstructured, skipped []skippedFix) {
	if len(skipped) == 0 {
		return
	}
	// A fix must never write what admission refuses (the webhook would
	// refuse the patch, every retry alike).
	if r.event(obj, corev1.EventTypeWarning, ReasonRemediationSkipped, "Remediate",
		"not patched: %s; change the spec", describeSkipped(skipped)) {
		r.countRemediations(skippedRules(skipped), metrics.OutcomeSkippedRefused)
	}
}

// describeSkipped says, for each part, whose fix of which fields and why.
func describeSkipped(skipped []skippedFix) string {
	parts := make([]string, 0, len(skipped))
	for _, s := range skipped {
		parts = append(parts, fmt.Sprintf("the fix of %s (%s) %s", strings.Join(s.part.Rules, ", "), strings.Join(changedPaths(s.part), ", "), s.why))
	}
	return strings.Join(parts, "; ")
}

func skippedRules(skipped []skippedFix) []string {
	var out []string
	for _, s := range skipped {
		for _, id := range s.part.Rules {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// reportFix logs, counts and records the fix attempt a patched.
func (r *DriftReconciler) reportFix(ctx context.Context, obj *unstructured.Unstructured, j *governance.Judgement, a fixAttempt) {
	applied := a.patched
	policies := fixPolicies(j.Results, applied.Rules)
	log := logf.FromContext(ctx)
	log.Info("remediated", "rules", applied.Rules, "fields", changedPaths(applied), "policies", policies)
	where := "previous values in annotation " + AnnotationRemediation
	if omitted := omittedPrevious(applied, a.state); len(omitted) > 0 {
		// Every fix can be undone: what the annotation has no room for is
		// kept here.
		log.Info("previous values too large for the annotation", "annotation", AnnotationRemediation, "previous", omitted)
		where += " (those too large for it in the manager's log)"
	}
	if dropped := droppedPrevious(a.before, a.state); len(dropped) > 0 {
		log.Info("previous values of earlier fixes dropped from the annotation to keep it small, or replaced by this fix's", "annotation", AnnotationRemediation, "previous", dropped)
	}
	r.countRemediations(applied.Rules, metrics.OutcomeApplied)
	if r.Results != nil {
		r.Results.Remediated(obj, policies)
	}
	r.event(obj, corev1.EventTypeNormal, ReasonRemediated, "Remediate", "%s (policy %s); %s",
		describePlan(applied), strings.Join(policies, ", "), where)
}

// introduced judges the plan as the UPDATE the patch is, through the one
// admission decision (a dry run: nothing is remembered of it): its
// Denials are what the fixed object would bring that admission refuses,
// its Judgement the fixed object's.
func (r *DriftReconciler) introduced(ctx context.Context, obj *unstructured.Unstructured, plan rules.Plan) (*governance.Decision, error) {
	return r.Governance.Admit(ctx, governance.Request{Operation: governance.Update, Object: plan.Object, OldObject: obj.Object, DryRun: true})
}

// undoRules returns, by path, the rules an undo of each change of fixed
// needs an exception for: those whose fixes made the change, and those of
// the findings in the field that admission denies or a policy fixes,
// which obj (judged as j) has and the fixed object no longer has. A fix
// made by one rule can clear another's finding (the registry runs the
// fixers in order, and the second finds nothing left to fix): writing the
// old value back with an exception for the first alone would be fixed
// again under the second, or refused by admission. The fixed object is
// judged as the UPDATE the patch is (a dry run: nothing is remembered of
// it). Should that judgement fail, each change names the rules that made
// it, and the log says so.
func (r *DriftReconciler) undoRules(ctx context.Context, obj *unstructured.Unstructured, j *governance.Judgement, fixed rules.Plan, after *governance.Judgement) map[string][]string {
	out := make(map[string][]string, len(fixed.Changes))
	for _, c := range fixed.Changes {
		out[c.Path.String()] = slices.Clone(c.Rules)
	}
	if j == nil || fixed.Object == nil {
		return out
	}
	if after == nil { // a part of the plan: judge it
		d, err := r.introduced(ctx, obj, fixed)
		if err != nil {
			logf.FromContext(ctx).Error(err, "cannot judge the fixed object: the previous values name only the rules whose fixes changed them")
			return out
		}
		after = d.Judgement
	}
	left := make(map[string]bool, len(after.Results))
	for _, res := range after.Results {
		left[res.IdentityKey()] = true
	}
	for _, c := range fixed.Changes {
		key := c.Path.String()
		for _, res := range j.Results {
			switch {
			case res.Action == v1alpha1.Audit || res.Action == v1alpha1.Disabled, // only warned about: no exception needed
				left[res.IdentityKey()], !pathsOverlap(res.Path, c.Path), slices.Contains(out[key], res.RuleID):
				continue
			}
			out[key] = append(out[key], res.RuleID)
		}
	}
	return out
}

// fixedJudgement returns the judgement of the fixed object when what is
// patched is the whole plan (nothing held, nothing left out), nil
// otherwise. The patched plan is a part of plan, in plan's order: of the
// same length, it is plan.
func (a *fixAttempt) fixedJudgement(plan rules.Plan) *governance.Judgement {
	if len(a.patched.Changes) != len(plan.Changes) {
		return nil
	}
	return a.fixed
}

// pathsOverlap reports whether one path is the other or lies within it.
func pathsOverlap(a, b view.Path) bool {
	n := min(len(a), len(b))
	return n > 0 && a[:n].Equal(b[:n])
}

// staleAfter is how long a fix may wait for its turn under
// --max-patches-per-second before it is judged again: long enough that
// an unthrottled fix never is.
const staleAfter = 100 * time.Millisecond

// stillDue reports whether obj judged now (with the policies and
// exceptions in force now) still calls for the same fix as plan.
func (r *DriftReconciler) stillDue(ctx context.Context, obj *unstructured.Unstructured, plan rules.Plan) (bool, error) {
	d, err := r.decide(ctx, obj)
	if err != nil {
		return false, err
	}
	now, err := r.Registry.RemediateEach(obj.Object, d.Judgement.FixConfigs, d.FixRules())
	if err != nil {
		return false, err
	}
	return fixIdentity(now) == fixIdentity(plan), nil
}

// refusedPatch reports whether the API server refused the patch for what
// it writes (the schema, an admission webhook, RBAC) rather than for a
// passing cause: retrying the same patch cannot succeed.
func refusedPatch(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err) || tooLarge(err)
}

// tooLarge reports whether the API server could not store the patched
// object for its size: etcd's request limit (1.5 MiB by default), which
// kube-apiserver answers with an internal error, or its own.
func tooLarge(err error) bool {
	return apierrors.IsRequestEntityTooLargeError(err) || strings.Contains(err.Error(), "etcdserver: request is too large")
}

// omittedPrevious returns the previous values of applied's changes that
// state records as omitted, by path.
func omittedPrevious(applied rules.Plan, state RemediationState) map[string]any {
	var out map[string]any
	for _, p := range state.Previous {
		if !p.Omitted {
			continue
		}
		for _, c := range applied.Changes {
			if c.Path.String() == p.Path {
				if out == nil {
					out = map[string]any{}
				}
				out[p.Path] = c.Old
			}
		}
	}
	return out
}

// requeueBy returns result due again within wait at the latest.
func requeueBy(result ctrl.Result, wait time.Duration) ctrl.Result {
	wait = max(wait, time.Second)
	if result.RequeueAfter == 0 || wait < result.RequeueAfter {
		result.RequeueAfter = wait
	}
	return result
}

// fixerFailed ends a reconcile whose fixer failed: the fixer fails the
// same way on the same object, so retrying changes nothing until the
// object (a new event) does, and the error is terminal; but a judgement
// due later (result: an exception's expiry) still comes, with the error
// logged instead.
func fixerFailed(ctx context.Context, err error, result ctrl.Result) (ctrl.Result, error) {
	if result.RequeueAfter > 0 {
		logf.FromContext(ctx).Error(err, "a fix failed; it is not retried until the object changes")
		return result, nil
	}
	return ctrl.Result{}, reconcile.TerminalError(err)
}

func (r *DriftReconciler) memory() *RemediationMemory {
	if r.Memory != nil {
		return r.Memory
	}
	return &r.own
}

func (r *DriftReconciler) bounds() Bounds {
	return Bounds{MaxAttempts: r.MaxAttempts, Window: r.Window, Backoff: r.Backoff}
}

func (r *DriftReconciler) forget(key types.NamespacedName) {
	r.memory().forget(r.GVK.GroupKind(), key)
	r.memory().notes.forget(memoryKey{r.GVK.GroupKind(), key})
	r.Metrics.SetViolations(r.GVK.Kind, key, nil)
	r.Metrics.SetSuspended(r.GVK.Kind, key, false)
	if snap := r.Governance.Snapshot; snap != nil {
		snap.ObserveStatus(r.GVK, key, nil)
	}
	if r.Results != nil {
		r.Results.Forget(r.GVK, key)
	}
}

// enqueueKind maps a policy (every object of the kind) or an exception or
// namespace (the objects of the kind in that namespace) to reconcile
// requests.
func (r *DriftReconciler) enqueueKind(sameNamespace bool) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(r.GVK.GroupVersion().WithKind(r.GVK.Kind + "List"))
		// Only the keys are read: the cached objects themselves, not a
		// copy of every one (a namespace's or the cluster's worth at once).
		opts := []client.ListOption{client.UnsafeDisableDeepCopy}
		if sameNamespace {
			ns := o.GetNamespace()
			if _, isNS := o.(*corev1.Namespace); isNS {
				ns = o.GetName()
			}
			opts = append(opts, client.InNamespace(ns))
		}
		if err := r.Client.List(ctx, list, opts...); err != nil {
			logf.FromContext(ctx).Error(err, "listing objects to re-judge", "kind", r.GVK.Kind)
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return out
	})
}

// reportOnly returns the denials that no fix resolves: the reconciler
// reports them as Violation events.
func reportOnly(denials []governance.Result) []rules.Finding {
	return findingsWhere(denials, func(r governance.Result) bool { return !r.Fix })
}

// findingsWhere returns the findings of the results keep accepts (all
// when keep is nil).
func findingsWhere(results []governance.Result, keep func(governance.Result) bool) []rules.Finding {
	var out []rules.Finding
	for _, r := range results {
		if keep == nil || keep(r) {
			out = append(out, r.Finding)
		}
	}
	return out
}

// openRules returns the rule IDs of the results no exception covers.
func openRules(results []governance.Result) []string {
	out := make([]string, 0, len(results))
	for _, r := range results {
		if r.Exception == nil {
			out = append(out, r.RuleID)
		}
	}
	return out
}

func toFix(results []governance.Result) []rules.Finding {
	return findingsWhere(results, func(r governance.Result) bool { return r.Fix })
}

// fixPolicies returns the policies that asked for the fixes of the rules.
func fixPolicies(results []governance.Result, ruleIDs []string) []string {
	var out []string
	for _, r := range results {
		if !r.Fix || !slices.Contains(ruleIDs, r.RuleID) {
			continue
		}
		for _, p := range r.FixPolicies {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// patch writes a JSON merge patch of only the changed fields (body, from
// the plan; empty when only the state changes) plus the state annotation, guarded by the resourceVersion the plan was
// computed from: a concurrent write makes it fail with a conflict.
func (r *DriftReconciler) patch(ctx context.Context, obj *unstructured.Unstructured, body map[string]any, state RemediationState, opts ...client.PatchOption) error {
	stateJSON, err := json.Marshal(state)
	if err != nil {
		return err
	}
	body["metadata"] = map[string]any{
		"resourceVersion": obj.GetResourceVersion(),
		"annotations":     map[string]any{AnnotationRemediation: string(stateJSON)},
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	// The answer is read as metadata only: nothing reads the patched
	// object (its watch event brings it), and the API server then encodes
	// and sends, and ackguard decodes, a fraction of it.
	target := &metav1.PartialObjectMetadata{}
	target.SetGroupVersionKind(r.GVK)
	target.SetNamespace(obj.GetNamespace())
	target.SetName(obj.GetName())
	return r.Client.Patch(ctx, target, client.RawPatch(types.MergePatchType, data), append(opts, client.FieldOwner(FieldManager))...)
}

// event records an Event on obj. A state Event (stateReasons) the object's
// last one of that reason and form already said is recorded again only
// after StateEventEvery, and one the recorder dropped (--event-qps) at the
// next reconcile; event reports whether it said something new (always
// true for the Events of what ackguard did).
func (r *DriftReconciler) event(obj *unstructured.Unstructured, eventType, reason, action, format string, args ...any) bool {
	note := truncateMessage(fmt.Sprintf(format, args...), maxEventNoteLength)
	if !stateReasons[reason] {
		r.Recorder.Eventf(obj, nil, eventType, reason, action, "%s", note)
		return true
	}
	notes, key, state, now := &r.memory().notes, memoryKey{r.GVK.GroupKind(), client.ObjectKeyFromObject(obj)}, reason+"\x00"+format, r.Clock.Now()
	record, changed := notes.due(key, obj.GetUID(), state, note, now)
	if record && tryEvent(r.Recorder, obj, eventType, reason, action, note) {
		notes.recorded(key, state, now)
	}
	return changed
}

func (r *DriftReconciler) countRemediations(ruleIDs []string, outcome string) {
	if r.Metrics == nil {
		return
	}
	for _, id := range ruleIDs {
		r.Metrics.Remediations.WithLabelValues(r.GVK.Kind, id, outcome).Inc()
	}
}

// summarize renders findings for a Violation Event in at most budget
// bytes: "S3-001 spec.x: message; S3-004 spec.y: message". When they do not
// fit, it counts them by rule first, so that the many findings of one
// rule (a finding per attached policy, per rule of a security group) push
// no other rule out of the Event, and then says each rule's first finding
// before any rule's second, cut where the budget ends: "42 findings
// (IAM-013 41, IAM-001 1): IAM-013 ...; IAM-001 ...; IAM-013 ...".
func summarize(findings []rules.Finding, budget int) string {
	part := func(f rules.Finding) string { return f.RuleID + " " + f.Path.String() + ": " + f.Message }
	parts := make([]string, 0, len(findings))
	for _, f := range findings {
		parts = append(parts, part(f))
	}
	if s := strings.Join(parts, "; "); len(s) <= budget {
		return s
	}
	var ids []string
	count := map[string]int{}
	var firsts, rest []string
	for i, f := range findings {
		if count[f.RuleID] == 0 {
			ids = append(ids, f.RuleID)
			firsts = append(firsts, parts[i])
		} else {
			rest = append(rest, parts[i])
		}
		count[f.RuleID]++
	}
	counts := make([]string, len(ids))
	for i, id := range ids {
		counts[i] = fmt.Sprintf("%s %d", id, count[id])
	}
	head := fmt.Sprintf("%d findings (%s): ", len(findings), strings.Join(counts, ", "))
	return truncateMessage(head+strings.Join(append(firsts, rest...), "; "), budget)
}

func changedPaths(plan rules.Plan) []string {
	out := make([]string, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		out = append(out, c.Path.String())
	}
	return out
}

// describePlan renders "S3-001 set spec.publicAccessBlock; S3-006 set
// spec.policy".
func describePlan(plan rules.Plan) string {
	var parts []string
	for _, id := range plan.Rules {
		var fields []string
		for _, c := range plan.Changes {
			if slices.Contains(c.Rules, id) {
				verb := "set "
				if !c.NewPresent {
					verb = "removed "
				}
				fields = append(fields, verb+c.Path.String())
			}
		}
		parts = append(parts, id+" "+strings.Join(fields, ", "))
	}
	return strings.Join(parts, "; ")
}
