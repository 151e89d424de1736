// Package v1alpha1 holds ackguard's own API: GuardrailPolicy (cluster-scoped:
// what is enforced where) and GuardrailException (namespaced: an audited,
// expiring exemption that only admins may grant).
// +kubebuilder:object:generate=true
// +groupName=policy.ackguard.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "policy.ackguard.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
