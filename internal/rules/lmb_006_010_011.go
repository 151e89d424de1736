package rules

import "github.com/ackguard/ackguard/internal/view"

// LMB-006: X-Ray active tracing. An absent mode is PassThrough (no traces
// of the function's own work). The fix (PATCH mode=Active) is opt-in: the
// execution role also needs xray:PutTraceSegments.
func lmb006() *Rule {
	return &Rule{
		ID:          "LMB-006",
		Title:       "X-Ray active tracing is on (tracingConfig.mode: Active)",
		Severity:    Low,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit, // cost; the role needs X-Ray permissions
		References: References{
			FSBP:    []string{"Lambda.7"},
			Config:  []string{"lambda-function-xray-enabled"},
			Checkov: []string{"CKV_AWS_50"},
		},
		Check: checkLMB006,
		Fixer: fixLMB006,
	}
}

const tracingActive = "Active"

func checkLMB006(in *Input) []Finding {
	f := lambdaFunctionFor(in)
	if f.Spec.Err != nil {
		return nil
	}
	const remedy = "set spec.tracingConfig.mode to Active (the execution role needs xray:PutTraceSegments and xray:PutTelemetryRecords)"
	switch {
	case f.TracingConfig.Err != nil:
		return []Finding{fixableErr(f.TracingConfig.Err)}
	case f.TracingMode.Err != nil:
		return []Finding{fixableErr(f.TracingMode.Err)}
	case !f.TracingMode.Present:
		return []Finding{{Path: f.TracingMode.Path, Message: "tracing mode is not set (Lambda default: PassThrough)", Remedy: remedy, Fixable: true}}
	case f.TracingMode.Value != tracingActive:
		return []Finding{{Path: f.TracingMode.Path, Message: "tracing mode is " + f.TracingMode.Value, Remedy: remedy, Fixable: true}}
	}
	return nil
}

func fixableErr(e *view.FieldError) Finding {
	f := fieldErrorFinding(e)
	f.Fixable = true
	return f
}

func fixLMB006(m *Mutation) error {
	f := lambdaFunctionFor(m.Input())
	if f.Spec.Err != nil || (f.TracingMode.Err == nil && f.TracingMode.Value == tracingActive) {
		return nil
	}
	if f.TracingConfig.Err != nil {
		return m.Set(f.TracingConfig.Path, view.TracingConfigValue(tracingActive))
	}
	return m.Set(f.TracingMode.Path, tracingActive)
}

// LMB-010: environment variables are encrypted with a customer managed
// KMS key. Functions without environment variables pass.
func lmb010() *Rule {
	return &Rule{
		ID:          "LMB-010",
		Title:       "Environment variables are encrypted with a customer managed key",
		Severity:    Low,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit, // needs a key choice
		References: References{
			Checkov: []string{"CKV_AWS_173"},
		},
		Check: checkLMB010,
	}
}

func checkLMB010(in *Input) []Finding {
	f := lambdaFunctionFor(in)
	if f.Spec.Err != nil || len(f.Env) == 0 {
		return nil
	}
	switch {
	case f.KMSKeyARN.Err != nil:
		return []Finding{fieldErrorFinding(f.KMSKeyARN.Err)}
	case f.KMSKeyARN.NonEmpty() || f.KMSKeyRef.Present:
		return nil
	}
	return []Finding{{
		Path:    f.KMSKeyARN.Path,
		Message: "the environment variables are encrypted with the AWS managed key only (kmsKeyARN is not set)",
		Remedy:  "set spec.kmsKeyARN or spec.kmsKeyRef to a customer managed KMS key",
	}}
}

// LMB-011: code signing is configured. Container images cannot use code
// signing and are exempt.
func lmb011() *Rule {
	return &Rule{
		ID:          "LMB-011",
		Title:       "Code signing is configured",
		Severity:    Low,
		Kinds:       lambdaFunctionKind,
		Admission:   Warn,
		Remediation: Audit, // needs a signing profile
		References: References{
			Checkov: []string{"CKV_AWS_272"},
		},
		Check: checkLMB011,
	}
}

func checkLMB011(in *Input) []Finding {
	f := lambdaFunctionFor(in)
	if f.Spec.Err != nil || f.IsImage() {
		return nil
	}
	switch {
	case f.CodeSigningConfigARN.Err != nil:
		return []Finding{fieldErrorFinding(f.CodeSigningConfigARN.Err)}
	case f.CodeSigningConfigARN.NonEmpty() || f.CodeSigningConfigRef.Present:
		return nil
	}
	return []Finding{{
		Path:    f.CodeSigningConfigARN.Path,
		Message: "no code signing configuration: Lambda accepts unsigned code",
		Remedy:  "set spec.codeSigningConfigARN or spec.codeSigningConfigRef",
	}}
}
