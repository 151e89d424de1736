package rules

import "github.com/ackguard/ackguard/internal/view"

// LMB-013 (opt-in): failed asynchronous invocations go somewhere (a dead
// letter queue or an on-failure destination) and the function has
// reserved concurrency, so that it can neither lose events silently nor
// starve the account's other functions.
func lmb013() *Rule {
	return &Rule{
		ID:          "LMB-013",
		Title:       "Failed events go to a dead-letter queue or an on-failure destination, and concurrency is reserved",
		Severity:    Low,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			Config:  []string{"lambda-dlq-check", "lambda-concurrency-check"},
			Checkov: []string{"CKV_AWS_116", "CKV_AWS_115"},
		},
		Check: checkLMB013,
	}
}

func checkLMB013(in *Input) []Finding {
	f := view.NewFunctionConfig(in.Object)
	if f.Spec.Err != nil {
		return nil
	}
	var out []Finding
	dlq, dest := f.DeadLetterTarget, f.OnFailure
	switch {
	case f.DeadLetterConfig.Err != nil:
		out = append(out, fieldErrorFinding(f.DeadLetterConfig.Err))
	case dlq.Err != nil:
		out = append(out, fieldErrorFinding(dlq.Err))
	case view.FirstErr(f.EventInvokeConfig, f.DestinationConfig, f.OnFailureConfig) != nil:
		out = append(out, fieldErrorFinding(view.FirstErr(f.EventInvokeConfig, f.DestinationConfig, f.OnFailureConfig)))
	case dest.Err != nil:
		out = append(out, fieldErrorFinding(dest.Err))
	case !dlq.NonEmpty() && !dest.NonEmpty():
		out = append(out, Finding{Path: dlq.Path, Message: "failed asynchronous invocations are dropped: no dead-letter queue and no on-failure destination",
			Remedy: "set spec.deadLetterConfig.targetARN (an SQS queue or SNS topic) or spec.functionEventInvokeConfig.destinationConfig.onFailure.destination", Subject: "no failure target"})
	}
	rc := f.ReservedConcurrency
	switch {
	case rc.Err != nil:
		out = append(out, fieldErrorFinding(rc.Err))
	case !rc.Present:
		out = append(out, Finding{Path: rc.Path, Message: "no reserved concurrency: the function shares the account's pool with every other function",
			Remedy: "set spec.reservedConcurrentExecutions to the function's expected peak", Subject: "no reserved concurrency"})
	}
	return out
}
