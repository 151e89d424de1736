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
	// dimension; FixPolicies names every policy that asks for the fix,
	// FixPolicy first (the fix runs under each one's parameters).
	AdmissionPolicy string
	FixPolicy       string
	FixPolicies     []string
	// alsoDeniedBy are, for a denial, the policies other than
	// AdmissionPolicy that deny it too: each of them decided the denial
	// (nil when AdmissionPolicy alone did, the usual case).
	alsoDeniedBy []string
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
	// object; FixConfigs gives those each fix runs with.
	Config     rules.Config
	fixConfigs []ruleConfig
	// policies are the policies that select the object, in the order of
	// Policies; they give each policy's ACK controllers. The judgement
	// only reads them (they may be the engine's shared list).
	policies []*CompiledPolicy
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

// FixConfigs returns the configurations the rule's fix runs under, in
// turn and in one patch: one for each parameter set whose policy asked
// for a fix of one of the rule's findings, in the order found (nil when
// none did). The parameters (RDS-005's minimum retention, LMB-002's owner
// accounts) decide what the fix writes; run under each in turn, a fix
// that raises a value to a minimum satisfies every such policy at once
// instead of one per patch.
func (j *Judgement) FixConfigs(ruleID string) []rules.Config {
	var out []rules.Config
	for _, fc := range j.fixConfigs {
		if fc.ruleID == ruleID {
			out = append(out, fc.cfg)
		}
	}
	return out
}

// ruleConfig is a configuration one rule's fix runs under; key is the
// parameter set's (CompiledPolicy.cfgKey).
type ruleConfig struct {
	ruleID string
	key    string
	cfg    rules.Config
}

// ACKControllers returns the usernames some selecting policy names as an
// ACK controller; ACKControllerWrite says which denials a write by one of
// them turns into warnings.
func (j *Judgement) ACKControllers() []string {
	lists := make([][]string, 0, len(j.Policies))
	for _, name := range j.Policies {
		lists = append(lists, j.ackControllersOf(name))
	}
	return union(lists)
}

// ACKControllerWrite reports whether a write by user is an ACK
// controller's as far as the result is concerned: every policy that set
// the result's admission names the user. A lenient policy's list never
// lifts a stricter policy's denial, nor one policy's list the equal
// denial of another that does not name the user.
func (j *Judgement) ACKControllerWrite(r Result, user string) bool {
	if !slices.Contains(j.ackControllersOf(r.AdmissionPolicy), user) {
		return false
	}
	for _, name := range r.alsoDeniedBy {
		if !slices.Contains(j.ackControllersOf(name), user) {
			return false
		}
	}
	return true
}

// ackControllersOf returns the ACK controllers of the selecting policy
// with the given name (the last one, should two share it), or nil. A
// handful of policies select an object: a scan beats a map.
func (j *Judgement) ackControllersOf(name string) []string {
	for i := len(j.policies) - 1; i >= 0; i-- {
		if j.policies[i].name == name {
			return j.policies[i].ackCtrl
		}
	}
	return nil
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
	objLabels := meta.Labels
	nsSel := e.pols.namespace(ns)
	j := &Judgement{policies: selectObject(e.pols.selecting(nsSel, meta.GroupKind), objLabels)}
	if len(j.policies) == 0 {
		return j
	}
	j.Policies = make([]string, len(j.policies))
	for i, p := range j.policies {
		j.Policies[i] = p.name
	}
	// A resource that tells no partition is in that of its namespace's
	// default region, where ACK creates it, else in the configured one.
	partition := view.RegionPartition(ns.DefaultRegion)
	j.Config = judgeConfig(j.policies[0].cfg, resolver, partition)
	kindRules := e.kindRules[meta.GroupKind]
	// What is learnt of each of the kind's rules: room on the stack for
	// the rules of any kind the registry has.
	var stateBuf [32]ruleState
	states := stateBuf[:]
	if len(kindRules) > len(states) {
		states = make([]ruleState, len(kindRules))
	}
	states = states[:len(kindRules)]
	accs := e.evaluate(obj, resolver, partition, j.policies, kindRules, states)
	excs := e.exceptions[meta.Namespace]
	for i := range accs {
		// In the order found. Only enabled rules were evaluated: every
		// finding has an action.
		a := &accs[i]
		a.res.Action = join(a.res.Admission, a.res.Fix)
		if ex := exemption(excs, meta, objLabels, a.res.RuleID, nsSel.maxExc, now); ex != nil {
			a.res.Exception = ex
			a.res.Fix = false
			if j.NextChange.IsZero() || ex.ExpiresAt.Before(j.NextChange) {
				j.NextChange = ex.ExpiresAt
			}
		}
		if a.res.Fix {
			for _, p := range a.fixBy {
				if !j.hasFixConfig(a.res.RuleID, p.cfgKey) {
					cfg := judgeConfig(p.cfg, resolver, partition)
					j.fixConfigs = append(j.fixConfigs, ruleConfig{ruleID: a.res.RuleID, key: p.cfgKey, cfg: cfg})
				}
			}
		}
	}
	j.Results = sortedResults(accs)
	j.Passed = passed(kindRules, states)
	return j
}

