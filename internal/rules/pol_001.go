package rules

import (
	"fmt"
)

// maxProblemsReported bounds the causes one document adds to a denial.
const maxProblemsReported = 10

// POL-001: a policy document must parse and follow the IAM grammar. For
// now it judges bucket policies; trust and identity documents follow the
// same parser.
func pol001() *Rule {
	return &Rule{
		ID:          "POL-001",
		Title:       "Policy documents are valid JSON and follow the IAM policy grammar",
		Severity:    High,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Audit,
		Check:       checkPOL001,
	}
}

func checkPOL001(in *Input) []Finding {
	bp := readBucketPolicy(in)
	switch {
	case bp.TypeErr != nil:
		return []Finding{fieldErrorFinding(bp.TypeErr)}
	case bp.Absent:
		return nil
	}
	var out []Finding
	for i, p := range bp.Problems {
		if i == maxProblemsReported {
			out = append(out, Finding{
				Path:    bp.Path,
				Message: fmt.Sprintf("and %d more problems", len(bp.Problems)-i),
				Remedy:  "fix the problems above, then apply again to see the rest",
				Subject: "more",
			})
			break
		}
		out = append(out, Finding{
			Path:    bp.Path,
			Message: "invalid bucket policy: " + p.String(),
			Remedy:  "fix the document (IAM JSON policy grammar); S3 would reject it",
			Subject: p.String(),
		})
	}
	return out
}
