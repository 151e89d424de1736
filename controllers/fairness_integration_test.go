package controllers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/view"
)

// createConcurrently creates the objects with a few writers at once.
func createConcurrently(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(objs))
	work := make(chan *unstructured.Unstructured)
	for range 8 {
		wg.Go(func() {
			for o := range work {
				if err := cluster.Client.Create(ctx, o); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// unfixed counts the Buckets of a namespace without Block Public Access.
func unfixed(t *testing.T, ns string) int {
	t.Helper()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(view.BucketGVK.GroupVersion().WithKind("BucketList"))
	if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range list.Items {
		if !hasBlockPublicAccess(&list.Items[i]) {
			n++
		}
	}
	return n
}

// Under a mass violation in one namespace (fixes bounded by
// --max-patches-per-second), another namespace's violation is fixed while
// the backlog still drains, and then the backlog converges.
func TestAnotherNamespaceIsNotStarvedByAMassViolation(t *testing.T) {
	suite.Start(t)
	n := 12 * patchesPerSecond // 12 s of fixes
	big, small := newNamespace(t), newNamespace(t)
	removeBucketsAfter(t, big, small)
	objs := make([]*unstructured.Unstructured, n)
	for i := range objs {
		objs[i] = openBucket(big, fmt.Sprintf("mass-%04d", i))
	}
	createConcurrently(t, objs)
	create(t, openBucket(small, "alone"))
	waitFor(t, small, "alone", 20*time.Second, hasBlockPublicAccess)
	// With first-come first-served, the lone Bucket would wait for the
	// whole backlog (n fixes at the suite's patchesPerSecond).
	if left := unfixed(t, big); left < n/4 {
		t.Errorf("only %d of %d Buckets of the busy namespace were left when the other namespace's was fixed", left, n)
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
		return unfixed(t, big) == 0, nil
	})
	if err != nil {
		t.Fatalf("%d Buckets never fixed", unfixed(t, big))
	}
}
