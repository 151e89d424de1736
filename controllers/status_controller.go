package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
)

// Names of the status controllers.
const (
	PolicyStatusControllerName    = "guardrailpolicy-status"
	ExceptionStatusControllerName = "guardrailexception-status"
)

// Reasons of the Events recorded on a GuardrailException that was in
// force and no longer is: its rules apply again to the resources it names.
const (
	// ReasonExceptionExpired: it expired.
	ReasonExceptionExpired = "Expired"
	// ReasonExceptionInvalidated: it became Invalid before its expiry (a
	// policy selecting its namespace now allows a shorter maxDuration, or
	// the namespace's labels brought it under such a policy).
	ReasonExceptionInvalidated = "Invalidated"
)

// ReasonExceptionReactivated is the reason of the Normal Event recorded on
// a GuardrailException that was Invalid or Expired and is in force again
// (the policy that bounded it no longer selects its namespace, its expiry
// was moved later): its rules are exempted again for the resources it
// names.
const ReasonExceptionReactivated = "Reactivated"

const (
	defaultPolicyResync    = 30 * time.Second
	defaultExceptionResync = 5 * time.Minute
	// expiryMargin is how long after an exception's expiry it is judged
	// again, so that it is past the expiry by then.
	expiryMargin = 200 * time.Millisecond
	// maxConditionMessage is the API's limit on a condition's message.
	maxConditionMessage = 32768
	maxStatusEventNote  = 1000
	// staleReadRetry is how long after a status write refused for a
	// stale read (a conflict) an exception is judged again.
	staleReadRetry = time.Second
)

// GovernanceOptions configure the status controllers of ackguard's own
// API (SetupGovernance).
type GovernanceOptions struct {
	// Source reads policies, exceptions and namespaces (required): the
	// one the webhook and the reconcilers use, so exception states are
	// judged alike. Its Registry is the rule catalog.
	Source *govsource.Source
	// Counts returns the resource counts per policy name: the report
	// store's PolicyCounts. Nil leaves status.resources as it is.
	Counts func() map[string]v1alpha1.ResourceCounts
	// Recorder records an Event on each exception in force that expires
	// or becomes invalid, and on each that is in force again; default
	// mgr.GetEventRecorder("ackguard").
	Recorder events.EventRecorder
	// Metrics, when set, exports ackguard_exceptions.
	Metrics *metrics.Metrics
	// PolicyResync is how often a policy's counts are refreshed (default
	// 30s).
	PolicyResync time.Duration
	// ExceptionResync is how often an exception in force is judged again
	// besides at its expiry (default 5m).
	ExceptionResync time.Duration
	// Clock defaults to the real clock; the exception states follow
	// Source's clock.
	Clock clock.PassiveClock
}

