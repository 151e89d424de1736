package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Path is where the webhook is served.
const Path = "/validate-ack"

// GovernancePath serves the validation of GuardrailPolicy and
// GuardrailException objects.
const GovernancePath = "/validate-governance"

// Options are the webhook's dependencies.
type Options struct {
	Registry *rules.Registry
	// Config is the rule configuration the manager's flags give; a
	// GuardrailPolicy's parameters override it for the objects it selects.
	Config rules.Config
	// ACKControllers are the usernames of the ACK controllers
	// ("system:serviceaccount:ack-system:ack-s3-controller"); policies may
	// add more.
	ACKControllers []string
	// Reader, when set, reads GuardrailPolicies, GuardrailExceptions and
	// Namespaces, and lets rules read related objects (a Role's referenced
	// Policies), from the manager's cache. Without it the baseline applies.
	Reader client.Reader
	// APIReader, when set, reads namespaces the cache has not seen yet.
	APIReader client.Reader
	// Metrics, when set, records decisions and latency.
	Metrics *metrics.Metrics
	// Now returns the time exceptions are judged at; nil means time.Now.
	Now func() time.Time
	// Snapshot, when set with Reader, serves the compiled governance.
	Snapshot *govsource.Snapshot
}

// Validator is the admission handler for every guarded ACK kind.
type Validator struct {
	opts   Options
	source *govsource.Source
}

var _ admission.Handler = &Validator{}

// NewValidator returns a Validator, refusing missing dependencies.
func NewValidator(opts Options) (*Validator, error) {
	if opts.Registry == nil {
		return nil, fmt.Errorf("webhooks: a rule registry is required")
	}
	v := &Validator{opts: opts}
	if opts.Reader != nil {
		v.source = &govsource.Source{
			Reader: opts.Reader, APIReader: opts.APIReader, Registry: opts.Registry, Now: opts.Now, Snapshot: opts.Snapshot,
			Defaults: governance.Defaults{Config: opts.Config, ACKControllers: opts.ACKControllers},
		}
	}
	return v, nil
}

// Webhook wraps the validator for registration on a webhook server, with
// panic recovery on.
func (v *Validator) Webhook() *admission.Webhook {
	recoverPanic := true
	return &admission.Webhook{Handler: v, RecoverPanic: &recoverPanic}
}

// Handle judges one admission request.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	if req.SubResource != "" {
		return admission.Allowed("") // status and other subresources carry no spec change
	}
	gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	if !v.opts.Registry.Guards(gk) {
		return admission.Allowed("")
	}
	start := time.Now()
	resp, verdict := v.judge(ctx, req, gk)
	v.observe(gk.Kind, resp.Allowed, verdict, time.Since(start))
	return resp
}

// judge decides a request for a guarded kind; the verdict is nil when the
// object could not be read or judged.
func (v *Validator) judge(ctx context.Context, req admission.Request, gk schema.GroupKind) (admission.Response, *verdict) {
	obj, err := decode(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the %s: %w", req.Kind.Kind, err)), nil
	}
	eng, ns, resolver, err := v.engine(ctx, req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("ackguard cannot read its policies: %w", err)), nil
	}
	now := v.now()
	j := eng.Judge(obj, ns, now, resolver)
	v1 := newVerdict(j.Results)
	if req.Operation == admissionv1.Update {
		old, err := decode(req.OldObject.Raw)
		if err == nil {
			// The old spec judged with the new labels: what the update
			// introduces is a spec change; a finding the spec already had
			// that a new label now brings under a stricter policy is left
			// to the reconciler.
			withLabels(old, obj)
			v1.demoteExisting(eng.Judge(old, ns, now, resolver).Results)
		}
	}
	v1.demoteWrites(j, req.UserInfo.Username, "admitted because the ACK controller wrote it; ackguard will remediate")
	switch {
	case req.Operation == admissionv1.Create && adoptsOnly(obj):
		v1.demoteAll("admitted for adoption: ACK fills the spec from AWS, then ackguard judges and remediates it")
	}
	logf.FromContext(ctx).V(1).Info("admission verdict", "kind", gk.String(), "namespace", req.Namespace, "name", req.Name,
		"operation", req.Operation, "policies", j.Policies, "denied", len(v1.deny), "warnings", len(v1.warn),
		"exempted", v1.exempted, "dryRun", req.DryRun != nil && *req.DryRun)
	if len(v1.deny) == 0 {
		return admission.Allowed("").WithWarnings(v1.warn...), v1
	}
	name := req.Name
	if name == "" {
		name = nameFrom(obj)
	}
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		UID:      req.UID,
		Allowed:  false,
		Result:   invalidStatus(gk, name, v1.deny),
		Warnings: v1.warn,
	}}, v1
}

// engine returns the governance engine for a namespace, the namespace and a
// resolver of related objects; without a reader, the baseline alone.
func (v *Validator) engine(ctx context.Context, namespace string) (*governance.Engine, governance.Namespace, rules.Resolver, error) {
	if v.source == nil {
		d := governance.Defaults{Config: v.opts.Config, ACKControllers: v.opts.ACKControllers}
		return governance.New(v.opts.Registry, d, nil, nil), governance.Namespace{Name: namespace}, nil, nil
	}
	eng, ns, err := v.source.For(ctx, namespace)
	if err != nil {
		return nil, governance.Namespace{}, nil, err
	}
	return eng, ns, resolve.Client(ctx, v.opts.Reader), nil
}

func (v *Validator) now() time.Time {
	if v.opts.Now != nil {
		return v.opts.Now()
	}
	return time.Now()
}

