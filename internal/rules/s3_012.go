package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// S3-012 (opt-in): Object Lock is enabled and, when the policy requires a
// mode (parameter requiredObjectLockMode), the default retention uses it
// with a period. No fix: COMPLIANCE retention cannot be shortened or
// removed, even by the account root.
func s3012() *Rule {
	return &Rule{
		ID:          "S3-012",
		Title:       "Object Lock is enabled (with the required default retention mode, if any)",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			FSBP:    []string{"S3.15"},
			Config:  []string{"s3-bucket-default-lock-enabled"},
			Checkov: []string{"CKV_AWS_143"},
		},
		Check: notOnDirectoryBuckets(checkS3012),
	}
}

func checkS3012(in *Input) []Finding {
	c := in.BucketConfig()
	ol := c.ObjectLock
	if c.Spec.Err != nil {
		return nil
	}
	want := strings.ToUpper(in.Config.RequiredObjectLockMode)
	switch {
	case ol.Enabled.Err != nil:
		return []Finding{fieldErrorFinding(ol.Enabled.Err)}
	case !ol.Enabled.IsTrue():
		return []Finding{{Path: ol.Enabled.Path, Message: "Object Lock is not enabled: objects can be overwritten or deleted",
			Remedy: "set spec.objectLockEnabledForBucket: true (with versioning Enabled); COMPLIANCE retention cannot be undone"}}
	case want == "":
		return nil
	case view.FirstErr(ol.Configuration, ol.Rule, ol.DefaultRetention) != nil:
		return []Finding{fieldErrorFinding(view.FirstErr(ol.Configuration, ol.Rule, ol.DefaultRetention))}
	}
	remedy := fmt.Sprintf("set spec.objectLockConfiguration.rule.defaultRetention to {mode: %s, days: <n>} (or years)", want)
	for _, f := range []view.Int{ol.Days, ol.Years} {
		if f.Err != nil {
			return []Finding{fieldErrorFinding(f.Err)}
		}
	}
	m := ol.Mode
	switch {
	case m.Err != nil:
		return []Finding{fieldErrorFinding(m.Err)}
	case !m.NonEmpty():
		return []Finding{{Path: m.Path, Message: fmt.Sprintf("no default retention: the policy requires mode %s", want), Remedy: remedy}}
	case m.Value != want:
		return []Finding{{Path: m.Path, Message: fmt.Sprintf("default retention mode is %s; the policy requires %s", m.Value, want), Remedy: remedy, Subject: m.Value}}
	case (!ol.Days.Present || ol.Days.Value <= 0) && (!ol.Years.Present || ol.Years.Value <= 0):
		return []Finding{{Path: ol.DefaultRetention.Path, Message: "the default retention sets no period (days or years)", Remedy: remedy, Subject: "no period"}}
	}
	return nil
}
