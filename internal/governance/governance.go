package governance

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
)

// BaselineName names the built-in policy that applies when the cluster has
// no GuardrailPolicy, and the policy the chart and config/ ship.
const BaselineName = "baseline"

// DefaultMaxExceptionDuration is the longest an exception may run when no
// policy says otherwise.
const DefaultMaxExceptionDuration = 90 * 24 * time.Hour

// Defaults are the values the manager's flags give; a policy's parameters
// override them field by field.
type Defaults struct {
	Config         rules.Config
	ACKControllers []string
}

// Engine judges objects against a set of policies and exceptions. Build
// one per snapshot of the cluster's (or a scan's) policies; it is
// read-only afterwards and safe for concurrent use.
//
// Selection is indexed: policies by the kinds they match, the policies
// that select a namespace once per namespace (name and labels), and
// exceptions by namespace, rule and kind. The cost of a judgement grows
// with the policies and exceptions that concern the object, not with how
// many exist.
type Engine struct {
	reg *rules.Registry
	// kindRules are the registry's rules of each kind, in registry order,
	// shared read-only by the judgements.
	kindRules  map[schema.GroupKind][]*rules.Rule
	pols       *policySet
	exceptions map[string]*Exceptions
}

// CompiledPolicy is one GuardrailPolicy compiled for an engine. Compile a
// policy once (CompilePolicy) and assemble engines from compiled policies
// (Assemble) as the set changes; it is read-only and shared by them.
type CompiledPolicy struct {
	name       string
	actions    map[string]v1alpha1.Action
	defaultAct v1alpha1.DefaultAction
	kinds      []schema.GroupKind
	nsSel      labels.Selector
	sel        labels.Selector
	cfg        rules.Config
	cfgKey     string
	ackCtrl    []string
	maxExc     time.Duration
	problems   []string
	usable     bool
}

// Name is the policy's name.
func (c *CompiledPolicy) Name() string { return c.name }

// InForce reports whether the engine applies the policy: not one whose
// selectors do not parse, nor one whose kinds are all kinds ackguard does
// not guard (it selects nothing; when no policy is in force, the baseline
// is). Other problems (an unknown field or rule) leave it in force.
func (c *CompiledPolicy) InForce() bool { return c.usable }

// New compiles policies and exceptions. A policy that cannot be applied
// (an invalid selector, kinds none of which ackguard guards) is kept out
// and its problems are reported by Problems; unknown rule IDs are ignored
// and reported likewise. With no
// policy at all, the baseline applies. Exceptions are tried in the order
// given.
func New(reg *rules.Registry, d Defaults, policies []v1alpha1.GuardrailPolicy, exceptions []v1alpha1.GuardrailException) *Engine {
	cps := make([]*CompiledPolicy, 0, len(policies))
	for i := range policies {
		cps = append(cps, CompilePolicy(reg, d, &policies[i]))
	}
	byNS := map[string][]*v1alpha1.GuardrailException{}
	for i := range exceptions {
		ex := &exceptions[i]
		byNS[ex.Namespace] = append(byNS[ex.Namespace], ex)
	}
	sets := make(map[string]*Exceptions, len(byNS))
	for ns, exs := range byNS {
		sets[ns] = CompileExceptions(exs)
	}
	return Assemble(reg, d, cps, sets)
}

// Assemble builds an engine from compiled policies and the compiled
// exceptions of each namespace (keyed by namespace). With no usable policy
// the baseline applies, compiled with d.
func Assemble(reg *rules.Registry, d Defaults, policies []*CompiledPolicy, exceptions map[string]*Exceptions) *Engine {
	return &Engine{reg: reg, kindRules: rulesByKind(reg), pols: newPolicySet(reg, d, policies), exceptions: exceptions}
}

// rulesByKind returns the registry's rules of each kind it guards, in
// registry order.
func rulesByKind(reg *rules.Registry) map[schema.GroupKind][]*rules.Rule {
	kinds := reg.Kinds()
	out := make(map[schema.GroupKind][]*rules.Rule, len(kinds))
	for _, gk := range kinds {
		out[gk] = reg.RulesFor(gk)
	}
	return out
}

// WithExceptions returns an engine with e's policies (and what it learnt
// about namespaces) and the given exceptions instead of e's.
func (e *Engine) WithExceptions(exceptions map[string]*Exceptions) *Engine {
	return &Engine{reg: e.reg, kindRules: e.kindRules, pols: e.pols, exceptions: exceptions}
}

// Implicit reports whether the built-in baseline applies: no policy was
// given, or none of those given can be applied.
func (e *Engine) Implicit() bool { return e.pols.implicit }

