package scan

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Kinds of ackguard's own API the scan reads.
const (
	kindPolicy    = "GuardrailPolicy"
	kindException = "GuardrailException"
)

var governanceVersion = v1alpha1.GroupVersion.Version

// govObject is a GuardrailPolicy or GuardrailException read from the
// input, in input order.
type govObject struct {
	source string
	// kind is kindPolicy or kindException; exactly one of policy and
	// exception is set.
	kind      string
	policy    *v1alpha1.GuardrailPolicy
	exception *v1alpha1.GuardrailException
	// flagged are the field paths the schema check reported, so that
	// governance validation does not report them a second time.
	flagged map[string]bool
	// at is "line N: ", where the object starts in its input, or "".
	at string
}

// unguardedKind ends the path of a governance problem naming a kind
// ackguard does not guard: "spec.match.kinds[0]: ackguard guards no kind
// bucket.s3.services.k8s.aws".
const unguardedKind = ": ackguard guards no kind "

// schemaSaid reports whether the schema check reported governance
// problem p ("field: message") already: at its field, or, for a kind
// ackguard does not guard, at the kind or API group that names it (a
// malformed one guards nothing).
func (g *govObject) schemaSaid(p string) bool {
	path, _, ok := strings.Cut(p, ": ")
	if !ok {
		return false
	}
	if g.flagged[path] {
		return true
	}
	return strings.HasPrefix(p[len(path):], unguardedKind) && (g.flagged[path+".kind"] || g.flagged[path+".apiGroup"])
}

// namespaceObject is a v1 Namespace read from the input.
type namespaceObject struct {
	source string
	labels map[string]string
	// region is its services.k8s.aws/default-region annotation.
	region string
}

// governanceDoc reads a document of ackguard's API group: a
// GuardrailPolicy or GuardrailException of the version the scan knows is
// decoded, checked and kept; their Lists hold no object of their own (an
// object with items is a list, see value) and are skipped like any other
// document: governanceDoc reports false for them. Any other kind of the
// group (a misspelt GuardrailPolicy, a missing kind) is an input error:
// the cluster would refuse the object, and skipping it would judge the
// resources without the policy or exception it meant to be.
func (s *scanner) governanceDoc(source string, obj map[string]any, meta view.Meta, loc locator) bool {
	switch kind := meta.GVK.Kind; kind {
	case kindPolicy, kindException:
		s.governanceObject(source, obj, meta, lineAt(loc))
	case kindPolicy + "List", kindException + "List":
		return false
	case "":
		s.errorf(source, "%s%s %s: kind is missing, one of %s and %s (and their Lists): the cluster would refuse the object, and the scan does not read it",
			lineAt(loc), meta.GVK.GroupVersion(), describeName(meta.Namespace, view.ReadIdentity(obj).Name, true), kindPolicy, kindException)
	default:
		s.errorf(source, "%s%s %s: %s has no kind %s, only %s and %s (and their Lists): the cluster would refuse the object, and the scan does not read it",
			lineAt(loc), kind, describeName(meta.Namespace, view.ReadIdentity(obj).Name, true), meta.GVK.Group, kind, kindPolicy, kindException)
	}
	return true
}

// lineAt is "line N: " for an object that starts at line N of its input
// (as errors about a document name its line), "" when unknown.
func lineAt(loc locator) string {
	if l := loc.start().line; l > 0 {
		return fmt.Sprintf("line %d: ", l)
	}
	return ""
}

// governanceObject reads a GuardrailPolicy or GuardrailException that
// starts where at says ("line N: ").
func (s *scanner) governanceObject(source string, obj map[string]any, meta view.Meta, at string) {
	kind := meta.GVK.Kind
	rawName := view.ReadIdentity(obj).Name // meta.Name falls back on generateName
	name := describeName(meta.Namespace, rawName, kind == kindException)
	if meta.GVK.Version != governanceVersion {
		s.errorf(source, "%s%s %s: apiVersion %s: ackguard scan reads %s only; the cluster would not apply this object as written",
			at, kind, name, meta.GVK.GroupVersion(), v1alpha1.GroupVersion)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			s.errorf(source, "%s%s %s: internal error while reading the object (%v); report this to the ackguard maintainers", at, kind, name, p)
		}
	}()
	g := &govObject{source: source, kind: kind, flagged: map[string]bool{}, at: at}
	var typed any
	if kind == kindPolicy {
		g.policy = &v1alpha1.GuardrailPolicy{}
		typed = g.policy
	} else {
		g.exception = &v1alpha1.GuardrailException{}
		typed = g.exception
	}
	report := func(msg string) { s.errorf(source, "%s%s %s: %s", at, kind, name, msg) }

	schema, err := crdSchema(kind)
	if err != nil {
		report(fmt.Sprintf("internal error: %v; report this to the ackguard maintainers", err))
		return
	}
	problems := schemaProblems(schema, obj)
	for _, p := range problems {
		g.flagged[p.path] = true
		report(p.String())
	}
	// Decode strictly, as the API server does with kubectl's default
	// field validation: an unknown (or misspelt, or wrongly cased) field
	// is an error, not silently dropped.
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, typed, true); err != nil {
		switch strict, ok := runtime.AsStrictDecodingError(err); {
		case ok:
			for _, e := range strict.Errors() {
				report(e.Error())
			}
		case len(problems) > 0:
			return // the schema check has said what is wrong
		default:
			report("cannot decode the object: " + err.Error())
			return
		}
	}
	if g.name() == "" {
		g.flagged["metadata.name"] = true
		report("metadata.name: Required value")
	}
	if !s.keepGovernance(g, obj) {
		return
	}
	s.gov = append(s.gov, g)
}

