package rules

// rdsRules returns the RDS rules, in catalog order.
func rdsRules() []*Rule {
	return []*Rule{
		rds001(), rds002(), rds003(), rds004(), rds005(), rds006(), rds007(),
		rds008(), rds009(), rds010(), rds011(), rds012(), rds013(), rds014(), rds015(),
	}
}
