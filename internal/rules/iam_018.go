package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// IAM-018 (opt-in): no inline policies on roles, users and groups;
// permissions come from managed policies, which can be reviewed, versioned
// and reused.
func iam018() *Rule {
	return &Rule{
		ID:          "IAM-018",
		Title:       "Roles, users and groups have no inline policies",
		Severity:    Low,
		Kinds:       attachKinds,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			Config: []string{"iam-no-inline-policy-check"},
		},
		Check: checkIAM018,
	}
}

func checkIAM018(in *Input) []Finding {
	id := view.NewIAMIdentity(in.Object)
	if id.Spec.Err != nil {
		return nil
	}
	if err := id.InlinePoliciesField.Err; err != nil {
		return []Finding{fieldErrorFinding(err)}
	}
	kind := strings.ToLower(id.GVK.Kind)
	var out []Finding
	for _, p := range id.InlinePolicies {
		out = append(out, Finding{
			Path:    p.Document.Path,
			Message: fmt.Sprintf("the %s has the inline policy %q", kind, p.Name),
			Remedy:  "move the permissions into an ACK Policy and attach it with spec.policyRefs (or spec.policies)",
			// Each inline policy is one finding, whatever its name: an
			// UPDATE renaming one introduces nothing, one adding another
			// does (Finding.IdentityKey).
			Subject: "inline policy",
		})
	}
	return out
}
