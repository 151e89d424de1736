package rules

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

var (
	dbParameterGroupKind        = view.DBParameterGroupGVK.GroupKind()
	dbClusterParameterGroupKind = view.DBClusterParameterGroupGVK.GroupKind()
)

// paramReq is one parameter a parameter group must set (RDS-014).
type paramReq struct {
	name string
	want string // the secure setting, for messages
	ok   func(v string) bool
	// defaultOK is whether the engine default is already secure.
	defaultOK bool
	// defaultIs names the engine default, for messages.
	defaultIs string
}

func isOne(v string) bool { return strings.TrimSpace(v) == "1" }

func isOneOrOn(v string) bool {
	v = strings.TrimSpace(v)
	return v == "1" || strings.EqualFold(v, "ON")
}

func nonEmpty(v string) bool { return strings.TrimSpace(v) != "" }

// engineVersion is a family or engine version: "postgres16" → 16, "10.11.5"
// → 10.11. known is false when there is none.
type engineVersion struct {
	major, minor int
	known        bool
}

func parseVersion(s string) engineVersion {
	parts := strings.SplitN(strings.TrimSpace(s), ".", 3)
	maj, err := strconv.Atoi(parts[0])
	if err != nil {
		return engineVersion{}
	}
	v := engineVersion{major: maj, known: true}
	if len(parts) > 1 {
		v.minor, _ = strconv.Atoi(parts[1])
	}
	return v
}

// atLeast reports whether the version is maj.min or later; an unknown
// version counts as later (RDS creates new databases on a current version).
func (v engineVersion) atLeast(maj, minor int) bool {
	return !v.known || v.major > maj || v.major == maj && v.minor >= minor
}

// parseFamily splits a parameter group family ("postgres16",
// "sqlserver-se-15.0", "aurora-mysql8.0") into the engine family the rules
// key on and its version.
func parseFamily(family string) (engine string, v engineVersion) {
	f := strings.ToLower(strings.TrimSpace(family))
	i := len(f)
	for i > 0 && (f[i-1] >= '0' && f[i-1] <= '9' || f[i-1] == '.') {
		i--
	}
	return engineFamily(strings.TrimSuffix(f[:i], "-")), parseVersion(f[i:])
}

// tlsParams are the parameters that make an engine refuse connections
// without TLS (Security Hub RDS.38 PostgreSQL, RDS.41 SQL Server, RDS.39
// MySQL, RDS.44 MariaDB ≥ 10.5). RDS for PostgreSQL 15 and later forces
// TLS by default; so do RDS for MySQL 9.7 and MariaDB 11.8 and later
// (require_secure_transport defaults to ON), counted only for a known
// version: earlier ones default to OFF.
func tlsParams(engine string, v engineVersion) []paramReq {
	switch engine {
	case "postgres":
		on := v.atLeast(15, 0)
		return []paramReq{{name: "rds.force_ssl", want: "1", ok: isOne, defaultOK: on, defaultIs: map[bool]string{true: "1", false: "0"}[on]}}
	case "sqlserver":
		return []paramReq{{name: "rds.force_ssl", want: "1", ok: isOne, defaultIs: "0"}}
	case "mysql":
		return []paramReq{requireSecureTransport(v.known && v.atLeast(9, 7))}
	case "mariadb":
		if v.atLeast(10, 5) {
			return []paramReq{requireSecureTransport(v.known && v.atLeast(11, 8))}
		}
	}
	return nil
}

// requireSecureTransport is MySQL's and MariaDB's TLS requirement; on
// says whether the engine version defaults it to ON.
func requireSecureTransport(on bool) paramReq {
	return paramReq{name: "require_secure_transport", want: "1 (ON)", ok: isOneOrOn, defaultOK: on, defaultIs: map[bool]string{true: "ON", false: "OFF"}[on]}
}

// auditParams are Aurora MySQL's audit logging parameters (RDS.45), set
// in the cluster parameter group.
var auditParams = []paramReq{
	{name: "server_audit_logging", want: "1", ok: isOne, defaultIs: "0"},
	{name: "server_audit_events", want: "a non-empty list of events (e.g. CONNECT,QUERY_DCL,QUERY_DDL)", ok: nonEmpty, defaultIs: "empty"},
}

// groupParams are the requirements on a parameter group of the given kind
// and family (a DBClusterParameterGroup of a Multi-AZ DB cluster carries
// the TLS parameters; of an Aurora MySQL cluster, the audit ones).
func groupParams(cluster bool, engine string, v engineVersion) []paramReq {
	switch {
	case cluster && engine == "aurora-mysql":
		return auditParams
	case cluster && (engine == "mysql" || engine == "postgres"):
		return tlsParams(engine, v)
	case !cluster:
		return tlsParams(engine, v)
	}
	return nil
}

// paramProblem is a requirement a group (or the default group) misses.
type paramProblem struct {
	req   paramReq
	value view.String // absent for the default group or an unset parameter
}