// observe records the verdict: one count per denying or warning finding,
// or one "passed" count for a request without findings.
func (v *Validator) observe(kind string, allowed bool, vd *verdict, took time.Duration) {
	m := v.opts.Metrics
	if m == nil {
		return
	}
	m.AdmissionDuration.WithLabelValues(kind, strconv.FormatBool(allowed)).Observe(took.Seconds())
	if vd == nil {
		m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultDenied).Inc()
		return
	}
	for _, f := range vd.deny {
		m.AdmissionDecisions.WithLabelValues(kind, f.RuleID, metrics.ResultDenied).Inc()
	}
	for _, id := range vd.warnRules {
		m.AdmissionDecisions.WithLabelValues(kind, id, metrics.ResultWarned).Inc()
	}
	if len(vd.deny)+len(vd.warnRules) == 0 {
		m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultPassed).Inc()
	}
}

// decode reads the raw object as JSON. encoding/json bounds nesting depth,
// so a hostile document fails here with an error instead of exhausting
// the stack.
func decode(raw []byte) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("the request has no object")
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("the object is null")
	}
	return obj, nil
}

// adoptsOnly reports whether the object asks ACK to adopt an existing AWS
// resource without creating one (adoption-policy "adopt"): its spec is a
// placeholder that ACK overwrites with the live state.
func adoptsOnly(obj map[string]any) bool {
	md, _ := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	p, _ := ann[view.AnnotationAdoptionPolicy].(string)
	return strings.TrimSpace(p) == "adopt"
}

func nameFrom(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	if n, _ := md["name"].(string); n != "" {
		return n
	}
	n, _ := md["generateName"].(string)
	return n
}

// verdict splits results into denials and warnings.
type verdict struct {
	deny []governance.Result
	warn []string
	// warnRules are the rule IDs behind warn, in order.
	warnRules []string
	exempted  int
}

func (v *verdict) addWarning(r governance.Result, note string) {
	v.warn = append(v.warn, warning(r, note))
	v.warnRules = append(v.warnRules, r.RuleID)
}

func newVerdict(results []governance.Result) *verdict {
	v := &verdict{}
	for _, r := range results {
		switch {
		case r.Exception != nil:
			v.exempted++
			v.warn = append(v.warn, oneLine(fmt.Sprintf("%s: %s exempted by GuardrailException %s/%s until %s (%s)",
				r.Path, r.RuleID, r.Exception.Namespace, r.Exception.Name, r.Exception.ExpiresAt.UTC().Format(time.RFC3339), r.Exception.Reason)))
		case r.Denies():
			v.deny = append(v.deny, r)
		case r.Admission == governance.AdmitWithWarning:
			v.addWarning(r, "")
		}
	}
	return v
}

// demoteExisting turns denials the old object already had into warnings.
func (v *verdict) demoteExisting(old []governance.Result) {
	had := make(map[string]bool, len(old))
	for _, r := range old {
		had[r.Key()] = true
	}
	kept := v.deny[:0]
	for _, r := range v.deny {
		if had[r.Key()] {
			v.addWarning(r, "already present before this update; the reconciler will handle it")
			continue
		}
		kept = append(kept, r)
	}
	v.deny = kept
}

// demoteWrites turns into warnings the denials whose deciding policy names
// user as an ACK controller.
func (v *verdict) demoteWrites(j *governance.Judgement, user, why string) {
	kept := v.deny[:0]
	for _, r := range v.deny {
		if j.ACKControllerWrite(r, user) {
			v.addWarning(r, why)
			continue
		}
		kept = append(kept, r)
	}
	v.deny = kept
}

// withLabels gives old the labels of obj.
func withLabels(old, obj map[string]any) {
	md, _ := old["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		old["metadata"] = md
	}
	newMD, _ := obj["metadata"].(map[string]any)
	if l, ok := newMD["labels"]; ok {
		md["labels"] = l
	} else {
		delete(md, "labels")
	}
}

func (v *verdict) demoteAll(why string) {
	for _, r := range v.deny {
		v.addWarning(r, why)
	}
	v.deny = nil
}

// warning renders a result as one admission warning line.
func warning(r governance.Result, note string) string {
	s := r.Path.String() + ": " + text(r)
	if note != "" {
		s += " (" + note + ")"
	}
	return oneLine(s)
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// text renders a result with the policy that decided it: "S3-001: ...;
// set ... (policy baseline)".
func text(r governance.Result) string {
	t := r.Text()
	if p := r.Policy(); p != "" {
		t += " (policy " + p + ")"
	}
	return t
}

// invalidStatus builds the 422 Invalid status kubectl renders, with one
// cause per finding: "spec.policy: S3-002: ...; remove it or ...".
func invalidStatus(gk schema.GroupKind, name string, deny []governance.Result) *metav1.Status {
	causes := make([]metav1.StatusCause, 0, len(deny))
	parts := make([]string, 0, len(deny))
	for _, f := range deny {
		line := oneLine(text(f))
		causes = append(causes, metav1.StatusCause{
			Type:    metav1.CauseTypeForbidden,
			Field:   f.Path.String(),
			Message: line,
		})
		parts = append(parts, f.Path.String()+": "+line)
	}
	list := parts[0]
	if len(parts) > 1 {
		list = "[" + strings.Join(parts, ", ") + "]"
	}
	return &metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnprocessableEntity,
		Reason:  metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("%s %q is invalid: %s", gk.String(), name, list),
		Details: &metav1.StatusDetails{Name: name, Group: gk.Group, Kind: gk.Kind, Causes: causes},
	}
}
