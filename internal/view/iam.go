package view

import (
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The ACK IAM kinds (iam.services.k8s.aws/v1alpha1).
var (
	RoleGVK   = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Role"}
	PolicyGVK = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Policy"}
	UserGVK   = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "User"}
	GroupGVK  = schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: "Group"}
)

// The lists by which a Role, User or Group attaches managed policies:
// spec.policyRefs names ACK Policies in the cluster, spec.policies their
// ARNs. The views read them at these paths (IAMIdentity.PolicyRefs and
// .Policies); code that follows the references reads them through these.
var (
	PolicyRefsPath = NewPath("spec", "policyRefs")
	PoliciesPath   = NewPath("spec", "policies")
)

// Ref is an ACK resource reference, {from: {name, namespace}}, as used by
// spec.policyRefs[], spec.permissionsBoundaryRef and spec.roleRef.
type Ref struct {
	// Path is the field of the reference itself (spec.policyRefs[0]).
	Path      Path
	Present   bool
	Name      String // from.name
	Namespace String // from.namespace; absent means the referring object's namespace
	// Err is set when the reference or its from element is not an object.
	Err *FieldError
}

// Target returns the namespace and name the reference points at, with the
// namespace defaulted to ns. ok is false when the reference names nothing
// usable (absent, mistyped, or no name).
func (r Ref) Target(ns string) (namespace, name string, ok bool) {
	if !r.Present || r.Err != nil || r.Name.Err != nil || r.Namespace.Err != nil || r.Name.Value == "" {
		return "", "", false
	}
	namespace = ns
	if r.Namespace.Present && r.Namespace.Value != "" {
		namespace = r.Namespace.Value
	}
	return namespace, r.Name.Value, true
}

// readRef decodes a reference object.
func readRef(o Object) Ref {
	r := Ref{Path: o.Path, Present: o.Present, Err: o.Err}
	if !o.Present || o.Err != nil {
		return r
	}
	from := o.Object("from")
	if from.Err != nil {
		r.Err = from.Err
		return r
	}
	r.Name = from.String("name")
	r.Namespace = from.String("namespace")
	return r
}

// InlinePolicy is one entry of spec.inlinePolicies: a name and its JSON
// document. Document.Path is spec.inlinePolicies["<name>"].
type InlinePolicy struct {
	Name     string
	Document String
}

// IAMIdentity is what Role, User and Group share: the permissions attached
// to the identity.
type IAMIdentity struct {
	Meta
	// Spec is the raw spec, for fields no rule reads typed yet.
	Spec Object
	Name String // spec.name (the IAM name)
	// IAMPath is spec.path, the IAM path in the identity's ARN ("/" when
	// absent).
	IAMPath String
	// InlinePoliciesField is spec.inlinePolicies; InlinePolicies its
	// entries, sorted by name.
	InlinePoliciesField Object
	InlinePolicies      []InlinePolicy
	// PoliciesField is spec.policies; Policies its ARNs (an element of the
	// wrong type carries its error).
	PoliciesField Object
	Policies      []String
	PolicyRefs    []Ref // spec.policyRefs
	// PermissionsBoundary and PermissionsBoundaryRef are absent on Group.
	PermissionsBoundary    String
	PermissionsBoundaryRef Ref
	// Errors lists fields of the wrong shape not carried by a typed field
	// above (a spec that is not an object, a list that is not an array).
	Errors []*FieldError

	paths pathArena // the fields' paths while the view is built
}

// Role is the view of an iam.services.k8s.aws/v1alpha1 Role.
type Role struct {
	IAMIdentity
	AssumeRolePolicyDocument String // spec.assumeRolePolicyDocument
	MaxSessionDuration       Int    // spec.maxSessionDuration (seconds)
}

// User is the view of an iam.services.k8s.aws/v1alpha1 User.
type User struct{ IAMIdentity }

// Group is the view of an iam.services.k8s.aws/v1alpha1 Group.
type Group struct{ IAMIdentity }

// Policy is the view of an iam.services.k8s.aws/v1alpha1 Policy (a
// customer managed policy).
type Policy struct {
	Meta
	Spec           Object
	Name           String // spec.name
	IAMPath        String // spec.path, the IAM path in the policy's ARN
	PolicyDocument String // spec.policyDocument
	Errors         []*FieldError
}

// NewIAMIdentity decodes the fields Role, User and Group share. Kinds
// without a permissions boundary simply leave it absent.
func NewIAMIdentity(obj map[string]any) *IAMIdentity {
	id := &IAMIdentity{}
	id.read(obj)
	id.paths.seal()
	return id
}

