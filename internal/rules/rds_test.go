package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// multiAZClusterSpec is a Multi-AZ DB cluster (non-Aurora engine) that
// every RDS rule passes.
func multiAZClusterSpec() map[string]any {
	return with(secureClusterSpec(), "engine", "postgres", "dbClusterInstanceClass", "db.m6gd.large",
		"publiclyAccessible", false, "autoMinorVersionUpgrade", true, "enableCloudwatchLogsExports", []any{"postgresql", "upgrade"})
}

func TestRDSSecureObjectsPass(t *testing.T) {
	for name, obj := range map[string]map[string]any{
		"instance": dbInstance(secureInstanceSpec()),
		"cluster":  dbCluster(secureClusterSpec()),
		"multi-AZ": dbCluster(multiAZClusterSpec()),
		"member":   dbInstance(memberSpec()),
	} {
		if got := rules.Default().Evaluate(obj, rules.Config{}); len(got) != 0 {
			t.Errorf("%s: findings for a secure object:\n%s", name, texts(got))
		}
	}
}

func TestRDS001(t *testing.T) {
	const p = "spec.publiclyAccessible"
	runKindCases(t, "RDS-001", []kindCase{
		{name: "secure: false", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: true", obj: dbInstance(with(secureInstanceSpec(), "publiclyAccessible", true)), action: rules.Deny, fixable: yes, want: []want{
			{p, "publiclyAccessible is true"},
		}},
		{name: "tricky: absent is not false (AWS may default public, ACK late-initializes)", obj: dbInstance(with(secureInstanceSpec(), "publiclyAccessible", nil)), action: rules.Deny, fixable: yes, want: []want{
			{p, "publiclyAccessible is not set (AWS then decides from the subnet group"},
		}},
		{name: "tricky: null is absent", obj: dbInstance(withNull(secureInstanceSpec(), "publiclyAccessible")), want: []want{{p, "is not set"}}},
		{name: "tricky: Aurora member is judged (set per instance)", obj: dbInstance(with(memberSpec(), "publiclyAccessible", true)), want: []want{{p, "is true"}}},
		{name: "tricky: Aurora cluster does not own the field", obj: dbCluster(with(secureClusterSpec(), "publiclyAccessible", nil))},
		{name: "insecure: Multi-AZ DB cluster public", obj: dbCluster(with(multiAZClusterSpec(), "publiclyAccessible", true)), want: []want{{p, "is true"}}},
		{name: "tricky: Multi-AZ DB cluster absent", obj: dbCluster(with(multiAZClusterSpec(), "publiclyAccessible", nil)), want: []want{{p, "is not set"}}},
		{name: "wrong type: string", obj: dbInstance(with(secureInstanceSpec(), "publiclyAccessible", "false")), fixable: yes, want: []want{
			{p, "invalid input: must be a boolean, found string"},
		}},
		{name: "wrong type: spec is a list", obj: dbInstance([]any{"x"}), want: []want{{"spec", "invalid input: must be an object, found array"}}},
	})
}