// judgeConfig is a policy's configuration as one judgement runs it: with
// the judgement's resolver, and in the partition of the namespace's
// default region when that names one.
func judgeConfig(cfg rules.Config, resolver rules.Resolver, partition string) rules.Config {
	cfg.Resolver = resolver
	if partition != "" {
		cfg.Partition = partition
	}
	return cfg
}

// selectObject returns the candidates whose object selector matches the
// labels, in order: cands itself when every one does (the common case,
// which then allocates nothing; the judgement only reads the list).
func selectObject(cands []*CompiledPolicy, objLabels labels.Labels) []*CompiledPolicy {
	var out []*CompiledPolicy // nil until some candidate does not match
	for i, p := range cands {
		switch {
		case p.sel.Matches(objLabels):
			if out != nil {
				out = append(out, p)
			}
		case out == nil:
			out = append(make([]*CompiledPolicy, 0, len(cands)-1), cands[:i]...)
		}
	}
	if out == nil {
		return cands
	}
	return out
}

// ruleState is what a judgement learns of one of the kind's rules.
type ruleState struct {
	// enabledBy is the first policy found to enable the rule (nil: none).
	enabledBy *CompiledPolicy
	// failed is true when the rule has a finding.
	failed bool
}

// acc is a result being assembled.
type acc struct {
	res Result
	// rank is the rule's position among the kind's rules, which orders
	// the results.
	rank int
	// fixBy are the policies that asked for the fix: the first of each
	// parameter set that found it.
	fixBy []*CompiledPolicy
}

// evaluate runs the rules the selected policies enable, once per distinct
// parameter set, and returns one result per finding key, in the order
// found. states, one per rule of kindRules, learns which rules were
// enabled (and by which policy) and which failed.
func (e *Engine) evaluate(obj map[string]any, resolver rules.Resolver, partition string, selected []*CompiledPolicy, kindRules []*rules.Rule, states []ruleState) []acc {
	var accs []acc
	byKey := map[string]int{} // finding key → position in accs
	for i, p := range selected {
		key := p.cfgKey
		if slices.ContainsFunc(selected[:i], func(q *CompiledPolicy) bool { return q.cfgKey == key }) {
			continue // evaluated with an earlier policy
		}
		// The policies sharing p's parameter set, p first: room on the
		// stack for the handful that select one object.
		var groupBuf [8]*CompiledPolicy
		group := groupBuf[:0]
		for _, q := range selected[i:] {
			if q.cfgKey == key {
				group = append(group, q)
			}
		}
		cfg := judgeConfig(p.cfg, resolver, partition)
		keep := func(r *rules.Rule) bool {
			for _, q := range group {
				if q.action(r) != v1alpha1.Disabled {
					if n := slices.Index(kindRules, r); n >= 0 && states[n].enabledBy == nil {
						states[n].enabledBy = q
					}
					return true
				}
			}
			return false
		}
		found := e.reg.EvaluateOnly(obj, cfg, keep)
		for _, f := range found {
			rule := e.reg.Rule(f.RuleID)
			n := slices.Index(kindRules, rule)
			if n >= 0 {
				states[n].failed = true
			}
			k := f.Key()
			at, seen := byKey[k]
			if !seen {
				if accs == nil {
					accs = make([]acc, 0, len(found))
				}
				at = len(accs)
				byKey[k] = at
				// A rule not among the kind's (never: the registry evaluated
				// it for the kind) ranks first.
				accs = append(accs, acc{res: Result{Finding: f, Category: Category(rule)}, rank: max(n, 0)})
			}
			accs[at].add(f, rule, group)
		}
	}
	return accs
}

