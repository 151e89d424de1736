// Package rulestest holds ACK objects the rule engine's tests and the tests
// of the packages built on it share.
package rulestest

// SecureDBInstanceSpec is the spec of a standalone PostgreSQL DBInstance
// every RDS rule passes. Each call returns a new map.
func SecureDBInstanceSpec() map[string]any {
	return map[string]any{
		"dbInstanceIdentifier":            "orders",
		"dbInstanceClass":                 "db.t4g.medium",
		"engine":                          "postgres",
		"engineVersion":                   "16.4",
		"publiclyAccessible":              false,
		"storageEncrypted":                true,
		"kmsKeyID":                        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"deletionProtection":              true,
		"backupRetentionPeriod":           int64(14),
		"autoMinorVersionUpgrade":         true,
		"enableIAMDatabaseAuthentication": true,
		"copyTagsToSnapshot":              true,
		"multiAZ":                         true,
		"monitoringInterval":              int64(60),
		"monitoringRoleARN":               "arn:aws:iam::111122223333:role/rds-monitoring",
		"port":                            int64(15432),
		"masterUsername":                  "orders_owner",
		"enableCloudwatchLogsExports":     []any{"postgresql", "upgrade"},
		"tags":                            []any{map[string]any{"key": "team", "value": "orders"}},
	}
}

// CleanBucket is an ACK Bucket as ACK's samples write one, clean under
// every S3 rule on by default: all four Block Public Access flags true, a
// bucket policy that only denies plain-HTTP requests (S3-006), object
// ownership BucketOwnerEnforced and the BucketHygiene fields. Each call
// returns a new map; the benchmarks of the engine and of its comparison
// with CEL and Rego judge this object.
func CleanBucket() map[string]any {
	spec := map[string]any{
		"name": "orders-assets",
		"publicAccessBlock": map[string]any{
			"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true,
		},
		"policy": `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",` +
			`"Resource":["arn:aws:s3:::orders-assets","arn:aws:s3:::orders-assets/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}},
	}
	for k, v := range BucketHygiene() {
		spec[k] = v
	}
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": "orders-assets", "namespace": "team-a"},
		"spec":       spec,
	}
}

// BucketHygiene are the Bucket spec fields the warn/audit S3 rules ask for
// (S3-008 KMS default encryption, S3-009 versioning, S3-010 a lifecycle
// rule aborting incomplete multipart uploads, S3-011 access logging to
// another bucket), for test buckets that must pass every rule on by
// default. Each call returns new maps.
func BucketHygiene() map[string]any {
	return map[string]any{
		"encryption": map[string]any{"rules": []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": true,
		}}},
		"versioning": map[string]any{"status": "Enabled"},
		"lifecycle": map[string]any{"rules": []any{map[string]any{
			"id": "abort-incomplete-uploads", "status": "Enabled", "filter": map[string]any{"prefix": ""},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": int64(7)},
		}}},
		"logging": map[string]any{"loggingEnabled": map[string]any{"targetBucket": "access-logs", "targetPrefix": "s3/"}},
	}
}