func TestRDS002And003(t *testing.T) {
	const p = "spec.storageEncrypted"
	runKindCases(t, "RDS-002", []kindCase{
		{name: "secure: encrypted", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: false", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", false)), action: rules.Deny, fixable: no, want: []want{
			{p, "storageEncrypted is false"},
		}},
		{name: "tricky: absent (AWS default unencrypted)", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", nil)), fixable: no, want: []want{
			{p, "AWS creates the storage unencrypted"},
		}},
		{name: "tricky: absent on a snapshot restore", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", nil, "dbSnapshotIdentifier", "snap-1")), want: []want{
			{p, "inherits the encryption of its source"},
		}},
		{name: "tricky: kmsKeyID alone is not enough", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", nil)), want: []want{{p, "not set"}}},
		{name: "tricky: Aurora member skips the cluster-owned check", obj: dbInstance(with(memberSpec(), "storageEncrypted", false))},
		{name: "tricky: absent on RDS Custom (always encrypted)", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-oracle-ee", "storageEncrypted", nil))},
		{name: "insecure: false on RDS Custom", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-sqlserver-se", "storageEncrypted", false)), want: []want{{p, "storageEncrypted is false"}}},
		{name: "not applicable: cluster", obj: dbCluster(with(secureClusterSpec(), "storageEncrypted", false))},
		{name: "wrong type", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", int64(1))), want: []want{{p, "must be a boolean, found number"}}},
	})
	runKindCases(t, "RDS-003", []kindCase{
		{name: "secure: encrypted", obj: dbCluster(secureClusterSpec())},
		{name: "insecure: false", obj: dbCluster(with(secureClusterSpec(), "storageEncrypted", false)), action: rules.Deny, fixable: no, want: []want{{p, "is false"}}},
		{name: "tricky: absent", obj: dbCluster(with(secureClusterSpec(), "storageEncrypted", nil)), want: []want{{p, "is not set"}}},
		{name: "tricky: Aurora Serverless v1 is always encrypted", obj: dbCluster(with(secureClusterSpec(), "storageEncrypted", nil, "engineMode", "serverless"))},
		{name: "not applicable: instance", obj: dbInstance(with(secureInstanceSpec(), "storageEncrypted", false)), want: nil},
	})
}

// TestRDSImmutableSubjectStable checks that an immutable-field finding keeps
// its key when ACK late-initializes an absent field to the same insecure
// value, and changes when an update really changes the field, so the
// webhook denies only what an update introduces.
func TestRDSImmutableSubjectStable(t *testing.T) {
	key := func(spec map[string]any, id string) string {
		fs := findingsOf(dbInstance(spec), rules.Config{}, id)
		if len(fs) != 1 {
			t.Fatalf("%s: %d findings: %s", id, len(fs), texts(fs))
		}
		return fs[0].Key()
	}
	absent := key(with(secureInstanceSpec(), "storageEncrypted", nil), "RDS-002")
	lateInit := key(with(secureInstanceSpec(), "storageEncrypted", false), "RDS-002")
	unrelated := key(with(secureInstanceSpec(), "storageEncrypted", false, "allocatedStorage", int64(100), "port", int64(15433)), "RDS-002")
	if absent != lateInit || lateInit != unrelated {
		t.Errorf("RDS-002 keys differ across updates that keep the storage unencrypted: %q %q %q", absent, lateInit, unrelated)
	}
	admin := key(with(secureInstanceSpec(), "masterUsername", "admin"), "RDS-013")
	if admin != key(with(secureInstanceSpec(), "masterUsername", "admin", "deletionProtection", false), "RDS-013") {
		t.Error("RDS-013 key changes with an unrelated field")
	}
	if admin == key(with(secureInstanceSpec(), "masterUsername", "postgres"), "RDS-013") {
		t.Error("RDS-013 key does not change with the username")
	}
}

func TestRDS004(t *testing.T) {
	const p = "spec.deletionProtection"
	runKindCases(t, "RDS-004", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: false", obj: dbInstance(with(secureInstanceSpec(), "deletionProtection", false)), action: rules.Warn, fixable: yes, want: []want{{p, "deletionProtection is false"}}},
		{name: "tricky: absent (AWS default off)", obj: dbInstance(with(secureInstanceSpec(), "deletionProtection", nil)), fixable: yes, want: []want{{p, "not set (AWS default: off)"}}},
		{name: "insecure: cluster", obj: dbCluster(with(secureClusterSpec(), "deletionProtection", false)), want: []want{{p, "is false"}}},
		{name: "tricky: Aurora member skips (cluster-owned)", obj: dbInstance(memberSpec())},
	})
	// Severity follows Security Hub: RDS.8 (instance) Low, RDS.7 (cluster) Medium.
	if f := findingsOf(dbInstance(with(secureInstanceSpec(), "deletionProtection", false)), rules.Config{}, "RDS-004"); f[0].Severity != rules.Low {
		t.Errorf("instance severity %s", f[0].Severity)
	}
	if f := findingsOf(dbCluster(with(secureClusterSpec(), "deletionProtection", false)), rules.Config{}, "RDS-004"); f[0].Severity != rules.Medium {
		t.Errorf("cluster severity %s", f[0].Severity)
	}
}

