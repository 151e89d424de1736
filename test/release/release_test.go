// Package release checks the release machinery that cannot run here: the
// GitHub workflows (each step a make target that exists, actions pinned to
// a major version, least permissions), goreleaser's build flags against
// the Makefile's, and the version hack/version.sh derives from git tags.
package release

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const root = "../.."

type workflow struct {
	Name        string         `yaml:"name"`
	On          map[string]any `yaml:"on"`
	Permissions any            `yaml:"permissions"`
	Concurrency any            `yaml:"concurrency"`
	Env         map[string]any `yaml:"env"`
	Jobs        map[string]struct {
		RunsOn         string            `yaml:"runs-on"`
		Needs          any               `yaml:"needs"`
		If             string            `yaml:"if"`
		Env            map[string]any    `yaml:"env"`
		TimeoutMinutes int               `yaml:"timeout-minutes"`
		Permissions    map[string]string `yaml:"permissions"`
		Steps          []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var (
	majorPin   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@v[0-9]+$`)
	makeTarget = regexp.MustCompile(`^([A-Za-z0-9_-]+):`)
)

// makeTargets lists the targets the Makefile defines.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	targets := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := makeTarget.FindStringSubmatch(sc.Text()); m != nil {
			targets[m[1]] = true
		}
	}
	return targets
}

func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, ".github/workflows/*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	targets := makeTargets(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var wf workflow
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&wf); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if wf.Name == "" || len(wf.On) == 0 || len(wf.Jobs) == 0 {
				t.Fatalf("want a name, triggers and jobs")
			}
			// The default token may only read; a job asks for more.
			switch p := wf.Permissions.(type) {
			case map[string]any:
				for scope, level := range p {
					if level != "read" {
						t.Errorf("top-level permissions give %s: %v; grant write in the job that needs it", scope, level)
					}
				}
			default:
				t.Errorf("top-level permissions %v: want a map (contents: read, or {})", p)
			}
			for name, job := range wf.Jobs {
				if job.RunsOn == "" || job.TimeoutMinutes == 0 || len(job.Steps) == 0 {
					t.Errorf("job %s: want runs-on, timeout-minutes and steps", name)
				}
				for scope, level := range job.Permissions {
					if level == "write" && !slices.Contains([]string{"contents", "packages", "id-token"}, scope) {
						t.Errorf("job %s: writes %s", name, scope)
					}
				}
				for i, st := range job.Steps {
					switch {
					case (st.Uses == "") == (st.Run == ""):
						t.Errorf("job %s step %d: want either uses or run", name, i)
					case st.Uses != "":
						if !majorPin.MatchString(st.Uses) {
							t.Errorf("job %s: %s is not pinned to a major version (owner/repo@vN)", name, st.Uses)
						}
					default:
						checkRun(t, name, st.Run, targets)
					}
				}
			}
		})
	}
}

// checkRun accepts `make TARGET...` lines naming targets the Makefile
// has, and cosign lines (signing runs in the release workflow only).
func checkRun(t *testing.T, job, run string, targets map[string]bool) {
	t.Helper()
	for line := range strings.SplitSeq(strings.TrimSpace(run), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 2 && fields[0] == "make":
			for _, target := range fields[1:] {
				if !targets[target] {
					t.Errorf("job %s runs make %s, which the Makefile does not define", job, target)
				}
			}
		case len(fields) >= 2 && fields[0] == "cosign" && slices.Contains([]string{"sign", "attest"}, fields[1]):
		default:
			t.Errorf("job %s runs %q: every step is a make target a developer can run too", job, line)
		}
	}
}

// TestGoreleaserBuildsAsMake checks that the release binaries are built
// the way make build and make image build theirs: static, trimmed paths,
// the same three stamped variables.
func TestGoreleaserBuildsAsMake(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Flags   []string `yaml:"flags"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Checksum map[string]string `yaml:"checksum"`
		SBOMs    []map[string]any  `yaml:"sboms"`
		Signs    []map[string]any  `yaml:"signs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 2 || len(cfg.Builds) != 1 || len(cfg.SBOMs) == 0 || len(cfg.Signs) == 0 || cfg.Checksum["algorithm"] != "sha256" {
		t.Fatalf("want goreleaser v2 config with one build, sha256 checksums, SBOMs and signatures: %+v", cfg)
	}
	b := cfg.Builds[0]
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build env %v flags %v: want CGO_ENABLED=0 and -trimpath", b.Env, b.Flags)
	}
	slices.Sort(b.Goos)
	slices.Sort(b.Goarch)
	if !slices.Equal(b.Goos, []string{"darwin", "linux"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("builds %v x %v, want darwin, linux x amd64, arm64", b.Goos, b.Goarch)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LDFLAGS := (.*)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile defines no LDFLAGS")
	}
	if got, want := ldflagShape(strings.Join(b.Ldflags, " ")), ldflagShape(string(m[1])); !slices.Equal(got, want) {
		t.Errorf("goreleaser's ldflags set %v, the Makefile's %v", got, want)
	}
}

// ldflagShape lists the flags and the variables -X sets, without values.
func ldflagShape(s string) []string {
	var shape []string
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "-X" && i+1 < len(fields) {
			i++
			name, _, _ := strings.Cut(fields[i], "=")
			f = "-X " + name
		}
		shape = append(shape, f)
	}
	slices.Sort(shape)
	return shape
}

// versionScriptDir returns a temporary directory holding a copy of
// hack/version.sh, for a test that runs it in a repository it makes (run
// git there with gitEnv); it skips the test without git.
func versionScriptDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	script, err := os.ReadFile(filepath.Join(root, "hack/version.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "hack"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hack/version.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// gitEnv gives git a fixed identity and no user or system configuration.
var gitEnv = []string{"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
	"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}

// TestVersionScript runs hack/version.sh in a repository whose tags it
// makes.
func TestVersionScript(t *testing.T) {
	dir := versionScriptDir(t)
	version := func() (string, error) {
		cmd := exec.Command("bash", "hack/version.sh")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%w: %s", err, stderr.Bytes())
		}
		return strings.TrimSpace(string(out)), nil
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), gitEnv...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	expect := func(want string) {
		t.Helper()
		got, err := version()
		if err != nil {
			t.Fatalf("hack/version.sh: %v", err)
		}
		if got != want {
			t.Errorf("version %q, want %q", got, want)
		}
	}

	if got, err := version(); err != nil || got != "0.0.0-dev" {
		t.Errorf("outside a repository: %q, %v; want 0.0.0-dev", got, err)
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	short := git("rev-parse", "--short", "HEAD")
	expect("0.0.0-g" + short)
	git("tag", "v1.2.3")
	git("tag", "other-tag") // not a version tag: ignored
	expect("1.2.3")
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "README")
	expect("1.2.3-dirty")
	git("commit", "-q", "-m", "two")
	expect("1.2.3-1-g" + git("rev-parse", "--short", "HEAD"))
	git("tag", "v1.3.0-rc.1")
	expect("1.3.0-rc.1")
	git("commit", "-q", "--allow-empty", "-m", "three")
	git("tag", "v1.4")
	if got, err := version(); err == nil {
		t.Errorf("tag v1.4 gave %q; want an error (no SemVer version)", got)
	}
}

// TestGoreleaserReleasesTheTagMakeStamps: a release candidate promoted by
// tagging its commit again (v0.2.0-rc.1, then v0.2.0) is released as
// 0.2.0 by goreleaser too, the version hack/version.sh stamps into the
// image and the chart. goreleaser takes the first of the tags pointing at
// HEAD in git's version sort (.goreleaser.yaml's git.tag_sort, default
// -version:refname, with versionsort.suffix set to git.prerelease_suffix
// when there is one); without a prerelease suffix git sorts v0.2.0-rc.1
// above v0.2.0, and the binaries would be built and released as the
// release candidate again.
func TestGoreleaserReleasesTheTagMakeStamps(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Git struct {
			TagSort          string `yaml:"tag_sort"`
			PrereleaseSuffix string `yaml:"prerelease_suffix"`
		} `yaml:"git"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Git.TagSort == "" {
		cfg.Git.TagSort = "-version:refname" // goreleaser's default
	}
	dir := versionScriptDir(t)
	run := func(date string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), gitEnv...), "GIT_COMMITTER_DATE="+date)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	run("2026-01-01T00:00:00Z", "git", "init", "-q")
	run("2026-01-01T00:00:00Z", "git", "add", ".")
	run("2026-01-01T00:00:00Z", "git", "commit", "-q", "-m", "one")
	run("2026-01-01T00:00:00Z", "git", "tag", "-a", "v0.1.0", "-m", "v0.1.0")
	run("2026-01-02T00:00:00Z", "git", "commit", "-q", "--allow-empty", "-m", "two")
	run("2026-01-02T00:00:00Z", "git", "tag", "-a", "v0.2.0-rc.1", "-m", "v0.2.0-rc.1")
	run("2026-01-03T00:00:00Z", "git", "tag", "-a", "v0.2.0", "-m", "v0.2.0")

	stamped := run("2026-01-03T00:00:00Z", "bash", "hack/version.sh")
	if stamped != "0.2.0" {
		t.Fatalf("hack/version.sh stamps %q, want 0.2.0", stamped)
	}
	args := []string{}
	if cfg.Git.PrereleaseSuffix != "" {
		args = append(args, "-c", "versionsort.suffix="+cfg.Git.PrereleaseSuffix)
	}
	args = append(args, "tag", "--points-at", "HEAD", "--sort", cfg.Git.TagSort)
	tags := strings.Fields(run("2026-01-03T00:00:00Z", "git", args...))
	if len(tags) != 2 {
		t.Fatalf("tags at HEAD: %v", tags)
	}
	if tags[0] != "v"+stamped {
		t.Errorf("goreleaser would release %s (tags at HEAD in its order: %v), make stamps %s into the image and the chart: set git.prerelease_suffix in .goreleaser.yaml", tags[0], tags, stamped)
	}
}

