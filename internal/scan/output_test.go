package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/rules"
)

// TestOutputGolden pins every output format on the same inputs (go test
// -run TestOutputGolden -update after a deliberate change).
func TestOutputGolden(t *testing.T) {
	for _, format := range OutputFormats {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := run(t, "", "-o", format, "--now", beforeExpiry, "--policy", testdata("governance", "namespaces.yaml"),
				"--policy", testdata("governance", "exception.yaml"), testdata("governance", "buckets.yaml"), testdata("manifests", "list.yaml"), testdata("broken"))
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			got := stdout + "# stderr\n" + stderr
			golden := testdata("golden", "output."+format)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readTestdata(t, "golden", "output."+format); got != want {
				t.Errorf("%s output differs from %s (go test -run TestOutputGolden -update to accept):\n%s", format, golden, got)
			}
		})
	}
}

// sarifRequired is the structure SARIF 2.1.0 requires of what ackguard
// writes (sarif-schema-2.1.0.json): the required properties of each object
// and the values its enumerations and bounds allow, with the constraints
// code scanning adds (a location on each result, security-severity a
// number from 0 to 10).
func checkSARIF(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var log map[string]any
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	fail := func(where, format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: "+format, append([]any{where}, args...)...)
	}
	obj := func(where string, v any, required ...string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			fail(where, "is %T, want an object", v)
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				fail(where, "lacks the required property %q", k)
			}
		}
		return m
	}
	arr := func(where string, v any) []any {
		t.Helper()
		a, ok := v.([]any)
		if !ok {
			fail(where, "is %T, want an array", v)
		}
		return a
	}
	str := func(where string, v any) string {
		t.Helper()
		s, ok := v.(string)
		if !ok {
			fail(where, "is %T, want a string", v)
		}
		return s
	}
	intMin := func(where string, v any, lo float64) {
		t.Helper()
		n, ok := v.(float64)
		if !ok || n != float64(int(n)) || n < lo {
			fail(where, "is %v, want an integer >= %v", v, lo)
		}
	}
	enum := func(where string, v any, allowed ...string) {
		t.Helper()
		if !slices.Contains(allowed, str(where, v)) {
			fail(where, "is %q, want one of %q", v, allowed)
		}
	}
	uriRef := func(where string, v any) {
		t.Helper()
		if _, err := url.Parse(str(where, v)); err != nil {
			fail(where, "is not a URI reference: %v", err)
		}
	}
	message := func(where string, v any) {
		t.Helper()
		m := obj(where, v)
		if _, ok := m["text"]; !ok {
			if _, ok := m["id"]; !ok {
				fail(where, "has neither text nor id")
			}
		}
	}
	mfString := func(where string, v any) { obj(where, v, "text"); str(where+".text", v.(map[string]any)["text"]) }
	location := func(where string, v any) {
		t.Helper()
		l := obj(where, v)
		pl := obj(where+".physicalLocation", l["physicalLocation"], "artifactLocation")
		uriRef(where+".physicalLocation.artifactLocation.uri", obj(where+".artifactLocation", pl["artifactLocation"], "uri")["uri"])
		if r, ok := pl["region"]; ok {
			rm := obj(where+".region", r, "startLine")
			intMin(where+".region.startLine", rm["startLine"], 1)
			if c, ok := rm["startColumn"]; ok {
				intMin(where+".region.startColumn", c, 1)
			}
		}
	}

	obj("log", log, "version", "runs")
	enum("version", log["version"], "2.1.0")
	if s, ok := log["$schema"]; ok {
		uriRef("$schema", s)
	}
	runs := arr("runs", log["runs"])
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	run := obj("runs[0]", runs[0], "tool")
	driver := obj("tool.driver", obj("tool", run["tool"], "driver")["driver"], "name")
	if str("driver.name", driver["name"]) != "ackguard" {
		t.Errorf("driver name %q", driver["name"])
	}
	var ruleIDs []string
	for i, r := range arr("driver.rules", driver["rules"]) {
		where := "rules[" + strconv.Itoa(i) + "]"
		rm := obj(where, r, "id")
		ruleIDs = append(ruleIDs, str(where+".id", rm["id"]))
		mfString(where+".shortDescription", rm["shortDescription"])
		mfString(where+".fullDescription", rm["fullDescription"])
		mfString(where+".help", rm["help"])
		uriRef(where+".helpUri", rm["helpUri"])
		if !strings.HasSuffix(rm["helpUri"].(string), "docs/rules.md#"+strings.ToLower(rm["id"].(string))) {
			t.Errorf("%s.helpUri %q", where, rm["helpUri"])
		}
		enum(where+".defaultConfiguration.level", obj(where+".defaultConfiguration", rm["defaultConfiguration"])["level"], "none", "note", "warning", "error")
		props := obj(where+".properties", rm["properties"], "security-severity")
		sev, err := strconv.ParseFloat(str(where+".security-severity", props["security-severity"]), 64)
		if err != nil || sev < 0 || sev > 10 {
			fail(where, "security-severity %v", props["security-severity"])
		}
	}
	for i, r := range arr("results", run["results"]) {
		where := "results[" + strconv.Itoa(i) + "]"
		rm := obj(where, r, "message", "ruleId", "locations")
		message(where+".message", rm["message"])
		enum(where+".level", rm["level"], "none", "note", "warning", "error")
		id := str(where+".ruleId", rm["ruleId"])
		intMin(where+".ruleIndex", rm["ruleIndex"], -1)
		if idx := int(rm["ruleIndex"].(float64)); idx >= len(ruleIDs) || ruleIDs[idx] != id {
			fail(where, "ruleIndex %d does not name %s", idx, id)
		}
		locs := arr(where+".locations", rm["locations"])
		if len(locs) == 0 {
			fail(where, "has no location")
		}
		for j, l := range locs {
			location(where+".locations["+strconv.Itoa(j)+"]", l)
		}
		if s, ok := rm["suppressions"]; ok {
			for j, x := range arr(where+".suppressions", s) {
				sw := where + ".suppressions[" + strconv.Itoa(j) + "]"
				sm := obj(sw, x, "kind")
				enum(sw+".kind", sm["kind"], "inSource", "external")
				// Each optional property is absent or of its type: the
				// schema allows no null (upload-sarif refuses it).
				if v, ok := sm["status"]; ok {
					enum(sw+".status", v, "accepted", "underReview", "rejected")
				}
				if v, ok := sm["guid"]; ok && !regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`).MatchString(str(sw+".guid", v)) {
					fail(sw+".guid", "is %q, not a GUID", v)
				}
				if v, ok := sm["location"]; ok {
					location(sw+".location", v)
				}
				if v, ok := sm["justification"]; ok {
					str(sw+".justification", v)
				}
			}
		}
	}
	for i, inv := range arr("invocations", run["invocations"]) {
		where := "invocations[" + strconv.Itoa(i) + "]"
		im := obj(where, inv, "executionSuccessful")
		if n, ok := im["toolExecutionNotifications"]; ok {
			for j, x := range arr(where+".toolExecutionNotifications", n) {
				nm := obj(where+".notification", x, "message")
				message(where+".notification["+strconv.Itoa(j)+"].message", nm["message"])
				enum(where+".notification.level", nm["level"], "none", "note", "warning", "error")
				if ls, ok := nm["locations"]; ok {
					for k, l := range arr(where+".notification.locations", ls) {
						location(where+".notification["+strconv.Itoa(j)+"].locations["+strconv.Itoa(k)+"]", l)
					}
				}
			}
		}
	}
	return log
}

func TestSARIF(t *testing.T) {
	code, stdout, _ := run(t, "", "-o", "sarif", "--now", beforeExpiry, "--policy", testdata("governance", "namespaces.yaml"),
		"--policy", testdata("governance", "exception.yaml"), testdata("governance", "buckets.yaml"), testdata("kinds"), testdata("broken"))
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	log := checkSARIF(t, []byte(stdout))
	sarifRun := log["runs"].([]any)[0].(map[string]any)
	// One descriptor per rule of the catalog.
	descriptors := sarifRun["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	if len(descriptors) != len(rules.Default().Rules()) {
		t.Errorf("%d rules, want %d", len(descriptors), len(rules.Default().Rules()))
	}
	results := sarifRun["results"].([]any)
	suppressed, levels := 0, map[string]int{}
	for _, r := range results {
		rm := r.(map[string]any)
		levels[rm["level"].(string)]++
		if _, ok := rm["suppressions"]; ok {
			suppressed++
		}
		pl := rm["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri := pl["artifactLocation"].(map[string]any)["uri"].(string)
		if !strings.HasPrefix(uri, "testdata/") || strings.Contains(uri, "#") {
			t.Errorf("uri %q, want a relative path", uri)
		}
		if rm["ruleId"] == "IAM-010" {
			// spec.assumeRolePolicyDocument of the Role, kinds.yaml line 12.
			if line := pl["region"].(map[string]any)["startLine"]; line != 12.0 {
				t.Errorf("IAM-010 at line %v, want 12", line)
			}
		}
	}
	if suppressed != 2 || levels["error"] == 0 || levels["warning"] == 0 {
		t.Errorf("%d suppressed, levels %v", suppressed, levels)
	}
	inv := sarifRun["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != false || len(inv["toolExecutionNotifications"].([]any)) != 1 {
		t.Errorf("invocation %v", inv)
	}

	// Columns are characters and a lone CR ends a line, as the YAML
	// decoder counts them: the run says so, since SARIF's defaults differ.
	code, stdout, _ = run(t, "apiVersion: s3.services.k8s.aws/v1alpha1\rkind: Bucket\rmetadata: {name: b}\rspec: {name: \"\U0001F600\", acl: public-read}\r", "-o", "sarif", "--rules", "S3-004", "-")
	sarifRun = checkSARIF(t, []byte(stdout))["runs"].([]any)[0].(map[string]any)
	if code != 1 || sarifRun["columnKind"] != "unicodeCodePoints" || !reflect.DeepEqual(sarifRun["newlineSequences"], []any{"\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"}) {
		t.Errorf("exit code %d, columnKind %v, newlineSequences %q", code, sarifRun["columnKind"], sarifRun["newlineSequences"])
	}
	region := sarifRun["results"].([]any)[0].(map[string]any)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["region"]
	if want := map[string]any{"startLine": 4.0, "startColumn": 19.0}; !reflect.DeepEqual(region, want) {
		t.Errorf("region %v, want %v", region, want)
	}

	// Nothing found: an empty results array, a successful invocation.
	code, stdout, _ = run(t, "", "-o", "sarif", testdata("secure"))
	if code != 0 || !strings.Contains(stdout, `"results": []`) || !strings.Contains(stdout, `"executionSuccessful": true`) {
		t.Errorf("exit code %d:\n%s", code, stdout)
	}
	checkSARIF(t, []byte(stdout))
}

func TestArtifactURI(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"a/b.yaml":                              "a/b.yaml",
		"./a//b.yaml":                           "a/b.yaml",
		"a b/c#d.yaml":                          "a%20b/c%23d.yaml",
		filepath.Join(wd, "x", "y.yaml"):        "x/y.yaml",
		"/elsewhere/z.yaml":                     "file:///elsewhere/z.yaml",
		"-":                                     "stdin",
		"../" + filepath.Base(wd) + "/x/y.yaml": "x/y.yaml",
		"x/../../" + filepath.Base(wd) + "/y.yaml": "y.yaml",
		"../elsewhere.yaml":                        (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(filepath.Dir(wd), "elsewhere.yaml"))}).String(),
		"a:b.yaml":                                 "./a:b.yaml", // not the scheme "a"
		"d/a:b.yaml":                               "d/a:b.yaml",
	} {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSourceArtifact: an input error points at the file its source names,
// a '#' that starts no document index being part of the name, and a build
// that failed at its kustomization or Chart.yaml.
func TestSourceArtifact(t *testing.T) {
	k := testdata("build", "kustomize", "overlays", "public")
	for in, want := range map[string]string{
		"a.yaml":                     "a.yaml",
		"a.yaml#2":                   "a.yaml",
		"a.yaml#2[0][3]":             "a.yaml",
		"list.yaml[1]":               "list.yaml",
		"odd/bad#1.yaml":             "odd/bad#1.yaml",
		"odd/bad#1.yaml#0":           "odd/bad#1.yaml",
		k + " (kustomize build)":     filepath.Join(k, "kustomization.yaml"),
		k + " (kustomize build)#1":   filepath.Join(k, "kustomization.yaml"),
		"charts/web (helm template)": filepath.Join("charts", "web", "Chart.yaml"),
	} {
		if got := sourceArtifact(in); got != want {
			t.Errorf("sourceArtifact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJUnit(t *testing.T) {
	type junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Line      int    `xml:"line,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	parse := func(failOn string) junit {
		t.Helper()
		var stdout, stderr bytes.Buffer
		opts := Options{Output: OutputJUnit, FailOn: failOn}
		rep := Scan(context.Background(), []string{testdata("manifests", "buckets.yaml")}, nil, opts)
		if err := WriteReport(rep, opts, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		var j junit
		if err := xml.Unmarshal(stdout.Bytes(), &j); err != nil {
			t.Fatalf("not XML: %v\n%s", err, stdout.String())
		}
		return j
	}
	j := parse(FailOnDeny)
	nBucketRules := 0
	for _, r := range rules.Default().RulesFor(schema.GroupKind{Group: "s3.services.k8s.aws", Kind: "Bucket"}) {
		if r.OnByDefault() {
			nBucketRules++
		}
	}
	// Three buckets judged, one test case per bucket and rule the baseline
	// evaluates (not the opt-in rules).
	if len(j.Suites) != 1 || j.Tests != 3*nBucketRules || len(j.Suites[0].Cases) != j.Tests {
		t.Fatalf("%d suites, %d tests, want %d", len(j.Suites), j.Tests, 3*nBucketRules)
	}
	deny := 0
	for _, c := range j.Suites[0].Cases {
		if c.Failure == nil {
			continue
		}
		deny++
		if !strings.HasPrefix(c.Failure.Type, "DENY ") || c.Failure.Message == "" || !strings.Contains(c.Failure.Text, "Fix: ") {
			t.Errorf("failure %+v", c.Failure)
		}
		if c.Classname == "Bucket default/public-bucket" && strings.HasPrefix(c.Name, "S3-002: ") && c.Line != 10 {
			t.Errorf("S3-002 at line %d, want 10", c.Line)
		}
	}
	if deny != j.Failures || deny != 3 { // S3-001 and S3-002 of public-bucket, POL-001 of broken-policy
		t.Errorf("%d failures (%d counted), want 3", deny, j.Failures)
	}
	if w := parse(FailOnWarn); w.Failures <= deny {
		t.Errorf("--fail-on warn: %d failures", w.Failures)
	}
	if n := parse(FailOnNever); n.Failures != 0 || n.Tests != j.Tests {
		t.Errorf("--fail-on never: %d failures of %d", n.Failures, n.Tests)
	}
}

// TestInputErrorsAreLocated: SARIF and JUnit point an input error at the
// line the JSON report gives it (errors[].line), in the file its source
// names: a SARIF notification's region.startLine, a JUnit error's line
// attribute and "file:line" on the first line of its text. An error about no one
// line has none, and one whose line counts in a built stream points at
// the kustomization with the line in the built stream in its text.
func TestInputErrorsAreLocated(t *testing.T) {
	dir := t.TempDir()
	broken := writeIn(t, dir, "a-broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\n  data: [\n")
	refused := writeIn(t, dir, "b-refused.yaml", "# a bucket\napiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {acl: private}\n")
	kust := t.TempDir()
	writeIn(t, kust, "kustomization.yaml", "resources: [bucket.yaml]\n")
	writeIn(t, kust, "bucket.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: k}\nspec: {acl: private}\n")
	missing := filepath.Join(dir, "no-such-file.yaml")
	type where struct {
		file string
		line int
		at   string // the location the text gives, "" for none
	}
	want := map[string]where{
		broken + "#1":               {broken, 7, broken + ":7"},
		refused:                     {refused, 2, refused + ":2"},
		kust + " (kustomize build)": {filepath.Join(kust, "kustomization.yaml"), 0, kust + " (kustomize build):1"},
		missing:                     {missing, 0, ""},
	}
	args := []string{dir, kust, missing}

	_, out, _ := run(t, "", append([]string{"-o", "json"}, args...)...)
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != len(want) {
		t.Fatalf("errors %+v, want %d", rep.Errors, len(want))
	}

	_, out, _ = run(t, "", append([]string{"-o", "sarif"}, args...)...)
	log := checkSARIF(t, []byte(out))
	notes := log["runs"].([]any)[0].(map[string]any)["invocations"].([]any)[0].(map[string]any)["toolExecutionNotifications"].([]any)
	if len(notes) != len(rep.Errors) {
		t.Fatalf("%d notifications, want %d", len(notes), len(rep.Errors))
	}
	for i, n := range notes {
		e := rep.Errors[i]
		w := want[e.Source]
		nm := n.(map[string]any)
		text := nm["message"].(map[string]any)["text"].(string)
		pl := nm["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		if uri := pl["artifactLocation"].(map[string]any)["uri"]; uri != artifactURI(w.file) {
			t.Errorf("%s: uri %v, want %s", e.Source, uri, artifactURI(w.file))
		}
		region, ok := pl["region"].(map[string]any)
		switch {
		case w.line == 0 && ok:
			t.Errorf("%s: region %v, want none", e.Source, region)
		case w.line > 0 && (!ok || region["startLine"] != float64(w.line)):
			t.Errorf("%s: region %v, want startLine %d (errors[].line %d)", e.Source, pl["region"], w.line, e.Line)
		}
		if w.line == 0 && w.at != "" && !strings.HasSuffix(text, "(at "+w.at+")") {
			t.Errorf("%s: message %q, want it to end with (at %s)", e.Source, text, w.at)
		}
	}

	_, out, _ = run(t, "", append([]string{"-o", "junit"}, args...)...)
	var j struct {
		Suites []struct {
			Cases []struct {
				Name  string `xml:"name,attr"`
				File  string `xml:"file,attr"`
				Line  int    `xml:"line,attr"`
				Error *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	seen := 0
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Error == nil {
				continue
			}
			seen++
			src := strings.TrimPrefix(c.Name, "read ")
			w, ok := want[src]
			switch {
			case !ok:
				t.Errorf("unexpected error case %q", c.Name)
			case c.File != w.file || c.Line != w.line:
				t.Errorf("%s: file %q line %d, want %q line %d", src, c.File, c.Line, w.file, w.line)
			case w.at != "" && !strings.HasPrefix(c.Error.Text, w.at+"\n"+src+": "):
				t.Errorf("%s: text %q, want %s on its first line", src, c.Error.Text, w.at)
			case w.at == "" && !strings.HasPrefix(c.Error.Text, src+": "):
				t.Errorf("%s: text %q", src, c.Error.Text)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d error cases, want %d:\n%s", seen, len(want), out)
	}
}

func TestFailOn(t *testing.T) {
	warnOnly := readTestdata(t, "manifests", "list.yaml") // S3-005 warns on one bucket, S3-001 denies another
	secureWarn := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: w}
spec:
  name: w
  publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}
`
	tests := []struct {
		failOn, in string
		want       int
	}{
		{"", warnOnly, 1}, {"deny", warnOnly, 1}, {"warn", warnOnly, 1}, {"never", warnOnly, 0},
		{"deny", secureWarn, 0}, {"warn", secureWarn, 1}, {"never", secureWarn, 0},
		{"never", "a: [", 2}, {"warn", "a: [", 2},
	}
	for _, tt := range tests {
		args := []string{"-"}
		if tt.failOn != "" {
			args = append([]string{"--fail-on", tt.failOn}, args...)
		}
		if code, stdout, stderr := run(t, tt.in, args...); code != tt.want {
			t.Errorf("--fail-on %q on %.40q: exit code %d, want %d\n%s%s", tt.failOn, tt.in, code, tt.want, stdout, stderr)
		}
	}
	if code, _, stderr := run(t, "", "--fail-on", "always", "-"); code != 2 || !strings.Contains(stderr, "want deny, warn or never") {
		t.Errorf("bad --fail-on: exit code %d, %s", code, stderr)
	}
}

func TestRuleSelection(t *testing.T) {
	in := readTestdata(t, "manifests", "buckets.yaml")
	ruleSet := func(args ...string) (int, []string) {
		t.Helper()
		code, stdout, stderr := run(t, in, append(append([]string{"-o", "json"}, args...), "-")...)
		if code == 2 {
			t.Fatalf("exit code 2: %s", stderr)
		}
		var rep Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range rep.Findings {
			if !slices.Contains(ids, f.Rule) {
				ids = append(ids, f.Rule)
			}
		}
		slices.Sort(ids)
		return code, ids
	}
	code, all := ruleSet()
	if code != 1 || !slices.Contains(all, "S3-001") || !slices.Contains(all, "S3-006") {
		t.Fatalf("all rules: %d %v", code, all)
	}
	// An opt-in rule the baseline does not enable judges nothing: a note
	// says so, rather than an empty report that reads as a pass.
	code, stdout, stderr := run(t, in, "-o", "json", "--rules", "S3-012,S3-00[12]", "-")
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exit code %d: %v: %s", code, err, stderr)
	}
	if !slices.Contains(rep.Notes, "--rules S3-012: no resource was judged by S3-012 (no resource of the kinds it judges, no policy selecting one, or an opt-in rule no policy in force enables)") ||
		slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, "--rules S3-00[12]") }) {
		t.Errorf("--rules with an opt-in rule the baseline does not enable: notes %q", rep.Notes)
	}
	if code, ids := ruleSet("--rules", "S3-006"); code != 0 || !slices.Equal(ids, []string{"S3-006"}) {
		t.Errorf("--rules S3-006 (a warning): exit code %d, rules %v", code, ids)
	}
	if code, ids := ruleSet("--rules", "s3-00[12],POL-*"); code != 1 || slices.Contains(ids, "S3-006") || !slices.Contains(ids, "S3-001") {
		t.Errorf("--rules globs: exit code %d, rules %v", code, ids)
	}
	if code, ids := ruleSet("--skip-rules", "S3-*", "--skip-rules", "POL-001"); code != 0 || slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, "S3-") || id == "POL-001" }) {
		t.Errorf("--skip-rules: exit code %d, rules %v", code, ids)
	}
	if code, _, stderr := run(t, in, "--rules", "S9-*", "-"); code != 2 || !strings.Contains(stderr, "matches no rule") {
		t.Errorf("--rules matching nothing: exit code %d, %s", code, stderr)
	}
	// A misspelt ID gets the nearest ones, as ackguard explain gives them.
	for id, want := range map[string]string{
		"S3-01":   `"S3-01" matches no rule of this version; did you mean S3-001, S3-010, S3-011? (see ackguard rules)`,
		"iam-3":   `"IAM-3" matches no rule of this version; did you mean IAM-003,`,
		"IAM-99*": `"IAM-99*" matches no rule of this version (see ackguard rules)`,
	} {
		if code, _, stderr := run(t, in, "--skip-rules", id, "-"); code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("--skip-rules %s: exit code %d, %s", id, code, stderr)
		}
	}
}

func TestExclude(t *testing.T) {
	dir := t.TempDir()
	bucket := readTestdata(t, "manifests", "nested", "deeper", "bucket.yml")
	for _, name := range []string{"app/bucket.yaml", "app/bucket.test.yaml", "vendor/x/bucket.yaml", "app/ci/bucket.yaml"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(bucket), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := Scan(context.Background(), []string{dir}, nil, Options{Exclude: []string{"vendor", "*.test.yaml", "app/ci"}})
	if rep.Summary.Resources != 1 || rep.Findings[0].Resource.Source != filepath.Join(dir, "app", "bucket.yaml") {
		t.Errorf("summary %+v, findings %+v", rep.Summary, rep.Findings)
	}
	if code, _, stderr := run(t, "", "--exclude", "[", dir); code != 2 || !strings.Contains(stderr, "not a valid glob") {
		t.Errorf("bad glob: %d %s", code, stderr)
	}
	// A directory written with a trailing slash, as shells complete it.
	rep = Scan(context.Background(), []string{dir}, nil, Options{Exclude: []string{"vendor/", "*.test.yaml", "app/ci/"}})
	if rep.Summary.Resources != 1 {
		t.Errorf("trailing slashes: summary %+v", rep.Summary)
	}
	code, out, _ := run(t, "", "-o", "json", "--exclude", "vendor/", "--exclude", "*.test.yaml", "--exclude", "app/ci//", dir)
	if code == 2 || !strings.Contains(out, `"resources": 1,`) {
		t.Errorf("--exclude vendor/: exit %d\n%s", code, out)
	}
	if code, _, stderr := run(t, "", "--exclude", "/", dir); code != 2 || !strings.Contains(stderr, "not a valid glob") {
		t.Errorf("--exclude /: %d %s", code, stderr)
	}
	// A directory walked by a relative path, excluded by absolute ones (as
	// a pipeline that writes $PWD/... gives them).
	t.Chdir(dir)
	rep = Scan(context.Background(), []string{"app"}, nil, Options{Exclude: []string{
		filepath.Join(dir, "app", "ci"), filepath.Join(dir, "app", "*.test.yaml")}})
	if rep.Summary.Resources != 1 || len(rep.Errors) != 0 {
		t.Errorf("absolute globs, relative walk: summary %+v, errors %+v", rep.Summary, rep.Errors)
	}
}

func TestSkippedDocuments(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: web}}
- {apiVersion: s3.services.k8s.aws/v1alpha1, kind: Bucket, metadata: {name: b}, spec: {name: b, publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}, policy: '{"Version":"2012-10-17","Statement":[{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'}}
---
apiVersion: sqs.services.k8s.aws/v1alpha1
kind: Queue
metadata: {name: q}
---
# only a comment: no document
`
	code, stdout, stderr := run(t, in, "--rules", "S3-00[1-7],POL-*", "-")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "1 resource, 0 findings, 0 denied, 0 warned, 3 other documents skipped\n") {
		t.Errorf("exit code %d\n%s%s", code, stdout, stderr)
	}
}

// TestDocumentNotAnObject: a document whose top level is a list or a
// scalar (Buckets listed without a List around them) is an input error
// at its file and line, as kubectl refuses it, never silently dropped.
func TestDocumentNotAnObject(t *testing.T) {
	bucket := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: a}\nspec: {name: a}\n"
	list := "- apiVersion: s3.services.k8s.aws/v1alpha1\n  kind: Bucket\n  metadata: {name: b}\n  spec: {name: b}\n"
	for _, tc := range []struct {
		name, in, source, message string
	}{
		{"list", list, "buckets.yaml", "buckets.yaml: line 1: the document is a list, not an object"},
		{"list after a document", bucket + "---\n# the others\n" + list, "buckets.yaml#1", "buckets.yaml#1: line 7: the document is a list"},
		{"string", bucket + "---\njust a string\n", "buckets.yaml#1", "line 6: the document is a string"},
		{"number", "42\n", "buckets.yaml", "line 1: the document is a number"},
		{"JSON array", "[" + `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"b"}}` + "]\n", "buckets.yaml", "line 1: the document is a list"},
		// An item of a List likewise: kubectl refuses the List.
		{"list item that is a list", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(list, "\n"), "\n", "\n  ") + "\n",
			"buckets.yaml[0]", "buckets.yaml[0]: line 4: the item is a list, not an object with apiVersion and kind (kubectl refuses the list too)"},
		{"list item that is a string", "apiVersion: v1\nkind: List\nitems:\n- a bucket\n", "buckets.yaml[0]", "line 4: the item is a string, not an object"},
		{"list item that is null", "apiVersion: v1\nkind: List\nitems:\n- ~\n", "buckets.yaml[0]", "line 4: the item is null, not an object"},
		// A manifest that names no kind: kubectl refuses it (Object 'Kind'
		// is missing), JSON or YAML, a document or an item.
		{"no kind", bucket + "---\napiVersion: s3.services.k8s.aws/v1alpha1\nmetadata: {name: b}\nspec: {name: b}\n", "buckets.yaml#1", "buckets.yaml#1: line 6: the object names no kind"},
		{"empty kind", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: \"\"\nmetadata: {name: b}\n", "buckets.yaml", "line 1: the object names no kind"},
		{"list item without kind", "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: b}\n  spec: {name: b}\n", "buckets.yaml[0]", "buckets.yaml[0]: line 4: the object names no kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "buckets.yaml", tc.in)
			rep := scanWith(t, []string{p}, Options{})
			if rep.ExitCode() != 2 || len(rep.Errors) != 1 {
				t.Fatalf("exit %d, errors %+v", rep.ExitCode(), rep.Errors)
			}
			e := rep.Errors[0]
			if want := filepath.Join(filepath.Dir(p), tc.source); e.Source != want || !strings.Contains(e.Source+": "+e.Message, tc.message) {
				t.Errorf("error %s: %s; want source %s, message with %q", e.Source, e.Message, want, tc.message)
			}
			if rep.Summary.Skipped != 0 {
				t.Errorf("counted as skipped: %+v", rep.Summary)
			}
			var want int
			if _, err := fmt.Sscanf(tc.message[strings.Index(tc.message, "line "):], "line %d", &want); err != nil || e.Line != want {
				t.Errorf("errors[].line %d, want %d", e.Line, want)
			}
		})
	}
	code, _, stderr := run(t, "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n", "-")
	if code != 2 || !strings.Contains(stderr, "error: -: line 1: the document is a list, not an object") {
		t.Errorf("stdin: exit %d, %s", code, stderr)
	}
}

