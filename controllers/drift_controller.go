package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/resolve"
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
	defaultMaxAttempts       = 3
	defaultRemediationWindow = time.Hour
	maxEventNoteLength       = 1000
)

// DriftReconciler judges the objects of one ACK kind and patches fixable
// violations back to their secure values.
type DriftReconciler struct {
	Client client.Client
	// APIReader reads past the cache after a conflict (the cache may still
	// hold the version that conflicted). Defaults to Client.
	APIReader client.Reader
	Registry  *rules.Registry
	Config    rules.Config
	GVK       schema.GroupVersionKind
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
	// MaxAttempts bounds remediations of one object within Window; past it
	// the reconciler reports instead of patching (it never fights a GitOps
	// tool forever).
	MaxAttempts int
	Window      time.Duration
	// Metrics, when set, records open violations and remediations.
	Metrics *metrics.Metrics
	// Watch lists the referenced kinds (installed ones only) whose changes
	// re-judge the objects that reference them.
	Watch []Reference
}

// ControllerName returns the controller's name for a kind.
func ControllerName(gvk schema.GroupVersionKind) string {
	return "drift-" + strings.ToLower(gvk.Kind) + "." + gvk.Group
}

// SetupWithManager registers the reconciler for its kind.
func (r *DriftReconciler) SetupWithManager(mgr ctrl.Manager) error {
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
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(r.GVK)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName(r.GVK)).
		For(obj, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})))
	for _, ref := range r.Watch {
		if ref.From != r.GVK {
			continue
		}
		to := &unstructured.Unstructured{}
		to.SetGroupVersionKind(ref.To)
		b = b.Watches(to, enqueueReferrers(r.Client, ref), builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	}
	return b.Complete(r)
}

// +kubebuilder:rbac:groups=s3.services.k8s.aws,resources=buckets,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile judges one object and remediates what the rules allow.
func (r *DriftReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	res, err := r.reconcile(ctx, req)
	if err != nil && r.Metrics != nil {
		r.Metrics.ReconcileErrors.WithLabelValues(r.GVK.Kind).Inc()
	}
	return res, err
}

func (r *DriftReconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(r.GVK)
	if err := r.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.SetViolations(r.GVK.Kind, req.NamespacedName, nil)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if obj.GetDeletionTimestamp() != nil {
		r.Metrics.SetViolations(r.GVK.Kind, req.NamespacedName, nil)
		return ctrl.Result{}, nil
	}
	cfg := r.Config
	cfg.Resolver = resolve.Client(ctx, r.Client)
	findings := r.Registry.Evaluate(obj.Object, cfg)
	r.Metrics.SetViolations(r.GVK.Kind, req.NamespacedName, ruleIDs(findings))
	if len(findings) == 0 {
		return ctrl.Result{}, nil
	}
	fixIDs, audited := r.split(findings)
	if len(audited) > 0 {
		r.event(obj, corev1.EventTypeWarning, ReasonViolation, "Report", "%s", summarize(audited))
	}
	if len(fixIDs) == 0 {
		return ctrl.Result{}, nil
	}
	if view.ReadMeta(obj.Object).ReadOnly() {
		r.event(obj, corev1.EventTypeWarning, ReasonRemediationSkipped, "Remediate",
			"not patched: the object is ACK read-only (%s); fixable: %s", view.AnnotationReadOnly, strings.Join(fixIDs, ", "))
		r.countRemediations(fixIDs, "skipped_read_only")
		return ctrl.Result{}, nil
	}

	var applied rules.Plan
	var suspended *RemediationState
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if applied.Object != nil { // a conflict: judge the object as it is now
			if err := r.APIReader.Get(ctx, req.NamespacedName, obj); err != nil {
				return err
			}
		}
		plan, err := r.Registry.Remediate(obj.Object, cfg, fixIDs)
		if err != nil {
			return err
		}
		applied = plan
		if plan.Empty() {
			return nil
		}
		state, ok := readState(obj.GetAnnotations()).next(r.Clock.Now().UTC(), plan, r.MaxAttempts, r.Window)
		if !ok {
			suspended = &state
			return nil
		}
		return r.patch(ctx, obj, plan, state)
	})
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		r.event(obj, corev1.EventTypeWarning, ReasonRemediationFailed, "Remediate", "could not apply %s: %v", strings.Join(fixIDs, ", "), err)
		r.countRemediations(fixIDs, "failed")
		return ctrl.Result{}, err
	case suspended != nil:
		until := suspended.suspendedUntil(r.Window)
		r.event(obj, corev1.EventTypeWarning, ReasonRemediationStopped, "Remediate",
			"%s reverted %d times since %s; not patching again until %s (the source of truth must change: %s)",
			strings.Join(fixIDs, ", "), suspended.Attempts, suspended.WindowStart.Format(time.RFC3339), until.Format(time.RFC3339), summarize(fixable(findings)))
		r.countRemediations(fixIDs, "suspended")
		return ctrl.Result{RequeueAfter: until.Sub(r.Clock.Now())}, nil
	case applied.Empty():
		return ctrl.Result{}, nil
	}
	log.Info("remediated", "rules", applied.Rules, "fields", changedPaths(applied))
	r.countRemediations(applied.Rules, "applied")
	r.event(obj, corev1.EventTypeNormal, ReasonRemediated, "Remediate", "%s; previous values in annotation %s",
		describePlan(applied), AnnotationRemediation)
	return ctrl.Result{}, nil
}

