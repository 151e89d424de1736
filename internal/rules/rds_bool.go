package rules

import "github.com/ackguard/ackguard/internal/view"

// boolSetting describes an RDS rule that requires one boolean setting to
// be true and whose fix writes true (RDS-004, RDS-006, RDS-007, RDS-011).
type boolSetting struct {
	field func(view.DBSettings) view.Bool
	// applies says whether the object owns the setting (for example not
	// on an Aurora member when the cluster owns it).
	applies func(dbObject) bool
	// absentIs is the AWS default when the field is absent, phrased for
	// the message; "" when the default is the secure value.
	absentIs string
	remedy   string
	// clusterSeverity, when set, is the severity of findings on a
	// DBCluster (Security Hub rates the cluster control differently).
	clusterSeverity Severity
}

func (s boolSetting) check(in *Input) []Finding {
	db, ok := readDB(in)
	if !ok || db.Spec.Err != nil || !s.applies(db) {
		return nil
	}
	out := requireBool(s.field(db.DBSettings), true, s.absentIs, true, s.remedy)
	if db.Cluster != nil && s.clusterSeverity != "" {
		for i := range out {
			out[i].Severity = s.clusterSeverity
		}
	}
	return out
}

func (s boolSetting) fixer() func(*Mutation) error {
	return setBoolFixer(s.field, true, s.applies)
}

// RDS-004: deletion protection on (cluster-owned for Aurora members).
func rds004() *Rule {
	s := boolSetting{
		field:           func(d view.DBSettings) view.Bool { return d.DeletionProtection },
		applies:         notMember,
		absentIs:        "AWS default: off",
		remedy:          "set spec.deletionProtection to true (deleting the resource then fails in AWS until it is set back to false)",
		clusterSeverity: Medium,
	}
	return &Rule{
		ID:          "RDS-004",
		Title:       "Deletion protection is on",
		Severity:    Low, // RDS.8 (instance); RDS.7 (cluster) is Medium
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.8", "RDS.7"},
			Config:  []string{"rds-instance-deletion-protection-enabled", "rds-cluster-deletion-protection-enabled"},
			Checkov: []string{"CKV_AWS_293", "CKV_AWS_139"},
		},
		Check: s.check,
		Fixer: s.fixer(),
	}
}

// RDS-006: automatic minor version upgrades. Absent passes: AWS enables
// them by default (and ACK late-initializes the DBInstance field). The
// setting is per instance, also inside a cluster, and on every DBCluster:
// Aurora and Multi-AZ DB clusters both take it (CreateDBCluster
// AutoMinorVersionUpgrade, "Valid for Cluster Type: Aurora DB clusters and
// Multi-AZ DB cluster"), and an Aurora cluster set to false turns it off
// for all its instances, so AWS upgrades none of them (Aurora User Guide,
// "Automatic minor version upgrades for Aurora DB clusters"). RDS Custom
// instances must keep it off (AWS refuses to enable it there), so they are
// neither judged nor fixed.
func rds006() *Rule {
	s := boolSetting{
		field: func(d view.DBSettings) view.Bool { return d.AutoMinorVersionUpgrade },
		applies: func(db dbObject) bool {
			return !rdsCustom(db)
		},
		remedy:          "set spec.autoMinorVersionUpgrade to true",
		clusterSeverity: Medium,
	}
	return &Rule{
		ID:          "RDS-006",
		Title:       "Automatic minor version upgrade is enabled",
		Severity:    High, // RDS.13 (instance); RDS.35 (Multi-AZ cluster) is Medium
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.13", "RDS.35"},
			Config:  []string{"rds-automatic-minor-version-upgrade-enabled", "rds-cluster-auto-minor-version-upgrade-enable"},
			Checkov: []string{"CKV_AWS_226"},
			CIS:     []string{"v5.0.0 2.2.2", "v3.0.0 2.3.2"},
		},
		Check: s.check,
		Fixer: s.fixer(),
	}
}

// iamAuthEngines are the engine families that support IAM database
// authentication; on others the field is not applicable (AWS rejects it).
var iamAuthEngines = map[string]bool{"mysql": true, "mariadb": true, "postgres": true, "aurora-mysql": true, "aurora-postgresql": true}

// supportsIAMAuth reports whether the object's engine supports IAM
// database authentication. RDS for MariaDB supports it from 10.11 only
// (RDS User Guide, "Supported Regions and DB engines for IAM database
// authentication": 10.4, 10.5 and 10.6 are "Not available"), so a known
// earlier version is not judged; an absent version is (RDS creates a
// current one).
func supportsIAMAuth(db dbObject) bool {
	family := engineFamily(db.EngineName())
	if !iamAuthEngines[family] {
		return false
	}
	if family == "mariadb" && db.EngineVersion.Err == nil {
		if v := parseVersion(db.EngineVersion.Value); v.known && !v.atLeast(10, 11) {
			return false
		}
	}
	return true
}

// RDS-007: IAM database authentication enabled (cluster-owned for Aurora
// members). Only engines (and MariaDB versions) that support it are judged
// and fixed: AWS refuses to enable it elsewhere.
func rds007() *Rule {
	s := boolSetting{
		field: func(d view.DBSettings) view.Bool { return d.EnableIAMDatabaseAuthentication },
		applies: func(db dbObject) bool {
			return notMember(db) && supportsIAMAuth(db)
		},
		absentIs: "AWS default: off",
		remedy:   "set spec.enableIAMDatabaseAuthentication to true (password authentication keeps working)",
	}
	return &Rule{
		ID:          "RDS-007",
		Title:       "IAM database authentication is enabled",
		Severity:    Medium,
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.10", "RDS.12"},
			Config:  []string{"rds-instance-iam-authentication-enabled", "rds-cluster-iam-authentication-enabled"},
			Checkov: []string{"CKV_AWS_161", "CKV_AWS_162"},
		},
		Check: s.check,
		Fixer: s.fixer(),
	}
}

// RDS-011: tags copied to snapshots (cluster-owned for Aurora members).
func rds011() *Rule {
	s := boolSetting{
		field:    func(d view.DBSettings) view.Bool { return d.CopyTagsToSnapshot },
		applies:  notMember,
		absentIs: "AWS default: off",
		remedy:   "set spec.copyTagsToSnapshot to true",
	}
	return &Rule{
		ID:          "RDS-011",
		Title:       "Tags are copied to snapshots",
		Severity:    Low,
		Kinds:       dbKinds,
		Admission:   Warn,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.17", "RDS.16", "RDS.47", "RDS.48"},
			Config:  []string{"rds-instance-copy-tags-to-snapshots-enabled", "rds-cluster-copy-tags-to-snapshots-enabled", "rds-pgsql-cluster-copy-tags-to-snapshot-check", "rds-mysql-cluster-copy-tags-to-snapshot-check"},
			Checkov: []string{"CKV2_AWS_60", "CKV_AWS_313"},
		},
		Check: s.check,
		Fixer: s.fixer(),
	}
}
