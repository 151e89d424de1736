package unstructuredjson

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	jsonserializer "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/watch"
	restwatch "k8s.io/client-go/rest/watch"
)

// bucketJSON is a Bucket as the API server sends one.
const bucketJSON = `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"orders","namespace":"team-a",` +
	`"uid":"0b6c2a4e-8f2d-4b53-9a57-2f7e1f7f1c11","resourceVersion":"12345","generation":3,"creationTimestamp":"2026-12-04T10:00:00Z",` +
	`"labels":{"team":"a"},"annotations":{"note":"caf\u00e9 \"quoted\" \\ back\/slash \ud83d\ude00"},` +
	`"managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"s3.services.k8s.aws/v1alpha1","time":"2026-12-04T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{".":{},"f:name":{}}}}]},` +
	`"spec":{"name":"orders","publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":false,"blockPublicPolicy":true,"restrictPublicBuckets":true},` +
	`"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}","lifecycle":{"rules":[{"abortIncompleteMultipartUpload":{"daysAfterInitiation":7},"filter":{"prefix":""}}]},` +
	`"numbers":[0,-0,1,-1,9223372036854775807,-9223372036854775808,9223372036854775808,1.5,1.0,1e3,-2.5E-3,0.1],"empty":{},"none":[],"nothing":null},` +
	`"status":{"conditions":[{"type":"ACK.ResourceSynced","status":"True"}],"ackResourceMetadata":{"ownerAccountID":"111122223333"}}}`

// TestDecodeMatchesTheUnstructuredScheme: the same maps, with the same
// Go types, as apimachinery's unstructured JSON reading.
func TestDecodeMatchesTheUnstructuredScheme(t *testing.T) {
	for _, doc := range []string{
		bucketJSON,
		`{}`,
		` {"a" : [ 1 , {"b":[[]]} ] } `,
		`{"dup":1,"dup":"last"}`,
		`{"big":123456789012345678901234567890,"neg":-1e-400}`,
		"{\"bad utf8\":\"a\xffb\",\"\xfe\":1}",
		`{"lone surrogate":"\ud800x"}`,
		`{"controls":"\u0000\t\n\u001f\u2028"}`,
	} {
		want := map[string]any{}
		if err := utiljson.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("the reference decoder refused %q: %v", doc, err)
		}
		got, err := Decode([]byte(doc))
		if err != nil {
			t.Fatalf("Decode(%q): %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%q) =\n%#v\nwant\n%#v", doc, got, want)
		}
	}
}

func TestDecodeRefusesWhatIsNotOneObject(t *testing.T) {
	for doc, want := range map[string]string{
		``:                "EOF",
		`[]`:              "expected a JSON object",
		`"x"`:             "expected a JSON object",
		`null`:            "expected a JSON object",
		`{"a":1`:          "EOF",
		`{"a":1} {"b":2}`: "after the top-level object",
		`{"a":1} x`:       "invalid character",
		`{"a":tru}`:       "invalid",
		`{"n":1e400}`:     "the number 1e400",
		`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`: "depth",
	} {
		if _, err := Decode([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%.40q) = %v, want an error with %q", doc, err, want)
		}
	}
}

// fuzzSubtrees is shared by every input FuzzDecode reads, small so that
// it often starts over.
var fuzzSubtrees = &Subtrees{MaxEntries: 64, MaxBytes: 64}

