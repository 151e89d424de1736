// Package probe checks, against a running cluster, that ackguard's
// webhook judges guarded writes: it asks the API server to create an
// insecure Bucket as a server-side dry run (nothing is stored, and nothing
// reaches AWS) and expects ackguard's denial. `helm test` and admins run it
// as `ackguard check-webhook`.
package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/view"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

// Rule is the rule the probe's Bucket breaks (a public-read ACL), and
// Name its name.
const (
	Rule = "S3-004"
	Name = "ackguard-check-webhook"
)

// Bucket is the insecure Bucket the probe dry-runs in namespace.
func Bucket(namespace string) *unstructured.Unstructured {
	b := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"name": Name, "acl": "public-read"},
	}}
	b.SetGroupVersionKind(view.BucketGVK)
	b.SetNamespace(namespace)
	b.SetName(Name)
	return b
}

// ErrAdmitted is returned when the API server admitted the insecure Bucket.
var ErrAdmitted = errors.New("the API server admitted a public-read Bucket: is ackguard's webhook configuration installed, and the namespace not excluded from it?")

// Denies dry-runs the probe's Bucket in namespace through c. It returns
// ackguard's denial when ackguard denied it (with Rule on spec.acl, or,
// where a policy in force does not deny Rule, with another rule: the
// webhook judged the write all the same), and otherwise says what
// happened instead: admitted, the webhook not answering, or any other
// failure (ACK's S3 CRD not installed, no permission).
func Denies(ctx context.Context, c client.Client, namespace string) (string, error) {
	return verdict(c.Create(ctx, Bucket(namespace), client.DryRunAll))
}

// verdict reads the API server's answer to the probe's dry run.
func verdict(err error) (string, error) {
	switch {
	case err == nil:
		return "", ErrAdmitted
	case meta.IsNoMatchError(err):
		return "", fmt.Errorf("ACK's S3 CRD (buckets.s3.services.k8s.aws) is not installed: %w", err)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed calling webhook"):
		return "", fmt.Errorf("the API server could not call ackguard's webhook: %w", err)
	case strings.Contains(msg, "spec.acl: Forbidden: "+Rule+":"):
		return msg, nil
	case strings.Contains(msg, `admission webhook "`+webhookconfig.WebhookName+`" denied the request`):
		return msg + "\n(" + Rule + " is not among the causes: a GuardrailPolicy in force here does not deny it)", nil
	}
	return "", fmt.Errorf("the dry run failed, but not by ackguard's denial: %w", err)
}
