package rules

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/view"
)

// requiredLogExports are the CloudWatch log types each engine family must
// export (rule catalog RDS-008; Security Hub RDS.9, RDS.34, RDS.36, RDS.37,
// RDS.40, RDS.42).
var requiredLogExports = map[string][]string{
	"oracle":            {"alert", "audit", "trace", "listener"},
	"postgres":          {"postgresql", "upgrade"},
	"mysql":             {"audit", "error", "general", "slowquery"},
	"mariadb":           {"audit", "error", "general", "slowquery"},
	"sqlserver":         {"error", "agent"},
	"aurora-mysql":      {"audit", "error", "general", "slowquery"},
	"aurora-postgresql": {"postgresql"},
}

// sqlServerExpressLogExports are the log types of SQL Server Express
// Edition: it has no SQL Server Agent (RDS User Guide, "Using SQL Server
// Agent for Amazon RDS": Enterprise, Standard and Web Editions), so it
// writes no agent log to export.
var sqlServerExpressLogExports = []string{"error"}

// requiredClusterLogExports are the log types of Multi-AZ DB clusters:
// PostgreSQL exports the same types as an instance (postgresql, upgrade);
// MySQL has no audit log to export (CreateDBCluster:
// EnableCloudwatchLogsExports).
var requiredClusterLogExports = map[string][]string{
	"postgres": {"postgresql", "upgrade"},
	"mysql":    {"error", "general", "slowquery"},
}

// RDS-008: engine logs exported to CloudWatch Logs (cluster-owned for
// Aurora members). Engines outside the catalog's list are not judged. The
// fix, adding the missing log types, is opt-in (catalog: "PATCH add the
// missing engine log types (opt-in)").
func rds008() *Rule {
	return &Rule{
		ID:          "RDS-008",
		Title:       "Database engine logs are exported to CloudWatch Logs",
		Severity:    Medium,
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Audit, // cost; MySQL/MariaDB audit logs also need an option group
		References: References{
			FSBP:    []string{"RDS.9", "RDS.34", "RDS.36", "RDS.37", "RDS.40", "RDS.42"},
			Config:  []string{"rds-logging-enabled", "rds-aurora-mysql-audit-logging-enabled", "rds-aurora-postgresql-logs-to-cloudwatch", "rds-postgresql-logs-to-cloudwatch", "rds-sql-server-logs-to-cloudwatch", "mariadb-publish-logs-to-cloudwatch-logs"},
			Checkov: []string{"CKV_AWS_129", "CKV_AWS_324", "CKV_AWS_325", "CKV2_AWS_27", "CKV2_AWS_30"},
		},
		Check: clusterOwned(checkRDS008),
		Fixer: fixRDS008,
	}
}

func checkRDS008(_ *Input, db dbObject) []Finding {
	var out []Finding
	if e := logExportsErr(db); e != nil {
		return []Finding{fieldErrorFinding(e)}
	}
	required := requiredLogTypes(db)
	if len(required) == 0 {
		return nil // an engine outside the catalog's list
	}
	// The fix leaves a list with an element it cannot read to its owner.
	fixable := true
	for _, l := range db.LogExports {
		if l.Err != nil {
			out = append(out, fieldErrorFinding(l.Err))
			fixable = false
		}
	}
	if missing := missingLogExports(db, required); len(missing) > 0 {
		out = append(out, Finding{
			Path:    db.LogExportsPath,
			Message: fmt.Sprintf("%s logs are not exported to CloudWatch Logs: %s", db.EngineName(), strings.Join(missing, ", ")),
			Remedy:  "add " + strings.Join(missing, ", ") + " to spec.enableCloudwatchLogsExports",
			Subject: strings.Join(missing, ","),
			Fixable: fixable,
		})
	}
	return out
}

// logExportsErr is the error reading spec.enableCloudwatchLogsExports
// itself (not a list), nil when it reads.
func logExportsErr(db dbObject) *view.FieldError {
	for _, e := range db.Errors {
		if e.Path.Equal(db.LogExportsPath) {
			return e
		}
	}
	return nil
}

// missingLogExports returns the log types of required that
// spec.enableCloudwatchLogsExports does not list, in the catalog's order.
func missingLogExports(db dbObject, required []string) []string {
	have := map[string]bool{}
	for _, l := range db.LogExports {
		if l.Err == nil {
			have[strings.ToLower(strings.TrimSpace(l.Value))] = true
		}
	}
	var missing []string
	for _, r := range required {
		if !have[r] {
			missing = append(missing, r)
		}
	}
	return missing
}

// requiredLogTypes are the log types the object's engine must export.
// RDS Custom engines (custom-oracle-*, custom-sqlserver-*) export none:
// EnableCloudwatchLogsExports does not apply to them, so they are not
// judged and never fixed.
func requiredLogTypes(db dbObject) []string {
	if rdsCustom(db) {
		return nil
	}
	family := engineFamily(db.EngineName())
	if db.Cluster != nil && db.Cluster.MultiAZCluster() {
		return requiredClusterLogExports[family]
	}
	if db.EngineName() == "sqlserver-ex" {
		return sqlServerExpressLogExports
	}
	return requiredLogExports[family]
}

// fixRDS008 (opt-in: each log type exported costs, and MySQL and MariaDB
// write audit logs only with their audit plugin in an option group or
// parameter group) adds the missing log types to
// spec.enableCloudwatchLogsExports, keeping those listed. A list it cannot
// read is left to its owner.
func fixRDS008(m *Mutation) error {
	db, ok := readDB(m.Input())
	if !ok || db.Spec.Err != nil || db.member() || logExportsErr(db) != nil {
		return nil
	}
	missing := missingLogExports(db, requiredLogTypes(db))
	if len(missing) == 0 {
		return nil
	}
	list := make([]any, 0, len(db.LogExports)+len(missing))
	for _, l := range db.LogExports {
		if l.Err != nil {
			return nil
		}
		list = append(list, l.Value)
	}
	for _, t := range missing {
		list = append(list, t)
	}
	return m.Set(db.LogExportsPath, list)
}