// split returns the IDs of rules to fix (default remediation Fix, with a
// fixable finding) and the findings only to report: deny-level findings no
// fix resolves.
func (r *DriftReconciler) split(findings []rules.Finding) (fixIDs []string, audited []rules.Finding) {
	for _, f := range findings {
		rule := r.Registry.Rule(f.RuleID)
		if rule != nil && rule.Remediation == rules.Fix && rule.Fixer != nil && f.Fixable {
			if !slices.Contains(fixIDs, f.RuleID) {
				fixIDs = append(fixIDs, f.RuleID)
			}
			continue
		}
		if f.Action == rules.Deny {
			audited = append(audited, f)
		}
	}
	return fixIDs, audited
}

// patch writes the plan as a JSON merge patch of only the changed fields
// plus the state annotation, guarded by the resourceVersion the plan was
// computed from: a concurrent write makes it fail with a conflict.
func (r *DriftReconciler) patch(ctx context.Context, obj *unstructured.Unstructured, plan rules.Plan, state RemediationState) error {
	stateJSON, err := json.Marshal(state)
	if err != nil {
		return err
	}
	body := plan.MergePatch()
	body["metadata"] = map[string]any{
		"resourceVersion": obj.GetResourceVersion(),
		"annotations":     map[string]any{AnnotationRemediation: string(stateJSON)},
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return r.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data), client.FieldOwner(FieldManager))
}

func (r *DriftReconciler) event(obj *unstructured.Unstructured, eventType, reason, action, format string, args ...any) {
	note := fmt.Sprintf(format, args...)
	if len(note) > maxEventNoteLength {
		note = note[:maxEventNoteLength-3] + "..."
	}
	r.Recorder.Eventf(obj, nil, eventType, reason, action, "%s", note)
}

func (r *DriftReconciler) countRemediations(ruleIDs []string, outcome string) {
	if r.Metrics == nil {
		return
	}
	for _, id := range ruleIDs {
		r.Metrics.Remediations.WithLabelValues(r.GVK.Kind, id, outcome).Inc()
	}
}

func ruleIDs(findings []rules.Finding) []string {
	out := make([]string, 0, len(findings))
	for _, f := range findings {
		out = append(out, f.RuleID)
	}
	return out
}

func fixable(findings []rules.Finding) []rules.Finding {
	var out []rules.Finding
	for _, f := range findings {
		if f.Fixable {
			out = append(out, f)
		}
	}
	return out
}

func summarize(findings []rules.Finding) string {
	parts := make([]string, 0, len(findings))
	for _, f := range findings {
		parts = append(parts, f.RuleID+" "+f.Path.String()+": "+f.Message)
	}
	return strings.Join(parts, "; ")
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
