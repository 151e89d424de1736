// Package governance decides, for one ACK object, what each rule's
// findings lead to: which GuardrailPolicies select the object, the
// strictest action per rule across them, and which GuardrailExceptions
// exempt it. It is pure — no client, no clock, no globals: the webhook,
// the reconciler and `scan` pass in the policies, the exceptions, the
// namespace's labels and the time, so all three judge alike.
//
// Actions have two dimensions: admission (deny, warn or nothing) and drift
// (fix or report). When several policies select one object, each
// dimension takes the strictest value any of them sets for the rule, and
// the result names the policy that set it. With no GuardrailPolicy at all
// the engine applies the built-in baseline: the catalog's defaults.
//
// Opt-in rules (rules.Rule.OnByDefault false) run only under a policy that
// lists them with an action other than Disabled; a policy's default action
// never reaches them, and a rule no selecting policy switches on is not
// evaluated at all.
package governance
