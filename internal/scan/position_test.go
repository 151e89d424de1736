package scan

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// at is "rule path line:column" for each finding of a scan of in (on
// standard input), keyed by source.
func positions(t *testing.T, in string) map[string][]string {
	t.Helper()
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(in), Options{})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	out := map[string][]string{}
	for _, f := range rep.Findings {
		out[f.Resource.Source] = append(out[f.Resource.Source], fmt.Sprintf("%s %s %d:%d", f.Rule, f.Path, f.Line, f.Column))
	}
	return out
}

func hasAll(t *testing.T, got map[string][]string, source string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got[source] {
			found = found || g == w
		}
		if !found {
			t.Errorf("%s: no finding %q in %q", source, w, got[source])
		}
	}
}

func TestLinesAtDepth(t *testing.T) {
	in := `# a comment, then a multi-document stream
apiVersion: ec2.services.k8s.aws/v1alpha1
kind: SecurityGroup
metadata:
  name: ssh
spec:
  name: ssh
  description: ssh
  ingressRules:
  - ipProtocol: tcp
    fromPort: 22
    toPort: 22
    ipRanges:
    - description: ok
      cidrIP: 10.0.0.0/8
    - cidrIP: 0.0.0.0/0
---
apiVersion: rds.services.k8s.aws/v1alpha1
kind: DBInstance
metadata: {name: orders, namespace: team-b}
spec:
  dbInstanceIdentifier: orders
  dbInstanceClass: db.t3.micro
  engine: postgres
  publiclyAccessible: true
---
apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata:
  name: site
spec:
  name: site
  policy: |
    {"Version": "2012-10-17",
     "Statement": [{"Sid": "Public", "Effect": "Allow", "Principal": "*",
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}
--- {"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": {"name": "flow"}, "spec": {"name": "flow", "acl": "public-read"}}
`
	got := positions(t, in)
	hasAll(t, got, "-#0",
		// Five levels down, in the second element of a nested list.
		"EC2-001 spec.ingressRules[0].ipRanges[1].cidrIP 16:7",
	)
	hasAll(t, got, "-#1",
		"RDS-001 spec.publiclyAccessible 25:3",
		// Absent: the nearest present parent, spec.
		"RDS-002 spec.storageEncrypted 21:1",
	)
	hasAll(t, got, "-#2",
		// Inside the embedded JSON policy: the policy: key.
		"S3-002 spec.policy 33:3",
		// No spec.publicAccessBlock: spec.
		"S3-001 spec.publicAccessBlock 31:1",
	)
	// Content after "---" on the marker's line: columns count from the
	// start of the line.
	hasAll(t, got, "-#3", "S3-004 spec.acl 37:125", "S3-001 spec.publicAccessBlock 37:100")
}

func TestLinesInLists(t *testing.T) {
	in := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: skipped}
- apiVersion: s3.services.k8s.aws/v1alpha1
  kind: Bucket
  metadata:
    name: listed
  spec:
    name: listed
    acl: public-read
---
apiVersion: s3.services.k8s.aws/v1alpha1
kind: BucketList
items:
- metadata: {name: typed}
`
	got := positions(t, in)
	hasAll(t, got, "-#0[1]", "S3-004 spec.acl 13:5", "S3-001 spec.publicAccessBlock 11:3")
	// An item with no spec at all: the start of the item.
	hasAll(t, got, "-#1[0]", "S3-001 spec.publicAccessBlock 18:3")
}

func TestLinesJSON(t *testing.T) {
	in := `{"apiVersion": "v1", "kind": "ConfigMap"}
{
  "apiVersion": "s3.services.k8s.aws/v1alpha1",
  "kind": "Bucket",
  "metadata": {"name": "j"},
  "spec": {
    "name": "j",
    "acl": "public-read"
  }
}
`
	got := positions(t, in)
	hasAll(t, got, "-#1", "S3-004 spec.acl 8:5", "S3-001 spec.publicAccessBlock 6:3")
}

// Lines end at a lone CR as at LF and CRLF, in YAML and in JSON streams:
// a finding in a later document is at its line in the file.
func TestLinesWithCarriageReturns(t *testing.T) {
	bucket := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec:\n  name: b\n  acl: public-read\n"
	in := strings.ReplaceAll("# a comment\n---\napiVersion: v1\nkind: ConfigMap\n---\n"+bucket, "\n", "\r")
	hasAll(t, positions(t, in), "-#1", "S3-004 spec.acl 11:3", "S3-001 spec.publicAccessBlock 9:1")
	in = strings.ReplaceAll("{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\"}\n{\"apiVersion\": \"s3.services.k8s.aws/v1alpha1\",\n \"kind\": \"Bucket\", \"metadata\": {\"name\": \"b\"},\n \"spec\": {\n  \"acl\": \"public-read\", \"name\": \"b\"}}\n", "\n", "\r")
	hasAll(t, positions(t, in), "-#1", "S3-004 spec.acl 6:3")
}

func TestLinesThroughAliases(t *testing.T) {
	in := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: aliased}
spec:
  <<: &common
    name: aliased
    acl: public-read
`
	got := positions(t, in)
	// A merged field is located at the "<<" key that brings it in.
	hasAll(t, got, "-", "S3-004 spec.acl 5:3")
}

// A JSON stream's values are located as the YAML decoders and the SARIF
// run count: NEL, LS and PS end lines (raw in a string of an earlier
// value), and a column counts characters, not bytes.
func TestLinesJSONStreamCountAsYAML(t *testing.T) {
	bucket := "{\"apiVersion\": \"s3.services.k8s.aws/v1alpha1\",\n \"kind\": \"Bucket\", \"metadata\": {\"name\": \"b\"},\n \"spec\": {\n  \"acl\": \"public-read\", \"name\": \"b\"}}\n"
	for _, br := range []string{"\u0085", "\u2028", "\u2029"} {
		// One JSON document, read by the YAML decoder: the break counts.
		in := "{\"apiVersion\": \"s3.services.k8s.aws/v1alpha1\", \"metadata\": {\"name\": \"b\", \"annotations\": {\"a\": \"x" + br + "y\"}},\n \"kind\": \"Bucket\",\n \"spec\": {\n  \"acl\": \"public-read\", \"name\": \"b\"}}\n"
		hasAll(t, positions(t, in), "-", "S3-004 spec.acl 5:3")
		// A stream: the break in the first value counts as well.
		in = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"x\": \"a" + br + "b\"}}\n" + bucket
		hasAll(t, positions(t, in), "-#1", "S3-004 spec.acl 6:3")
	}
	in := "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"x\": \"éé\"}} {\"apiVersion\": \"s3.services.k8s.aws/v1alpha1\", \"kind\": \"Bucket\", \"spec\": {\"acl\": \"public-read\", \"name\": \"b\"}, \"metadata\": {\"name\": \"b\"}}\n"
	hasAll(t, positions(t, in), "-#1", "S3-004 spec.acl 1:138")
}
