package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// IAM-013: users carry no policies; permissions belong on groups and
// roles.
func iam013() *Rule {
	return &Rule{
		ID:          "IAM-013",
		Title:       "IAM users have no policies of their own",
		Severity:    Low,
		Kinds:       userKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP: []string{"IAM.2"}, Config: []string{"iam-user-no-policies-check"},
			Checkov: []string{"CKV_AWS_40"}, CIS: []string{"v5.0.0 1.14", "v3.0.0 1.15", "v1.2.0 1.16"},
		},
		Check: checkIAM013,
	}
}

// checkIAM013 reports each policy the user carries as a finding of its
// own: each inline policy, each ARN of spec.policies, each reference of
// spec.policyRefs. Its subject names the list, never the policy (its name,
// ARN or the Policy it references), so that an UPDATE reordering or
// renaming the user's policies introduces nothing, and one adding a policy
// to any of the lists does (Finding.IdentityKey): judged by count, as
// IAM-018 judges inline policies.
func checkIAM013(in *Input) []Finding {
	u := view.NewUser(in.Object)
	const remedy = "attach the permissions to a group the user belongs to, or to a role the user assumes, and remove "
	var out []Finding
	for _, p := range u.InlinePolicies {
		out = append(out, Finding{
			Path:    p.Document.Path,
			Message: fmt.Sprintf("the user has the inline policy %q", p.Name),
			Remedy:  remedy + "it from spec.inlinePolicies",
			Subject: "inline policy",
		})
	}
	for _, p := range u.Policies {
		what := "a managed policy"
		if p.Err == nil {
			what = "the managed policy " + strings.TrimSpace(p.Value)
		}
		out = append(out, Finding{
			Path:    p.Path,
			Message: "the user attaches " + what,
			Remedy:  remedy + "the ARN from spec.policies",
			Subject: "attached managed policy",
		})
	}
	for _, r := range u.PolicyRefs {
		what := "a Policy"
		if ns, name, ok := r.Target(u.Namespace); ok {
			what = "the Policy " + name
			if ns != "" {
				what = "the Policy " + ns + "/" + name
			}
		}
		out = append(out, Finding{
			Path:    r.Path,
			Message: "the user references " + what,
			Remedy:  remedy + "the reference from spec.policyRefs",
			Subject: "referenced Policy",
		})
	}
	return out
}

