package ackcrds

import "testing"

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
