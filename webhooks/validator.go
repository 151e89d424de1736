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
	Config   rules.Config
	// ACKControllers are the usernames of the ACK controllers
	// ("system:serviceaccount:ack-system:ack-s3-controller").
	ACKControllers []string
	// Reader, when set, lets rules read related objects (a Role's
	// referenced Policies) from the manager's cache.
	Reader client.Reader
	// Metrics, when set, records decisions and latency.
	Metrics *metrics.Metrics
}

// Validator is the admission handler for every guarded ACK kind.
type Validator struct {
	opts Options
}

var _ admission.Handler = &Validator{}

// NewValidator returns a Validator, refusing missing dependencies.
func NewValidator(opts Options) (*Validator, error) {
	if opts.Registry == nil {
		return nil, fmt.Errorf("webhooks: a rule registry is required")
	}
	return &Validator{opts: opts}, nil
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
// object could not be read.
func (v *Validator) judge(ctx context.Context, req admission.Request, gk schema.GroupKind) (admission.Response, *verdict) {
	obj, err := decode(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the %s: %w", req.Kind.Kind, err)), nil
	}
	cfg := v.opts.Config
	if v.opts.Reader != nil {
		cfg.Resolver = resolve.Client(ctx, v.opts.Reader)
	}
	v1 := newVerdict(v.opts.Registry.Evaluate(obj, cfg))
	if req.Operation == admissionv1.Update {
		old, err := decode(req.OldObject.Raw)
		if err == nil {
			v1.demoteExisting(v.opts.Registry.Evaluate(old, cfg))
		}
	}
	switch {
	case v.isACKController(req.UserInfo.Username):
		v1.demoteAll("admitted because the ACK controller wrote it; ackguard will remediate")
	case req.Operation == admissionv1.Create && adoptsOnly(obj):
		v1.demoteAll("admitted for adoption: ACK fills the spec from AWS, then ackguard judges and remediates it")
	}
	logf.FromContext(ctx).V(1).Info("admission verdict", "kind", gk.String(), "namespace", req.Namespace, "name", req.Name,
		"operation", req.Operation, "denied", len(v1.deny), "warnings", len(v1.warn), "dryRun", req.DryRun != nil && *req.DryRun)
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

func (v *Validator) isACKController(username string) bool {
	for _, u := range v.opts.ACKControllers {
		if u == username {
			return true
		}
	}
	return false
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

// verdict splits findings into denials and warnings.
type verdict struct {
	deny []rules.Finding
	warn []string
	// warnRules are the rule IDs behind warn, in order.
	warnRules []string
}

func (v *verdict) addWarning(f rules.Finding, note string) {
	v.warn = append(v.warn, warning(f, note))
	v.warnRules = append(v.warnRules, f.RuleID)
}

func newVerdict(findings []rules.Finding) *verdict {
	v := &verdict{}
	for _, f := range findings {
		if f.Action == rules.Deny {
			v.deny = append(v.deny, f)
		} else {
			v.addWarning(f, "")
		}
	}
	return v
}

// demoteExisting turns denials the old object already had into warnings.
func (v *verdict) demoteExisting(old []rules.Finding) {
	had := make(map[string]bool, len(old))
	for _, f := range old {
		had[f.Key()] = true
	}
	kept := v.deny[:0]
	for _, f := range v.deny {
		if had[f.Key()] {
			v.addWarning(f, "already present before this update; the reconciler will handle it")
			continue
		}
		kept = append(kept, f)
	}
	v.deny = kept
}

func (v *verdict) demoteAll(why string) {
	for _, f := range v.deny {
		v.addWarning(f, why)
	}
	v.deny = nil
}

// warning renders a finding as one admission warning line.
func warning(f rules.Finding, note string) string {
	s := f.Path.String() + ": " + f.Text()
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

// invalidStatus builds the 422 Invalid status kubectl renders, with one
// cause per finding: "spec.policy: S3-002: ...; remove it or ...".
func invalidStatus(gk schema.GroupKind, name string, deny []rules.Finding) *metav1.Status {
	causes := make([]metav1.StatusCause, 0, len(deny))
	parts := make([]string, 0, len(deny))
	for _, f := range deny {
		text := oneLine(f.Text())
		causes = append(causes, metav1.StatusCause{
			Type:    metav1.CauseTypeForbidden,
			Field:   f.Path.String(),
			Message: text,
		})
		parts = append(parts, f.Path.String()+": "+text)
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
