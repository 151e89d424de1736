package unstructuredjson

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// withoutBookkeeping returns doc decoded by the unstructured scheme, with
// metadata.managedFields and the last-applied annotation removed from the
// object or its items.
func withoutBookkeeping(t *testing.T, doc string) map[string]any {
	t.Helper()
	var want map[string]any
	if err := utiljson.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	strip := func(m map[string]any) {
		unstructured.RemoveNestedField(m, "metadata", "managedFields")
		unstructured.RemoveNestedField(m, "metadata", "annotations", LastAppliedAnnotation)
	}
	strip(want)
	if items, ok := want["items"].([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				strip(m)
			}
		}
	}
	return want
}

// appliedJSON is bucketJSON as `kubectl apply` leaves it: with the
// last-applied annotation beside the others.
var appliedJSON = strings.Replace(bucketJSON, `"annotations":{`,
	`"annotations":{"`+LastAppliedAnnotation+`":"{\"apiVersion\":\"s3.services.k8s.aws/v1alpha1\",\"kind\":\"Bucket\"}",`, 1)

// TestDropBookkeeping: the object, or each item of a list, is read without
// its metadata.managedFields and its last-applied annotation, and is
// otherwise what the unstructured scheme reads; the same names anywhere
// else are kept.
func TestDropBookkeeping(t *testing.T) {
	if !strings.Contains(appliedJSON, LastAppliedAnnotation) {
		t.Fatal("appliedJSON has no last-applied annotation")
	}
	elsewhere := strings.Replace(appliedJSON, `"spec":{`, `"spec":{"managedFields":[1],"metadata":{"managedFields":"kept","annotations":{"`+LastAppliedAnnotation+`":"kept"}},"`+LastAppliedAnnotation+`":"kept",`, 1)
	elsewhere = strings.Replace(elsewhere, `"labels":{`, `"labels":{"`+LastAppliedAnnotation+`":"kept",`, 1)
	if strings.Count(elsewhere, `":"kept"`) != 4 {
		t.Fatal("the test's rewrites of bucketJSON no longer apply")
	}
	onlyApplied := `{"metadata":{"name":"x","annotations":{"` + LastAppliedAnnotation + `":"{}"}},"kind":"K"}`
	list := `{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"9","managedFields":[]},"items":[` + appliedJSON + `,` + elsewhere + `,` + onlyApplied + `,{"metadata":{"name":"x"},"kind":"K"}]}`
	for _, doc := range []string{bucketJSON, appliedJSON, elsewhere, onlyApplied, list, `{"items":{"metadata":{"managedFields":1}}}`, `{"metadata":null}`,
		`{"metadata":{"annotations":null}}`, `{"metadata":{"annotations":["` + LastAppliedAnnotation + `"]}}`, `{"items":[[{"metadata":{"managedFields":1}}]]}`} {
		got, err := withDecoder([]byte(doc), func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, true, nil) })
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		want := withoutBookkeeping(t, doc)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoding %s without bookkeeping =\n%#v\nwant\n%#v", doc, got, want)
		}
		if doc == elsewhere && !strings.Contains(fmt.Sprint(got["spec"]), "kept") {
			t.Errorf("the names were dropped outside the object's metadata: %v", got["spec"])
		}
	}
	// Through the serializer, as the informers read: a list's items.
	obj, _, err := NegotiatedSerializer{DropBookkeeping: true}.SupportedMediaTypes()[0].Serializer.Decode([]byte(list), nil, &unstructured.UnstructuredList{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range obj.(*unstructured.UnstructuredList).Items {
		if _, kept := it.GetAnnotations()[LastAppliedAnnotation]; it.GetManagedFields() != nil || kept {
			t.Errorf("item %s kept its bookkeeping", it.GetName())
		}
	}
	if got, _ := Decode([]byte(appliedJSON)); got["metadata"].(map[string]any)["managedFields"] == nil ||
		got["metadata"].(map[string]any)["annotations"].(map[string]any)[LastAppliedAnnotation] == nil {
		t.Error("Decode dropped bookkeeping")
	}
}

// TestStripBookkeeping: the cache's transform leaves an object decoded by
// client-go as the informers' decoder reads it, and strips typed objects
// too.
func TestStripBookkeeping(t *testing.T) {
	for _, doc := range []string{bucketJSON, appliedJSON, `{"metadata":{"name":"x","annotations":{"` + LastAppliedAnnotation + `":"{}"}},"kind":"K"}`, `{"kind":"K"}`,
		`{"metadata":{"annotations":null}}`, `{"metadata":{"annotations":["` + LastAppliedAnnotation + `"]}}`, `{"metadata":null}`, `{"metadata":"x"}`} {
		var m map[string]any
		if err := utiljson.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		out, err := StripBookkeeping(&unstructured.Unstructured{Object: m})
		if err != nil {
			t.Fatal(err)
		}
		want, err := withDecoder([]byte(doc), func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, true, nil) })
		if err != nil {
			t.Fatal(err)
		}
		if got := out.(*unstructured.Unstructured).Object; !reflect.DeepEqual(got, want) {
			t.Errorf("StripBookkeeping(%s) =\n%#v\nthe decoder reads\n%#v", doc, got, want)
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a",
		Annotations:   map[string]string{LastAppliedAnnotation: "{}", "note": "kept"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}}
	if _, err := StripBookkeeping(ns); err != nil {
		t.Fatal(err)
	}
	if ns.ManagedFields != nil || !reflect.DeepEqual(ns.Annotations, map[string]string{"note": "kept"}) {
		t.Errorf("StripBookkeeping left %v and %v on a typed object", ns.ManagedFields, ns.Annotations)
	}
	if out, err := StripBookkeeping("not an object"); err != nil || out != "not an object" {
		t.Errorf("StripBookkeeping of a non-object = %v, %v", out, err)
	}
}

