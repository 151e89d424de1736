package webhooks

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
)

// These tests call the handler directly with raw requests: they cover
// input the API server's schema validation would stop before the webhook
// (so the webhook stays safe with looser CRDs and in scan) and the
// decision logic. Behaviour through the API server is in the integration
// suite.

func newTestValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator(Options{Registry: rules.Default(), ACKControllers: []string{"system:serviceaccount:ack-system:ack-s3-controller"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func request(op admissionv1.Operation, obj, old string) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid",
		Kind:      metav1.GroupVersionKind{Group: "s3.services.k8s.aws", Version: "v1alpha1", Kind: "Bucket"},
		Operation: op,
		Name:      "b",
		Namespace: "ns",
		Object:    runtime.RawExtension{Raw: []byte(obj)},
		OldObject: runtime.RawExtension{Raw: []byte(old)},
		UserInfo:  authenticationv1.UserInfo{Username: "dev"},
	}}
}

const securePAB = `"publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}`

func bucketJSON(spec string) string {
	return `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"b","namespace":"ns"},"spec":{` + spec + `}}`
}

func TestHandle(t *testing.T) {
	v := newTestValidator(t)
	cases := []struct {
		name        string
		req         admission.Request
		allowed     bool
		code        int32
		causeFields []string
		warning     string
	}{
		{
			name:    "delete is never judged",
			req:     request(admissionv1.Delete, "", bucketJSON(`"name":"x"`)),
			allowed: true,
		},
		{
			name:        "a number where the policy string belongs",
			req:         request(admissionv1.Create, bucketJSON(`"name":"x",`+securePAB+`,"policy":5`), ""),
			code:        422,
			causeFields: []string{"spec.policy"},
		},
		{
			name:        "a string where a flag belongs",
			req:         request(admissionv1.Create, bucketJSON(`"name":"x","publicAccessBlock":{"blockPublicACLs":"yes","ignorePublicACLs":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}`), ""),
			code:        422,
			causeFields: []string{"spec.publicAccessBlock.blockPublicACLs"},
		},
		{
			name: "undecodable object is a 400, never a 500 or an allow",
			req:  request(admissionv1.Create, `{"spec":`, ""),
			code: 400,
		},
		{
			name: "nesting 10,000 deep in an unknown field",
			req:  request(admissionv1.Create, `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","spec":{"x":`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`}}`, ""),
			code: 400,
		},
		{
			name: "a member named twice is a 400: no reader may see another object than the one judged",
			req:  request(admissionv1.Create, `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","spec":{"acl":"private","acl":"public-read"}}`, ""),
			code: 400,
		},
		{
			name: "status subresource is not judged",
			req: func() admission.Request {
				r := request(admissionv1.Update, bucketJSON(``), bucketJSON(``))
				r.SubResource = "status"
				return r
			}(),
			allowed: true,
		},
		{
			name: "ACK controller write is admitted with warnings",
			req: func() admission.Request {
				r := request(admissionv1.Create, bucketJSON(`"name":"x"`), "")
				r.UserInfo.Username = "system:serviceaccount:ack-system:ack-s3-controller"
				return r
			}(),
			allowed: true,
			warning: "S3-001",
		},
		{
			name:    "update keeping an existing finding is admitted with a warning",
			req:     request(admissionv1.Update, bucketJSON(`"name":"x","tagging":{}`), bucketJSON(`"name":"x"`)),
			allowed: true,
			warning: "already present",
		},
		{
			name:        "update introducing a finding is denied",
			req:         request(admissionv1.Update, bucketJSON(`"name":"x",`+securePAB+`,"acl":"public-read"`), bucketJSON(`"name":"x",`+securePAB)),
			code:        422,
			causeFields: []string{"spec.acl"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := v.Handle(context.Background(), tc.req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, result %+v", resp.Allowed, resp.Result)
			}
			if tc.code != 0 && (resp.Result == nil || resp.Result.Code != tc.code) {
				t.Fatalf("result = %+v, want code %d", resp.Result, tc.code)
			}
			if tc.code == 422 {
				var fields []string
				for _, c := range resp.Result.Details.Causes {
					fields = append(fields, c.Field)
				}
				for _, f := range tc.causeFields {
					if !strings.Contains(strings.Join(fields, ","), f) {
						t.Errorf("causes %v lack %s", fields, f)
					}
				}
			}
			if tc.warning != "" && !strings.Contains(strings.Join(resp.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", resp.Warnings, tc.warning)
			}
		})
	}
}

// FuzzHandle feeds arbitrary objects to the handler: it must never panic,
// never answer with a server error, and never allow an object it could not
// read.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		bucketJSON(`"name":"x"`),
		bucketJSON(`"name":"x",` + securePAB + `,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"`),
		bucketJSON(`"policy":"{\"Statement\":{\"Effect\":\"Deny\",\"Effect\":\"Deny\"}}","acl":"public-read|private","grantRead":"uri=http://acs.amazonaws.com/groups/global/AllUsers"`),
		bucketJSON(`"publicAccessBlock":[],"ownershipControls":{"rules":[1,{"objectOwnership":7}]}`),
		`{"spec":null}`, `[]`, `null`, ``,
	} {
		f.Add(s, s)
	}
	v := newTestValidator(f)
	f.Fuzz(func(t *testing.T, obj, old string) {
		for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update} {
			resp := v.Handle(context.Background(), request(op, obj, old))
			if resp.Result != nil && resp.Result.Code >= 500 {
				t.Fatalf("server error: %+v", resp.Result)
			}
			if resp.Allowed {
				var m map[string]any
				if json.Unmarshal([]byte(obj), &m) != nil || m == nil {
					t.Fatalf("allowed an unreadable object %q", obj)
				}
			}
		}
	})
}

