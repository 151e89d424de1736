package webhooks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/localcluster"
)

func withPolicies(t *testing.T, policies ...*v1alpha1.GuardrailPolicy) {
	t.Helper()
	cluster.WithPolicies(ctx, t, policies...)
}

func scopedNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	return cluster.ScopedNamespace(ctx, t, labels)
}

var policy = localcluster.Policy

// createEventually retries a create until the webhook's cache has seen the
// policies the test just made and the outcome is the wanted one.
func createEventually(t *testing.T, c client.Client, obj client.Object, wantDenied bool) error {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(_ context.Context) (bool, error) {
		last = c.Create(ctx, obj.DeepCopyObject().(client.Object), client.DryRunAll)
		return (last != nil) == wantDenied, nil
	})
	if err != nil {
		t.Fatalf("create of %s: wanted denied=%v, last answer: %v", obj.GetName(), wantDenied, last)
	}
	return last
}

// A bucket without Block Public Access fails S3-001 (catalog: deny/fix).
// Policy "team-a-audit" audits it in team a's namespace, "team-b-enforce"
// enforces it in team b's.
func TestPerNamespaceActions(t *testing.T) {
	suite.Start(t)
	withPolicies(t,
		policy("team-a-audit", map[string]string{"team": "a"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Audit}),
		policy("team-b-enforce", map[string]string{"team": "b"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Enforce}),
	)
	nsA := scopedNamespace(t, map[string]string{"team": "a"})
	nsB := scopedNamespace(t, map[string]string{"team": "b"})
	spec := func(n string) map[string]any {
		s := secureSpec("ackguard-test-" + n)
		delete(s, "publicAccessBlock")
		return s
	}

	c, warnings := clientAs(t, "")
	_ = createEventually(t, c, bucket(nsA, "open", spec("a-open")), false)
	if w := warnings.all(); !strings.Contains(w, "S3-001") || !strings.Contains(w, "policy team-a-audit") {
		t.Errorf("team a: want an S3-001 warning naming policy team-a-audit, got %q", w)
	}
	err := createEventually(t, c, bucket(nsB, "open", spec("b-open")), true)
	if cs := causes(t, err); !hasCause(cs, "spec.publicAccessBlock", "policy team-b-enforce") {
		t.Errorf("team b: want S3-001 denied by policy team-b-enforce, got %v", cs)
	}
}

// Two policies select one namespace: the strictest action wins, and the
// denial names the policy that set it.
func TestStrictestActionWins(t *testing.T) {
	suite.Start(t)
	withPolicies(t,
		policy("lenient", map[string]string{"tier": "shared"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Audit, "S3-004": v1alpha1.Disabled}),
		policy("strict", map[string]string{"tier": "shared"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Enforce, "S3-004": v1alpha1.Audit}),
	)
	ns := scopedNamespace(t, map[string]string{"tier": "shared"})
	s := secureSpec("ackguard-test-strictest")
	delete(s, "publicAccessBlock")
	s["acl"] = "public-read"
	c, warnings := clientAs(t, "")
	err := createEventually(t, c, bucket(ns, "both", s), true)
	cs := causes(t, err)
	if !hasCause(cs, "spec.publicAccessBlock", "policy strict") {
		t.Errorf("want S3-001 denied by policy strict, got %v", cs)
	}
	for _, cause := range cs {
		if strings.Contains(cause, "S3-004") {
			t.Errorf("S3-004 is Audit at most: it must warn, not deny: %v", cs)
		}
	}
	if w := warnings.all(); !strings.Contains(w, "S3-004") || !strings.Contains(w, "policy strict") {
		t.Errorf("want an S3-004 warning from policy strict, got %q", w)
	}
}

// An exception exempts a named bucket from S3-001 until it expires; from
// then on the same bucket is denied again.
func TestExceptionHonouredThenExpired(t *testing.T) {
	suite.Start(t)
	withPolicies(t, policy("exc-scope", map[string]string{"exc": "yes"}, nil))
	ns := scopedNamespace(t, map[string]string{"exc": "yes"})
	expiry := time.Now().Add(6 * time.Second)
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "static-site", Namespace: ns},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "site"}},
			Reason:    "SEC-1234: public static site, accepted until the CDN migration",
			ExpiresAt: metav1.NewTime(expiry),
		},
	}
	if err := cluster.Client.Create(ctx, ex); err != nil {
		t.Fatal(err)
	}
	s := secureSpec("ackguard-test-site")
	delete(s, "publicAccessBlock")
	c, warnings := clientAs(t, "")
	_ = createEventually(t, c, bucket(ns, "site", s), false)
	if w := warnings.all(); !strings.Contains(w, "exempted by GuardrailException "+ns+"/static-site") {
		t.Errorf("want the exemption reported as a warning, got %q", w)
	}
	// Another bucket in the namespace is not exempted.
	_ = createEventually(t, c, bucket(ns, "other", secureSpecWithout("ackguard-test-other", "publicAccessBlock")), true)

	time.Sleep(time.Until(expiry))
	err := createEventually(t, c, bucket(ns, "site", s), true)
	if cs := causes(t, err); !hasCause(cs, "spec.publicAccessBlock", "S3-001") {
		t.Errorf("after expiry: want S3-001 denied, got %v", cs)
	}
}

