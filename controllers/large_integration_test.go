package controllers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/view"
)

// largeBucket is a read-only Bucket whose public grantRead (a previous
// value of 12 KiB once fixed) and tags of filler bytes make it large.
func largeBucket(ns, name string, filler int) *unstructured.Unstructured {
	b := compliantBucket(ns, name)
	spec := b.Object["spec"].(map[string]any)
	spec["grantRead"] = `uri="http://acs.amazonaws.com/groups/global/AllUsers", ` + strings.Repeat("id=0123456789abcdef, ", 12<<10/21) + "id=0123456789abcdef"
	var tags []any
	for i := 0; filler > 0; i++ {
		n := min(filler, 64<<10)
		tags = append(tags, map[string]any{"key": "filler" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), "value": strings.Repeat("f", n)})
		filler -= n
	}
	spec["tagging"] = map[string]any{"tagSet": tags}
	b.SetAnnotations(map[string]string{view.AnnotationReadOnly: "true"})
	return b
}

// An object so large that the fix and its record of the previous values
// do not fit in etcd (1.5 MiB) is still fixed: the previous values are
// left to the manager's log, as those too large for the annotation are,
// rather than every patch failing for ever.
func TestFixOfAnObjectNearTheSizeLimitIsApplied(t *testing.T) {
	ns := newNamespace(t)
	// The largest filler a Bucket of this shape may hold.
	lo, hi := 1<<20, 2<<20
	for hi-lo > 256 {
		mid := (lo + hi) / 2
		probe := largeBucket(ns, "probe", mid)
		if err := cluster.Client.Create(ctx, probe); err != nil {
			hi = mid
			continue
		}
		lo = mid
		if err := cluster.Client.Delete(ctx, probe); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("largest filler %d bytes", lo)
	create(t, largeBucket(ns, "large", lo-1024))
	// ACK read-only no more: the fix is due.
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(view.BucketGVK)
	target.SetNamespace(ns)
	target.SetName("large")
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{view.AnnotationReadOnly: nil}}})
	if err := cluster.Client.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	var got *unstructured.Unstructured
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got = get(t, ns, "large")
		g, _, _ := unstructured.NestedString(got.Object, "spec", "grantRead")
		return !strings.Contains(g, "AllUsers"), nil
	}); err != nil {
		t.Fatalf("never fixed; RemediationFailed events: %q", events(t, ns, "large", controllers.ReasonRemediationFailed))
	}
	if p := previousAt(t, got, "spec.grantRead"); !p.Omitted || !p.Present {
		t.Errorf("previous grantRead = %+v, want present and omitted (kept in the log)", p)
	}
	waitEventNote(t, ns, "large", controllers.ReasonRemediated, " naming the manager's log", func(note string) bool {
		return strings.Contains(note, "manager's log")
	})
	if tags, _, _ := unstructured.NestedSlice(got.Object, "spec", "tagging", "tagSet"); len(tags) == 0 {
		t.Errorf("tags lost")
	}
}
