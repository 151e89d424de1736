package view

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The ACK RDS kinds that hold engine parameters and the RDS Proxy.
var (
	DBParameterGroupGVK        = schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBParameterGroup"}
	DBClusterParameterGroupGVK = schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBClusterParameterGroup"}
	DBProxyGVK                 = schema.GroupVersionKind{Group: "rds.services.k8s.aws", Version: "v1alpha1", Kind: "DBProxy"}
)

// ParameterGroupLink is how a DBInstance names its DB parameter group
// (spec.dbParameterGroupName / spec.dbParameterGroupRef) or a DBCluster
// its cluster parameter group (spec.dbClusterParameterGroupName /
// spec.dbClusterParameterGroupRef).
type ParameterGroupLink struct {
	// GVK is the kind of the group named: DBParameterGroup or
	// DBClusterParameterGroup.
	GVK schema.GroupVersionKind
	// Name is the AWS name of the group (the spec.name of the ACK object);
	// Ref an ACK reference to the object, by metadata.name.
	Name String
	Ref  Ref
}

// The fields of a ParameterGroupLink: a DBInstance's
// spec.dbParameterGroupRef and spec.dbParameterGroupName, a DBCluster's
// spec.dbClusterParameterGroupRef and spec.dbClusterParameterGroupName.
var (
	DBParameterGroupRefPath         = NewPath("spec", "dbParameterGroupRef")
	DBParameterGroupNamePath        = NewPath("spec", "dbParameterGroupName")
	DBClusterParameterGroupRefPath  = NewPath("spec", "dbClusterParameterGroupRef")
	DBClusterParameterGroupNamePath = NewPath("spec", "dbClusterParameterGroupName")
)

// Set reports whether the object names a parameter group at all (without
// one, RDS uses the engine's default group).
func (l ParameterGroupLink) Set() bool { return l.Ref.Present || l.Name.Present }

func readParameterGroupLink(spec Object, gvk schema.GroupVersionKind, nameKey, refKey string) ParameterGroupLink {
	return ParameterGroupLink{GVK: gvk, Name: spec.String(nameKey), Ref: readRef(spec.Object(refKey))}
}

// DefaultParameterGroupPrefix starts the names of the parameter groups RDS
// creates for each engine family ("default.postgres16"); their parameters
// are the engine defaults and cannot be changed.
const DefaultParameterGroupPrefix = "default."

// IsDefaultGroupName reports whether name is one of RDS's default parameter
// groups.
func IsDefaultGroupName(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), DefaultParameterGroupPrefix)
}

// ParameterGroup is the view of an rds.services.k8s.aws/v1alpha1
// DBParameterGroup or DBClusterParameterGroup.
type ParameterGroup struct {
	Meta
	Spec Object
	// Cluster is true for a DBClusterParameterGroup.
	Cluster bool
	Name    String // spec.name, the AWS name
	// Family is the engine family and major version ("postgres16",
	// "mysql8.0", "aurora-mysql8.0"): it decides what the parameters mean.
	Family String
	// OverridesPath is spec.parameterOverrides; Parameters every
	// parameter the object sets, by name (spec.parameterOverrides, name →
	// value). A DBClusterParameterGroup's spec.parameters[] is not read:
	// the CRD marks it deprecated, and ACK sends only the overrides to RDS
	// (CreateDBClusterParameterGroup carries no parameters; its update
	// syncs spec.parameterOverrides alone), so what it lists never takes
	// effect.
	OverridesPath Path
	Parameters    map[string]String
	Errors        []*FieldError
}

// NewParameterGroup decodes a DBParameterGroup or DBClusterParameterGroup
// view from an unstructured object.
func NewParameterGroup(obj map[string]any) *ParameterGroup {
	spec := Spec(obj)
	g := &ParameterGroup{Meta: ReadMeta(obj), Spec: spec, Parameters: map[string]String{}}
	g.Cluster = g.GVK.Kind == DBClusterParameterGroupGVK.Kind
	if spec.Err != nil {
		g.Errors = append(g.Errors, spec.Err)
	}
	g.Name = spec.String("name")
	g.Family = spec.String("family")
	g.OverridesPath = spec.Path.Child("parameterOverrides")
	overrides, err := spec.StringMap("parameterOverrides")
	if err != nil {
		g.Errors = append(g.Errors, err)
	}
	for name, v := range overrides {
		g.Parameters[name] = v
	}
	return g
}

// Parameter returns the parameter of that name (RDS parameter names are
// matched without regard to case); Present is false when the group does
// not set it, so the engine default applies.
func (g *ParameterGroup) Parameter(name string) String {
	if v, ok := g.Parameters[name]; ok {
		return v
	}
	keys := make([]string, 0, len(g.Parameters))
	for k := range g.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic when two keys differ only by case
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return g.Parameters[k]
		}
	}
	return String{Path: g.OverridesPath.Child(name)}
}

// AWSName is the group's AWS name: spec.name, else metadata.name.
func (g *ParameterGroup) AWSName() string {
	if g.Name.NonEmpty() {
		return g.Name.Value
	}
	return g.Meta.Name
}

// DBProxy is the view of an rds.services.k8s.aws/v1alpha1 DBProxy.
type DBProxy struct {
	Meta
	Spec Object
	Name String
	// EngineFamily is MYSQL, POSTGRESQL or SQLSERVER.
	EngineFamily String
	// RequireTLS makes the proxy refuse connections without TLS; AWS
	// default: false.
	RequireTLS Bool
	Errors     []*FieldError
}

// NewDBProxy decodes a DBProxy view from an unstructured object.
func NewDBProxy(obj map[string]any) *DBProxy {
	spec := Spec(obj)
	p := &DBProxy{Meta: ReadMeta(obj), Spec: spec}
	if spec.Err != nil {
		p.Errors = append(p.Errors, spec.Err)
	}
	p.Name = spec.String("name")
	p.EngineFamily = spec.String("engineFamily")
	p.RequireTLS = spec.Bool("requireTLS")
	return p
}
