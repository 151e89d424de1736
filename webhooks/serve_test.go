package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	admissionmetrics "sigs.k8s.io/controller-runtime/pkg/webhook/admission/metrics"

	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
)

// TestServeHTTP: the validator's own review decoding answers like Handle,
// echoes the UID, and answers unreadable reviews with an error, never an
// allow; the same with the objects' spec subtrees read through a table
// shared with the informers (Options.Subtrees), which then holds them.
func TestServeHTTP(t *testing.T) {
	shared := &unstructuredjson.Subtrees{}
	withTable, err := NewValidator(Options{Registry: rules.Default(), Subtrees: shared})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*Validator{"own": newTestValidator(t), "shared": withTable} {
		t.Run(name, func(t *testing.T) { testServeHTTP(t, v) })
	}
	if shared.Len() == 0 {
		t.Error("the shared table holds none of the reviewed objects' subtrees")
	}
}

func testServeHTTP(t *testing.T, v *Validator) {
	reviewOf := func(req any) []byte {
		b, err := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	insecure := request(admissionv1.Create, bucketJSON(`"name":"x"`), "").AdmissionRequest
	insecure.UID, insecure.OldObject.Raw = "u-1", nil
	secure := request(admissionv1.Create, bucketJSON(`"name":"x",`+securePAB), "").AdmissionRequest
	secure.UID, secure.OldObject.Raw = "u-2", nil
	withManagedFields := request(admissionv1.Create, `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket",`+
		`"metadata":{"name":"b","namespace":"ns","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}},"not an entry"]},`+
		`"spec":{"name":"x",`+securePAB+`}}`, "").AdmissionRequest
	withManagedFields.UID, withManagedFields.OldObject.Raw = "u-4", nil
	cases := []struct {
		name        string
		body        []byte
		contentType string
		allowed     bool
		code        int32
		uid         string
	}{
		{name: "insecure bucket denied", body: reviewOf(insecure), code: 422, uid: "u-1"},
		{name: "secure bucket admitted", body: reviewOf(secure), allowed: true, code: 200, uid: "u-2"},
		{name: "not JSON", body: []byte(`{"request":`), code: 400},
		{name: "no request", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), code: 400},
		{name: "wrong content type", body: reviewOf(secure), contentType: "text/plain", code: 400},
		{name: "duplicate member in the object", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-3",` +
			`"kind":{"group":"s3.services.k8s.aws","version":"v1alpha1","kind":"Bucket"},"operation":"CREATE",` +
			`"object":` + bucketJSON(`"name":"x",`+securePAB+`,"acl":"private","acl":"public-read"`) + `}}`), code: 400, uid: "u-3"},
		{name: "duplicate member in a small spec subtree", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-5",` +
			`"kind":{"group":"s3.services.k8s.aws","version":"v1alpha1","kind":"Bucket"},"operation":"CREATE",` +
			`"object":` + bucketJSON(`"name":"x","publicAccessBlock":{"blockPublicACLs":true,"blockPublicACLs":false}`) + `}}`), code: 400, uid: "u-5"},
		{name: "managedFields are not judged", body: reviewOf(withManagedFields), allowed: true, code: 200, uid: "u-4"},
		{name: "oversized", body: append(bytes.Repeat([]byte(" "), maxReviewBytes), reviewOf(secure)...), code: 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(tc.body))
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			r.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			v.ServeHTTP(w, r)
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil {
				t.Fatalf("response %q: %v", w.Body.String(), err)
			}
			resp := out.Response
			if resp.Allowed != tc.allowed || resp.Result == nil || resp.Result.Code != tc.code || string(resp.UID) != tc.uid {
				t.Fatalf("response %+v (result %+v), want allowed %v code %d uid %q", resp, resp.Result, tc.allowed, tc.code, tc.uid)
			}
			if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
				t.Errorf("review type %s %s", out.APIVersion, out.Kind)
			}
		})
	}
}

// panickingReader fails every read with a panic, as a bug below the
// handler would.
type panickingReader struct{ client.Reader }

func (panickingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	panic("reader bug")
}

func (panickingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	panic("reader bug")
}

// TestServeHTTPCountsPanics: a panic while judging a review is answered
// with an error, never an allow, and counted as controller-runtime counts
// the panics admission.Webhook recovers, so the suites' panic check
// (internal/testenv) sees it.
func TestServeHTTPCountsPanics(t *testing.T) {
	v, err := NewValidator(Options{Registry: rules.Default(), Reader: panickingReader{}})
	if err != nil {
		t.Fatal(err)
	}
	counted := prometheus.NewCounter(prometheus.CounterOpts{Name: "panics"})
	v.panicCounter = counted
	req := request(admissionv1.Create, bucketJSON(`"name":"x",`+securePAB), "").AdmissionRequest
	req.OldObject.Raw = nil
	body, err := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
	if err != nil {
		t.Fatal(err)
	}
	if resp := serve(t, v, body); resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusInternalServerError {
		t.Errorf("response %+v (result %+v), want an error 500", resp, resp.Result)
	}
	if n := testutil.ToFloat64(counted); n != 1 {
		t.Errorf("%g panics counted, want 1", n)
	}
	if got := (&Validator{}).panics(); got != admissionmetrics.WebhookPanics.WithLabelValues() {
		t.Error("without a counter of its own the validator does not count in controller-runtime's webhook panic counter")
	}
}

// TestServeHTTPRefusesAnUnreadableObjectAsAnswered: a review whose object
// cannot be read is refused with the request's uid, so that the API
// server shows the refusal rather than an invalid response of its own,
// and counted as a refusal unjudged (docs/metrics.md), which the
// AckguardWebhookErrors alert reads: the API server no longer counts it
// as a failed call.
func TestServeHTTPRefusesAnUnreadableObjectAsAnswered(t *testing.T) {
	v, m := countingValidator(t)
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-9",` +
		`"kind":{"group":"s3.services.k8s.aws","version":"v1alpha1","kind":"Bucket"},"operation":"CREATE",` +
		`"object":` + bucketJSON(`"name":"x","acl":"private","acl":"public-read"`) + `}}`)
	resp := serve(t, v, body)
	if resp.Allowed || resp.UID != "u-9" || resp.Result == nil || resp.Result.Code != http.StatusBadRequest ||
		!strings.Contains(resp.Result.Message, "ackguard cannot read the admission review") {
		t.Fatalf("response %+v (result %+v), want a refusal 400 of u-9 saying why", resp, resp.Result)
	}
	if got := testutil.ToFloat64(m.AdmissionDecisions.WithLabelValues("Bucket", "", metrics.ResultDenied)); got != 1 {
		t.Errorf("the unreadable object counted %v times with rule=\"\" and result=denied, want 1", got)
	}
}
