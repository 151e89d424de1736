package ackcrds

import (
	"os"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestMinimalDecodes(t *testing.T) {
	crds, err := Minimal()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) == 0 {
		t.Fatal("no minimal CRDs")
	}
	for _, c := range crds {
		if c.Spec.Group == "" || len(c.Spec.Versions) != 1 || c.Spec.Versions[0].Name != "v1alpha1" {
			t.Errorf("%s: unexpected shape", c.Name)
		}
		if c.Spec.Versions[0].Subresources == nil || c.Spec.Versions[0].Subresources.Status == nil {
			t.Errorf("%s: missing status subresource (ACK CRDs have one)", c.Name)
		}
	}
}

func TestLoadRealCRDs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	t.Setenv(EnvDir, "")
	if _, src, err := Load(); err != nil || src != "minimal test CRDs" {
		t.Fatalf("Load() without %s = %q, %v", EnvDir, src, err)
	}
}

// TestMinimalAgreesWithACK: ackguard scan checks manifests against the
// minimal CRDs as the API server checks them against ACK's: every field
// they type has that type (and format) in ACK's CRD ($ACK_CRDS_DIR), and
// where they type an object's fields they require what ACK's requires of
// it, no more and no less, so that the scan refuses exactly what the
// cluster refuses among the fields ackguard reads.
func TestMinimalAgreesWithACK(t *testing.T) {
	if os.Getenv(EnvDir) == "" {
		t.Skip(EnvDir + " not set: ACK's CRDs are not available")
	}
	minimal, err := Minimal()
	if err != nil {
		t.Fatal(err)
	}
	ack, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, c := range ack {
		byKind[c.Spec.Group+"/"+c.Spec.Names.Kind] = c
	}
	var walk func(kind, path string, m, r *apiextensionsv1.JSONSchemaProps)
	walk = func(kind, path string, m, r *apiextensionsv1.JSONSchemaProps) {
		if r == nil {
			t.Errorf("%s %s: typed %q in the minimal CRD, absent from ACK's", kind, path, m.Type)
			return
		}
		if m.Type != "" && m.Type != r.Type || m.Format != "" && m.Format != r.Format {
			t.Errorf("%s %s: %s/%s in the minimal CRD, %s/%s in ACK's", kind, path, m.Type, m.Format, r.Type, r.Format)
		}
		if len(m.Properties) > 0 && !slices.Equal(sorted(m.Required), sorted(r.Required)) {
			t.Errorf("%s %s: requires %v in the minimal CRD, %v in ACK's", kind, path, m.Required, r.Required)
		}
		for k, p := range m.Properties {
			var rp *apiextensionsv1.JSONSchemaProps
			if x, ok := r.Properties[k]; ok {
				rp = &x
			} else if r.AdditionalProperties != nil {
				rp = r.AdditionalProperties.Schema
			}
			walk(kind, path+"."+k, &p, rp)
		}
		if m.Items != nil && m.Items.Schema != nil {
			var ri *apiextensionsv1.JSONSchemaProps
			if r.Items != nil {
				ri = r.Items.Schema
			}
			walk(kind, path+"[]", m.Items.Schema, ri)
		}
		if m.AdditionalProperties != nil && m.AdditionalProperties.Schema != nil {
			var ra *apiextensionsv1.JSONSchemaProps
			if r.AdditionalProperties != nil {
				ra = r.AdditionalProperties.Schema
			}
			walk(kind, path+"{}", m.AdditionalProperties.Schema, ra)
		}
	}
	for _, c := range minimal {
		r := byKind[c.Spec.Group+"/"+c.Spec.Names.Kind]
		if r == nil {
			t.Errorf("%s: no such CRD in %s", c.Name, os.Getenv(EnvDir))
			continue
		}
		walk(c.Spec.Names.Kind, "", c.Spec.Versions[0].Schema.OpenAPIV3Schema, r.Spec.Versions[0].Schema.OpenAPIV3Schema)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
