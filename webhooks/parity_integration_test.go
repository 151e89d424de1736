package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/scan"
	"github.com/ackguard/ackguard/webhooks"
)

// verdict is what admission made of one object: whether it is admitted,
// and the rules that deny it, that warn and that an exception exempts.
type verdict struct {
	Allowed              bool
	Deny, Warn, Exempted []string
}

func (v verdict) sorted() verdict {
	for _, l := range [][]string{v.Deny, v.Warn, v.Exempted} {
		slices.Sort(l)
	}
	return v
}

func (v verdict) equal(o verdict) bool {
	return v.Allowed == o.Allowed && slices.Equal(v.Deny, o.Deny) && slices.Equal(v.Warn, o.Warn) && slices.Equal(v.Exempted, o.Exempted)
}

// TestWebhookAndScanAgreeUnderPolicies: the same Buckets, created through
// the API server (the webhook reads the GuardrailPolicies, the
// GuardrailException and the Namespaces' labels from the cluster) and
// scanned with those policies, exception and Namespaces in the input, get
// the same verdict, the same denying, warning and exempted rules: both
// decide through governance.Admit under the same governance.
func TestWebhookAndScanAgreeUnderPolicies(t *testing.T) {
	suite.Start(t)
	audit := policy("parity-audit", map[string]string{"parity": "audit"},
		map[string]v1alpha1.Action{"S3-001": v1alpha1.Audit, "S3-004": v1alpha1.Disabled})
	enforce := policy("parity-enforce", map[string]string{"parity": "enforce"},
		map[string]v1alpha1.Action{"S3-009": v1alpha1.Enforce})
	withPolicies(t, audit, enforce)
	nsAudit := scopedNamespace(t, map[string]string{"parity": "audit"})
	nsEnforce := scopedNamespace(t, map[string]string{"parity": "enforce"})
	ex := &v1alpha1.GuardrailException{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "GuardrailException"},
		ObjectMeta: metav1.ObjectMeta{Name: "static-site", Namespace: nsEnforce},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "site"}},
			Reason:    "SEC-1234: public static site",
			ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour).Truncate(time.Second)),
		},
	}
	if err := cluster.Client.Create(ctx, ex.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(ctx, ex) })

	// The governance in force, as manifests: what the cluster holds.
	var policies v1alpha1.GuardrailPolicyList
	if err := cluster.Client.List(ctx, &policies); err != nil {
		t.Fatal(err)
	}
	var docs []any
	for i := range policies.Items {
		p := policies.Items[i]
		docs = append(docs, &v1alpha1.GuardrailPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "GuardrailPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: p.Labels},
			Spec:       p.Spec,
		})
	}
	for _, name := range []string{nsAudit, nsEnforce} {
		var ns corev1.Namespace
		if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, &ns); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels},
		})
	}
	docs = append(docs, ex)

	without := func(name string, fields ...string) map[string]any {
		s := secureSpec("ackguard-test-parity-" + name)
		for _, f := range fields {
			delete(s, f)
		}
		return s
	}
	publicACL := without("acl")
	publicACL["acl"] = "public-read"
	// Each case says what its policy makes of it, so that agreeing is
	// agreeing on the governance, not on the baseline alone.
	cases := []struct {
		obj     *unstructured.Unstructured
		allowed bool
		rule    string // a rule of the verdict, in list
		list    func(verdict) []string
	}{
		{bucket(nsAudit, "clean", without("clean")), true, "", nil},
		{bucket(nsAudit, "open", without("open", "publicAccessBlock")), true, "S3-001", warned}, // audited
		{bucket(nsAudit, "acl", publicACL), true, "", nil},                                      // S3-004 disabled
		{bucket(nsEnforce, "site", without("site", "publicAccessBlock")), true, "S3-001", exempted},
		{bucket(nsEnforce, "other", without("other", "publicAccessBlock")), false, "S3-001", denied},
		{bucket(nsEnforce, "unversioned", without("unversioned", "versioning")), false, "S3-009", denied}, // enforced
	}

	c, warnings := clientAs(t, "")
	for _, tc := range cases {
		obj := tc.obj
		t.Run(obj.GetNamespace()+"/"+obj.GetName(), func(t *testing.T) {
			want := scanVerdict(t, append(slices.Clone(docs), obj.Object))
			if want.Allowed != tc.allowed || tc.list != nil && !slices.Contains(tc.list(want), tc.rule) {
				t.Fatalf("scan: %+v, want allowed %v with %s", want, tc.allowed, tc.rule)
			}
			if slices.Contains(want.Warn, "S3-004") || slices.Contains(want.Deny, "S3-004") {
				t.Errorf("scan reports S3-004, which a policy disables: %+v", want)
			}
			// The webhook's cache may not have seen the governance yet:
			// ask until it answers as scan does, then compare that answer.
			var got verdict
			err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(_ context.Context) (bool, error) {
				warnings.reset()
				err := c.Create(ctx, obj.DeepCopy(), client.DryRunAll)
				got = webhookVerdict(t, err, warnings.list())
				return got.equal(want), nil
			})
			if err != nil {
				t.Fatalf("webhook %+v, scan %+v", got, want)
			}
		})
	}
}

func warned(v verdict) []string   { return v.Warn }
func exempted(v verdict) []string { return v.Exempted }
func denied(v verdict) []string   { return v.Deny }

// scanVerdict scans the documents as one manifest file.
func scanVerdict(t *testing.T, docs []any) verdict {
	t.Helper()
	var b strings.Builder
	for _, d := range docs {
		j, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(j)
		b.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "manifests.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := scan.Scan(ctx, []string{file}, nil, scan.Options{Registry: rules.Default()})
	if len(rep.Errors) > 0 || rep.Summary.Resources != 1 {
		t.Fatalf("scan: %d resources judged, errors %+v", rep.Summary.Resources, rep.Errors)
	}
	v := verdict{Allowed: rep.Summary.Denied == 0}
	for _, f := range rep.Findings {
		if f.Action == string(rules.Deny) {
			v.Deny = append(v.Deny, f.Rule)
		} else {
			v.Warn = append(v.Warn, f.Rule)
		}
	}
	for _, e := range rep.Exempted {
		v.Exempted = append(v.Exempted, e.Rule)
	}
	return v.sorted()
}

// webhookVerdict reads the API server's answer to a dry-run create: the
// causes of a denial and the warning lines (an exemption line names the
// rule an exception exempts).
func webhookVerdict(t *testing.T, err error, lines []string) verdict {
	t.Helper()
	v := verdict{Allowed: err == nil}
	if err != nil {
		var status apierrors.APIStatus
		if !errors.As(err, &status) || status.Status().Details == nil {
			t.Fatalf("create: %v", err)
		}
		for _, c := range status.Status().Details.Causes {
			v.Deny = append(v.Deny, webhooks.RuleOfCause(c.Message))
		}
	}
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, ": "); ok {
			if id, _, ok := strings.Cut(rest, " exempted by GuardrailException "); ok {
				v.Exempted = append(v.Exempted, id)
				continue
			}
		}
		v.Warn = append(v.Warn, webhooks.RulesOfWarning(l)...)
	}
	return v.sorted()
}
