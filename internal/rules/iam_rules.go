package rules

// iamRules returns the shared POL- rules beyond POL-001, the IAM rules and
// LMB-012 (which judges a Function's execution Role with the IAM rules),
// in catalog order. IAM-017 and IAM-018 are opt-in.
func iamRules() []*Rule {
	return []*Rule{
		pol002(), pol003(), pol004(), pol005(),
		iam001(), iam002(), iam003(), iam004(), iam005(), iam006(), iam007(), iam008(), iam009(),
		iam010(), iam011(), iam012(), iam013(), iam014(), iam015(), iam016(), iam017(), iam018(), iam019(),
		lmb012(),
	}
}