// add folds in what the policies of group make of the finding f of rule:
// the strictest admission, and the first policy that asks for a fix the
// finding allows. The finding's text (message, remedy) is that of the
// parameter set of the strictest policy: a denial says what would satisfy
// the policy that denies (a minimum of 14 days, not a lenient policy's 7).
func (a *acc) add(f rules.Finding, rule *rules.Rule, group []*CompiledPolicy) {
	for _, q := range group {
		adm, fix := split(q.action(rule))
		adm = findingAdmission(adm, rule, f)
		switch {
		case adm > a.res.Admission:
			a.res.Admission, a.res.AdmissionPolicy = adm, q.name
			a.res.alsoDeniedBy = a.res.alsoDeniedBy[:0]
			a.res.Message, a.res.Remedy = f.Message, f.Remedy
		case adm == a.res.Admission && adm == DenyAdmission && q.name != a.res.AdmissionPolicy && !slices.Contains(a.res.alsoDeniedBy, q.name):
			a.res.alsoDeniedBy = append(a.res.alsoDeniedBy, q.name)
		}
		if fix && rule.Fixer != nil && f.Fixable {
			if !a.res.Fix {
				a.res.Fix, a.res.FixPolicy = true, q.name
			}
			if !slices.Contains(a.res.FixPolicies, q.name) {
				a.res.FixPolicies = append(a.res.FixPolicies, q.name)
			}
			if !slices.ContainsFunc(a.fixBy, func(p *CompiledPolicy) bool { return p.cfgKey == q.cfgKey }) {
				a.fixBy = append(a.fixBy, q)
			}
		}
	}
}

// hasFixConfig reports whether the judgement records the parameter set
// key among the configurations of the rule's fix.
func (j *Judgement) hasFixConfig(ruleID, key string) bool {
	return slices.ContainsFunc(j.fixConfigs, func(fc ruleConfig) bool { return fc.ruleID == ruleID && fc.key == key })
}

// sortedResults returns the results in registry order, stable within a
// rule (nil when there are none).
func sortedResults(accs []acc) []Result {
	if len(accs) == 0 {
		return nil
	}
	slices.SortStableFunc(accs, func(a, b acc) int { return a.rank - b.rank })
	out := make([]Result, len(accs))
	for i := range accs {
		out[i] = accs[i].res
	}
	return out
}

// passed returns the rules of kindRules some policy enabled that have no
// finding, in registry order, each with the policy that enabled it (nil
// when there are none).
func passed(kindRules []*rules.Rule, states []ruleState) []RuleRef {
	n := 0
	for _, s := range states {
		if s.enabledBy != nil && !s.failed {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]RuleRef, 0, n)
	for i, s := range states {
		if s.enabledBy != nil && !s.failed {
			out = append(out, RuleRef{Rule: kindRules[i], Policy: s.enabledBy.name})
		}
	}
	return out
}

// exemption returns the exception in force at now that exempts the object
// from the rule, or nil. Exceptions run at most maxDur, their namespace's
// MaxExceptionDuration, as ExceptionState reports it.
func exemption(excs *Exceptions, meta view.Identity, objLabels labels.Labels, ruleID string, maxDur time.Duration, now time.Time) *ExceptionRef {
	ex := excs.first(ruleID, meta.GroupKind, meta.Name, objLabels, func(ex *v1alpha1.GuardrailException) bool {
		state, _ := exceptionStatus(ex, maxDur, now)
		return state == v1alpha1.ExceptionActive
	})
	if ex == nil {
		return nil
	}
	return &ExceptionRef{Namespace: ex.Namespace, Name: ex.Name, Reason: ex.Spec.Reason, ExpiresAt: ex.Spec.ExpiresAt.Time}
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