// The verdict of each request is logged at V(1), and only then built: at
// the default verbosity it costs nothing.
func TestVerdictLoggedAtV1(t *testing.T) {
	v := newTestValidator(t)
	req := request(admissionv1.Create, bucketJSON(`"name":"x",`+securePAB), "")
	for _, verbosity := range []int{0, 1} {
		var lines []string
		log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{Verbosity: verbosity})
		if resp := v.Handle(logf.IntoContext(context.Background(), log), req); !resp.Allowed {
			t.Fatalf("verbosity %d: denied: %+v", verbosity, resp.Result)
		}
		logged := strings.Contains(strings.Join(lines, "\n"), `"admission verdict"`)
		if logged != (verbosity == 1) {
			t.Errorf("verbosity %d: verdict logged %v; lines %q", verbosity, logged, lines)
		}
		if verbosity == 1 && !strings.Contains(strings.Join(lines, "\n"), `"name"="b"`) {
			t.Errorf("the verdict's line lacks the object: %q", lines)
		}
	}
}

// TestDecisionsCountedOncePerRule: ackguard_admission_decisions_total
// counts a request once per rule and result, however many findings the rule
// has: two public statements are one S3-002 denial.
func TestDecisionsCountedOncePerRule(t *testing.T) {
	v, m := countingValidator(t)
	policy := `{\"Version\":\"2012-10-17\",\"Statement\":[` +
		`{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"},` +
		`{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::b\"}]}`
	obj := bucketJSON(`"name":"x","publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":true,"blockPublicPolicy":false,"restrictPublicBuckets":false},"policy":"` + policy + `"`)
	if resp := v.Handle(context.Background(), request(admissionv1.Create, obj, "")); resp.Allowed {
		t.Fatal("a public bucket policy was admitted")
	} else if n := len(resp.Result.Details.Causes); n < 4 {
		t.Fatalf("%d causes: want S3-001 and S3-002 twice each", n)
	}
	for _, c := range []struct {
		rule, result string
		want         float64
	}{
		{"S3-001", metrics.ResultDenied, 1},
		{"S3-002", metrics.ResultDenied, 1},
		{"S3-009", metrics.ResultWarned, 1},
		{"", metrics.ResultPassed, 0},
		{"", metrics.ResultDenied, 0},
	} {
		if got := testutil.ToFloat64(m.AdmissionDecisions.WithLabelValues("Bucket", c.rule, c.result)); got != c.want {
			t.Errorf("%s %s counted %v times, want %v", c.rule, c.result, got, c.want)
		}
	}

	// A request refused unjudged (docs/metrics.md) counts once, with no rule.
	if resp := v.Handle(context.Background(), request(admissionv1.Create, `{"kind":`, "")); resp.Allowed {
		t.Fatal("an unreadable object was admitted")
	}
	if got := testutil.ToFloat64(m.AdmissionDecisions.WithLabelValues("Bucket", "", metrics.ResultDenied)); got != 1 {
		t.Errorf("an unreadable object counted %v times with rule=\"\" and result=denied, want 1", got)
	}
}

// TestUpdatesTheMatchConditionSkipsAreAdmitted: the webhook configuration's
// match condition (webhookconfig.JudgedChange) keeps from the webhook the
// UPDATEs that leave the spec and the adoption policy as they were. That
// is safe only because the one admission decision admits every such
// UPDATE, whatever the object already had: were it sent, it would be
// admitted too. Labels, other annotations, finalizers and owner
// references change here on objects that violate deny rules, under the
// ACK controller's name and another's.
func TestUpdatesTheMatchConditionSkipsAreAdmitted(t *testing.T) {
	v := newTestValidator(t)
	olds := []string{
		bucketJSON(`"name":"x"`),
		bucketJSON(`"name":"x","acl":"public-read","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::x/*\"}]}"`),
		bucketJSON(`"name":"x",` + securePAB + `,"policy":"{\"Statement\":["`),
		`{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"b","namespace":"ns","annotations":{"services.k8s.aws/adoption-policy":"adopt"}},"spec":{"name":"x"}}`,
	}
	metaChanges := []func(meta map[string]any){
		func(m map[string]any) { m["labels"] = map[string]any{"team": "a"} },
		func(m map[string]any) {
			a, _ := m["annotations"].(map[string]any)
			if a == nil {
				a = map[string]any{}
			}
			a["example.com/note"] = "x"
			m["annotations"] = a
		},
		func(m map[string]any) { m["finalizers"] = []any{"finalizers.s3.services.k8s.aws/Bucket"} },
		func(m map[string]any) {
			m["ownerReferences"] = []any{map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u"}}
		},
	}
	for i, old := range olds {
		for j, change := range metaChanges {
			var obj map[string]any
			if err := json.Unmarshal([]byte(old), &obj); err != nil {
				t.Fatal(err)
			}
			change(obj["metadata"].(map[string]any))
			updated, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			for _, user := range []string{"dev", "system:serviceaccount:ack-system:ack-s3-controller"} {
				req := request(admissionv1.Update, string(updated), old)
				req.UserInfo.Username = user
				if resp := v.Handle(context.Background(), req); !resp.Allowed {
					t.Errorf("old %d, change %d, user %s: a skipped UPDATE would be denied: %+v", i, j, user, resp.Result)
				}
			}
		}
	}
}

// countingValidator returns a validator of the default rules and the
// metrics it counts in, on a registry of its own.
func countingValidator(t *testing.T) (*Validator, *metrics.Metrics) {
	t.Helper()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(Options{Registry: rules.Default(), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}
