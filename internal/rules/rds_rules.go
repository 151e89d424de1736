package rules

// rdsRules returns the RDS rules, in catalog order.
func rdsRules() []*Rule {
	return nil
}
