package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// LMB-012: a Lambda function's execution role is not admin or
// privilege-escalating. It follows spec.roleRef to the ACK Role, or a
// spec.role ARN to the ACK Role of that IAM name and path in the same
// input or cluster, (and that Role's referenced Policies) through the
// Resolver and applies IAM-001, IAM-003 and IAM-014 to the Role's
// effective permissions. An ARN naming no ACK Role names a role ackguard
// cannot see, and is not judged. In the webhook the lookup is a cached
// read; a Role that cannot be read gives a warning, never a pass presented
// as a verdict.
func lmb012() *Rule {
	return &Rule{
		ID:          "LMB-012",
		Title:       "Lambda execution roles are not administrators and cannot escalate privileges",
		Severity:    High,
		Kinds:       functionKind,
		Admission:   Warn,
		Remediation: Audit,
		Check:       checkLMB012,
	}
}

func checkLMB012(in *Input) []Finding {
	f := view.NewFunctionRole(in.Object)
	var (
		obj  map[string]any
		who  string
		path view.Path
		out  []Finding
	)
	switch {
	case f.RoleRef.Present:
		obj, who, path, out = roleFromRef(in, f)
	case f.Role.Present && f.Role.Err == nil:
		obj, who, path, out = roleFromARN(in, f)
	}
	if obj == nil {
		return out
	}
	st := readIAM(in, obj, view.ReadMeta(obj))
	// The Role's findings leave their document, reference or ARN to their
	// path, which this finding's (the Function's field) is not: each is
	// led by it, an attached ARN's as the subject of its sentence
	// (spec.policies[0] attaches ...).
	var docs []Finding
	for _, d := range st.grants() {
		if d.Valid() {
			docs = append(docs, checkIAM001Doc(in, d)...)
		}
	}
	docs = append(docs, escalationFindings(st)...)
	role := ledByPath(docs, ": ")
	role = append(role, ledByPath(deniedManagedPolicies(view.NewIAMIdentity(obj), adminAccess, adminAccessWhy), " ")...)
	role = append(role, ledByPath(deniedReferencedPolicies(st, adminAccess, adminAccessWhy), ": ")...)
	for _, rf := range role {
		out = append(out, Finding{
			Path:    path,
			Message: fmt.Sprintf("the execution role %s: %s", who, rf.Message),
			Remedy:  "give the function a role with only the permissions it needs; " + rf.Remedy,
			Subject: who + "\x00" + rf.Path.String() + "\x00" + rf.Subject,
		})
	}
	for _, u := range st.unresolved {
		out = append(out, Finding{
			Path:    path,
			Message: fmt.Sprintf("the execution role %s: %s: %s", who, u.Path, u.Message),
			Remedy:  u.Remedy,
			Subject: who + "\x00" + u.Subject,
		})
	}
	return out
}

// ledByPath leads each finding's message with its path and sep, for a
// finding reported at another path than its own.
func ledByPath(fs []Finding, sep string) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		f.Message = f.Path.String() + sep + f.Message
		out = append(out, f)
	}
	return out
}

// roleFromRef reads the Role spec.roleRef names; without it, it returns a
// warning that says why.
func roleFromRef(in *Input, f *view.FunctionRole) (obj map[string]any, who string, path view.Path, warns []Finding) {
	ref := f.RoleRef
	path = ref.Path
	warn := func(msg, remedy string) []Finding {
		return []Finding{{Path: path, Message: msg, Remedy: remedy, Subject: "unresolved: " + msg}}
	}
	ns, name, ok := ref.Target(f.Namespace)
	if !ok {
		if ref.Err != nil {
			return nil, "", path, []Finding{fieldErrorFinding(ref.Err)}
		}
		return nil, "", path, warn("spec.roleRef names no Role (from.name is missing or not a string)", "set from.name to the ACK Role's name")
	}
	who = fmt.Sprintf("Role %s/%s", ns, name)
	if in.Config.Resolver == nil {
		return nil, who, path, warn(fmt.Sprintf("the execution role %s could not be read (no cluster access in this evaluation); it is not judged here", who),
			"judge it with the reconciler, or give scan the Role manifest in the same input")
	}
	obj, found, err := in.Config.Resolver.Get(view.RoleGVK, ns, name)
	switch {
	case err != nil:
		return nil, who, path, warn(fmt.Sprintf("the execution role %s could not be read (%v); it is not judged here", who, err), "retry; ackguard judges the Function again when the Role can be read")
	case !found:
		return nil, who, path, warn(fmt.Sprintf("the execution role %s was not found; it is not judged here", who), "create the Role, or fix spec.roleRef")
	}
	return obj, who, path, nil
}

// roleFromARN finds the ACK Role a spec.role ARN names: the Role whose
// spec.name and spec.path are the ARN's (and whose ARN, once ACK has
// recorded it, is the same), preferring the Function's namespace. Without
// listing it can only try the Role named like the IAM role in the
// Function's namespace. A role no ACK Role matches is not judged.
func roleFromARN(in *Input, f *view.FunctionRole) (obj map[string]any, who string, path view.Path, warns []Finding) {
	path = f.Role.Path
	arn, ok := policy.ParseIAMARN(strings.TrimSpace(f.Role.Value))
	if !ok || arn.Type != "role" || in.Config.Resolver == nil {
		return nil, "", path, nil
	}
	matches := func(o map[string]any) bool { return RoleNamedBy(f.Role.Value, o) }
	var err error
	if l, canList := in.Config.Resolver.(Lister); canList {
		var roles []map[string]any
		roles, err = l.List(view.RoleGVK)
		for _, o := range roles {
			if matches(o) && (obj == nil || view.ReadMeta(o).Namespace == f.Namespace) {
				obj = o
			}
		}
	} else if o, found, gerr := in.Config.Resolver.Get(view.RoleGVK, f.Namespace, arn.Name); gerr != nil {
		err = gerr
	} else if found && matches(o) {
		obj = o
	}
	if err != nil {
		msg := fmt.Sprintf("the execution role %s could not be looked up among the ACK Roles (%v); it is not judged here", f.Role.Value, err)
		return nil, "", path, []Finding{{Path: path, Message: msg, Remedy: "retry; ackguard judges the Function again when the Roles can be read", Subject: "unresolved: " + msg}}
	}
	if obj == nil {
		return nil, "", path, nil
	}
	m := view.ReadMeta(obj)
	return obj, fmt.Sprintf("Role %s/%s", m.Namespace, m.Name), path, nil
}

// RoleNamedBy reports whether an execution-role ARN names the ACK Role:
// the Role's recorded ARN once ACK has set it, else its spec.name and
// spec.path. The reconciler uses it to re-judge the Functions that name a
// Role by ARN when the Role changes.
func RoleNamedBy(arnText string, role map[string]any) bool {
	r := view.NewIAMIdentity(role)
	return iamNamedBy(arnText, "role", r.Name, r.IAMPath, r.ARN)
}
