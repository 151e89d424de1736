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
