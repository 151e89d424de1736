package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/metrics"
)

// GovernanceValidator validates GuardrailPolicy and GuardrailException
// objects: what the CRD schema cannot check (rule IDs and kinds that
// exist, selectors that parse, an exception's reason and an expiry in the
// future within the maximum the namespace's policies allow).
type GovernanceValidator struct {
	v *Validator
}

// Governance returns the validator of ackguard's own objects, sharing the
// ACK validator's registry, reader and clock.
func (v *Validator) Governance() *GovernanceValidator { return &GovernanceValidator{v: v} }

// Webhook wraps the validator for registration, with panic recovery on.
func (g *GovernanceValidator) Webhook() *admission.Webhook {
	recoverPanic := true
	return &admission.Webhook{Handler: g, RecoverPanic: &recoverPanic}
}

// Handle judges one admission request.
func (g *GovernanceValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) || req.SubResource != "" ||
		req.Kind.Group != v1alpha1.GroupVersion.Group {
		return admission.Allowed("")
	}
	var problems field.ErrorList
	var warnings []string
	switch req.Kind.Kind {
	case "GuardrailPolicy":
		p := &v1alpha1.GuardrailPolicy{}
		if err := json.Unmarshal(req.Object.Raw, p); err != nil {
			return g.unjudged(req.Kind.Kind, admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the GuardrailPolicy: %w", err)))
		}
		var unknown field.ErrorList
		problems, unknown = governance.PolicyErrors(g.v.opts.Registry, p)
		for _, u := range unknown {
			// An unknown kind is no entry dropped from the list (which,
			// emptied, would select every kind): it selects nothing.
			what := "; ignored by this version of ackguard"
			if strings.HasPrefix(u.Field, "spec.match.kinds") {
				what = ": this version of ackguard selects nothing by this entry"
			}
			warnings = append(warnings, governance.OneLine(u.Field+": "+u.Detail+what))
		}
		warnings = append(warnings, governance.PolicyNotes(g.v.opts.Registry, p)...)
	case "GuardrailException":
		ex := &v1alpha1.GuardrailException{}
		if err := json.Unmarshal(req.Object.Raw, ex); err != nil {
			return g.unjudged(req.Kind.Kind, admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the GuardrailException: %w", err)))
		}
		if ex.Namespace == "" {
			ex.Namespace = req.Namespace
		}
		eng, ns, err := g.v.engine(ctx, ex.Namespace)
		if err != nil {
			return g.unjudged(req.Kind.Kind, admission.Errored(http.StatusInternalServerError, fmt.Errorf("ackguard cannot read its policies: %w", err)))
		}
		problems = eng.ExceptionErrors(g.v.opts.Registry, ex, ns, g.v.now())
		if len(problems) == 0 {
			warnings = governance.ExceptionNotes(g.v.opts.Registry, ex)
		}
	default:
		return admission.Allowed("")
	}
	if len(problems) == 0 {
		return admission.Allowed("").WithWarnings(warnings...)
	}
	status := apierrors.NewInvalid(schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}, req.Name, oneLineErrors(problems)).ErrStatus
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		UID: req.UID, Allowed: false, Warnings: warnings, Result: &status,
	}}
}

// unjudged counts a request refused unjudged (its object or the policies
// could not be read) as the ACK webhook counts its own, with rule="" and
// result=denied: the API server refuses the write whatever the failure
// policy, and AckguardWebhookErrors reads that series. Verdicts are not
// counted.
func (g *GovernanceValidator) unjudged(kind string, resp admission.Response) admission.Response {
	if m := g.v.opts.Metrics; m != nil {
		m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultDenied).Inc()
	}
	return resp
}

// oneLineErrors keeps every detail on one line: details quote the
// object's own text.
func oneLineErrors(errs field.ErrorList) field.ErrorList {
	for _, e := range errs {
		e.Detail = governance.OneLine(e.Detail)
	}
	return errs
}
