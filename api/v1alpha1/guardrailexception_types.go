package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GuardrailExceptionSpec names what is exempted, why and until when.
type GuardrailExceptionSpec struct {
	// Rules are the IDs of the rules exempted (S3-001 …).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[A-Z][A-Z0-9]*-[0-9]{3}$`
	// +listType=set
	Rules []string `json:"rules"`

	// Resources are the ACK resources, in the exception's namespace, that
	// are exempted.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Resources []ResourceRef `json:"resources"`

	// Reason says why the exemption is needed (a ticket, a risk
	// acceptance). It is shown wherever the exemption is reported.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.trim().size() > 0",message="reason must not be blank"
	Reason string `json:"reason"`

	// ExpiresAt is when the exemption stops applying, everywhere at once.
	// It may be at most the shortest exceptions.maxDuration of the
	// policies in force that select the exception's namespace (by their
	// namespaceSelector; maxDuration defaults to 90 days) after the
	// exception's creation: 90 days when no policy selects it. Beyond
	// that, the exception is Invalid and exempts nothing, also when a
	// policy or the namespace's labels change after its creation. An
	// RFC 3339 time with its zone, as 2026-12-24T00:00:00Z or
	// 2026-12-24T00:00:00+02:00: checked by the API server itself (its
	// date-time format alone also takes a lowercase t or z, which the
	// manager cannot decode: such a value would stop it from reading any
	// exception).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`
	ExpiresAt metav1.Time `json:"expiresAt"`
}

// ResourceRef selects resources of one kind by name or by labels.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.selector)",message="set exactly one of name and selector"
type ResourceRef struct {
	// APIGroup of the kind, e.g. s3.services.k8s.aws.
	// +kubebuilder:validation:MaxLength=253
	APIGroup string `json:"apiGroup"`
	// Kind, e.g. Bucket.
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// Name of one resource. An empty name names none: set the selector
	// instead.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// Selector selects resources by label.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// GuardrailExceptionStatus is observed by the manager.
type GuardrailExceptionStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// State is Active, Expired or Invalid.
	// +optional
	State string `json:"state,omitempty"`
	// Conditions: Ready is True while the exception is in force.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Exception states.
const (
	ExceptionActive  = "Active"
	ExceptionExpired = "Expired"
	ExceptionInvalid = "Invalid"
)

// GuardrailException exempts named resources from named rules, for a
// stated reason, until an expiry. Only admins may create one.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=gre,categories=ackguard
// +kubebuilder:printcolumn:name="Rules",type=string,JSONPath=`.spec.rules`
// +kubebuilder:printcolumn:name="Resources",type=string,JSONPath=`.spec.resources`,priority=1
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.spec.expiresAt`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.spec.reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GuardrailException struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec names what is exempted, why and until when (required: without
	// it, the API server would store an exception of nothing).
	// +required
	Spec   GuardrailExceptionSpec   `json:"spec"`
	Status GuardrailExceptionStatus `json:"status,omitempty"`
}

// GuardrailExceptionList is a list of GuardrailException.
// +kubebuilder:object:root=true
type GuardrailExceptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GuardrailException `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &GuardrailException{}, &GuardrailExceptionList{})
}
