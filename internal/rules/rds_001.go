package rules

import "github.com/ackguard/ackguard/internal/view"

// RDS-001: the database is not publicly accessible.
//
// Absent is not false: when a DBInstance has no publiclyAccessible, AWS
// decides from the subnet group (an instance in a default VPC, or in
// subnets with an internet gateway route, defaults to public) and ACK then
// late-initializes the live value into the spec. The rule therefore
// requires the explicit value false, and the fix writes it. Aurora members
// are judged too: public accessibility is set per instance, also inside a
// cluster. On a DBCluster the field applies to Multi-AZ DB clusters only
// (AWS ignores it for Aurora clusters, whose instances carry it).
func rds001() *Rule {
	return &Rule{
		ID:          "RDS-001",
		Title:       "The database is not publicly accessible (publiclyAccessible: false, set explicitly)",
		Severity:    Critical,
		Kinds:       dbKinds,
		Admission:   Deny,
		Remediation: Fix,
		References: References{
			FSBP:    []string{"RDS.2"},
			Config:  []string{"rds-instance-public-access-check"},
			Checkov: []string{"CKV_AWS_17"},
			CIS:     []string{"v5.0.0 2.2.3", "v3.0.0 2.3.3"},
		},
		Check: checkRDS001,
		Fixer: setBoolFixer(func(s view.DBSettings) view.Bool { return s.PubliclyAccessible }, false, rds001Applies),
	}
}

const rds001Remedy = "set spec.publiclyAccessible to false explicitly and reach the database through the VPC (a database that must be public needs a GuardrailException)"

// rds001Applies: every DBInstance; a DBCluster only when it is a Multi-AZ
// DB cluster.
func rds001Applies(db dbObject) bool { return db.Cluster == nil || db.Cluster.MultiAZCluster() }

func checkRDS001(in *Input) []Finding {
	db, ok := readDB(in)
	switch {
	case !ok:
		return nil
	case db.Spec.Err != nil:
		return []Finding{fieldErrorFinding(db.Spec.Err)} // reported once, here, for the RDS rules
	case !rds001Applies(db):
		return nil
	}
	absent := "AWS then decides from the subnet group and may make the database public; ACK late-initializes the live value"
	return requireBool(db.PubliclyAccessible, false, absent, true, rds001Remedy)
}
