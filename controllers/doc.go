// Package controllers holds the drift reconciler: one generic controller per
// installed ACK kind that re-judges objects with the rule engine and patches
// violating fields back to their secure values.
//
// It never deletes anything and never writes status. A patch touches only
// the fields the fixing rules own, is a JSON merge patch guarded by the
// object's resourceVersion (a conflict means a re-read), and records the
// previous values in the ackguard.dev/remediation annotation so every fix
// can be undone. When the source of truth (a GitOps tool) keeps reverting a
// fix, the reconciler stops after a bounded number of attempts and reports
// instead of fighting.
package controllers
