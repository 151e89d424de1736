package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
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
	var problems, warnings []string
	switch req.Kind.Kind {
	case "GuardrailPolicy":
		p := &v1alpha1.GuardrailPolicy{}
		if err := json.Unmarshal(req.Object.Raw, p); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the GuardrailPolicy: %w", err))
		}
		var unknown []string
		problems, unknown = governance.SplitPolicyProblems(g.v.opts.Registry, p)
		for _, u := range unknown {
			warnings = append(warnings, oneLine(u+"; ignored by this version of ackguard"))
		}
	case "GuardrailException":
		ex := &v1alpha1.GuardrailException{}
		if err := json.Unmarshal(req.Object.Raw, ex); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the GuardrailException: %w", err))
		}
		if ex.Namespace == "" {
			ex.Namespace = req.Namespace
		}
		eng, ns, _, err := g.v.engine(ctx, ex.Namespace)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("ackguard cannot read its policies: %w", err))
		}
		problems = eng.ValidateException(g.v.opts.Registry, ex, ns, g.v.now())
	default:
		return admission.Allowed("")
	}
	if len(problems) == 0 {
		return admission.Allowed("").WithWarnings(warnings...)
	}
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		UID: req.UID, Allowed: false, Warnings: warnings,
		Result: problemStatus(schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}, req.Name, problems),
	}}
}

// problemStatus renders "field: message" problems as a 422 Invalid status.
func problemStatus(gk schema.GroupKind, name string, problems []string) *metav1.Status {
	causes := make([]metav1.StatusCause, 0, len(problems))
	for _, p := range problems {
		field, msg, ok := strings.Cut(p, ": ")
		if !ok {
			field, msg = "", p
		}
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Field: field, Message: oneLine(msg)})
	}
	return &metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnprocessableEntity,
		Reason:  metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("%s %q is invalid: %s", gk.String(), name, oneLine(strings.Join(problems, "; "))),
		Details: &metav1.StatusDetails{Name: name, Group: gk.Group, Kind: gk.Kind, Causes: causes},
	}
}
