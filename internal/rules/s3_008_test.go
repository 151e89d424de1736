package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func encryption(rs ...any) map[string]any { return map[string]any{"rules": rs} }

func sse(alg string) map[string]any {
	return map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": alg}}
}

func TestS3008(t *testing.T) {
	base := secureSpec()
	kmsKey := map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "arn:aws:kms:eu-west-1:111122223333:key/abc"}, "bucketKeyEnabled": true}
	runRuleCases(t, "S3-008", []ruleCase{
		{name: "secure: aws:kms with a key", spec: with(base, "encryption", encryption(kmsKey))},
		{name: "secure: aws:kms with the AWS managed key", spec: with(base, "encryption", encryption(sse("aws:kms")))},
		{name: "secure: dual-layer aws:kms:dsse", spec: with(base, "encryption", encryption(sse("aws:kms:dsse")))},
		{name: "insecure: no encryption is SSE-S3", spec: with(base, "encryption", nil), action: rules.Warn, want: []want{
			{"spec.encryption.rules", "SSE-S3"},
		}},
		{name: "insecure: AES256", spec: with(base, "encryption", encryption(sse("AES256"))), action: rules.Warn, want: []want{
			{"spec.encryption.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "default encryption is AES256"},
		}},
		{name: "tricky: empty rule list", spec: with(base, "encryption", encryption()), want: []want{
			{"spec.encryption.rules", "no default encryption"},
		}},
		{name: "tricky: a key ID without the KMS algorithm is SSE-S3", spec: with(base, "encryption", encryption(map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"kmsMasterKeyID": "alias/app"}})), want: []want{
			{"spec.encryption.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "no sseAlgorithm"},
		}},
		{name: "tricky: algorithm case matters to S3", spec: with(base, "encryption", encryption(sse("AWS:KMS"))), want: []want{
			{"spec.encryption.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AWS:KMS"},
		}},
		{name: "wrong type: rules an object", spec: with(base, "encryption", map[string]any{"rules": map[string]any{}}), want: []want{
			{"spec.encryption.rules", "invalid input: must be an array"},
		}},
		{name: "wrong type: algorithm a number", spec: with(base, "encryption", encryption(map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": int64(1)}})), want: []want{
			{"spec.encryption.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "invalid input"},
		}},
	})
}
