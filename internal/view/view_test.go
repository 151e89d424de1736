package view

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPathString(t *testing.T) {
	cases := []struct {
		path Path
		want string
	}{
		{NewPath("spec", "publicAccessBlock", "blockPublicACLs"), "spec.publicAccessBlock.blockPublicACLs"},
		{NewPath("spec", "ownershipControls", "rules").Index(2).Child("objectOwnership"), "spec.ownershipControls.rules[2].objectOwnership"},
		{NewPath("spec", "inlinePolicies", "my policy"), `spec.inlinePolicies["my policy"]`},
		{NewPath("metadata", "annotations", "services.k8s.aws/read-only"), `metadata.annotations["services.k8s.aws/read-only"]`},
		{Path{}, ""},
	}
	for _, tc := range cases {
		if got := tc.path.String(); got != tc.want {
			t.Errorf("%v.String() = %q, want %q", []string(tc.path), got, tc.want)
		}
	}
	for _, tc := range []struct {
		path Path
		want string
	}{
		{NewPath("spec", "ingressRules").Index(3).Child("ipRanges").Index(0).Child("cidrIP"), "spec.ingressRules[].ipRanges[].cidrIP"},
		{NewPath("spec", "inlinePolicies", "my policy"), `spec.inlinePolicies[]`},
		{NewPath("spec", "inlinePolicies"), `spec.inlinePolicies`},
		{NewPath("metadata", "annotations", "services.k8s.aws/read-only"), `metadata.annotations["services.k8s.aws/read-only"]`},
		{NewPath("spec", "m", "").Index(1), `spec.m[""][]`},
	} {
		if got := tc.path.Unindexed(); got != tc.want {
			t.Errorf("%v.Unindexed() = %q, want %q", []string(tc.path), got, tc.want)
		}
	}
	p := NewPath("spec")
	c := p.Child("a")
	_ = p.Child("b")
	if c.String() != "spec.a" {
		t.Errorf("Child shares its backing array: %s", c)
	}
}

func TestBucketAbsentIsNotFalse(t *testing.T) {
	b := NewBucket(decodeJSON(t, `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"b","namespace":"ns"},
		"spec":{"name":"real-name","publicAccessBlock":{"blockPublicACLs":true,"ignorePublicACLs":false},"unknownField":{"x":1}}}`))
	pab := b.PublicAccessBlock
	if !pab.Present || !pab.BlockPublicACLs.IsTrue() {
		t.Errorf("blockPublicACLs = %+v", pab.BlockPublicACLs)
	}
	if f := pab.IgnorePublicACLs; !f.Present || f.Value || f.Err != nil {
		t.Errorf("ignorePublicACLs = %+v, want present false", f)
	}
	if f := pab.BlockPublicPolicy; f.Present {
		t.Errorf("blockPublicPolicy = %+v, want absent", f)
	}
	if got := pab.RestrictPublicBuckets.Path.String(); got != "spec.publicAccessBlock.restrictPublicBuckets" {
		t.Errorf("absent field path = %q", got)
	}
	if b.Policy.Present || b.ACL.Present {
		t.Error("absent strings reported present")
	}
	if b.BucketName() != "real-name" || b.Meta.Name != "b" || b.Namespace != "ns" || b.GVK != BucketGVK {
		t.Errorf("identity = %q %+v", b.BucketName(), b.Meta)
	}
	if len(b.Errors) != 0 {
		t.Errorf("unknown fields must be ignored, got %v", b.Errors)
	}
}

func TestBucketWrongTypesNameThePath(t *testing.T) {
	b := NewBucket(decodeJSON(t, `{"spec":{"policy":5,"acl":true,"publicAccessBlock":{"blockPublicACLs":"yes"},
		"ownershipControls":{"rules":[3,{"objectOwnership":["x"]}]},"grantRead":{}}}`))
	checks := []struct {
		err  *FieldError
		want string
	}{
		{b.Policy.Err, "spec.policy: must be a string, found number"},
		{b.ACL.Err, "spec.acl: must be a string, found boolean"},
		{b.PublicAccessBlock.BlockPublicACLs.Err, "spec.publicAccessBlock.blockPublicACLs: must be a boolean, found string"},
		{b.OwnershipRules[0].ObjectOwnership.Err, "spec.ownershipControls.rules[1].objectOwnership: must be a string, found array"},
		{b.Grants[1].Err, "spec.grantRead: must be a string, found object"},
	}
	for _, c := range checks {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("error = %v, want %q", c.err, c.want)
		}
	}
	if len(b.Errors) != 1 || !strings.Contains(b.Errors[0].Error(), "spec.ownershipControls.rules[0]: must be an object, found number") {
		t.Errorf("errors = %v", b.Errors)
	}
	// A spec that is not an object.
	b = NewBucket(decodeJSON(t, `{"spec":"oops"}`))
	if len(b.Errors) != 1 || b.Errors[0].Path.String() != "spec" || b.PublicAccessBlock.Present {
		t.Errorf("spec string: errors %v", b.Errors)
	}
	// JSON null is absent, as for the API server's optional fields.
	b = NewBucket(decodeJSON(t, `{"spec":{"policy":null,"publicAccessBlock":null}}`))
	if b.Policy.Present || b.PublicAccessBlock.Present {
		t.Error("null reported present")
	}
}

