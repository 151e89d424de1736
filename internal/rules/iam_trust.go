package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ackguard/ackguard/internal/policy"
)

// trustRule runs check on a Role's trust policy when it is valid, and
// reports invalid input otherwise.
func trustRule(check func(in *Input, d *iamDoc) []Finding) func(*Input) []Finding {
	return ownDocRule(trustDocs, check)
}

// IAM-010: the trust policy must not let any principal assume the role.
// Both "Principal": "*" (which IAM rejects in a trust policy, §10.1 B4) and
// {"AWS": "*"} fail, unless a condition pins the caller's organization,
// account or ARN to fixed values.
func iam010() *Rule {
	return &Rule{
		ID:          "IAM-010",
		Title:       "Role trust policies do not let any principal assume the role",
		Severity:    Critical,
		Kinds:       roleKind,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_60"}},
		Check:       checkIAM010,
	}
}

func checkIAM010(in *Input) []Finding {
	d := in.iamDocs().trust
	if d == nil || d.Absent {
		return nil
	}
	var out []Finding
	if d.Doc != nil {
		// Judged even when the document has other problems: the string
		// form "*" is itself one of them, and it must not pass as merely
		// "invalid".
		for _, s := range d.Doc.Statements {
			if s.Effect != policy.Allow || s.Principal == nil {
				continue
			}
			if s.Principal.Wildcard {
				out = append(out, Finding{
					Path:    d.Path,
					Message: fmt.Sprintf("%s%s has \"Principal\": \"*\": any principal, in any account, could assume the role (IAM also rejects the string form in a trust policy)", d.lead(), s.Ref()),
					Remedy:  `name the trusted principals, e.g. "Principal": {"AWS": "arn:aws:iam::<account>:role/<name>"} or {"Service": "<service>.amazonaws.com"}`,
					// Not the statement alone: its subject writes "*" as
					// {"AWS":"*"}, as ACK compares documents, but IAM
					// rejects the string form in a trust policy and
					// accepts the other (§10.1 B4). An UPDATE writing it
					// as {"AWS":"*"} makes the trust apply: it is new.
					Subject: statementSubject(d.Doc, s) + "\x00\"*\"",
				})
				continue
			}
			if !s.Principal.All() {
				continue
			}
			r := s.Reach(policy.TrustRestrictingKeys(), d.Doc.VariablesAreLiteral())
			if r.RestrictedBy != nil {
				continue
			}
			weak := r.Weak
			msg := fmt.Sprintf("%s%s trusts {\"AWS\": \"*\"} with no condition pinning aws:PrincipalOrgID, aws:PrincipalAccount or aws:PrincipalArn to fixed values: any AWS principal could assume the role", d.lead(), s.Ref())
			if len(weak) > 0 {
				msg += " (" + strings.Join(weak, "; ") + ")"
			}
			// A document IAM rejects never applied the trust: its
			// finding is not the one the same statement has in a
			// document IAM applies (a Sid written as a list is the
			// same statement to the subject, and a problem to IAM).
			subject := statementSubject(d.Doc, s)
			if !d.Valid() {
				subject += "\x00rejected document"
			}
			out = append(out, Finding{
				Path:    d.Path,
				Message: msg,
				Remedy:  `name the trusted principals in Principal.AWS, or add "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-..."}} with fixed values and a positive operator`,
				Subject: subject,
			})
		}
	}
	if len(out) == 0 && !d.Valid() {
		out = append(out, invalidDocFinding(d))
	}
	return out
}

