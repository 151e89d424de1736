package unstructuredjson

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// withoutManagedFields returns doc decoded by the unstructured scheme,
// with metadata.managedFields removed from the object or its items.
func withoutManagedFields(t *testing.T, doc string) map[string]any {
	t.Helper()
	var want map[string]any
	if err := utiljson.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	unstructured.RemoveNestedField(want, "metadata", "managedFields")
	if items, ok := want["items"].([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				unstructured.RemoveNestedField(m, "metadata", "managedFields")
			}
		}
	}
	return want
}

// TestDropManagedFields: the object, or each item of a list, is read
// without its metadata.managedFields and is otherwise what the unstructured
// scheme reads; managedFields anywhere else are kept.
func TestDropManagedFields(t *testing.T) {
	elsewhere := strings.Replace(bucketJSON, `"spec":{`, `"spec":{"managedFields":[1],"metadata":{"managedFields":"kept"},`, 1)
	list := `{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"9","managedFields":[]},"items":[` + bucketJSON + `,` + elsewhere + `,{"metadata":{"name":"x"},"kind":"K"}]}`
	for _, doc := range []string{bucketJSON, elsewhere, list, `{"items":{"metadata":{"managedFields":1}}}`, `{"metadata":null}`, `{"items":[[{"metadata":{"managedFields":1}}]]}`} {
		got, err := withDecoder([]byte(doc), func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, true) })
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		want := withoutManagedFields(t, doc)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoding %s without managedFields =\n%#v\nwant\n%#v", doc, got, want)
		}
	}
	// Through the serializer, as the informers read: a list's items.
	obj, _, err := NegotiatedSerializer{DropManagedFields: true}.SupportedMediaTypes()[0].Serializer.Decode([]byte(list), nil, &unstructured.UnstructuredList{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range obj.(*unstructured.UnstructuredList).Items {
		if it.GetManagedFields() != nil {
			t.Errorf("item %s kept its managedFields", it.GetName())
		}
	}
	if got, _ := Decode([]byte(bucketJSON)); got["metadata"].(map[string]any)["managedFields"] == nil {
		t.Error("Decode dropped managedFields")
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
		if _, err := decodeInto(data, &unstructured.Unstructured{}, true); err != nil {
			b.Fatal(err)
		}
	}
}