// FuzzDecode: wherever the unstructured scheme reads an object, Decode
// reads the same one, and it refuses what the scheme refuses; read for
// the cache with shared subtrees, any input reads as it does without, or
// is refused as it is without.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{bucketJSON, appliedJSON, `{"spec":{"a":{"b":[1,{"c":2}]},"d":[{},[]]},"status":{"e":{}}}`, `{"items":[{"spec":{"x":{"y":1}}},{"spec":{"x":{"y":1}}}]}`, `{}`, `{"a":[1,2.5,"x",null,true,{"b":{}}]}`, `{"a":1e999}`, `{"a":"\ud800"}`, `[1]`, `{"spec":{"a":{"n":1e999}}}`, `{"spec":{"a":{"n":1}},"spec":{"a":{"n":1e999}}}`, `{"spec":{"a":{"b":1,"b":2}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // the API server sends UTF-8; replacement of invalid bytes may differ in detail
		}
		// Read for the cache with its spec's subtrees shared: whatever the
		// input, the same as without sharing, or refused as it is without,
		// the first time and again from a table that holds its subtrees.
		lean, lerr := withDecoder(data, func(dec *jsontext.Decoder) (map[string]any, error) { return decodeTop(dec, true, nil) })
		for i := range 2 {
			shared, err := withDecoder(data, func(dec *jsontext.Decoder) (map[string]any, error) {
				return decodeTop(dec, true, fuzzSubtrees)
			})
			if (err == nil) != (lerr == nil) {
				t.Fatalf("decoding %q with shared subtrees (pass %d): error %v; without: %v", data, i, err, lerr)
			}
			if err == nil && !reflect.DeepEqual(shared, lean) {
				t.Fatalf("decoding %q with shared subtrees (pass %d) =\n%#v\nwithout\n%#v", data, i, shared, lean)
			}
		}
		// Read as an admission request's object, through the shared table
		// and alone: the same, or refused alike.
		alone, aerr := ReadObject(jsontext.NewDecoder(bytes.NewReader(data)), nil)
		for i := range 2 {
			shared, err := ReadObject(jsontext.NewDecoder(bytes.NewReader(data)), fuzzSubtrees)
			if (err == nil) != (aerr == nil) {
				t.Fatalf("reading the request object %q through the table (pass %d): error %v; alone: %v", data, i, err, aerr)
			}
			if err == nil && !reflect.DeepEqual(shared, alone) {
				t.Fatalf("reading the request object %q through the table (pass %d) =\n%#v\nalone\n%#v", data, i, shared, alone)
			}
		}
		var want map[string]any
		werr := utiljson.Unmarshal(data, &want)
		got, err := Decode(data)
		if werr != nil || want == nil {
			if err == nil && werr != nil {
				t.Fatalf("Decode read %q, which the scheme refuses: %v", data, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode(%q): %v; the scheme reads it", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) =\n%#v\nwant\n%#v", data, got, want)
		}
		// Read for the cache: the same without its bookkeeping.
		if lerr != nil {
			t.Fatalf("decoding %q without bookkeeping: %v", data, lerr)
		}
		if want := withoutBookkeeping(t, string(data)); !reflect.DeepEqual(lean, want) {
			t.Fatalf("decoding %q without bookkeeping =\n%#v\nwant\n%#v", data, lean, want)
		}
		// The cache's transform leaves an object client-go decoded as the
		// decoder reads it (lists are never given to it).
		if _, isList := want["items"]; !isList {
			stripped, err := StripBookkeeping(&unstructured.Unstructured{Object: want})
			if err != nil {
				t.Fatal(err)
			}
			if got := stripped.(*unstructured.Unstructured).Object; !reflect.DeepEqual(got, lean) {
				t.Fatalf("StripBookkeeping(%q) =\n%#v\nthe decoder reads\n%#v", data, got, lean)
			}
		}
	})
}

func TestObjectSerializer(t *testing.T) {
	s := objectSerializer{}
	obj, gvk, err := s.Decode([]byte(bucketJSON), nil, nil)
	if err != nil || gvk.Kind != "Bucket" {
		t.Fatalf("Decode: %v %v", gvk, err)
	}
	if u, ok := obj.(*unstructured.Unstructured); !ok || u.GetName() != "orders" || u.GetGeneration() != 3 {
		t.Fatalf("decoded %#v", obj)
	}
	list := `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"BucketList","metadata":{"resourceVersion":"77","continue":"c1"},"items":[` +
		bucketJSON + `,{"metadata":{"name":"typed-item"}}]}`
	into := &unstructured.UnstructuredList{}
	if _, _, err := s.Decode([]byte(list), nil, into); err != nil {
		t.Fatal(err)
	}
	if into.GetResourceVersion() != "77" || into.GetContinue() != "c1" || len(into.Items) != 2 || into.Object["items"] != nil {
		t.Fatalf("list %#v", into)
	}
	if k := into.Items[1].GroupVersionKind(); k != (schema.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"}) {
		t.Fatalf("an item without apiVersion and kind got %v", k)
	}
	if obj, _, err := s.Decode([]byte(list), nil, nil); err != nil || len(obj.(*unstructured.UnstructuredList).Items) != 2 {
		t.Fatalf("a list decoded without a target: %#v %v", obj, err)
	}
	status := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (77)","reason":"Expired","code":410}`
	obj, _, err = s.Decode([]byte(status), &schema.GroupVersionKind{Version: "v1", Kind: "Status"}, nil)
	if st, ok := obj.(*metav1.Status); err != nil || !ok || st.Code != 410 || st.Reason != metav1.StatusReasonExpired {
		t.Fatalf("a Status decoded as %#v, %v", obj, err)
	}
	if _, _, err := s.Decode([]byte(`{"metadata":{"name":"x"}}`), nil, nil); !runtime.IsMissingKind(err) {
		t.Fatalf("an object without kind: %v", err)
	}
	var buf bytes.Buffer
	if err := s.Encode(&unstructured.Unstructured{Object: map[string]any{"kind": "Bucket"}}, &buf); err != nil || !strings.Contains(buf.String(), `"Bucket"`) {
		t.Fatalf("Encode: %q %v", buf.String(), err)
	}
}

