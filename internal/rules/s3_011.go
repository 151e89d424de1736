package rules

import "github.com/ackguard/ackguard/internal/view"

// S3-011: server access logging is on, to another bucket. A bucket that
// logs to itself writes a log object for every log object delivered,
// without end. No fix: the target bucket is the owner's choice.
func s3011() *Rule {
	return &Rule{
		ID:          "S3-011",
		Title:       "Server access logging is on, to another bucket",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		References: References{
			FSBP:    []string{"S3.9"},
			Config:  []string{"s3-bucket-logging-enabled"},
			Checkov: []string{"CKV_AWS_18"},
		},
		Check: notOnDirectoryBuckets(checkS3011),
	}
}

const s3011Remedy = "set spec.logging.loggingEnabled.targetBucket to a separate logging bucket (and a targetPrefix)"

func checkS3011(in *Input) []Finding {
	c := in.BucketConfig()
	t := c.LoggingTarget
	switch {
	case c.Spec.Err != nil:
		return nil
	case view.FirstErr(c.Logging, c.LoggingEnabled) != nil:
		return []Finding{fieldErrorFinding(view.FirstErr(c.Logging, c.LoggingEnabled))}
	case t.Err != nil:
		return []Finding{fieldErrorFinding(t.Err)}
	case !t.NonEmpty():
		return []Finding{{Path: t.Path, Message: "server access logging is off", Remedy: s3011Remedy}}
	case t.Value == in.Bucket().BucketName():
		return []Finding{{Path: t.Path, Message: "the bucket logs to itself: each delivered log object is logged again", Remedy: s3011Remedy, Subject: t.Value}}
	}
	return nil
}
