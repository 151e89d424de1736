package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/ackcrds"
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
	return reportVerdict(rep)
}

// reportVerdict is scan's verdict on the one resource of rep.
func reportVerdict(rep scan.Report) verdict {
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

// TestWebhookAndScanAgreeOnManifests: the same manifest file, applied (its
// YAML converted to JSON as kubectl converts it, sent to the API server,
// which decodes, validates and prunes it against the installed CRD before
// the webhook sees it) and scanned, gets the same verdict: the same
// denying and warning rules, or, for an object the API server refuses
// before admission (a field of the wrong type, a required field missing,
// malformed metadata), an input error from scan naming the same field
// instead of a verdict. With ACK_SAMPLES_DIR (or ACK_CRDS_DIR), each of
// ACK's samples is compared too.
func TestWebhookAndScanAgreeOnManifests(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	crds, _, err := ackcrds.Load()
	if err != nil {
		t.Fatal(err)
	}
	plural := map[string]string{}
	for _, c := range crds {
		plural[c.Spec.Names.Kind] = c.Spec.Names.Plural
	}
	hc, err := rest.HTTPClientFor(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	const sg = "apiVersion: ec2.services.k8s.aws/v1alpha1\nkind: SecurityGroup\nmetadata:\n  name: sg\nspec:\n  name: sg\n  description: web\n  vpcID: vpc-1\n  ingressRules:\n  - ipRanges: [{cidrIP: 0.0.0.0/0}]\n"
	const db = "apiVersion: rds.services.k8s.aws/v1alpha1\nkind: DBInstance\nmetadata:\n  name: db\nspec:\n  dbInstanceIdentifier: db\n  dbInstanceClass: db.t3.micro\n  engine: postgres\n  storageEncrypted: true\n"
	const bucket = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\n"
	const pab = "  publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}\n"
	type manifest struct{ name, text string }
	cases := []manifest{
		{"port as a float", sg + "    ipProtocol: tcp\n    fromPort: 22.0\n    toPort: 2.2e1\n"},
		{"port as a string", sg + "    ipProtocol: tcp\n    fromPort: \"22\"\n    toPort: 22\n"},
		{"protocol as a number", sg + "    ipProtocol: 6\n    fromPort: 22\n    toPort: 22\n"},
		{"flag as a YAML 1.1 boolean", db + "  publiclyAccessible: yes\n"},
		{"flag as a string", db + "  publiclyAccessible: \"true\"\n"},
		{"flag off as a string", strings.Replace(db, "storageEncrypted: true", "storageEncrypted: \"false\"", 1)},
		{"canned ACL as a list", bucket + "spec:\n  name: b\n" + pab + "  acl: [public-read]\n"},
		{"required field missing", bucket + "spec:\n  acl: public-read\n"},
		{"name that is not a DNS subdomain", strings.Replace(bucket, "name: b", "name: My_Bucket", 1) + "spec:\n  name: b\n  acl: public-read\n"},
		{"label that is not a string", bucket + "  labels: {tier: 1}\nspec:\n  name: b\n  acl: public-read\n"},
		{"anchors, aliases and a merge key", bucket + "spec:\n  name: &n b\n  <<: &safe\n    publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: false}\n  tagging: {tagSet: [{key: bucket, value: *n}]}\n"},
		{"generateName and a status", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  generateName: b-\nspec:\n  name: b\n  acl: public-read\nstatus:\n  ackResourceMetadata: {ownerAccountID: \"111122223333\", region: eu-west-1}\n"},
	}
	if dir := os.Getenv("ACK_SAMPLES_DIR"); dir != "" || os.Getenv("ACK_CRDS_DIR") != "" {
		if dir == "" {
			dir = filepath.Join(os.Getenv("ACK_CRDS_DIR"), "..", "samples")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := os.Expand(string(data), func(v string) string {
				switch v {
				case "MAX_SESSION_DURATION":
					return "3600"
				case "RESERVED_CONCURRENT_EXECUTIONS", "MAXIMUM_RETRY_ATTEMPTS":
					return "1"
				case "FROM_PORT", "TO_PORT", "MAXIMUM_EVENT_AGE_IN_SECONDS":
					return "100"
				case "COPY_TAGS_TO_SNAPSHOT", "USE_LATEST_RESTORABLE_TIME":
					return "true"
				}
				return "sample-" + strings.ToLower(strings.ReplaceAll(v, "_", "-"))
			})
			cases = append(cases, manifest{filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f), text})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "manifest.yaml")
			if err := os.WriteFile(file, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			rep := scan.Scan(ctx, []string{file}, nil, scan.Options{Registry: rules.Default(), Namespace: ns})
			got := reportVerdict(rep)
			var scanErrors []string
			for _, e := range rep.Errors {
				scanErrors = append(scanErrors, e.Message)
			}

			want, refused := applyManifest(t, hc, ns, plural, tc.text)
			switch {
			case refused != nil:
				if len(scanErrors) == 0 {
					t.Fatalf("the API server refuses it (%v); scan judges it: %+v", refused, got)
				}
				for _, field := range refused {
					if !strings.Contains(strings.Join(scanErrors, "\n"), field) {
						t.Errorf("the API server refuses %s; scan's errors do not name it: %q", field, scanErrors)
					}
				}
			case len(scanErrors) > 0:
				t.Fatalf("the webhook judges it (%+v); scan refuses it: %q", want, scanErrors)
			case !got.equal(want):
				t.Fatalf("webhook %+v, scan %+v", want, got)
			}
		})
	}
}

// applyManifest sends a manifest as kubectl apply sends a new object (a
// dry run): the webhook's verdict, or, when the API server refuses the
// object before admission, the fields it names ("metadata" when it cannot
// decode the object).
func applyManifest(t *testing.T, hc *http.Client, ns string, plural map[string]string, text string) (verdict, []string) {
	t.Helper()
	body, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var obj unstructured.Unstructured
	if err := obj.UnmarshalJSON(body); err != nil {
		t.Fatal(err)
	}
	gv := obj.GroupVersionKind().GroupVersion()
	url := strings.TrimSuffix(cluster.Config.Host, "/") + "/apis/" + gv.String() + "/namespaces/" + ns + "/" + plural[obj.GetKind()] + "?dryRun=All&fieldValidation=Ignore"
	resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	warnings, _ := utilnet.ParseWarningHeaders(resp.Header.Values("Warning"))
	var lines []string
	for _, w := range warnings {
		lines = append(lines, w.Text)
	}
	if resp.StatusCode/100 == 2 {
		return webhookVerdict(t, nil, lines), nil
	}
	var status metav1.Status
	if err := json.Unmarshal(data, &status); err != nil {
		t.Fatalf("%d: %s", resp.StatusCode, data)
	}
	if strings.Contains(status.Message, "admission webhook") {
		return webhookVerdict(t, &apierrors.StatusError{ErrStatus: status}, lines), nil
	}
	var fields []string
	if status.Details != nil {
		for _, c := range status.Details.Causes {
			if c.Field != "" && c.Field != "<nil>" {
				fields = append(fields, c.Field)
			}
		}
	}
	if len(fields) == 0 {
		fields = []string{"metadata"}
	}
	return verdict{}, fields
}

// TestWebhookAndScanAgreeOnUpdates: an UPDATE of a Bucket that violates
// S3-001 and S3-004, applied to the API server (a dry run) and scanned
// with the stored object as --base, gets the same verdict. One that
// leaves the spec as it was (labels, annotations) never reaches the
// webhook (webhookconfig.JudgedChange): the cluster admits it without a
// warning, and scan reports no finding; one that changes the spec is
// judged by both, the findings the object already had as warnings.
func TestWebhookAndScanAgreeOnUpdates(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	ack, _ := clientAs(t, ackS3Controller)
	spec := secureSpecWithout("ackguard-parity-update", "publicAccessBlock")
	spec["acl"] = "public-read"
	b := bucket(ns, "update", spec)
	if err := ack.Create(ctx, b); err != nil {
		t.Fatalf("ACK controller write denied: %v", err)
	}
	dev, warnings := clientAs(t, "")
	for _, tc := range []struct {
		name   string
		change func(u *unstructured.Unstructured)
		warned bool // the cluster says anything
	}{
		{"labels and annotations", func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{"team": "data"})
			u.SetAnnotations(map[string]string{"example.com/owner": "data"})
		}, false},
		{"tags", func(u *unstructured.Unstructured) {
			if err := unstructured.SetNestedField(u.Object, []any{map[string]any{"key": "team", "value": "data"}}, "spec", "tagging", "tagSet"); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := &unstructured.Unstructured{}
			cur.SetGroupVersionKind(b.GroupVersionKind())
			if err := dev.Get(ctx, client.ObjectKeyFromObject(b), cur); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			stored, err := json.Marshal(cur.Object)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(cur)
			warnings.reset()
			err = dev.Update(ctx, cur, client.DryRunAll)
			want := webhookVerdict(t, err, warnings.list())
			if want.Allowed != true || (len(want.Warn) > 0) != tc.warned {
				t.Fatalf("webhook %+v: want it admitted, with warnings %v", want, tc.warned)
			}
			manifest := cur.DeepCopy()
			unstructured.RemoveNestedField(manifest.Object, "status")
			unstructured.RemoveNestedField(manifest.Object, "metadata", "managedFields")
			changed, err := json.Marshal(manifest.Object)
			if err != nil {
				t.Fatal(err)
			}
			base, head := filepath.Join(dir, "base.json"), filepath.Join(dir, "head.json")
			if err := os.WriteFile(base, stored, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(head, changed, 0o600); err != nil {
				t.Fatal(err)
			}
			rep := scan.Scan(ctx, []string{head}, nil, scan.Options{Registry: rules.Default(), Base: []string{base}})
			if len(rep.Errors) > 0 || rep.Summary.Resources != 1 {
				t.Fatalf("scan: %d resources judged, errors %+v", rep.Summary.Resources, rep.Errors)
			}
			if got := reportVerdict(rep); !got.equal(want) {
				t.Errorf("webhook %+v, scan %+v", want, got)
			}
		})
	}
}
