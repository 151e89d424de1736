package scan

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// examples is the directory of the pipeline examples.
var examples = filepath.Join("..", "..", "examples", "pipelines")

// fakeTool writes an executable shell script named name into dir.
func fakeTool(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestScanShKustomizeFailure: examples/pipelines/scan.sh reports a
// kustomize failure as such (exit 2, nothing judged), not as resources
// the cluster would deny; ackguard's own verdict still comes through.
func TestScanShKustomizeFailure(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := filepath.Abs(filepath.Join(examples, "scan.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(kustomize, ackguard string) (int, string) {
		t.Helper()
		bin := t.TempDir()
		fakeTool(t, bin, "kustomize", kustomize)
		fakeTool(t, bin, "ackguard", ackguard)
		cmd := exec.Command(bash, script)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "OVERLAY=overlays/prod")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, out.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String()
		}
		t.Fatal(err)
		return 0, ""
	}
	// kustomize fails; ackguard, reading nothing, finds nothing.
	code, out := run("echo 'Error: accumulating resources' >&2; exit 1", "cat >/dev/null; exit 0")
	if code != 2 || !strings.Contains(out, "kustomize build overlays/prod failed") || strings.Contains(out, "would deny") {
		t.Errorf("kustomize failed: exit %d\n%s", code, out)
	}
	// kustomize renders; ackguard's exit code is the step's.
	code, out = run("echo 'kind: Bucket'", `grep -q 'kind: Bucket' || exit 2; exit 1`)
	if code != 1 || !strings.Contains(out, "the cluster would deny") {
		t.Errorf("denied: exit %d\n%s", code, out)
	}
	code, out = run("echo 'kind: Bucket'", "cat >/dev/null; exit 0")
	if code != 0 || !strings.Contains(out, "nothing would be denied") {
		t.Errorf("clean: exit %d\n%s", code, out)
	}
}

// TestGitLabExampleSaysWhatJUnitHolds: the GitLab example describes the
// JUnit report as WriteJUnit writes it: a test case per resource and rule.
func TestGitLabExampleSaysWhatJUnitHolds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(examples, "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	if !strings.Contains(text, "one test case per resource and rule") || strings.Contains(text, "per denied resource") {
		t.Errorf("gitlab-ci.yml describes the JUnit report otherwise than one test case per resource and rule:\n%s", b)
	}
}

// TestGitHubExampleCanUpload: the GitHub Actions example has the
// permissions upload-sarif needs in a private repository too (actions:
// read), skips the upload where the token cannot write security events
// (a pull request from a fork) instead of failing a clean scan, and uses
// the majors of checkout and setup-go the project's own workflows use.
func TestGitHubExampleCanUpload(t *testing.T) {
	var wf struct {
		Permissions map[string]string
		Jobs        map[string]struct {
			Steps []struct {
				Name string
				Uses string
				If   string
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(examples, "github-actions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"contents": "read", "security-events": "write", "actions": "read"} {
		if wf.Permissions[k] != v {
			t.Errorf("permissions %v: want %s: %s", wf.Permissions, k, v)
		}
	}
	own := map[string]string{} // action → the major the project's workflows use
	ci, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "ci.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ci), "\n") {
		if _, use, ok := strings.Cut(line, "uses: "); ok {
			if action, major, ok := strings.Cut(strings.TrimSpace(use), "@"); ok {
				own[action] = major
			}
		}
	}
	uploads := 0
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			action, major, _ := strings.Cut(s.Uses, "@")
			if want, ok := own[action]; ok && major != want {
				t.Errorf("step %q uses %s, the project's workflows %s@%s", s.Name, s.Uses, action, want)
			}
			if action == "github/codeql-action/upload-sarif" {
				uploads++
				if major != "v4" {
					t.Errorf("upload-sarif@%s: want v4", major)
				}
				if !strings.Contains(s.If, "always()") || !strings.Contains(s.If, "head.repo.full_name == github.repository") {
					t.Errorf("upload step if %q: want it after a failed scan too, and not for a pull request from a fork", s.If)
				}
			}
		}
	}
	if uploads != 1 {
		t.Errorf("%d upload-sarif steps, want 1", uploads)
	}
}
