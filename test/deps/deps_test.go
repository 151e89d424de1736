// Package deps checks what the shipped binary links: the manager and scan
// must not carry the envtest control plane (the demo, hack/demo, and the
// test harness, internal/testenv, do).
package deps

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ackguard/ackguard"

// goList runs `go list` from the module root.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestBinaryDoesNotLinkEnvtest(t *testing.T) {
	forbidden := []string{
		"sigs.k8s.io/controller-runtime/pkg/envtest",
		"sigs.k8s.io/controller-runtime/pkg/internal/testing/",
		module + "/internal/localcluster",
		module + "/internal/testenv",
		module + "/hack/",
	}
	deps := goList(t, "-deps", module)
	if len(deps) < 100 || !slices.Contains(deps, "sigs.k8s.io/controller-runtime/pkg/manager") {
		t.Fatalf("go list -deps %s looks wrong (%d packages)", module, len(deps))
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("the ackguard binary links %s", d)
			}
		}
	}
}

// TestHarnessOnlyInTests: internal/testenv is imported from _test.go files
// only.
func TestHarnessOnlyInTests(t *testing.T) {
	for _, line := range goList(t, "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...") {
		pkg, imports, _ := strings.Cut(line, " ")
		if slices.Contains(strings.Fields(imports), module+"/internal/testenv") {
			t.Errorf("%s imports internal/testenv outside its tests", pkg)
		}
	}
}
