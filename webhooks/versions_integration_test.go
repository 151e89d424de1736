package webhooks_test

import (
	"context"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The webhook is registered for v1alpha1, the one version ACK serves, with
// matchPolicy Equivalent: should a CRD serve another version beside it, a
// write through that version reaches the webhook too (converted to
// v1alpha1, which the engine reads) instead of going around it.
func TestWriteThroughAnotherServedVersionIsJudged(t *testing.T) {
	ns := newNamespace(t)
	const name = "functionurlconfigs.lambda.services.k8s.aws"
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != "v1alpha1" {
		t.Fatalf("%s serves %v, want v1alpha1 alone", name, crd.Spec.Versions)
	}
	served := crd.Spec.Versions[0]
	beta := *served.DeepCopy()
	beta.Name, beta.Storage = "v1beta1", false
	crd.Spec.Versions = append(crd.Spec.Versions, beta)
	if err := cluster.Client.Update(ctx, crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := cluster.Client.Get(context.Background(), client.ObjectKey{Name: name}, crd); err != nil {
			t.Error(err)
			return
		}
		crd.Spec.Versions = []apiextensionsv1.CustomResourceDefinitionVersion{served}
		if err := cluster.Client.Update(context.Background(), crd); err != nil {
			t.Error(err)
		}
	})

	public := ackObject("lambda.services.k8s.aws", "FunctionURLConfig", ns, "public", map[string]any{
		"functionName": "orders", "authType": "NONE",
	})
	public.SetAPIVersion("lambda.services.k8s.aws/v1beta1")
	var last error
	// Until the API server serves v1beta1, the create fails as not found.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = cluster.Client.Create(ctx, public.DeepCopy(), client.DryRunAll)
		return apierrors.IsInvalid(last), nil
	})
	if err != nil {
		t.Fatalf("a FunctionURLConfig without authentication written as v1beta1: %v, want LMB-003's denial", last)
	}
	if cs := causes(t, last); !hasCause(cs, "spec.authType", "LMB-003") {
		t.Errorf("causes %v, want LMB-003 on spec.authType", cs)
	}
}