// keepGovernance refuses a second object of the same kind and name: a
// cluster holds one. The same object read twice (a file given as a PATH
// and under --policy, or through two directories) is kept once, silently.
func (s *scanner) keepGovernance(g *govObject, obj map[string]any) bool {
	key := g.kind + "\x00" + g.namespace() + "\x00" + g.name()
	if s.govRaw == nil {
		s.govRaw = map[string]govSeen{}
	}
	if prev, ok := s.govRaw[key]; ok {
		if !reflect.DeepEqual(prev.raw, obj) {
			s.errorf(g.source, "%s%s %s is also defined in %s, differently; a cluster holds one object of that name: keep one of them",
				g.at, g.kind, describeName(g.namespace(), g.name(), g.exception != nil), prev.source)
		}
		return false
	}
	s.govRaw[key] = govSeen{source: g.source, raw: obj}
	return true
}

type govSeen struct {
	source string
	raw    map[string]any
}

func (g *govObject) name() string {
	if g.policy != nil {
		return g.policy.Name
	}
	return g.exception.Name
}

func (g *govObject) namespace() string {
	if g.exception != nil {
		return g.exception.Namespace
	}
	return "" // cluster-scoped: the API server ignores a namespace
}

// describeName is "name", or "namespace/name" for a namespaced object
// with a namespace, or "<unnamed>".
func describeName(namespace, name string, namespaced bool) string {
	if name == "" {
		name = "<unnamed>"
	}
	if namespaced && namespace != "" {
		return namespace + "/" + name
	}
	return name
}

// namespaceDoc reads a v1 Namespace: its labels are what a policy's
// namespaceSelector matches; its default region gives the partition of
// its resources that tell none.
func (s *scanner) namespaceDoc(source string, obj map[string]any, meta view.Meta, loc locator) {
	at := lineAt(loc)
	var ns corev1.Namespace
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &ns); err != nil {
		s.errorf(source, "%sNamespace %s: cannot decode the object: %v", at, describeName("", meta.Name, false), err)
		return
	}
	if ns.Name == "" {
		s.errorf(source, "%sNamespace: metadata.name: Required value", at)
		return
	}
	if s.namespaces == nil {
		s.namespaces = map[string]*namespaceObject{}
	}
	if prev, ok := s.namespaces[ns.Name]; ok {
		if !reflect.DeepEqual(prev.labels, ns.Labels) && (len(prev.labels) != 0 || len(ns.Labels) != 0) {
			s.errorf(source, "%sNamespace %s is also defined in %s, with other labels; a cluster holds one: keep one of them", at, ns.Name, prev.source)
		} else if region := view.NamespaceDefaultRegion(ns.Annotations); region != prev.region {
			s.errorf(source, "%sNamespace %s is also defined in %s, with another %s; a cluster holds one: keep one of them", at, ns.Name, prev.source, view.AnnotationDefaultRegion)
		}
		return
	}
	s.namespaces[ns.Name] = &namespaceObject{source: source, labels: ns.Labels, region: view.NamespaceDefaultRegion(ns.Annotations)}
	if a := view.NamespaceOwnerAccount(ns.Annotations); a != "" {
		s.observeOwners(source, at, owners.Origin{Source: owners.FromNamespace, Name: ns.Name}, []string{a})
	}
}

// namespace is what policies select a namespace by: its name, and the
// labels of its Namespace object when the input has one, with the
// object's default region.
func (s *scanner) namespace(name string) governance.Namespace {
	ns := governance.Namespace{Name: name}
	if o := s.namespaces[name]; o != nil {
		ns.Labels, ns.DefaultRegion = o.labels, o.region
	}
	return ns
}

