package governance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// ValidatePolicy returns what the API server's schema cannot check about a
// policy: unknown rule IDs, kinds no rule guards, invalid selectors, rules
// listed twice, actions that do not exist; one "field: message" each.
func ValidatePolicy(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) []string {
	invalid, unknown := PolicyErrors(reg, p)
	return append(Problems(invalid), Problems(unknown)...)
}

// SplitPolicyProblems is PolicyErrors rendered as "field: message" lines.
func SplitPolicyProblems(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) (invalid, unknown []string) {
	inv, unk := PolicyErrors(reg, p)
	return Problems(inv), Problems(unk)
}

// PolicyErrors returns a policy's problems as field errors in two groups:
// what makes it invalid, and names this version of ackguard does not know
// (rule IDs, kinds), which a newer version's policy may carry during an
// upgrade. The engine ignores unknown names; the webhook admits them with a
// warning.
func PolicyErrors(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) (invalid, unknown field.ErrorList) {
	spec := field.NewPath("spec")
	seen := map[string]bool{}
	for i, ra := range p.Spec.Rules {
		idx := spec.Child("rules").Index(i)
		switch {
		case seen[ra.ID]:
			invalid = append(invalid, problem(field.ErrorTypeDuplicate, idx.Child("id"), fmt.Sprintf("rule %s is listed twice", ra.ID)))
		case reg.Rule(ra.ID) == nil:
			unknown = append(unknown, problem(field.ErrorTypeNotFound, idx.Child("id"), fmt.Sprintf("no rule %s (`ackguard rules` lists them)", ra.ID)))
		}
		seen[ra.ID] = true
		if !validAction(ra.Action) {
			invalid = append(invalid, problem(field.ErrorTypeNotSupported, idx.Child("action"), fmt.Sprintf("%q is not one of Enforce, Deny, Remediate, Audit, Disabled", ra.Action)))
		}
	}
	if d := p.Spec.DefaultAction; d != "" && d != v1alpha1.CatalogDefault && !validAction(v1alpha1.Action(d)) {
		invalid = append(invalid, problem(field.ErrorTypeNotSupported, spec.Child("defaultAction"), fmt.Sprintf("%q is not one of CatalogDefault, Enforce, Deny, Remediate, Audit, Disabled", d)))
	}
	for i, k := range p.Spec.Match.Kinds {
		if !reg.Guards(schema.GroupKind{Group: k.APIGroup, Kind: k.Kind}) {
			unknown = append(unknown, problem(field.ErrorTypeNotSupported, spec.Child("match", "kinds").Index(i), fmt.Sprintf("ackguard guards no kind %s.%s", k.Kind, k.APIGroup)))
		}
	}
	if _, err := selector(p.Spec.Match.NamespaceSelector); err != nil {
		invalid = append(invalid, problem(field.ErrorTypeInvalid, spec.Child("match", "namespaceSelector"), err.Error()))
	}
	if _, err := selector(p.Spec.Match.Selector); err != nil {
		invalid = append(invalid, problem(field.ErrorTypeInvalid, spec.Child("match", "selector"), err.Error()))
	}
	if d := p.Spec.Exceptions.MaxDuration; d != nil && d.Duration <= 0 {
		invalid = append(invalid, problem(field.ErrorTypeInvalid, spec.Child("exceptions", "maxDuration"), "must be positive"))
	}
	return invalid, unknown
}

