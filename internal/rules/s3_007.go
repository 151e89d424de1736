package rules

import (
	"fmt"
	"strings"

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
		ext := externalPrincipals(in.Config, s)
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

// externalPrincipals lists the statement's principals that are not in the
// owner accounts. Without configured owner accounts every account principal
// is external (catalog §10.1 G2). Service principals are left to the
// confused-deputy rule.
func externalPrincipals(cfg Config, s *policy.Statement) []string {
	switch {
	case s.NotPrincipal != nil:
		return []string{"every principal not listed in NotPrincipal"}
	case s.Principal.All():
		return []string{"any principal"}
	case s.Principal == nil:
		return nil
	}
	var out []string
	for _, a := range s.Principal.AWS {
		if !cfg.IsOwnerAccount(principalAccount(a)) {
			out = append(out, a)
		}
	}
	out = append(out, s.Principal.Federated...)
	out = append(out, s.Principal.CanonicalUser...)
	return out
}

// principalAccount returns the account of an AWS principal: the ID itself,
// or the account field of an IAM/STS ARN.
func principalAccount(p string) string {
	if !strings.HasPrefix(p, "arn:") {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
