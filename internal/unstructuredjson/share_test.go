package unstructuredjson

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// same reports whether two decoded containers are one and the same. Empty
// slices cannot be told apart (they all point at one zero-sized
// allocation), so a test that asks about one fails.
func same(t *testing.T, a, b any) bool {
	t.Helper()
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() != reflect.Map && va.Kind() != reflect.Slice {
		t.Fatalf("same: %T is not a decoded object or array", a)
	}
	if va.Kind() == reflect.Slice && va.Len() == 0 {
		t.Fatal("same: an empty array cannot be told apart from another")
	}
	return va.Kind() == vb.Kind() && va.UnsafePointer() == vb.UnsafePointer() && va.Len() == vb.Len()
}

func templated(name, flag, logs string) string {
	return `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket",` +
		`"metadata":{"name":"` + name + `","namespace":"team","labels":{"team":"a"},"annotations":{"x":"y"}},` +
		`"spec":{"name":"` + name + `","publicAccessBlock":{"blockPublicACLs":` + flag + `,"restrictPublicBuckets":true},` +
		`"encryption":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms"},"bucketKeyEnabled":true}]},` +
		`"logging":{"loggingEnabled":{"targetBucket":"` + logs + `","targetPrefix":"s3/"}},` +
		`"tagging":{"tagSet":[` + strings.Repeat(`{"key":"k","value":"a long enough value to pass the bound"},`, 12) + `{"key":"owner","value":"` + name + `"}]}},` +
		`"status":{"conditions":[{"type":"ACK.ResourceSynced","status":"True"}]}}`
}

func decodeShared(t *testing.T, share *Subtrees, doc string) map[string]any {
	t.Helper()
	obj, err := decodeInto([]byte(doc), &unstructured.Unstructured{}, true, share)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*unstructured.Unstructured).Object
}