// TestReleaseCheckoutKeepsTheTagAnnotated: the release workflow checks the
// pushed tag out as the annotated tag it is. actions/checkout before v6.0.2
// fetches the tag's commit into refs/tags/<tag> after fetching every tag,
// turning the pushed tag into a lightweight one (actions/checkout#290, fixed
// by #2356 in v6.0.2); git describe prefers an annotated tag, so a release
// candidate promoted by tagging its commit again (v0.2.0-rc.1, then v0.2.0)
// would stamp 0.2.0-rc.1, and make release-preflight stops the release of
// v0.2.0.
func TestReleaseCheckoutKeepsTheTagAnnotated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".github/workflows/release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			name, version, ok := strings.Cut(st.Uses, "@v")
			if !ok || name != "actions/checkout" {
				continue
			}
			found = true
			major, _, _ := strings.Cut(version, ".")
			if n, err := strconv.Atoi(major); err != nil || n < 6 {
				t.Errorf("the release workflow uses %s: before v6.0.2 the pushed tag is checked out lightweight, and git describe stamps an annotated release candidate on the same commit instead", st.Uses)
			}
		}
	}
	if !found {
		t.Fatal("the release workflow uses no actions/checkout")
	}

	// What it would stamp: the promoted tag lightweight, the candidate's
	// annotated.
	dir := versionScriptDir(t)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), gitEnv...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	run("git", "init", "-q")
	run("git", "add", ".")
	run("git", "commit", "-q", "-m", "one")
	run("git", "tag", "-a", "v0.2.0-rc.1", "-m", "v0.2.0-rc.1")
	run("git", "tag", "v0.2.0") // as checkout@v5 leaves the pushed, annotated v0.2.0
	if got := run("bash", "hack/version.sh"); got != "0.2.0-rc.1" {
		t.Errorf("with the pushed tag lightweight hack/version.sh stamps %q; this test expects git describe to prefer the annotated 0.2.0-rc.1", got)
	}
}

