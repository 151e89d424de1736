package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestS3014(t *testing.T) {
	base := secureSpec()
	queue := map[string]any{"queueARN": "arn:aws:sqs:eu-west-1:111122223333:events", "events": []any{"s3:ObjectCreated:*"}}
	runRuleCases(t, "S3-014", []ruleCase{
		{name: "secure: a queue receives events", spec: with(base, "notification", map[string]any{"queueConfigurations": []any{queue}})},
		{name: "secure: a topic besides empty lists", spec: with(base, "notification", map[string]any{"lambdaFunctionConfigurations": []any{}, "topicConfigurations": []any{map[string]any{"topicARN": "arn:aws:sns:eu-west-1:111122223333:t"}}})},
		{name: "insecure: no notification", spec: base, action: rules.Warn, want: []want{
			{"spec.notification", "no event notification is configured"},
		}},
		{name: "tricky: three empty lists", spec: with(base, "notification", map[string]any{"lambdaFunctionConfigurations": []any{}, "queueConfigurations": []any{}, "topicConfigurations": []any{}}), want: []want{
			{"spec.notification", "no event notification"},
		}},
		{name: "wrong type: a list that is an object", spec: with(base, "notification", map[string]any{"queueConfigurations": queue}), want: []want{
			{"spec.notification.queueConfigurations", "invalid input: must be an array"},
		}},
	})
}