// PolicyNotes returns what a valid policy asks for that ackguard will not
// do, for the webhook to say as warnings: the built-in baseline's name on
// a policy that does not act as it (the two are named alike wherever a
// decision is attributed); kinds none of which ackguard
// guards (the policy selects nothing and is not in force); rules listed,
// none of them known, under a defaultAction of Disabled (the policy is in
// force and judges nothing); a rule listed with Enforce or Remediate that
// has no automatic fix (its drift is reported, never patched).
func PolicyNotes(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) []string {
	var out []string
	if SelectsNoKind(reg, p) {
		out = append(out, "spec.match.kinds: the policy selects no kind this version of ackguard guards: it is not in force, "+
			"guards nothing and does not replace the baseline (an empty kinds list selects every guarded kind; `ackguard rules` lists them)")
	}
	if p.Name == BaselineName && !ActsAsBaseline(reg, p) {
		out = append(out, "metadata.name: "+BaselineName+" is the name of the built-in baseline (every rule at its catalog default, every guarded resource), "+
			"which this policy does not act as: Events, Reports, warnings and `ackguard scan` name both "+BaselineName+" alike; "+
			"give a policy of your own another name")
	}
	if EnablesOnlyUnknownRules(reg, p) {
		out = append(out, "spec.rules: this version of ackguard knows none of the rules the policy lists, and defaultAction is Disabled: "+
			"the policy judges nothing, yet it is in force and replaces the baseline")
	}
	for i, ra := range p.Spec.Rules {
		if _, fix := split(ra.Action); !fix {
			continue
		}
		if r := reg.Rule(ra.ID); r != nil && r.Fixer == nil {
			out = append(out, fmt.Sprintf("spec.rules[%d]: %s has no automatic fix: %s reports its drift and never patches it", i, ra.ID, ra.Action))
		}
	}
	return out
}

// ActsAsBaseline reports whether a policy decides what the built-in
// baseline decides: it selects every guarded resource, and every rule
// this version knows takes its catalog action under it (listed so, or
// left to a defaultAction of CatalogDefault). Its parameters and its
// exceptions' maximum duration aside, it may be the baseline the chart
// and config/ ship, of this version or of another (rules the version
// does not know are ignored).
func ActsAsBaseline(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) bool {
	m := p.Spec.Match
	if len(m.Kinds) > 0 || m.NamespaceSelector != nil || m.Selector != nil {
		return false
	}
	if d := p.Spec.DefaultAction; d != "" && d != v1alpha1.CatalogDefault {
		return false
	}
	for _, ra := range p.Spec.Rules {
		if r := reg.Rule(ra.ID); r != nil && ra.Action != CatalogAction(r) {
			return false
		}
	}
	return true
}

// EnablesOnlyUnknownRules reports whether a policy lists rules, none of
// which this version of ackguard knows, under a defaultAction of
// Disabled: in force (it replaces the baseline where it selects), it
// judges nothing.
func EnablesOnlyUnknownRules(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) bool {
	return p.Spec.DefaultAction == v1alpha1.DefaultAction(v1alpha1.Disabled) && len(p.Spec.Rules) > 0 &&
		!slices.ContainsFunc(p.Spec.Rules, func(ra v1alpha1.RuleAction) bool { return reg.Rule(ra.ID) != nil })
}

// ExceptionNotes returns what a valid exception exempts otherwise than it
// may look: an empty selector selects every resource of its kind in the
// namespace, those created later included (a label selector's usual
// meaning, which the engine keeps), as does, among those that carry no
// label, a selector whose requirements a label's absence meets (NotIn,
// DoesNotExist); and a resource of a kind none of the exception's rules
// judges is exempted from nothing.
func ExceptionNotes(reg *rules.Registry, ex *v1alpha1.GuardrailException) []string {
	var out []string
	for i, r := range ex.Spec.Resources {
		gk := schema.GroupKind{Group: r.APIGroup, Kind: r.Kind}
		if !slices.ContainsFunc(ex.Spec.Rules, func(id string) bool {
			rule := reg.Rule(id)
			return rule != nil && slices.Contains(rule.Kinds, gk)
		}) {
			out = append(out, fmt.Sprintf("spec.resources[%d]: none of the rules this exception names judges a %s: it exempts nothing there", i, r.Kind))
		}
		switch s := r.Selector; {
		case s == nil:
		case len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0:
			out = append(out, fmt.Sprintf("spec.resources[%d].selector: an empty selector exempts every %s in namespace %s, present and future: name the resources, or select them by labels", i, r.Kind, ex.Namespace))
		case matchesUnlabelled(s):
			// Only requirements a label's absence meets (NotIn,
			// DoesNotExist): every new object is exempted unless it
			// carries a label.
			out = append(out, fmt.Sprintf("spec.resources[%d].selector: the selector matches a %s without labels: it exempts every %s in namespace %s that lacks the labels it names, present and future: name the resources, or select them by labels they carry", i, r.Kind, r.Kind, ex.Namespace))
		}
	}
	return out
}