func secureSpecWithout(name, field string) map[string]any {
	s := secureSpec(name)
	delete(s, field)
	return s
}

// The governance webhook refuses exceptions and policies the schema cannot
// catch: an expiry in the past or beyond the policy's maximum, a rule that
// does not exist.
func TestGovernanceObjectsValidated(t *testing.T) {
	suite.Start(t)
	short := policy("short-exceptions", map[string]string{"max": "short"}, nil)
	short.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: time.Hour}
	withPolicies(t, short)
	ns := scopedNamespace(t, map[string]string{"max": "short"})
	exception := func(name string, rules []string, expires time.Time) *v1alpha1.GuardrailException {
		return &v1alpha1.GuardrailException{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1alpha1.GuardrailExceptionSpec{
				Rules:     rules,
				Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "x"}},
				Reason:    "ticket SEC-1",
				ExpiresAt: metav1.NewTime(expires),
			},
		}
	}
	badSelector := policy("bad", nil, nil)
	badSelector.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
	for _, tc := range []struct {
		name, field, want string
		obj               client.Object
	}{
		{"past", "spec.expiresAt", "expired", exception("past", []string{"S3-001"}, time.Now().Add(-time.Minute))},
		{"too long", "spec.expiresAt", "more than the maximum 1h0m0s", exception("long", []string{"S3-001"}, time.Now().Add(3*time.Hour))},
		{"unknown rule", "spec.rules[0]", "no rule S3-999", exception("unknown", []string{"S3-999"}, time.Now().Add(time.Minute))},
		{"policy with an invalid selector", "spec.match.namespaceSelector", "not a valid label selector operator", badSelector},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := createEventually(t, cluster.Client, tc.obj, true)
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want 422 Invalid, got %v", err)
			}
			if cs := causes(t, err); !hasCause(cs, tc.field, tc.want) {
				t.Errorf("want cause %s containing %q, got %v", tc.field, tc.want, cs)
			}
		})
	}
	// The API server itself refuses a maxDuration the manager could not
	// decode (which would stop it reading every policy), with the
	// governance webhook, which fails open, not needed.
	for _, d := range []string{"30d", "-24h", "0s"} {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "policy.ackguard.dev/v1alpha1", "kind": "GuardrailPolicy",
			"metadata": map[string]any{"generateName": "bad-duration-"},
			"spec":     map[string]any{"exceptions": map[string]any{"maxDuration": d}},
		}}
		err := cluster.Client.Create(ctx, u, client.DryRunAll)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.exceptions.maxDuration") {
			t.Errorf("maxDuration %q: %v, want the CRD's refusal", d, err)
		}
		// One clear cause: a value that is no duration is not also
		// handed to CEL's duration(), which would add its own error.
		if cs := causes(t, err); len(cs) != 1 || strings.Contains(err.Error(), "type conversion") {
			t.Errorf("maxDuration %q: causes %v, want the one refusal", d, cs)
		}
	}
	// Likewise an expiresAt the API server's date-time format takes and
	// the manager cannot decode (a lowercase t or z, a stray character for
	// the fraction's point, a zone offset of 99 hours): stored while the
	// webhook is down, it would stop the manager reading any exception.
	expiring := func(at string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "policy.ackguard.dev/v1alpha1", "kind": "GuardrailException",
			"metadata": map[string]any{"generateName": "expires-", "namespace": ns},
			"spec": map[string]any{
				"rules": []any{"S3-001"}, "reason": "ticket SEC-1", "expiresAt": at,
				"resources": []any{map[string]any{"apiGroup": "s3.services.k8s.aws", "kind": "Bucket", "name": "x"}},
			},
		}}
	}
	for _, at := range []string{"2099-12-24t00:00:00z", "2099-12-24T00:00:00x5Z", "2099-12-24T00:00:00+99:00"} {
		err := cluster.Client.Create(ctx, expiring(at), client.DryRunAll)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.expiresAt") {
			t.Errorf("expiresAt %q: %v, want the CRD's refusal", at, err)
		}
	}
	// An expiry with a zone offset or a fraction of a second is fine.
	for _, at := range []string{time.Now().Add(20 * time.Minute).In(time.FixedZone("", 2*3600)).Format(time.RFC3339), time.Now().Add(20 * time.Minute).UTC().Format(time.RFC3339Nano)} {
		if err := createEventually(t, cluster.Client, expiring(at), false); err != nil {
			t.Errorf("expiresAt %q refused: %v", at, err)
		}
	}
	// A rule that judges none of the kinds named exempts nothing: refused.
	other := exception("other-kind", []string{"RDS-001"}, time.Now().Add(time.Minute))
	if err := createEventually(t, cluster.Client, other, true); !apierrors.IsInvalid(err) || !hasCause(causes(t, err), "spec.rules[0]", "RDS-001 judges DBInstance") {
		t.Errorf("an exception of RDS-001 for a Bucket: %v", err)
	}
	ok := exception("fine", []string{"S3-001"}, time.Now().Add(30*time.Minute))
	if err := cluster.Client.Create(ctx, ok); err != nil {
		t.Errorf("a valid exception was refused: %v", err)
	}
}

