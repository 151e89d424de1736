// Package v1alpha1 holds ackguard's own API: GuardrailPolicy (cluster-scoped:
// what is enforced where) and GuardrailException (namespaced: an audited,
// expiring exemption that only admins may grant).
// +kubebuilder:object:generate=true
// +groupName=policy.ackguard.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "policy.ackguard.dev", Version: "v1alpha1"}

	// schemeBuilder registers the types with a scheme.
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = schemeBuilder.AddToScheme

	// objectTypes are the types of this group-version; each file that
	// declares one adds it in its init.
	objectTypes []runtime.Object
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, objectTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
