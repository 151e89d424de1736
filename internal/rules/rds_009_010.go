package rules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// RDS-009: a standalone DB instance is Multi-AZ. Aurora members are
// skipped (availability comes from the cluster's replicas), and so is the
// DBCluster: an Aurora cluster's AZ spread depends on its member
// instances, which one object does not show, and a Multi-AZ DB cluster is
// Multi-AZ by construction.
func rds009() *Rule {
	return &Rule{
		ID:          "RDS-009",
		Title:       "The DB instance is Multi-AZ",
		Severity:    Medium,
		Kinds:       []schema.GroupKind{dbInstanceKind},
		Admission:   Warn,
		Remediation: Audit, // cost and a failover
		References: References{
			FSBP:    []string{"RDS.5", "RDS.15"},
			Config:  []string{"rds-multi-az-support", "rds-cluster-multi-az-enabled"},
			Checkov: []string{"CKV_AWS_157"},
			CIS:     []string{"v5.0.0 2.2.4"},
		},
		Check: clusterOwned(func(_ *Input, db dbObject) []Finding {
			return requireBool(db.Instance.MultiAZ, true, "AWS default: a single Availability Zone", false, "set spec.multiAZ to true")
		}),
	}
}

// RDS-010: enhanced monitoring on (monitoringInterval > 0 with a
// monitoring role). It is set per instance, also on Aurora members; RDS
// Custom instances have no Enhanced Monitoring and are not judged.
func rds010() *Rule {
	return &Rule{
		ID:          "RDS-010",
		Title:       "Enhanced monitoring is enabled",
		Severity:    Low,
		Kinds:       []schema.GroupKind{dbInstanceKind},
		Admission:   Warn,
		Remediation: Audit, // needs a monitoring role
		References: References{
			FSBP:    []string{"RDS.6"},
			Config:  []string{"rds-enhanced-monitoring-enabled"},
			Checkov: []string{"CKV_AWS_118"},
		},
		Check: checkRDS010,
	}
}

func checkRDS010(in *Input) []Finding {
	db, ok := readDB(in)
	if !ok || db.Spec.Err != nil || rdsCustom(db) {
		return nil
	}
	mi := db.MonitoringInterval
	const remedy = "set spec.monitoringInterval (1, 5, 10, 15, 30 or 60 seconds) and spec.monitoringRoleARN or spec.monitoringRoleRef"
	switch {
	case mi.Err != nil:
		return []Finding{fieldErrorFinding(mi.Err)}
	case !mi.Present || mi.Value <= 0:
		return []Finding{{Path: mi.Path, Message: "enhanced monitoring is off (monitoringInterval is not set or 0)", Remedy: remedy}}
	}
	if db.MonitoringRoleARN.Err != nil {
		return []Finding{fieldErrorFinding(db.MonitoringRoleARN.Err)}
	}
	if !db.MonitoringRoleARN.NonEmpty() && !db.MonitoringRoleRef.Present {
		return []Finding{{Path: db.MonitoringRoleARN.Path, Message: fmt.Sprintf("monitoringInterval is %d but no monitoring role is set", mi.Value), Remedy: remedy}}
	}
	return nil
}
