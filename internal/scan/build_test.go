package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// denials lists "Kind namespace/name rule" for each deny finding.
func denials(rep Report) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Action == "deny" {
			out = append(out, f.Resource.Kind+" "+f.Resource.Namespace+"/"+f.Resource.Name+" "+f.Rule)
		}
	}
	return out
}

func TestKustomize(t *testing.T) {
	k := testdata("build", "kustomize")
	rep := Scan(context.Background(), []string{k}, nil, Options{})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors %+v", rep.Errors)
	}
	// The base and both overlays are built: three buckets, in namespace
	// web from the base's kustomization. The overlay that only adds tags
	// is judged as built, its patch applied to the secure base: no
	// finding. The one that sets a public ACL is denied for it alone.
	if got, want := denials(rep), []string{"Bucket web/site-public S3-004"}; !slices.Equal(got, want) {
		t.Errorf("denials %q, want %q", got, want)
	}
	if rep.Summary.Resources != 3 || rep.Summary.Denied != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	var f Finding
	for _, f = range rep.Findings {
		if f.Rule == "S3-004" {
			break
		}
	}
	public := filepath.Join(k, "overlays", "public")
	if f.Resource.Source != public+" (kustomize build)" || f.Line != 7 || f.Column != 3 {
		t.Errorf("finding at %s %d:%d", f.Resource.Source, f.Line, f.Column)
	}
	if file, line := artifactOf(f); file != filepath.Join(public, "kustomization.yaml") || line != 0 {
		t.Errorf("artifact %s:%d", file, line)
	}

	// The tags overlay alone exits 0: no false S3-001 denial.
	code, stdout, stderr := run(t, "", filepath.Join(k, "overlays", "tags"))
	if code != 0 || stderr != "" || !strings.Contains(stdout, "1 resource, ") || !strings.Contains(stdout, " 0 denied") {
		t.Errorf("tags overlay: exit code %d\n%s%s", code, stdout, stderr)
	}

	// --kustomize=false reads the patches as they are: each is a Bucket
	// without spec.name, which the API server refuses.
	code, stdout, stderr = run(t, "", "--kustomize=false", filepath.Join(k, "overlays", "tags"))
	if code != 2 || !strings.Contains(stderr, "Bucket default/site: spec.name: Required value") {
		t.Errorf("--kustomize=false: exit code %d\n%s%s", code, stdout, stderr)
	}
}

func TestKustomizeRefusesRemoteAndBroken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	write("remote/kustomization.yaml", "resources:\n- https://github.com/example/repo//base?ref=v1\n")
	write("missing/kustomization.yaml", "resources:\n- ../nowhere\n")
	write("broken/kustomization.yaml", "resources:\n- bucket.yaml\npatches:\n- path: absent.yaml\n")
	write("broken/bucket.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	write("nested/kustomization.yaml", "resources:\n- ../remote\n")
	rep := Scan(context.Background(), []string{dir}, nil, Options{})
	var got []string
	for _, e := range rep.Errors {
		got = append(got, filepath.Base(strings.TrimSuffix(e.Source, " (kustomize build)")))
		if !strings.HasSuffix(e.Source, " (kustomize build)") || e.Message == "" || strings.Contains(e.Message, "\n") {
			t.Errorf("error %+v", e)
		}
	}
	if want := []string{"broken", "missing", "nested", "remote"}; !slices.Equal(got, want) {
		t.Errorf("errors for %q, want %q: %+v", got, want, rep.Errors)
	}
	for _, e := range rep.Errors {
		if strings.HasSuffix(filepath.Dir(e.Source), "remote") && !strings.Contains(e.Message, "fetches nothing") {
			t.Errorf("remote: %s", e.Message)
		}
	}
}

