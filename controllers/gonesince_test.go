package controllers

import (
	"context"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// emptyCache holds no object.
type emptyCache struct{ cache.Cache }

func (emptyCache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(obj.GetObjectKind().GroupVersionKind().GroupVersion().WithResource("").GroupResource(), key.Name)
}

// TestAnObjectOnlyItsStatusKnewIsAskedAboutAfterARestart: a resource no
// policy selects has no result and no gauge, but the account its status
// names is an owner account. Deleted while its kind's reconciler restarts,
// the next reconciler must still ask about it, or the account stays an
// owner account (IAM-011 and S3-007 then admit it) until the manager
// restarts.
func TestAnObjectOnlyItsStatusKnewIsAskedAboutAfterARestart(t *testing.T) {
	snap := govsource.NewSnapshot(rules.Default(), governance.Defaults{})
	gone := types.NamespacedName{Namespace: "team-a", Name: "gone"}
	status := map[string]any{"status": map[string]any{"ackResourceMetadata": map[string]any{"ownerAccountID": "444455556666"}}}
	snap.ObserveStatus(view.BucketGVK, gone, status)
	snap.ObserveStatus(view.RoleGVK, types.NamespacedName{Namespace: "team-a", Name: "other-kind"}, status)

	r := &DriftReconciler{GVK: view.BucketGVK, Governance: &govsource.Source{Snapshot: snap}, cache: &scopedCache{Cache: emptyCache{}}}
	var got []types.NamespacedName
	for _, req := range r.goneSince(context.Background()) {
		got = append(got, req.NamespacedName)
	}
	if !slices.Equal(got, []types.NamespacedName{gone}) {
		t.Fatalf("after a restart the reconciler asks about %v; want %v, the Bucket whose status named an owner account", got, gone)
	}
}
