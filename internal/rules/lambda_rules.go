package rules

// lambdaRules returns the Lambda rules, in catalog order. LMB-007 and
// LMB-013 are opt-in; LMB-012 (execution role) is built with the IAM rules.
func lambdaRules() []*Rule {
	return []*Rule{lmb001(), lmb002(), lmb003(), lmb004(), lmb005(), lmb006(), lmb007(), lmb008(), lmb009(), lmb010(), lmb011(), lmb013()}
}
