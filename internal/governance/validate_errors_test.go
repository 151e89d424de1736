package governance

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ackguard/ackguard/api/v1alpha1"
)

// TestPolicyAndExceptionErrorsAreFieldErrors: problems are typed field
// errors (what the webhook returns through apierrors.NewInvalid), and the
// "field: message" lines status and scan show are rendered from them.
func TestPolicyAndExceptionErrorsAreFieldErrors(t *testing.T) {
	p := &v1alpha1.GuardrailPolicy{Spec: v1alpha1.GuardrailPolicySpec{Rules: []v1alpha1.RuleAction{
		{ID: "S3-001", Action: v1alpha1.Enforce}, {ID: "S3-001", Action: "Sometimes"}, {ID: "XX-999", Action: v1alpha1.Audit},
	}}}
	invalid, unknown := PolicyErrors(reg, p)
	want := field.ErrorList{
		{Type: field.ErrorTypeDuplicate, Field: "spec.rules[1].id"},
		{Type: field.ErrorTypeNotSupported, Field: "spec.rules[1].action"},
	}
	if len(invalid) != len(want) {
		t.Fatalf("invalid %v", invalid)
	}
	for i, w := range want {
		if invalid[i].Type != w.Type || invalid[i].Field != w.Field {
			t.Errorf("invalid[%d] = %v, want %s at %s", i, invalid[i], w.Type, w.Field)
		}
	}
	if len(unknown) != 1 || unknown[0].Type != field.ErrorTypeNotFound || unknown[0].Field != "spec.rules[2].id" {
		t.Errorf("unknown %v", unknown)
	}
	lines := ValidatePolicy(reg, p)
	if len(lines) != 3 || lines[0] != "spec.rules[1].id: rule S3-001 is listed twice" {
		t.Errorf("lines %q", lines)
	}

	eng := New(reg, Defaults{}, nil, nil)
	ex := exception("ns", "b", nil, t0.Add(-day))
	ex.Spec.Reason = " "
	errs := eng.ExceptionErrors(reg, &ex, Namespace{Name: "ns"}, t0)
	fields := map[string]field.ErrorType{}
	for _, e := range errs {
		fields[e.Field] = e.Type
	}
	for f, typ := range map[string]field.ErrorType{"spec.rules": field.ErrorTypeRequired, "spec.reason": field.ErrorTypeRequired, "spec.expiresAt": field.ErrorTypeInvalid} {
		if fields[f] != typ {
			t.Errorf("%s: %q, want %q (all: %v)", f, fields[f], typ, errs)
		}
	}
}
