package rules

import (
	"github.com/ackguard/ackguard/internal/policy"
)

const publicRemedy = "remove the statement, or restrict it with a condition on aws:SourceVpce, aws:PrincipalOrgID or aws:SourceIp using fixed values and a positive operator (StringEquals, IpAddress)"

// S3-002: the bucket policy must not grant read or list actions to a public
// principal, as S3 itself classifies public (catalog §10.1 C).
func s3002() *Rule {
	return &Rule{
		ID:          "S3-002",
		Title:       "Bucket policy grants no read or list access to the public",
		Severity:    Critical,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Audit, // S3-001's RestrictPublicBuckets already neutralises it
		References: References{
			FSBP:    []string{"S3.2"},
			Config:  []string{"s3-bucket-public-read-prohibited"},
			Checkov: []string{"CKV_AWS_70"},
		},
		Check: policyRule(func(_ *Input, bp bucketPolicy) []Finding {
			return publicGrantFindings(bp, &s3ReadActions, false)
		}),
	}
}

// S3-003: the bucket policy must not grant write, delete, ACL- or
// policy-changing actions to a public principal. The fix removes only the
// offending statements.
func s3003() *Rule {
	return &Rule{
		ID:          "S3-003",
		Title:       "Bucket policy grants no write, delete or permission-changing access to the public",
		Severity:    Critical,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"S3.3"},
			Config:  []string{"s3-bucket-public-write-prohibited"},
			Checkov: []string{"CKV_AWS_70"},
		},
		Check: policyRule(func(_ *Input, bp bucketPolicy) []Finding {
			return publicGrantFindings(bp, &s3WriteActions, true)
		}),
		Fixer: fixS3003,
	}
}

func publicGrantFindings(bp bucketPolicy, family *policy.ActionFamily, fixable bool) []Finding {
	if !bp.Doc.Grants() {
		return nil // nothing to derive, nor to keep with the document
	}
	grants := policy.Derive(bp.Doc, publicGrantsKey{family}, func(d *policy.Document) []reportedGrant {
		var out []reportedGrant
		for _, g := range publicGrants(d, *family) {
			out = append(out, reportedGrant{message: g.message(), subject: statementSubject(d, g.Statement)})
		}
		return out
	})
	if len(grants) == 0 {
		return nil
	}
	out := make([]Finding, len(grants))
	for i, g := range grants {
		out[i] = Finding{
			Path:    bp.Path,
			Message: g.message,
			Remedy:  publicRemedy,
			Subject: g.subject,
			Fixable: fixable,
		}
	}
	return out
}

// publicGrantsKey names, for policy.Derive, a document's public grants of
// an action family as findings report them. It holds a pointer alone, so
// that it is stored in Derive's interface without a copy on the heap.
type publicGrantsKey struct {
	family *policy.ActionFamily
}

// reportedGrant is a public grant as a finding reports it.
type reportedGrant struct {
	message, subject string
}

// fixS3003 removes the public write statements and keeps every other
// statement byte-for-byte. When none remains, the policy is removed (ACK
// then deletes the bucket policy): an empty Statement is not a valid policy.
func fixS3003(m *Mutation) error {
	bp := readBucketPolicy(m.Input())
	if !bp.Valid() {
		return nil
	}
	grants := publicGrants(bp.Doc, s3WriteActions)
	if len(grants) == 0 {
		return nil
	}
	drop := make([]int, len(grants))
	for i, g := range grants {
		drop[i] = g.Statement.Index
	}
	text, ok, err := policy.RemoveStatements(bp.Doc, drop)
	if err != nil {
		return err
	}
	if !ok {
		return m.Remove(bp.Path)
	}
	return m.Set(bp.Path, text)
}
