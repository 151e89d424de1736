package rules

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// A Policy referenced only as a permissions boundary is a ceiling, not a
// grant, and is exempt from IAM-001 to IAM-009 (catalog §5) and from
// IAM-019, the part of IAM-007 about sts:AssumeRole. A Policy does
// not say how it is used: the identities (Role, User, Group) in the same
// input or cluster do. It is judged as a grant unless at least one Role or
// User names it as its permissions boundary and no identity attaches it
// (spec.policyRefs or spec.policies); when the identities cannot be
// listed, it is judged as a grant too.

// boundaryExemptRules are the rules a boundary-only Policy is exempt from.
var boundaryExemptRules = map[string]bool{
	"IAM-001": true, "IAM-002": true, "IAM-003": true, "IAM-004": true, "IAM-005": true,
	"IAM-006": true, "IAM-007": true, "IAM-008": true, "IAM-009": true, "IAM-019": true,
}

// exemptBoundaries wraps the check of a grant rule: what it reports on a
// Policy is dropped when the Policy is used only as a permissions boundary.
// The identities are listed only when there is something to drop.
func exemptBoundaries(check func(*Input) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		out := check(in)
		if len(out) == 0 || in.GroupKind() != view.PolicyGVK.GroupKind() || !in.boundaryOnly() {
			return out
		}
		return nil
	}
}

// boundaryOnly reports whether the Policy under evaluation is used only as
// a permissions boundary, read once per evaluation.
func (in *Input) boundaryOnly() bool {
	st := in.iamDocs()
	if st.boundaryOnly == nil {
		v := listedAsBoundaryOnly(in)
		st.boundaryOnly = &v
	}
	return *st.boundaryOnly
}

func listedAsBoundaryOnly(in *Input) bool {
	l, ok := in.Config.Resolver.(Lister)
	if !ok {
		return false
	}
	boundary := false
	for _, gvk := range []schema.GroupVersionKind{view.RoleGVK, view.UserGVK, view.GroupGVK} {
		ids, err := l.List(gvk)
		if err != nil {
			return false
		}
		for _, id := range ids {
			grant, bound := PolicyUse(id, in.Object)
			if grant {
				return false
			}
			boundary = boundary || bound
		}
	}
	return boundary
}

// PolicyUse reports how an IAM identity (Role, User or Group) uses an ACK
// Policy: attached as a grant (spec.policyRefs, or its ARN in
// spec.policies), or as its permissions boundary (spec.permissionsBoundaryRef
// or spec.permissionsBoundary). The reconciler uses it to re-judge a Policy
// when an identity's use of it changes.
func PolicyUse(identity, pol map[string]any) (grant, boundary bool) {
	id := view.NewIAMIdentity(identity)
	pm := view.ReadMeta(pol)
	p := view.NewPolicy(pol)
	isRef := func(r view.Ref) bool {
		ns, name, ok := r.Target(id.Namespace)
		return ok && ns == pm.Namespace && name == pm.Name
	}
	for _, r := range id.PolicyRefs {
		grant = grant || isRef(r)
	}
	grant = grant || attachedByARN(id, p)
	pb := id.PermissionsBoundary
	boundary = isRef(id.PermissionsBoundaryRef) || pb.Present && pb.Err == nil && policyNamedBy(pb.Value, p)
	return grant, boundary
}

// PolicyAttachedByARN reports whether the IAM identity (Role, User or
// Group) lists the ACK Policy's ARN in spec.policies: the Policy's grants
// then join the identity's (G1). The reconciler uses it to re-judge the
// identity when the Policy changes.
func PolicyAttachedByARN(identity, pol map[string]any) bool {
	return attachedByARN(view.NewIAMIdentity(identity), view.NewPolicy(pol))
}

// attachedByARN reports whether the identity's spec.policies names p.
func attachedByARN(id *view.IAMIdentity, p *view.Policy) bool {
	for _, a := range id.Policies {
		if a.Err == nil && policyNamedBy(a.Value, p) {
			return true
		}
	}
	return false
}

// policyNamedBy reports whether a customer managed policy ARN names the
// ACK Policy.
func policyNamedBy(text string, p *view.Policy) bool {
	return iamNamedBy(text, "policy", p.Name, p.IAMPath, p.ARN)
}

// iamNamedBy reports whether an IAM ARN of the type ("role", "policy")
// names an ACK object: its ARN once ACK has recorded it, else its
// spec.name and spec.path.
func iamNamedBy(text, typ string, name, path view.String, recorded string) bool {
	text = strings.TrimSpace(text)
	arn, ok := policy.ParseIAMARN(text)
	if !ok || arn.Type != typ || name.Err != nil || name.Value != arn.Name || policy.NormalIAMPath(path.Value) != arn.Path {
		return false
	}
	return recorded == "" || recorded == text
}
