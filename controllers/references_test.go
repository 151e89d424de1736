package controllers

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func TestReferencedNames(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"namespace": "team"},
		"spec": map[string]any{
			"policyRefs": []any{
				map[string]any{"from": map[string]any{"name": "a"}},
				map[string]any{"from": map[string]any{"name": "b", "namespace": "shared"}},
				map[string]any{"from": map[string]any{}},
				"garbage",
			},
			"roleRef": map[string]any{"from": map[string]any{"name": "exec"}},
		},
	}}
	got := referencedNames(obj, []string{"spec", "policyRefs"})
	want := []types.NamespacedName{{Namespace: "team", Name: "a"}, {Namespace: "shared", Name: "b"}}
	if !slices.Equal(got, want) {
		t.Errorf("policyRefs = %v, want %v", got, want)
	}
	if got := referencedNames(obj, []string{"spec", "roleRef"}); !slices.Equal(got, []types.NamespacedName{{Namespace: "team", Name: "exec"}}) {
		t.Errorf("roleRef = %v", got)
	}
	byName := Reference{Path: []string{"spec", "dbParameterGroupRef"}, NamePath: []string{"spec", "dbParameterGroupName"}}
	obj.Object["spec"].(map[string]any)["dbParameterGroupName"] = "pg"
	if got := byName.targets(obj); !slices.Equal(got, []types.NamespacedName{{Namespace: "team", Name: "pg"}}) {
		t.Errorf("dbParameterGroupName = %v", got)
	}
	if got := referencedNames(obj, []string{"spec", "missing"}); got != nil {
		t.Errorf("missing = %v", got)
	}
}

func TestReferencesThatMatchByContent(t *testing.T) {
	obj := func(kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": kind,
			"metadata": map[string]any{"namespace": ns, "name": name}, "spec": spec,
		}}
	}
	find := func(from, to string) []Reference {
		var out []Reference
		for _, r := range ACKReferences() {
			if r.From.Kind == from && r.To.Kind == to {
				out = append(out, r)
			}
		}
		return out
	}
	depends := func(refs []Reference, from, to *unstructured.Unstructured) bool {
		for _, r := range refs {
			if r.dependsOn(from, to) {
				return true
			}
		}
		return false
	}
	pol := obj("Policy", "team", "boundary", map[string]any{"name": "dev-boundary"})
	boundaryUser := obj("User", "team", "u", map[string]any{"permissionsBoundary": "arn:aws:iam::111122223333:policy/dev-boundary"})
	grantRole := obj("Role", "other", "r", map[string]any{"policyRefs": []any{map[string]any{"from": map[string]any{"name": "boundary", "namespace": "team"}}}})
	unrelated := obj("Role", "team", "x", map[string]any{"permissionsBoundary": "arn:aws:iam::111122223333:policy/other"})
	if !depends(find("Policy", "User"), pol, boundaryUser) || !depends(find("Policy", "Role"), pol, grantRole) || depends(find("Policy", "Role"), pol, unrelated) {
		t.Error("Policy dependencies on the identities that use it are wrong")
	}
	// An identity attaching a Policy by its ARN depends on it, as one
	// attaching it by policyRefs does.
	attaching := obj("Role", "team", "a", map[string]any{"policies": []any{"arn:aws:iam::111122223333:policy/dev-boundary"}})
	if !depends(find("Role", "Policy"), attaching, pol) || depends(find("Role", "Policy"), unrelated, pol) {
		t.Error("a Role's dependency on the Policy its spec.policies names is wrong")
	}
	fn := obj("Function", "team", "f", map[string]any{"role": "arn:aws:iam::111122223333:role/ExecRole"})
	role := obj("Role", "team", "exec-role", map[string]any{"name": "ExecRole"})
	other := obj("Role", "team", "execrole", map[string]any{"name": "Other"})
	if !depends(find("Function", "Role"), fn, role) || depends(find("Function", "Role"), fn, other) {
		t.Error("Function dependency on the Role its ARN names is wrong")
	}
}
