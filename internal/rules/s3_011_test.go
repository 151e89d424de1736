package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func logsTo(target any) map[string]any {
	return map[string]any{"loggingEnabled": map[string]any{"targetBucket": target, "targetPrefix": "my-bucket/"}}
}

func TestS3011(t *testing.T) {
	base := secureSpec()
	runRuleCases(t, "S3-011", []ruleCase{
		{name: "secure: logs to another bucket", spec: with(base, "logging", logsTo("access-logs"))},
		{name: "insecure: no logging", spec: with(base, "logging", nil), action: rules.Warn, want: []want{
			{"spec.logging.loggingEnabled.targetBucket", "server access logging is off"},
		}},
		{name: "insecure: empty target", spec: with(base, "logging", logsTo("")), want: []want{
			{"spec.logging.loggingEnabled.targetBucket", "off"},
		}},
		{name: "tricky: logs to itself", spec: with(base, "logging", logsTo(bucketName)), want: []want{
			{"spec.logging.loggingEnabled.targetBucket", "logs to itself"},
		}},
		{name: "tricky: logging object without loggingEnabled", spec: with(base, "logging", map[string]any{}), want: []want{
			{"spec.logging.loggingEnabled.targetBucket", "off"},
		}},
		{name: "wrong type: loggingEnabled a bool", spec: with(base, "logging", map[string]any{"loggingEnabled": true}), want: []want{
			{"spec.logging.loggingEnabled", "invalid input: must be an object"},
		}},
	})
}
