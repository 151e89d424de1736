package rules

import "github.com/ackguard/ackguard/internal/view"

// S3-001: bucket-level Block Public Access present with all four flags true.
//
// Omission fails: ACK turns a missing spec.publicAccessBlock into "all
// false" and deletes the bucket's Block Public Access (rule catalog §2.1),
// undoing the S3 default for new buckets.
func s3001() *Rule {
	return &Rule{
		ID:          "S3-001",
		Title:       "Bucket-level Block Public Access is set, with all four flags true",
		Severity:    High,
		Kinds:       bucketKind,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"S3.8"},
			Config:  []string{"s3-bucket-level-public-access-prohibited"},
			Checkov: []string{"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"},
			CIS:     []string{"v5.0.0 2.1.4", "v3.0.0 2.1.4", "v1.4.0 2.1.5"},
		},
		Check: notOnDirectoryBuckets(checkS3001),
		Fixer: fixS3001,
	}
}

const s3001Remedy = "set spec.publicAccessBlock.{blockPublicACLs,ignorePublicACLs,blockPublicPolicy,restrictPublicBuckets} all to true (a bucket that must be public needs a GuardrailException)"

func checkS3001(in *Input) []Finding {
	pab := in.BucketPublicAccessBlock()
	switch {
	case pab.Err != nil:
		f := fieldErrorFinding(pab.Err)
		f.Fixable = true // fixS3001 replaces the field whole
		return []Finding{f}
	case !pab.Present:
		return []Finding{{
			Path:    pab.Path,
			Message: "publicAccessBlock is not set, so ACK removes the bucket's Block Public Access",
			Remedy:  s3001Remedy,
			Fixable: true,
		}}
	}
	var out []Finding
	for _, flag := range pab.Flags() {
		switch {
		case flag.Err != nil:
			f := fieldErrorFinding(flag.Err)
			f.Fixable = true
			out = append(out, f)
		case !flag.Present:
			out = append(out, Finding{Path: flag.Path, Message: flag.Path[len(flag.Path)-1] + " is not set (ACK sends it as false)", Remedy: "set it to true", Fixable: true})
		case !flag.Value:
			out = append(out, Finding{Path: flag.Path, Message: flag.Path[len(flag.Path)-1] + " is false", Remedy: "set it to true", Fixable: true})
		}
	}
	return out
}

func fixS3001(m *Mutation) error {
	pab := m.Input().BucketPublicAccessBlock()
	if !pab.Present || pab.Err != nil {
		return m.Set(pab.Path, view.FullPublicAccessBlock())
	}
	for _, flag := range pab.Flags() {
		if !flag.IsTrue() {
			if err := m.Set(flag.Path, true); err != nil {
				return err
			}
		}
	}
	return nil
}
