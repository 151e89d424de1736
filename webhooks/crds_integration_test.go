package webhooks_test

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// gadgetCRD is a CRD of the tests' own, which no rule reads: deleting it
// changes nothing for the other tests.
func gadgetCRD(plural string) *apiextensionsv1.CustomResourceDefinition {
	kind := strings.ToUpper(plural[:1]) + strings.TrimSuffix(plural[1:], "s")
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".localcluster.test"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "localcluster.test",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind, ListKind: kind + "List"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
}

// heldCRD installs a CRD of the tests' own and creates an instance of it
// with a finalizer nothing here removes, as ACK puts its own on the
// resources it manages.
func heldCRD(t *testing.T, plural string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	ns := newNamespace(t) // first: it starts the suite's cluster
	crd := gadgetCRD(plural)
	if err := cluster.InstallCRD(ctx, crd); err != nil {
		t.Fatal(err)
	}
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": crd.Spec.Group + "/v1", "kind": crd.Spec.Names.Kind,
		"metadata": map[string]any{"name": "held", "namespace": ns, "finalizers": []any{"finalizers." + crd.Spec.Group + "/" + crd.Spec.Names.Kind}},
	}}
	if err := cluster.Client.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	return crd
}

// An instance with a finalizer nobody removes holds its CRD's deletion
// forever: UninstallCRD removes the finalizers of the instances being
// deleted, the CRD goes, and it can be installed again.
func TestUninstallCRDReleasesInstancesHeldByFinalizers(t *testing.T) {
	crd := heldCRD(t, "gadgets")
	again, err := cluster.UninstallCRD(ctx, crd.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.InstallCRD(ctx, again); err != nil {
		t.Fatalf("installing the CRD again: %v", err)
	}
	if err := cluster.Client.Delete(ctx, again); err != nil {
		t.Fatal(err)
	}
}

// InstallCRD of a CRD whose earlier self is still being deleted (held by
// an instance) waits until it is gone, and installs it, rather than
// finding it there.
func TestInstallCRDWaitsForTheDeletedCRD(t *testing.T) {
	crd := heldCRD(t, "widgets")
	if err := cluster.Client.Delete(ctx, crd.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	if err := cluster.InstallCRD(ctx, crd); err != nil {
		t.Fatalf("installing the CRD again while the deleted one is held: %v", err)
	}
	got := &apiextensionsv1.CustomResourceDefinition{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: crd.Name}, got); err != nil {
		t.Fatal(err)
	}
	if got.DeletionTimestamp != nil {
		t.Fatalf("the CRD installed again is the one being deleted")
	}
	if err := cluster.Client.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
}
