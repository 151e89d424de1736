package rules

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// Severity of a rule, from the catalog (Security Hub severity where a
// control exists).
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "Critical"
	High     Severity = "High"
	Medium   Severity = "Medium"
	Low      Severity = "Low"
)

// Action is what admission does with a finding.
type Action string

const (
	// Deny refuses the request.
	Deny Action = "deny"
	// Warn admits the request with an admission warning.
	Warn Action = "warn"
)

// Remediation is what the drift reconciler does with a finding by default.
type Remediation string

const (
	// Fix patches the object back to the secure value.
	Fix Remediation = "fix"
	// Audit reports the finding and changes nothing.
	Audit Remediation = "audit"
)

// References are the public catalog IDs a rule maps to.
type References struct {
	FSBP    []string `json:"fsbp,omitempty"`
	Config  []string `json:"config,omitempty"`
	Checkov []string `json:"checkov,omitempty"`
	CIS     []string `json:"cis,omitempty"`
}

// Rule is one check of the catalog.
type Rule struct {
	// ID is stable: a prefix, a dash and three digits ("S3-001").
	ID string
	// Title is a one-line statement of what must hold.
	Title    string
	Severity Severity
	// Kinds the rule applies to.
	Kinds []schema.GroupKind
	// Admission is the webhook's default action on a finding.
	Admission Action
	// Remediation is the reconciler's default; Fix requires Fixer.
	Remediation Remediation
	// OptIn marks a rule the catalog leaves off by default: it runs only
	// where a policy names it (governance), never under a policy's default
	// action. Admission and Remediation are its defaults once on.
	OptIn      bool
	References References
	// Check returns the rule's findings for one object. It must not modify
	// the input.
	Check func(in *Input) []Finding
	// Fixer, when set, changes the object so that the rule's findings go
	// away, touching only the fields the rule owns. It reads and writes
	// through the Mutation, so fixes of several rules compose.
	Fixer func(m *Mutation) error
}

// OnByDefault reports whether the rule runs without a policy naming it:
// false for the catalog's opt-in rules.
func (r *Rule) OnByDefault() bool { return !r.OptIn }

// AppliesTo reports whether the rule judges objects of the given kind.
func (r *Rule) AppliesTo(gk schema.GroupKind) bool {
	for _, k := range r.Kinds {
		if k == gk {
			return true
		}
	}
	return false
}

// Finding is one violation of one rule.
type Finding struct {
	RuleID   string
	Severity Severity
	// Action is the admission action for this finding: the rule's default
	// unless the rule chose otherwise (for example "warn" for a policy rule
	// that cannot judge an invalid document).
	Action Action
	// Path is the field at fault.
	Path view.Path
	// Message says what is wrong; Remedy what to change.
	Message string
	Remedy  string
	// Subject identifies what is wrong within the field (a statement's
	// text, a grantee), so that an UPDATE can tell a finding it introduces
	// from one the old object already had.
	Subject string
	// Fixable is true when the rule's fix would resolve this finding.
	Fixable bool
	// Inconclusive is true when the rule could not judge the field (an
	// invalid document, an unreadable reference): the finding is reported
	// but never denies, whatever action a policy gives the rule; the rule
	// that judges the input itself (POL-001) decides.
	Inconclusive bool
}

// Key identifies a finding within one judgement: its rule, field and
// subject.
func (f Finding) Key() string {
	return f.RuleID + "\x00" + f.Path.String() + "\x00" + f.Subject
}

// IdentityKey identifies a finding across two versions of one object (an
// UPDATE's old and new): as Key, except that a finding naming what is
// wrong (Subject: a statement, a rule's range and ports) is known by it
// wherever its list element now sits, and whatever the name of the inline
// policy holding it (view.Path.Unindexed), so inserting or removing an
// element before it, or renaming the policy, does not make it new.
func (f Finding) IdentityKey() string {
	if f.Subject == "" {
		return f.Key()
	}
	return f.RuleID + "\x00" + f.Path.Unindexed() + "\x00" + f.Subject
}

// Text renders the finding as one line: "S3-002: <message>; <remedy>".
func (f Finding) Text() string {
	var b strings.Builder
	b.WriteString(f.RuleID)
	b.WriteString(": ")
	b.WriteString(f.Message)
	if f.Remedy != "" {
		b.WriteString("; ")
		b.WriteString(f.Remedy)
	}
	return b.String()
}

// Config is the cluster's configuration that rules need. Zero values mean
// the catalog's defaults.
type Config struct {
	// OwnerAccounts are the AWS account IDs that own the resources. Without
	// them every account principal counts as external (catalog §10.1 G2).
	OwnerAccounts []string
	// TrustedAccounts may be trusted by role trust policies besides the
	// owner accounts (IAM-011).
	TrustedAccounts []string
	// TrustedOrgs are AWS Organizations IDs (o-...) trusted like accounts.
	TrustedOrgs []string
	// AllowedPublicPorts are the ports a security group may open to the
	// internet (EC2-004); nil means TCP 80 and 443.
	AllowedPublicPorts []PortRange
	// MinBackupRetentionDays is RDS-005's minimum; 0 means 7.
	MinBackupRetentionDays int64
	// AllowedPermissionsBoundaries are the policy ARNs IAM-017 accepts as
	// a permissions boundary; nil accepts any.
	AllowedPermissionsBoundaries []string
	// RequiredObjectLockMode is the default retention mode S3-012
	// requires (GOVERNANCE, COMPLIANCE); "" requires Object Lock alone.
	RequiredObjectLockMode string
	// Partition is the AWS partition of the resources whose own metadata
	// does not tell theirs (no partition or region in their status, no
	// region annotation, no ARN): the partition of the region ACK creates
	// them in by default (a judgement sets that of the namespace's
	// default region, when it names one). "" means aws. Rules that build or read ARNs (a
	// bucket's in S3-006 and S3-013, an identity's resources in the IAM
	// rules) use it (view.Meta.AWSPartition).
	Partition string
	// Resolver reads related objects (a Role's referenced Policies, a
	// Function's execution Role). Nil means none can be read: rules that
	// need one say so in their finding instead of guessing.
	Resolver Resolver
	// Documents, when set, keeps parsed policy documents across
	// evaluations (nil parses each document once per evaluation). It is
	// not part of a policy's configuration: policies differing only in it
	// are evaluated together.
	Documents *policy.Cache `json:"-"`
}

// PortRange is an inclusive range of ports for one protocol ("tcp",
// "udp").
type PortRange struct {
	Protocol string `json:"protocol"`
	From     int64  `json:"from"`
	To       int64  `json:"to"`
}

// Resolver gives rules read access to other objects in the cluster (or in
// the same scan input). The engine stays pure: adapters supply it.
type Resolver interface {
	// Get returns the object; found is false when it does not exist. err
	// is set when the lookup itself failed (the rule reports that it could
	// not judge, rather than passing).
	Get(gvk schema.GroupVersionKind, namespace, name string) (obj map[string]any, found bool, err error)
}

// Lister is a Resolver that can also list every object of a kind, in
// every namespace. Rules that must find objects by something other than
// their name (the Role an execution-role ARN names, the identities that
// reference a Policy) use it when the Resolver offers it.
type Lister interface {
	Resolver
	// List returns every object of the kind; a kind that is not installed
	// is an error, as for Get.
	List(gvk schema.GroupVersionKind) ([]map[string]any, error)
}

// IsOwnerAccount reports whether id is one of the owner accounts.
func (c Config) IsOwnerAccount(id string) bool {
	for _, a := range c.OwnerAccounts {
		if a == id {
			return true
		}
	}
	return false
}
