package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is what a policy does with a rule's findings.
// +kubebuilder:validation:Enum=Enforce;Deny;Remediate;Audit;Disabled
type Action string

// Actions, from the strictest. Admission and drift are two dimensions:
// when several policies select one object, each dimension takes the
// strictest value any of them sets for the rule.
const (
	// Enforce denies at admission and fixes drift (where the rule has a
	// fix; otherwise drift is reported).
	Enforce Action = "Enforce"
	// Deny denies at admission and reports existing violations.
	Deny Action = "Deny"
	// Remediate admits with a warning and fixes drift: the catalog's
	// default for fixes that are safe but whose absence is not worth a
	// denial (S3-006, RDS-004 …).
	Remediate Action = "Remediate"
	// Audit admits with a warning and reports.
	Audit Action = "Audit"
	// Disabled skips the rule.
	Disabled Action = "Disabled"
)

// DefaultAction is the action for rules a policy does not list.
// +kubebuilder:validation:Enum=CatalogDefault;Enforce;Deny;Remediate;Audit;Disabled
type DefaultAction string

// CatalogDefault gives every unlisted rule the action of the rule
// catalog's defaults column.
const CatalogDefault DefaultAction = "CatalogDefault"

// GuardrailPolicySpec chooses the resources a policy selects, the action
// per rule and the parameters rules need.
type GuardrailPolicySpec struct {
	// Match selects the ACK resources the policy applies to. Empty selects
	// every guarded resource in every namespace.
	// +optional
	Match Match `json:"match,omitempty"`

	// DefaultAction applies to the rules not listed in Rules, but for the
	// opt-in rules (`ackguard rules`, column DEFAULT): those stay off
	// unless Rules lists them with an action other than Disabled. The fixes
	// the catalog makes opt-in (drift "audit (fix opt-in)") run only where
	// Rules lists the rule with Enforce or Remediate: Enforce as a default
	// gives them Deny, Remediate gives them Audit.
	// +kubebuilder:default=CatalogDefault
	// +optional
	DefaultAction DefaultAction `json:"defaultAction,omitempty"`

	// Rules sets the action of individual rules; listing an opt-in rule
	// with an action other than Disabled switches it on.
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=500
	// +optional
	Rules []RuleAction `json:"rules,omitempty"`

	// Parameters are the values rules need. Unset fields take the
	// manager's flags (--owner-account, --ack-controller …), then the
	// catalog's defaults.
	// +optional
	Parameters Parameters `json:"parameters,omitempty"`

	// Exceptions limits the GuardrailExceptions that apply to the
	// resources this policy selects.
	// +optional
	Exceptions ExceptionSettings `json:"exceptions,omitempty"`
}

// Match selects resources by kind, namespace labels and resource labels.
// All set fields must match.
type Match struct {
	// Kinds are the ACK kinds selected; empty selects every guarded kind.
	// A kind ackguard does not guard selects nothing: a policy naming only
	// such kinds is not in force (Ready False, reason SelectsNoKind) and
	// does not take the baseline's place.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Kinds []KindRef `json:"kinds,omitempty"`

	// NamespaceSelector selects namespaces by label; every namespace
	// carries kubernetes.io/metadata.name. Unset selects all namespaces.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// Selector selects resources by their labels. Unset selects all.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// KindRef names an ACK kind.
type KindRef struct {
	// APIGroup of the kind, e.g. s3.services.k8s.aws.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:MaxLength=253
	APIGroup string `json:"apiGroup"`
	// Kind, e.g. Bucket.
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
}

// RuleAction sets the action of one rule.
type RuleAction struct {
	// ID of the rule, e.g. S3-001 (`ackguard rules` lists them).
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Z0-9]*-[0-9]{3}$`
	// +kubebuilder:validation:MaxLength=16
	ID string `json:"id"`
	// Action for the rule's findings.
	Action Action `json:"action"`
}

// Parameters are the configuration rules read.
type Parameters struct {
	// OwnerAccounts are the AWS account IDs (12 digits) that own the
	// resources (S3-007, IAM-011, POL-003).
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[0-9]{12}$`
	// +listType=set
	// +optional
	OwnerAccounts []string `json:"ownerAccounts,omitempty"`

	// TrustedAccounts may be trusted by role trust policies besides the
	// owner accounts (IAM-011).
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[0-9]{12}$`
	// +listType=set
	// +optional
	TrustedAccounts []string `json:"trustedAccounts,omitempty"`

	// TrustedOrganizations are AWS Organizations IDs (o-…) trusted like
	// accounts.
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^o-[a-z0-9]{10,32}$`
	// +listType=set
	// +optional
	TrustedOrganizations []string `json:"trustedOrganizations,omitempty"`

	// ACKControllers are the usernames of the ACK controllers
	// (system:serviceaccount:ack-system:ack-s3-controller). Their writes
	// are admitted with a warning and fixed afterwards.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:Pattern=`^system:serviceaccount:[^:]+:[^:]+$`
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	ACKControllers []string `json:"ackControllers,omitempty"`

	// AllowedPublicPorts are the ports a security group may open to the
	// internet (EC2-004). Unset means TCP 80 and 443.
	// +kubebuilder:validation:MaxItems=100
	// +optional
	AllowedPublicPorts []PortRange `json:"allowedPublicPorts,omitempty"`

	// MinBackupRetentionDays is RDS-005's minimum (default 7).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=35
	// +optional
	MinBackupRetentionDays *int32 `json:"minBackupRetentionDays,omitempty"`

	// AllowedPermissionsBoundaries are the managed policy ARNs a Role or
	// User may carry as its permissions boundary (IAM-017, opt-in). Unset
	// accepts any boundary.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$`
	// +kubebuilder:validation:items:MaxLength=2048
	// +listType=set
	// +optional
	AllowedPermissionsBoundaries []string `json:"allowedPermissionsBoundaries,omitempty"`

	// RequiredObjectLockMode is the default retention mode S3-012 (opt-in)
	// requires of a bucket's Object Lock. Unset requires Object Lock
	// alone.
	// +kubebuilder:validation:Enum=GOVERNANCE;COMPLIANCE
	// +optional
	RequiredObjectLockMode string `json:"requiredObjectLockMode,omitempty"`
}

