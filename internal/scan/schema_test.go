package scan

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestSchemaProblems checks a GuardrailException against its CRD's schema
// with the API server's validators: each problem names the field and
// says what is wrong, in the API server's words.
// expiresAtPattern is the CRD's pattern for spec.expiresAt.
const expiresAtPattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

func TestSchemaProblems(t *testing.T) {
	s, err := crdSchema(kindException)
	if err != nil {
		t.Fatal(err)
	}
	const valid = `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailException
metadata: {name: public-site, namespace: team-a}
spec:
  rules: [S3-001]
  resources: [{apiGroup: s3.services.k8s.aws, kind: Bucket, name: site}]
  reason: WEB-1234
  expiresAt: "2026-03-01T00:00:00Z"
`
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"valid", "", "", nil},
		{"duplicate in a set", "rules: [S3-001]", "rules: [S3-001, S3-002, S3-001]",
			[]string{`spec.rules[2]: Duplicate value: "S3-001"`}},
		{"too few items", "rules: [S3-001]", "rules: []",
			[]string{`spec.rules: Invalid value: 0: spec.rules in body should have at least 1 items`}},
		{"missing required field", "  reason: WEB-1234\n", "",
			[]string{`spec.reason: Required value`}},
		{"null is as good as missing", "reason: WEB-1234", "reason: null",
			[]string{`spec.reason: Required value`}},
		{"not a date-time", `expiresAt: "2026-03-01T00:00:00Z"`, `expiresAt: next week`,
			[]string{`spec.expiresAt: Invalid value: "next week": spec.expiresAt in body must be of type date-time: "next week"`,
				`spec.expiresAt: Invalid value: "next week": spec.expiresAt in body should match '` + expiresAtPattern + `'`}},
		{"a date-time the manager cannot decode", `expiresAt: "2026-03-01T00:00:00Z"`, `expiresAt: "2026-03-01t00:00:00z"`,
			[]string{`spec.expiresAt: Invalid value: "2026-03-01t00:00:00z": spec.expiresAt in body should match '` + expiresAtPattern + `'`}},
		{"too long", "reason: WEB-1234", "reason: " + strings.Repeat("x", 1025),
			[]string{`spec.reason: Too long: may not be more than 1024 bytes`}},
		{"wrong type in a list", "rules: [S3-001]", "rules: [S3-001, 7]",
			[]string{`spec.rules[1]: Invalid value: "integer": spec.rules[1] in body must be of type string: "integer"`}},
		{"several problems, by field path", "rules: [S3-001]", "rules: [s3-1]\n  extra: 1",
			[]string{`spec.rules[0]: Invalid value: "s3-1": spec.rules[0] in body should match '^[A-Z][A-Z0-9]*-[0-9]{3}$'`}},
		{"no spec at all", "spec:\n  rules: [S3-001]\n  resources: [{apiGroup: s3.services.k8s.aws, kind: Bucket, name: site}]\n  reason: WEB-1234\n  expiresAt: \"2026-03-01T00:00:00Z\"\n", "",
			[]string{`spec: Required value`}},
		{"an empty name", "kind: Bucket, name: site}", "kind: Bucket, name: ''}",
			[]string{`spec.resources[0].name: Invalid value: "": spec.resources[0].name in body should be at least 1 chars long`}},
		{"missing required field of an item", "{apiGroup: s3.services.k8s.aws, kind: Bucket, name: site}", "{apiGroup: s3.services.k8s.aws, name: site}",
			[]string{`spec.resources[0].kind: Required value`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(valid, tt.old, tt.new, 1)
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range schemaProblems(s, obj) {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
