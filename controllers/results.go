package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ackguard/ackguard/internal/governance"
)

// ResultSink receives what the drift reconcilers see, for policy reports
// and policy status. Implementations batch their writes: the reconcilers
// call them on every reconcile.
type ResultSink interface {
	// Observe replaces the results of one object with a judgement; fixed
	// says when the reconciler last fixed each rule of it (nil: never).
	Observe(obj *unstructured.Unstructured, j *governance.Judgement, fixed map[string]time.Time)
	// Forget drops an object that no longer exists.
	Forget(gvk schema.GroupVersionKind, key types.NamespacedName)
	// ForgetKind drops every object of a kind no longer served.
	ForgetKind(gk schema.GroupKind)
	// Objects returns the objects of a kind it holds anything of (any
	// order).
	Objects(gk schema.GroupKind) []types.NamespacedName
	// Remediated records that the reconciler fixed the object; policies
	// name the policies that asked for the fix.
	Remediated(obj *unstructured.Unstructured, policies []string)
	// Suspended says whether remediation of the rules on the object is
	// suspended (while the spec keeps the values the fix was reverted to).
	Suspended(obj *unstructured.Unstructured, ruleIDs []string, suspended bool)
}