func TestInt(t *testing.T) {
	o := Root(decodeJSON(t, `{"a":3,"b":3.5,"c":"3","d":-0}`))
	if v := o.Int("a"); v.Err != nil || v.Value != 3 {
		t.Errorf("a = %+v", v)
	}
	if v := o.Int("b"); v.Err == nil {
		t.Errorf("3.5 accepted as integer")
	}
	if v := o.Int("c"); v.Err == nil || v.Err.Expected != "integer" {
		t.Errorf("string accepted as integer: %+v", v)
	}
	if v := o.Int("missing"); v.Present {
		t.Error("missing present")
	}
}

func TestMetaPartitionAndReadOnly(t *testing.T) {
	cases := []struct {
		obj       string
		partition string
		readOnly  bool
	}{
		{`{}`, "aws", false},
		{`{"metadata":{"annotations":{"services.k8s.aws/region":"cn-north-1","services.k8s.aws/read-only":"TRUE"}}}`, "aws-cn", true},
		{`{"metadata":{"annotations":{"services.k8s.aws/region":"us-gov-west-1","services.k8s.aws/read-only":"false"}}}`, "aws-us-gov", false},
		{`{"status":{"ackResourceMetadata":{"arn":"arn:aws-cn:s3:::b"}}}`, "aws-cn", false},
		{`{"status":{"ackResourceMetadata":{"partition":"aws-iso","arn":"arn:aws:s3:::b"}}}`, "aws-iso", false},
		// ACK writes a Bucket's ARN in the aws partition whatever its region.
		{`{"status":{"ackResourceMetadata":{"arn":"arn:aws:s3:::b","region":"cn-north-1"}}}`, "aws-cn", false},
		{`{"metadata":{"annotations":{"services.k8s.aws/region":"us-gov-east-1"}},"status":{"ackResourceMetadata":{"arn":"arn:aws:s3:::b"}}}`, "aws-us-gov", false},
		{`{"status":{"ackResourceMetadata":{"arn":"arn:aws:s3:::b","region":"eu-west-1"}}}`, "aws", false},
		{`{"metadata":{"annotations":{"services.k8s.aws/region":"eusc-de-east-1"}}}`, "aws-eusc", false},
		{`{"metadata":{"annotations":"not a map"},"status":7}`, "aws", false},
		// ACK trims nothing: " true " leaves the object managed.
		{`{"metadata":{"annotations":{"services.k8s.aws/read-only":" true "}}}`, "aws", false},
		{`{"metadata":{"annotations":{"services.k8s.aws/read-only":"True"}}}`, "aws", true},
		{`{"metadata":{"annotations":{"services.k8s.aws/read-only":true}}}`, "aws", false},
	}
	for _, tc := range cases {
		obj := decodeJSON(t, tc.obj)
		m := ReadMeta(obj)
		if m.AWSPartition("") != tc.partition || m.ReadOnly() != tc.readOnly {
			t.Errorf("%s: partition %q readOnly %v", tc.obj, m.AWSPartition(""), m.ReadOnly())
		}
		// Read in place, as the reconciler and the admission decision do.
		if got := ReadOnly(obj); got != tc.readOnly {
			t.Errorf("%s: ReadOnly in place %v, Meta says %v", tc.obj, got, tc.readOnly)
		}
	}
}