// TestChartImageScript checks that make chart-package's rewrite of the
// image repository changes that one line of the chart's values.
func TestChartImageScript(t *testing.T) {
	values, err := os.ReadFile(filepath.Join(root, "charts/ackguard/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, values, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "hack/chart-image.sh"), file)
	cmd.Env = append(os.Environ(), "IMAGE=registry.example.com/team/ackguard")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/chart-image.sh: %v\n%s", err, out)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if changed, want := changedLines(t, string(values), string(got)), []string{"  repository: registry.example.com/team/ackguard"}; !slices.Equal(changed, want) {
		t.Errorf("changed lines %q, want %q", changed, want)
	}
	var v struct {
		Image struct {
			Repository string `yaml:"repository"`
		} `yaml:"image"`
	}
	if err := yaml.Unmarshal(got, &v); err != nil || v.Image.Repository != "registry.example.com/team/ackguard" {
		t.Errorf("image.repository %q (%v)", v.Image.Repository, err)
	}
}

// TestChartImageScriptAnnotation checks that the same script, given the
// chart's Chart.yaml, changes the one line of its Artifact Hub images
// annotation that names ackguard's image, to the packaged IMAGE:VERSION.
func TestChartImageScriptAnnotation(t *testing.T) {
	dir := t.TempDir()
	var before string
	for _, name := range []string{"values.yaml", "Chart.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "charts/ackguard", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "Chart.yaml" {
			before = string(data)
		}
	}
	cmd := exec.Command("bash", filepath.Join(root, "hack/chart-image.sh"), filepath.Join(dir, "values.yaml"), filepath.Join(dir, "Chart.yaml"))
	cmd.Env = append(os.Environ(), "IMAGE=registry.example.com/team/ackguard", "VERSION=1.2.3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/chart-image.sh: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if changed, want := changedLines(t, before, string(got)), []string{"      image: registry.example.com/team/ackguard:1.2.3"}; !slices.Equal(changed, want) {
		t.Errorf("changed lines %q, want %q", changed, want)
	}
}

// changedLines returns the lines of after that differ from before's, which
// must have as many lines.
func changedLines(t *testing.T, before, after string) []string {
	t.Helper()
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(b) != len(a) {
		t.Fatalf("%d lines became %d", len(b), len(a))
	}
	var changed []string
	for i := range b {
		if b[i] != a[i] {
			changed = append(changed, a[i])
		}
	}
	return changed
}