// awsManagedRe matches an AWS managed policy ARN in any partition.
var awsManagedRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::aws:policy/(.+)$`)

// managedPolicyRule builds the denylist rules (IAM-014/015/016) over what
// a Role, User or Group attaches: the ARNs of spec.policies, and the ARNs
// ACK recorded for the Policies spec.policyRefs names (an ACK Policy that
// adopted an AWS managed policy attaches that policy).
func managedPolicyRule(id, title string, sev Severity, names []string, why string, refs References) *Rule {
	return &Rule{
		ID:          id,
		Title:       title,
		Severity:    sev,
		Kinds:       attachKinds,
		Admission:   Deny,
		Remediation: Audit,
		References:  refs,
		Check: func(in *Input) []Finding {
			return managedPolicyFindings(in, view.NewIAMIdentity(in.Object), names, why)
		},
	}
}

// managedPolicyFindings is managedPolicyRule's check on the identity id
// of in.
func managedPolicyFindings(in *Input, id *view.IAMIdentity, names []string, why string) []Finding {
	out := deniedManagedPolicies(id, names, why)
	return append(out, deniedReferencedPolicies(in.iamDocs(), names, why)...)
}

func deniedManagedPolicies(id *view.IAMIdentity, names []string, why string) []Finding {
	var out []Finding
	for _, p := range id.Policies {
		if p.Err != nil {
			continue
		}
		if isManagedPolicy(strings.TrimSpace(p.Value), names) {
			out = append(out, Finding{
				Path:    p.Path,
				Message: fmt.Sprintf("attaches the AWS managed policy %s, %s", p.Value, why),
				Remedy:  "remove the ARN from spec.policies and attach a policy that lists only the actions and resources needed",
				Subject: p.Value,
			})
		}
	}
	return out
}

// isManagedPolicy reports whether arn is one of the named AWS managed
// policies. IAM names are unique regardless of case: they compare folded.
func isManagedPolicy(arn string, names []string) bool {
	m := awsManagedRe.FindStringSubmatch(arn)
	if m == nil {
		return false
	}
	for _, n := range names {
		if strings.EqualFold(m[1], n) {
			return true
		}
	}
	return false
}

// deniedReferencedPolicies reports the Policies spec.policyRefs names
// whose recorded ARN (the ARN ACK resolves the reference to and attaches)
// is one of the named AWS managed policies: an ACK Policy that adopted
// it. A Policy ACK has not recorded an ARN for is not attached yet; one
// that cannot be read is reported as unresolved by IAM-003. The finding's
// path is the reference, which every output prints before the message: the
// message names only the Policy ("Policy team-a/admin is the AWS managed
// policy ...").
func deniedReferencedPolicies(st *iamState, names []string, why string) []Finding {
	var out []Finding
	for _, r := range st.refARNs {
		if isManagedPolicy(r.ARN, names) {
			out = append(out, Finding{
				Path:    r.Path,
				Message: fmt.Sprintf("%s is the AWS managed policy %s (the ARN ACK recorded for it and attaches), %s", r.Who, r.ARN, why),
				Remedy:  "remove the reference from spec.policyRefs and attach a policy that lists only the actions and resources needed",
				Subject: r.ARN,
			})
		}
	}
	return out
}

// adminAccess is what IAM-014 denies, and why.
var adminAccess = []string{"AdministratorAccess"}

const adminAccessWhy = "which allows every action on every resource"

// IAM-014 reads spec.policies and spec.policyRefs (the catalog's fields
// for it): a reference attaches the ARN ACK recorded for the Policy. It
// also reports what in spec.policies cannot be judged (a list that is not
// an array, an element that is not a string), for IAM-014/015/016 alike,
// instead of passing it unseen.
func iam014() *Rule {
	r := managedPolicyRule("IAM-014", "AdministratorAccess is not attached", Critical,
		adminAccess, adminAccessWhy,
		References{Config: []string{"iam-policy-blacklisted-check"}, Checkov: []string{"CKV_AWS_274"}})
	r.Check = func(in *Input) []Finding {
		id := view.NewIAMIdentity(in.Object)
		return append(policiesInputErrors(id), managedPolicyFindings(in, id, adminAccess, adminAccessWhy)...)
	}
	return r
}

// policiesInputErrors reports the elements of spec.policies of the wrong
// type, or spec.policies itself when it is not an array.
func policiesInputErrors(id *view.IAMIdentity) []Finding {
	var out []Finding
	if id.PoliciesField.Err != nil {
		out = append(out, fieldErrorFinding(id.PoliciesField.Err))
	}
	for _, p := range id.Policies {
		if p.Err != nil {
			out = append(out, fieldErrorFinding(p.Err))
		}
	}
	return out
}

func iam015() *Rule {
	return managedPolicyRule("IAM-015", "AWSCloudShellFullAccess is not attached", Medium,
		[]string{"AWSCloudShellFullAccess"}, "which allows file upload and download through CloudShell (a data-exfiltration path)",
		References{FSBP: []string{"IAM.27"}, Config: []string{"iam-policy-blacklisted-check"}, CIS: []string{"v5.0.0 1.21", "v3.0.0 1.22"}})
}

func iam016() *Rule {
	return managedPolicyRule("IAM-016", "Broad AWS managed policies (IAMFullAccess, PowerUserAccess) are not attached", High,
		[]string{"IAMFullAccess", "PowerUserAccess"}, "which is on the organization's denylist of broad AWS managed policies",
		References{Config: []string{"iam-policy-blacklisted-check"}, Checkov: []string{"CKV2_AWS_56"}})
}