// IAM-011: trust to other AWS accounts only when allow-listed.
func iam011() *Rule {
	return &Rule{
		ID:          "IAM-011",
		Title:       "Role trust policies trust only owner and allow-listed accounts and organizations",
		Severity:    Medium,
		Kinds:       roleKind,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_61"}},
		Check: trustRule(func(in *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || s.Principal == nil {
					continue
				}
				ext := externalTrust(in.Config, s, d.Doc.VariablesAreLiteral())
				if len(ext) == 0 {
					continue
				}
				msg := fmt.Sprintf("%s%s trusts %s, outside the owner and trusted accounts", d.lead(), s.Ref(), quoteList(ext, 4))
				if len(in.Config.OwnerAccounts)+len(in.Config.TrustedAccounts)+len(in.Config.TrustedOrgs) == 0 {
					msg += " (no owner or trusted accounts are configured, so every account counts as external)"
				}
				out = append(out, Finding{
					Path:    d.Path,
					Message: msg,
					Remedy:  "trust only principals of the owner accounts, or add the account (or organization) to ackguard's trusted accounts if the cross-account access is intended",
					Subject: statementSubject(d.Doc, s),
				})
			}
			return out
		}),
	}
}

// trustedAccount reports whether an account is an owner or trusted one.
func trustedAccount(cfg Config, acct string) bool {
	return cfg.IsOwnerAccount(acct) || slices.Contains(cfg.TrustedAccounts, acct)
}

// externalTrust lists what a trust statement admits from outside the
// owner and trusted accounts: account principals, and the accounts or
// organizations a wildcard principal is pinned to. It reads principals and
// conditions as policy.Reach does for every resource policy: a condition
// pinning the caller's account confines named principals too (rule C4).
func externalTrust(cfg Config, s *policy.Statement, literalVars bool) []string {
	if pinnedToTrustedOrgs(cfg, s) {
		// Conditions are ANDed (rule C4): whatever the principal names,
		// only callers of the trusted organizations pass.
		return nil
	}
	r := s.Reach(policy.TrustRestrictingKeys(), literalVars)
	pinned := r.Accounts != nil
	var out []string
	for _, p := range s.Principal.AWS {
		if p == "*" {
			continue
		}
		if acct := policy.PrincipalAccount(p); acct != "" && !trustedAccount(cfg, acct) && (!pinned || slices.Contains(r.Accounts, acct)) {
			out = append(out, p)
		}
	}
	if !s.Principal.All() || r.RestrictedBy == nil {
		return out // an unrestricted wildcard is IAM-010's finding
	}
	if pinned {
		for _, a := range r.Accounts {
			if !trustedAccount(cfg, a) {
				out = append(out, "account "+a)
			}
		}
		return out
	}
	for _, c := range s.ConditionsOn("aws:PrincipalOrgID") {
		if !c.Constraining() {
			continue
		}
		for _, v := range c.Values {
			if !slices.Contains(cfg.TrustedOrgs, v) {
				out = append(out, "organization "+v)
			}
		}
	}
	return out
}

// pinnedToTrustedOrgs reports whether a condition confines the caller to
// trusted organizations: aws:PrincipalOrgID compared, under a positive
// string operator that is false when the key is absent, with values that
// are all trusted organization IDs.
func pinnedToTrustedOrgs(cfg Config, s *policy.Statement) bool {
	if len(cfg.TrustedOrgs) == 0 {
		return false
	}
	for _, c := range s.ConditionsOn("aws:PrincipalOrgID") {
		if !c.Constraining() || !pinningOperators[c.Op.Base] || len(c.Values) == 0 {
			continue
		}
		all := true
		for _, v := range c.Values {
			all = all && slices.Contains(cfg.TrustedOrgs, v)
		}
		if all {
			return true
		}
	}
	return false
}