// Problems returns what is wrong with a policy ("" when it was not given
// or is fine), for its Ready condition.
func (e *Engine) Problems(name string) []string {
	if p := e.pols.byName[name]; p != nil {
		return slices.Clone(p.problems)
	}
	return nil
}

// Baseline returns the built-in baseline policy: every rule at its
// catalog default (opt-in rules Disabled), every guarded resource selected.
func Baseline(reg *rules.Registry) v1alpha1.GuardrailPolicy {
	p := v1alpha1.GuardrailPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "GuardrailPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: BaselineName},
		Spec: v1alpha1.GuardrailPolicySpec{
			DefaultAction: v1alpha1.CatalogDefault,
		},
	}
	for _, r := range reg.Rules() {
		p.Spec.Rules = append(p.Spec.Rules, v1alpha1.RuleAction{ID: r.ID, Action: CatalogAction(r)})
	}
	return p
}

// CompilePolicy compiles one policy with the defaults its parameters
// override. The result does not refer to p.
func CompilePolicy(reg *rules.Registry, d Defaults, p *v1alpha1.GuardrailPolicy) *CompiledPolicy {
	c := &CompiledPolicy{
		name:       p.Name,
		actions:    map[string]v1alpha1.Action{},
		defaultAct: p.Spec.DefaultAction,
		usable:     true,
		maxExc:     DefaultMaxExceptionDuration,
	}
	if c.defaultAct == "" {
		c.defaultAct = v1alpha1.CatalogDefault
	}
	c.problems = ValidatePolicy(reg, p)
	for _, ra := range p.Spec.Rules {
		if reg.Rule(ra.ID) != nil {
			c.actions[ra.ID] = ra.Action
		}
	}
	for _, k := range p.Spec.Match.Kinds {
		c.kinds = append(c.kinds, schema.GroupKind{Group: k.APIGroup, Kind: k.Kind})
	}
	if SelectsNoKind(reg, p) {
		// Selects nothing this version judges (a misspelt kind, a newer
		// version's): not in force, so it does not take the baseline's
		// place, as an invalid policy does not.
		c.usable = false
	}
	var err error
	if c.nsSel, err = selector(p.Spec.Match.NamespaceSelector); err != nil {
		c.usable = false
	}
	if c.sel, err = selector(p.Spec.Match.Selector); err != nil {
		c.usable = false
	}
	if p.Spec.Exceptions.MaxDuration != nil && p.Spec.Exceptions.MaxDuration.Duration > 0 {
		c.maxExc = p.Spec.Exceptions.MaxDuration.Duration
	}
	c.cfg, c.ackCtrl = parameters(d, p.Spec.Parameters)
	c.cfgKey = configKey(c.cfg, c.ackCtrl)
	return c
}

// SelectsNoKind reports whether a policy names kinds but none that this
// version of ackguard guards: it selects nothing and is not in force (an
// empty kinds list, by contrast, selects every guarded kind).
func SelectsNoKind(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) bool {
	return len(p.Spec.Match.Kinds) > 0 && !slices.ContainsFunc(p.Spec.Match.Kinds, func(k v1alpha1.KindRef) bool {
		return reg.Guards(schema.GroupKind{Group: k.APIGroup, Kind: k.Kind})
	})
}

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// PolicyConfig returns the rules.Config a policy with the parameters p
// judges under, on top of the defaults d (without a Resolver: the
// judgement sets one).
func PolicyConfig(d Defaults, p v1alpha1.Parameters) rules.Config {
	cfg, _ := parameters(d, p)
	return cfg
}

// parameters overrides the defaults with the policy's parameters, field by
// field.
func parameters(d Defaults, p v1alpha1.Parameters) (rules.Config, []string) {
	cfg := d.Config
	cfg.Resolver = nil
	if len(p.OwnerAccounts) > 0 {
		cfg.OwnerAccounts = slices.Clone(p.OwnerAccounts)
	}
	if len(p.TrustedAccounts) > 0 {
		cfg.TrustedAccounts = slices.Clone(p.TrustedAccounts)
	}
	if len(p.TrustedOrganizations) > 0 {
		cfg.TrustedOrgs = slices.Clone(p.TrustedOrganizations)
	}
	if len(p.AllowedPublicPorts) > 0 {
		cfg.AllowedPublicPorts = make([]rules.PortRange, 0, len(p.AllowedPublicPorts))
		for _, r := range p.AllowedPublicPorts {
			cfg.AllowedPublicPorts = append(cfg.AllowedPublicPorts, rules.PortRange{Protocol: r.Protocol, From: int64(r.From), To: int64(r.To)})
		}
	}
	if p.MinBackupRetentionDays != nil {
		cfg.MinBackupRetentionDays = int64(*p.MinBackupRetentionDays)
	}
	if len(p.AllowedPermissionsBoundaries) > 0 {
		cfg.AllowedPermissionsBoundaries = slices.Clone(p.AllowedPermissionsBoundaries)
	}
	if p.RequiredObjectLockMode != "" {
		cfg.RequiredObjectLockMode = p.RequiredObjectLockMode
	}
	return cfg, union([][]string{d.ACKControllers, p.ACKControllers})
}

