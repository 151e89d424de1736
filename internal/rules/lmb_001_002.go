package rules

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// aliasKind is the Lambda Alias: its spec.permissions are the function's
// resource-based policy (catalog §2.5).
var aliasKind = []schema.GroupKind{view.AliasGVK.GroupKind()}

// fixedValue reports whether a condition value restricts: present, not
// empty, without wildcards or policy variables (catalog §10.1 C2).
func fixedValue(s view.String) bool {
	return s.NonEmpty() && !strings.ContainsAny(s.Value, "*?") && !strings.Contains(s.Value, "${")
}

// permissionText names a permission in messages: its statement ID, else
// its position.
func permissionText(p view.AliasPermission) string {
	if p.StatementID.NonEmpty() {
		return fmt.Sprintf("permission %q", p.StatementID.Value)
	}
	return fmt.Sprintf("permission %d", p.Index)
}

// permissionSubject identifies a permission across updates.
func permissionSubject(p view.AliasPermission) string {
	return strings.Join([]string{p.Principal.Value, p.Action.Value, p.SourceARN.Value, p.SourceAccount.Value, p.PrincipalOrgID.Value, p.FunctionURLAuthType.Value}, "\x00")
}

// urlAuthNone reports whether a permission is for function URL calls
// with auth type NONE, which are not signed.
func urlAuthNone(p view.AliasPermission) bool {
	return p.FunctionURLAuthType.Err == nil && strings.EqualFold(strings.TrimSpace(p.FunctionURLAuthType.Value), "NONE")
}

// publicPermission says why a permission lets anyone invoke the function,
// "" when it does not. A principal with a wildcard is all principals; it
// is public unless a source condition with a fixed value restricts it
// (sourceAccount, sourceARN, principalOrgID: catalog §10.1 C1/C2). A
// function URL permission with auth type NONE is public whatever it says:
// URL calls are not signed, so no principal or source applies to them.
func publicPermission(p view.AliasPermission) string {
	if urlAuthNone(p) {
		return "functionURLAuthType NONE lets anyone on the internet call the function URL without signing the request"
	}
	principal := strings.TrimSpace(p.Principal.Value)
	if p.Principal.Err != nil || !strings.Contains(principal, "*") {
		return ""
	}
	if fixedValue(p.SourceAccount) || fixedValue(p.SourceARN) || fixedValue(p.PrincipalOrgID) {
		return ""
	}
	what := "any action"
	if p.Action.NonEmpty() {
		what = p.Action.Value
	}
	who := "everyone, anonymous callers included"
	if p.FunctionURLAuthType.Err == nil && strings.EqualFold(strings.TrimSpace(p.FunctionURLAuthType.Value), authTypeIAM) {
		// The statement holds only for function URL calls signed with
		// SigV4 (lambda:FunctionUrlAuthType AWS_IAM): not anonymous, but
		// from any AWS account.
		who = "every AWS principal of every account (functionURLAuthType AWS_IAM requires signed calls, not calls from your accounts)"
	}
	return fmt.Sprintf("principal %q with no fixed sourceAccount, sourceARN or principalOrgID grants %s to %s", principal, what, who)
}

// LMB-001: no public invoke permission on an Alias.
//
// The catalog's "unless the object is annotated public" is not honoured:
// whoever writes the object could write the annotation (catalog §11.1); a
// function that must be public needs a GuardrailException. The fix
// (REMOVE the permission entry) is opt-in: the default is audit.
func lmb001() *Rule {
	return &Rule{
		ID:          "LMB-001",
		Title:       "Lambda permissions do not let everyone invoke the function",
		Severity:    Critical,
		Kinds:       aliasKind,
		Admission:   Deny,
		Remediation: Audit, // breaks anonymous callers
		References: References{
			FSBP:    []string{"Lambda.1"},
			Config:  []string{"lambda-function-public-access-prohibited"},
			Checkov: []string{"CKV_AWS_301"},
		},
		Check: checkLMB001,
		Fixer: fixLMB001,
	}
}

func checkLMB001(in *Input) []Finding {
	a := view.NewAlias(in.Object)
	var out []Finding
	// The alias's input errors are reported once, here, for both rules.
	for _, e := range a.Errors {
		out = append(out, fieldErrorFinding(e))
	}
	for _, p := range a.Permissions.Items {
		for _, s := range p.Strings() {
			if s.Err != nil {
				out = append(out, fieldErrorFinding(s.Err))
			}
		}
		if why := publicPermission(p); why != "" {
			remedy := "remove the permission, or restrict it with sourceAccount, sourceARN or principalOrgID (a function that must be public needs a GuardrailException)"
			if urlAuthNone(p) {
				// No source restricts unsigned URL calls.
				remedy = "remove the permission, or set functionURLAuthType to AWS_IAM and name the callers in principal, sourceAccount or principalOrgID (a function URL that must be public needs a GuardrailException)"
			}
			out = append(out, Finding{
				Path:    p.Path,
				Message: fmt.Sprintf("%s: %s", permissionText(p), why),
				Remedy:  remedy,
				Subject: permissionSubject(p),
				Fixable: true,
			})
		}
	}
	return out
}

