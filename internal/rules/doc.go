// Package rules is ackguard's rule engine: a registry of rules, each a pure
// function from an ACK object to findings, and, where the rule catalog
// allows it, a pure fix that computes the minimal change.
//
// The engine does no I/O and keeps no global state: the webhook, the drift
// reconciler and the scan command build a Registry with Default(), pass the
// decoded object and a Config, and act on the Result. Rules are built
// explicitly (no init() registration), carry stable IDs (S3-001, POL-001,
// ...) and the public control IDs they map to.
package rules