func TestHelmChart(t *testing.T) {
	chart := testdata("build", "chart")
	// Default values: a secure bucket named after the default release.
	code, stdout, stderr := run(t, "", "-o", "json", chart)
	if code != 0 || stderr != "" {
		t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
	}
	doc := checkShape(t, stdout)
	if s := doc["summary"].(map[string]any); s["resources"] != 1.0 || s["skipped"] != 1.0 || s["denied"] != 0.0 {
		t.Errorf("summary %v", s)
	}

	// --values over the defaults, with a release name and namespace.
	rep := Scan(context.Background(), []string{chart}, nil, Options{
		Values: []string{filepath.Join(chart, "values-public.yaml")}, ReleaseName: "web", ReleaseNamespace: "team-a"})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors %+v", rep.Errors)
	}
	if got, want := denials(rep), []string{"Bucket team-a/web-site S3-004"}; !slices.Equal(got, want) {
		t.Fatalf("denials %q, want %q", got, want)
	}
	var f Finding
	for _, f = range rep.Findings {
		if f.Rule == "S3-004" {
			break
		}
	}
	if f.Resource.Source != chart+" (helm template)#1" || f.Line == 0 || f.origin.template != "templates/bucket.yaml" {
		t.Errorf("finding %+v at %d, origin %+v", f.Resource, f.Line, f.origin)
	}
	if file, _ := artifactOf(f); file != filepath.Join(chart, "templates", "bucket.yaml") {
		t.Errorf("artifact %s", file)
	}

	// Missing values file, missing dependency: input errors.
	rep = Scan(context.Background(), []string{chart}, nil, Options{Values: []string{filepath.Join(chart, "nope.yaml")}})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "values") {
		t.Errorf("missing values file: %+v", rep.Errors)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 1.0.0\n  repository: https://example.com/charts\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = Scan(context.Background(), []string{dir}, nil, Options{})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "helm dependency build") {
		t.Errorf("missing dependency: %+v", rep.Errors)
	}
}