func TestRDS005(t *testing.T) {
	const p = "spec.backupRetentionPeriod"
	runKindCases(t, "RDS-005", []kindCase{
		{name: "secure: 14", obj: dbInstance(secureInstanceSpec())},
		{name: "secure: exactly 7 (JSON number)", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", float64(7)))},
		{name: "insecure: 3 is fixed to 7", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", int64(3))), action: rules.Warn, fixable: yes, want: []want{
			{p, "backupRetentionPeriod is 3 days, below the minimum of 7"},
		}},
		{name: "tricky: 0 is audit only (enabling backups causes an outage)", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", int64(0))), fixable: no, want: []want{
			{p, "automated backups are disabled"},
		}},
		{name: "tricky: absent is not fixed (live value unknown)", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", nil)), fixable: no, want: []want{
			{p, "AWS default: 1 day"},
		}},
		{name: "config: minimum 30", obj: dbInstance(secureInstanceSpec()), cfg: rules.Config{MinBackupRetentionDays: 30}, want: []want{{p, "14 days, below the minimum of 30"}}},
		{name: "insecure: cluster 1", obj: dbCluster(with(secureClusterSpec(), "backupRetentionPeriod", int64(1))), want: []want{{p, "1 days"}}},
		{name: "tricky: Aurora member skips (cluster-owned)", obj: dbInstance(with(memberSpec(), "backupRetentionPeriod", int64(0)))},
		{name: "wrong type", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", "7")), fixable: no, want: []want{{p, "must be an integer, found string"}}},
		{name: "wrong type: fraction", obj: dbInstance(with(secureInstanceSpec(), "backupRetentionPeriod", 7.5)), want: []want{{p, "must be an integer, found number"}}},
	})
}

func TestRDS006(t *testing.T) {
	const p = "spec.autoMinorVersionUpgrade"
	runKindCases(t, "RDS-006", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "secure: absent (AWS default on, late-initialized)", obj: dbInstance(with(secureInstanceSpec(), "autoMinorVersionUpgrade", nil))},
		{name: "insecure: false", obj: dbInstance(with(secureInstanceSpec(), "autoMinorVersionUpgrade", false)), action: rules.Warn, fixable: yes, want: []want{{p, "is false"}}},
		{name: "tricky: Aurora member owns it", obj: dbInstance(with(memberSpec(), "autoMinorVersionUpgrade", false)), want: []want{{p, "is false"}}},
		{name: "insecure: Aurora cluster false (AWS upgrades no instance of it)", obj: dbCluster(with(secureClusterSpec(), "autoMinorVersionUpgrade", false)), action: rules.Warn, fixable: yes, want: []want{{p, "is false"}}},
		{name: "secure: Aurora cluster absent (AWS default on)", obj: dbCluster(with(secureClusterSpec(), "autoMinorVersionUpgrade", nil))},
		{name: "insecure: Multi-AZ DB cluster", obj: dbCluster(with(multiAZClusterSpec(), "autoMinorVersionUpgrade", false)), want: []want{{p, "is false"}}},
		{name: "tricky: RDS Custom must keep it off (not judged)", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-oracle-ee", "autoMinorVersionUpgrade", false))},
		{name: "tricky: RDS Custom for SQL Server, engine name case", obj: dbInstance(with(secureInstanceSpec(), "engine", "Custom-SQLServer-EE", "autoMinorVersionUpgrade", false))},
	})
}

func TestRDS007(t *testing.T) {
	const p = "spec.enableIAMDatabaseAuthentication"
	runKindCases(t, "RDS-007", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: absent (AWS default off)", obj: dbInstance(with(secureInstanceSpec(), "enableIAMDatabaseAuthentication", nil)), fixable: yes, want: []want{{p, "not set"}}},
		{name: "insecure: cluster false", obj: dbCluster(with(secureClusterSpec(), "enableIAMDatabaseAuthentication", false)), want: []want{{p, "is false"}}},
		{name: "tricky: Aurora member skips (cluster-owned)", obj: dbInstance(memberSpec())},
		{name: "tricky: engine without IAM auth (sqlserver) not judged", obj: dbInstance(with(secureInstanceSpec(), "engine", "sqlserver-se", "enableIAMDatabaseAuthentication", nil))},
		{name: "tricky: engine name case", obj: dbInstance(with(secureInstanceSpec(), "engine", "MySQL", "enableIAMDatabaseAuthentication", false)), want: []want{{p, "is false"}}},
		{name: "tricky: MariaDB before 10.11 has no IAM auth (not judged)", obj: dbInstance(with(secureInstanceSpec(), "engine", "mariadb", "engineVersion", "10.6.14", "enableIAMDatabaseAuthentication", nil))},
		{name: "insecure: MariaDB 10.11", obj: dbInstance(with(secureInstanceSpec(), "engine", "mariadb", "engineVersion", "10.11.8", "enableIAMDatabaseAuthentication", nil)), fixable: yes, want: []want{{p, "not set"}}},
		{name: "insecure: MariaDB without a version (RDS creates a current one)", obj: dbInstance(with(secureInstanceSpec(), "engine", "mariadb", "engineVersion", nil, "enableIAMDatabaseAuthentication", false)), want: []want{{p, "is false"}}},
	})
}