// configKey identifies a policy's effective configuration: policies with
// the same key are evaluated once together. It encodes the whole
// rules.Config (but its Resolver, which the judgement sets) and the ACK
// controller list, so a parameter added to rules.Config can never merge
// two policies' settings.
func configKey(cfg rules.Config, ackCtrl []string) string {
	cfg.Resolver = nil
	b, err := json.Marshal(struct {
		Config         rules.Config
		ACKControllers []string
	}{cfg, ackCtrl})
	if err != nil {
		// rules.Config holds plain data; should it ever fail to
		// encode, no two policies share an evaluation.
		return fmt.Sprintf("unencodable:%p", &cfg)
	}
	return string(b)
}

// action is the policy's action for a rule: the one it lists the rule
// with; for a rule it does not list, Disabled when the rule is opt-in,
// otherwise the policy's default action, without its fix when the
// catalog's fix of the rule is opt-in (the catalog's drift default is
// audit: versioning that cannot be turned off again, a Lambda permission
// removed): such a fix runs only where a policy lists the rule.
func (c *CompiledPolicy) action(r *rules.Rule) v1alpha1.Action {
	if a, ok := c.actions[r.ID]; ok {
		return a
	}
	if !r.OnByDefault() {
		return v1alpha1.Disabled
	}
	if c.defaultAct == v1alpha1.CatalogDefault {
		return CatalogAction(r)
	}
	a := v1alpha1.Action(c.defaultAct)
	if adm, fix := split(a); fix && r.Remediation != rules.Fix {
		return join(adm, false)
	}
	return a
}

// selects reports whether the policy applies to an object, by itself: the
// definition the engine's indexes (index.go) must agree with, as the
// tests check.
func (c *CompiledPolicy) selects(gk schema.GroupKind, ns Namespace, objLabels map[string]string) bool {
	if !c.usable {
		return false
	}
	if len(c.kinds) > 0 && !slices.Contains(c.kinds, gk) {
		return false
	}
	return c.selectsNamespace(ns) && c.sel.Matches(labels.Set(objLabels))
}

func (c *CompiledPolicy) selectsNamespace(ns Namespace) bool {
	return c.usable && c.nsSel.Matches(ns.labelSet())
}

// Namespace is what policies select a namespace by.
type Namespace struct {
	Name   string
	Labels map[string]string
	// DefaultRegion is the namespace's services.k8s.aws/default-region
	// annotation ("" when it has none): ACK creates there, in that region,
	// the resources that name none. Its partition is that of the
	// namespace's resources that tell none, before the configured one.
	DefaultRegion string
}

// labelSet returns the namespace's labels with kubernetes.io/metadata.name,
// which the API server sets on every namespace (and a scan of manifests
// may not carry).
func (n Namespace) labelSet() labels.Set {
	set := labels.Set{}
	for k, v := range n.Labels {
		set[k] = v
	}
	if n.Name != "" {
		set["kubernetes.io/metadata.name"] = n.Name
	}
	return set
}

// MaxExceptionDuration is the longest an exception in the namespace may
// run: the shortest maximum of the policies that select the namespace.
func (e *Engine) MaxExceptionDuration(ns Namespace) time.Duration {
	return e.pols.namespace(ns).maxExc
}

// Policies returns the names of the policies in force, sorted ("baseline"
// alone when it applies implicitly): not those that cannot be applied.
func (e *Engine) Policies() []string {
	out := make([]string, 0, len(e.pols.usable))
	for _, p := range e.pols.usable {
		out = append(out, p.name)
	}
	return out
}

// ACKControllers returns the ACK controller usernames of every policy in
// force (with the defaults): not those of a policy that cannot be applied,
// which lift no denial.
func (e *Engine) ACKControllers() []string {
	lists := make([][]string, 0, len(e.pols.usable))
	for _, p := range e.pols.usable {
		lists = append(lists, p.ackCtrl)
	}
	return union(lists)
}

// union returns the strings of the lists in first-seen order, once each.
func union(lists [][]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
