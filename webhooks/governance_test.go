package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/metrics"
)

var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func governanceRequest(op admissionv1.Operation, kind, obj string) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid",
		Kind:      metav1.GroupVersionKind{Group: "policy.ackguard.dev", Version: "v1alpha1", Kind: kind},
		Operation: op,
		Name:      "x",
		Namespace: "team-a",
		Object:    runtime.RawExtension{Raw: []byte(obj)},
	}}
}

func exceptionJSON(rules, resources, reason string, expires time.Time) string {
	return fmt.Sprintf(`{"apiVersion":"policy.ackguard.dev/v1alpha1","kind":"GuardrailException","metadata":{"name":"x","namespace":"team-a"},
		"spec":{"rules":%s,"resources":%s,"reason":%q,"expiresAt":%q}}`, rules, resources, reason, expires.Format(time.RFC3339))
}

const bucketX = `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","name":"x"}]`

func TestGovernanceHandle(t *testing.T) {
	v, err := NewValidator(Options{Registry: newTestValidator(t).opts.Registry, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	g := v.Governance()
	for _, tc := range []struct {
		name    string
		req     admission.Request
		allowed bool
		code    int32
		field   string
		warn    string // a warning the response carries ("": none)
	}{
		{"valid exception", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, bucketX, "SEC-1", fixedNow.Add(24*time.Hour))), true, 0, "", ""},
		{"blank reason", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, bucketX, "  ", fixedNow.Add(time.Hour))), false, 422, "spec.reason", ""},
		{"expired", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, bucketX, "SEC-1", fixedNow.Add(-time.Second))), false, 422, "spec.expiresAt", ""},
		{"beyond the default maximum of 90 days", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, bucketX, "SEC-1", fixedNow.Add(91*24*time.Hour))), false, 422, "spec.expiresAt", ""},
		{"unknown rule", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-999"]`, bucketX, "SEC-1", fixedNow.Add(time.Hour))), false, 422, "spec.rules[0]", ""},
		{"unguarded kind", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"apps","kind":"Deployment","name":"x"}]`, "SEC-1", fixedNow.Add(time.Hour))), false, 422, "spec.resources[0]", ""},
		{"a name no object can have", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","name":"*"}]`, "SEC-1", fixedNow.Add(time.Hour))), false, 422, "spec.resources[0].name", ""},
		{"name and selector", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","name":"x","selector":{}}]`, "SEC-1", fixedNow.Add(time.Hour))), false, 422, "spec.resources[0]", ""},
		{"an empty selector (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","selector":{}}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", "spec.resources[0].selector: an empty selector exempts every Bucket in namespace "},
		{"a resource no named rule judges (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","name":"x"},{"apiGroup":"iam.services.k8s.aws","kind":"Role","name":"y"}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", "spec.resources[1]: none of the rules this exception names judges a Role: it exempts nothing there"},
		{"a selector an unlabelled bucket meets (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","selector":{"matchExpressions":[{"key":"app","operator":"NotIn","values":["web"]}]}}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", "spec.resources[0].selector: the selector matches a Bucket without labels: it exempts every Bucket in namespace team-a that lacks the labels it names"},
		{"a selector by a label's absence (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","selector":{"matchExpressions":[{"key":"public","operator":"DoesNotExist"}]}}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", "spec.resources[0].selector: the selector matches a Bucket without labels"},
		{"a selector naming a label besides one's absence", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"public","operator":"DoesNotExist"}]}}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", ""},
		{"a selector naming labels", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, `[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket","selector":{"matchLabels":{"app":"web"}}}]`, "SEC-1", fixedNow.Add(time.Hour))), true, 0, "", ""},
		{"policy with a rule of a newer version (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"rules":[{"id":"XX-001","action":"Audit"}]}}`), true, 0, "", "no rule XX-001"},
		{"policy whose kinds are all misspelt (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"match":{"kinds":[{"apiGroup":"s3.services.k8s.aws","kind":"Buckets"}]}}}`), true, 0, "",
			"spec.match.kinds: the policy selects no kind this version of ackguard guards: it is not in force"},
		{"policy with a kind of a newer version beside a guarded one (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"match":{"kinds":[{"apiGroup":"sqs.services.k8s.aws","kind":"Queue"},{"apiGroup":"s3.services.k8s.aws","kind":"Bucket"}]}}}`), true, 0, "",
			"spec.match.kinds[0]: ackguard guards no kind Queue.sqs.services.k8s.aws: this version of ackguard selects nothing by this entry"},
		{"policy enabling only unknown rules (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"defaultAction":"Disabled","rules":[{"id":"S3-999","action":"Enforce"}]}}`), true, 0, "",
			"the policy judges nothing, yet it is in force and replaces the baseline"},
		{"policy asking to fix a rule that has no fix (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"rules":[{"id":"S3-001","action":"Enforce"},{"id":"IAM-015","action":"Remediate"}]}}`), true, 0, "", "spec.rules[1]: IAM-015 has no automatic fix"},
		{"policy with an action that does not exist", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"rules":[{"id":"S3-001","action":"enforce"}]}}`), false, 422, "spec.rules[0].action", ""},
		{"policy with bad selector", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"match":{"selector":{"matchExpressions":[{"key":"a","operator":"Bogus"}]}}}}`), false, 422, "spec.match.selector", ""},
		{"policy named baseline that is not the baseline (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"baseline"},"spec":{"defaultAction":"Audit"}}`), true, 0, "",
			"metadata.name: baseline is the name of the built-in baseline"},
		{"policy named baseline selecting some namespaces (admitted with a warning)", governanceRequest(admissionv1.Create, "GuardrailPolicy",
			`{"metadata":{"name":"baseline"},"spec":{"match":{"namespaceSelector":{"matchLabels":{"env":"dev"}}}}}`), true, 0, "",
			"give a policy of your own another name"},
		{"the shipped baseline", governanceRequest(admissionv1.Create, "GuardrailPolicy", shippedBaseline(t)), true, 0, "", ""},
		{"a baseline of another version, with parameters", governanceRequest(admissionv1.Update, "GuardrailPolicy",
			`{"metadata":{"name":"baseline"},"spec":{"defaultAction":"CatalogDefault","rules":[{"id":"S3-001","action":"Enforce"},{"id":"IAM-017","action":"Disabled"}],"parameters":{"ownerAccounts":["111122223333"]}}}`), true, 0, "", ""},
		{"valid policy", governanceRequest(admissionv1.Update, "GuardrailPolicy",
			`{"metadata":{"name":"p"},"spec":{"defaultAction":"Audit","rules":[{"id":"S3-001","action":"Enforce"}]}}`), true, 0, "", ""},
		{"unreadable", governanceRequest(admissionv1.Create, "GuardrailException", `{"spec":{"rules":"S3-001"}}`), false, 400, "", ""},
		{"deletion", governanceRequest(admissionv1.Delete, "GuardrailException", ``), true, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := g.Handle(context.Background(), tc.req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.allowed, resp.Result)
			}
			switch warned := strings.Join(resp.Warnings, "\n"); {
			case tc.warn != "" && !strings.Contains(warned, tc.warn):
				t.Errorf("warnings %q, want one saying %q", resp.Warnings, tc.warn)
			case tc.warn == "" && warned != "":
				t.Errorf("warnings %q, want none", resp.Warnings)
			}
			if tc.allowed {
				return
			}
			if resp.Result.Code != tc.code {
				t.Fatalf("code = %d, want %d: %s", resp.Result.Code, tc.code, resp.Result.Message)
			}
			if tc.field == "" {
				return
			}
			var fields []string
			for _, c := range resp.Result.Details.Causes {
				fields = append(fields, c.Field)
			}
			if !strings.Contains(strings.Join(fields, ","), tc.field) {
				t.Errorf("causes %v lack field %s: %s", fields, tc.field, resp.Result.Message)
			}
		})
	}
}