func at(m map[string]any, path ...any) any {
	var v any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// Objects made from one template share the small subtrees of their spec,
// and only those: metadata, status, the spec itself and a subtree too long
// to share whole (whose own small parts are shared) are each object's own,
// even when their texts are the same (one object read twice, as a relist
// does), and so is anything read for a client. Every object reads as it
// does without sharing.
func TestSubtreesShareSpecs(t *testing.T) {
	share := &Subtrees{MaxBytes: 256}
	docs := []string{templated("one", "true", "logs"), templated("two", "true", "logs"), templated("three", "false", "other-logs"), templated("one", "true", "logs")}
	objs := make([]map[string]any, len(docs))
	for i, doc := range docs {
		objs[i] = decodeShared(t, share, doc)
		if want := withoutBookkeeping(t, doc); !reflect.DeepEqual(objs[i], want) {
			t.Fatalf("object %d reads\n%#v\nwithout sharing\n%#v", i, objs[i], want)
		}
	}
	one, two, three, again := objs[0], objs[1], objs[2], objs[3]
	small := [][]any{{"spec", "publicAccessBlock"}, {"spec", "encryption"}, {"spec", "encryption", "rules"}, {"spec", "logging"}, {"spec", "tagging", "tagSet", 0}}
	for _, path := range small {
		if !same(t, at(one, path...), at(two, path...)) {
			t.Errorf("%v: not shared between two objects of one template", path)
		}
	}
	if !same(t, at(one, "spec", "encryption"), at(three, "spec", "encryption")) {
		t.Error("spec.encryption: not shared with the third object, which has the same")
	}
	// Texts that differ: in a direct member, and only in a nested leaf
	// (which a key made from the top level alone would miss).
	for _, path := range [][]any{{"spec", "publicAccessBlock"}, {"spec", "logging"}, {"spec", "logging", "loggingEnabled"}} {
		if same(t, at(one, path...), at(three, path...)) {
			t.Errorf("%v: shared with the third object although its text differs", path)
		}
	}
	// The same text each time: shared only where sharing is allowed.
	own := [][]any{{"metadata"}, {"metadata", "labels"}, {"metadata", "annotations"}, {"status"}, {"status", "conditions"}, {"status", "conditions", 0}, {"spec"}, {"spec", "tagging"}, {"spec", "tagging", "tagSet"}}
	for _, path := range own {
		if !reflect.DeepEqual(at(one, path...), at(again, path...)) {
			t.Fatalf("%v: reads differently in one object read twice", path)
		}
		if same(t, at(one, path...), at(again, path...)) {
			t.Errorf("%v: shared, but only spec subtrees of at most MaxBytes may be", path)
		}
	}
	if n := share.Len(); n == 0 {
		t.Error("the table holds nothing")
	}

	// The items of a list (an informer's first list) share as objects do,
	// with each other and with the objects read before.
	list := decodeShared(t, share, `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"BucketList","metadata":{"resourceVersion":"7"},"items":[`+docs[0]+`,`+docs[0]+`]}`)
	items := list["items"].([]any)
	first, second := items[0].(map[string]any), items[1].(map[string]any)
	for i, item := range items {
		if want := withoutBookkeeping(t, docs[0]); !reflect.DeepEqual(item, want) {
			t.Fatalf("item %d reads\n%#v\nwithout sharing\n%#v", i, item, want)
		}
	}
	for _, path := range small {
		if !same(t, at(first, path...), at(second, path...)) || !same(t, at(first, path...), at(one, path...)) {
			t.Errorf("items: %v not shared", path)
		}
	}
	for _, path := range own {
		if same(t, at(first, path...), at(second, path...)) {
			t.Errorf("items: %v shared, but only spec subtrees of at most MaxBytes may be", path)
		}
	}

	// Read for a client (no bookkeeping dropped): nothing is shared.
	a, err := decodeInto([]byte(docs[0]), &unstructured.Unstructured{}, false, share)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range small {
		if same(t, at(a.(*unstructured.Unstructured).Object, path...), at(one, path...)) {
			t.Errorf("%v: an object read with its bookkeeping shares it", path)
		}
	}
}

// A full table starts over: what objects got stays theirs and correct, and
// new objects are shared again.
func TestSubtreesStartOverWhenFull(t *testing.T) {
	share := &Subtrees{MaxEntries: 3}
	var first map[string]any
	for i := range 10 {
		doc := fmt.Sprintf(`{"metadata":{"name":"b%d"},"spec":{"a":{"n":%d},"b":{"n":%d},"c":{"same":true}}}`, i, i, i+1)
		got := decodeShared(t, share, doc)
		if want := withoutBookkeeping(t, doc); !reflect.DeepEqual(got, want) {
			t.Fatalf("object %d reads %#v, want %#v", i, got, want)
		}
		if n := share.Len(); n > 3 {
			t.Fatalf("the table holds %d subtrees, more than its bound of 3", n)
		}
		if i == 0 {
			first = got
		}
	}
	if want := withoutBookkeeping(t, `{"metadata":{"name":"b0"},"spec":{"a":{"n":0},"b":{"n":1},"c":{"same":true}}}`); !reflect.DeepEqual(first, want) {
		t.Errorf("the first object changed after the table started over: %#v", first)
	}
	// A subtree never seen before, once the table is full: shared, which
	// a table that stopped growing would not do.
	x := decodeShared(t, share, `{"spec":{"fresh":{"n":-1}}}`)
	y := decodeShared(t, share, `{"spec":{"fresh":{"n":-1}}}`)
	if !same(t, x["spec"].(map[string]any)["fresh"], y["spec"].(map[string]any)["fresh"]) {
		t.Error("a new subtree is not shared after the table filled: it must start over, not stop")
	}
}

// A deeply nested spec whose every level is too long to share whole costs
// a bounded multiple of its plain reading: each level is not scanned once
// per enclosing level (which made a 600 KB spec allocate hundreds of MB).
func TestSubtreesDeepSpecBounded(t *testing.T) {
	const depth = 300
	pad := strings.Repeat("x", 600)
	var b strings.Builder
	b.WriteString(`{"metadata":{"name":"deep"},"spec":`)
	for range depth {
		b.WriteString(`{"pad":"` + pad + `","next":`)
	}
	b.WriteString(`{}`)
	b.WriteString(strings.Repeat("}", depth))
	b.WriteString(`}`)
	doc := []byte(b.String())
	allocated := func(share *Subtrees) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := decodeInto(doc, &unstructured.Unstructured{}, true, share)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if want := withoutBookkeeping(t, string(doc)); !reflect.DeepEqual(got.(*unstructured.Unstructured).Object, want) {
			t.Fatal("the deep spec reads differently")
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	plain, shared := allocated(nil), allocated(&Subtrees{})
	if shared > 8*plain {
		t.Errorf("reading a %d-level spec allocated %d bytes with shared subtrees, %d without: more than 8 times", depth, shared, plain)
	}
}

// Goroutines decoding objects of one template at once all read them right
// (run with -race).
func TestSubtreesConcurrent(t *testing.T) {
	share := &Subtrees{MaxEntries: 8}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				doc := templated(fmt.Sprintf("b%d-%d", g, i), []string{"true", "false"}[i%2], fmt.Sprintf("logs-%d", i%5))
				obj, err := decodeInto([]byte(doc), &unstructured.Unstructured{}, true, share)
				if err != nil {
					t.Error(err)
					return
				}
				if want := withoutBookkeeping(t, doc); !reflect.DeepEqual(obj.(*unstructured.Unstructured).Object, want) {
					t.Errorf("goroutine %d, object %d reads differently", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
}