func (p paramProblem) text() string {
	switch {
	case p.value.Err != nil:
		return fmt.Sprintf("%s is not a string", p.req.name)
	case !p.value.Present:
		return fmt.Sprintf("%s is not set (engine default: %s)", p.req.name, p.req.defaultIs)
	}
	return fmt.Sprintf("%s is %q", p.req.name, p.value.Value)
}

// missing returns the requirements g does not meet; g nil is the engine's
// default group.
func missing(g *view.ParameterGroup, reqs []paramReq) []paramProblem {
	var out []paramProblem
	for _, r := range reqs {
		var v view.String
		if g != nil {
			v = g.Parameter(r.name)
		}
		switch {
		case v.Err != nil:
		case !v.Present && r.defaultOK:
			continue
		case v.Present && r.ok(v.Value):
			continue
		}
		out = append(out, paramProblem{req: r, value: v})
	}
	return out
}

func rds014Remedy(reqs []paramReq) string {
	var sets []string
	for _, r := range reqs {
		sets = append(sets, r.name+" = "+r.want)
	}
	effect := "clients without TLS are then refused; "
	if reqs[0].name == auditParams[0].name {
		effect = ""
	}
	return "set " + strings.Join(sets, " and ") + " in the parameter group's spec.parameterOverrides (" + effect + "some parameters need a reboot)"
}

// RDS-014: TLS enforced (and, for Aurora MySQL, audit logging on) by the
// parameter group. The rule judges a parameter group by its family, and a
// DBInstance or DBCluster by the group it names (joined through
// spec.dbParameterGroupName/Ref or spec.dbClusterParameterGroupName/Ref,
// read through the Resolver: the cache in the webhook and the reconciler,
// the same input in scan), or by the engine's default group when it names
// none. A group ackguard cannot read is reported as inconclusive, never
// denied; the reconciler judges the DB again when the group changes.
func rds014() *Rule {
	return &Rule{
		ID:          "RDS-014",
		Title:       "The parameter group enforces TLS (and Aurora MySQL audit logging)",
		Severity:    Medium,
		Kinds:       []schema.GroupKind{dbInstanceKind, dbClusterKind, dbParameterGroupKind, dbClusterParameterGroupKind},
		Admission:   Warn,
		Remediation: Audit, // clients without TLS break; some parameters need a reboot
		References: References{
			FSBP:    []string{"RDS.38", "RDS.41", "RDS.39", "RDS.44", "RDS.45"},
			Config:  []string{"rds-postgres-instance-encrypted-in-transit", "rds-sqlserver-encrypted-in-transit", "rds-mysql-instance-encrypted-in-transit", "rds-mariadb-instance-encrypted-in-transit", "aurora-mysql-cluster-audit-logging"},
			Checkov: []string{"CKV2_AWS_69"},
		},
		Check: checkRDS014,
	}
}

func checkRDS014(in *Input) []Finding {
	switch in.GroupKind() {
	case dbParameterGroupKind, dbClusterParameterGroupKind:
		return checkRDS014Group(in)
	}
	db, ok := readDB(in)
	if !ok || db.Spec.Err != nil || db.member() {
		return nil // an Aurora member uses its cluster's parameters for these
	}
	link := view.ParameterGroupLink{}
	engine, ver := engineFamily(db.EngineName()), parseVersion(db.EngineVersion.Value)
	if db.Instance != nil {
		link = db.Instance.ParameterGroup
	} else {
		link = db.Cluster.ParameterGroup
	}
	cluster := db.Cluster != nil
	reqs := groupParams(cluster, engine, ver)
	if len(reqs) == 0 {
		return nil
	}
	kind := link.GVK.Kind
	if !link.Set() || (!link.Ref.Present && link.Name.Err == nil && (link.Name.Value == "" || view.IsDefaultGroupName(link.Name.Value))) {
		probs := missing(nil, reqs)
		if len(probs) == 0 {
			return nil
		}
		name := "the engine's default parameter group"
		if link.Name.NonEmpty() {
			name = "the default parameter group " + link.Name.Value
		}
		return []Finding{dbParamFinding(link.Name.Path, fmt.Sprintf("the %s uses %s, where", db.kind(), name), probs,
			fmt.Sprintf("create a %s and name it in %s; ", kind, link.Name.Path)+rds014Remedy(reqs), "default")}
	}
	g, path, f := resolveParameterGroup(in, link)
	if f != nil {
		return []Finding{*f}
	}
	if e, v := parseFamily(g.Family.Value); g.Family.NonEmpty() && e != "" {
		engine, ver = e, v // the group's family is what RDS applies
		if reqs = groupParams(cluster, engine, ver); len(reqs) == 0 {
			return nil
		}
	}
	probs := missing(g, reqs)
	if len(probs) == 0 {
		return nil
	}
	who := fmt.Sprintf("%s %s/%s", kind, g.Namespace, g.Meta.Name)
	return []Finding{dbParamFinding(path, fmt.Sprintf("the %s's parameter group %s:", db.kind(), who), probs, rds014Remedy(reqs)+" of "+who, who)}
}

