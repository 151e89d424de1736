package webhooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/unstructuredjson"
)

// reviewOfCleanBucket is an AdmissionReview for the CREATE of
// rulestest.CleanBucket as the API server sends it: the metadata it has
// filled in (uid, generation, creation time, managedFields) and the
// requesting user.
func reviewOfCleanBucket(tb testing.TB) []byte {
	tb.Helper()
	obj := rulestest.CleanBucket()
	obj["metadata"] = map[string]any{
		"name": "orders-assets", "namespace": "team-a", "uid": "0b6c2a4e-8f2d-4b53-9a57-2f7e1f7f1c11",
		"generation": 1, "creationTimestamp": "2026-12-04T10:00:00Z",
		"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}"},
		"managedFields": []any{map[string]any{
			"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "s3.services.k8s.aws/v1alpha1",
			"time": "2026-12-04T10:00:00Z", "fieldsType": "FieldsV1",
			"fieldsV1": map[string]any{"f:spec": map[string]any{
				".": map[string]any{}, "f:name": map[string]any{}, "f:policy": map[string]any{},
				"f:publicAccessBlock": map[string]any{".": map[string]any{}, "f:blockPublicACLs": map[string]any{},
					"f:blockPublicPolicy": map[string]any{}, "f:ignorePublicACLs": map[string]any{}, "f:restrictPublicBuckets": map[string]any{}},
				"f:ownershipControls": map[string]any{".": map[string]any{}, "f:rules": map[string]any{}},
				"f:encryption":        map[string]any{".": map[string]any{}, "f:rules": map[string]any{}},
				"f:versioning":        map[string]any{".": map[string]any{}, "f:status": map[string]any{}},
				"f:lifecycle":         map[string]any{".": map[string]any{}, "f:rules": map[string]any{}},
				"f:logging":           map[string]any{".": map[string]any{}, "f:loggingEnabled": map[string]any{}},
			}},
		}},
	}
	b, err := json.Marshal(map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid":             "5d1b3c57-3a57-4f0e-bf5e-0e6f2bd7a0c1",
			"kind":            map[string]any{"group": "s3.services.k8s.aws", "version": "v1alpha1", "kind": "Bucket"},
			"resource":        map[string]any{"group": "s3.services.k8s.aws", "version": "v1alpha1", "resource": "buckets"},
			"requestKind":     map[string]any{"group": "s3.services.k8s.aws", "version": "v1alpha1", "kind": "Bucket"},
			"requestResource": map[string]any{"group": "s3.services.k8s.aws", "version": "v1alpha1", "resource": "buckets"},
			"name":            "orders-assets", "namespace": "team-a", "operation": "CREATE",
			"userInfo": map[string]any{"username": "alice@example.com", "uid": "u-7", "groups": []any{"developers", "system:authenticated"}},
			"object":   obj, "oldObject": nil, "dryRun": false,
			"options": map[string]any{"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-client-side-apply"},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// labelledReview is review with the labels and annotations a GitOps tool
// and kubectl put on the object.
func labelledReview(tb testing.TB, review []byte) []byte {
	tb.Helper()
	var r map[string]any
	if err := json.Unmarshal(review, &r); err != nil {
		tb.Fatal(err)
	}
	md := r["request"].(map[string]any)["object"].(map[string]any)["metadata"].(map[string]any)
	md["labels"] = map[string]any{
		"app.kubernetes.io/name": "orders", "app.kubernetes.io/instance": "orders-prod", "app.kubernetes.io/part-of": "shop",
		"app.kubernetes.io/managed-by": "argocd", "team": "orders", "env": "prod",
	}
	md["annotations"] = map[string]any{
		"kubectl.kubernetes.io/last-applied-configuration": "{}",
		"argocd.argoproj.io/tracking-id":                   "orders:s3.services.k8s.aws/Bucket:team-a/orders-assets",
		"services.k8s.aws/region":                          "eu-west-1",
	}
	b, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkServeHTTPCleanBucket serves the review of a clean Bucket's
// CREATE through the validator (the baseline, no cluster): reading the
// review, judging it and writing the answer. "alone" reads each review's
// object into maps of its own; "shared" reads its spec's small subtrees
// through a table, as the manager does with its informers'; "labelled" is
// "shared" for an object with six labels and three annotations.
func BenchmarkServeHTTPCleanBucket(b *testing.B) {
	shared, err := NewValidator(Options{Registry: rules.Default(), ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}, Subtrees: &unstructuredjson.Subtrees{}})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		v        *Validator
		labelled bool
	}{{"alone", newTestValidator(b), false}, {"shared", shared, false}, {"labelled", shared, true}} {
		b.Run(c.name, func(b *testing.B) {
			body := reviewOfCleanBucket(b)
			if c.labelled {
				body = labelledReview(b, body)
			}
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				c.v.ServeHTTP(w, r)
				if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"allowed":true`)) {
					b.Fatalf("answer %d %s", w.Code, w.Body.String())
				}
			}
		})
	}
}
