package rules

// rdsRules returns the RDS rules, in catalog order.
//
// Not shipped: RDS-014 (TLS enforced by the parameter group) needs the
// DBParameterGroup/DBClusterParameterGroup joined through
// dbParameterGroupName/Ref, and RDS-015 judges the DBProxy kind; neither
// is checkable from a DBInstance or DBCluster alone.
func rdsRules() []*Rule {
	return []*Rule{
		rds001(), rds002(), rds003(), rds004(), rds005(), rds006(), rds007(),
		rds008(), rds009(), rds010(), rds011(), rds012(), rds013(),
	}
}