// PortRange is an inclusive range of ports for one protocol.
// +kubebuilder:validation:XValidation:rule="self.from <= self.to",message="from must not exceed to"
type PortRange struct {
	// +kubebuilder:validation:Enum=tcp;udp
	Protocol string `json:"protocol"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	From int32 `json:"from"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	To int32 `json:"to"`
}

// ExceptionSettings limits exceptions.
type ExceptionSettings struct {
	// MaxDuration is the longest an exception may run, from its creation
	// to its expiry. When several policies select a namespace, the
	// shortest applies. Default 90 days. A Go duration (hours at most:
	// "2160h", not "90d"), checked by the API server itself, since a value
	// the manager cannot decode would stop it from reading any policy.
	// +kubebuilder:default="2160h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) > duration('0s')",message="maxDuration must be positive"
	// +optional
	MaxDuration *metav1.Duration `json:"maxDuration,omitempty"`
}

// GuardrailPolicyStatus is observed by the manager.
type GuardrailPolicyStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready is True when the policy is valid and in force.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Resources counts what the policy selects.
	// +optional
	Resources ResourceCounts `json:"resources,omitempty"`
}

// ResourceCounts are counts of resources a policy selects.
type ResourceCounts struct {
	// Matched resources the policy selects.
	Matched int32 `json:"matched"`
	// Failing resources with at least one finding this policy decides.
	Failing int32 `json:"failing"`
	// Remediated resources the reconciler has fixed under this policy
	// since the manager started.
	Remediated int32 `json:"remediated"`
}

// Condition types and reasons.
const (
	ConditionReady = "Ready"

	ReasonValid   = "Valid"
	ReasonInvalid = "Invalid"
	// ReasonUnknownNamesIgnored: the policy is in force, but names rule
	// IDs or kinds this version does not know (a newer version's policy).
	ReasonUnknownNamesIgnored = "UnknownNamesIgnored"
	ReasonActive              = "Active"
	ReasonExpired             = "Expired"
	ReasonNotYetValid         = "NotYetValid"

	// ReasonSelectsNoKind: the policy is not in force: its kinds are all
	// kinds this version does not guard (a misspelling, a newer version's
	// kinds), so it selects nothing and does not replace the baseline.
	ReasonSelectsNoKind = "SelectsNoKind"
)

// GuardrailPolicy selects ACK resources and sets what ackguard does with
// each rule's findings on them.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=grp,categories=ackguard
// +kubebuilder:printcolumn:name="Default",type=string,JSONPath=`.spec.defaultAction`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Matched",type=integer,JSONPath=`.status.resources.matched`
// +kubebuilder:printcolumn:name="Failing",type=integer,JSONPath=`.status.resources.failing`
// +kubebuilder:printcolumn:name="Remediated",type=integer,JSONPath=`.status.resources.remediated`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GuardrailPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GuardrailPolicySpec   `json:"spec,omitempty"`
	Status GuardrailPolicyStatus `json:"status,omitempty"`
}

// GuardrailPolicyList is a list of GuardrailPolicy.
// +kubebuilder:object:root=true
type GuardrailPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GuardrailPolicy `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &GuardrailPolicy{}, &GuardrailPolicyList{})
}