// IAM-012: federated trust must be pinned by audience and subject.
func iam012() *Rule {
	return &Rule{
		ID:          "IAM-012",
		Title:       "Federated role trust is pinned to an audience and a subject",
		Severity:    High,
		Kinds:       roleKind,
		Admission:   Deny,
		Remediation: Audit,
		References:  References{Checkov: []string{"CKV_AWS_358", "CKV_AWS_393"}},
		Check: trustRule(func(_ *Input, d *iamDoc) []Finding {
			var out []Finding
			for _, s := range d.Doc.Statements {
				if s.Effect != policy.Allow || s.Principal == nil {
					continue
				}
				for _, fed := range s.Principal.Federated {
					missing := federatedGaps(s, fed, d.Doc.VariablesAreLiteral())
					if len(missing) == 0 {
						continue
					}
					out = append(out, Finding{
						Path:    d.Path,
						Message: fmt.Sprintf("%s%s trusts the identity provider %s without %s: any identity that provider issues tokens for could assume the role", d.lead(), s.Ref(), fed, strings.Join(missing, " and ")),
						Remedy:  "add StringEquals (or StringLike for the subject) conditions on the provider's audience and subject keys naming your application and the exact identities",
						Subject: statementSubject(d.Doc, s) + "\x00" + fed,
					})
				}
			}
			return out
		}),
	}
}

// githubOIDC is GitHub Actions' token issuer.
const githubOIDC = "token.actions.githubusercontent.com"

// federatedGaps lists the pinning conditions a federated trust statement
// lacks, each "a condition on KEY" (no article to agree with a key's
// first letter). literalVars is true when "${...}" is literal text in the
// document (catalog §10.1 A6).
func federatedGaps(s *policy.Statement, provider string, literalVars bool) []string {
	if strings.Contains(provider, ":saml-provider/") {
		if !pinned(s, "SAML:aud", nil, literalVars) {
			return []string{"a condition on SAML:aud"}
		}
		return nil
	}
	host := provider
	if _, after, ok := strings.Cut(provider, ":oidc-provider/"); ok {
		host = after
	}
	aud, sub := host+":aud", host+":sub"
	if keys, ok := webIdentityKeys[host]; ok {
		// Login with Amazon and Facebook name their audience and subject
		// keys their own way: there is no PROVIDER:aud or :sub to pin.
		aud, sub = host+":"+keys[0], host+":"+keys[1]
	}
	var missing []string
	if !pinned(s, aud, nil, literalVars) {
		missing = append(missing, "a condition on "+aud)
	}
	if f, ok := subjectFormatOf(host); ok {
		if !pinned(s, sub, f.pinned, literalVars) {
			missing = append(missing, "a condition on "+sub+" naming "+f.names)
		}
		return missing
	}
	if host == "cognito-identity.amazonaws.com" {
		if !pinned(s, sub, nil, literalVars) && !pinned(s, host+":amr", nil, literalVars) {
			missing = append(missing, "a condition on "+host+":amr or :sub")
		}
		return missing
	}
	if !pinned(s, sub, nil, literalVars) {
		missing = append(missing, "a condition on "+sub)
	}
	return missing
}

// pinned reports whether the statement has a constraining condition on
// key that compares it with values, under a positive string operator, that
// are not bare wildcards (and, when ok is given, each value passes it).
// Null, Bool and the other operators name no audience or subject: Null
// false only asks that the key exist. A value holding a policy variable
// (unless literalVars: catalog §10.1 A6) names nothing either: on
// AssumeRoleWithWebIdentity every key it can read comes from the token or
// the request, which the caller controls ("${PROVIDER:aud}" is the
// caller's own audience), so, as for the public classifier (C2), only
// fixed values pin.
func pinned(s *policy.Statement, key string, ok func(string) bool, literalVars bool) bool {
	for _, c := range s.ConditionsOn(key) {
		if !c.Constraining() || !pinningOperators[c.Op.Base] {
			continue
		}
		good := len(c.Values) > 0
		for _, v := range c.Values {
			if strings.Trim(v, "*?") == "" || ok != nil && !ok(v) || policy.ResolvesVariable(v, literalVars) {
				good = false
			}
		}
		if good {
			return true
		}
	}
	return false
}