// fixLMB001 rewrites spec.permissions without the public entries, keeping
// every other entry as it was.
func fixLMB001(m *Mutation) error {
	a := view.NewAlias(m.Input().Object)
	drop := map[int]bool{}
	for _, p := range a.Permissions.Items {
		if publicPermission(p) != "" {
			drop[p.Index] = true
		}
	}
	if len(drop) == 0 {
		return nil
	}
	out := make([]any, 0, len(a.Permissions.Raw))
	for i, raw := range a.Permissions.Raw {
		if !drop[i] {
			out = append(out, raw)
		}
	}
	return m.Set(a.Permissions.Path, out)
}

// isServicePrincipal reports whether a principal is an AWS service
// (s3.amazonaws.com, events.amazonaws.com, …).
func isServicePrincipal(principal string) bool {
	p := strings.ToLower(strings.TrimSpace(principal))
	return !strings.Contains(p, "*") && (strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn"))
}

// pinsSourceAccount reports whether a permission ties a service
// principal's calls to one account's resources: a fixed sourceAccount, or
// a sourceARN whose account field is a fixed account ID, wildcards
// elsewhere or not (arn:aws:events:eu-west-1:111122223333:rule/*). A
// sourceARN without an account ID does not: an S3 bucket ARN
// (arn:aws:s3:::name) names no account, and a bucket of that name can be
// deleted and created again in another account, which is why Lambda's
// AddPermission asks for SourceAccount with an S3 SourceArn and Lambda.1
// (lambda-function-public-access-prohibited) fails an S3 permission
// without AWS:SourceAccount.
func pinsSourceAccount(p view.AliasPermission) bool {
	if fixedValue(p.SourceAccount) {
		return true
	}
	if !p.SourceARN.NonEmpty() {
		return false
	}
	parts := strings.SplitN(strings.TrimSpace(p.SourceARN.Value), ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && policy.IsAccountID(parts[4])
}

// LMB-002: service principals are tied to the source (confused deputy).
// The fix writes sourceAccount = the owner account, and only when exactly
// one owner account is configured; it is opt-in.
func lmb002() *Rule {
	return &Rule{
		ID:          "LMB-002",
		Title:       "Lambda permissions for AWS services name the source ARN or account",
		Severity:    High,
		Kinds:       aliasKind,
		Admission:   Deny,
		Remediation: Audit, // breaks event sources in other accounts
		References: References{
			FSBP:    []string{"Lambda.1"},
			Config:  []string{"lambda-function-public-access-prohibited"},
			Checkov: []string{"CKV_AWS_364"},
		},
		Check: checkLMB002,
		Fixer: fixLMB002,
	}
}

func checkLMB002(in *Input) []Finding {
	a := view.NewAlias(in.Object)
	fixable := len(in.Config.OwnerAccounts) == 1
	var out []Finding
	for _, p := range lmb002Offenders(a) {
		// The account the fix sets goes beside the field it sets.
		fix := ""
		if fixable {
			fix = fmt.Sprintf(" (the fix sets %s)", in.Config.OwnerAccounts[0])
		}
		remedy := "set sourceAccount to the account that owns the resource that calls the function" + fix +
			", or sourceARN to that resource's ARN when the ARN names the account. An S3 bucket ARN names none, so an S3 permission needs sourceAccount, with the bucket ARN in sourceARN"
		why := "no fixed sourceAccount and no sourceARN pin the source"
		if p.SourceARN.NonEmpty() {
			why = fmt.Sprintf("sourceARN %q names no account ID, so a resource of that name in another account matches it too (S3 bucket ARNs never name one), and no fixed sourceAccount is set", p.SourceARN.Value)
		}
		out = append(out, Finding{
			Path: p.Path,
			Message: fmt.Sprintf("%s: the service principal %s may invoke the function on behalf of any account's resources (%s)",
				permissionText(p), strings.TrimSpace(p.Principal.Value), why),
			Remedy:  remedy,
			Subject: permissionSubject(p),
			Fixable: fixable,
		})
	}
	return out
}

func lmb002Offenders(a *view.Alias) []view.AliasPermission {
	var out []view.AliasPermission
	for _, p := range a.Permissions.Items {
		if p.Principal.Err == nil && isServicePrincipal(p.Principal.Value) && !pinsSourceAccount(p) && publicPermission(p) == "" {
			out = append(out, p)
		}
	}
	return out
}

// fixLMB002 sets sourceAccount on the offending entries to the single
// owner account, rewriting the list whole (ACK treats it as authoritative).
func fixLMB002(m *Mutation) error {
	owners := m.Input().Config.OwnerAccounts
	if len(owners) != 1 {
		return nil
	}
	a := view.NewAlias(m.Input().Object)
	fix := map[int]bool{}
	for _, p := range lmb002Offenders(a) {
		fix[p.Index] = true
	}
	if len(fix) == 0 {
		return nil
	}
	out := make([]any, len(a.Permissions.Raw))
	for i, raw := range a.Permissions.Raw {
		out[i] = raw
		if e, ok := raw.(map[string]any); ok && fix[i] {
			out[i] = view.PermissionWithSourceAccount(e, owners[0])
		}
	}
	return m.Set(a.Permissions.Path, out)
}
