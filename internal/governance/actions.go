package governance

import (
	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// Admission is the admission dimension of an action, ordered by strictness.
type Admission int

// Admission levels.
const (
	AdmitSilently Admission = iota
	AdmitWithWarning
	DenyAdmission
)

// split returns an action's two dimensions.
func split(a v1alpha1.Action) (Admission, bool) {
	switch a {
	case v1alpha1.Enforce:
		return DenyAdmission, true
	case v1alpha1.Deny:
		return DenyAdmission, false
	case v1alpha1.Remediate:
		return AdmitWithWarning, true
	case v1alpha1.Audit:
		return AdmitWithWarning, false
	default:
		return AdmitSilently, false
	}
}

// join returns the action with both dimensions given.
func join(adm Admission, fix bool) v1alpha1.Action {
	switch {
	case adm == DenyAdmission && fix:
		return v1alpha1.Enforce
	case adm == DenyAdmission:
		return v1alpha1.Deny
	case fix:
		return v1alpha1.Remediate
	case adm == AdmitWithWarning:
		return v1alpha1.Audit
	default:
		return v1alpha1.Disabled
	}
}

// CatalogAction is the action the rule catalog's defaults column gives a
// rule: Disabled for an opt-in rule, otherwise its OnAction.
func CatalogAction(r *rules.Rule) v1alpha1.Action {
	if !r.OnByDefault() {
		return v1alpha1.Disabled
	}
	return OnAction(r)
}

// OnAction is the action of the rule's catalog columns, for an opt-in rule
// the action to switch it on with: deny/fix is Enforce, deny/audit Deny,
// warn/fix Remediate and warn/audit Audit.
func OnAction(r *rules.Rule) v1alpha1.Action {
	adm := AdmitWithWarning
	if r.Admission == rules.Deny {
		adm = DenyAdmission
	}
	return join(adm, r.Remediation == rules.Fix)
}

// findingAdmission adjusts a policy's admission level to a finding whose
// rule chose a different action than its default: an inconclusive finding,
// or one the rule lowered to a warning, never denies, and one it
// raised to a denial (the rule failed internally) denies wherever the
// rule is enabled.
func findingAdmission(policy Admission, r *rules.Rule, f rules.Finding) Admission {
	switch {
	case policy == AdmitSilently:
		return AdmitSilently
	case f.Inconclusive || f.Action == rules.Warn && r.Admission == rules.Deny:
		return min(policy, AdmitWithWarning)
	case f.Action == rules.Deny && r.Admission == rules.Warn:
		return DenyAdmission
	default:
		return policy
	}
}