// shippedBaseline is the baseline GuardrailPolicy the chart and config/
// ship, as JSON.
func shippedBaseline(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(governance.Baseline(newTestValidator(t).opts.Registry))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzGovernanceHandle: arbitrary policies and exceptions never panic the
// handler, never get a server error, and are never allowed unread.
func FuzzGovernanceHandle(f *testing.F) {
	f.Add("GuardrailException", exceptionJSON(`["S3-001"]`, bucketX, "SEC-1", fixedNow.Add(time.Hour)))
	f.Add("GuardrailException", exceptionJSON(`[]`, `[{"kind":"Bucket","selector":{"matchLabels":{"a":"b"}}}]`, "", time.Time{}))
	f.Add("GuardrailPolicy", `{"spec":{"match":{"kinds":[{"apiGroup":"s3.services.k8s.aws","kind":"Bucket"}],"namespaceSelector":{"matchLabels":{"a":"b"}}},"rules":[{"id":"S3-001","action":"Enforce"},{"id":"S3-001","action":"Audit"}],"parameters":{"ownerAccounts":["123456789012"],"allowedPublicPorts":[{"protocol":"tcp","from":443,"to":80}]},"exceptions":{"maxDuration":"1h"}}}`)
	f.Add("GuardrailPolicy", `{"spec":{"exceptions":{"maxDuration":"-5m"}}}`)
	f.Add("GuardrailPolicy", `null`)
	v, err := NewValidator(Options{Registry: newTestValidator(f).opts.Registry, Now: func() time.Time { return fixedNow }})
	if err != nil {
		f.Fatal(err)
	}
	g := v.Governance()
	f.Fuzz(func(t *testing.T, kind, obj string) {
		resp := g.Handle(context.Background(), governanceRequest(admissionv1.Create, kind, obj))
		if resp.Result != nil && resp.Result.Code >= 500 {
			t.Fatalf("server error: %+v", resp.Result)
		}
		if resp.Allowed && (kind == "GuardrailPolicy" || kind == "GuardrailException") {
			var m map[string]any
			if json.Unmarshal([]byte(obj), &m) != nil {
				t.Fatalf("allowed an unreadable %s %q", kind, obj)
			}
		}
	})
}

// TestGovernanceRefusalsUnjudgedAreCounted: a GuardrailPolicy or
// GuardrailException the webhook refuses unjudged (it cannot read the
// object, or the policies that bound an exception) counts in
// ackguard_admission_decisions_total with rule="" and result=denied, as
// the ACK webhook's do: the API server refuses the write whatever the
// failure policy, and AckguardWebhookErrors reads that series. A verdict
// (valid or not) is not such a refusal.
func TestGovernanceRefusalsUnjudgedAreCounted(t *testing.T) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	broken := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme).Build(), interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return errors.New("the cache is not synced")
		},
	})
	v, err := NewValidator(Options{Registry: newTestValidator(t).opts.Registry, Reader: broken, Metrics: m, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	g := v.Governance()
	unjudged := func(kind string) float64 {
		return testutil.ToFloat64(m.AdmissionDecisions.WithLabelValues(kind, "", metrics.ResultDenied))
	}
	for _, c := range []struct {
		name string
		req  admission.Request
		kind string
	}{
		{"unreadable policy", governanceRequest(admissionv1.Create, "GuardrailPolicy", `{"spec":{"rules":"S3-001"}}`), "GuardrailPolicy"},
		{"unreadable exception", governanceRequest(admissionv1.Create, "GuardrailException", `{"spec":{"rules":"S3-001"}}`), "GuardrailException"},
		{"exception whose policies cannot be read", governanceRequest(admissionv1.Create, "GuardrailException",
			exceptionJSON(`["S3-001"]`, bucketX, "SEC-1", fixedNow.Add(time.Hour))), "GuardrailException"},
	} {
		before := unjudged(c.kind)
		if resp := g.Handle(context.Background(), c.req); resp.Allowed {
			t.Fatalf("%s: admitted", c.name)
		}
		if got := unjudged(c.kind) - before; got != 1 {
			t.Errorf("%s: counted %v times with rule=\"\" and result=denied, want 1", c.name, got)
		}
	}
	// An invalid policy is a verdict, not an error.
	before := unjudged("GuardrailPolicy")
	if resp := g.Handle(context.Background(), governanceRequest(admissionv1.Create, "GuardrailPolicy",
		`{"metadata":{"name":"p"},"spec":{"rules":[{"id":"S3-001","action":"enforce"}]}}`)); resp.Allowed {
		t.Fatal("an invalid policy was admitted")
	}
	if got := unjudged("GuardrailPolicy") - before; got != 0 {
		t.Errorf("an invalid policy counted %v times as refused unjudged", got)
	}
}