func TestRDS008(t *testing.T) {
	const p = "spec.enableCloudwatchLogsExports"
	runKindCases(t, "RDS-008", []kindCase{
		{name: "secure: postgres", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: absent", obj: dbInstance(with(secureInstanceSpec(), "enableCloudwatchLogsExports", nil)), action: rules.Warn, want: []want{{p, "not exported to CloudWatch Logs: postgresql, upgrade"}}},
		{name: "insecure: mysql missing audit", obj: dbInstance(with(secureInstanceSpec(), "engine", "mysql", "enableCloudwatchLogsExports", []any{"error", "general", "slowquery"})), want: []want{{p, ": audit"}}},
		{name: "secure: aurora-postgresql cluster", obj: dbCluster(secureClusterSpec())},
		{name: "insecure: aurora-mysql cluster", obj: dbCluster(with(secureClusterSpec(), "engine", "aurora-mysql", "enableCloudwatchLogsExports", []any{"error"})), want: []want{{p, "audit, general, slowquery"}}},
		{name: "tricky: Aurora member skips", obj: dbInstance(memberSpec())},
		{name: "tricky: unknown engine not judged", obj: dbInstance(with(secureInstanceSpec(), "engine", "neptune", "enableCloudwatchLogsExports", nil))},
		{name: "insecure: Multi-AZ PostgreSQL cluster exports upgrade logs too", obj: dbCluster(with(multiAZClusterSpec(), "enableCloudwatchLogsExports", []any{"postgresql"})), want: []want{{p, ": upgrade"}}},
		{name: "tricky: Multi-AZ MySQL cluster has no audit log to export", obj: dbCluster(with(multiAZClusterSpec(), "engine", "mysql", "enableCloudwatchLogsExports", []any{"error", "general", "slowquery"}))},
		{name: "tricky: RDS Custom for Oracle exports no logs (not judged)", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-oracle-ee", "enableCloudwatchLogsExports", nil))},
		{name: "tricky: RDS Custom for SQL Server exports no logs (not judged)", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-sqlserver-se", "enableCloudwatchLogsExports", nil))},
		{name: "insecure: sqlserver-se missing agent", obj: dbInstance(with(secureInstanceSpec(), "engine", "sqlserver-se", "enableCloudwatchLogsExports", []any{"error"})), want: []want{{p, ": agent"}}},
		{name: "tricky: sqlserver-ex has no SQL Server Agent, so no agent log", obj: dbInstance(with(secureInstanceSpec(), "engine", "sqlserver-ex", "enableCloudwatchLogsExports", []any{"error"}))},
		{name: "insecure: sqlserver-ex absent needs the error log only", obj: dbInstance(with(secureInstanceSpec(), "engine", "SQLServer-EX", "enableCloudwatchLogsExports", nil)), want: []want{{p, "not exported to CloudWatch Logs: error"}}},
		{name: "insecure: oracle-se2-cdb missing listener", obj: dbInstance(with(secureInstanceSpec(), "engine", "oracle-se2-cdb", "enableCloudwatchLogsExports", []any{"alert", "audit", "trace"})), want: []want{{p, ": listener"}}},
		{name: "wrong type: element", obj: dbInstance(with(secureInstanceSpec(), "enableCloudwatchLogsExports", []any{"postgresql", "upgrade", int64(3)})), want: []want{{p + "[2]", "must be a string"}}},
		{name: "wrong type: list", obj: dbInstance(with(secureInstanceSpec(), "enableCloudwatchLogsExports", "postgresql")), want: []want{{p, "must be an array"}}},
		// The fix leaves a list it cannot read to its owner, so the missing
		// log types beside an element of the wrong type are not fixable.
		{name: "wrong type: element beside a missing log type", obj: dbInstance(with(secureInstanceSpec(), "enableCloudwatchLogsExports", []any{"postgresql", int64(3)})), fixable: no,
			want: []want{{p + "[1]", "must be a string"}, {p, "not exported to CloudWatch Logs: upgrade"}}},
	})
}

func TestRDS009And010(t *testing.T) {
	runKindCases(t, "RDS-009", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: absent", obj: dbInstance(with(secureInstanceSpec(), "multiAZ", nil)), fixable: no, want: []want{{"spec.multiAZ", "single Availability Zone"}}},
		{name: "insecure: false", obj: dbInstance(with(secureInstanceSpec(), "multiAZ", false)), want: []want{{"spec.multiAZ", "is false"}}},
		{name: "tricky: Aurora member skips", obj: dbInstance(memberSpec())},
	})
	runKindCases(t, "RDS-010", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "secure: role by reference", obj: dbInstance(with(secureInstanceSpec(), "monitoringRoleARN", nil, "monitoringRoleRef", map[string]any{"from": map[string]any{"name": "mon"}}))},
		{name: "insecure: interval 0", obj: dbInstance(with(secureInstanceSpec(), "monitoringInterval", int64(0))), want: []want{{"spec.monitoringInterval", "enhanced monitoring is off"}}},
		{name: "insecure: no role", obj: dbInstance(with(secureInstanceSpec(), "monitoringRoleARN", nil)), want: []want{{"spec.monitoringRoleARN", "no monitoring role"}}},
		{name: "tricky: Aurora member owns it", obj: dbInstance(with(memberSpec(), "monitoringInterval", nil)), want: []want{{"spec.monitoringInterval", "off"}}},
		{name: "tricky: RDS Custom has no enhanced monitoring (not judged)", obj: dbInstance(with(secureInstanceSpec(), "engine", "custom-sqlserver-se", "monitoringInterval", nil, "monitoringRoleARN", nil))},
	})
}

