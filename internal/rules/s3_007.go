package rules

import (
	"fmt"
	"slices"

	"github.com/ackguard/ackguard/internal/policy"
)

// s3BlacklistedActions are the bucket- and object-level actions Security
// Hub S3.6 forbids granting to other accounts.
var s3BlacklistedActions = []string{
	"s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy",
	"s3:PutEncryptionConfiguration", "s3:PutObjectAcl",
}

// S3-007: no principal outside the owner accounts may be allowed to change
// the bucket's policy, ACLs or encryption.
func s3007() *Rule {
	return &Rule{
		ID:          "S3-007",
		Title:       "Only owner accounts may change the bucket policy, ACLs or encryption",
		Severity:    High,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Audit,
		References: References{
			FSBP:   []string{"S3.6"},
			Config: []string{"s3-bucket-blacklisted-actions-prohibited"},
		},
		Check: policyRule(checkS3007),
	}
}

func checkS3007(in *Input, bp bucketPolicy) []Finding {
	var out []Finding
	for _, s := range bp.Doc.Statements {
		if s.Effect != policy.Allow {
			continue
		}
		var acts []string
		for _, a := range s3BlacklistedActions {
			if s.AllowsAction(a) {
				acts = append(acts, a)
			}
		}
		if len(acts) == 0 {
			continue
		}
		ext := externalPrincipals(in.Config, s, bp.Doc.VariablesAreLiteral())
		if len(ext) == 0 {
			continue
		}
		out = append(out, Finding{
			Path:    bp.Path,
			Message: fmt.Sprintf("%s allows %s to %s, outside the owner accounts", s.Ref(), quoteList(acts, 5), quoteList(ext, 3)),
			Remedy:  "remove those actions from the statement, or name only principals of the owner accounts (ackguard's --owner-account setting)",
			Subject: statementSubject(bp.Doc, s),
		})
	}
	return out
}

// externalPrincipals lists whom the statement reaches outside the owner
// accounts, by the same reading of principals and conditions as the
// public classifier (policy.Reach): a condition pinning aws:PrincipalAccount
// or aws:PrincipalArn to owner accounts keeps even "*" inside them (the
// data-perimeter pattern). Without configured owner accounts every account
// is external (catalog §10.1 G2). Service principals are left to the
// confused-deputy rule. literalVars: the document's ${...} are literal
// text (catalog §10.1 A6).
func externalPrincipals(cfg Config, s *policy.Statement, literalVars bool) []string {
	r := s.Reach(policy.S3RestrictingKeys(), literalVars)
	if !r.Granted {
		return nil
	}
	pinned := r.Accounts != nil
	reached := func(acct string) bool { return !pinned || slices.Contains(r.Accounts, acct) }
	var out []string
	switch {
	case pinned && r.Wildcard:
		for _, a := range r.Accounts {
			if !cfg.IsOwnerAccount(a) {
				out = append(out, fmt.Sprintf("any principal of account %s (%s)", a, r.PinnedBy.Key))
			}
		}
		return out
	case s.NotPrincipal != nil:
		return []string{"every principal not listed in NotPrincipal"}
	case s.Principal.All():
		who := "any principal"
		if r.RestrictedBy != nil {
			who += fmt.Sprintf(" (the condition on %s does not confine it to the owner accounts)", r.RestrictedBy.Key)
		}
		return []string{who}
	}
	for _, a := range s.Principal.AWS {
		if acct := policy.PrincipalAccount(a); !cfg.IsOwnerAccount(acct) && (acct == "" || reached(acct)) {
			out = append(out, a)
		}
	}
	if !pinned {
		out = append(out, s.Principal.Federated...)
		out = append(out, s.Principal.CanonicalUser...)
	}
	return out
}