// watchDecoder is the decoder client-go's REST client builds for a watch
// response, with the given framer and serializers.
func watchDecoder(r io.Reader, fr runtime.Framer, events, objects runtime.Decoder) *restwatch.Decoder {
	return restwatch.NewDecoder(streaming.NewDecoder(fr.NewFrameReader(io.NopCloser(r)), events), objects)
}

// TestWatchStream: client-go's watch decoding over this package's framer
// and serializers reads each event of a stream, a value larger than
// client-go's first buffer included, and ends as client-go expects.
func TestWatchStream(t *testing.T) {
	large := strings.Replace(bucketJSON, `"name":"orders",`, `"name":"orders","padding":"`+strings.Repeat("x", 3<<20)+`",`, 1)
	stream := `{"type":"ADDED","object":` + bucketJSON + "}\n" +
		` { "object" : ` + large + ` , "type" : "MODIFIED" , "extra": [1] }` + "\n" +
		`{"type":"BOOKMARK","object":{"kind":"Bucket","apiVersion":"s3.services.k8s.aws/v1alpha1","metadata":{"resourceVersion":"99","annotations":{"k8s.io/initial-events-end":"true"}}}}` +
		`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old","reason":"Expired","code":410}}`
	ns := NegotiatedSerializer{}.SupportedMediaTypes()[0]
	d := watchDecoder(strings.NewReader(stream), ns.StreamSerializer.Framer, ns.StreamSerializer.Serializer, ns.Serializer)
	wantTypes := []watch.EventType{watch.Added, watch.Modified, watch.Bookmark, watch.Error}
	for i, want := range wantTypes {
		typ, obj, err := d.Decode()
		if err != nil || typ != want {
			t.Fatalf("event %d: %v %v, want %v", i, typ, err, want)
		}
		switch o := obj.(type) {
		case *unstructured.Unstructured:
			if i == 1 && len(o.Object["metadata"].(map[string]any)) == 0 {
				t.Fatal("the large event lost its object")
			}
			if i == 1 {
				if p, _, _ := unstructured.NestedString(o.Object, "metadata", "padding"); len(p) != 3<<20 {
					t.Fatalf("the large event's padding has %d bytes", len(p))
				}
			}
		case *metav1.Status:
			if o.Code != 410 {
				t.Fatalf("error event %#v", o)
			}
		default:
			t.Fatalf("event %d decoded as %T", i, obj)
		}
	}
	if _, _, err := d.Decode(); err != io.EOF {
		t.Fatalf("after the last event: %v, want io.EOF itself", err)
	}

	d = watchDecoder(strings.NewReader(`{"type":"ADDED","object":{"kind":"Bucket","metadata":{`), ns.StreamSerializer.Framer, ns.StreamSerializer.Serializer, ns.Serializer)
	if _, _, err := d.Decode(); err != io.ErrUnexpectedEOF {
		t.Fatalf("a cut stream: %v, want io.ErrUnexpectedEOF itself", err)
	}
	reset := errors.New("connection reset by peer")
	d = watchDecoder(io.MultiReader(strings.NewReader(`{"type":"ADDED","obj`), &failingReader{reset}), ns.StreamSerializer.Framer, ns.StreamSerializer.Serializer, ns.Serializer)
	if _, _, err := d.Decode(); err != reset {
		t.Fatalf("a transport error: %v, want it as it came", err)
	}
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

// clientGoWatchDecoding is the decoding the dynamic client does.
func clientGoWatchDecoding(r io.Reader) *restwatch.Decoder {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	events := jsonserializer.NewSerializerWithOptions(jsonserializer.DefaultMetaFactory, s, s, jsonserializer.SerializerOptions{})
	return watchDecoder(r, jsonserializer.Framer, events, unstructured.UnstructuredJSONScheme)
}

// TestWatchStreamMatchesClientGo: the same events, object for object, as
// client-go's own decoding.
func TestWatchStreamMatchesClientGo(t *testing.T) {
	var stream strings.Builder
	for _, typ := range []string{"ADDED", "MODIFIED", "DELETED"} {
		stream.WriteString(`{"type":"` + typ + `","object":` + bucketJSON + "}\n")
	}
	ns := NegotiatedSerializer{}.SupportedMediaTypes()[0]
	ours := watchDecoder(strings.NewReader(stream.String()), ns.StreamSerializer.Framer, ns.StreamSerializer.Serializer, ns.Serializer)
	theirs := clientGoWatchDecoding(strings.NewReader(stream.String()))
	for i := range 3 {
		t1, o1, err1 := ours.Decode()
		t2, o2, err2 := theirs.Decode()
		if err1 != nil || err2 != nil || t1 != t2 || !reflect.DeepEqual(o1, o2) {
			t.Fatalf("event %d: ours %v %v %v; client-go's %v %v %v", i, t1, err1, o1, t2, err2, o2)
		}
	}
}

// BenchmarkWatchEvent reads a Bucket's watch event with client-go's
// decoding and with this package's.
func BenchmarkWatchEvent(b *testing.B) {
	frame := `{"type":"MODIFIED","object":` + bucketJSON + "}\n"
	const n = 200
	stream := strings.Repeat(frame, n)
	ns := NegotiatedSerializer{}.SupportedMediaTypes()[0]
	for name, newDecoder := range map[string]func(io.Reader) *restwatch.Decoder{
		"client-go": clientGoWatchDecoding,
		"unstructuredjson": func(r io.Reader) *restwatch.Decoder {
			return watchDecoder(r, ns.StreamSerializer.Framer, ns.StreamSerializer.Serializer, ns.Serializer)
		},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := newDecoder(strings.NewReader(stream))
				for range n {
					if _, _, err := d.Decode(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

// TestReadObject: an admission request's object is read under the
// caller's decoder options (a strict decoder refuses duplicate names),
// its metadata.managedFields and last-applied annotation left out and
// nothing else, its numbers as Decode reads them.
func TestReadObject(t *testing.T) {
	read := func(doc string) (map[string]any, error) {
		return ReadObject(jsontext.NewDecoder(strings.NewReader(doc)), nil)
	}
	got, err := read(`{"metadata":{"name":"b","managedFields":[{"manager":"kubectl"}],"generation":3,` +
		`"annotations":{"` + LastAppliedAnnotation + `":"{\"kind\":\"Bucket\"}","note":"n"}},` +
		`"spec":{"metadata":{"managedFields":"kept","annotations":{"` + LastAppliedAnnotation + `":"kept"}},"size":1.5}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"metadata": map[string]any{"name": "b", "generation": int64(3), "annotations": map[string]any{"note": "n"}},
		"spec":     map[string]any{"metadata": map[string]any{"managedFields": "kept", "annotations": map[string]any{LastAppliedAnnotation: "kept"}}, "size": 1.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadObject =\n%#v\nwant\n%#v", got, want)
	}
	for doc, msg := range map[string]string{
		`{"spec":{"acl":"private","acl":"public-read"}}`: "duplicate",
		`null`:             "expected a JSON object, found null",
		`[{}]`:             "expected a JSON object, found an array",
		"{\"a\":\"\xff\"}": "invalid UTF-8",
	} {
		if _, err := read(doc); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ReadObject(%q) = %v, want an error with %q", doc, err, msg)
		}
	}
}

// TestReadSharedObject: an admission request's object read through the
// informers' table reads as it reads with no table, shares its small spec
// subtrees with the objects the informers decode (and they with it), keeps
// its metadata its own, and is refused for what is refused with no table,
// inside a shared subtree too.
func TestReadSharedObject(t *testing.T) {
	share := &Subtrees{MaxBytes: 256}
	read := func(share *Subtrees, doc string) (map[string]any, error) {
		return ReadObject(jsontext.NewDecoder(strings.NewReader(doc)), share)
	}
	doc := templated("one", "true", "logs")
	admitted, err := read(share, doc)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ReadObject(jsontext.NewDecoder(strings.NewReader(doc)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(admitted, plain) {
		t.Fatalf("read through the table:\n%#v\nread alone:\n%#v", admitted, plain)
	}
	if alone, err := read(nil, doc); err != nil || !reflect.DeepEqual(alone, plain) {
		t.Fatalf("with no table: %v\n%#v", err, alone)
	}
	cached := decodeShared(t, share, templated("one", "true", "logs"))
	for _, path := range [][]any{{"spec", "publicAccessBlock"}, {"spec", "encryption"}, {"spec", "logging"}} {
		if !same(t, at(admitted, path...), at(cached, path...)) {
			t.Errorf("%v: not shared between the admitted object and the cached one", path)
		}
	}
	for _, path := range [][]any{{"metadata"}, {"metadata", "labels"}, {"spec"}} {
		if same(t, at(admitted, path...), at(cached, path...)) {
			t.Errorf("%v: shared, but only spec subtrees of at most MaxBytes may be", path)
		}
	}
	for doc, msg := range map[string]string{
		`{"spec":{"publicAccessBlock":{"blockPublicACLs":true,"blockPublicACLs":false}}}`: "duplicate",
		"{\"spec\":{\"logging\":{\"targetBucket\":\"\xff\"}}}":                            "invalid UTF-8",
		`{"spec":{"logging":{"targetBucket":"x"}`:                                         "EOF",
	} {
		if _, err := read(share, doc); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ReadObject(%q) through a table = %v, want an error with %q", doc, err, msg)
		}
	}
}
