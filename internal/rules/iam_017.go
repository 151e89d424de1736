package rules

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/view"
)

var boundaryKinds = []schema.GroupKind{view.RoleGVK.GroupKind(), view.UserGVK.GroupKind()}

// IAM-017 (opt-in, recommended): every Role and User carries a permissions
// boundary, from the policy's allowedPermissionsBoundaries when it gives
// them. Anyone who may create a Role through ACK can otherwise mint one
// as powerful as the ACK IAM controller's own role; a boundary caps it.
// A boundary given by reference (spec.permissionsBoundaryRef) is checked
// against the list by the referenced Policy's ARN, known once ACK created
// it; until then the reference is inconclusive, never denied.
func iam017() *Rule {
	return &Rule{
		ID:          "IAM-017",
		Title:       "Roles and users carry a permissions boundary (from the allowed list)",
		Severity:    High,
		Kinds:       boundaryKinds,
		Admission:   Deny,
		Remediation: Audit,
		OptIn:       true,
		Check:       checkIAM017,
	}
}

func checkIAM017(in *Input) []Finding {
	id := view.NewIAMIdentity(in.Object)
	if id.Spec.Err != nil {
		return nil
	}
	allowed := in.Config.AllowedPermissionsBoundaries
	pb, ref := id.PermissionsBoundary, id.PermissionsBoundaryRef
	remedy := "set spec.permissionsBoundary to the ARN of a boundary policy"
	if len(allowed) > 0 {
		remedy = "set spec.permissionsBoundary to one of " + strings.Join(allowed, ", ")
	}
	switch {
	case pb.Err != nil:
		return []Finding{fieldErrorFinding(pb.Err)}
	case pb.NonEmpty():
		if len(allowed) > 0 && !slices.Contains(allowed, pb.Value) {
			return []Finding{{Path: pb.Path, Message: fmt.Sprintf("permissions boundary %s is not one of the allowed boundaries", pb.Value), Remedy: remedy, Subject: pb.Value}}
		}
		return nil
	case ref.Present:
		if len(allowed) == 0 {
			return nil
		}
		return checkBoundaryRef(in, ref, id.Namespace, allowed, remedy)
	}
	return []Finding{{Path: pb.Path, Message: fmt.Sprintf("the %s carries no permissions boundary", strings.ToLower(id.GVK.Kind)), Remedy: remedy, Subject: "no boundary"}}
}

// checkBoundaryRef judges a boundary given as a reference to an ACK
// Policy by the ARN ACK recorded for it.
func checkBoundaryRef(in *Input, ref view.Ref, ns string, allowed []string, remedy string) []Finding {
	unknown := func(msg string) []Finding {
		return []Finding{{Path: ref.Path, Message: msg, Remedy: remedy + " (by ARN), or retry once the Policy exists", Subject: "unresolved: " + msg, Action: Warn, Inconclusive: true}}
	}
	refNS, name, ok := ref.Target(ns)
	if !ok {
		if ref.Err != nil {
			return []Finding{fieldErrorFinding(ref.Err)}
		}
		return []Finding{{Path: ref.Path, Message: "the reference names no Policy (from.name is missing or not a string)", Remedy: remedy, Subject: "no name"}}
	}
	who := fmt.Sprintf("Policy %s/%s", refNS, name)
	if in.Config.Resolver == nil {
		return unknown(fmt.Sprintf("the boundary %s could not be read (no cluster access in this evaluation): its ARN is not known", who))
	}
	obj, found, err := in.Config.Resolver.Get(view.PolicyGVK, refNS, name)
	switch {
	case err != nil:
		return unknown(fmt.Sprintf("the boundary %s could not be read (%v): its ARN is not known", who, err))
	case !found:
		return unknown(fmt.Sprintf("the boundary %s was not found: its ARN is not known", who))
	}
	arn := view.ReadMeta(obj).ARN
	switch {
	case arn == "":
		return unknown(fmt.Sprintf("the boundary %s has no ARN yet (ACK has not created it)", who))
	case !slices.Contains(allowed, arn):
		return []Finding{{Path: ref.Path, Message: fmt.Sprintf("permissions boundary %s (%s) is not one of the allowed boundaries", arn, who), Remedy: remedy, Subject: arn}}
	}
	return nil
}
