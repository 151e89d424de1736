package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

const lifecycleEnabled = "Enabled"

// S3-010: the bucket has a lifecycle configuration, with an enabled rule
// that aborts incomplete multipart uploads for the whole bucket (their
// parts are billed, and invisible, until aborted). No fix: a lifecycle
// expiration deletes data, and which data may go is the owner's decision.
func s3010() *Rule {
	return &Rule{
		ID:          "S3-010",
		Title:       "A lifecycle configuration exists and aborts incomplete multipart uploads",
		Severity:    Low, // S3.10 (versioned buckets) is Medium
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:    []string{"S3.13", "S3.10"},
			Config:  []string{"s3-lifecycle-policy-check", "s3-version-lifecycle-policy-check"},
			Checkov: []string{"CKV2_AWS_61", "CKV_AWS_300"},
		},
		Check: checkS3010,
	}
}

const s3010Remedy = "add to spec.lifecycle.rules an Enabled rule with an empty filter and abortIncompleteMultipartUpload: {daysAfterInitiation: 7}, and expirations for the data that may go"

// checkS3010 reports a versioned bucket's findings at Medium, as
// Security Hub's S3.10 rates a versioned bucket without lifecycle rules.
func checkS3010(in *Input) []Finding {
	out := s3010Findings(in)
	if c := in.BucketConfig(); c.VersionStatus.Err == nil && c.VersionStatus.Value == versioningEnabled {
		for i := range out {
			out[i].Severity = Medium
		}
	}
	return out
}

func s3010Findings(in *Input) []Finding {
	c := in.BucketConfig()
	if c.Spec.Err != nil {
		return nil
	}
	if err := view.FirstErr(c.Lifecycle); err != nil {
		return []Finding{fieldErrorFinding(err)}
	}
	if c.LifecycleRules.Err != nil {
		return []Finding{fieldErrorFinding(c.LifecycleRules.Err)}
	}
	var out []Finding
	enabled, aborts := 0, false
	var narrowAbort []string
	for _, r := range c.Lifecycles {
		if err := lifecycleRuleErr(r); err != nil {
			out = append(out, fieldErrorFinding(err))
			continue
		}
		if r.Status.Value != lifecycleEnabled {
			continue
		}
		enabled++
		if !r.Abort.Present || !r.AbortDays.Present {
			continue
		}
		if scope := lifecycleScope(r); scope != "" {
			narrowAbort = append(narrowAbort, scope)
			continue
		}
		aborts = true
	}
	switch {
	case len(out) > 0:
		return out // cannot judge the rules it cannot read
	case len(c.Lifecycles) == 0:
		return []Finding{{Path: c.LifecycleRules.Path, Message: "the bucket has no lifecycle configuration: incomplete multipart uploads and old data stay (and are billed) forever", Remedy: s3010Remedy}}
	case enabled == 0:
		return []Finding{{Path: c.LifecycleRules.Path, Message: "every lifecycle rule is disabled", Remedy: s3010Remedy, Subject: "disabled"}}
	case !aborts && len(narrowAbort) > 0:
		return []Finding{{Path: c.LifecycleRules.Path, Message: "incomplete multipart uploads are aborted only " + strings.Join(narrowAbort, "; "), Remedy: s3010Remedy, Subject: "no abort"}}
	case !aborts:
		return []Finding{{Path: c.LifecycleRules.Path, Message: "no enabled lifecycle rule aborts incomplete multipart uploads (abortIncompleteMultipartUpload)", Remedy: s3010Remedy, Subject: "no abort"}}
	}
	return nil
}

// lifecycleRuleErr returns the first wrong-typed field of a lifecycle rule
// that S3-010 reads.
func lifecycleRuleErr(r view.LifecycleRule) *view.FieldError {
	if err := view.FirstErr(r.Object, r.Abort, r.Filter, r.FilterAnd); err != nil {
		return err
	}
	if r.Status.Err != nil {
		return r.Status.Err
	}
	for _, f := range r.Prefixes {
		if f.Err != nil {
			return f.Err
		}
	}
	return r.AbortDays.Err
}

// lifecycleScope describes what narrows a rule to part of the bucket, ""
// for a rule on every object.
func lifecycleScope(r view.LifecycleRule) string {
	var parts []string
	for _, p := range r.Prefixes {
		if p.NonEmpty() {
			parts = append(parts, fmt.Sprintf("under the prefix %q", p.Value))
		}
	}
	if len(r.Narrowed) > 0 {
		parts = append(parts, "where "+strings.Join(r.Narrowed, ", ")+" match")
	}
	if len(parts) == 0 {
		return ""
	}
	name := "a rule"
	if r.ID.NonEmpty() {
		name = fmt.Sprintf("rule %q", r.ID.Value)
	}
	return name + " " + strings.Join(parts, " and ")
}