// The namespaces ACK writes are never sent from (kube-system, ackguard's
// own, webhook.excludedNamespaces) are left out of the ACK webhook only:
// the reconciler still judges the resources there and applies the
// exceptions there, so those exceptions are validated as anywhere else.
// The governance webhook fails open, so judging them cannot lock anything.
func TestExceptionsValidatedInNamespacesAdmissionSkips(t *testing.T) {
	suite.Start(t)
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "expired", Namespace: "kube-system"},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "x"}},
			Reason:    "ticket SEC-1",
			ExpiresAt: metav1.NewTime(time.Now().Add(-time.Minute)),
		},
	}
	err := createEventually(t, cluster.Client, ex, true)
	if cs := causes(t, err); !hasCause(cs, "spec.expiresAt", "expired") {
		t.Errorf("an expired exception in kube-system: want cause spec.expiresAt, got %v", cs)
	}
}

// An UPDATE is judged on what it introduces: a label that brings a bucket
// under a stricter policy warns about what its spec already had (the
// reconciler handles it); a new bucket with that label is denied.
func TestLabelBringingAStricterPolicyWarnsOnUpdate(t *testing.T) {
	suite.Start(t)
	strict := policy("label-strict", map[string]string{"labels": "yes"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Enforce})
	strict.Spec.Match.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "prod"}}
	withPolicies(t, strict)
	ns := scopedNamespace(t, map[string]string{"labels": "yes"})
	c, warnings := clientAs(t, "")
	b := bucket(ns, "old", secureSpecWithout("ackguard-test-label-old", "publicAccessBlock"))
	_ = createEventually(t, c, b, false) // no policy selects it yet
	if err := c.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 50; i++ { // until the webhook's cache has the bucket's policy
		cur := b.DeepCopy()
		if err = cluster.Client.Get(ctx, client.ObjectKeyFromObject(b), cur); err != nil {
			t.Fatal(err)
		}
		cur.SetLabels(map[string]string{"tier": "prod"})
		cur.Object["spec"].(map[string]any)["tagging"] = map[string]any{"tagSet": []any{map[string]any{"key": "n", "value": fmt.Sprint(i)}}}
		if err = c.Update(ctx, cur, client.DryRunAll); err == nil && strings.Contains(warnings.all(), "policy label-strict") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the label update was refused: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "S3-001") || !strings.Contains(w, "already present before this update") {
		t.Errorf("want S3-001 warned as already present, got %q", w)
	}
	fresh := bucket(ns, "new", secureSpecWithout("ackguard-test-label-new", "publicAccessBlock"))
	fresh.SetLabels(map[string]string{"tier": "prod"})
	if cs := causes(t, createEventually(t, c, fresh, true)); !hasCause(cs, "spec.publicAccessBlock", "policy label-strict") {
		t.Errorf("want the new labelled bucket denied by label-strict, got %v", cs)
	}
}

// S3-012 is opt-in: a bucket without Object Lock is admitted silently
// where no policy names the rule, and denied where a policy switches it
// on (with its required mode).
func TestOptInRuleSwitchedOnByPolicy(t *testing.T) {
	suite.Start(t)
	on := policy("object-lock-on", map[string]string{"object-lock": "on"}, map[string]v1alpha1.Action{"S3-012": v1alpha1.Deny})
	on.Spec.Parameters.RequiredObjectLockMode = "COMPLIANCE"
	withPolicies(t, policy("object-lock-off", map[string]string{"object-lock": "off"}, nil), on)
	nsOff := scopedNamespace(t, map[string]string{"object-lock": "off"})
	nsOn := scopedNamespace(t, map[string]string{"object-lock": "on"})

	c, warnings := clientAs(t, "")
	_ = createEventually(t, c, bucket(nsOff, "unlocked", secureSpec("ackguard-test-unlocked-off")), false)
	if w := warnings.all(); strings.Contains(w, "S3-012") {
		t.Errorf("S3-012 is off without a policy naming it, got warnings %q", w)
	}
	err := createEventually(t, c, bucket(nsOn, "unlocked", secureSpec("ackguard-test-unlocked-on")), true)
	if cs := causes(t, err); !hasCause(cs, "spec.objectLockEnabledForBucket", "policy object-lock-on") {
		t.Errorf("want S3-012 denied by policy object-lock-on, got %v", cs)
	}
	locked := secureSpec("ackguard-test-locked")
	locked["objectLockEnabledForBucket"] = true
	err = createEventually(t, c, bucket(nsOn, "locked", locked), true)
	if cs := causes(t, err); !hasCause(cs, "spec.objectLockConfiguration.rule.defaultRetention.mode", "requires mode COMPLIANCE") {
		t.Errorf("want the required mode denied, got %v", cs)
	}
	locked["objectLockConfiguration"] = map[string]any{"rule": map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": int64(1)}}}
	_ = createEventually(t, c, bucket(nsOn, "locked", locked), false)
}
