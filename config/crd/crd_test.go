package crd_test

import (
	"strings"
	"testing"

	"github.com/ackguard/ackguard/config/crd"
)

// `kubectl explain guardrailexception.spec.expiresAt` says which maximum
// applies: the shortest maxDuration of the policies selecting the
// namespace, 90 days by default, not one policy's.
func TestExpiresAtNamesTheMaximumThatApplies(t *testing.T) {
	crds, err := crd.Own()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		if c.Spec.Names.Kind != "GuardrailException" {
			continue
		}
		desc := c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["expiresAt"].Description
		for _, want := range []string{"shortest exceptions.maxDuration", "select the exception's namespace", "90 days"} {
			if !strings.Contains(strings.Join(strings.Fields(desc), " "), want) {
				t.Errorf("spec.expiresAt's description does not say %q: %q", want, desc)
			}
		}
		return
	}
	t.Fatal("no GuardrailException CRD")
}
