package main

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestFlagsDocumented: docs/flags.md lists every flag `ackguard manager`
// accepts, and no flag it does not.
func TestFlagsDocumented(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"manager", "-h"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("ackguard manager -h: exit %d\n%s", code, stderr.String())
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^\s+-{1,2}([a-z0-9][a-z0-9-]*)`).FindAllStringSubmatch(stdout.String()+stderr.String(), -1) {
		if m[1] != "h" && m[1] != "help" {
			flags = append(flags, m[1])
		}
	}
	if len(flags) < 10 {
		t.Fatalf("parsed only %v from the usage:\n%s%s", flags, stdout.String(), stderr.String())
	}
	doc, err := os.ReadFile("docs/flags.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	for _, f := range flags {
		if !slices.Contains(documented, f) {
			t.Errorf("--%s is not in docs/flags.md", f)
		}
	}
	for _, f := range documented {
		if !slices.Contains(flags, f) {
			t.Errorf("docs/flags.md lists --%s, which ackguard manager does not accept", f)
		}
	}
}
