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