// pinningOperators compare a token's audience or subject with the listed
// values.
var pinningOperators = map[string]bool{"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true}

// webIdentityKeys are the audience (the application) and subject (the
// user) keys of the web identity providers whose tokens carry no aud and
// sub claims (IAM's condition keys for web identity federation).
var webIdentityKeys = map[string][2]string{
	"graph.facebook.com": {"app_id", "id"},
	"www.amazon.com":     {"app_id", "user_id"},
}

// subjectFormat says how an identity provider's tokens name whom they
// were issued to, and what a subject condition must fix to pin them.
type subjectFormat struct {
	names  string // what the subject must name, for the finding
	pinned func(string) bool
}

// tenantSubjects are the hosted CI services whose tokens name the
// customer's repository, project or organization in the subject. GitHub
// Actions' is the catalog's; GitLab.com's and HCP Terraform's are ackguard
// decisions, as for GitHub: each service issues tokens to every project of
// every customer.
var tenantSubjects = map[string]subjectFormat{
	githubOIDC: {
		names:  "the organization and repository (\"repo:<org>/<repo>:...\", no wildcard in either)",
		pinned: fixedField("repo:", ownerAndProject),
	},
	"gitlab.com": {
		names:  "the group and project (\"project_path:<group>/<project>:...\", no wildcard in either)",
		pinned: fixedField("project_path:", ownerAndProject),
	},
	"app.terraform.io": {
		names:  "the organization (\"organization:<org>:...\", no wildcard in it)",
		pinned: fixedField("organization:", func(org, _ string) bool { return org != "" }),
	},
}

// eksSubject is an EKS cluster's subject format. ackguard decision,
// stricter than the catalog: a subject with a wildcard namespace
// ("system:serviceaccount:*") lets every service account of every
// namespace of the cluster assume the role; a wildcard name (every service
// account of one namespace) is accepted, as a GitHub subject may take
// every ref of one repository.
var eksSubject = subjectFormat{
	names:  "the namespace and service account (\"system:serviceaccount:<namespace>:<name>\", no wildcard in the namespace)",
	pinned: fixedField("system:serviceaccount:", func(ns, name string) bool { return ns != "" && name != "" }),
}

// subjectFormatOf returns the subject format of an OIDC provider host,
// when ackguard knows it. A GitHub Enterprise Cloud enterprise's own issuer
// (token.actions.githubusercontent.com/<enterprise>) issues GitHub's
// subjects for every repository of the enterprise: "repo:*" there is
// every repository, as "repo:<org>/*" is every one of an organization.
func subjectFormatOf(host string) (subjectFormat, bool) {
	if f, ok := tenantSubjects[host]; ok {
		return f, true
	}
	if strings.HasPrefix(host, githubOIDC+"/") {
		return tenantSubjects[githubOIDC], true
	}
	if isEKSOIDC(host) {
		return eksSubject, true
	}
	return subjectFormat{}, false
}

// fixedField returns what accepts a subject that starts with prefix and
// whose next field (up to ':') has no wildcard and passes ok, which is
// also given what follows that field's ':'.
func fixedField(prefix string, ok func(field, rest string) bool) func(string) bool {
	return func(v string) bool {
		after, found := strings.CutPrefix(v, prefix)
		if !found {
			return false
		}
		field, rest, _ := strings.Cut(after, ":")
		return !strings.ContainsAny(field, "*?") && ok(field, rest)
	}
}

// ownerAndProject accepts "<owner>/<project>" with both named.
func ownerAndProject(field, _ string) bool {
	owner, project, ok := strings.Cut(field, "/")
	return ok && owner != "" && project != ""
}

// isEKSOIDC reports whether an OIDC provider host is an EKS cluster's
// ("oidc.eks.<region>.amazonaws.com/id/<id>", ".amazonaws.com.cn" in China).
func isEKSOIDC(host string) bool {
	rest, ok := strings.CutPrefix(host, "oidc.eks.")
	return ok && (strings.Contains(rest, ".amazonaws.com/id/") || strings.Contains(rest, ".amazonaws.com.cn/id/"))
}
