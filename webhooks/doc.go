// Package webhooks is the validating admission webhook for ACK resources: a
// thin adapter that decodes the object, runs the rule engine and turns its
// findings into a structured Invalid denial (one cause per finding, so
// kubectl shows rule, field and remedy) and admission warnings.
//
// An UPDATE is judged on what it introduces: a finding the old object
// already had is a warning, so adopting or editing an existing resource never
// wedges a GitOps sync; the drift reconciler deals with it. Writes by the
// ACK controllers themselves (late initialization, adoption) are admitted
// with a warning and fixed afterwards by the reconciler.
package webhooks
