package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	admissionmetrics "sigs.k8s.io/controller-runtime/pkg/webhook/admission/metrics"

	"github.com/ackguard/ackguard/internal/unstructuredjson"
)

// maxReviewBytes bounds an AdmissionReview body: the API server's own
// request limit is 3 MiB, and an UPDATE carries the object twice.
const maxReviewBytes = 7 << 20

// reviewRequest is the part of an admission.k8s.io/v1 AdmissionReview
// request the validator reads. Its objects are decoded in the same pass,
// straight into the maps the engine judges.
type reviewRequest struct {
	UID         types.UID                 `json:"uid"`
	Kind        metav1.GroupVersionKind   `json:"kind"`
	SubResource string                    `json:"subResource,omitempty"`
	Name        string                    `json:"name,omitempty"`
	Namespace   string                    `json:"namespace,omitempty"`
	Operation   admissionv1.Operation     `json:"operation"`
	UserInfo    authenticationv1.UserInfo `json:"userInfo"`
	Object      object                    `json:"object,omitzero"`
	OldObject   object                    `json:"oldObject,omitzero"`
	DryRun      *bool                     `json:"dryRun,omitempty"`
}

type review struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Request    *reviewRequest `json:"request"`
}

// object is an admission request's object, decoded as the engine reads it
// (unstructuredjson: integers as int64, as the informers decode them)
// without its bookkeeping (metadata.managedFields and kubectl's
// last-applied-configuration annotation), which no rule reads and the
// informer cache does not hold either. It is read
// under the review decoder's options: duplicate member names and invalid
// UTF-8 make the review unreadable, and nesting depth is bounded.
//
// With a subtree table (Options.Subtrees), the small subtrees of its spec
// are read through it, as the informers read theirs, so that the object
// admitted and the one the reconciler's cache holds next share their
// maps: neither is ever changed (the engine only reads).
type object struct {
	m map[string]any
}

// read reads the object, or null, its spec's small subtrees through share
// (none: its own).
func (o *object) read(dec *jsontext.Decoder, share *unstructuredjson.Subtrees) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	m, err := unstructuredjson.ReadObject(dec, share)
	o.m = m
	return err
}

// UnmarshalJSONFrom reads the object with no subtree table (decode, for
// the requests Handle is given).
func (o *object) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return o.read(dec, nil) }

// reviewOptions are the options a validator reads reviews with: its
// objects' subtrees through share.
func reviewOptions(share *unstructuredjson.Subtrees) jsonv2.Options {
	return jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, o *object) error { return o.read(dec, share) }))
}

// bodies holds request bodies for reuse: nothing decoded keeps a
// reference into one (decoding copies every string).
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most maxReviewBytes+1 bytes of the body into buf,
// sized up front from the Content-Length the API server sends.
func readBody(r *http.Request, buf *bytes.Buffer) error {
	if n := r.ContentLength; n > 0 && n <= maxReviewBytes {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare to see EOF without growing
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxReviewBytes+1))
	return err
}

// ServeHTTP serves AdmissionReviews for the guarded ACK kinds. It reads
// the review with one plain JSON pass, the objects included, instead of
// the generic deserializer, which parses the whole review once to find
// its kind and again to decode it; the decision is Handle's.
func (v *Validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		http.Error(w, "ackguard: admission reviews are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		writeReview(ctx, w, "", admission.Errored(http.StatusBadRequest, fmt.Errorf("content type %q, want application/json", ct)))
		return
	}
	buf := bodies.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBody {
			bodies.Put(buf)
		}
	}()
	err := readBody(r, buf)
	switch {
	case err != nil:
		writeReview(ctx, w, "", admission.Errored(http.StatusBadRequest, fmt.Errorf("reading the review: %w", err)))
		return
	case buf.Len() > maxReviewBytes:
		writeReview(ctx, w, "", admission.Errored(http.StatusRequestEntityTooLarge, fmt.Errorf("the review is larger than %d MiB", maxReviewBytes>>20)))
		return
	}
	var rv review
	start := time.Now()
	if err := jsonv2.Unmarshal(buf.Bytes(), &rv, v.reviewOpts); err != nil || rv.Request == nil {
		if err == nil {
			err = errors.New("the review has no request")
		}
		resp := admission.Errored(http.StatusBadRequest, fmt.Errorf("ackguard cannot read the admission review: %w", err))
		if in := rv.Request; in != nil {
			// The request's uid, read before what could not be (its
			// object): the API server takes a response without it for a
			// failed call, and shows its own error instead of this
			// refusal. A refusal unjudged of a guarded kind is counted as
			// one whose object cannot be read.
			resp.UID = in.UID
			if kind := in.Kind.Kind; v.opts.Registry.Guards(schema.GroupKind{Group: in.Kind.Group, Kind: kind}) {
				v.observe(kind, false, nil, time.Since(start))
			}
		}
		writeReview(ctx, w, rv.APIVersion, resp)
		return
	}
	in := rv.Request
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: in.UID, Kind: in.Kind, SubResource: in.SubResource, Name: in.Name, Namespace: in.Namespace,
		Operation: in.Operation, UserInfo: in.UserInfo, DryRun: in.DryRun,
	}}
	objs := &objects{obj: in.Object.m, old: in.OldObject.m}
	if objs.obj == nil {
		objs.err = errNoObject
	}
	resp := v.handleRecovering(ctx, req, objs)
	resp.UID = in.UID
	if resp.Result == nil {
		resp.Result = &metav1.Status{Code: http.StatusOK} // as controller-runtime completes a response
	}
	writeReview(ctx, w, rv.APIVersion, resp)
}

// maxPooledBody: a buffer grown past this by a large review is left to
// the garbage collector rather than kept.
const maxPooledBody = 256 << 10

// handleRecovering is Handle, with a panic answered as an error (never an
// allow), logged and counted in controller-runtime's
// controller_runtime_webhook_panics_total, as admission.Webhook counts
// the panics it recovers (ServeHTTP serves the reviews without it).
func (v *Validator) handleRecovering(ctx context.Context, req admission.Request, objs *objects) (resp admission.Response) {
	defer func() {
		if p := recover(); p != nil {
			v.panics().Inc()
			logf.FromContext(ctx).Error(fmt.Errorf("%v", p), "panic while judging an admission request", "kind", req.Kind.Kind, "name", req.Name)
			resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("ackguard failed while judging the request: %v", p))
		}
	}()
	return v.handle(ctx, req, objs)
}

// panics is the counter of the panics handleRecovering recovers:
// controller-runtime's, unless a test gave its own.
func (v *Validator) panics() prometheus.Counter {
	if v.panicCounter != nil {
		return v.panicCounter
	}
	return admissionmetrics.WebhookPanics.WithLabelValues()
}

// writeReview writes the response as an AdmissionReview of the request's
// version (admission.k8s.io/v1 when it could not be read).
func writeReview(ctx context.Context, w http.ResponseWriter, apiVersion string, resp admission.Response) {
	if apiVersion == "" {
		apiVersion = admissionv1.SchemeGroupVersion.String()
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: &resp.AdmissionResponse,
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		logf.FromContext(ctx).Error(err, "writing the admission response")
	}
}