// An object that does not tell its partition (no partition or region in
// its status, no region annotation, no ARN) is in the configured one, as
// ACK creates it in its default region; whatever the object tells comes
// first, an aws region included.
func TestMetaPartitionFallback(t *testing.T) {
	cases := []struct {
		name, obj, fallback, partition string
	}{
		{"nothing told, none configured", `{}`, "", "aws"},
		{"nothing told, aws-cn configured", `{}`, "aws-cn", "aws-cn"},
		{"nothing told, aws-us-gov configured", `{"metadata":{"annotations":{"services.k8s.aws/read-only":"true"}}}`, "aws-us-gov", "aws-us-gov"},
		{"status partition", `{"status":{"ackResourceMetadata":{"partition":"aws"}}}`, "aws-cn", "aws"},
		{"status region in aws", `{"status":{"ackResourceMetadata":{"region":"eu-west-1"}}}`, "aws-cn", "aws"},
		{"region annotation in aws", `{"metadata":{"annotations":{"services.k8s.aws/region":"us-east-1"}}}`, "aws-cn", "aws"},
		{"region annotation in aws-us-gov", `{"metadata":{"annotations":{"services.k8s.aws/region":"us-gov-west-1"}}}`, "aws-cn", "aws-us-gov"},
		{"ARN", `{"status":{"ackResourceMetadata":{"arn":"arn:aws:iam::111122223333:role/r"}}}`, "aws-cn", "aws"},
		{"a region of no known partition", `{"metadata":{"annotations":{"services.k8s.aws/region":"mars-1"}}}`, "aws-cn", "aws-cn"},
	}
	for _, tc := range cases {
		if got := ReadMeta(decodeJSON(t, tc.obj)).AWSPartition(tc.fallback); got != tc.partition {
			t.Errorf("%s: AWSPartition(%q) = %q, want %q", tc.name, tc.fallback, got, tc.partition)
		}
	}
}

// The AWS name of a Bucket read alone is the one its views hold; a
// directory bucket's name is read as any other.
func TestBucketSpecName(t *testing.T) {
	cases := []struct {
		name, obj string
		value     string
		present   bool
		err       bool
	}{
		{"named", `{"metadata":{"name":"k8s-name"},"spec":{"name":"orders-assets"}}`, "orders-assets", true, false},
		{"directory bucket", `{"spec":{"name":"logs--use1-az4--x-s3"}}`, "logs--use1-az4--x-s3", true, false},
		{"no spec.name: metadata.name is not read", `{"metadata":{"name":"k8s-name"},"spec":{}}`, "", false, false},
		{"name of the wrong type", `{"spec":{"name":["x--x-s3"]}}`, "", true, true},
		{"spec not an object", `{"spec":"x"}`, "", false, false},
	}
	for _, tc := range cases {
		obj := decodeJSON(t, tc.obj)
		got := BucketSpecName(Spec(obj))
		if got.Value != tc.value || got.Present != tc.present || (got.Err != nil) != tc.err || got.Path.String() != "spec.name" {
			t.Errorf("%s: BucketSpecName = %+v", tc.name, got)
		}
		if b, c := NewBucket(obj), NewBucketConfig(obj); !reflect.DeepEqual(got, b.Name) || !reflect.DeepEqual(got, c.Name) {
			t.Errorf("%s: read alone %+v, Bucket.Name %+v, BucketConfig.Name %+v", tc.name, got, b.Name, c.Name)
		}
	}
}

// An object posed for admission carries the status the API server would
// store with it: none on a creation, the stored one on an update.
func TestWithoutStatusAndWithStatusOf(t *testing.T) {
	stored := map[string]any{"ackResourceMetadata": map[string]any{"arn": "arn:aws-cn:s3:::b", "ownerAccountID": "111122223333"}}
	exported := map[string]any{"ackResourceMetadata": map[string]any{"arn": "arn:aws:s3:::b"}}
	obj := func(status any, has bool) map[string]any {
		o := map[string]any{"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "spec": map[string]any{"name": "b"}}
		if has {
			o["status"] = status
		}
		return o
	}
	same := func(a, b map[string]any) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }
	cases := []struct {
		name      string
		obj, old  map[string]any // old nil: WithoutStatus
		status    any
		hasStatus bool
		itself    bool // obj itself is returned
	}{
		{"create without a status", obj(nil, false), nil, nil, false, true},
		{"create with an exported status", obj(exported, true), nil, nil, false, false},
		{"create with a null status", obj(nil, true), nil, nil, false, false},
		{"update: the stored status replaces the manifest's", obj(exported, true), obj(stored, true), stored, true, false},
		{"update: the stored status is added", obj(nil, false), obj(stored, true), stored, true, false},
		{"update of an object stored without a status", obj(exported, true), obj(nil, false), nil, false, false},
		{"update: neither has a status", obj(nil, false), obj(nil, false), nil, false, true},
		{"update: a null stored status is kept", obj(exported, true), obj(nil, true), nil, true, false},
	}
	for _, tc := range cases {
		before := maps.Clone(tc.obj)
		var got map[string]any
		if tc.old == nil {
			got = WithoutStatus(tc.obj)
		} else {
			got = WithStatusOf(tc.obj, tc.old)
		}
		st, has := got["status"]
		if has != tc.hasStatus || !reflect.DeepEqual(st, tc.status) {
			t.Errorf("%s: status %v (%v), want %v (%v)", tc.name, st, has, tc.status, tc.hasStatus)
		}
		if same(got, tc.obj) != tc.itself {
			t.Errorf("%s: returned obj itself: %v, want %v", tc.name, same(got, tc.obj), tc.itself)
		}
		if !reflect.DeepEqual(tc.obj, before) {
			t.Errorf("%s: obj was modified: %v", tc.name, tc.obj)
		}
		if !reflect.DeepEqual(got["spec"], tc.obj["spec"]) || got["kind"] != tc.obj["kind"] {
			t.Errorf("%s: the rest of the object changed: %v", tc.name, got)
		}
	}
}

