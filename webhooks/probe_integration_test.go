package webhooks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/probe"
)

// The check `helm test` runs (ackguard check-webhook) passes where the
// webhook judges Buckets and fails, saying why, where it does not.
func TestCheckWebhookProbe(t *testing.T) {
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	denial, err := probe.Denies(ctx, c, ns)
	if err != nil {
		t.Fatalf("in a guarded namespace: %v", err)
	}
	if !strings.Contains(denial, "spec.acl: Forbidden: "+probe.Rule) {
		t.Errorf("denial %q", denial)
	}
	// kube-system is never sent to the webhook.
	if _, err := probe.Denies(ctx, c, "kube-system"); !errors.Is(err, probe.ErrAdmitted) {
		t.Errorf("in kube-system: %v, want %v", err, probe.ErrAdmitted)
	}
}
