package webhooks

// These tests check the review objects read through the informers' subtree
// table (Options.Subtrees): the review decoder's checks hold inside shared
// subtrees, a subtree a review put in the table is what the informer reads
// itself, and judging never writes into an object it shares.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
)

// reviewBody is the AdmissionReview of a CREATE of object.
func reviewBody(object string) []byte {
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",` +
		`"kind":{"group":"s3.services.k8s.aws","version":"v1alpha1","kind":"Bucket"},"operation":"CREATE",` +
		`"object":` + object + `}}`)
}

// serve has v answer the review body and returns its response.
func serve(t testing.TB, v *Validator, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	v.ServeHTTP(w, r)
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil {
		t.Fatalf("response %q: %v", w.Body.String(), err)
	}
	return out.Response
}

// informerDecode decodes obj as the informers do, through share.
func informerDecode(t testing.TB, share *unstructuredjson.Subtrees, obj string) map[string]any {
	t.Helper()
	s := unstructuredjson.NegotiatedSerializer{DropBookkeeping: true, Share: share}.SupportedMediaTypes()[0].Serializer
	got, _, err := s.Decode([]byte(obj), nil, &unstructured.Unstructured{})
	if err != nil {
		t.Fatal(err)
	}
	return got.(*unstructured.Unstructured).Object
}

// A subtree the (lax) informer decoder put in the table — duplicate names,
// invalid UTF-8 — is never served to a review: the review's strict
// decoder validates the subtree's text (ReadValue) before the lookup.
func TestReviewStrictWithPoisonedTable(t *testing.T) {
	share := &unstructuredjson.Subtrees{}
	v, err := NewValidator(Options{Registry: rules.Default(), Subtrees: share})
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range map[string]string{
		"duplicate": `"name":"x","publicAccessBlock":{"blockPublicACLs":false,"ignorePublicACLs":true,"blockPublicPolicy":true,"restrictPublicBuckets":true,"blockPublicACLs":true}`,
		"utf8":      `"name":"x",` + securePAB + `,"logging":{"loggingEnabled":{"targetBucket":"a` + "\xff" + `"}}`,
		"surrogate": `"name":"x",` + securePAB + `,"logging":{"loggingEnabled":{"targetBucket":"a\ud800"}}`,
	} {
		obj := bucketJSON(spec)
		informerDecode(t, share, obj) // the informer accepts it and fills the table
		if resp := serve(t, v, reviewBody(obj)); resp.Allowed || resp.Result.Code != 400 {
			t.Errorf("%s: review answered %+v, want 400", name, resp.Result)
		}
	}
}

// Depth bombs inside spec are refused (absolute depth bound of the outer
// decoder), also when the table re-reads subtrees with its own decoder.
func TestReviewDepthBombWithTable(t *testing.T) {
	v, err := NewValidator(Options{Registry: rules.Default(), Subtrees: &unstructuredjson.Subtrees{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{10001, 20000} {
		bomb := strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n)
		if resp := serve(t, v, reviewBody(bucketJSON(`"name":"x","tagging":`+bomb))); resp.Allowed || resp.Result.Code != 400 {
			t.Errorf("depth %d: %+v, want 400", n, resp.Result)
		}
		arr := strings.Repeat(`[`, n) + strings.Repeat(`]`, n)
		if resp := serve(t, v, reviewBody(bucketJSON(`"name":"x","x":`+arr))); resp.Allowed || resp.Result.Code != 400 {
			t.Errorf("array depth %d: %+v, want 400", n, resp.Result)
		}
	}
}

// A subtree a review put in the table first is what the informer would
// have decoded itself (numbers, escapes), and is served to it.
func TestReviewInsertedSubtreeServesInformer(t *testing.T) {
	spec := `"name":"x",` + securePAB + `,"logging":{"loggingEnabled":{"targetBucket":"caf\u00e9\n","targetPrefix":"\ud83d\ude00"}},` +
		`"lifecycle":{"rules":[{"id":"r","status":"Enabled","abortIncompleteMultipartUpload":{"daysAfterInitiation":7},` +
		`"n":[1,1.0,-0,1e2,9223372036854775807,9223372036854775808,-9223372036854775809,0.1,1E-3]}]}`
	obj := bucketJSON(spec)
	share := &unstructuredjson.Subtrees{}
	v, err := NewValidator(Options{Registry: rules.Default(), Subtrees: share})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, v, reviewBody(obj))
	if share.Len() == 0 {
		t.Fatal("the review put nothing in the table")
	}
	viaTable := informerDecode(t, share, obj)
	alone := informerDecode(t, nil, obj)
	if !reflect.DeepEqual(viaTable["spec"], alone["spec"]) {
		t.Fatalf("informer via a table filled by a review:\n%#v\nalone:\n%#v", viaTable["spec"], alone["spec"])
	}
}

// Reviews judged concurrently while the informer's object sharing their
// subtrees is read: the race detector reports any write the engine makes
// into a decoded object. Run with -race.
func TestConcurrentReviewsShareWithCache(t *testing.T) {
	share := &unstructuredjson.Subtrees{}
	v, err := NewValidator(Options{Registry: rules.Default(), Subtrees: share})
	if err != nil {
		t.Fatal(err)
	}
	specs := []string{
		`"name":"x","acl":"public-read","grantRead":"uri=http://acs.amazonaws.com/groups/global/AllUsers","ownershipControls":{"rules":[{"objectOwnership":"ObjectWriter"}]},` +
			`"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::x/*\"}]}",` +
			`"lifecycle":{"rules":[{"status":"Enabled","filter":{"prefix":"a/"},"abortIncompleteMultipartUpload":{"daysAfterInitiation":7}}]},` +
			`"encryption":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256"}}]},"versioning":{"status":"Suspended"},` +
			`"replication":{"rules":[{"status":"Enabled","destination":{"bucket":"arn:aws:s3:::y"}}]},"logging":{"loggingEnabled":{"targetBucket":"x"}}`,
		`"name":"x",` + securePAB,
		`"name":"x","publicAccessBlock":{"blockPublicACLs":"yes"},"ownershipControls":{"rules":[1]},"lifecycle":{"rules":[{"prefix":3}]}`,
	}
	var cached []map[string]any
	for _, s := range specs {
		cached = append(cached, informerDecode(t, share, bucketJSON(s)))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, c := range cached {
				_, _ = json.Marshal(c)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	var sv sync.WaitGroup
	for g := range 4 {
		sv.Add(1)
		go func() {
			defer sv.Done()
			for i := range 30 {
				serve(t, v, reviewBody(bucketJSON(specs[(g+i)%len(specs)])))
			}
		}()
	}
	sv.Wait()
	close(stop)
	wg.Wait()
	for i, s := range specs {
		if !reflect.DeepEqual(cached[i], informerDecode(t, nil, bucketJSON(s))) {
			t.Errorf("cached object %d changed", i)
		}
	}
}
