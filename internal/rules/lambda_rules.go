package rules

// lambdaRules returns the Lambda rules, in catalog order.
func lambdaRules() []*Rule {
	return nil
}
