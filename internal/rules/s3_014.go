package rules

// S3-014 (opt-in): event notifications are configured (a Lambda function,
// an SQS queue or an SNS topic receives the bucket's events).
func s3014() *Rule {
	return &Rule{
		ID:          "S3-014",
		Title:       "Event notifications are configured",
		Severity:    Medium,
		Kinds:       bucketKind,
		Admission:   Warn,
		Remediation: Audit,
		OptIn:       true,
		References: References{
			FSBP:    []string{"S3.11"},
			Config:  []string{"s3-event-notifications-enabled"},
			Checkov: []string{"CKV2_AWS_62"},
		},
		Check: notOnDirectoryBuckets(checkS3014),
	}
}

func checkS3014(in *Input) []Finding {
	c := in.BucketConfig()
	n := c.Notification
	switch {
	case c.Spec.Err != nil:
		return nil
	case n.Err != nil:
		return []Finding{fieldErrorFinding(n.Err)}
	}
	targets := 0
	var out []Finding
	for _, l := range n.Lists() {
		if l.Err != nil {
			out = append(out, fieldErrorFinding(l.Err))
			continue
		}
		targets += len(l.Items)
	}
	if len(out) == 0 && targets == 0 {
		out = append(out, Finding{Path: n.Path, Message: "no event notification is configured",
			Remedy: "add a lambdaFunctionConfigurations, queueConfigurations or topicConfigurations entry to spec.notification for the events to watch"})
	}
	return out
}
