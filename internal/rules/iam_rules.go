package rules

// iamRules returns the IAM and the shared POL- rules beyond POL-001 (issue: IAM least privilege) rules, in catalog order.
func iamRules() []*Rule {
	return nil
}