// TestChartSeesGuardedAPIVersions: a chart that renders its ACK objects
// only where the cluster serves their kinds (.Capabilities.APIVersions)
// renders them for the scan; --api-versions adds other versions, as helm
// template's flag does.
func TestChartSeesGuardedAPIVersions(t *testing.T) {
	dir := t.TempDir()
	bucket := func(name string) string {
		return "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: " + name + "\nspec:\n  name: " + name + "\n  acl: public-read\n"
	}
	for name, text := range map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: site\nversion: 0.1.0\n",
		"templates/kind.yaml":   "{{- if .Capabilities.APIVersions.Has \"s3.services.k8s.aws/v1alpha1/Bucket\" }}\n" + bucket("by-kind") + "{{- end }}\n",
		"templates/gv.yaml":     "{{- if .Capabilities.APIVersions.Has \"s3.services.k8s.aws/v1alpha1\" }}\n" + bucket("by-version") + "{{- end }}\n",
		"templates/policy.yaml": "{{- if .Capabilities.APIVersions.Has \"policy.ackguard.dev/v1alpha1/GuardrailPolicy\" }}\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata:\n  name: audit\nspec:\n  defaultAction: Audit\n{{- end }}\n",
		"templates/other.yaml":  "{{- if .Capabilities.APIVersions.Has \"example.com/v1\" }}\n" + bucket("by-flag") + "{{- end }}\n",
	} {
		writeIn(t, dir, name, text)
	}
	names := func(rep Report) []string {
		var out []string
		for _, f := range rep.Findings {
			if !slices.Contains(out, f.Resource.Name) {
				out = append(out, f.Resource.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	rep := scanWith(t, []string{dir}, Options{})
	if len(rep.Errors) != 0 || rep.Summary.Resources != 2 {
		t.Fatalf("summary %+v, errors %+v", rep.Summary, rep.Errors)
	}
	if got, want := names(rep), []string{"by-kind", "by-version"}; !slices.Equal(got, want) {
		t.Errorf("judged %v, want %v", got, want)
	}
	if len(rep.Policies) != 1 || rep.Policies[0].Name != "audit" {
		t.Errorf("policies %+v, want the chart's audit", rep.Policies)
	}
	code, stdout, stderr := run(t, "", "-o", "json", "--api-versions", "example.com/v1,cert-manager.io/v1", "--api-versions", "x.io/v2/Thing", dir)
	var r Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code == 2 {
		t.Fatalf("exit %d: %v\n%s", code, err, stderr)
	}
	if got, want := names(r), []string{"by-flag", "by-kind", "by-version"}; !slices.Equal(got, want) {
		t.Errorf("--api-versions: judged %v, want %v", got, want)
	}
	if code, _, stderr := run(t, "", "--api-versions", "a/v1,", dir); code != 2 || !strings.Contains(stderr, "not an API version") {
		t.Errorf("empty --api-versions entry: exit %d, %s", code, stderr)
	}
}

func TestTemplatesOutsideTheirChart(t *testing.T) {
	code, stdout, stderr := run(t, "", testdata("build", "chart", "templates"), testdata("secure"))
	if code != 0 || stderr != "" {
		t.Errorf("exit code %d, stderr %s", code, stderr)
	}
	if strings.Count(stdout, "note: ") != 1 || !strings.Contains(stdout, "note: 2 files skipped: Helm templates read outside their chart") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// A chart's objects that name no namespace are judged in the release
// namespace, where helm install -n puts them, under the policies that
// select it.
func TestChartObjectsJudgedInTheReleaseNamespace(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: site\nversion: 0.1.0\n",
		"templates/bucket.yaml":    "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: site\nspec:\n  name: site\n  acl: public-read\n",
		"templates/elsewhere.yaml": "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: other\n  namespace: prod\nspec:\n  name: other\n  acl: public-read\n",
	} {
		writeIn(t, dir, name, text)
	}
	pol := testdata("governance", "per-namespace.yaml")
	rep := Scan(context.Background(), []string{dir}, nil, Options{Policies: []string{pol}, ReleaseNamespace: "team-a"})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	// site is team-a's, audited there (warned, not denied); other keeps
	// the namespace it names, under the catalog defaults.
	if got, want := denials(rep), []string{"Bucket prod/other S3-001", "Bucket prod/other S3-004"}; !slices.Equal(got, want) {
		t.Errorf("denials %v, want %v", got, want)
	}
	warned := false
	for _, f := range rep.Findings {
		if f.Resource.Name == "site" {
			warned = true
			if f.Resource.Namespace != "team-a" || f.Action != "warn" {
				t.Errorf("site: %+v, want a warning in team-a", f)
			}
		}
	}
	if !warned {
		t.Error("site: no finding")
	}
}

// A file is skipped as a Helm template only when its actions are what
// keep a document from decoding: "{{" in a string of a manifest whose
// documents fail for reasons of their own does not hide its errors or
// its other documents.
func TestBracesAreNotATemplate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	const public = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\nspec:\n  name: b\n  acl: public-read\n"
	app := write("app.yaml", public+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  greeting: \"Hello {{ name }}\"\n  broken: [unclosed\n")
	code, stdout, stderr := run(t, "", app)
	if code != 2 || !strings.Contains(stderr, "app.yaml") || strings.Contains(stdout, "skipped") || !strings.Contains(stdout, "S3-004") {
		t.Errorf("a broken document beside a public Bucket, braces in a string: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// Templates remain templates: an if/else setting one key in both
	// branches, keys that are actions.
	branches := write("branches.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\nspec:\n  name: b\n{{- if .Values.public }}\n  acl: public-read\n{{- else }}\n  acl: private\n{{- end }}\n")
	keys := write("keys.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  {{ .Values.keyA }}: \"1\"\n  {{ .Values.keyB }}: \"2\"\n")
	code, stdout, stderr = run(t, "", branches, keys)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "2 files skipped: Helm templates read outside their chart") {
		t.Errorf("templates: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	dup := write("dup.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\n  annotations:\n    wiki: \"see {{ wiki }}\"\nspec:\n  name: b\n  acl: private\n  acl: public-read\n")
	code, stdout, stderr = run(t, "", dup)
	if code != 2 || !strings.Contains(stderr, `"acl"`) || strings.Contains(stdout, "skipped") {
		t.Errorf("a duplicate key, braces in a string: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestTemplateHidesNoDocument: a templated document skips only itself;
// the plain documents of its file are judged.
func TestTemplateHidesNoDocument(t *testing.T) {
	const public = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: b\n  namespace: default\nspec:\n  name: b\n  acl: public-read\n"
	const tmpl = "{{- if .Values.config }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n{{- end }}\n"
	p := writeFile(t, "app.yaml", public+"---\n"+tmpl)
	code, stdout, stderr := run(t, "", p)
	if code != 1 || stderr != "" || !strings.Contains(stdout, "DENY  S3-004") {
		t.Errorf("a public Bucket before a templated ConfigMap: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "note: 1 document skipped: Helm templates read outside their chart (" + p + "#1)"; !strings.Contains(stdout, want) {
		t.Errorf("no note %q:\n%s", want, stdout)
	}
	// A file of templates only is one file skipped, as before.
	whole := writeFile(t, "config.yaml", tmpl+"---\n"+tmpl)
	rep := scanWith(t, []string{p, whole}, Options{})
	if rep.Summary.Resources != 1 || len(rep.Errors) != 0 {
		t.Errorf("summary %+v, errors %+v", rep.Summary, rep.Errors)
	}
	if want := []string{"1 file and 1 document skipped: Helm templates read outside their chart (" + p + "#1, " + whole + "); scan the chart's directory to judge what they render"}; !slices.Equal(rep.Notes, want) {
		t.Errorf("notes %q, want %q", rep.Notes, want)
	}
}

// TestACKSamples scans ACK's own samples ($ACK_CRDS_DIR/../samples, or
// $ACK_SAMPLES_DIR), their $VARIABLES substituted as ACK's tests do: a new
// user's first try must read and judge every one of them. As written,
// with a placeholder for metadata.name or for a number, the API server
// refuses them, and so does the scan.
func TestACKSamples(t *testing.T) {
	base := os.Getenv("ACK_SAMPLES_DIR")
	if base == "" && os.Getenv("ACK_CRDS_DIR") != "" {
		base = filepath.Join(os.Getenv("ACK_CRDS_DIR"), "..", "samples")
	}
	if base == "" {
		t.Skip("ACK_CRDS_DIR (or ACK_SAMPLES_DIR) not set: ACK's samples are not available")
	}
	numbers := map[string]string{
		"MAX_SESSION_DURATION": "3600", "RESERVED_CONCURRENT_EXECUTIONS": "2", "FROM_PORT": "443", "TO_PORT": "443",
		"COPY_TAGS_TO_SNAPSHOT": "true", "USE_LATEST_RESTORABLE_TIME": "true",
		"MAXIMUM_RETRY_ATTEMPTS": "1", "MAXIMUM_EVENT_AGE_IN_SECONDS": "100",
	}
	dir := t.TempDir()
	files := 0
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := os.Expand(string(data), func(v string) string {
			if n, ok := numbers[v]; ok {
				return n
			}
			return strings.ToLower(strings.ReplaceAll(v, "_", "-"))
		})
		files++
		return os.WriteFile(filepath.Join(dir, filepath.Base(filepath.Dir(p))+"-"+d.Name()), []byte(text), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := Scan(context.Background(), []string{dir}, nil, Options{})
	if len(rep.Errors) != 0 {
		t.Errorf("input errors: %+v", rep.Errors)
	}
	if rep.Summary.Resources != files {
		t.Errorf("%d resources judged in %d files of %s", rep.Summary.Resources, files, base)
	}
	if rep := Scan(context.Background(), []string{base}, nil, Options{}); rep.Summary.Resources != 0 || !strings.Contains(fmt.Sprint(rep.Errors), `metadata.name: Invalid value: "$BUCKET_NAME"`) {
		t.Errorf("as written: %d resources judged, errors %+v", rep.Summary.Resources, rep.Errors)
	}
}

// TestKustomizeOrderIsTheCLIs: the built objects are numbered and their
// lines counted in the order `kustomize build` prints them (its legacy
// order: a ConfigMap before a Bucket whatever the kustomization lists
// first), so a report points where the user's own build output does.
func TestKustomizeOrderIsTheCLIs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base/kustomization.yaml":    "resources: [bucket.yaml]\n",
		"base/bucket.yaml":           "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: site, namespace: web}\nspec: {name: site, acl: public-read}\n",
		"overlay/kustomization.yaml": "resources: [../base, cm.yaml]\n",
		"overlay/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {a: \"1\", b: \"2\", c: \"3\"}\n",
	}
	for name, text := range files {
		writeIn(t, dir, name, text)
	}
	overlay := filepath.Join(dir, "overlay")
	rep := Scan(context.Background(), []string{overlay}, nil, Options{})
	var acl *Finding
	for i := range rep.Findings {
		if rep.Findings[i].Rule == "S3-004" {
			acl = &rep.Findings[i]
		}
	}
	if acl == nil {
		t.Fatalf("no S3-004 finding: %+v", rep)
	}
	// kustomize build (v5.8.1) prints the ConfigMap (9 lines), "---",
	// then the Bucket, whose spec.acl is its 7th line.
	if want := overlay + " (kustomize build)#1"; acl.Resource.Source != want || acl.Line != 17 {
		t.Errorf("finding at %s line %d, want %s line 17", acl.Resource.Source, acl.Line, want)
	}
}

// TestValuesWithoutChart: a --values file is checked whether or not a
// chart is rendered: one that does not exist, or that is not a YAML
// mapping, is an input error naming it (exit 2), once, beside the chart's
// own; and values given while no input is a chart, which nothing would
// read, are an error too, not ignored. The other inputs are still judged.
func TestValuesWithoutChart(t *testing.T) {
	dir := t.TempDir()
	bucket := writeIn(t, dir, "bucket.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {name: b, acl: public-read}\n")
	valid := writeIn(t, dir, "values.yaml", "public: true\n")
	list := writeIn(t, dir, "list.yaml", "- public\n")
	missing := filepath.Join(dir, "nope.yaml")
	chart := testdata("build", "chart")
	for _, tc := range []struct {
		name   string
		paths  []string
		values []string
		want   string // the source of the one error
	}{
		{"missing, no chart", []string{bucket}, []string{missing}, missing},
		{"not a mapping, no chart", []string{bucket}, []string{list}, list},
		{"valid, no chart", []string{bucket}, []string{valid}, valid},
		{"missing, with a chart", []string{bucket, chart}, []string{missing}, missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := Scan(context.Background(), tc.paths, nil, Options{Values: tc.values})
			if len(rep.Errors) != 1 || rep.Errors[0].Source != tc.want || !strings.Contains(rep.Errors[0].Message, "--values") {
				t.Errorf("errors %+v, want one naming %s and --values", rep.Errors, tc.want)
			}
			if rep.ExitCode() != 2 || rep.Summary.Denied != 1 {
				t.Errorf("exit code %d, summary %+v: want 2, and the bucket still judged", rep.ExitCode(), rep.Summary)
			}
		})
	}
	// A valid values file with a chart: no error.
	if rep := Scan(context.Background(), []string{chart}, nil, Options{Values: []string{valid}}); len(rep.Errors) != 0 {
		t.Errorf("errors %+v", rep.Errors)
	}
}

// TestValuesFromStdinBesideStdinInput: --values - and a PATH, --policy or
// --base - would both read standard input, one of them nothing: a usage
// error (exit 2) before anything is read.
func TestValuesFromStdinBesideStdinInput(t *testing.T) {
	chart := testdata("build", "chart")
	bucket := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {name: b, acl: public-read}\n"
	for _, args := range [][]string{
		{"--values", "-", chart, "-"},
		{"--values", "-", "--policy", "-", chart},
		{"--values", "-", "--base", "-", chart},
	} {
		code, stdout, stderr := run(t, bucket, args...)
		if want := "Error: --values - and - as an input both read standard input: give the values or the manifests as a file\n"; code != 2 || stdout != "" || stderr != want {
			t.Errorf("%q: exit code %d, stdout %q, stderr %q; want 2 and %q", args, code, stdout, stderr, want)
		}
	}
	rep := Scan(context.Background(), []string{chart, "-"}, strings.NewReader(bucket), Options{Values: []string{"-"}})
	if want := []InputError{{Source: "-", Message: "--values - and - as an input both read standard input: give the values or the manifests as a file"}}; !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors %+v, want %+v", rep.Errors, want)
	}
}

// TestValuesReadOnce: a --values file that can be read only once (a pipe
// of process substitution, <(sops -d values.yaml)) and --values - (the
// scan's standard input) are read once, before anything else, and every
// chart is rendered with them: each render reading them again would read
// nothing, and render with the chart's default values.
func TestValuesReadOnce(t *testing.T) {
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd")
	}
	chart := testdata("build", "chart")
	other := t.TempDir()
	if err := os.CopyFS(other, os.DirFS(chart)); err != nil {
		t.Fatal(err)
	}
	want := []string{"Bucket default/release-name-site S3-004", "Bucket default/release-name-site S3-004"}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString("public: true\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rep := Scan(context.Background(), []string{chart, other}, nil, Options{Values: []string{fmt.Sprintf("/dev/fd/%d", r.Fd())}})
	if got := denials(rep); len(rep.Errors) != 0 || !slices.Equal(got, want) {
		t.Errorf("values from a pipe: denials %q, errors %+v; want %q", got, rep.Errors, want)
	}

	rep = Scan(context.Background(), []string{chart, other}, strings.NewReader("public: true\n"), Options{Values: []string{"-"}})
	if got := denials(rep); len(rep.Errors) != 0 || !slices.Equal(got, want) {
		t.Errorf("values from standard input: denials %q, errors %+v; want %q", got, rep.Errors, want)
	}
	rep = Scan(context.Background(), []string{chart}, strings.NewReader("- public\n"), Options{Values: []string{"-"}})
	if len(rep.Errors) != 1 || rep.Errors[0].Source != "-" || !strings.Contains(rep.Errors[0].Message, "--values") {
		t.Errorf("values from standard input that are not a mapping: errors %+v", rep.Errors)
	}
}

// TestKustomizationBesideChart: a directory holding both a kustomization
// and Chart.yaml is built with kustomize, as kubectl apply -k builds it,
// and a note says that the chart was not rendered, rather than nothing.
func TestKustomizationBesideChart(t *testing.T) {
	dir := t.TempDir()
	writeIn(t, dir, "Chart.yaml", "apiVersion: v2\nname: site\nversion: 0.1.0\n")
	writeIn(t, dir, "templates/bucket.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: from-chart}\nspec: {name: from-chart, acl: public-read}\n")
	writeIn(t, dir, "kustomization.yaml", "resources: [bucket.yaml]\n")
	writeIn(t, dir, "bucket.yaml", readTestdata(t, "secure", "secure.yaml"))
	rep := Scan(context.Background(), []string{dir}, nil, Options{})
	if len(rep.Errors) != 0 || rep.Summary.Denied != 0 {
		t.Fatalf("errors %+v, summary %+v: the kustomization alone is built", rep.Errors, rep.Summary)
	}
	if n := strings.Join(rep.Notes, "\n"); !strings.Contains(n, dir+" holds both a kustomization and Chart.yaml: it was built with kustomize") {
		t.Errorf("notes %q: want one saying the chart was not rendered", rep.Notes)
	}
	if rep := Scan(context.Background(), []string{testdata("build", "kustomize")}, nil, Options{}); strings.Contains(strings.Join(rep.Notes, "\n"), "Chart.yaml") {
		t.Errorf("notes %q: a kustomization alone needs no note", rep.Notes)
	}
}
