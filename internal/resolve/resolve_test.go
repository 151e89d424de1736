package resolve_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

func TestRestrict(t *testing.T) {
	obj := func(gvk schema.GroupVersionKind, name string) map[string]any {
		return map[string]any{"apiVersion": gvk.GroupVersion().String(), "kind": gvk.Kind, "metadata": map[string]any{"name": name, "namespace": "team-a"}}
	}
	inner := resolve.Objects([]map[string]any{obj(view.RoleGVK, "app"), obj(view.SubnetGVK, "private-a")})
	r := resolve.Restrict(inner, func(gk schema.GroupKind) bool { return gk == view.RoleGVK.GroupKind() })
	// secure: an allowed kind reads through.
	if o, found, err := r.Get(view.RoleGVK, "team-a", "app"); err != nil || !found || o == nil {
		t.Errorf("Role: %v, %v, %v", o, found, err)
	}
	if _, found, err := r.Get(view.RoleGVK, "team-a", "gone"); err != nil || found {
		t.Errorf("missing Role: found %v, %v", found, err)
	}
	// insecure: another kind never reaches the inner resolver, even when
	// it holds the object.
	_, found, err := r.Get(view.SubnetGVK, "team-a", "private-a")
	if err == nil || found || !strings.Contains(err.Error(), "does not read Subnet objects") {
		t.Errorf("Subnet: found %v, err %v", found, err)
	}
}

func TestInstalled(t *testing.T) {
	obj := func(gvk schema.GroupVersionKind, name string) map[string]any {
		return map[string]any{"apiVersion": gvk.GroupVersion().String(), "kind": gvk.Kind, "metadata": map[string]any{"name": name, "namespace": "team-a"}}
	}
	inner := resolve.Objects([]map[string]any{obj(view.RoleGVK, "app"), obj(view.SubnetGVK, "private-a")})
	r := resolve.Installed(inner, func(gvk schema.GroupVersionKind) bool { return gvk == view.RoleGVK })
	// secure: a kind served reads through, by name and by listing.
	if o, found, err := r.Get(view.RoleGVK, "team-a", "app"); err != nil || !found || o == nil {
		t.Errorf("Role: %v, %v, %v", o, found, err)
	}
	if l, err := r.(rules.Lister).List(view.RoleGVK); err != nil || len(l) != 1 {
		t.Errorf("Roles: %v, %v", l, err)
	}
	// insecure: a kind not served now fails as a kind never installed,
	// even when the inner resolver holds its object.
	_, found, err := r.Get(view.SubnetGVK, "team-a", "private-a")
	if err == nil || found || err.Error() != "the Subnet kind is not installed" {
		t.Errorf("Subnet: found %v, err %v", found, err)
	}
	if l, err := r.(rules.Lister).List(view.SubnetGVK); err == nil || l != nil || err.Error() != "the Subnet kind is not installed" {
		t.Errorf("Subnets: %v, %v", l, err)
	}
}