// read decodes the shared fields into id, taking their paths from
// id.paths; the caller seals it once it has read its own fields.
func (id *IAMIdentity) read(obj map[string]any) {
	spec := rootIn(obj, &id.paths).Object("spec")
	id.Meta, id.Spec = ReadMeta(obj), spec
	if spec.Err != nil {
		id.Errors = append(id.Errors, spec.Err)
	}
	id.Name = spec.String("name")
	id.IAMPath = spec.String("path")

	id.InlinePoliciesField = spec.Object("inlinePolicies")
	if ip := id.InlinePoliciesField; ip.Err != nil {
		id.Errors = append(id.Errors, ip.Err)
	} else {
		names := make([]string, 0, len(ip.Fields))
		for k, v := range ip.Fields {
			if v != nil {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		if len(names) > 0 {
			id.InlinePolicies = make([]InlinePolicy, 0, len(names))
		}
		for _, n := range names {
			id.InlinePolicies = append(id.InlinePolicies, InlinePolicy{Name: n, Document: ip.String(n)})
		}
	}

	id.PoliciesField, id.Policies = stringList(spec, "policies")
	if id.PoliciesField.Err != nil {
		id.Errors = append(id.Errors, id.PoliciesField.Err)
	}

	refs, err := spec.List("policyRefs")
	if err != nil {
		id.Errors = append(id.Errors, err)
	}
	for _, r := range refs {
		id.PolicyRefs = append(id.PolicyRefs, readRef(r))
	}
	id.PermissionsBoundary = spec.String("permissionsBoundary")
	id.PermissionsBoundaryRef = readRef(spec.Object("permissionsBoundaryRef"))
}

// stringList reads an array of strings. The returned Object stands for
// the list field itself (Present, Path, Err when it is not an array).
func stringList(o Object, key string) (Object, []String) {
	p, _ := o.child(key)
	v, ok := o.lookup(key)
	if !ok {
		return Object{Path: p}, nil
	}
	items, isList := v.([]any)
	if !isList {
		return Object{Path: p, Present: true, Err: &FieldError{Path: p, Expected: "array", Found: TypeName(v)}}, nil
	}
	out := make([]String, len(items))
	for i, it := range items {
		ip := o.paths.child(p, strconv.Itoa(i))
		s, isStr := it.(string)
		if !isStr {
			out[i] = String{Path: ip, Present: true, Err: &FieldError{Path: ip, Expected: "string", Found: TypeName(it)}}
			continue
		}
		out[i] = String{Path: ip, Present: true, Value: s}
	}
	return Object{Path: p, Present: true}, out
}

// NewRole decodes a Role view from an unstructured object.
func NewRole(obj map[string]any) *Role { return newRole(obj, true) }

// newRole is NewRole, with the paths taken from an arena or (arena false,
// for tests) each allocated on its own.
func newRole(obj map[string]any, arena bool) *Role {
	r := &Role{}
	if !arena {
		r.paths.seal()
	}
	r.read(obj)
	r.AssumeRolePolicyDocument = r.Spec.String("assumeRolePolicyDocument")
	r.MaxSessionDuration = r.Spec.Int("maxSessionDuration")
	r.paths.seal()
	return r
}

// NewUser decodes a User view from an unstructured object.
func NewUser(obj map[string]any) *User {
	u := &User{}
	u.read(obj)
	u.paths.seal()
	return u
}

// NewGroup decodes a Group view from an unstructured object.
func NewGroup(obj map[string]any) *Group {
	g := &Group{}
	g.read(obj)
	g.paths.seal()
	return g
}

// NewPolicy decodes a Policy view from an unstructured object.
func NewPolicy(obj map[string]any) *Policy {
	spec := Spec(obj)
	p := &Policy{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		p.Errors = append(p.Errors, spec.Err)
	}
	p.Name = spec.String("name")
	p.IAMPath = spec.String("path")
	p.PolicyDocument = spec.String("policyDocument")
	return p
}

// RefsAt reads the references at a spec path: a list of references
// (spec.policyRefs) or a single one (spec.roleRef). Anything else reads as
// none.
func RefsAt(obj map[string]any, path ...string) []Ref {
	if len(path) == 0 {
		return nil
	}
	o := Root(obj)
	for _, k := range path[:len(path)-1] {
		o = o.Object(k)
	}
	last := path[len(path)-1]
	v, ok := o.lookup(last)
	if !ok || o.Err != nil {
		return nil
	}
	p := o.Path.Child(last)
	switch t := v.(type) {
	case map[string]any:
		return []Ref{readRef(Object{Path: p, Present: true, Fields: t})}
	case []any:
		out := make([]Ref, 0, len(t))
		for i, it := range t {
			if m, isMap := it.(map[string]any); isMap {
				out = append(out, readRef(Object{Path: p.Index(i), Present: true, Fields: m}))
			}
		}
		return out
	}
	return nil
}

// StringAt reads the string field at a path ("" when it is absent or not
// a string), such as a name that refers to another object.
func StringAt(obj map[string]any, path ...string) string {
	if len(path) == 0 {
		return ""
	}
	o := Root(obj)
	for _, k := range path[:len(path)-1] {
		o = o.Object(k)
	}
	return o.String(path[len(path)-1]).Value
}
