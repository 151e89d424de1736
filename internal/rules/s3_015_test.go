package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func replication(rs ...any) map[string]any {
	return map[string]any{"role": "arn:aws:iam::111122223333:role/replication", "rules": rs}
}

func replRule(status string, dest any) map[string]any {
	return map[string]any{"id": "all", "status": status, "priority": int64(1), "filter": map[string]any{"prefix": ""},
		"deleteMarkerReplication": map[string]any{"status": "Disabled"}, "destination": map[string]any{"bucket": dest}}
}

func TestS3015(t *testing.T) {
	base := with(secureSpec(), "versioning", map[string]any{"status": "Enabled"})
	runRuleCases(t, "S3-015", []ruleCase{
		{name: "secure: an enabled rule to another bucket", spec: with(base, "replication", replication(replRule("Enabled", "arn:aws:s3:::my-bucket-replica")))},
		{name: "insecure: no replication", spec: base, action: rules.Warn, want: []want{
			{"spec.replication.rules", "replication is not configured"},
		}},
		{name: "tricky: only disabled rules", spec: with(base, "replication", replication(replRule("Disabled", "arn:aws:s3:::r"))), want: []want{
			{"spec.replication.rules", "no replication rule is Enabled"},
		}},
		{name: "tricky: an enabled rule without a destination", spec: with(base, "replication", replication(replRule("Enabled", ""))), want: []want{
			{"spec.replication.rules[0].destination.bucket", "names no destination bucket"},
		}},
		{name: "wrong type: destination bucket a number", spec: with(base, "replication", replication(replRule("Enabled", int64(3)))), want: []want{
			{"spec.replication.rules[0].destination.bucket", "invalid input"},
		}},
	})
}
