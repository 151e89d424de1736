package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Reference says that objects of kind From depend on objects of kind To,
// so a change to a To object must re-judge the From objects that depend on
// it (a Role is judged with the Policies it references; a Function with its
// execution Role; a Policy with the identities that use it, which decide
// whether it is only a permissions boundary; a DBInstance with its DB
// parameter group).
type Reference struct {
	From, To schema.GroupVersionKind
	// Path to an ACK reference field ({from: {name, namespace}}) of From:
	// a single reference or a list of them. It is one of view's paths
	// (view.PolicyRefsPath …), shared and only read.
	Path []string
	// Match, when set, decides instead of Path whether the From object
	// depends on the To object.
	Match func(from, to *unstructured.Unstructured) bool
	// NamePath, when set, is a string field that names the target by its
	// name in the referrer's namespace (view.DBParameterGroupNamePath
	// beside view.DBParameterGroupRefPath), shared and only read as Path.
	NamePath []string
}

// ACKReferences are the cross-object dependencies the rules follow.
func ACKReferences() []Reference {
	// usesPolicy: the identity (to) attaches the Policy (from) or names it
	// as its permissions boundary.
	usesPolicy := func(from, to *unstructured.Unstructured) bool {
		grant, boundary := rules.PolicyUse(to.Object, from.Object)
		return grant || boundary
	}
	// attachesByARN: the identity (from) lists the Policy's (to) ARN in
	// spec.policies, which joins its grants as spec.policyRefs does.
	attachesByARN := func(from, to *unstructured.Unstructured) bool {
		return rules.PolicyAttachedByARN(from.Object, to.Object)
	}
	// roleByARN: the Function (from) names the Role (to) by ARN in spec.role.
	roleByARN := func(from, to *unstructured.Unstructured) bool {
		return rules.RoleNamedBy(view.FunctionRoleARN(from.Object), to.Object)
	}
	return []Reference{
		{From: view.RoleGVK, To: view.PolicyGVK, Path: view.PolicyRefsPath},
		{From: view.UserGVK, To: view.PolicyGVK, Path: view.PolicyRefsPath},
		{From: view.GroupGVK, To: view.PolicyGVK, Path: view.PolicyRefsPath},
		{From: view.RoleGVK, To: view.PolicyGVK, Match: attachesByARN},
		{From: view.UserGVK, To: view.PolicyGVK, Match: attachesByARN},
		{From: view.GroupGVK, To: view.PolicyGVK, Match: attachesByARN},
		{From: view.FunctionGVK, To: view.RoleGVK, Path: view.FunctionRoleRefPath},
		{From: view.FunctionGVK, To: view.RoleGVK, Match: roleByARN},
		{From: view.PolicyGVK, To: view.RoleGVK, Match: usesPolicy},
		{From: view.PolicyGVK, To: view.UserGVK, Match: usesPolicy},
		{From: view.PolicyGVK, To: view.GroupGVK, Match: usesPolicy},
		{From: view.DBInstanceGVK, To: view.DBParameterGroupGVK, Path: view.DBParameterGroupRefPath, NamePath: view.DBParameterGroupNamePath},
		{From: view.DBClusterGVK, To: view.DBClusterParameterGroupGVK, Path: view.DBClusterParameterGroupRefPath, NamePath: view.DBClusterParameterGroupNamePath},
	}
}

// dependsOn reports whether the From object depends on the To object.
func (ref Reference) dependsOn(from, to *unstructured.Unstructured) bool {
	if ref.Match != nil {
		return ref.Match(from, to)
	}
	target := types.NamespacedName{Namespace: to.GetNamespace(), Name: to.GetName()}
	for _, n := range ref.targets(from) {
		if n == target {
			return true
		}
	}
	return false
}

// targets returns the namespace/name of every object of kind To that the
// referrer names, through the reference or the name field.
func (ref Reference) targets(obj *unstructured.Unstructured) []types.NamespacedName {
	out := referencedNames(obj, ref.Path)
	if len(ref.NamePath) > 0 {
		if name := view.StringAt(obj.Object, ref.NamePath...); name != "" {
			out = append(out, types.NamespacedName{Namespace: obj.GetNamespace(), Name: name})
		}
	}
	return out
}

// referencedNames returns the namespace/name of every object the referrer
// names at path; an empty namespace is the referrer's own.
func referencedNames(obj *unstructured.Unstructured, path []string) []types.NamespacedName {
	var out []types.NamespacedName
	for _, r := range view.RefsAt(obj.Object, path...) {
		if ns, name, ok := r.Target(obj.GetNamespace()); ok {
			out = append(out, types.NamespacedName{Namespace: ns, Name: name})
		}
	}
	return out
}

// enqueueReferrers maps a referenced object to the referrers that depend
// on it. On an update both the old and the new object are mapped, so a
// referrer that stopped naming the object is re-judged too.
// Referrers are looked up in every namespace the cache holds, since ACK
// allows cross-namespace references.
func enqueueReferrers(c client.Reader, ref Reference) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(ref.From.GroupVersion().WithKind(ref.From.Kind + "List"))
		// The referrers are only read: the cached objects themselves, not
		// a copy of every one of the kind at each event.
		if err := c.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return nil
		}
		to, ok := o.(*unstructured.Unstructured)
		if !ok {
			return nil
		}
		var out []reconcile.Request
		for i := range list.Items {
			if ref.dependsOn(&list.Items[i], to) {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
			}
		}
		return out
	})
}