// matchesUnlabelled reports whether a valid label selector matches an
// object that has no labels at all.
func matchesUnlabelled(s *metav1.LabelSelector) bool {
	sel, err := metav1.LabelSelectorAsSelector(s)
	return err == nil && sel.Matches(labels.Set(nil))
}

// problem is a field error that names no value (the detail says it).
func problem(t field.ErrorType, p *field.Path, detail string) *field.Error {
	return &field.Error{Type: t, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail}
}

// Problems renders field errors as "field: message" lines, as policy and
// exception status conditions and scan report them.
func Problems(errs field.ErrorList) []string {
	if len(errs) == 0 {
		return nil
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Detail)
	}
	return out
}

func validAction(a v1alpha1.Action) bool {
	switch a {
	case v1alpha1.Enforce, v1alpha1.Deny, v1alpha1.Remediate, v1alpha1.Audit, v1alpha1.Disabled:
		return true
	}
	return false
}

// ValidateException is ExceptionErrors rendered as "field: message" lines.
func (e *Engine) ValidateException(reg *rules.Registry, ex *v1alpha1.GuardrailException, ns Namespace, now time.Time) []string {
	return Problems(e.ExceptionErrors(reg, ex, ns, now))
}

// ExceptionErrors returns what is wrong with an exception being written
// at now, under the policies of the engine: unknown rules or kinds, a
// blank reason, an expiry in the past or beyond the namespace's maximum.
func (e *Engine) ExceptionErrors(reg *rules.Registry, ex *v1alpha1.GuardrailException, ns Namespace, now time.Time) field.ErrorList {
	spec := field.NewPath("spec")
	var out field.ErrorList
	for i, id := range ex.Spec.Rules {
		if reg.Rule(id) == nil {
			out = append(out, problem(field.ErrorTypeNotFound, spec.Child("rules").Index(i), fmt.Sprintf("no rule %s (`ackguard rules` lists them)", id)))
		}
	}
	// A rule exempts nothing on resources of kinds it does not judge: an
	// exception that names only such pairs would show Active and exempt
	// nothing.
	var named []schema.GroupKind
	for _, r := range ex.Spec.Resources {
		if gk := (schema.GroupKind{Group: r.APIGroup, Kind: r.Kind}); reg.Guards(gk) && !slices.Contains(named, gk) {
			named = append(named, gk)
		}
	}
	for i, id := range ex.Spec.Rules {
		rule := reg.Rule(id)
		if rule == nil || len(named) == 0 || slices.ContainsFunc(named, func(gk schema.GroupKind) bool { return slices.Contains(rule.Kinds, gk) }) {
			continue
		}
		kinds := make([]string, len(rule.Kinds))
		for j, gk := range rule.Kinds {
			kinds[j] = gk.Kind
		}
		out = append(out, problem(field.ErrorTypeInvalid, spec.Child("rules").Index(i),
			fmt.Sprintf("%s judges %s, none of the resources this exception names", id, strings.Join(kinds, ", "))))
	}
	if len(ex.Spec.Rules) == 0 {
		out = append(out, problem(field.ErrorTypeRequired, spec.Child("rules"), "name at least one rule"))
	}
	if len(ex.Spec.Resources) == 0 {
		out = append(out, problem(field.ErrorTypeRequired, spec.Child("resources"), "name at least one resource"))
	}
	for i, r := range ex.Spec.Resources {
		idx := spec.Child("resources").Index(i)
		if !reg.Guards(schema.GroupKind{Group: r.APIGroup, Kind: r.Kind}) {
			out = append(out, problem(field.ErrorTypeNotSupported, idx, fmt.Sprintf("ackguard guards no kind %s.%s", r.Kind, r.APIGroup)))
		}
		if (r.Name == "") == (r.Selector == nil) {
			out = append(out, problem(field.ErrorTypeInvalid, idx, "set exactly one of name and selector"))
		}
		// ACK objects are named as every custom resource is, by a DNS
		// subdomain: any other name (the AWS name of a role, a wildcard)
		// matches nothing, and the exception would exempt nothing.
		if r.Name != "" {
			if len(validation.IsDNS1123Subdomain(r.Name)) > 0 {
				out = append(out, problem(field.ErrorTypeInvalid, idx.Child("name"),
					fmt.Sprintf("%q is not the name of a Kubernetes object (lowercase letters, digits, '-' and '.'): name the resource's metadata.name, not its AWS name; wildcards match nothing", r.Name)))
			}
		}
		if r.Selector != nil {
			if _, err := metav1.LabelSelectorAsSelector(r.Selector); err != nil {
				out = append(out, problem(field.ErrorTypeInvalid, idx.Child("selector"), err.Error()))
			}
		}
	}
	if strings.TrimSpace(ex.Spec.Reason) == "" {
		out = append(out, problem(field.ErrorTypeRequired, spec.Child("reason"), "say why the exception is needed (a ticket, a risk acceptance)"))
	}
	maxDur := e.MaxExceptionDuration(ns)
	if state, msg := exceptionState(ex, maxDur, now); state != v1alpha1.ExceptionActive {
		out = append(out, problem(field.ErrorTypeInvalid, spec.Child("expiresAt"), msg))
	}
	return out
}

