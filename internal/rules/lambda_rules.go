package rules

// lambdaRules returns the Lambda rules, in catalog order.
//
// Not shipped here: LMB-007 and
// LMB-013 are opt-in (off by default) and the Rule type has no opt-in
// switch yet; LMB-008 needs the subnets' Availability Zones (a lookup of
// other objects); LMB-012 (execution role) is built with the IAM rules.
func lambdaRules() []*Rule {
	return []*Rule{lmb001(), lmb002(), lmb003(), lmb004(), lmb005(), lmb006(), lmb009(), lmb010(), lmb011()}
}