func TestColor(t *testing.T) {
	rep := Scan(context.Background(), []string{testdata("manifests", "buckets.yaml")}, nil, Options{})
	var plain, colored, stderr bytes.Buffer
	if err := WriteText(rep, false, &plain, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(rep, true, &colored, &stderr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(colored.String(), "\x1b[1;31mDENY\x1b[0m") {
		t.Errorf("plain:\n%s\ncolored:\n%q", plain.String(), colored.String())
	}
	// Only a terminal gets colour, and NO_COLOR turns it off.
	if colorOutput(&plain) {
		t.Error("colour on a buffer")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorOutput(f) {
		t.Error("colour on a regular file")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		t.Setenv("NO_COLOR", "")
		t.Setenv("TERM", "xterm")
		if !colorOutput(tty) {
			t.Error("no colour on a terminal")
		}
		t.Setenv("NO_COLOR", "1")
		if colorOutput(tty) {
			t.Error("colour with NO_COLOR")
		}
	}
}

func TestWrap(t *testing.T) {
	long := strings.Repeat("x", 30)
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"a b c", []string{"a b c"}},
		{"aaaa bbbb cccc", []string{"aaaa bbbb", "cccc"}},
		{"aa " + long + " b", []string{"aa " + long, "b"}},
		{"", nil},
	} {
		if got := wrap(tt.in, 10); !slices.Equal(got, tt.want) {
			t.Errorf("wrap(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFoldedLinesAgree: the text output folds the rules that cannot
// evaluate one invalid document into one line, as admission gives one
// warning for it, wherever the rules fall in the rule order and whatever
// their severities; the line names each rule's severity truly. Findings
// that differ by policy or policy action are not folded: the line shows
// one of each.
func TestFoldedLinesAgree(t *testing.T) {
	code, stdout, _ := run(t, "", testdata("manifests", "buckets.yaml"))
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	sev := map[string]string{}
	for _, r := range rules.Default().Rules() {
		sev[r.ID] = string(r.Severity)
	}
	folded, mixed := 0, 0
	cannot := map[string]int{} // "cannot evaluate" lines by resource
	resource := ""
	lineRe := regexp.MustCompile(`  (?:DENY|WARN)  ((?:[A-Z0-9, -]+? (?:Critical|High|Medium|Low)(?:; )?)+)  `)
	groupRe := regexp.MustCompile(`^([A-Z0-9, -]+?) (Critical|High|Medium|Low)$`)
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "    ") {
			resource = line
		}
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.Contains(line, "cannot evaluate") {
			cannot[resource]++
		}
		groups := strings.Split(m[1], "; ")
		if len(groups) > 1 {
			mixed++
		}
		for _, g := range groups {
			gm := groupRe.FindStringSubmatch(g)
			if gm == nil {
				t.Fatalf("rules %q of %s", g, line)
			}
			ids := strings.Split(gm[1], ", ")
			if len(ids) > 1 || len(groups) > 1 {
				folded++
			}
			for _, id := range ids {
				if sev[id] != gm[2] {
					t.Errorf("%s is %s, shown as %s: %s", id, sev[id], gm[2], line)
				}
			}
		}
	}
	if folded == 0 || mixed == 0 {
		t.Errorf("no folded line (%d), or none of rules of several severities (%d):\n%s", folded, mixed, stdout)
	}
	if len(cannot) == 0 {
		t.Fatalf("no resource with an invalid document:\n%s", stdout)
	}
	for res, n := range cannot {
		if n != 1 {
			t.Errorf("%s: %d \"cannot evaluate\" lines for one invalid document, want 1:\n%s", res, n, stdout)
		}
	}

	f := Finding{Rule: "S3-002", Severity: "High", Action: "warn", Path: "spec.policy", Message: "cannot evaluate", Policy: "a", PolicyAction: "Deny"}
	other := Finding{Rule: "S3-008", Severity: "Medium", Action: "warn", Path: "spec.encryption", Message: "no default encryption", Policy: "a", PolicyAction: "Deny"}
	for _, g := range []Finding{
		func() Finding { g := f; g.Rule, g.Policy = "S3-003", "b"; return g }(),
		func() Finding { g := f; g.Rule, g.PolicyAction = "S3-003", "Audit"; return g }(),
	} {
		if n := len(textEntries(Report{Findings: []Finding{f, g}})); n != 2 {
			t.Errorf("%+v and %+v folded into %d lines", f, g, n)
		}
	}
	g, h := f, f
	g.Rule, h.Rule, h.Severity = "S3-003", "S3-006", "Medium"
	entries := textEntries(Report{Findings: []Finding{f, other, g, h}})
	if len(entries) != 2 {
		t.Fatalf("same reason apart in the rule order: %d lines, want 2", len(entries))
	}
	if got, want := entries[0].rulesText(false), "S3-002, S3-003 High; S3-006 Medium"; got != want {
		t.Errorf("folded rules %q, want %q", got, want)
	}
	if got, want := entries[1].rulesText(false), "S3-008 Medium"; got != want {
		t.Errorf("rules %q, want %q", got, want)
	}
}

// TestSARIFFingerprintsTellSubjectsApart: two findings of one rule on one
// field, for two statements of a bucket policy, have two fingerprints;
// a finding without a subject keeps the fingerprint it always had.
func TestSARIFFingerprintsTellSubjectsApart(t *testing.T) {
	in := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata:
  name: site
  namespace: web
spec:
  name: site
  policy: '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"},{"Sid":"B","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::site"}]}'
`
	_, stdout, _ := run(t, in, "-o", "sarif", "-")
	log := checkSARIF(t, []byte(stdout))
	byRule := map[string][]string{}
	for _, r := range log["runs"].([]any)[0].(map[string]any)["results"].([]any) {
		rm := r.(map[string]any)
		fp := rm["partialFingerprints"].(map[string]any)["ackguardFinding/v1"].(string)
		byRule[rm["ruleId"].(string)] = append(byRule[rm["ruleId"].(string)], fp)
	}
	if s3002 := byRule["S3-002"]; len(s3002) != 2 || s3002[0] == s3002[1] {
		t.Errorf("S3-002 fingerprints %v, want two different ones", s3002)
	}
	// S3-001 has no subject: rule, resource and field, as before.
	id := sha256.Sum256([]byte(strings.Join([]string{"S3-001", "s3.services.k8s.aws/v1alpha1", "Bucket", "web", "site", "spec.publicAccessBlock"}, "\x00")))
	if want := hex.EncodeToString(id[:16]); !slices.Equal(byRule["S3-001"], []string{want}) {
		t.Errorf("S3-001 fingerprints %v, want [%s]", byRule["S3-001"], want)
	}
}

// TestJUnitOnlyEvaluatedRules: JUnit has a test case for each rule
// evaluated on a resource, never one for a rule that did not run: a rule
// the policy disables, an opt-in rule it does not enable, or any rule on
// a resource no policy selects.
func TestJUnitOnlyEvaluatedRules(t *testing.T) {
	pol := writeFile(t, "policy.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: team-a}
spec:
  match:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: team-a}
  rules:
  - {id: S3-001, action: Disabled}
  - {id: S3-012, action: Audit}
`)
	in := teamABucket(t) + "---\n" + strings.Replace(readTestdata(t, "governance", "buckets.yaml"), "namespace: team-a", "namespace: elsewhere", 1)
	p := writeFile(t, "buckets.yaml", in)
	var stdout, stderr bytes.Buffer
	opts := Options{Output: OutputJUnit, Policies: []string{pol}}
	rep := Scan(context.Background(), []string{p}, nil, opts)
	if err := WriteReport(rep, opts, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(stdout.Bytes(), &j); err != nil {
		t.Fatalf("not XML: %v\n%s", err, stdout.String())
	}
	cases := map[string]bool{}
	for _, c := range j.Cases {
		if c.Classname != "Bucket team-a/site" {
			t.Errorf("test case %q of %s, which no policy selects", c.Name, c.Classname)
		}
		cases[strings.SplitN(c.Name, ":", 2)[0]] = true
	}
	if cases["S3-001"] {
		t.Error("a test case for S3-001, which the policy disables")
	}
	if !cases["S3-012"] || !cases["S3-002"] {
		t.Errorf("test cases %v: want S3-012 (opt-in, enabled) and S3-002", cases)
	}
	for _, r := range rules.Default().RulesFor(schema.GroupKind{Group: "s3.services.k8s.aws", Kind: "Bucket"}) {
		if !r.OnByDefault() && r.ID != "S3-012" && cases[r.ID] {
			t.Errorf("a test case for %s, an opt-in rule the policy does not enable", r.ID)
		}
	}
}

// foldingReport is a report of many resources, each with five warnings
// of its own and six rules that cannot evaluate one invalid document.
func foldingReport(resources int) Report {
	var rep Report
	for r := range resources {
		res := Resource{APIVersion: "s3.services.k8s.aws/v1alpha1", Kind: "Bucket", Namespace: "ns", Name: fmt.Sprintf("b-%05d", r), Source: fmt.Sprintf("buckets.yaml#%d", r)}
		for k := range 5 {
			rep.Findings = append(rep.Findings, Finding{Rule: fmt.Sprintf("S3-01%d", k), Severity: "Medium", Action: "warn", Resource: res,
				Path: fmt.Sprintf("spec.field%d", k), Message: "not set", Policy: "baseline", PolicyAction: "Enforce", seq: r + 1})
		}
		for k := range 6 {
			rep.Findings = append(rep.Findings, Finding{Rule: fmt.Sprintf("POL-00%d", k), Severity: "High", Action: "warn", Resource: res,
				Path: "spec.policy", Message: "cannot evaluate", Policy: "baseline", PolicyAction: "Enforce", seq: r + 1})
		}
	}
	return rep
}

// TestFoldingKeepsEachResourcesLines: among many resources, each
// resource's six rules that cannot evaluate its document fold into one
// line of its own, after its five other lines, in input order.
func TestFoldingKeepsEachResourcesLines(t *testing.T) {
	const resources = 300
	entries := textEntries(foldingReport(resources))
	if len(entries) != 6*resources {
		t.Fatalf("%d lines, want %d", len(entries), 6*resources)
	}
	for i, e := range entries {
		if want := fmt.Sprintf("b-%05d", i/6); e.finding.Resource.Name != want {
			t.Fatalf("line %d is of %s, want %s", i, e.finding.Resource.Name, want)
		}
		for _, f := range e.folded {
			if f.Resource != e.finding.Resource {
				t.Fatalf("line %d of %s folds a finding of %s", i, e.finding.Resource.Name, f.Resource.Name)
			}
		}
		if folded := i%6 == 5; folded != (len(e.folded) == 5) || !folded && len(e.folded) != 0 {
			t.Fatalf("line %d of %s folds %d findings", i, e.finding.Resource.Name, len(e.folded))
		}
	}
}

// BenchmarkTextEntries: folding a scan's findings for the text output
// takes time that grows with the findings, not with their square
// (compare the two sizes' ns/op per resource).
func BenchmarkTextEntries(b *testing.B) {
	for _, resources := range []int{1000, 10000} {
		rep := foldingReport(resources)
		b.Run(fmt.Sprintf("resources=%d", resources), func(b *testing.B) {
			for b.Loop() {
				textEntries(rep)
			}
		})
	}
}

// TestDropNulls: only the null members of objects go, wherever they are;
// strings that look like them, array items and the other bytes stay.
func TestDropNulls(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":null}`:                       `{}`,
		`{"a":null,"b":null}`:              `{}`,
		`{"a":null,"b":1,"c":null}`:        `{"b":1}`,
		`{"a":1,"b":null,"c":2}`:           `{"a":1,"c":2}`,
		`[{"a":null},null,{"b":[null]}]`:   `[{},null,{"b":[null]}]`,
		`{"s":"{\"a\":null,\\","t":null}`:  `{"s":"{\"a\":null,\\"}`,
		`{"k:":null,"x":{"y":null,"z":0}}`: `{"x":{"z":0}}`,
		`"null"`:                           `"null"`,
	} {
		if got := string(dropNulls([]byte(in))); got != want {
			t.Errorf("dropNulls(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestOtherFilesInADirectoryAreSkipped: a repository's root holds YAML and
// JSON that are not manifests (CI workflows, a tool's settings, an empty
// object): a walk of it skips them, as it did before manifests without a
// kind became an error, and judges the manifests beside them.
func TestOtherFilesInADirectoryAreSkipped(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		".github/workflows/ci.yml": "name: ci\non: push\njobs: {}\n",
		"renovate.json":            `{"extends":["config:base"]}` + "\n",
		"settings.yaml":            "replicas: 2\nimage: app\n",
		"empty.json":               "{}\n",
		"manifests/cm.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, "", "-o", "json", dir)
	if code != 0 || strings.Contains(stderr, "names no kind") {
		t.Fatalf("exit code %d, want 0\n%s", code, stderr)
	}
	var rep struct {
		Errors  []any `json:"errors"`
		Summary struct {
			Skipped int `json:"skipped"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Errors) != 0 {
		t.Fatalf("output %s (%v)", stdout, err)
	}
}

// sarifFingerprints returns the fingerprints of the SARIF results of a
// scan of in by what each is about (the rule and the message, list
// indexes left out), failing when two results share one.
func sarifFingerprints(t *testing.T, in string) map[string][]string {
	t.Helper()
	_, stdout, stderr := run(t, in, "-o", "sarif", "-")
	log := checkSARIF(t, []byte(stdout))
	fps := map[string][]string{}
	seen := map[string]bool{}
	index := regexp.MustCompile(`\[[0-9]+\]`)
	for _, r := range log["runs"].([]any)[0].(map[string]any)["results"].([]any) {
		rm := r.(map[string]any)
		fp := rm["partialFingerprints"].(map[string]any)["ackguardFinding/v1"].(string)
		if seen[fp] {
			t.Errorf("fingerprint %s given twice:\n%s%s", fp, stdout, stderr)
		}
		seen[fp] = true
		about := rm["ruleId"].(string) + " " + index.ReplaceAllString(rm["message"].(map[string]any)["text"].(string), "[]")
		fps[about] = append(fps[about], fp)
	}
	if len(fps) == 0 {
		t.Fatalf("no result:\n%s%s", stdout, stderr)
	}
	return fps
}

// TestSARIFFingerprintsSurviveReorder: a finding in a list element keeps
// its fingerprint when elements are inserted before it or the list is
// reordered (code scanning keeps its alert open on the same element), and
// an element added adds exactly one fingerprint, even one listed twice.
func TestSARIFFingerprintsSurviveReorder(t *testing.T) {
	user := func(arns ...string) string {
		s := "apiVersion: iam.services.k8s.aws/v1alpha1\nkind: User\nmetadata:\n  name: alice\n  namespace: team-a\nspec:\n  name: alice\n  policies:\n"
		for _, a := range arns {
			s += "  - arn:aws:iam::aws:policy/" + a + "\n"
		}
		return s
	}
	group := func(ports ...string) string {
		s := "apiVersion: ec2.services.k8s.aws/v1alpha1\nkind: SecurityGroup\nmetadata:\n  name: default\n  namespace: team-a\n" +
			"spec:\n  name: default\n  description: default\n  vpcID: vpc-0123456789abcdef0\n  ingressRules:\n"
		for _, p := range ports {
			s += "  - ipProtocol: tcp\n    fromPort: " + p + "\n    toPort: " + p + "\n    ipRanges:\n    - cidrIP: 10.0.0.0/16\n      description: office\n"
		}
		return s
	}
	for _, c := range []struct {
		name          string
		before, after string
		added         int
	}{
		{"policy inserted first", user("ReadOnlyAccess", "IAMUserChangePassword"), user("AmazonS3ReadOnlyAccess", "ReadOnlyAccess", "IAMUserChangePassword"), 1},
		{"policy appended", user("ReadOnlyAccess"), user("ReadOnlyAccess", "IAMUserChangePassword"), 1},
		{"policies reordered", user("ReadOnlyAccess", "IAMUserChangePassword", "AmazonS3ReadOnlyAccess"), user("AmazonS3ReadOnlyAccess", "ReadOnlyAccess", "IAMUserChangePassword"), 0},
		{"policy listed twice", user("ReadOnlyAccess"), user("ReadOnlyAccess", "ReadOnlyAccess"), 1},
		{"policy inserted before a twice-listed one", user("ReadOnlyAccess", "ReadOnlyAccess"), user("IAMUserChangePassword", "ReadOnlyAccess", "ReadOnlyAccess"), 1},
		{"ingress rule inserted first", group("443", "8443"), group("80", "443", "8443"), 1},
		{"ingress rules reordered", group("80", "443", "8443"), group("8443", "80", "443"), 0},
		{"ingress rule listed twice", group("443"), group("443", "443"), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, after := sarifFingerprints(t, c.before), sarifFingerprints(t, c.after)
			added := 0
			for about, fps := range after {
				added += len(fps) - len(before[about])
			}
			for about, fps := range before {
				for _, fp := range fps {
					if !slices.Contains(after[about], fp) {
						t.Errorf("%s: fingerprint %s is gone (%v, now %v)", about, fp, fps, after[about])
					}
				}
			}
			if added != c.added {
				t.Errorf("%d results added (%v to %v), want %d", added, before, after, c.added)
			}
		})
	}
}

// A "**" segment of an --exclude glob matches any number of directories,
// as in .gitignore and CI path filters: "**/ci" is every ci directory.
func TestExcludeDoubleStar(t *testing.T) {
	dir := t.TempDir()
	bucket := readTestdata(t, "manifests", "nested", "deeper", "bucket.yml")
	for _, name := range []string{"app/bucket.yaml", "app/ci/bucket.yaml", "charts/a/ci/bucket.yaml", "vendor/x/y/bucket.yaml", "app/z/bucket.test.yaml"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(bucket), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		exclude []string
		want    []string // files judged, relative to dir
	}{
		{[]string{"**/ci"}, []string{"app/bucket.yaml", "app/z/bucket.test.yaml", "vendor/x/y/bucket.yaml"}},
		{[]string{"**/ci/**", "vendor/**"}, []string{"app/bucket.yaml", "app/z/bucket.test.yaml"}},
		{[]string{"**/*.test.yaml", "charts/**/bucket.yaml"}, []string{"app/bucket.yaml", "app/ci/bucket.yaml", "vendor/x/y/bucket.yaml"}},
		{[]string{"app/**"}, []string{"charts/a/ci/bucket.yaml", "vendor/x/y/bucket.yaml"}},
		{[]string{"**/x/**/bucket.yaml"}, []string{"app/bucket.yaml", "app/ci/bucket.yaml", "app/z/bucket.test.yaml", "charts/a/ci/bucket.yaml"}},
		{[]string{"*/ci"}, []string{"app/bucket.yaml", "app/z/bucket.test.yaml", "charts/a/ci/bucket.yaml", "vendor/x/y/bucket.yaml"}},
	} {
		rep := Scan(context.Background(), []string{dir}, nil, Options{Exclude: tc.exclude})
		var got []string
		for _, f := range rep.Findings {
			rel, _ := filepath.Rel(dir, f.Resource.Source)
			if rel = filepath.ToSlash(rel); !slices.Contains(got, rel) {
				got = append(got, rel)
			}
		}
		if !slices.Equal(got, tc.want) || len(rep.Errors) != 0 {
			t.Errorf("--exclude %q: judged %q, want %q (errors %+v)", tc.exclude, got, tc.want, rep.Errors)
		}
	}
}

// The JUnit report's totals count its skipped test cases (the warnings:
// a PATH that holds no object) as its suites do, so that a viewer that
// reads the totals does not show fewer cases than the suites hold.
func TestJUnitTotalsCountSkipped(t *testing.T) {
	dir := t.TempDir()
	empty := writeIn(t, dir, "empty.yaml", "")
	other := writeIn(t, dir, "also-empty.yaml", "# nothing here\n")
	var stdout, stderr bytes.Buffer
	opts := Options{Output: OutputJUnit}
	rep := Scan(context.Background(), []string{testdata("manifests", "buckets.yaml"), empty, other}, nil, opts)
	if err := WriteReport(rep, opts, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Tests   int  `xml:"tests,attr"`
		Skipped *int `xml:"skipped,attr"`
		Suites  []struct {
			Tests   int `xml:"tests,attr"`
			Skipped int `xml:"skipped,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(stdout.Bytes(), &j); err != nil {
		t.Fatalf("not XML: %v\n%s", err, stdout.String())
	}
	tests, skipped := 0, 0
	for _, s := range j.Suites {
		tests += s.Tests
		skipped += s.Skipped
	}
	if skipped != 2 || j.Skipped == nil || *j.Skipped != skipped || j.Tests != tests {
		t.Errorf("totals: tests %d, skipped %v; suites: tests %d, skipped %d\n%s", j.Tests, j.Skipped, tests, skipped, stdout.String())
	}
}
