package unstructuredjson_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/ackguard/ackguard/internal/testenv"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
)

var suite = testenv.New(testenv.Options{Name: "unstructuredjson suite"})

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

var (
	bucketGVK = schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}
	bucketGVR = schema.GroupVersionResource{Group: "s3.services.k8s.aws", Version: "v1alpha1", Resource: "buckets"}
)

func informers(t *testing.T, cfg *rest.Config) *unstructuredjson.Informers {
	t.Helper()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructuredjson.Informers{Config: cfg, HTTPClient: hc, Mapper: mapper}
}

// TestListAndWatchAgainstTheAPIServer: lists (paged) and watches read the
// objects the dynamic client reads, event for event, and errors keep
// their API status (a gone resource version, an unknown resource).
func TestListAndWatchAgainstTheAPIServer(t *testing.T) {
	c := suite.Start(t)
	ctx, cancel := context.WithTimeout(suite.Context(), time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	buckets := dyn.Resource(bucketGVR).Namespace("default")
	lw, err := informers(t, c.Config).ListWatch(bucketGVK)
	if err != nil {
		t.Fatal(err)
	}

	for i := range 5 {
		b := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
			"metadata": map[string]any{"name": fmt.Sprintf("lw-%d", i), "labels": map[string]any{"n": fmt.Sprint(i)}},
			"spec": map[string]any{"name": fmt.Sprintf("lw-%d", i), "acl": "private",
				"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": i%2 == 0},
				"lifecycle":         map[string]any{"rules": []any{map[string]any{"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": int64(i + 1)}}}}},
		}}
		if _, err := buckets.Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// A paged list reads what the dynamic client reads.
	var ours []unstructured.Unstructured
	opts := metav1.ListOptions{Limit: 2}
	for {
		obj, err := lw.ListWithContextFunc(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		l := obj.(*unstructured.UnstructuredList)
		ours = append(ours, l.Items...)
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			break
		}
	}
	theirs, err := dyn.Resource(bucketGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != 5 || !reflect.DeepEqual(ours, theirs.Items) {
		t.Fatalf("the paged list read %d objects, unlike the dynamic client's %d:\n%v\n%v", len(ours), len(theirs.Items), ours, theirs.Items)
	}

	// A watch from the list's resource version sees an update and a
	// deletion as the dynamic client's watch does.
	w, err := lw.WatchFuncWithContext(ctx, metav1.ListOptions{ResourceVersion: theirs.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	dw, err := dyn.Resource(bucketGVR).Watch(ctx, metav1.ListOptions{ResourceVersion: theirs.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	defer dw.Stop()
	cur, err := buckets.Get(ctx, "lw-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(cur.Object, "public-read", "spec", "acl"); err != nil {
		t.Fatal(err)
	}
	if _, err := buckets.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := buckets.Delete(ctx, "lw-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []watch.EventType{watch.Modified, watch.Deleted} {
		a, b := next(t, w), next(t, dw)
		if a.Type != want || a.Type != b.Type || !reflect.DeepEqual(a.Object, b.Object) {
			t.Fatalf("watch event %v %v, the dynamic client's %v %v", a.Type, a.Object, b.Type, b.Object)
		}
	}

	// A resource version the API server no longer has ends the watch with
	// the Expired status the reflector relists on.
	gone, err := lw.WatchFuncWithContext(ctx, metav1.ListOptions{ResourceVersion: "1"})
	if err == nil {
		ev := next(t, gone)
		gone.Stop()
		if ev.Type != watch.Error || !apierrors.IsResourceExpired(apierrors.FromObject(ev.Object)) && !apierrors.IsGone(apierrors.FromObject(ev.Object)) {
			t.Fatalf("a watch from resource version 1: %v %#v", ev.Type, ev.Object)
		}
	} else if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Fatalf("a watch from resource version 1: %v", err)
	}

	// An error answer keeps its API status, not a decoding error.
	if _, err := lw.ListWithContextFunc(ctx, metav1.ListOptions{Limit: 1, Continue: "not-a-continue-token"}); !apierrors.IsBadRequest(err) {
		t.Fatalf("a list with a bad continue token: %v, want a BadRequest status", err)
	}
	if _, err := (&unstructuredjson.Informers{}).ListWatch(bucketGVK); err == nil {
		t.Fatal("Informers without a config made a list-watch")
	}
	if _, err := informers(t, c.Config).ListWatch(bucketGVK.GroupVersion().WithKind("Nothing")); err == nil {
		t.Fatal("a kind the API server does not serve got a list-watch")
	}
}

func next(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("the watch ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no watch event within 30s")
	}
	return watch.Event{}
}
