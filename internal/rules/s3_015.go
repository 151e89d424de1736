package rules

import (
	"fmt"

	"github.com/ackguard/ackguard/internal/view"
)

const replicationEnabled = "Enabled"

// S3-015 (opt-in): replication is configured: an Enabled rule copies the
// bucket's objects to a destination bucket. Whether the destination is in
// another Region is not in the spec (S3.7 asks for cross-Region).
func s3015() *Rule {
	return &Rule{
		ID:          "S3-015",
		Title:       "Replication is configured",
		Severity:    Low,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			FSBP:    []string{"S3.7"},
			Config:  []string{"s3-bucket-cross-region-replication-enabled"},
			Checkov: []string{"CKV_AWS_144"},
		},
		Check: notOnDirectoryBuckets(checkS3015),
	}
}

const s3015Remedy = "set spec.replication (role and an Enabled rule with destination.bucket, in another Region); versioning must be Enabled on both buckets"

func checkS3015(in *Input) []Finding {
	c := in.BucketConfig()
	switch {
	case c.Spec.Err != nil:
		return nil
	case c.Replication.Err != nil:
		return []Finding{fieldErrorFinding(c.Replication.Err)}
	case c.ReplRules.Err != nil:
		return []Finding{fieldErrorFinding(c.ReplRules.Err)}
	}
	var out []Finding
	enabled := 0
	for i, r := range c.Replications {
		err := view.FirstErr(r.Object, r.Destination)
		if err == nil && r.Status.Err != nil {
			err = r.Status.Err
		}
		if err == nil && r.DestinationBucket.Err != nil {
			err = r.DestinationBucket.Err
		}
		if err != nil {
			out = append(out, fieldErrorFinding(err))
			continue
		}
		if r.Status.Value == replicationEnabled {
			if !r.DestinationBucket.NonEmpty() {
				out = append(out, Finding{Path: r.DestinationBucket.Path, Message: fmt.Sprintf("replication rule %d names no destination bucket", i), Remedy: s3015Remedy, Subject: "no destination bucket"})
				continue
			}
			enabled++
		}
	}
	if len(out) == 0 && enabled == 0 {
		msg := "replication is not configured"
		if len(c.Replications) > 0 {
			msg = "no replication rule is Enabled"
		}
		out = append(out, Finding{Path: c.ReplRules.Path, Message: msg, Remedy: s3015Remedy})
	}
	return out
}