// SetupGovernance registers the GuardrailPolicy and GuardrailException
// status controllers. The manager's scheme must hold ackguard's API and its
// CRDs must be served (the manager checks before calling it).
func SetupGovernance(mgr ctrl.Manager, opts GovernanceOptions) error {
	if opts.Source == nil || opts.Source.Registry == nil {
		return errors.New("governance status controllers: a source with a rule registry is required")
	}
	for _, kind := range []string{"GuardrailPolicy", "GuardrailException"} {
		if !mgr.GetScheme().Recognizes(v1alpha1.GroupVersion.WithKind(kind)) {
			return fmt.Errorf("governance status controllers: the manager's scheme does not hold %s (add api/v1alpha1.AddToScheme)", kind)
		}
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Recorder == nil {
		opts.Recorder = mgr.GetEventRecorder("ackguard")
	}
	pr := &PolicyStatusReconciler{
		Client: mgr.GetClient(), Registry: opts.Source.Registry, Counts: opts.Counts,
		Resync: opts.PolicyResync, Clock: opts.Clock,
	}
	if err := pr.SetupWithManager(mgr); err != nil {
		return err
	}
	er := &ExceptionStatusReconciler{
		Client:   mgr.GetClient(),
		Source:   opts.Source,
		Recorder: opts.Recorder, Metrics: opts.Metrics, Resync: opts.ExceptionResync,
	}
	return er.SetupWithManager(mgr)
}

// +kubebuilder:rbac:groups=policy.ackguard.dev,resources=guardrailpolicies;guardrailexceptions,verbs=get;list;watch
// +kubebuilder:rbac:groups=policy.ackguard.dev,resources=guardrailpolicies/status;guardrailexceptions/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// PolicyStatusReconciler keeps a GuardrailPolicy's status: the generation
// it describes, Ready (False with the problems when the policy is
// invalid or selects no kind ackguard guards) and the counts of resources
// it selects, fails and remediated, refreshed every Resync.
type PolicyStatusReconciler struct {
	Client   client.Client
	Registry *rules.Registry
	// Counts returns the counts per policy name; nil leaves them alone.
	Counts func() map[string]v1alpha1.ResourceCounts
	Resync time.Duration
	Clock  clock.PassiveClock
}

// SetupWithManager registers the reconciler.
func (r *PolicyStatusReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Registry == nil {
		return errors.New("policy status reconciler: client and registry are required")
	}
	if r.Resync <= 0 {
		r.Resync = defaultPolicyResync
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(PolicyStatusControllerName).
		For(&v1alpha1.GuardrailPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// Reconcile writes the policy's status when it changed.
func (r *PolicyStatusReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &v1alpha1.GuardrailPolicy{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if p.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	status := *p.Status.DeepCopy()
	status.ObservedGeneration = p.Generation
	cond := metav1.Condition{
		Type: v1alpha1.ConditionReady, ObservedGeneration: p.Generation,
		LastTransitionTime: metav1.NewTime(r.Clock.Now()),
	}
	invalid, unknown := governance.SplitPolicyProblems(r.Registry, p)
	switch {
	case len(invalid) > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, v1alpha1.ReasonInvalid
		cond.Message = truncateMessage(strings.Join(append(invalid, unknown...), "; "), maxConditionMessage)
	case governance.SelectsNoKind(r.Registry, p):
		// Valid but selecting nothing: the engine leaves it out, and the
		// baseline guards where no other policy is in force.
		cond.Status, cond.Reason = metav1.ConditionFalse, v1alpha1.ReasonSelectsNoKind
		cond.Message = truncateMessage("the policy is not in force: it selects no kind this version of ackguard guards "+
			"(`ackguard rules` lists them; an empty spec.match.kinds selects every one), so it guards nothing and does not replace the baseline: "+
			strings.Join(unknown, "; "), maxConditionMessage)
	case len(unknown) > 0:
		// In force; names of a newer version are ignored (upgrade skew).
		cond.Status, cond.Reason = metav1.ConditionTrue, v1alpha1.ReasonUnknownNamesIgnored
		msg := "the policy is in force"
		if governance.EnablesOnlyUnknownRules(r.Registry, p) {
			// Still in force, as a deliberate "off" policy is.
			msg = "the policy is in force and judges nothing: this version of ackguard knows none of the rules it lists " +
				"and defaultAction is Disabled, so it replaces the baseline where it selects and judges no resource there"
		}
		cond.Message = truncateMessage(msg+"; ignored by this version of ackguard: "+strings.Join(unknown, "; "), maxConditionMessage)
	default:
		cond.Status, cond.Reason = metav1.ConditionTrue, v1alpha1.ReasonValid
		cond.Message = "the policy is in force"
	}
	inForce := cond.Status == metav1.ConditionTrue
	if !inForce && p.Name == governance.BaselineName {
		// The built-in baseline has the same name and guards in its place
		// where no other policy is in force: what is attributed to the
		// name is the built-in's, and the message says so.
		cond.Message = truncateMessage(cond.Message+"; the built-in baseline, whose name this policy shares, "+
			"applies in its place where no other policy is in force: Events, Reports and warnings naming policy "+
			governance.BaselineName+" are the built-in's, not this object's", maxConditionMessage)
	}
	meta.SetStatusCondition(&status.Conditions, cond)
	switch {
	case r.Counts == nil:
	case !inForce:
		// A policy not in force selects nothing (under the name of the
		// built-in baseline, the counts would be the built-in's).
		status.Resources = v1alpha1.ResourceCounts{}
	default:
		status.Resources = r.Counts()[p.Name]
	}
	if err := patchStatus(ctx, r.Client, p, &p.Status, status); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{RequeueAfter: r.Resync}, nil
}

// ExceptionStatusReconciler keeps a GuardrailException's status: its state
// (Active, Expired, Invalid) as the governance engine judges it in its
// namespace, Ready and the generation it describes. It judges an exception
// again right after its expiry, and records an Event when one in force
// expires or becomes invalid, and when one that was not is in force again.
type ExceptionStatusReconciler struct {
	Client   client.Client
	Source   *govsource.Source
	Recorder events.EventRecorder
	Metrics  *metrics.Metrics
	Resync   time.Duration
}

// SetupWithManager registers the reconciler. A change of a policy (its
// maximum exception duration) or of a namespace's labels (the policies
// that select it) judges the exceptions concerned again.
func (r *ExceptionStatusReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Source == nil || r.Source.Registry == nil || r.Recorder == nil {
		return errors.New("exception status reconciler: client, source with registry, and recorder are required")
	}
	if r.Resync <= 0 {
		r.Resync = defaultExceptionResync
	}
	if r.Metrics != nil {
		// Every state is exported, at zero, by the leader, which judges
		// the exceptions, even while there is none.
		if err := mgr.Add(manager.RunnableFunc(func(context.Context) error {
			r.Metrics.ExportExceptionStates()
			return nil
		})); err != nil {
			return err
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(ExceptionStatusControllerName).
		For(&v1alpha1.GuardrailException{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.GuardrailPolicy{}, handler.EnqueueRequestsFromMapFunc(r.exceptionsIn("")),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.exceptionsIn(o.GetName())(ctx, o)
		}), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Complete(r)
}

// exceptionsIn lists the exceptions of a namespace (all when "").
func (r *ExceptionStatusReconciler) exceptionsIn(namespace string) handler.MapFunc {
	return func(ctx context.Context, _ client.Object) []reconcile.Request {
		list := &v1alpha1.GuardrailExceptionList{}
		var opts []client.ListOption
		if namespace != "" {
			opts = append(opts, client.InNamespace(namespace))
		}
		if err := r.Client.List(ctx, list, opts...); err != nil {
			logf.FromContext(ctx).Error(err, "listing GuardrailExceptions to judge again")
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for _, ex := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ex.Namespace, Name: ex.Name}})
		}
		return out
	}
}

// Reconcile writes the exception's status when it changed.
func (r *ExceptionStatusReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ex := &v1alpha1.GuardrailException{}
	if err := r.Client.Get(ctx, req.NamespacedName, ex); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.Metrics.SetExceptionState(req.NamespacedName, "")
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ex.DeletionTimestamp != nil {
		r.Metrics.SetExceptionState(req.NamespacedName, "")
		return ctrl.Result{}, nil
	}
	eng, ns, err := r.Source.For(ctx, ex.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.Source.Time()
	state, msg := eng.ExceptionState(ex, ns, now)
	if state == v1alpha1.ExceptionActive {
		// What the engine ignores (an unknown rule, a kind not guarded)
		// does not stop the exception; say so.
		var ignored []string
		for _, p := range eng.ValidateException(r.Source.Registry, ex, ns, now) {
			if !strings.HasPrefix(p, "spec.expiresAt") {
				ignored = append(ignored, p)
			}
		}
		if len(ignored) > 0 {
			msg += "; ignored: " + strings.Join(ignored, "; ")
		}
	}
	prev := ex.Status.State
	status := *ex.Status.DeepCopy()
	status.ObservedGeneration = ex.Generation
	status.State = state
	cond := metav1.Condition{
		Type: v1alpha1.ConditionReady, ObservedGeneration: ex.Generation,
		Status: metav1.ConditionFalse, Reason: state,
		Message:            truncateMessage(msg, maxConditionMessage),
		LastTransitionTime: metav1.NewTime(now),
	}
	switch state {
	case v1alpha1.ExceptionActive:
		cond.Status, cond.Reason = metav1.ConditionTrue, v1alpha1.ReasonActive
	case v1alpha1.ExceptionExpired:
		cond.Reason = v1alpha1.ReasonExpired
	default:
		cond.Reason = v1alpha1.ReasonInvalid
	}
	meta.SetStatusCondition(&status.Conditions, cond)
	r.Metrics.SetExceptionState(req.NamespacedName, state)
	// The transition from prev is recorded only by the write that made
	// it: prev is read from the cache, which may not hold this
	// reconciler's last write yet, and a write over a newer version
	// would record the transition again.
	written, err := patchStatusIfCurrent(ctx, r.Client, ex, &ex.Status, status)
	switch {
	case apierrors.IsConflict(err):
		// Read before a write the cache has not seen: judged again once
		// it has (a status write enqueues nothing).
		return ctrl.Result{RequeueAfter: staleReadRetry}, nil
	case err != nil:
		return ctrl.Result{}, client.IgnoreNotFound(err)
	case !written:
		prev = state
	}
	// An exception not in force that now is exempts its rules (again,
	// unless it was Invalid from its creation: the status keeps no
	// history, so the note does not say "again"); its first judgement
	// (prev "") is no such change.
	if state == v1alpha1.ExceptionActive && (prev == v1alpha1.ExceptionInvalid || prev == v1alpha1.ExceptionExpired) {
		note := fmt.Sprintf("in force, no longer %s: %s: rules %s are exempted for the resources it names (its reason: %s)",
			prev, msg, strings.Join(ex.Spec.Rules, ", "), ex.Spec.Reason)
		r.Recorder.Eventf(ex, nil, corev1.EventTypeNormal, ReasonExceptionReactivated, "Reactivate", "%s", truncateMessage(note, maxStatusEventNote))
	}
	// Only an exception that was in force gives its rules back: one that
	// never was (invalid until it ran out) says nothing.
	if prev == v1alpha1.ExceptionActive {
		switch state {
		case v1alpha1.ExceptionExpired:
			note := fmt.Sprintf("expired at %s: rules %s apply again to the resources it named (its reason was: %s)",
				ex.Spec.ExpiresAt.UTC().Format(time.RFC3339), strings.Join(ex.Spec.Rules, ", "), ex.Spec.Reason)
			r.Recorder.Eventf(ex, nil, corev1.EventTypeWarning, ReasonExceptionExpired, "Expire", "%s", truncateMessage(note, maxStatusEventNote))
		case v1alpha1.ExceptionInvalid:
			note := fmt.Sprintf("no longer in force: %s: rules %s apply again to the resources it named (its reason was: %s)",
				msg, strings.Join(ex.Spec.Rules, ", "), ex.Spec.Reason)
			r.Recorder.Eventf(ex, nil, corev1.EventTypeWarning, ReasonExceptionInvalidated, "Invalidate", "%s", truncateMessage(note, maxStatusEventNote))
		}
	}
	switch {
	case state == v1alpha1.ExceptionExpired:
		return ctrl.Result{}, nil
	case ex.Spec.ExpiresAt.After(now):
		// Active or invalid, it is Expired from its expiry on: judged
		// again then, besides every Resync.
		return ctrl.Result{RequeueAfter: min(ex.Spec.ExpiresAt.Sub(now)+expiryMargin, r.Resync)}, nil
	default:
		return ctrl.Result{RequeueAfter: r.Resync}, nil
	}
}

// patchStatus writes want to the status subresource when it differs from
// the object's current status (*cur, which it then holds). The merge patch
// carries the whole status, not a difference: a difference would leave
// out the zero counts the schema requires next to a changed one.
func patchStatus[S any](ctx context.Context, c client.Client, obj client.Object, cur *S, want S) error {
	_, err := writeStatus(ctx, c, obj, cur, want, false)
	return err
}

// patchStatusIfCurrent is patchStatus on the version of obj that was read
// alone: the patch carries its resourceVersion, which the API server
// checks, so that a read older than the stored object gets a conflict
// and writes nothing. It reports whether it wrote.
func patchStatusIfCurrent[S any](ctx context.Context, c client.Client, obj client.Object, cur *S, want S) (bool, error) {
	return writeStatus(ctx, c, obj, cur, want, true)
}

// writeStatus is patchStatus, the patch carrying obj's resourceVersion
// when current is set; it reports whether it wrote.
func writeStatus[S any](ctx context.Context, c client.Client, obj client.Object, cur *S, want S, current bool) (bool, error) {
	if equality.Semantic.DeepEqual(*cur, want) {
		return false, nil
	}
	patch := map[string]any{"status": want}
	if current {
		patch["metadata"] = map[string]any{"resourceVersion": obj.GetResourceVersion()}
	}
	data, err := json.Marshal(patch)
	if err != nil {
		return false, err
	}
	if err := c.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, data), client.FieldOwner(FieldManager)); err != nil {
		return false, err
	}
	*cur = want
	return true, nil
}

func truncateMessage(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not in the middle of a rune
		cut--
	}
	return s[:cut] + "..."
}