func dbParamFinding(path view.Path, lead string, probs []paramProblem, remedy, subject string) Finding {
	texts := make([]string, len(probs))
	names := make([]string, len(probs))
	for i, p := range probs {
		texts[i], names[i] = p.text(), p.req.name
	}
	return Finding{
		Path:    path,
		Message: lead + " " + strings.Join(texts, "; "),
		Remedy:  remedy,
		Subject: subject + "\x00" + strings.Join(names, ","),
	}
}

// resolveParameterGroup reads the group a DB names: by reference, or by
// its AWS name as an ACK object of that metadata.name in the DB's
// namespace. It returns an inconclusive finding when it cannot.
func resolveParameterGroup(in *Input, link view.ParameterGroupLink) (*view.ParameterGroup, view.Path, *Finding) {
	kind := link.GVK.Kind
	warn := func(path view.Path, msg, remedy string) *Finding {
		return &Finding{Action: Warn, Inconclusive: true, Path: path, Message: msg, Remedy: remedy, Subject: "unresolved: " + msg}
	}
	var ns, name string
	path := link.Name.Path
	byName := !link.Ref.Present
	if byName {
		if link.Name.Err != nil {
			f := fieldErrorFinding(link.Name.Err)
			return nil, path, &f
		}
		ns, name = in.Meta.Namespace, link.Name.Value
	} else {
		path = link.Ref.Path
		var ok bool
		if ns, name, ok = link.Ref.Target(in.Meta.Namespace); !ok {
			if link.Ref.Err != nil {
				return nil, path, warn(path, "invalid input: "+link.Ref.Err.Error(), "write the reference as {from: {name: <"+kind+">, namespace: <optional>}}")
			}
			return nil, path, warn(path, "the reference names no "+kind+" (from.name is missing or not a string)", "set from.name to the ACK "+kind+"'s name")
		}
	}
	who := fmt.Sprintf("%s %s/%s", kind, ns, name)
	if in.Config.Resolver == nil {
		return nil, path, warn(path, fmt.Sprintf("the parameter group %s could not be read (no cluster access in this evaluation); whether it enforces TLS is not judged here", who),
			"judge it with the reconciler, or give scan the "+kind+" manifest in the same input")
	}
	obj, found, err := in.Config.Resolver.Get(link.GVK, ns, name)
	switch {
	case err != nil:
		return nil, path, warn(path, fmt.Sprintf("the parameter group %s could not be read (%v); it is not judged here", who, err), "retry; ackguard judges this object again when the group can be read")
	case !found && byName:
		return nil, path, warn(path, fmt.Sprintf("the parameter group %q is not an ACK %s in namespace %s (or not known yet); it is not judged here", name, kind, ns),
			fmt.Sprintf("manage the group as an ACK %s and name it with %s so that ackguard can judge it", kind, link.Ref.Path))
	case !found:
		return nil, path, warn(path, fmt.Sprintf("the parameter group %s was not found (or not known yet); it is not judged here", who), "create it, or fix the reference")
	}
	g := view.NewParameterGroup(obj)
	if len(g.Errors) > 0 || g.Family.Err != nil {
		return nil, path, warn(path, fmt.Sprintf("the parameter group %s has invalid input (see RDS-014 on that object); it is not judged here", who), "fix the parameter group")
	}
	if byName && g.AWSName() != name {
		return nil, path, warn(path, fmt.Sprintf("the ACK %s %s/%s is named %q in AWS, not %q; the parameter group is not judged here", kind, ns, name, g.AWSName(), name),
			"name the group with "+link.Ref.Path.String())
	}
	return g, path, nil
}

func checkRDS014Group(in *Input) []Finding {
	g := view.NewParameterGroup(in.Object)
	var out []Finding
	for _, e := range g.Errors {
		out = append(out, fieldErrorFinding(e))
	}
	if g.Family.Err != nil {
		out = append(out, fieldErrorFinding(g.Family.Err))
	}
	if len(out) > 0 {
		return out // parameters that cannot be read are not judged
	}
	engine, ver := parseFamily(g.Family.Value)
	reqs := groupParams(g.Cluster, engine, ver)
	for _, p := range missing(g, reqs) {
		if p.value.Err != nil {
			out = append(out, fieldErrorFinding(p.value.Err))
			continue
		}
		out = append(out, Finding{
			Path:    p.value.Path,
			Message: fmt.Sprintf("family %s: %s", g.Family.Value, p.text()),
			Remedy:  rds014Remedy([]paramReq{p.req}),
			Subject: p.req.name + "\x00" + p.value.Value,
		})
	}
	return out
}
