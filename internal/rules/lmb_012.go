package rules

import (
	"fmt"

	"github.com/ackguard/ackguard/internal/view"
)

// LMB-012: a Lambda function's execution role is not admin or
// privilege-escalating. It resolves spec.roleRef to the ACK Role (and that
// Role's referenced Policies) through the Resolver and applies IAM-001,
// IAM-003 and IAM-014 to the Role's effective permissions. A plain
// spec.role ARN names a role ackguard cannot read, so it is not judged.
// In the webhook the lookup is a cached read; a Role that cannot be read
// gives a warning, never a pass presented as a verdict.
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
	ref := f.RoleRef
	if !ref.Present {
		return nil
	}
	path := ref.Path
	warn := func(msg, remedy string) []Finding {
		return []Finding{{Path: path, Message: msg, Remedy: remedy, Subject: "unresolved: " + msg}}
	}
	ns, name, ok := ref.Target(f.Namespace)
	if !ok {
		if ref.Err != nil {
			return []Finding{fieldErrorFinding(ref.Err)}
		}
		return warn("spec.roleRef names no Role (from.name is missing or not a string)", "set from.name to the ACK Role's name")
	}
	who := fmt.Sprintf("Role %s/%s", ns, name)
	if in.Config.Resolver == nil {
		return warn(fmt.Sprintf("the execution role %s could not be read (no cluster access in this evaluation); it is not judged here", who),
			"judge it with the reconciler, or give scan the Role manifest in the same input")
	}
	obj, found, err := in.Config.Resolver.Get(view.RoleGVK, ns, name)
	switch {
	case err != nil:
		return warn(fmt.Sprintf("the execution role %s could not be read (%v); it is not judged here", who, err), "retry; ackguard judges the Function again when the Role can be read")
	case !found:
		return warn(fmt.Sprintf("the execution role %s was not found; it is not judged here", who), "create the Role, or fix spec.roleRef")
	}
	st := readIAM(in, obj, view.ReadMeta(obj))
	var role []Finding
	for _, d := range st.grants() {
		if d.Valid() {
			role = append(role, checkIAM001Doc(in, d)...)
		}
	}
	role = append(role, escalationFindings(st)...)
	role = append(role, deniedManagedPolicies(view.NewIAMIdentity(obj), []string{"AdministratorAccess"}, "which allows every action on every resource")...)
	var out []Finding
	for _, rf := range role {
		out = append(out, Finding{
			Path:    path,
			Message: fmt.Sprintf("the execution role %s: %s", who, roleFindingText(rf)),
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

// roleFindingText is a Role finding's message, led by its field when the
// message does not name its document itself.
func roleFindingText(f Finding) string {
	if len(f.Path) > 1 && f.Path[1] == "policies" {
		return f.Path.String() + " " + f.Message
	}
	return f.Message
}
