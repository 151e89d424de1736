package view

import (
	"strings"
	"sync"
	"testing"
)

func TestFixedPathsAreSharedAndReadOnly(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"spec": map[string]any{
			"name":              "b",
			"publicAccessBlock": map[string]any{"blockPublicACLs": true},
			"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}}},
		},
	}
	a, b := NewBucket(obj), NewBucket(obj)

	// A fixed field's path comes from the tree: right, and the same
	// segments in every view.
	pa, pb := a.PublicAccessBlock.BlockPublicACLs.Path, b.PublicAccessBlock.BlockPublicACLs.Path
	if got := pa.String(); got != "spec.publicAccessBlock.blockPublicACLs" {
		t.Fatalf("path = %q", got)
	}
	if &pa[0] != &pb[0] {
		t.Errorf("two views built their own copy of a fixed path")
	}
	if len(pa) != cap(pa) {
		t.Errorf("a fixed path has room to grow in place (len %d, cap %d)", len(pa), cap(pa))
	}
	// Appending to it copies; the tree keeps its path.
	grown := append(pa, "x")
	grown[0] = "changed"
	if got := NewBucket(obj).PublicAccessBlock.BlockPublicACLs.Path.String(); got != "spec.publicAccessBlock.blockPublicACLs" {
		t.Errorf("after appending to a fixed path, a new view reads %q", got)
	}

	// A list element's fields get paths of their own.
	if got := a.OwnershipRules[0].ObjectOwnership.Path.String(); got != "spec.ownershipControls.rules[0].objectOwnership" {
		t.Errorf("element path = %q", got)
	}
	// A field no constructor reads gets a path built on demand.
	if got := a.Spec.Object("notAField").String("x").Path.String(); got != "spec.notAField.x" {
		t.Errorf("path of an unknown field = %q", got)
	}
}

// TestFixedPathsRecordedForEveryView checks that init recorded the fields
// each constructor reads, and that building views never adds to the tree.
func TestFixedPathsRecordedForEveryView(t *testing.T) {
	for _, want := range []string{
		"spec.policy", "spec.publicAccessBlock.restrictPublicBuckets", "spec.ownershipControls.rules",
		"spec.assumeRolePolicyDocument", "spec.publiclyAccessible", "spec.ingressRules",
	} {
		n := fixedPaths
		for _, seg := range strings.Split(want, ".") {
			n = n.kid(seg)
			if n == nil {
				t.Fatalf("the tree has no %s", want)
			}
		}
		if n.path.String() != want {
			t.Errorf("node %s has path %s", want, n.path)
		}
	}
	before := countNodes(fixedPaths)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, build := range viewConstructors {
				build(map[string]any{"spec": map[string]any{"x": map[string]any{}}})
			}
		})
	}
	wg.Wait()
	if after := countNodes(fixedPaths); after != before {
		t.Errorf("building views changed the tree: %d nodes, then %d", before, after)
	}
}

func countNodes(n *pathNode) int {
	c := 1
	for _, k := range n.few {
		c += countNodes(k)
	}
	return c
}