func sameMemory(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// TestInterning: two decoded objects share their member names and short
// values; long values are their own; what is read is unchanged.
func TestInterning(t *testing.T) {
	a, err := Decode([]byte(bucketJSON))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode([]byte(bucketJSON))
	if err != nil {
		t.Fatal(err)
	}
	key := func(m map[string]any, name string) string {
		for k := range m {
			if k == name {
				return k
			}
		}
		t.Fatalf("no member %s", name)
		return ""
	}
	specA, specB := a["spec"].(map[string]any), b["spec"].(map[string]any)
	if !sameMemory(key(specA, "publicAccessBlock"), key(specB, "publicAccessBlock")) {
		t.Error("a member name is not shared")
	}
	if !sameMemory(a["apiVersion"].(string), b["apiVersion"].(string)) {
		t.Error("a short value is not shared")
	}
	if pa, pb := specA["policy"].(string), specB["policy"].(string); len(pa) <= values.maxLen || sameMemory(pa, pb) {
		t.Errorf("a long value (%d bytes) is shared", len(pa))
	}
	// An escaped string is unquoted, not interned.
	note := a["metadata"].(map[string]any)["annotations"].(map[string]any)["note"].(string)
	if note2 := b["metadata"].(map[string]any)["annotations"].(map[string]any)["note"].(string); note != note2 || sameMemory(note, note2) {
		t.Errorf("the escaped value %q / %q", note, note2)
	}
}

// TestInternerBounds: a table holds at most maxEntries strings of at most
// maxLen bytes, and what it holds stays shared once it is full.
func TestInternerBounds(t *testing.T) {
	tab := interner{maxEntries: 3, maxLen: 8}
	first := tab.intern([]byte("first"))
	for i := range 10 {
		if s := tab.intern(fmt.Appendf(nil, "v%d", i)); s != fmt.Sprintf("v%d", i) {
			t.Fatalf("intern(v%d) = %q", i, s)
		}
	}
	if n := tab.len(); n != 3 {
		t.Errorf("the table holds %d strings, want 3", n)
	}
	if s := tab.intern([]byte("first")); s != "first" || !sameMemory(s, first) {
		t.Error("a string held before the table filled is no longer shared")
	}
	if s := tab.intern([]byte("v9")); sameMemory(s, tab.intern([]byte("v9"))) {
		t.Error("a string arriving after the table filled was added")
	}
	if s := tab.intern([]byte("longer than 8")); s != "longer than 8" || tab.len() != 3 {
		t.Error("a long string was added")
	}
	if tab.intern(nil) != "" {
		t.Error("the empty string")
	}
}

// BenchmarkDecodeCached measures what the informer cache keeps of one
// Bucket read without its managedFields.
func BenchmarkDecodeCached(b *testing.B) {
	data := []byte(bucketJSON)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeInto(data, &unstructured.Unstructured{}, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}