// ExceptionState returns whether an exception is in force at now, and
// why not.
func (e *Engine) ExceptionState(ex *v1alpha1.GuardrailException, ns Namespace, now time.Time) (string, string) {
	return exceptionState(ex, e.MaxExceptionDuration(ns), now)
}

// exceptionState: an exception is Active until its expiry, Expired from
// then on, and Invalid when it runs longer than maxDur from its creation
// (from now, for one not yet created); and why.
func exceptionState(ex *v1alpha1.GuardrailException, maxDur time.Duration, now time.Time) (string, string) {
	exp := ex.Spec.ExpiresAt.Time
	switch state, start := exceptionStatus(ex, maxDur, now); {
	case state == v1alpha1.ExceptionActive:
		return state, fmt.Sprintf("in force until %s", exp.UTC().Format(time.RFC3339))
	case exp.IsZero():
		return state, "set an expiry"
	case state == v1alpha1.ExceptionExpired:
		return state, fmt.Sprintf("expired at %s", exp.UTC().Format(time.RFC3339))
	default:
		return state, fmt.Sprintf("expiry %s is more than the maximum %s after %s; choose an earlier expiry",
			exp.UTC().Format(time.RFC3339), maxDur, start.UTC().Format(time.RFC3339))
	}
}

// exceptionStatus is exceptionState's state without the message (a
// judgement needs no more), with the time the maximum duration runs from
// when the state depends on it.
func exceptionStatus(ex *v1alpha1.GuardrailException, maxDur time.Duration, now time.Time) (state string, start time.Time) {
	exp := ex.Spec.ExpiresAt.Time
	if exp.IsZero() {
		return v1alpha1.ExceptionInvalid, time.Time{}
	}
	if !now.Before(exp) {
		return v1alpha1.ExceptionExpired, time.Time{}
	}
	start = ex.CreationTimestamp.Time
	if start.IsZero() {
		start = now
	}
	if exp.Sub(start) > maxDur {
		return v1alpha1.ExceptionInvalid, start
	}
	return v1alpha1.ExceptionActive, start
}
