package rules

// lambdaRules returns the Lambda rules, in catalog order. LMB-007 and
// LMB-013 are opt-in.
//
// Not shipped here: LMB-001 and LMB-002 judge the Alias kind
// (spec.permissions); LMB-012 (execution role) is built with the IAM
// rules.
func lambdaRules() []*Rule {
	return []*Rule{lmb003(), lmb004(), lmb005(), lmb006(), lmb007(), lmb008(), lmb009(), lmb010(), lmb011(), lmb013()}
}
