package main

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	vals, err := Parse([]byte(`# A section comment, not a description.
image:
  # -- Image repository.
  repository: ackguard/ackguard
  # -- Image tag;
  # defaults to appVersion.
  tag: ""
# -- Replicas.
replicaCount: 2
# Not documented as a whole: each key is.
crds:
  upgradeJob:
    # -- Run the Job.
    enabled: true
# -- Container resources.
resources:
  requests:
    cpu: 50m
# -- Labels.
podLabels: {}
# -- Args | piped.
extraArgs: [--a]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := Table(vals)
	for _, want := range []string{
		"| `image.repository` | string | `\"ackguard/ackguard\"` | Image repository. |",
		"| `image.tag` | string | `\"\"` | Image tag; defaults to appVersion. |",
		"| `replicaCount` | int | `2` | Replicas. |",
		"| `crds.upgradeJob.enabled` | bool | `true` | Run the Job. |",
		"| `resources` | object | `{\"requests\":{\"cpu\":\"50m\"}}` | Container resources. |",
		"| `podLabels` | object | `{}` | Labels. |",
		"| `extraArgs` | list | `[\"--a\"]` | Args \\| piped. |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "`image`") || strings.Contains(got, "resources.requests") {
		t.Errorf("sections or documented mappings' undocumented keys listed:\n%s", got)
	}
}

// A value without a description fails, naming it.
func TestParseUndocumented(t *testing.T) {
	_, err := Parse([]byte("# -- Documented.\na: 1\nb:\n  c: true\n  # -- Fine.\n  d: x\nempty: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "b.c") || !strings.Contains(err.Error(), "empty") || strings.Contains(err.Error(), "b.d") {
		t.Fatalf("err = %v, want b.c and empty undocumented", err)
	}
}

func TestReplace(t *testing.T) {
	doc, err := Replace([]byte("# Chart\n\n"+startMarker+"\nold\n"+endMarker+"\n\nAfter.\n"), "| t |\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Chart\n\n" + startMarker + "\n| t |\n" + endMarker + "\n\nAfter.\n"; string(doc) != want {
		t.Errorf("got %q, want %q", doc, want)
	}
	if _, err := Replace([]byte("no markers"), ""); err == nil {
		t.Error("a README without markers was accepted")
	}
}
