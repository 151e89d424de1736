package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ackguard/ackguard/internal/view"
)

// Reference says that objects of kind From name objects of kind To in an
// ACK reference field ({from: {name, namespace}}), so a change to the
// referenced object must re-judge the referrers (a Role is judged with the
// Policies it references; a Function with its execution Role; a
// DBInstance with its DB parameter group).
type Reference struct {
	From, To schema.GroupVersionKind
	// Path to the reference: a single reference or a list of them.
	Path []string
	// NamePath, when set, is a string field that names the target by its
	// name in the referrer's namespace (spec.dbParameterGroupName beside
	// spec.dbParameterGroupRef).
	NamePath []string
}

// ACKReferences are the cross-object references the rules follow.
func ACKReferences() []Reference {
	iam := func(kind string) schema.GroupVersionKind {
		return schema.GroupVersionKind{Group: "iam.services.k8s.aws", Version: "v1alpha1", Kind: kind}
	}
	lambda := schema.GroupVersionKind{Group: "lambda.services.k8s.aws", Version: "v1alpha1", Kind: "Function"}
	return []Reference{
		{From: iam("Role"), To: iam("Policy"), Path: []string{"spec", "policyRefs"}},
		{From: iam("User"), To: iam("Policy"), Path: []string{"spec", "policyRefs"}},
		{From: iam("Group"), To: iam("Policy"), Path: []string{"spec", "policyRefs"}},
		{From: lambda, To: iam("Role"), Path: []string{"spec", "roleRef"}},
		{From: view.DBInstanceGVK, To: view.DBParameterGroupGVK, Path: []string{"spec", "dbParameterGroupRef"}, NamePath: []string{"spec", "dbParameterGroupName"}},
		{From: view.DBClusterGVK, To: view.DBClusterParameterGroupGVK, Path: []string{"spec", "dbClusterParameterGroupRef"}, NamePath: []string{"spec", "dbClusterParameterGroupName"}},
	}
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

// enqueueReferrers maps a referenced object to the referrers that name it.
// Referrers are looked up in every namespace the cache holds, since ACK
// allows cross-namespace references.
func enqueueReferrers(c client.Reader, ref Reference) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(ref.From.GroupVersion().WithKind(ref.From.Kind + "List"))
		if err := c.List(ctx, list); err != nil {
			return nil
		}
		target := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
		var out []reconcile.Request
		for i := range list.Items {
			for _, n := range ref.targets(&list.Items[i]) {
				if n == target {
					out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
					break
				}
			}
		}
		return out
	})
}
