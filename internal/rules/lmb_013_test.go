package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestLMB013(t *testing.T) {
	const (
		dlqPath = "spec.deadLetterConfig.targetARN"
		rcPath  = "spec.reservedConcurrentExecutions"
		queue   = "arn:aws:sqs:eu-west-1:111122223333:orders-dlq"
	)
	spec := func(kv ...any) map[string]any { return fn(with(secureFunctionSpec(), kv...)) }
	onFailure := map[string]any{"destinationConfig": map[string]any{"onFailure": map[string]any{"destination": queue}}}
	runKindCases(t, "LMB-013", []kindCase{
		{name: "secure: dead-letter queue and reserved concurrency", obj: spec("deadLetterConfig", map[string]any{"targetARN": queue}, "reservedConcurrentExecutions", int64(50))},
		{name: "secure: on-failure destination", obj: spec("functionEventInvokeConfig", onFailure, "reservedConcurrentExecutions", int64(5))},
		{name: "insecure: neither", obj: spec(), action: rules.Warn, want: []want{
			{dlqPath, "failed asynchronous invocations are dropped"},
			{rcPath, "no reserved concurrency"},
		}},
		{name: "tricky: only an on-success destination", obj: spec("functionEventInvokeConfig", map[string]any{"destinationConfig": map[string]any{"onSuccess": map[string]any{"destination": queue}}}, "reservedConcurrentExecutions", int64(5)), want: []want{
			{dlqPath, "no dead-letter queue and no on-failure destination"},
		}},
		{name: "tricky: reserved concurrency 0 is set", obj: spec("deadLetterConfig", map[string]any{"targetARN": queue}, "reservedConcurrentExecutions", int64(0))},
		{name: "tricky: an empty target ARN", obj: spec("deadLetterConfig", map[string]any{"targetARN": ""}, "reservedConcurrentExecutions", int64(1)), want: []want{
			{dlqPath, "dropped"},
		}},
		{name: "wrong type: concurrency a string", obj: spec("deadLetterConfig", map[string]any{"targetARN": queue}, "reservedConcurrentExecutions", "10"), want: []want{
			{rcPath, "must be an integer"},
		}},
	})
}