// engine builds the governance engine from every policy and exception
// read, reports what governance validation finds wrong with them, and
// records the policies in force and the state of each exception.
func (s *scanner) engine() *governance.Engine {
	var policies []v1alpha1.GuardrailPolicy
	var exceptions []v1alpha1.GuardrailException
	for _, g := range s.gov {
		if g.policy != nil {
			if g.policy.Name == "" {
				continue // the API server refuses it: it is never in force
			}
			policies = append(policies, *g.policy)
		} else {
			exceptions = append(exceptions, *g.exception)
		}
	}
	d := governance.Defaults{Config: s.cfg}
	d.Config.Resolver = nil
	d.Config.OwnerAccounts = s.owners.IDs()
	s.rep.OwnerAccounts = s.ownerAccounts()
	eng := governance.New(s.reg, d, policies, exceptions)

	if eng.Implicit() {
		s.rep.Policies = append(s.rep.Policies, Policy{Name: governance.BaselineName, Builtin: true})
	}
	for _, g := range s.gov {
		if s.done() {
			break
		}
		var problems []string
		if g.policy != nil {
			if inForce(s.reg, g.policy) && g.policy.Name != "" {
				s.rep.Policies = append(s.rep.Policies, Policy{Name: g.policy.Name, Source: g.source})
			}
			problems = governance.ValidatePolicy(s.reg, g.policy)
		} else {
			ex := g.exception
			ns := s.namespace(ex.Namespace)
			state, msg := eng.ExceptionState(ex, ns, s.now)
			s.rep.Exceptions = append(s.rep.Exceptions, Exception{
				Namespace: ex.Namespace, Name: ex.Name, Source: g.source,
				State: state, Message: msg, Reason: ex.Spec.Reason, ExpiresAt: formatTime(ex.Spec.ExpiresAt.Time),
			})
			for _, p := range eng.ValidateException(s.reg, ex, ns, s.now) {
				// An exception that has run out is not an input error: it
				// no longer applies, which the report says (Expired).
				if state == v1alpha1.ExceptionExpired && p == "spec.expiresAt: "+msg {
					continue
				}
				problems = append(problems, p)
			}
		}
		for _, p := range problems {
			if g.schemaSaid(p) {
				continue // the schema check reported this field already
			}
			s.errorf(g.source, "%s%s %s: %s", g.at, g.kind, describeName(g.namespace(), g.name(), g.exception != nil), p)
		}
	}
	return eng
}

// unlabelledNote is a note naming the namespaces of the resources judged
// that have no Namespace object in the input, when a policy in force
// selects namespaces by labels: their labels are unknown, so such
// policies judged them as namespaces without labels. "" otherwise.
func (s *scanner) unlabelledNote() string {
	if len(s.unlabelled) == 0 {
		return ""
	}
	var byLabels []string
	for _, g := range s.gov {
		if g.policy != nil && inForce(s.reg, g.policy) && selectsByLabels(g.policy.Spec.Match.NamespaceSelector) {
			byLabels = append(byLabels, g.policy.Name)
		}
	}
	if len(byLabels) == 0 {
		return ""
	}
	subject, has, its := "namespace "+s.unlabelled[0], "has", "its"
	if len(s.unlabelled) > 1 {
		subject, has, its = "namespaces "+strings.Join(s.unlabelled, ", "), "have", "their"
	}
	return fmt.Sprintf("%s %s no Namespace object in the input: policies that select namespaces by labels (%s) judged %s resources without %s labels; "+
		"give the cluster's Namespaces (kubectl get namespaces -o yaml) with --policy", subject, has, strings.Join(byLabels, ", "), its, its)
}

// selectsByLabels reports whether a namespaceSelector reads labels other
// than kubernetes.io/metadata.name, which every namespace has (its name).
func selectsByLabels(sel *metav1.LabelSelector) bool {
	if sel == nil {
		return false
	}
	for k := range sel.MatchLabels {
		if k != corev1.LabelMetadataName {
			return true
		}
	}
	for _, e := range sel.MatchExpressions {
		if e.Key != corev1.LabelMetadataName {
			return true
		}
	}
	return false
}

// inForce reports whether the engine applies the policy, as
// governance.CompilePolicy decides (CompiledPolicy.InForce).
func inForce(reg *rules.Registry, p *v1alpha1.GuardrailPolicy) bool {
	return governance.CompilePolicy(reg, governance.Defaults{}, p).InForce()
}

// exceptionSource is where the exception was read.
func (s *scanner) exceptionSource(namespace, name string) string {
	for _, g := range s.gov {
		if g.exception != nil && g.exception.Namespace == namespace && g.exception.Name == name {
			return g.source
		}
	}
	return ""
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