// What a judgement depends on is read in place: the spec whatever its
// type, and the labels and annotations ReadMeta keeps the strings of.
func TestRawSpecAndLabelsAndAnnotations(t *testing.T) {
	cases := []struct {
		name, obj      string
		spec           any
		labels, annots map[string]any
	}{
		{"whole object", `{"metadata":{"labels":{"env":"dev"},"annotations":{"services.k8s.aws/region":"eu-west-1"}},"spec":{"name":"b"}}`,
			map[string]any{"name": "b"}, map[string]any{"env": "dev"}, map[string]any{"services.k8s.aws/region": "eu-west-1"}},
		{"no metadata, no spec", `{}`, nil, nil, nil},
		{"spec not an object", `{"spec":"x"}`, "x", nil, nil},
		{"null spec", `{"spec":null}`, nil, nil, nil},
		{"metadata not an object", `{"metadata":"x","spec":[]}`, []any{}, nil, nil},
		{"labels not an object", `{"metadata":{"labels":["env"],"annotations":{}}}`, nil, nil, map[string]any{}},
		{"values not strings are returned as decoded", `{"metadata":{"labels":{"n":1,"env":"dev"},"annotations":{"a":true}}}`,
			nil, map[string]any{"n": float64(1), "env": "dev"}, map[string]any{"a": true}},
	}
	for _, tc := range cases {
		obj := decodeJSON(t, tc.obj)
		if got := RawSpec(obj); !reflect.DeepEqual(got, tc.spec) {
			t.Errorf("%s: RawSpec = %#v, want %#v", tc.name, got, tc.spec)
		}
		labels, annots := LabelsAndAnnotations(obj)
		if !reflect.DeepEqual(labels, tc.labels) || !reflect.DeepEqual(annots, tc.annots) {
			t.Errorf("%s: labels %v, annotations %v; want %v, %v", tc.name, labels, annots, tc.labels, tc.annots)
		}
		// ReadMeta reads the same maps, and only their string values.
		m := ReadMeta(obj)
		if !reflect.DeepEqual(Strings(labels), m.Labels) || !reflect.DeepEqual(Strings(annots), m.Annotations) {
			t.Errorf("%s: ReadMeta reads %v, %v", tc.name, m.Labels, m.Annotations)
		}
		for _, s := range []struct {
			fields map[string]any
			read   Strings
		}{{labels, m.Labels}, {annots, m.Annotations}} {
			for k, v := range s.fields {
				str, isString := v.(string)
				if got, ok := s.read.Lookup(k); got != str || ok != isString || s.read.Has(k) != isString || s.read.Get(k) != str {
					t.Errorf("%s: %q reads as %q, %v; want %q, %v", tc.name, k, got, ok, str, isString)
				}
			}
		}
	}
	// In place: the maps are the object's own.
	obj := decodeJSON(t, `{"metadata":{"labels":{"env":"dev"}},"spec":{"name":"b"}}`)
	labels, _ := LabelsAndAnnotations(obj)
	labels["env"] = "prod"
	RawSpec(obj).(map[string]any)["name"] = "c"
	if ReadMeta(obj).Labels.Get("env") != "prod" || Spec(obj).String("name").Value != "c" {
		t.Error("LabelsAndAnnotations or RawSpec returned a copy")
	}
}

