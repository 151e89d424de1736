package rules

import (
	"fmt"

	"github.com/ackguard/ackguard/internal/view"
)

// kmsAlgorithms are the SSE algorithms that encrypt with AWS KMS.
var kmsAlgorithms = map[string]bool{"aws:kms": true, "aws:kms:dsse": true}

// S3-008: default encryption uses AWS KMS (aws:kms or aws:kms:dsse). S3
// encrypts every new object with SSE-S3 (AES256) when nothing is set, so
// an absent configuration is SSE-S3, not "unencrypted". No fix: it needs a
// key choice, and a key policy that does not admit the application's
// roles breaks its reads and writes.
func s3008() *Rule {
	return &Rule{
		ID:          "S3-008",
		Title:       "Default encryption uses AWS KMS (aws:kms or aws:kms:dsse)",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:    []string{"S3.17"},
			Config:  []string{"s3-default-encryption-kms"},
			Checkov: []string{"CKV_AWS_145"},
		},
		Check: checkS3008,
	}
}

const s3008Remedy = "set spec.encryption.rules to [{applyServerSideEncryptionByDefault: {sseAlgorithm: aws:kms, kmsMasterKeyID: <key ARN>}, bucketKeyEnabled: true}] with a key whose policy admits the bucket's users"

func checkS3008(in *Input) []Finding {
	c := in.BucketConfig()
	if c.Spec.Err != nil {
		return nil // reported by S3-001
	}
	if err := view.FirstErr(c.Encryption); err != nil {
		return []Finding{fieldErrorFinding(err)}
	}
	if c.EncryptionRules.Err != nil {
		return []Finding{fieldErrorFinding(c.EncryptionRules.Err)}
	}
	if len(c.Encryptions) == 0 {
		return []Finding{{
			Path:    c.EncryptionRules.Path,
			Message: "no default encryption is set: S3 encrypts new objects with SSE-S3 (AES256), not with a KMS key",
			Remedy:  s3008Remedy,
		}}
	}
	var out []Finding
	for _, r := range c.Encryptions {
		alg := r.SSEAlgorithm
		switch {
		case view.FirstErr(r.Object, r.Default) != nil:
			out = append(out, fieldErrorFinding(view.FirstErr(r.Object, r.Default)))
		case alg.Err != nil:
			out = append(out, fieldErrorFinding(alg.Err))
		case !alg.Present || alg.Value == "":
			out = append(out, Finding{Path: alg.Path, Message: "the rule sets no sseAlgorithm (S3 uses SSE-S3, AES256)", Remedy: s3008Remedy, Subject: "no sseAlgorithm"})
		case !kmsAlgorithms[alg.Value]:
			out = append(out, Finding{Path: alg.Path, Message: fmt.Sprintf("default encryption is %s, not aws:kms or aws:kms:dsse", alg.Value), Remedy: s3008Remedy, Subject: alg.Value})
		}
	}
	return out
}
