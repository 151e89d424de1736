package rules

import (
	"fmt"

	"github.com/ackguard/ackguard/internal/view"
)

const versioningEnabled = "Enabled"

// S3-009: versioning is Enabled. The fix (PATCH status=Enabled) is opt-in:
// versioning can never be switched off again (only suspended), and keeping
// every version makes storage grow.
func s3009() *Rule {
	return &Rule{
		ID:          "S3-009",
		Title:       "Versioning is enabled",
		Severity:    Low,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit, // irreversible, storage cost
		References: References{
			FSBP:    []string{"S3.14"},
			Config:  []string{"s3-bucket-versioning-enabled"},
			Checkov: []string{"CKV_AWS_21"},
		},
		Check: notOnDirectoryBuckets(checkS3009),
		Fixer: fixS3009,
	}
}

const s3009Remedy = "set spec.versioning.status to Enabled (it cannot be switched off afterwards, only suspended; add a lifecycle rule for noncurrent versions)"

func checkS3009(in *Input) []Finding {
	c := in.BucketConfig()
	st := c.VersionStatus
	switch {
	case c.Spec.Err != nil:
		return nil
	case c.Versioning.Err != nil:
		return []Finding{fixableErr(c.Versioning.Err)}
	case st.Err != nil:
		return []Finding{fixableErr(st.Err)}
	case !st.Present || st.Value == "":
		return []Finding{{Path: st.Path, Message: "versioning is not enabled: an overwrite or delete loses the object", Remedy: s3009Remedy, Fixable: true}}
	case st.Value != versioningEnabled:
		return []Finding{{Path: st.Path, Message: fmt.Sprintf("versioning is %s, not Enabled", st.Value), Remedy: s3009Remedy, Subject: st.Value, Fixable: true}}
	}
	return nil
}

func fixS3009(m *Mutation) error {
	c := m.Input().BucketConfig()
	switch {
	case c.Spec.Err != nil:
		return nil
	case c.Versioning.Err != nil:
		return m.Set(c.Versioning.Path, view.VersioningValue(versioningEnabled))
	case c.VersionStatus.Err == nil && c.VersionStatus.Value == versioningEnabled:
		return nil
	}
	return m.Set(c.VersionStatus.Path, versioningEnabled)
}