// A Namespace names the account of its ACK resources in one annotation;
// nothing else assigns one, and the value is returned as written.
func TestNamespaceOwnerAccount(t *testing.T) {
	cases := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"annotated", map[string]string{"services.k8s.aws/owner-account-id": "111122223333"}, "111122223333"},
		{"no annotations", nil, ""},
		{"other ACK annotations only", map[string]string{"services.k8s.aws/region": "eu-west-1", "services.k8s.aws/owner-account": "111122223333"}, ""},
		{"empty value", map[string]string{"services.k8s.aws/owner-account-id": ""}, ""},
		{"not an account ID, kept as written", map[string]string{"services.k8s.aws/owner-account-id": " 1111-2222 "}, " 1111-2222 "},
	}
	for _, tc := range cases {
		if got := NamespaceOwnerAccount(tc.annotations); got != tc.want {
			t.Errorf("%s: NamespaceOwnerAccount = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzNewBucket(f *testing.F) {
	f.Add(`{"spec":{"name":"b","publicAccessBlock":{"blockPublicACLs":true},"ownershipControls":{"rules":[{"objectOwnership":"ObjectWriter"}]}}}`)
	f.Add(`{"spec":{"ownershipControls":{"rules":{}}},"metadata":{"annotations":{"a":1}}}`)
	f.Add(`{"apiVersion":7,"kind":[],"status":{"ackResourceMetadata":"x"}}`)
	f.Add(`{"spec":{"encryption":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms"}}]},"lifecycle":{"rules":[{"status":"Enabled","filter":{"and":{"prefix":"a","tags":[]}},"abortIncompleteMultipartUpload":{"daysAfterInitiation":7}}]}}}`)
	f.Add(`{"spec":{"logging":{"loggingEnabled":"x"},"objectLockConfiguration":{"rule":{"defaultRetention":{"days":"1"}}},"notification":{"queueConfigurations":{}},"replication":{"rules":[1,{"destination":[]}]}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		b := NewBucket(m)
		for _, e := range b.Errors {
			if e.Path.String() == "" || !strings.HasPrefix(e.Path.String(), "spec") {
				t.Fatalf("error without a spec path: %v", e)
			}
		}
		_ = b.BucketName()
		_ = b.AWSPartition("")
		// The parts the rules read alone are the view's parts.
		spec := Spec(m)
		if got, want := exported(BucketPublicAccessBlock(spec)), exported(b.PublicAccessBlock); !reflect.DeepEqual(got, want) {
			t.Fatalf("publicAccessBlock read alone: %+v, in the view: %+v", got, want)
		}
		if got := BucketPolicy(spec); !reflect.DeepEqual(got, b.Policy) {
			t.Fatalf("policy read alone: %+v, in the view: %+v", got, b.Policy)
		}
		// The configuration view reads the same object without panicking;
		// every error it carries names a spec field.
		c := NewBucketConfig(m)
		errs := []*FieldError{c.Encryption.Err, c.EncryptionRules.Err, c.LifecycleRules.Err, c.LoggingTarget.Err, c.ObjectLock.Mode.Err, c.ReplRules.Err}
		for _, r := range c.Lifecycles {
			errs = append(errs, r.Err, r.Status.Err, r.AbortDays.Err, r.Filter.Err)
		}
		for _, e := range errs {
			if e != nil && !strings.HasPrefix(e.Path.String(), "spec") {
				t.Fatalf("error without a spec path: %v", e)
			}
		}
	})
}

// ReadIdentity reads what selects an object: its group and kind, its
// namespace, its name (not a generateName prefix) and its string labels.
func TestReadIdentity(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{
			"namespace": "team-a", "generateName": "logs-",
			"labels": map[string]any{"env": "dev", "bad": int64(1)},
		},
	}
	id := ReadIdentity(obj)
	if id.GroupKind != BucketGVK.GroupKind() || id.Namespace != "team-a" || id.Name != "" {
		t.Errorf("identity %+v", id)
	}
	if v, ok := id.Labels.Lookup("env"); !ok || v != "dev" || id.Labels.Has("bad") || id.Labels.Get("bad") != "" {
		t.Errorf("labels %v, want env=dev alone", id.Labels)
	}
	if id := ReadIdentity(map[string]any{"apiVersion": "a/b/c", "kind": "X", "metadata": "nope"}); id.GroupKind.Group != "" || id.GroupKind.Kind != "X" || id.Labels != nil {
		t.Errorf("malformed object: identity %+v", id)
	}
}

// exported is p without the bookkeeping of how its paths were built.
func exported(p PublicAccessBlock) PublicAccessBlock {
	p.paths, p.node = nil, nil
	return p
}
