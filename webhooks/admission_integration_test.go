package webhooks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"
)

const publicReadPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%[1]s/*"}
  ]
}`

func TestInsecureBucketDeniedWithOneCausePerFinding(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	b := bucket(ns, "public", map[string]any{
		"name":   "ackguard-public",
		"acl":    "public-read",
		"policy": fmt.Sprintf(publicReadPolicy, "ackguard-public"),
	})
	err := c.Create(ctx, b)
	if err == nil {
		t.Fatal("insecure bucket admitted")
	}
	got := causes(t, err)
	for _, want := range []struct{ field, msg string }{
		{"spec.policy", `S3-002: Statement[0] (Sid "PublicRead") allows s3:GetObject to any principal; remove the statement, or restrict it`},
		{"spec.publicAccessBlock", "S3-001: publicAccessBlock is not set"},
		{"spec.acl", "S3-004: canned ACL public-read grants access to everyone"},
	} {
		if !hasCause(got, want.field, want.msg) {
			t.Errorf("no cause %s: %q in %q", want.field, want.msg, got)
		}
	}
	// kubectl prints the message: field, rule ID and remedy in one line each.
	if msg := err.Error(); !strings.Contains(msg, `spec.policy: Forbidden: S3-002: Statement[0] (Sid "PublicRead") allows s3:GetObject to any principal`) ||
		!strings.Contains(msg, `admission webhook "validate.ack.ackguard.dev" denied the request`) {
		t.Errorf("message = %s", msg)
	}
	// Nothing was stored.
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), b.DeepCopy()); err == nil {
		t.Error("denied bucket exists")
	}
}

func TestSecureBucketAdmittedWithoutWarnings(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, warnings := clientAs(t, "")
	b := bucket(ns, "secure", secureSpec("ackguard-secure"))
	if err := c.Create(ctx, b); err != nil {
		t.Fatalf("secure bucket denied: %v", err)
	}
	if w := warnings.all(); w != "" {
		t.Errorf("unexpected warnings: %s", w)
	}
}

func TestWarnFindingsAdmittedAsWarnings(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, warnings := clientAs(t, "")
	spec := secureSpec("ackguard-objectwriter")
	spec["ownershipControls"] = map[string]any{"rules": []any{map[string]any{"objectOwnership": "ObjectWriter"}}}
	if err := c.Create(ctx, bucket(ns, "objectwriter", spec)); err != nil {
		t.Fatalf("denied: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "spec.ownershipControls.rules[0].objectOwnership: S3-005") {
		t.Errorf("warnings = %q", w)
	}
}

func TestDryRunIsJudgedAndNothingIsStored(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	if err := c.Create(ctx, bucket(ns, "dry-insecure", map[string]any{}), client.DryRunAll); err == nil {
		t.Fatal("insecure dry-run admitted")
	}
	b := bucket(ns, "dry-secure", secureSpec("ackguard-dry-secure"))
	if err := c.Create(ctx, b, client.DryRunAll); err != nil {
		t.Fatalf("secure dry-run denied: %v", err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(b), b.DeepCopy()); err == nil {
		t.Error("dry-run stored the object")
	}
}

func TestACKControllerWritesAdmittedThenUpdatesJudgedOnWhatTheyIntroduce(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	ack, ackWarnings := clientAs(t, ackS3Controller)
	// ACK adopts a live bucket whose settings are insecure: admitted, warned.
	spec := secureSpec("ackguard-adopted")
	spec["publicAccessBlock"] = map[string]any{"blockPublicACLs": false, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}
	b := bucket(ns, "adopted", spec)
	if err := ack.Create(ctx, b); err != nil {
		t.Fatalf("ACK controller write denied: %v", err)
	}
	if w := ackWarnings.all(); !strings.Contains(w, "S3-001") || !strings.Contains(w, "ACK controller") {
		t.Errorf("ACK write warnings = %q", w)
	}

	// A developer changes an unrelated field: the existing finding is a
	// warning, the update goes through.
	dev, devWarnings := clientAs(t, "")
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(b.GroupVersionKind())
	if err := dev.Get(ctx, client.ObjectKeyFromObject(b), cur); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(cur.Object, []any{map[string]any{"key": "team", "value": "data"}}, "spec", "tagging", "tagSet"); err != nil {
		t.Fatal(err)
	}
	if err := dev.Update(ctx, cur); err != nil {
		t.Fatalf("update of an unrelated field denied: %v", err)
	}
	if w := devWarnings.all(); !strings.Contains(w, "S3-001") || !strings.Contains(w, "already present") {
		t.Errorf("update warnings = %q", w)
	}

	// An update that introduces a public statement is denied, and only the
	// new finding is a cause.
	if err := unstructured.SetNestedField(cur.Object, fmt.Sprintf(publicReadPolicy, "ackguard-adopted"), "spec", "policy"); err != nil {
		t.Fatal(err)
	}
	err := dev.Update(ctx, cur)
	if err == nil {
		t.Fatal("update introducing a public statement admitted")
	}
	got := causes(t, err)
	if !hasCause(got, "spec.policy", "S3-002") {
		t.Errorf("causes = %q", got)
	}
	for _, c := range got {
		if strings.Contains(c, "S3-001") {
			t.Errorf("pre-existing S3-001 became a cause: %q", got)
		}
	}
}

// The webhook configuration's match condition (webhookconfig.JudgedChange)
// keeps from the webhook the UPDATEs that leave the spec and the adoption
// policy as they were: a label change of a Bucket that violates S3-001
// reaches no webhook (no warning, though the webhook would note the
// finding it already has), a change of its spec does.
func TestMatchConditionSkipsUpdatesThatLeaveTheSpec(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	ack, _ := clientAs(t, ackS3Controller)
	b := bucket(ns, "skipped", secureSpecWithout("ackguard-skipped", "publicAccessBlock"))
	if err := ack.Create(ctx, b); err != nil {
		t.Fatalf("ACK controller write denied: %v", err)
	}
	dev, warnings := clientAs(t, "")
	update := func(change func(u *unstructured.Unstructured)) string {
		t.Helper()
		warnings.reset()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := &unstructured.Unstructured{}
			cur.SetGroupVersionKind(b.GroupVersionKind())
			if err := dev.Get(ctx, client.ObjectKeyFromObject(b), cur); err != nil {
				return err
			}
			change(cur)
			return dev.Update(ctx, cur)
		})
		if err != nil {
			t.Fatalf("update denied: %v", err)
		}
		return strings.Join(warnings.list(), "\n")
	}
	if w := update(func(u *unstructured.Unstructured) {
		u.SetLabels(map[string]string{"team": "data"})
		u.SetAnnotations(map[string]string{"example.com/owner": "data"})
	}); w != "" {
		t.Errorf("an update of labels and annotations reached the webhook: warnings %q", w)
	}
	if w := update(func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, []any{map[string]any{"key": "team", "value": "data"}}, "spec", "tagging", "tagSet"); err != nil {
			t.Fatal(err)
		}
	}); !strings.Contains(w, "S3-001") {
		t.Errorf("an update of the spec did not reach the webhook: warnings %q", w)
	}
}

// adoptionPlaceholder is a Bucket that asks ACK to adopt the bucket named
// (adoption-policy "adopt"), with spec when not nil.
func adoptionPlaceholder(ns, name, bucket string, spec map[string]any) *unstructured.Unstructured {
	b := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": name, "namespace": ns, "annotations": map[string]any{
			"services.k8s.aws/adoption-policy": "adopt",
			"services.k8s.aws/adoption-fields": `{"name":"` + bucket + `"}`,
		}},
	}}
	if spec != nil {
		b.Object["spec"] = spec
	}
	return b
}

func TestAdoptionPlaceholderAdmitted(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, warnings := clientAs(t, "")
	b := adoptionPlaceholder(ns, "adopt-me", "existing-bucket", nil)
	if err := c.Create(ctx, b); err != nil {
		t.Fatalf("adoption denied: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "adoption") {
		t.Errorf("warnings = %q", w)
	}
	// adopt-or-create may create the bucket from this spec: judged.
	b2 := b.DeepCopy()
	b2.SetName("adopt-or-create")
	b2.SetResourceVersion("")
	b2.SetAnnotations(map[string]string{"services.k8s.aws/adoption-policy": "adopt-or-create"})
	if err := c.Create(ctx, b2); err == nil {
		t.Error("adopt-or-create without Block Public Access admitted")
	}
}

// An UPDATE that changes nothing but the adoption policy still reaches the
// webhook (the match condition sends it), and lifting "adopt" is judged as
// the creation it asks ACK for.
func TestLiftingAdoptionAloneIsJudged(t *testing.T) {
	ns := newNamespace(t)
	c, warnings := clientAs(t, "")
	b := adoptionPlaceholder(ns, "placeholder", "not-there-yet", map[string]any{"name": "not-there-yet", "acl": "public-read"})
	if err := c.Create(ctx, b); err != nil {
		t.Fatalf("adoption placeholder denied: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "adoption") {
		t.Errorf("warnings = %q", w)
	}
	for _, lift := range []map[string]string{
		{"services.k8s.aws/adoption-policy": "adopt-or-create", "services.k8s.aws/adoption-fields": `{"name":"not-there-yet"}`},
		{"team": "storage"}, // the annotation removed
	} {
		up := b.DeepCopy()
		up.SetAnnotations(lift)
		err := c.Update(ctx, up)
		if err == nil {
			t.Fatalf("lifting adopt to %v without touching the spec admitted", lift)
		}
		if msg := err.Error(); !strings.Contains(msg, "S3-001") || !strings.Contains(msg, "S3-004") {
			t.Errorf("lifting adopt to %v: %v, want S3-001 and S3-004", lift, err)
		}
	}
	// Once ACK adopted the bucket (its finalizer, adopted "true"), a
	// manifest that drops the annotation is an update like any other: what
	// the object already had is noted, not denied.
	adopted := b.DeepCopy()
	adopted.SetFinalizers([]string{"finalizers.s3.services.k8s.aws/Bucket"})
	adopted.SetAnnotations(map[string]string{
		"services.k8s.aws/adoption-policy": "adopt",
		"services.k8s.aws/adoption-fields": `{"name":"not-there-yet"}`,
		"services.k8s.aws/adopted":         "true",
	})
	ackc, _ := clientAs(t, ackS3Controller)
	if err := ackc.Update(ctx, adopted); err != nil {
		t.Fatalf("ACK marking the bucket adopted: %v", err)
	}
	dropped := adopted.DeepCopy()
	dropped.SetAnnotations(map[string]string{"services.k8s.aws/adopted": "true"})
	c, warnings = clientAs(t, "")
	if err := c.Update(ctx, dropped); err != nil {
		t.Fatalf("dropping adopt after ACK adopted the bucket: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "S3-004") {
		t.Errorf("dropping adopt after adoption warned %q, want the findings it already had", w)
	}
	b = dropped
	// Other metadata-only changes are not sent: a label added to the
	// bucket is admitted without a word.
	c, warnings = clientAs(t, "")
	up := b.DeepCopy()
	up.SetLabels(map[string]string{"team": "storage"})
	if err := c.Update(ctx, up); err != nil {
		t.Fatalf("a label on the bucket: %v", err)
	}
	if w := warnings.all(); w != "" {
		t.Errorf("a label on the bucket warned %q", w)
	}
}

func TestBadInputIsDeniedClearly(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	huge := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(" ", 1<<20) + `]}`
	cases := []struct {
		name, policy, want string
	}{
		{"not-json", `{"Statement": [`, "POL-001: invalid bucket policy: not valid JSON"},
		{"one-mib", huge, fmt.Sprintf("POL-001: invalid bucket policy: document is %d bytes; a resource policy may be at most 20480 bytes", len(huge))},
		{"deep", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "nested more than 16 levels deep"},
		{"duplicate-effect", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, `duplicate key "Effect"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := secureSpec("ackguard-bad-" + tc.name)
			spec["policy"] = tc.policy
			err := c.Create(ctx, bucket(ns, "bad-"+tc.name, spec))
			if err == nil {
				t.Fatal("admitted")
			}
			if got := causes(t, err); !hasCause(got, "spec.policy", tc.want) {
				t.Errorf("causes = %.600q", got)
			}
		})
	}
}

// TestACKSamples judges ACK's own S3 sample manifests through the API
// server when the real CRDs are installed (ACK_CRDS_DIR): each is admitted
// or denied with structured causes, never an error of another kind.
func TestACKSamples(t *testing.T) {
	suite.Start(t)
	dir := samplesDir(t, "s3")
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no samples in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			obj := loadSample(t, f, ns)
			err := c.Create(ctx, obj, client.DryRunAll)
			if err != nil {
				got := causes(t, err)
				if len(got) == 0 {
					t.Fatalf("denied without causes: %v", err)
				}
				t.Logf("denied: %q", got)
			}
		})
	}
}

func samplesDir(t *testing.T, service string) string {
	t.Helper()
	base := os.Getenv("ACK_SAMPLES_DIR")
	if base == "" && os.Getenv("ACK_CRDS_DIR") != "" {
		base = filepath.Join(os.Getenv("ACK_CRDS_DIR"), "..", "samples")
	}
	if base == "" {
		t.Skip("ACK_CRDS_DIR (or ACK_SAMPLES_DIR) not set: ACK's samples are not available")
	}
	return filepath.Join(base, service)
}

// loadSample reads an ACK sample, substituting its $VARIABLES.
func loadSample(t *testing.T, path, ns string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(path), ".yaml"), "_", "-")
	text := os.Expand(string(data), func(v string) string {
		switch v {
		case "BUCKET_NAME", "RANDOM_BUCKET_NAME":
			return "ackguard-sample-" + name
		case "ADOPTION_POLICY":
			return "adopt"
		case "ADOPTION_FIELDS":
			return `{\"name\":\"ackguard-sample-` + name + `\"}`
		}
		return "sample"
	})
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(ns)
	return u
}

// TestMetricsRecorded checks the decisions and latency reach the manager's
// metrics registry (served on its metrics endpoint).
func TestMetricsRecorded(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	c, _ := clientAs(t, "")
	_ = c.Create(ctx, bucket(ns, "metrics", map[string]any{"acl": "public-read"}), client.DryRunAll)
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "ackguard_admission_decisions_total":
				if labels["kind"] == "Bucket" && labels["rule"] == "S3-004" && labels["result"] == "denied" && m.GetCounter().GetValue() > 0 {
					found["decision"] = true
				}
			case "ackguard_admission_duration_seconds":
				if labels["kind"] == "Bucket" && m.GetHistogram().GetSampleCount() > 0 {
					found["latency"] = true
				}
			}
		}
	}
	if !found["decision"] || !found["latency"] {
		t.Errorf("metrics missing: %v", found)
	}
}
