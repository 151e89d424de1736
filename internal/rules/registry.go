package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

var ruleIDRe = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9]{3}$`)

// Registry is an ordered set of rules.
type Registry struct {
	rules  []*Rule
	byID   map[string]*Rule
	kinds  []schema.GroupKind
	byKind map[schema.GroupKind][]*Rule // the rules of each kind, in registry order
	// inputs keeps the Inputs of finished evaluations for the next ones:
	// an Input is the one allocation a judgement with nothing to report
	// would make, and at a few hundred nanoseconds an evaluation the
	// collector's share of that allocation was a fifth of the cost.
	inputs sync.Pool
}

// NewRegistry builds a registry, refusing malformed or duplicate rules.
func NewRegistry(rules ...*Rule) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Rule, len(rules)), byKind: map[schema.GroupKind][]*Rule{}}
	for _, rule := range rules {
		switch {
		case !ruleIDRe.MatchString(rule.ID):
			return nil, fmt.Errorf("rule ID %q is not of the form ABC-123", rule.ID)
		case r.byID[rule.ID] != nil:
			return nil, fmt.Errorf("rule %s is registered twice", rule.ID)
		case rule.Check == nil:
			return nil, fmt.Errorf("rule %s has no check", rule.ID)
		case len(rule.Kinds) == 0:
			return nil, fmt.Errorf("rule %s applies to no kind", rule.ID)
		case rule.Remediation == Fix && rule.Fixer == nil:
			return nil, fmt.Errorf("rule %s defaults to fix but has no fixer", rule.ID)
		case rule.Admission != Deny && rule.Admission != Warn:
			return nil, fmt.Errorf("rule %s has admission action %q", rule.ID, rule.Admission)
		}
		r.rules = append(r.rules, rule)
		r.byID[rule.ID] = rule
		for _, k := range rule.Kinds {
			if !slices.Contains(r.kinds, k) {
				r.kinds = append(r.kinds, k)
			}
			if !slices.Contains(r.byKind[k], rule) {
				r.byKind[k] = append(r.byKind[k], rule)
			}
		}
	}
	return r, nil
}

// Rules returns the rules in registry order.
func (r *Registry) Rules() []*Rule { return slices.Clone(r.rules) }

// Rule returns the rule with the given ID, or nil.
func (r *Registry) Rule(id string) *Rule { return r.byID[id] }

// Kinds returns every kind some rule applies to, in first-seen order.
func (r *Registry) Kinds() []schema.GroupKind { return slices.Clone(r.kinds) }

// Guards reports whether some rule applies to the kind.
func (r *Registry) Guards(gk schema.GroupKind) bool {
	return slices.Contains(r.kinds, gk)
}

// Evaluate runs every rule on by default that applies to the object's kind
// and returns the findings in registry order (opt-in rules run only when
// asked for, through EvaluateOnly). A rule that panics yields a deny
// finding instead of taking its caller down: a bug must not become an
// allow.
func (r *Registry) Evaluate(obj map[string]any, cfg Config) []Finding {
	return r.EvaluateOnly(obj, cfg, (*Rule).OnByDefault)
}

// EvaluateOnly runs the rules keep accepts, opt-in or not (every rule when
// keep is nil), as Evaluate does.
func (r *Registry) EvaluateOnly(obj map[string]any, cfg Config, keep func(*Rule) bool) []Finding {
	in, _ := r.inputs.Get().(*Input)
	if in == nil {
		in = new(Input)
	}
	in.prepare(obj, cfg)
	defer func() {
		in.release()
		r.inputs.Put(in)
	}()
	gk := in.GroupKind()
	var out []Finding
	for _, rule := range r.byKind[gk] {
		if keep == nil || keep(rule) {
			found := runCheck(rule, in)
			if len(found) == 0 {
				continue
			}
			if out == nil {
				// The first rule's findings are kept, not copied; clipped, so
				// that appending the next rule's never writes into room the
				// rule's slice may share.
				out = slices.Clip(found)
				continue
			}
			out = append(out, found...)
		}
	}
	return out
}

// RulesFor returns the rules that judge the kind, in registry order.
func (r *Registry) RulesFor(gk schema.GroupKind) []*Rule {
	return slices.Clone(r.byKind[gk])
}

func runCheck(rule *Rule, in *Input) (out []Finding) {
	defer func() {
		if p := recover(); p != nil {
			out = []Finding{{
				RuleID: rule.ID, Severity: rule.Severity, Action: Deny,
				Message: fmt.Sprintf("internal error while evaluating the rule (%v)", p),
				Remedy:  "report this to the ackguard maintainers with the object",
			}}
		}
	}()
	found := rule.Check(in)
	for i := range found {
		found[i].RuleID = rule.ID
		if found[i].Severity == "" {
			found[i].Severity = rule.Severity
		}
		if found[i].Action == "" {
			found[i].Action = rule.Admission
		}
	}
	return found
}

// Remediate applies, in registry order, the fixes of the rules named in
// ruleIDs to a copy of obj. Rules without a fixer, or that do not apply to
// the kind, are skipped. The original object is not modified.
func (r *Registry) Remediate(obj map[string]any, cfg Config, ruleIDs []string) (Plan, error) {
	cfgs := []Config{cfg}
	return r.RemediateEach(obj, func(string) []Config { return cfgs }, ruleIDs)
}

// RemediateEach is Remediate with each rule's fix run under the
// configurations cfgFor gives it (those of the policies asking for the
// fix), one after the other on the object the earlier ones fixed: a
// change records the value the object had before the first. A rule given
// no configuration is not fixed.
func (r *Registry) RemediateEach(obj map[string]any, cfgFor func(ruleID string) []Config, ruleIDs []string) (Plan, error) {
	m := newMutation(obj, Config{})
	gk := m.Input().GroupKind()
	for _, rule := range r.rules {
		if rule.Fixer == nil || !rule.AppliesTo(gk) || !slices.Contains(ruleIDs, rule.ID) {
			continue
		}
		m.rule = rule.ID
		for _, cfg := range cfgFor(rule.ID) {
			m.cfg, m.input = cfg, nil
			if err := rule.Fixer(m); err != nil {
				return Plan{}, fmt.Errorf("%s: %w", rule.ID, err)
			}
		}
	}
	plan := Plan{Object: m.obj, orig: obj}
	for _, c := range m.changes {
		if c.OldPresent == c.NewPresent && (!c.NewPresent || reflect.DeepEqual(c.Old, c.New)) {
			continue // set back to what it was
		}
		plan.Changes = append(plan.Changes, *c)
	}
	for _, rule := range r.rules {
		for _, c := range plan.Changes {
			if slices.Contains(c.Rules, rule.ID) {
				plan.Rules = append(plan.Rules, rule.ID)
				break
			}
		}
	}
	return plan, nil
}
