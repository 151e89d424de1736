package rules

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// maxProblemsReported bounds the causes one document adds to a denial.
const maxProblemsReported = 10

// POL-001: a policy document must parse and follow the IAM grammar: the
// bucket policy of a Bucket, the trust policy of a Role, the inline
// policies of a Role, User or Group and the document of a Policy.
func pol001() *Rule {
	return &Rule{
		ID:          "POL-001",
		Title:       "Policy documents are valid JSON and follow the IAM policy grammar",
		Severity:    High,
		Kinds:       append(append([]schema.GroupKind{}, bucketKind...), iamDocKinds...),
		Admission:   Deny,
		Remediation: Audit,
		Check:       checkPOL001,
	}
}

func checkPOL001(in *Input) []Finding {
	if in.GroupKind() != view.BucketGVK.GroupKind() {
		return checkPOL001IAM(in)
	}
	bp := readBucketPolicy(in)
	switch {
	case bp.TypeErr != nil:
		return []Finding{fieldErrorFinding(bp.TypeErr)}
	case bp.Absent:
		return nil
	}
	var out []Finding
	subjects := problemSubjects(bp.Problems)
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
			Subject: subjects[i],
		})
	}
	return out
}

// checkPOL001IAM judges every document the IAM object holds itself (a
// Role's referenced Policies are judged as objects of their own).
func checkPOL001IAM(in *Input) []Finding {
	var out []Finding
	if sz := in.iamDocs().inline; sz.Limit > 0 && sz.Chars > sz.Limit && !sz.Over {
		out = append(out, Finding{
			Path: sz.Path,
			Message: fmt.Sprintf("the inline policies are %d characters without whitespace together; IAM allows a %s at most %d in all of its inline policies, and would reject the write",
				sz.Chars, strings.ToLower(in.Meta.GVK.Kind), sz.Limit),
			Remedy:  "move statements into a managed Policy (spec.policyRefs), or shorten the documents",
			Subject: "inline policies over the quota",
		})
	}
	for _, d := range allOwnDocs(in.iamDocs()) {
		switch {
		case d.TypeErr != nil:
			out = append(out, fieldErrorFinding(d.TypeErr))
			continue
		case d.Absent:
			continue
		}
		subjects := problemSubjects(d.Problems)
		for i, p := range d.Problems {
			if i == maxProblemsReported {
				out = append(out, Finding{
					Path:    d.Path,
					Message: fmt.Sprintf("and %d more problems", len(d.Problems)-i),
					Remedy:  "fix the problems above, then apply again to see the rest",
					Subject: "more",
				})
				break
			}
			out = append(out, Finding{
				Path:    d.Path,
				Message: fmt.Sprintf("invalid %s%s: %s", d.What, d.readNote(), p),
				Remedy:  "fix the document (IAM JSON policy grammar); IAM would reject it and ACK would not apply it",
				Subject: subjects[i],
			})
		}
	}
	return out
}

// problemSubjects returns the subjects of a document's problems: each
// problem's identity (policy.Problem.Identity), so that an UPDATE that
// moves a statement or edits the document elsewhere does not make a
// problem the document already had new, numbered from the second time
// the document has the same one (an unknown element in two statements):
// each is a finding of its own, and a second copy is new.
func problemSubjects(problems []policy.Problem) []string {
	out := make([]string, len(problems))
	seen := make(map[string]int, len(problems))
	for i, p := range problems {
		id := p.Identity()
		seen[id]++
		out[i] = id
		if n := seen[id]; n > 1 {
			out[i] += "\x00" + strconv.Itoa(n)
		}
	}
	return out
}
