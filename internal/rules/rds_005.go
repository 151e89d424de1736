package rules

import "fmt"

// defaultMinBackupRetentionDays is RDS-005's minimum when the
// configuration sets none.
const defaultMinBackupRetentionDays = 7

// RDS-005: automated backups kept for at least the configured number of
// days (7 by default), judged on the cluster for Aurora members.
//
// The fix raises a retention of 1 day or more to the minimum (a change
// between non-zero values applies without an outage). It never lowers a
// value (lowering prunes existing backups) and never touches 0: turning
// backups on from 0 causes an outage (RDS docs), so 0 stays an audit
// finding. An absent field is not fixed either: the live value is unknown
// (ACK late-initializes it on a DBInstance) and writing the minimum could
// lower it.
func rds005() *Rule {
	return &Rule{
		ID:          "RDS-005",
		Title:       "Automated backups are retained for at least 7 days (configurable)",
		Severity:    Medium,
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.11", "RDS.50"},
			Config:  []string{"db-instance-backup-enabled", "rds-cluster-backup-retention-check"},
			Checkov: []string{"CKV_AWS_133"},
		},
		Check: clusterOwned(checkRDS005),
		Fixer: fixRDS005,
	}
}

func minBackupRetention(cfg Config) int64 {
	if cfg.MinBackupRetentionDays > 0 {
		return cfg.MinBackupRetentionDays
	}
	return defaultMinBackupRetentionDays
}

func checkRDS005(in *Input, db dbObject) []Finding {
	minDays := minBackupRetention(in.Config)
	brp := db.BackupRetentionPeriod
	remedy := fmt.Sprintf("set spec.backupRetentionPeriod to %d or more", minDays)
	switch {
	case brp.Err != nil:
		return []Finding{fieldErrorFinding(brp.Err)}
	case !brp.Present:
		return []Finding{{Path: brp.Path, Subject: "absent", Remedy: remedy,
			Message: fmt.Sprintf("backupRetentionPeriod is not set (AWS default: 1 day, below the minimum of %d)", minDays)}}
	case brp.Value <= 0:
		return []Finding{{Path: brp.Path, Subject: "0", Remedy: remedy + " in a maintenance window: enabling backups from 0 causes an outage, so ackguard does not patch it",
			Message: "backupRetentionPeriod is 0: automated backups are disabled"}}
	case brp.Value < minDays:
		return []Finding{{Path: brp.Path, Remedy: remedy, Fixable: true,
			Message: fmt.Sprintf("backupRetentionPeriod is %d days, below the minimum of %d", brp.Value, minDays)}}
	}
	return nil
}

func fixRDS005(m *Mutation) error {
	in := m.Input()
	db, ok := readDB(in)
	if !ok || db.Spec.Err != nil || db.member() {
		return nil
	}
	brp, minDays := db.BackupRetentionPeriod, minBackupRetention(in.Config)
	if brp.Present && brp.Err == nil && brp.Value >= 1 && brp.Value < minDays {
		return m.Set(brp.Path, minDays)
	}
	return nil
}