func TestRDS011(t *testing.T) {
	runKindCases(t, "RDS-011", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: absent", obj: dbInstance(with(secureInstanceSpec(), "copyTagsToSnapshot", nil)), fixable: yes, want: []want{{"spec.copyTagsToSnapshot", "not set"}}},
		{name: "insecure: cluster false", obj: dbCluster(with(secureClusterSpec(), "copyTagsToSnapshot", false)), want: []want{{"spec.copyTagsToSnapshot", "is false"}}},
		{name: "tricky: Aurora member skips", obj: dbInstance(memberSpec())},
	})
}

func TestRDS012(t *testing.T) {
	const p = "spec.port"
	runKindCases(t, "RDS-012", []kindCase{
		{name: "secure: 15432", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: 5432 on postgres", obj: dbInstance(with(secureInstanceSpec(), "port", int64(5432))), action: rules.Warn, want: []want{{p, "port 5432 is the postgres default port"}}},
		{name: "tricky: absent means the default", obj: dbInstance(with(secureInstanceSpec(), "port", nil)), want: []want{{p, "default port 5432 is used"}}},
		{name: "tricky: 3306 on postgres is not postgres' default", obj: dbInstance(with(secureInstanceSpec(), "port", int64(3306)))},
		{name: "insecure: aurora-mysql cluster absent", obj: dbCluster(with(secureClusterSpec(), "engine", "aurora-mysql", "port", nil, "enableCloudwatchLogsExports", nil)), want: []want{{p, "3306"}}},
		{name: "tricky: Aurora member skips (cluster port)", obj: dbInstance(memberSpec())},
	})
}

func TestRDS013(t *testing.T) {
	const p = "spec.masterUsername"
	runKindCases(t, "RDS-013", []kindCase{
		{name: "secure", obj: dbInstance(secureInstanceSpec())},
		{name: "insecure: admin", obj: dbInstance(with(secureInstanceSpec(), "masterUsername", "admin")), action: rules.Deny, fixable: no, want: []want{{p, `masterUsername "admin" is an engine default`}}},
		{name: "insecure: postgres on a cluster", obj: dbCluster(with(secureClusterSpec(), "masterUsername", "postgres")), want: []want{{p, `"postgres"`}}},
		{name: "tricky: case-insensitive (ackguard decision)", obj: dbInstance(with(secureInstanceSpec(), "masterUsername", "Admin")), want: []want{{p, `"Admin"`}}},
		{name: "tricky: only admin and postgres are RDS defaults (AWS Config)", obj: dbInstance(with(secureInstanceSpec(), "masterUsername", "root"))},
		{name: "tricky: absent (inherited or late-initialized) passes", obj: dbInstance(with(secureInstanceSpec(), "masterUsername", nil))},
		{name: "tricky: Aurora member skips", obj: dbInstance(with(memberSpec(), "masterUsername", "admin"))},
		{name: "secure: root is not an engine default", obj: dbInstance(with(secureInstanceSpec(), "masterUsername", "root"))},
	})
}
