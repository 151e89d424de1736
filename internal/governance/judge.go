package governance

import (
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Result is one finding with what the policies in force make of it.
type Result struct {
	rules.Finding
	// Category is the rule's category (the service: S3, IAM, …).
	Category string
	// Action joins the strictest admission and drift dimensions.
	Action    v1alpha1.Action
	Admission Admission
	// Fix is true when the reconciler should fix the finding (the rule
	// has a fix for it and no exception applies).
	Fix bool
	// AdmissionPolicy and FixPolicy name the policies that set each
	// dimension.
	AdmissionPolicy string
	FixPolicy       string
	// Exception, when set, exempts the finding: it neither denies nor is
	// fixed, and is reported as skipped.
	Exception *ExceptionRef
}

// Policy names the policy that decided the result's action: the admission
// policy, or the fix policy when that is stricter on drift alone.
func (r Result) Policy() string {
	if r.AdmissionPolicy != "" {
		return r.AdmissionPolicy
	}
	return r.FixPolicy
}

// Denies reports whether the result denies admission.
func (r Result) Denies() bool { return r.Exception == nil && r.Admission == DenyAdmission }

// ExceptionRef names the exception that exempts a finding.
type ExceptionRef struct {
	Namespace, Name, Reason string
	ExpiresAt               time.Time
}

// RuleRef is a rule that was evaluated, with the policy that enabled it.
type RuleRef struct {
	Rule   *rules.Rule
	Policy string
}

// Judgement is the outcome for one object.
type Judgement struct {
	// Policies are the names of the policies that select the object.
	Policies []string
	// Results are the findings, in registry order, one per finding key.
	Results []Result
	// Passed are the rules evaluated without a finding.
	Passed []RuleRef
	// Config is the configuration of the first policy that selects the
	// object; FixConfig gives the one each fix runs with.
	Config      rules.Config
	fixConfigs  map[string]rules.Config
	ackByPolicy map[string][]string
	// NextChange is the earliest time an exception that applies to the
	// object expires (zero when none): the judgement changes then.
	NextChange time.Time
}

// Denials returns the results that deny admission.
func (j *Judgement) Denials() []Result {
	var out []Result
	for _, r := range j.Results {
		if r.Denies() {
			out = append(out, r)
		}
	}
	return out
}

// FixConfig returns the configuration the rule's fix runs with: that of
// the policy that asked for the fix (its parameters, e.g. RDS-005's minimum
// retention, decide the value written).
func (j *Judgement) FixConfig(ruleID string) rules.Config {
	if c, ok := j.fixConfigs[ruleID]; ok {
		return c
	}
	return j.Config
}

// ACKControllers returns the usernames some selecting policy names as an
// ACK controller; ACKControllerWrite says which denials a write by one of
// them turns into warnings.
func (j *Judgement) ACKControllers() []string {
	lists := make([][]string, 0, len(j.Policies))
	for _, name := range j.Policies {
		lists = append(lists, j.ackByPolicy[name])
	}
	return union(lists)
}

// ACKControllerWrite reports whether a write by user is an ACK
// controller's as far as the result is concerned: the policy that decided
// the result's admission names the user. A lenient policy's list never
// lifts a stricter policy's denial.
func (j *Judgement) ACKControllerWrite(r Result, user string) bool {
	return slices.Contains(j.ackByPolicy[r.AdmissionPolicy], user)
}

// FixRules returns the IDs of the rules whose fix should run, in order.
func (j *Judgement) FixRules() []string {
	var out []string
	for _, r := range j.Results {
		if r.Fix && !slices.Contains(out, r.RuleID) {
			out = append(out, r.RuleID)
		}
	}
	return out
}

// Judge evaluates the object under every policy that selects it and
// applies the namespace's exceptions in force at now. resolver (may be
// nil) lets rules read related objects.
func (e *Engine) Judge(obj map[string]any, ns Namespace, now time.Time, resolver rules.Resolver) *Judgement {
	meta := view.ReadIdentity(obj)
	objLabels := labels.Set(meta.Labels)
	j := &Judgement{ackByPolicy: map[string][]string{}}
	var selected []*CompiledPolicy
	nsSel := e.pols.namespace(ns)
	for _, p := range e.pols.selecting(nsSel, meta.GroupKind) {
		if p.sel.Matches(objLabels) {
			selected = append(selected, p)
			j.Policies = append(j.Policies, p.name)
			j.ackByPolicy[p.name] = p.ackCtrl
		}
	}
	if len(selected) == 0 {
		return j
	}
	j.Config = selected[0].cfg
	j.Config.Resolver = resolver
	kindRules := e.reg.RulesFor(meta.GroupKind)

	type acc struct {
		res   Result
		fixBy *CompiledPolicy // the policy that asked for the fix
	}
	byKey := map[string]*acc{}
	var order []string
	failed := map[string]bool{}
	enabled := make(map[string]string, len(kindRules)) // rule → first policy enabling it
	// Evaluate once per distinct parameter set.
	done := map[string]bool{}
	for _, p := range selected {
		if done[p.cfgKey] {
			continue
		}
		done[p.cfgKey] = true
		group := []*CompiledPolicy{}
		for _, q := range selected {
			if q.cfgKey == p.cfgKey {
				group = append(group, q)
			}
		}
		cfg := p.cfg
		cfg.Resolver = resolver
		keep := func(r *rules.Rule) bool {
			for _, q := range group {
				if q.action(r) != v1alpha1.Disabled {
					if _, ok := enabled[r.ID]; !ok {
						enabled[r.ID] = q.name
					}
					return true
				}
			}
			return false
		}
		for _, f := range e.reg.EvaluateOnly(obj, cfg, keep) {
			rule := e.reg.Rule(f.RuleID)
			failed[f.RuleID] = true
			a := byKey[f.Key()]
			if a == nil {
				a = &acc{res: Result{Finding: f, Category: Category(rule)}}
				byKey[f.Key()] = a
				order = append(order, f.Key())
			}
			for _, q := range group {
				adm, fix := split(q.action(rule))
				adm = findingAdmission(adm, rule, f)
				if adm > a.res.Admission {
					a.res.Admission, a.res.AdmissionPolicy = adm, q.name
				}
				if fix && rule.Fixer != nil && f.Fixable && !a.res.Fix {
					a.res.Fix, a.res.FixPolicy, a.fixBy = true, q.name, q
				}
			}
		}
	}
	excs := e.exceptions[meta.Namespace]
	for _, k := range order {
		// Only enabled rules were evaluated: every finding has an action.
		a := byKey[k]
		a.res.Action = join(a.res.Admission, a.res.Fix)
		if ex := exemption(excs, meta, objLabels, a.res.RuleID, nsSel.maxExc, now); ex != nil {
			a.res.Exception = ex
			a.res.Fix = false
			if j.NextChange.IsZero() || ex.ExpiresAt.Before(j.NextChange) {
				j.NextChange = ex.ExpiresAt
			}
		}
		if _, seen := j.fixConfigs[a.res.RuleID]; a.res.Fix && !seen {
			// The first fixable result of a rule decides its configuration.
			if j.fixConfigs == nil {
				j.fixConfigs = map[string]rules.Config{}
			}
			cfg := a.fixBy.cfg
			cfg.Resolver = resolver
			j.fixConfigs[a.res.RuleID] = cfg
		}
		j.Results = append(j.Results, a.res)
	}
	// Keep results in registry order, stable within a rule.
	if len(j.Results) > 1 {
		pos := make(map[string]int, len(kindRules))
		for i, r := range kindRules {
			pos[r.ID] = i
		}
		slices.SortStableFunc(j.Results, func(a, b Result) int { return pos[a.RuleID] - pos[b.RuleID] })
	}
	if n := len(enabled) - len(failed); n > 0 {
		j.Passed = make([]RuleRef, 0, n)
	}
	for _, r := range kindRules {
		if p, ok := enabled[r.ID]; ok && !failed[r.ID] {
			j.Passed = append(j.Passed, RuleRef{Rule: r, Policy: p})
		}
	}
	return j
}

// exemption returns the exception in force at now that exempts the object
// from the rule, or nil. Exceptions run at most maxDur, their namespace's
// MaxExceptionDuration, as ExceptionState reports it.
func exemption(excs *Exceptions, meta view.Identity, objLabels labels.Set, ruleID string, maxDur time.Duration, now time.Time) *ExceptionRef {
	for _, ex := range excs.candidates(ruleID, meta.GroupKind, meta.Name, objLabels) {
		if state, _ := exceptionState(ex, maxDur, now); state != v1alpha1.ExceptionActive {
			continue
		}
		return &ExceptionRef{Namespace: ex.Namespace, Name: ex.Name, Reason: ex.Spec.Reason, ExpiresAt: ex.Spec.ExpiresAt.Time}
	}
	return nil
}

// Category is a rule's category for reports: the service its ID names.
func Category(r *rules.Rule) string {
	if r == nil {
		return ""
	}
	switch id := r.ID; {
	case len(id) > 4 && id[:4] == "POL-":
		return "IAM policy"
	case len(id) > 4 && id[:4] == "LMB-":
		return "Lambda"
	default:
		for i := range id {
			if id[i] == '-' {
				return id[:i]
			}
		}
		return id
	}
}
