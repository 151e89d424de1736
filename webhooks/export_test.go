package webhooks

// The integration tests (package webhooks_test) read admission answers
// with the parity test's parsers.
var (
	RuleOfCause    = ruleOf
	RulesOfWarning = rulesOfWarning
)
