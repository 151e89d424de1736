package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/ackguard/ackguard/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// run calls Run and returns its exit code, stdout and stderr.
func run(t testing.TB, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func testdata(elem ...string) string {
	return filepath.Join(append([]string{"testdata"}, elem...)...)
}

func readTestdata(t testing.TB, elem ...string) string {
	t.Helper()
	b, err := os.ReadFile(testdata(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		want   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
		usage  bool   // an unknown flag or missing path: stderr has the usage too (an invalid flag value is one line)
	}{
		{name: "secure only", args: []string{testdata("secure")}, want: 0, stdout: "1 resource, 0 findings, 0 denied, 0 warned"},
		{name: "denied", args: []string{testdata("manifests")}, want: 1, stdout: "DENY  S3-002 Critical"},
		{name: "denied json", args: []string{"--output", "json", testdata("manifests")}, want: 1, stdout: `"denied": 5`},
		{name: "read error wins over denial", args: []string{testdata("broken")}, want: 2, stderr: "error: " + testdata("broken", "broken.yaml#1") + ": invalid YAML"},
		{name: "missing path", args: []string{testdata("secure"), testdata("no-such-file.yaml")}, want: 2, stderr: "no such file or directory"},
		{name: "no path", args: nil, want: 2, stderr: "no path to scan", usage: true},
		{name: "unknown flag", args: []string{"--frobnicate", testdata("secure")}, want: 2, stderr: "unknown flag: --frobnicate", usage: true},
		{name: "bad output", args: []string{"-o", "yaml", testdata("secure")}, want: 2, stderr: `invalid argument "yaml" for "-o, --output" flag: want text, json, sarif or junit`},
		{name: "bad owner account", args: []string{"--owner-account", "1234", testdata("secure")}, want: 2, stderr: "not a 12-digit AWS account ID"},
		{name: "bad partition", args: []string{"--aws-partition", "china", testdata("secure")}, want: 2, stderr: `invalid argument "china" for "--aws-partition" flag: want aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f or aws-eusc`},
		{name: "empty policy path", args: []string{"--policy=", testdata("secure")}, want: 2, stderr: "empty path"},
		{name: "help", args: []string{"-h"}, want: 0, stdout: "scan [flags] PATH..."},
		{name: "help long", args: []string{"--help"}, want: 0, stdout: "--owner-account"},
		{name: "flags after paths", args: []string{testdata("secure"), "-o", "json"}, want: 0, stdout: `"resources": 1`},
		{name: "double dash", args: []string{"--", "-o"}, want: 2, stderr: "error: -o: no such file or directory"},
		{name: "stdin among flags", args: []string{"-o", "json", "-", "--owner-account", "111122223333"}, stdin: readTestdata(t, "secure", "secure.yaml"), want: 0, stdout: `"resources": 1`},
		{name: "stdin secure", args: []string{"-"}, stdin: readTestdata(t, "secure", "secure.yaml"), want: 0},
		{name: "stdin empty", args: []string{"-"}, stdin: "", want: 0, stdout: "0 resources"},
		{name: "stdin garbage", args: []string{"-"}, stdin: "a: [\n", want: 2, stderr: "error: -: invalid YAML: line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.stdin, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.stdout, stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.stderr, stderr)
			}
			if got := strings.Contains(stderr, "Usage:"); got != tt.usage {
				t.Errorf("usage on stderr: %v, want %v:\n%s", got, tt.usage, stderr)
			}
		})
	}
}

// --aws-partition is the partition of the resources that tell none, as
// the manager's: a bucket with no region anywhere is judged with the
// ARNs of that partition, and one whose region tells its partition is
// judged in that.
func TestScanPartition(t *testing.T) {
	secure := readTestdata(t, "secure", "secure.yaml")
	if code, stdout, _ := run(t, secure, "--aws-partition", "aws", "-"); code != 0 || strings.Contains(stdout, "S3-006") {
		t.Errorf("aws: exit code %d\n%s", code, stdout)
	}
	code, stdout, stderr := run(t, secure, "-o", "json", "--aws-partition", "aws-cn", "-")
	if code != 0 || !strings.Contains(stdout, `"rule": "S3-006"`) || !strings.Contains(stdout, `arn:aws-cn:s3:::secure-bucket/*`) {
		t.Errorf("aws-cn: exit code %d, want 0 and an S3-006 warning naming the aws-cn ARNs\n%s%s", code, stdout, stderr)
	}
	cn := strings.ReplaceAll(secure, "arn:aws:", "arn:aws-cn:")
	if code, stdout, _ := run(t, cn, "--aws-partition", "aws-cn", "-"); code != 0 || strings.Contains(stdout, "S3-006") {
		t.Errorf("aws-cn ARNs in aws-cn: exit code %d\n%s", code, stdout)
	}
	inAWS := strings.Replace(secure, "  name: secure-bucket\n", "  name: secure-bucket\n  annotations: {services.k8s.aws/region: us-east-1}\n", 1)
	if code, stdout, _ := run(t, inAWS, "--aws-partition", "aws-cn", "-"); code != 0 || strings.Contains(stdout, "S3-006") {
		t.Errorf("a bucket in us-east-1 under --aws-partition aws-cn: exit code %d\n%s", code, stdout)
	}
	// The Namespace's default region, where ACK creates the resources that
	// name none, comes before the flag.
	const nsDoc = "kind: Namespace\nmetadata:\n  name: default\n"
	if !strings.HasSuffix(secure, nsDoc) {
		t.Fatalf("secure.yaml no longer ends with its Namespace:\n%s", secure)
	}
	inNS := func(region string) string {
		return secure + "  annotations: {services.k8s.aws/default-region: " + region + "}\n"
	}
	if code, stdout, _ := run(t, inNS("cn-north-1"), "-o", "json", "-"); code != 0 || !strings.Contains(stdout, `arn:aws-cn:s3:::secure-bucket/*`) {
		t.Errorf("a bucket in a namespace defaulting to cn-north-1: exit code %d, want an S3-006 warning naming the aws-cn ARNs\n%s", code, stdout)
	}
	if code, stdout, _ := run(t, inNS("us-west-2"), "--aws-partition", "aws-cn", "-"); code != 0 || strings.Contains(stdout, "S3-006") {
		t.Errorf("a bucket in a namespace defaulting to us-west-2 under --aws-partition aws-cn: exit code %d\n%s", code, stdout)
	}
	// Two Namespaces of one name that disagree on it are one too many.
	code, _, stderr = run(t, inNS("cn-north-1")+"---\napiVersion: v1\n"+nsDoc, "-")
	if code != 2 || !strings.Contains(stderr, "Namespace default is also defined in -#1, with another services.k8s.aws/default-region") {
		t.Errorf("two Namespaces with different default regions: exit code %d\n%s", code, stderr)
	}
}

// The published JSON interface: exact key sets. Extending an object is
// allowed (add the key here); renaming or removing one is not.
var (
	topKeys          = []string{"errors", "exceptions", "exempted", "findings", "notes", "ownerAccounts", "policies", "summary", "warnings"}
	findingKeys      = []string{"action", "column", "fixable", "line", "message", "note", "path", "policy", "policyAction", "remedy", "resource", "rule", "severity", "title"}
	exemptedKeys     = []string{"action", "column", "exception", "fixable", "line", "message", "note", "path", "policy", "policyAction", "remedy", "resource", "rule", "severity", "title"}
	exceptionRefKeys = []string{"expiresAt", "name", "namespace", "reason", "source"}
	resourceKeys     = []string{"apiVersion", "kind", "name", "namespace", "source"}
	errorKeys        = []string{"line", "message", "source"}
	policyKeys       = []string{"builtin", "name", "source"}
	exceptionKeys    = []string{"expiresAt", "message", "name", "namespace", "reason", "source", "state"}
	summaryKeys      = []string{"denied", "documents", "exempted", "findings", "resources", "skipped", "warned"}
)

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// array returns doc[key], failing unless it is an array of objects with
// exactly the given keys.
func array(t testing.TB, doc map[string]any, key string, keys []string) []map[string]any {
	t.Helper()
	a, ok := doc[key].([]any)
	if !ok {
		t.Fatalf("%s is %T, want an array", key, doc[key])
	}
	out := make([]map[string]any, 0, len(a))
	for _, e := range a {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("%s item is %T, want an object", key, e)
		}
		if got := keysOf(m); !slices.Equal(got, keys) {
			t.Fatalf("%s item keys %v, want %v", key, got, keys)
		}
		out = append(out, m)
	}
	return out
}

// stringFields checks that the fields are strings.
func stringFields(t testing.TB, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k].(string); !ok {
			t.Fatalf("%s %s is %T, want a string", what, k, m[k])
		}
	}
}

// checkFinding checks a finding, or the finding part of an exempted one.
func checkFinding(t testing.TB, fm map[string]any) {
	t.Helper()
	stringFields(t, "finding", fm, "rule", "severity", "action", "path", "message", "remedy", "title", "policy", "policyAction")
	if _, ok := fm["fixable"].(bool); !ok {
		t.Fatalf("finding fixable is %T, want a boolean", fm["fixable"])
	}
	for _, k := range []string{"line", "column"} {
		if n, ok := fm[k].(float64); !ok || n < 0 || n != float64(int(n)) {
			t.Fatalf("finding %s is %v, want a count", k, fm[k])
		}
	}
	if a := fm["action"]; a != "deny" && a != "warn" {
		t.Fatalf("finding action %q", a)
	}
	switch a := fm["policyAction"]; a {
	case "Enforce", "Deny", "Remediate", "Audit":
	default:
		t.Fatalf("finding policyAction %q", a)
	}
	if fm["policy"] == "" {
		t.Fatalf("finding without a policy: %v", fm)
	}
	rm, ok := fm["resource"].(map[string]any)
	if !ok {
		t.Fatalf("resource is %T", fm["resource"])
	}
	if got := keysOf(rm); !slices.Equal(got, resourceKeys) {
		t.Fatalf("resource keys %v, want %v", got, resourceKeys)
	}
	stringFields(t, "resource", rm, resourceKeys...)
}

// checkShape verifies the JSON document against the published interface
// and returns it decoded.
func checkShape(t testing.TB, out string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if got := keysOf(doc); !slices.Equal(got, topKeys) {
		t.Fatalf("top-level keys %v, want %v", got, topKeys)
	}
	findings := array(t, doc, "findings", findingKeys)
	for _, fm := range findings {
		checkFinding(t, fm)
	}
	exempted := array(t, doc, "exempted", exemptedKeys)
	for _, em := range exempted {
		checkFinding(t, em)
		xm, ok := em["exception"].(map[string]any)
		if !ok {
			t.Fatalf("exception is %T", em["exception"])
		}
		if got := keysOf(xm); !slices.Equal(got, exceptionRefKeys) {
			t.Fatalf("exception keys %v, want %v", got, exceptionRefKeys)
		}
		stringFields(t, "exception", xm, exceptionRefKeys...)
	}
	for _, key := range []string{"errors", "warnings"} {
		for _, em := range array(t, doc, key, errorKeys) {
			stringFields(t, key, em, "message", "source")
			if l, ok := em["line"].(float64); !ok || l < 0 || l != float64(int(l)) {
				t.Fatalf("%s line %v", key, em["line"])
			}
		}
	}
	policies := array(t, doc, "policies", policyKeys)
	builtins := 0
	for _, pm := range policies {
		stringFields(t, "policy", pm, "name", "source")
		b, ok := pm["builtin"].(bool)
		if !ok || b && pm["source"] != "" {
			t.Fatalf("policies %v", policies)
		}
		if b {
			builtins++
		}
	}
	// The built-in baseline applies alone, or beside given policies none
	// of which can be applied.
	if builtins > 1 {
		t.Fatalf("policies %v", policies)
	}
	if len(policies) == 0 {
		t.Fatalf("no policy in force")
	}
	for _, xm := range array(t, doc, "exceptions", exceptionKeys) {
		stringFields(t, "exception", xm, exceptionKeys...)
		switch xm["state"] {
		case "Active", "Expired", "Invalid":
		default:
			t.Fatalf("exception state %q", xm["state"])
		}
	}
	sm, ok := doc["summary"].(map[string]any)
	if !ok {
		t.Fatalf("summary is %T", doc["summary"])
	}
	if got := keysOf(sm); !slices.Equal(got, summaryKeys) {
		t.Fatalf("summary keys %v, want %v", got, summaryKeys)
	}
	for k, v := range sm {
		if n, ok := v.(float64); !ok || n < 0 || n != float64(int(n)) {
			t.Fatalf("summary %s is %v, want a count", k, v)
		}
	}
	if n := sm["findings"].(float64); int(n) != len(findings) {
		t.Fatalf("summary.findings %v, want %d", n, len(findings))
	}
	if n := sm["exempted"].(float64); int(n) != len(exempted) {
		t.Fatalf("summary.exempted %v, want %d", n, len(exempted))
	}
	return doc
}

func TestJSONShape(t *testing.T) {
	code, out, _ := run(t, "", "--output=json", testdata("manifests"), testdata("broken"))
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	doc := checkShape(t, out)
	if len(doc["findings"].([]any)) == 0 || len(doc["errors"].([]any)) == 0 {
		t.Fatalf("want findings and errors:\n%s", out)
	}
	if !strings.HasPrefix(out, "{\n  \"findings\": [\n    {\n      \"rule\": ") {
		t.Errorf("output is not indented with two spaces:\n%.200s", out)
	}

	// Empty arrays are [], never null.
	code, out, _ = run(t, "", "-o", "json", testdata("secure"))
	if code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	checkShape(t, out)
	for _, want := range []string{`"findings": [],`, `"errors": [],`, `"exempted": [],`, `"exceptions": []`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// Even for a Report built by hand.
	b, err := json.Marshal(Report{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"findings":[],"errors":[],"summary":{"resources":0,"findings":0,"denied":0,"warned":0,"exempted":0,"skipped":0,"documents":0},"exempted":[],"policies":[],"exceptions":[],"notes":[],"ownerAccounts":[],"warnings":[]}`; string(b) != want {
		t.Errorf("empty report encodes as %s, want %s", b, want)
	}
}

// TestPackageDocNamesEveryTopKey: the package documentation's layout of
// the JSON document names every top-level key of the published interface,
// in the order the scan writes them.
func TestPackageDocNamesEveryTopKey(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^//\t  "([A-Za-z]+)":`).FindAllStringSubmatch(string(b), -1) {
		documented = append(documented, m[1])
	}
	out, err := json.Marshal(Report{})
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, m := range regexp.MustCompile(`[{,]"([A-Za-z]+)":[\[{]`).FindAllStringSubmatch(string(out), -1) {
		written = append(written, m[1])
	}
	if !slices.Equal(documented, written) {
		t.Errorf("doc.go lays out the JSON document with the keys %v; the scan writes %v", documented, written)
	}
}

func TestScanManifests(t *testing.T) {
	rep := Scan(context.Background(), []string{testdata("manifests")}, nil, Options{})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	// Judged: 4 buckets in buckets.yaml less the ConfigMap (3), bucket.json,
	// two list items, the nested bucket. Not the hidden one. Skipped: the
	// ConfigMap in buckets.yaml and the one in list.yaml. Documents: the
	// nine objects read, judged or skipped.
	wantSummary := Summary{Resources: 7, Findings: len(rep.Findings), Denied: 5, Warned: 1, Skipped: 2, Documents: 9}
	if rep.Summary != wantSummary {
		t.Errorf("summary %+v, want %+v", rep.Summary, wantSummary)
	}
	if rep.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", rep.ExitCode())
	}

	type key struct{ source, rule, action string }
	got := map[key]Finding{}
	var order []string
	for _, f := range rep.Findings {
		got[key{f.Resource.Source, f.Rule, f.Action}] = f
		if len(order) == 0 || order[len(order)-1] != f.Resource.Source {
			if slices.Contains(order, f.Resource.Source) {
				t.Errorf("findings of %s are not together", f.Resource.Source)
			}
			order = append(order, f.Resource.Source)
		}
	}
	m := testdata("manifests")
	wantOrder := []string{
		filepath.Join(m, "bucket.json"),
		filepath.Join(m, "buckets.yaml#0"),
		filepath.Join(m, "buckets.yaml#3"),
		filepath.Join(m, "list.yaml#0[1]"),
		filepath.Join(m, "list.yaml#1[0]"),
		filepath.Join(m, "nested", "deeper", "bucket.yml"),
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("resources with findings, in order:\n%q\nwant\n%q", order, wantOrder)
	}

	for _, want := range []key{
		{filepath.Join(m, "bucket.json"), "S3-004", "deny"},
		{filepath.Join(m, "buckets.yaml#0"), "S3-001", "deny"},
		{filepath.Join(m, "buckets.yaml#0"), "S3-002", "deny"},
		{filepath.Join(m, "buckets.yaml#0"), "S3-006", "warn"},
		// An unparsable policy is a POL-001 finding, not an error.
		{filepath.Join(m, "buckets.yaml#3"), "POL-001", "deny"},
		{filepath.Join(m, "list.yaml#0[1]"), "S3-005", "warn"},
		{filepath.Join(m, "list.yaml#1[0]"), "S3-001", "deny"},
		{filepath.Join(m, "nested", "deeper", "bucket.yml"), "S3-001", "deny"},
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("no finding %+v", want)
		}
	}

	f := got[key{filepath.Join(m, "buckets.yaml#0"), "S3-002", "deny"}]
	wantRes := Resource{APIVersion: "s3.services.k8s.aws/v1alpha1", Kind: "Bucket", Namespace: "default", Name: "public-bucket", Source: filepath.Join(m, "buckets.yaml#0")}
	if f.Resource != wantRes || f.Severity != "Critical" || f.Path != "spec.policy" || !strings.Contains(f.Message, "s3:GetObject") || f.Remedy == "" || f.Title == "" {
		t.Errorf("S3-002 finding: %+v", f)
	}
	// The typed list item got apiVersion and kind from its list.
	f = got[key{filepath.Join(m, "list.yaml#1[0]"), "S3-001", "deny"}]
	if f.Resource.Kind != "Bucket" || f.Resource.APIVersion != "s3.services.k8s.aws/v1alpha1" || f.Resource.Name != "typed-list-bucket" {
		t.Errorf("typed list item: %+v", f.Resource)
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.Resource.Source, "hidden") || f.Resource.Name == "not-guarded" {
			t.Errorf("scanned what it must skip: %+v", f.Resource)
		}
		if strings.Contains(f.Resource.Source, "buckets.yaml#1") {
			t.Errorf("finding on the secure bucket: %+v", f)
		}
	}
}

func TestStdin(t *testing.T) {
	code, out, stderr := run(t, readTestdata(t, "manifests", "buckets.yaml"), "-o", "json", "-")
	if code != 1 || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	doc := checkShape(t, out)
	sources := map[string]bool{}
	for _, f := range doc["findings"].([]any) {
		sources[f.(map[string]any)["resource"].(map[string]any)["source"].(string)] = true
	}
	if want := map[string]bool{"-#0": true, "-#3": true}; !reflect.DeepEqual(sources, want) {
		t.Errorf("sources %v, want %v", sources, want)
	}

	// One document: the source is "-".
	code, out, _ = run(t, readTestdata(t, "manifests", "bucket.json"), "-o", "json", "-")
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].Resource.Source != "-" {
		t.Errorf("findings %+v", rep.Findings)
	}

	// Scan without a stdin.
	if rep := Scan(context.Background(), []string{"-"}, nil, Options{}); len(rep.Errors) != 1 || rep.ExitCode() != 2 {
		t.Errorf("nil stdin: %+v", rep)
	}
}

func TestBrokenFileContinues(t *testing.T) {
	rep := Scan(context.Background(), []string{testdata("broken"), testdata("secure")}, nil, Options{})
	src := testdata("broken", "broken.yaml")
	want := []InputError{{Source: src + "#1", Message: "invalid YAML: line 12: did not find expected ',' or ']'", Line: 12}}
	if !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors %+v, want %+v", rep.Errors, want)
	}
	var names []string
	for _, f := range rep.Findings {
		if !slices.Contains(names, f.Resource.Name) {
			names = append(names, f.Resource.Name)
		}
	}
	if want := []string{"before-the-break", "after-the-break"}; !slices.Equal(names, want) {
		t.Errorf("judged %v, want %v", names, want)
	}
	if rep.Summary.Resources != 3 || rep.ExitCode() != 2 {
		t.Errorf("summary %+v, exit code %d", rep.Summary, rep.ExitCode())
	}
}

// TestTextGolden pins the text output. Run with -update after a deliberate
// change of the format or of the engine's messages.
func TestTextGolden(t *testing.T) {
	code, stdout, stderr := run(t, "", testdata("manifests", "buckets.yaml"), testdata("broken"))
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	got := "# stdout\n" + stdout + "# stderr\n" + stderr
	golden := testdata("golden", "text.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readTestdata(t, "golden", "text.txt")
	if got != want {
		t.Errorf("text output differs from %s (go test -run TestTextGolden -update to accept):\n%s", golden, got)
	}

	// The shape every line has, whatever the engine says: a file, a
	// resource, a finding at file:line, an indented remedy, the summary.
	findingRe := regexp.MustCompile(`^    testdata/\S+\.yaml:\d+:\d+  (DENY|WARN)  [A-Z0-9, -]+ (Critical|High|Medium|Low)(; [A-Z0-9, -]+ (Critical|High|Medium|Low))*  spec\.`)
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "testdata/"), strings.HasPrefix(line, "  Bucket "), strings.HasPrefix(line, "        "):
		case strings.HasPrefix(line, "    "):
			if !findingRe.MatchString(line) {
				t.Errorf("malformed finding line: %s", line)
			}
		case line != "5 resources, 33 findings, 4 denied, 0 warned, 1 other document skipped, 1 error":
			t.Errorf("unexpected line: %s", line)
		}
	}
}

func TestTextIsOneLinePerFinding(t *testing.T) {
	// Manifest text reaches the output (names, Sids in messages): control
	// characters must not forge lines or terminal escapes.
	in := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata:
  name: evil
  annotations: {note: "evil\nDENY  fake line\u001b[2K"}
spec:
  name: "evil\nDENY  fake line\u001b[2K"
  policy: '{"Version":"2012-10-17","Statement":[{"Sid":"a\nb\u202e","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::evil/*"}]}'
`
	code, stdout, _ := run(t, in, "-")
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	findings := 0
	for _, l := range lines[:len(lines)-1] {
		switch {
		case l == "-", strings.HasPrefix(l, "  Bucket "), strings.HasPrefix(l, "        "):
		case strings.HasPrefix(l, "    -:"):
			findings++
		default:
			t.Errorf("forged line %q", l)
		}
		if strings.ContainsAny(l, "\x1b\u202e\r") {
			t.Errorf("control character in %q", l)
		}
	}
	if findings != 7 { // S3-001, S3-002, S3-006, S3-008 … S3-011
		t.Errorf("%d finding lines, want 7:\n%s", findings, stdout)
	}

	// Such a name is refused, as the API server refuses it: the error
	// names it on one line.
	code, _, stderr := run(t, strings.Replace(in, "  name: evil\n", "  name: \"evil\\nDENY  fake line\\u001b[2K\"\n", 1), "-")
	if code != 2 {
		t.Fatalf("forged name: exit code %d, want 2", code)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "error: -: line 1: Bucket default/evil") || strings.ContainsAny(l, "\x1b\u202e\r") {
			t.Errorf("forged line %q", l)
		}
	}
}

func TestOwnerAccount(t *testing.T) {
	in := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata:
  name: shared
spec:
  name: shared
  publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::shared"}]}'
`
	code, stdout, _ := run(t, in, "-")
	if code != 1 || !strings.Contains(stdout, "DENY  S3-007") {
		t.Errorf("without owner accounts: exit code %d\n%s", code, stdout)
	}
	code, stdout, _ = run(t, in, "--owner-account", "111122223333", "-")
	if code != 0 || strings.Contains(stdout, "S3-007") {
		t.Errorf("with the owner account: exit code %d\n%s", code, stdout)
	}
	code, _, _ = run(t, in, "--owner-account", "444455556666,111122223333", "-")
	if code != 0 {
		t.Errorf("comma-separated owner accounts: exit code %d", code)
	}
}

func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxInputBytes + 1); err != nil { // sparse: cheap
		t.Fatal(err)
	}
	f.Close()
	ok := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(ok, []byte(readTestdata(t, "secure", "secure.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := Scan(context.Background(), []string{dir}, nil, Options{})
	// A larger file is read as a stream of documents, each bounded.
	want := []InputError{{Source: big + "#0", Message: "a document is larger than the 16 MiB limit: split it into YAML documents, one per resource (a List's items each a document of its own)"}}
	if !reflect.DeepEqual(rep.Errors, want) || rep.Summary.Resources != 1 || rep.ExitCode() != 2 {
		t.Errorf("report %+v", rep)
	}

	rep = Scan(context.Background(), []string{"-"}, bytes.NewReader(make([]byte, MaxInputBytes+1)), Options{})
	if len(rep.Errors) != 1 || rep.Errors[0].Source != "-#0" || !strings.Contains(rep.Errors[0].Message, "16 MiB") {
		t.Errorf("stdin: %+v", rep.Errors)
	}
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	bucket := readTestdata(t, "manifests", "nested", "deeper", "bucket.yml")
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	write("b/2.yaml", bucket)
	write("b/10.YML", bucket)
	write("a.json", `{"apiVersion":"s3.services.k8s.aws/v1alpha1","kind":"Bucket","metadata":{"name":"j"}}`)
	write("notes.txt", bucket)
	write(".git/x.yaml", bucket)
	write(".hidden.yaml", bucket) // hidden files are read; hidden directories are not
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "o.yaml"), []byte(bucket), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linked-dir")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "o.yaml"), filepath.Join(dir, "linked.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "gone.yaml"), filepath.Join(dir, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}

	rep := Scan(context.Background(), []string{dir}, nil, Options{})
	var sources []string
	for _, f := range rep.Findings {
		if !slices.Contains(sources, f.Resource.Source) {
			sources = append(sources, f.Resource.Source)
		}
	}
	want := []string{
		filepath.Join(dir, ".hidden.yaml"),
		filepath.Join(dir, "a.json"),
		filepath.Join(dir, "b", "10.YML"),
		filepath.Join(dir, "b", "2.yaml"),
		filepath.Join(dir, "linked.yaml"),
	}
	if !slices.Equal(sources, want) {
		t.Errorf("sources\n%q\nwant\n%q", sources, want)
	}
	wantErr := []InputError{{Source: filepath.Join(dir, "dangling.yaml"), Message: "no such file or directory"}}
	if !reflect.DeepEqual(rep.Errors, wantErr) {
		t.Errorf("errors %+v, want %+v", rep.Errors, wantErr)
	}

	// A file named explicitly is read whatever its extension.
	rep = Scan(context.Background(), []string{filepath.Join(dir, "notes.txt")}, nil, Options{})
	if rep.Summary.Resources != 1 {
		t.Errorf("explicit file: %+v", rep.Summary)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Scan(ctx, []string{testdata("manifests")}, nil, Options{})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "interrupted") || rep.ExitCode() != 2 {
		t.Errorf("report %+v", rep)
	}
}

func TestSplitDocuments(t *testing.T) {
	type doc struct {
		value any
		err   string
	}
	tests := []struct {
		name string
		in   string
		want []doc
	}{
		{"empty", "", nil},
		{"comments only", "# a\n---\n# b\n", nil},
		{"one", "a: 1\n", []doc{{value: map[string]any{"a": 1.0}}}},
		{"leading and trailing markers", "---\na: 1\n---\n", []doc{{value: map[string]any{"a": 1.0}}}},
		{"two", "a: 1\n--- # comment\nb: 2\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"blank doc not counted", "a: 1\n---\n\n---\nb: 2", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"null doc counted", "a: 1\n---\n~\n---\nb: 2", []doc{{value: map[string]any{"a": 1.0}}, {}, {value: map[string]any{"b": 2.0}}}},
		{"crlf", "a: 1\r\n---\r\nb: 2\r\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		// A lone CR ends a line too, as YAML reads it: a comment on the
		// first line does not make the whole stream a comment.
		{"cr", "# a\ra: 1\r---\rb: 2\r", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"cr, one document", "a: 1\rb: 2\r", []doc{{value: map[string]any{"a": 1.0, "b": 2.0}}}},
		{"cr, comments only", "# a\r---\r# b\r", nil},
		// NEL, LS and PS end lines too for the YAML decoders (kubectl's
		// included): a first-line comment does not hide what follows.
		{"ls", "# a\u2028a: 1\u2028b: 2\u2028", []doc{{value: map[string]any{"a": 1.0, "b": 2.0}}}},
		{"nel", "# a\u0085a: 1\u0085", []doc{{value: map[string]any{"a": 1.0}}}},
		{"ps, two documents", "# a\u2029a: 1\u2029---\u2029b: 2", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"ls in a comment only", "# a\u2028# b\n", nil},
		{"yaml error line in file, cr", "a: 1\r---\rb: 2\rc: [\r", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid YAML: line 4: did not find expected node content"}}},
		{"json stream syntax, cr", "{}\r{}\r{\"a\" 1}", []doc{{value: map[string]any{}}, {value: map[string]any{}}, {err: "invalid JSON: line 3, column 6: invalid character '1' after object key"}}},
		{"content after marker", "--- {a: 1}\n", []doc{{value: map[string]any{"a": 1.0}}}},
		{"document end", "a: 1\n...\nb: 2\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"not a marker", "a: |\n  ---\n  x\n", []doc{{value: map[string]any{"a": "---\nx\n"}}}},
		{"bom", "\xef\xbb\xbfa: 1\n", []doc{{value: map[string]any{"a": 1.0}}}},
		{"directive", "%YAML 1.1\n---\na: 1\n", []doc{{value: map[string]any{"a": 1.0}}}},
		{"yaml error line in file", "a: 1\n---\nb: 2\nc: [\n", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid YAML: line 4: did not find expected node content"}}},
		// The YAML decoders refuse text that is not UTF-8 without saying
		// where: the line of its first byte that is not is given.
		{"not utf-8, line in file", "a: 1\n---\nb: 2\nc: \"caf\xe9\"\n", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid YAML: line 4: invalid trailing UTF-8 octet"}}},
		{"not utf-8 after cr and content after marker", "a: 1\r--- {b: 2,\r c: \"\xff\"}\r", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid YAML: line 3: invalid leading UTF-8 octet"}}},
		{"yaml duplicate", "a: 1\na: 2\n", []doc{{err: `invalid YAML: line 2: key "a" already set in map`}}},
		{"yaml duplicate, nested and quoted", "a:\n  - b: 1\n    'b': 2\n", []doc{{err: `invalid YAML: line 3: key "b" already set in map`}}},
		{"yaml duplicate in a second document", "a: 1\n---\nb: 1\nc: 2\nb: 3\n", []doc{{value: map[string]any{"a": 1.0}}, {err: `invalid YAML: line 5: key "b" already set in map`}}},
		// Keys that kubectl's decoder (YAML 1.1) reads as one.
		{"yaml duplicate, yes and true", "inlinePolicies:\n  yes: admin\n  true: safe\n", []doc{{err: `invalid YAML: line 3: key "true" already set in map`}}},
		{"yaml duplicate, 0x10 and 16", "a:\n  0x10: x\n  16: y\n", []doc{{err: `invalid YAML: line 3: key "16" already set in map`}}},
		{"yaml duplicate, a binary key", "acl: private\n!!binary YWNs: public-read\n", []doc{{err: `invalid YAML: line 2: key "YWNs" already set in map`}}},
		{"yaml quoted yes is not true", "'yes': 1\n'true': 2\n", []doc{{value: map[string]any{"yes": 1.0, "true": 2.0}}}},
		{"yaml two merge keys", "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n", []doc{{err: `invalid YAML: line 5: a second merge key (<<) in one mapping; readers differ on which counts: merge a list, <<: [*a, *b]`}}},
		// A key overriding one a merge key brought in is YAML's merge, not
		// a duplicate: the mapping's own key wins, before or after <<.
		{"yaml merge override", "base: &b {port: 443, proto: tcp}\nrule:\n  <<: *b\n  port: 22\n",
			[]doc{{value: map[string]any{"base": map[string]any{"port": 443.0, "proto": "tcp"}, "rule": map[string]any{"port": 22.0, "proto": "tcp"}}}}},
		// Before <<, kubectl's decoder lets the merged value win and YAML
		// the mapping's own: ambiguous, so refused.
		{"yaml merge override before <<", "base: &b {port: 443, proto: tcp}\nrule:\n  port: 22\n  <<: *b\n",
			[]doc{{err: `invalid YAML: line 4: key "port" is set before the merge key (<<) that brings it in again; readers differ on which value counts: set it after <<`}}},
		{"yaml merge of two, the first wins", "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n",
			[]doc{{value: map[string]any{"a": map[string]any{"x": 1.0}, "b": map[string]any{"x": 2.0, "z": 2.0}, "c": map[string]any{"x": 1.0, "z": 2.0}}}}},
		{"json", `{"a": 1}`, []doc{{value: map[string]any{"a": 1.0}}}},
		{"json stream", "{\"a\": 1}\n{\"b\": 2} [3]", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}, {value: []any{3.0}}}},
		{"json stream broken", "{}\n{}\n{\"a\":\n", []doc{{value: map[string]any{}}, {value: map[string]any{}}, {err: "invalid JSON: the value starting at line 3, column 1 is cut short"}}},
		{"json stream syntax", "{}\n{}\n{\"a\" 1}", []doc{{value: map[string]any{}}, {value: map[string]any{}}, {err: "invalid JSON: line 3, column 6: invalid character '1' after object key"}}},
		{"json duplicate", "{}\n {\"a\": {\"b\": 1,\n \"b\": 2}}", []doc{{value: map[string]any{}}, {err: `invalid JSON: line 3, column 2: duplicate key "b" at a.b; each key may appear once`}}},
		{"json then yaml", "{\"a\": 1}\n---\nb: 2\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"yaml flow mapping", "{a: 1}", []doc{{value: map[string]any{"a": 1.0}}}},
		{"broken json", "{\"a\" 1}", []doc{{err: "invalid JSON: line 1, column 6: invalid character '1' after object key; as YAML: did not find expected ',' or '}'"}}},
		// The YAML decoder stops at the end of a top-level flow collection.
		{"content after flow mapping", "# x\n{kind: ConfigMap}\napiVersion: v1\n", []doc{{err: "invalid YAML: content after the end of the document: line 2: did not find expected <document start>"}}},
		// After a first JSON value, the rest is read as YAML when it is not
		// JSON, as kubectl's decoder reads it.
		{"content after json", "{\"a\": 1}}", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid JSON: line 1, column 9: invalid character '}' looking for beginning of value; as YAML: did not find expected node content"}}},
		{"json then yaml without a marker", "{\"a\": 1}\nb: 2\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"json then a trailing comma", "{\"a\": 1}\n{\"b\": 2,}\n", []doc{{value: map[string]any{"a": 1.0}}, {value: map[string]any{"b": 2.0}}}},
		{"json then broken yaml", "{\"a\":\n 1}\nb: [\n", []doc{{value: map[string]any{"a": 1.0}}, {err: "invalid JSON: line 3, column 1: invalid character 'b' looking for beginning of value; as YAML: line 3: did not find expected node content"}}},
		{"neither json nor yaml", "{\"a\": [}", []doc{{err: "invalid JSON: line 1, column 8: invalid character '}' looking for beginning of value; as YAML: did not find expected node content"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []doc
			for _, d := range splitDocuments([]byte(tt.in)) {
				g := doc{value: d.value}
				if d.err != nil {
					g.err = d.err.Error()
				}
				got = append(got, g)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestJSONThenYAMLPositions: the YAML read after a first JSON value is
// located in the input, its lines and columns counted from its start.
func TestJSONThenYAMLPositions(t *testing.T) {
	in := "{\"a\": \"\u00e9\u2028\",\n \"b\": 1} {\"c\": {\"d\": 2,},}\n"
	docs := splitDocuments([]byte(in))
	if len(docs) != 2 || docs[0].err != nil || docs[1].err != nil {
		t.Fatalf("documents %+v", docs)
	}
	for _, tc := range []struct {
		doc       int
		path      []string
		line, col int
	}{
		{0, []string{"b"}, 3, 2},
		{1, []string{"c", "d"}, 3, 17},
	} {
		if at := docs[tc.doc].loc.find(tc.path); at.line != tc.line || at.col != tc.col {
			t.Errorf("document %d, %v at %d:%d, want %d:%d", tc.doc, tc.path, at.line, at.col, tc.line, tc.col)
		}
	}
}

// FuzzScanStream feeds arbitrary bytes to "ackguard scan -o json -": the
// scan must not panic, must exit 0, 1 or 2 consistently with its report,
// and must write the published JSON document.
func FuzzScanStream(f *testing.F) {
	for _, p := range []string{
		"manifests/buckets.yaml", "manifests/bucket.json", "manifests/list.yaml",
		"manifests/nested/deeper/bucket.yml", "broken/broken.yaml", "secure/secure.yaml",
		"kinds/kinds.yaml", "governance/per-namespace.yaml", "governance/strictest.yaml",
		"governance/exception.yaml", "governance/namespaces.yaml",
	} {
		b, err := os.ReadFile(testdata(filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "---", "{}", "[]", "null", "a: [", "{\"a\":1}{\"a\":2}", "- a\n- b", "&a [*a, *a]", "--- |\n  x\n...\n"} {
		f.Add([]byte(s))
	}
	// Governance objects: with the resources they judge, broken, and
	// in JSON.
	bucket := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: site, namespace: team-a, labels: {app: web}}\nspec: {name: site}\n"
	for _, s := range []string{
		bucket + "---\n" + exceptionDoc("[S3-001, S3-006]"),
		bucket + "---\n" + exceptionDoc("[S3-999]"),
		bucket + "---\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailException\nmetadata: {name: x, namespace: team-a}\nspec: {rules: [S3-001], resources: [{apiGroup: s3.services.k8s.aws, kind: Bucket, selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}], reason: r, expiresAt: '2026-02-02T00:00:00Z'}\n",
		bucket + "---\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: p}\nspec: {match: {kinds: [{apiGroup: s3.services.k8s.aws, kind: Bucket}], selector: {matchLabels: {app: web}}}, defaultAction: Enforce, rules: [{id: S3-001, action: Disabled}, {id: S3-006, action: enforce}], parameters: {ownerAccounts: ['111122223333'], allowedPublicPorts: [{protocol: tcp, from: 9, to: 1}], minBackupRetentionDays: 40}, exceptions: {maxDuration: 24h}}\n",
		bucket + "---\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: p, lables: {}}\nspec: {match: {namespaceSelector: {matchExpressions: [{key: a, operator: Has}]}}, Rules: 1}\n",
		bucket + "---\napiVersion: v1\nkind: NamespaceList\nitems: [{metadata: {name: team-a, labels: {tier: x}}}]\n---\napiVersion: policy.ackguard.dev/v1beta1\nkind: GuardrailPolicy\nmetadata: {name: q}\n",
		`{"apiVersion":"policy.ackguard.dev/v1alpha1","kind":"GuardrailPolicyList","items":[{"metadata":{"name":"a"},"spec":{"defaultAction":"Audit"}},{"metadata":{"name":"a"},"spec":null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var stdout, stderr bytes.Buffer
		code := Run([]string{"--output", "json", "--now", "2026-02-01T00:00:00Z", "-"}, bytes.NewReader(data), &stdout, &stderr)
		if code != 0 && code != 1 && code != 2 {
			t.Fatalf("exit code %d", code)
		}
		checkShape(t, stdout.String())
		var rep Report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.ExitCode() != code {
			t.Fatalf("exit code %d for %+v", code, rep.Summary)
		}
		if rep.Summary.Denied+rep.Summary.Warned > rep.Summary.Resources {
			t.Fatalf("summary %+v", rep.Summary)
		}
		for _, f := range rep.Findings {
			if strings.Contains(f.Message, "internal error") {
				t.Fatalf("engine failure: %+v", f)
			}
		}
		for _, e := range rep.Errors {
			if strings.Contains(e.Message, "internal error") || e.Source != "-" && !strings.HasPrefix(e.Source, "-#") && !strings.HasPrefix(e.Source, "-[") {
				t.Fatalf("error %+v", e)
			}
		}
		for _, e := range rep.Exempted {
			if e.Exception.Name == "" && e.Exception.Source == "" || strings.Contains(e.Message, "internal error") {
				t.Fatalf("exempted %+v", e)
			}
		}
	})
}

// RDS-014 joins a DBInstance to the parameter group of the same input,
// whether the group comes before or after the instance; a group the input
// does not hold is inconclusive (a warning, never a denial).
func TestParameterGroupJoinedFromTheSameInput(t *testing.T) {
	const instance = `apiVersion: rds.services.k8s.aws/v1alpha1
kind: DBInstance
metadata: {name: orders, namespace: shop}
spec:
  dbInstanceIdentifier: orders
  dbInstanceClass: db.t4g.medium
  engine: postgres
  engineVersion: "14.9"
  dbParameterGroupRef: {from: {name: orders-pg}}
`
	const group = `apiVersion: rds.services.k8s.aws/v1alpha1
kind: DBParameterGroup
metadata: {name: orders-pg, namespace: shop}
spec: {name: orders-pg, family: postgres14, description: orders, parameterOverrides: {rds.force_ssl: "0"}}
`
	for name, in := range map[string]string{"group first": group + "---\n" + instance, "group after": instance + "---\n" + group} {
		_, stdout, _ := run(t, in, "-")
		if !strings.Contains(stdout, `DBInstance shop/orders`) || !strings.Contains(stdout, `parameter group DBParameterGroup shop/orders-pg: rds.force_ssl is "0"`) {
			t.Errorf("%s: the instance was not judged with its group:\n%s", name, stdout)
		}
	}
	_, stdout, _ := run(t, instance, "-")
	if !strings.Contains(stdout, "WARN  RDS-014") || !strings.Contains(stdout, "not found (or not known yet)") {
		t.Errorf("without the group:\n%s", stdout)
	}
}

// Owner accounts are learned from the input as the manager learns them
// from the cluster, and the output says where each came from.
func TestOwnerAccountsLearnedFromInput(t *testing.T) {
	role := `apiVersion: iam.services.k8s.aws/v1alpha1
kind: Role
metadata: {name: app, namespace: team-a}
spec:
  name: app
  assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}'
`
	tests := []struct {
		name, extra, source string
		// policy gives extra with --policy (an export of the cluster)
		// rather than in the scanned stream.
		policy bool
	}{
		{"namespace annotation", `apiVersion: v1
kind: Namespace
metadata: {name: team-a, annotations: {services.k8s.aws/owner-account-id: "111122223333"}}
`, "namespace team-a (services.k8s.aws/owner-account-id)", false},
		{"cross-account role map", `apiVersion: v1
kind: ConfigMap
metadata: {name: ack-role-account-map, namespace: ack-system}
data: {"111122223333": "arn:aws:iam::111122223333:role/ack"}
`, "ConfigMap ack-system/ack-role-account-map", false},
		{"status of a synced resource", `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: logs, namespace: team-b}
spec: {name: logs}
status: {ackResourceMetadata: {ownerAccountID: "111122223333", region: eu-west-1}}
`, "status of Bucket team-b/logs", true},
	}
	if code, stdout, _ := run(t, role, "--rules", "IAM-011", "-"); code != 1 || !strings.Contains(stdout, "IAM-011") {
		t.Fatalf("without an owner account the Role must be denied by IAM-011 (exit %d):\n%s", code, stdout)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, args := tt.extra+"---\n"+role, []string{"--rules", "IAM-011"}
			if tt.policy {
				export := filepath.Join(t.TempDir(), "export.yaml")
				if err := os.WriteFile(export, []byte(tt.extra), 0o600); err != nil {
					t.Fatal(err)
				}
				in, args = role, append(args, "--policy", export)
			}
			code, stdout, stderr := run(t, in, append(args, "-o", "json", "-")...)
			if code != 0 {
				t.Fatalf("exit %d: the account learned from the %s was not used\n%s%s", code, tt.name, stdout, stderr)
			}
			var rep struct {
				OwnerAccounts []OwnerAccount `json:"ownerAccounts"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.OwnerAccounts) != 1 || rep.OwnerAccounts[0].ID != "111122223333" || !slices.Contains(rep.OwnerAccounts[0].Sources, tt.source) {
				t.Errorf("ownerAccounts = %+v, want 111122223333 from %q", rep.OwnerAccounts, tt.source)
			}
			_, text, _ := run(t, in, append(args, "-")...)
			if !strings.Contains(text, "owner accounts: 111122223333 (from "+tt.source) {
				t.Errorf("the text output does not say where the owner account came from:\n%s", text)
			}
		})
	}
	// What never names an owner account in the cluster names none here: a
	// status in the manifests (the API server drops it on create, so the
	// webhook never counts it) and a role map outside the ACK controllers'
	// namespace (the manager reads it only from --ack-namespace).
	notInCluster := []struct{ name, in string }{
		{"status in a manifest", tests[2].extra + "---\n" + role},
		{"role map in another namespace", strings.Replace(tests[1].extra, "namespace: ack-system", "namespace: team-a", 1) + "---\n" + role},
	}
	for _, tt := range notInCluster {
		if code, stdout, _ := run(t, tt.in, "--rules", "IAM-011", "-o", "json", "-"); code != 1 || !strings.Contains(stdout, `"ownerAccounts": []`) {
			t.Errorf("%s: exit %d, want 1 (IAM-011) with no owner account:\n%s", tt.name, code, stdout)
		}
	}
	moved := strings.Replace(tests[1].extra, "namespace: ack-system", "namespace: ack-controllers", 1) + "---\n" + role
	if code, _, _ := run(t, moved, "--rules", "IAM-011", "--ack-namespace", "ack-controllers", "-"); code != 0 {
		t.Errorf("a role map in --ack-namespace ack-controllers: exit %d, want 0", code)
	}
	if code, _, _ := run(t, tests[1].extra+"---\n"+role, "--rules", "IAM-011", "--ack-namespace", "", "-"); code != 1 {
		t.Errorf("--ack-namespace \"\" reads no role map: exit %d, want 1", code)
	}
	// A value that is not an account ID is an input error, not a guess.
	bad := strings.Replace(tests[0].extra, `"111122223333"`, `"team-a"`, 1) + "---\n" + role
	if code, _, stderr := run(t, bad, "-"); code != 2 || !strings.Contains(stderr, "not a 12-digit AWS account ID") {
		t.Errorf("invalid annotation: exit %d, stderr %s", code, stderr)
	}
}

// TestManifestStatusIsNotJudged: a manifest exported from a cluster keeps
// its status, which the API server drops when the object is created; scan
// judges the creation the webhook would see. A bucket policy denying
// everything to everyone on the bucket is denied by S3-013 whatever
// partition the status names.
func TestManifestStatusIsNotJudged(t *testing.T) {
	bucket := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: b, namespace: ns}
spec:
  name: b
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}'
`
	for _, in := range []string{bucket, bucket + `status: {ackResourceMetadata: {arn: "arn:aws-cn:s3:::b", partition: aws-cn, region: cn-north-1}}
`} {
		code, stdout, stderr := run(t, in, "--rules", "S3-013", "-")
		if code != 1 || !strings.Contains(stdout, "S3-013") {
			t.Errorf("exit %d, want 1 with S3-013:\n%s%s\ninput:\n%s", code, stdout, stderr, in)
		}
	}
}

// TestInputNamedTwiceIsJudgedOnce: a file named twice (by two spellings of
// its path), standard input given twice, a file named beside the
// directory that holds it and a kustomization named twice are each judged
// once.
func TestInputNamedTwiceIsJudgedOnce(t *testing.T) {
	count := func(stdin string, args ...string) Summary {
		t.Helper()
		rep := Scan(context.Background(), args, strings.NewReader(stdin), Options{})
		if len(rep.Errors) != 0 {
			t.Fatalf("%v: errors %+v", args, rep.Errors)
		}
		return rep.Summary
	}
	file := testdata("manifests", "buckets.yaml")
	once := count("", file)
	if once.Resources == 0 {
		t.Fatal("no resource in the test file")
	}
	overlay := testdata("build", "kustomize", "overlays", "public")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  Summary
	}{
		{"a file by two spellings", "", []string{file, "./" + file}, once},
		{"standard input twice", readTestdata(t, "manifests", "buckets.yaml"), []string{"-", "-"}, once},
		{"a file beside its directory", "", []string{filepath.Dir(file), file}, count("", filepath.Dir(file))},
		{"a kustomization twice", "", []string{overlay, overlay + "/"}, count("", overlay)},
	} {
		if got := count(tc.stdin, tc.args...); got.Resources != tc.want.Resources || got.Findings != tc.want.Findings || got.Denied != tc.want.Denied {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestMergeKeyOverrideIsJudged: a rule built from a shared one by a merge
// key, with its own port, is judged with that port (as kubectl sends it),
// not refused as a duplicate key.
func TestMergeKeyOverrideIsJudged(t *testing.T) {
	in := `apiVersion: ec2.services.k8s.aws/v1alpha1
kind: SecurityGroup
metadata: {name: web, namespace: shop}
spec:
  name: web
  description: web
  vpcID: vpc-1
  ingressRules:
  - &https
    ipProtocol: tcp
    fromPort: 443
    toPort: 443
    ipRanges: [{cidrIP: 10.0.0.0/8, description: internal}]
  - <<: *https
    fromPort: 22
    toPort: 22
    ipRanges: [{cidrIP: 0.0.0.0/0, description: anywhere}]
`
	code, stdout, stderr := run(t, in, "--rules", "EC2-001", "-")
	if code != 1 || !strings.Contains(stdout, "DENY  EC2-001") || stderr != "" {
		t.Errorf("exit %d, want 1 with EC2-001 for port 22 open to the internet:\n%s%s", code, stdout, stderr)
	}
}

// TestBaseJudgesUpdates: a resource found in --base under the same kind,
// namespace (the defaulted one included) and name is judged as the UPDATE
// from it: what it already had warns, with the webhook's note, and what
// the change brings denies; a resource the base lacks is a creation. The
// base's other documents (a policy, a namespace) are not read, and a base
// holding the scanned file itself judges nothing as an update.
func TestBaseJudgesUpdates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	const public = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: %s%s}\nspec: {name: %s, acl: public-read%s}\n"
	base := write("base/buckets.yaml",
		// A List, as kubectl get -o yaml writes it, with no namespace
		// on the legacy bucket: it is the scanned one's, "default".
		"apiVersion: v1\nkind: List\nitems:\n- "+strings.ReplaceAll(fmt.Sprintf(public, "legacy", "", "legacy", ""), "\n", "\n  ")+
			"\n---\n"+fmt.Sprintf(public, "elsewhere", ", namespace: other", "elsewhere", "")+
			// A policy in the base does not apply: only the change's do.
			"---\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: lax}\nspec: {defaultAction: Audit}\n")
	head := write("head/buckets.yaml",
		fmt.Sprintf(public, "legacy", ", namespace: default", "legacy", ", tagging: {tagSet: [{key: team, value: a}]}")+
			"---\n"+fmt.Sprintf(public, "fresh", "", "fresh", "")+
			"---\n"+fmt.Sprintf(public, "elsewhere", "", "elsewhere", ""))

	rep := Scan(context.Background(), []string{head}, nil, Options{Base: []string{base}})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if f.Rule != "S3-004" {
			continue
		}
		got[f.Resource.Name] = f.Action + " base=" + f.Resource.Base + " note=" + f.Note
		if f.Resource.Name == "legacy" && (f.Action != "warn" || !strings.HasPrefix(f.Resource.Base, base) || f.Note == "") {
			t.Errorf("legacy: %s, want a warning noting it was already present, judged from %s", got["legacy"], base)
		}
	}
	if !strings.HasPrefix(got["fresh"], "deny base= ") || !strings.HasPrefix(got["elsewhere"], "deny base= ") {
		t.Errorf("a creation (fresh), and one in another namespace than the base's (elsewhere), must deny: %v", got)
	}
	if rep.Summary.Resources != 3 || rep.Summary.Denied != 2 || rep.Summary.Warned != 1 {
		t.Errorf("summary %+v, want 3 resources, 2 denied, 1 warned", rep.Summary)
	}
	if len(rep.Policies) != 1 || rep.Policies[0].Name != "baseline" {
		t.Errorf("policies in force %+v: the base's policy must not apply", rep.Policies)
	}

	// A resource twice in the base: the first counts, and a note says so.
	twice := write("twice/buckets.yaml", fmt.Sprintf(public, "legacy", ", namespace: default", "legacy", "")+"---\n"+fmt.Sprintf(public, "legacy", ", namespace: default", "legacy", ", versioning: {status: Enabled}"))
	dup := Scan(context.Background(), []string{head}, nil, Options{Base: []string{twice}})
	if n := strings.Join(dup.Notes, "\n"); !strings.Contains(n, "Bucket default/legacy is in --base twice ("+twice+"#0, "+twice+"#1)") {
		t.Errorf("notes %q: want one naming the two copies", dup.Notes)
	}

	// The scanned file named as its own base is read once, as scanned.
	self := Scan(context.Background(), []string{head}, nil, Options{Base: []string{head}})
	if self.Summary.Denied != 3 {
		t.Errorf("the scanned file as its own base: %+v, want every bucket denied", self.Summary)
	}
	if n := strings.Join(self.Notes, "\n"); !strings.Contains(n, "--base "+head+": 1 input it names is also scanned") {
		t.Errorf("notes %q: want one saying that the --base file is judged as scanned, not as a base", self.Notes)
	}
	if n := strings.Join(rep.Notes, "\n"); strings.Contains(n, "also scanned") {
		t.Errorf("notes %q: a base apart from the scanned files needs no note", rep.Notes)
	}
}

// TestBaseReadsWhatPolicyRead: one export of the cluster named as both
// --policy and --base (a file, or standard input) gives the policies in
// force and the resources before the change: the bucket it holds is
// judged as the UPDATE from there, and an error in it is reported once.
func TestBaseReadsWhatPolicyRead(t *testing.T) {
	dir := t.TempDir()
	const live = "apiVersion: v1\nkind: List\nitems:\n" +
		"- {apiVersion: s3.services.k8s.aws/v1alpha1, kind: Bucket, metadata: {name: legacy, namespace: default}, spec: {name: legacy, acl: public-read}}\n" +
		"---\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: cluster}\nspec: {}\n" +
		"---\nkind: [\n"
	export := filepath.Join(dir, "live.yaml")
	head := filepath.Join(dir, "head.yaml")
	if err := os.WriteFile(export, []byte(live), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(head, []byte("apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: legacy}\nspec: {name: legacy, acl: public-read, tagging: {tagSet: [{key: team, value: a}]}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		input string
		stdin string
	}{
		{name: "file", input: export},
		{name: "stdin", input: "-", stdin: live},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := Scan(context.Background(), []string{head}, strings.NewReader(tc.stdin), Options{Policies: []string{tc.input}, Base: []string{tc.input}})
			if len(rep.Errors) != 1 {
				t.Errorf("errors %+v, want the broken document once", rep.Errors)
			}
			if len(rep.Policies) != 1 || rep.Policies[0].Name != "cluster" {
				t.Errorf("policies in force %+v, want the export's", rep.Policies)
			}
			if rep.Summary.Denied != 0 || rep.Summary.Warned != 1 {
				t.Errorf("summary %+v: the bucket the export holds must be judged as the UPDATE from it", rep.Summary)
			}
			for _, f := range rep.Findings {
				if f.Resource.Base == "" {
					t.Errorf("%s on %s: no base", f.Rule, f.Resource.Name)
				}
			}
		})
	}
}

// TestBaseOffersItsObjectsToReferences: rules refer to the objects of the
// base the change does not hold (a Function's Role already in the
// cluster), as the webhook reads them from the cluster; the change's copy
// of an object is the one referred to.
func TestBaseOffersItsObjectsToReferences(t *testing.T) {
	dir := t.TempDir()
	const role = "apiVersion: iam.services.k8s.aws/v1alpha1\nkind: Role\nmetadata: {name: exec, namespace: default}\n" +
		"spec: {name: exec, assumeRolePolicyDocument: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}', policies: [%s]}\n"
	const fn = "apiVersion: lambda.services.k8s.aws/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {name: f, code: {s3Bucket: b, s3Key: k}, roleRef: {from: {name: exec}}}\n"
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	admin := "'arn:aws:iam::aws:policy/AdministratorAccess'"
	base := write("base.yaml", "apiVersion: v1\nkind: List\nitems:\n- "+strings.ReplaceAll(fmt.Sprintf(role, admin), "\n", "\n  "))
	head := write("head.yaml", fn)
	lmb012 := func(rep Report) []string {
		var out []string
		for _, f := range rep.Findings {
			if f.Rule == "LMB-012" && f.Resource.Kind == "Function" {
				out = append(out, f.Message)
			}
		}
		return out
	}
	rep := Scan(context.Background(), []string{head}, nil, Options{Base: []string{base}})
	if got := strings.Join(lmb012(rep), "\n"); len(rep.Errors) != 0 || !strings.Contains(got, "AdministratorAccess") {
		t.Errorf("LMB-012 %q (errors %+v): want the base's admin Role judged", got, rep.Errors)
	}
	if got := strings.Join(lmb012(Scan(context.Background(), []string{head}, nil, Options{})), "\n"); !strings.Contains(got, "was not found") {
		t.Errorf("without the base, LMB-012 %q: want the Role not found", got)
	}
	// The change's own copy of the Role, least-privileged, is the one.
	fixed := write("fixed.yaml", fn+"---\n"+fmt.Sprintf(role, ""))
	if got := lmb012(Scan(context.Background(), []string{fixed}, nil, Options{Base: []string{base}})); len(got) != 0 {
		t.Errorf("LMB-012 %q: the change's Role must replace the base's", got)
	}
}

// TestPolicyExportDoesNotReplaceTheChangesCopy: the change's copy of an
// object rules refer to is the one referred to, by name and among those
// listed, when an export of the cluster holding another copy is given as
// --policy, alone or as --base too.
func TestPolicyExportDoesNotReplaceTheChangesCopy(t *testing.T) {
	dir := t.TempDir()
	const role = "apiVersion: iam.services.k8s.aws/v1alpha1\nkind: Role\nmetadata: {name: exec%s}\n" +
		"spec: {name: exec, assumeRolePolicyDocument: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}', policies: [%s]}\n"
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	export := write("export.yaml", fmt.Sprintf(role, ", namespace: default", "'arn:aws:iam::aws:policy/AdministratorAccess'"))
	for _, fn := range []struct{ name, spec string }{
		{"roleRef", "roleRef: {from: {name: exec}}"},
		{"role ARN", "role: 'arn:aws:iam::111122223333:role/exec'"},
	} {
		head := write("head.yaml", "apiVersion: lambda.services.k8s.aws/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {name: f, code: {s3Bucket: b, s3Key: k}, "+fn.spec+"}\n---\n"+fmt.Sprintf(role, "", ""))
		for _, opts := range []Options{{Policies: []string{export}}, {Policies: []string{export}, Base: []string{export}}} {
			rep := Scan(context.Background(), []string{head}, nil, opts)
			for _, f := range rep.Findings {
				if f.Rule == "LMB-012" && strings.Contains(f.Message, "AdministratorAccess") {
					t.Errorf("%s, --policy %v --base %v: %s: the change's Role must replace the export's", fn.name, opts.Policies, opts.Base, f.Message)
				}
			}
			if len(rep.Errors) != 0 {
				t.Errorf("errors %+v", rep.Errors)
			}
		}
	}
}

// TestClusterSubnetsAreNotRead: the webhook does not read Subnets in the
// cluster, so LMB-008 cannot tell the zones of a Function's subnetRefs
// there and never denies on them; the Subnets of an export given as
// --base or --policy are not read either, where the change's own are.
func TestClusterSubnetsAreNotRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	const subnets = "apiVersion: ec2.services.k8s.aws/v1alpha1\nkind: Subnet\nmetadata: {name: a, namespace: default}\nspec: {vpcID: vpc-1, cidrBlock: 10.0.0.0/24, availabilityZone: eu-west-1a}\n---\n" +
		"apiVersion: ec2.services.k8s.aws/v1alpha1\nkind: Subnet\nmetadata: {name: b, namespace: default}\nspec: {vpcID: vpc-1, cidrBlock: 10.0.1.0/24, availabilityZone: eu-west-1a}\n"
	const fn = "apiVersion: lambda.services.k8s.aws/v1alpha1\nkind: Function\nmetadata: {name: f}\n" +
		"spec: {name: f, code: {s3Bucket: b, s3Key: k}, role: 'arn:aws:iam::111122223333:role/x', vpcConfig: {subnetRefs: [{from: {name: a}}, {from: {name: b}}], securityGroupIDs: [sg-1]}}\n"
	export := write("export.yaml", subnets)
	pol := write("policy.yaml", "apiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: strict}\nspec: {rules: [{id: LMB-008, action: Deny}]}\n")
	head := write("head.yaml", fn)
	lmb008 := func(rep Report) (out []Finding) {
		for _, f := range rep.Findings {
			if f.Rule == "LMB-008" {
				out = append(out, f)
			}
		}
		return out
	}
	for _, opts := range []Options{{Policies: []string{pol}, Base: []string{export}}, {Policies: []string{pol, export}}} {
		rep := Scan(context.Background(), []string{head}, nil, opts)
		if got := lmb008(rep); len(rep.Errors) != 0 || len(got) != 1 || got[0].Action != "warn" || rep.Summary.Denied != 0 {
			t.Errorf("--policy %v --base %v: LMB-008 %+v (errors %+v): want it unable to tell, as the webhook", opts.Policies, opts.Base, got, rep.Errors)
		}
	}
	// The change's own Subnets are read.
	rep := Scan(context.Background(), []string{write("both.yaml", fn+"---\n"+subnets)}, nil, Options{Policies: []string{pol}})
	if got := lmb008(rep); len(got) != 1 || got[0].Action != "deny" {
		t.Errorf("LMB-008 %+v: want the change's Subnets in one zone denied", got)
	}
}

// TestBaseGenerateName: an object with only a generateName is created
// under a new name, never the UPDATE of one in the base with the same
// generateName.
func TestBaseGenerateName(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.yaml")
	const b = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {generateName: logs-}\nspec: {name: logs, acl: public-read}\n"
	if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(b), Options{Base: []string{p}})
	if len(rep.Errors) != 0 || rep.Summary.Denied != 1 {
		t.Errorf("summary %+v, errors %+v: want the creation denied", rep.Summary, rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Resource.Base != "" {
			t.Errorf("%s judged as an update of %s", f.Rule, f.Resource.Base)
		}
	}
}

// An object with an items array is a list to kubectl's decoder whatever
// its kind ("kubectl apply" applies its items, and not the object
// itself): its items are judged, so a Bucket cannot pass unjudged inside
// the items of a ConfigMap.
func TestItemsOfAnyKindAreJudged(t *testing.T) {
	const bucket = `  - apiVersion: s3.services.k8s.aws/v1alpha1
    kind: Bucket
    metadata: {name: inner}
    spec:
      name: inner
      acl: public-read
`
	for _, tt := range []struct{ name, head string }{
		{"ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: innocent}\n"},
		{"Bucket", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: outer}\nspec: {name: outer}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := Scan(context.Background(), []string{"-"}, strings.NewReader(tt.head+"items:\n"+bucket), Options{Rules: []string{"S3-004"}})
			if len(rep.Errors) != 0 || rep.Summary.Resources != 1 || len(rep.Findings) != 1 {
				t.Fatalf("summary %+v, findings %+v, errors %+v", rep.Summary, rep.Findings, rep.Errors)
			}
			if f := rep.Findings[0]; f.Resource.Name != "inner" || f.Resource.Source != "-[0]" || f.Line != strings.Count(tt.head, "\n")+7 {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// TestBaseUnchangedSpecIsNotJudged: an UPDATE that leaves the spec and the
// adoption policy as the base has them never reaches the webhook (its
// match condition): the cluster admits it without a warning, so the scan
// reports no finding for it, and a note counts it. One that changes the
// adoption policy alone is judged.
func TestBaseUnchangedSpecIsNotJudged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	const bucket = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: legacy%s}\nspec: {name: legacy, acl: public-read}\n"
	base := write("base.yaml", fmt.Sprintf(bucket, ""))
	for _, tc := range []struct {
		name, meta string
		findings   bool
	}{
		{"unchanged", "", false},
		{"labels", ", labels: {team: a}, annotations: {example.com/owner: a}", false},
		{"adoption policy", ", annotations: {services.k8s.aws/adoption-policy: adopt}", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := write(tc.name+".yaml", fmt.Sprintf(bucket, tc.meta))
			rep := Scan(context.Background(), []string{head}, nil, Options{Base: []string{base}})
			if len(rep.Errors) != 0 || rep.Summary.Resources != 1 {
				t.Fatalf("%+v, errors %+v", rep.Summary, rep.Errors)
			}
			if got := len(rep.Findings) > 0; got != tc.findings {
				t.Errorf("findings %+v, want some: %v", rep.Findings, tc.findings)
			}
			if noted := strings.Contains(strings.Join(rep.Notes, "\n"), "the webhook is not called"); noted == tc.findings {
				t.Errorf("notes %q", rep.Notes)
			}
		})
	}
}

// TestBaseUnchangedSpecAgreesAcrossOutputs: a resource whose UPDATE the
// webhook is not called for is not judged in any output: no finding in
// JSON, no result in SARIF, and no JUnit test case (its rules did not run,
// so they did not pass either), while the change's other resources are;
// a --rules pattern that judged nothing else says so.
func TestBaseUnchangedSpecAgreesAcrossOutputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeIn(t, dir, name, content) }
	const bucket = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: %s, namespace: default%s}\nspec: {name: %s, acl: public-read}\n"
	base := write("base.yaml", fmt.Sprintf(bucket, "legacy", "", "legacy"))
	head := write("head.yaml", fmt.Sprintf(bucket, "legacy", ", labels: {team: a}", "legacy")+"---\n"+fmt.Sprintf(bucket, "fresh", "", "fresh"))
	render := func(opts Options) string {
		t.Helper()
		rep := Scan(context.Background(), []string{head}, nil, opts)
		if len(rep.Errors) != 0 || rep.Summary.Resources != 2 {
			t.Fatalf("%+v, errors %+v", rep.Summary, rep.Errors)
		}
		var stdout, stderr bytes.Buffer
		if err := WriteReport(rep, opts, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		return stdout.String()
	}
	for _, output := range []string{OutputJSON, OutputSARIF, OutputJUnit} {
		t.Run(output, func(t *testing.T) {
			out := render(Options{Output: output, Base: []string{base}})
			if strings.Contains(out, "legacy") {
				t.Errorf("the unchanged bucket is in the %s output:\n%s", output, out)
			}
			if !strings.Contains(out, "fresh") {
				t.Errorf("the created bucket is not in the %s output:\n%s", output, out)
			}
		})
	}
	rep := Scan(context.Background(), []string{head}, nil, Options{Base: []string{base}, Rules: []string{"S3-004"}})
	if n := strings.Join(rep.Notes, "\n"); strings.Contains(n, "--rules S3-004") {
		t.Errorf("notes %q: S3-004 judged the created bucket", n)
	}
	only := write("only.yaml", fmt.Sprintf(bucket, "legacy", "", "legacy"))
	rep = Scan(context.Background(), []string{only}, nil, Options{Base: []string{base}, Rules: []string{"S3-004"}})
	if n := strings.Join(rep.Notes, "\n"); !strings.Contains(n, "--rules S3-004: no resource was judged") {
		t.Errorf("notes %q: want one saying S3-004 judged no resource", n)
	}
}

// TestRefusedResourceErrorsGiveTheLine: a guarded resource the API server
// would refuse is an input error that says where the resource starts in
// its file, as an error in decoding does, so that one document among many
// is found; the other documents are judged.
func TestRefusedResourceErrorsGiveTheLine(t *testing.T) {
	p := writeFile(t, "buckets.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: a}\nspec: {name: a, acl: public-read}\n"+
		"---\n# a comment\napiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {acl: private}\n")
	rep := Scan(context.Background(), []string{p}, nil, Options{})
	if len(rep.Errors) != 1 || rep.Errors[0].Source != p+"#1" || rep.Errors[0].Message != "line 7: Bucket default/b: spec.name: Required value" {
		t.Errorf("errors %+v, want one at line 7 of %s#1", rep.Errors, p)
	}
	if rep.Summary.Resources != 1 || rep.Summary.Denied != 1 {
		t.Errorf("summary %+v: the other bucket must be judged", rep.Summary)
	}
}

// TestInputErrorsGiveTheirLine: the JSON report gives the line of an
// input error as a field, not only in its message, wherever the scanner
// knows it; 0 where the error is about no one line.
func TestInputErrorsGiveTheirLine(t *testing.T) {
	dir := t.TempDir()
	writeIn(t, dir, "a-broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\n  data: [\n")
	writeIn(t, dir, "b-refused.yaml", "# a bucket\napiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {acl: private}\n")
	writeIn(t, dir, "c-policy.yaml", "\n\napiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicyy\nmetadata: {name: p}\n")
	writeIn(t, dir, "d-json.json", "{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\", \"kind\": \"Secret\"}\n")
	missing := filepath.Join(dir, "no-such-file.yaml")
	_, out, _ := run(t, "", "-o", "json", dir, missing)
	var rep struct {
		Errors []struct {
			Source, Message string
			Line            *int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		filepath.Join(dir, "a-broken.yaml#1"): 7, // lines of the file
		filepath.Join(dir, "b-refused.yaml"):  2,
		filepath.Join(dir, "c-policy.yaml"):   3,
		filepath.Join(dir, "d-json.json"):     2,
		missing:                               0,
	}
	for _, e := range rep.Errors {
		w, ok := want[e.Source]
		switch {
		case !ok:
			t.Errorf("unexpected error %s: %s", e.Source, e.Message)
		case e.Line == nil:
			t.Errorf("%s: the error has no line field: %s", e.Source, e.Message)
		case *e.Line != w:
			t.Errorf("%s: line %d, want %d: %s", e.Source, *e.Line, w, e.Message)
		}
		delete(want, e.Source)
	}
	if len(want) > 0 {
		t.Errorf("no error for %v:\n%s", want, out)
	}
}

// TestOwnerAccountErrorsGiveTheLine: a value that names no account in a
// Namespace's owner-account annotation, a role map or an exported
// resource's status is an input error at the line of its object, as
// every other error about an object.
func TestOwnerAccountErrorsGiveTheLine(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# a namespace\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, annotations: {services.k8s.aws/owner-account-id: team}}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ack-role-account-map, namespace: ack-system}\ndata: {\"1234\": x}\n"
	export := writeFile(t, "export.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: logs, namespace: team-b}\n"+
		"spec: {name: logs}\nstatus: {ackResourceMetadata: {ownerAccountID: \"12\"}}\n")
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(in), Options{ACKNamespace: "ack-system", Policies: []string{export}})
	want := []InputError{
		{Source: "-#1", Message: `line 6: namespace team-a (services.k8s.aws/owner-account-id): "team" is not a 12-digit AWS account ID`, Line: 6},
		{Source: "-#2", Message: "line 10: ConfigMap ack-system/ack-role-account-map: entries that name no AWS account: 1234", Line: 10},
		{Source: export, Message: `line 1: status of Bucket team-b/logs: "12" is not a 12-digit AWS account ID`, Line: 1},
	}
	if !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors\n%+v\nwant\n%+v", rep.Errors, want)
	}
}

// TestNearMissOfACKGroupIsAnError: a kind ackguard guards whose API group
// misspells ACK's (or whose kind misspells ACK's by case) is refused by
// the cluster; skipped, it would pass unjudged, so it is an input error at
// its line, as a misspelt policy.ackguard.dev kind is. The same kind in an
// unrelated group is not ACK's, and is skipped.
func TestNearMissOfACKGroupIsAnError(t *testing.T) {
	near := []struct{ apiVersion, kind, want string }{
		{"s3.service.k8s.aws/v1alpha1", "Bucket", "apiVersion s3.service.k8s.aws/v1alpha1: ACK's Bucket is in API group s3.services.k8s.aws, not s3.service.k8s.aws"},
		{"s3.services.k8s.io/v1alpha1", "Bucket", "ACK's Bucket is in API group s3.services.k8s.aws"},
		{"iam.sevrices.k8s.aws/v1alpha1", "Role", "ACK's Role is in API group iam.services.k8s.aws"},
		{"ec2.services.k8s.aws/v1alpha1", "Securitygroup", "ec2.services.k8s.aws has no kind Securitygroup, but SecurityGroup"},
		{"s3.services.k8s.aws", "Bucket", "apiVersion s3.services.k8s.aws names no version"},
		{"ec2.service.k8s.aws/v1alpha1", "Subnet", "ACK's Subnet is in API group ec2.services.k8s.aws"},
		{"s3services.k8s.aws/v1alpha1", "Bucket", "ACK's Bucket is in API group s3.services.k8s.aws"},
		{"lamda.services.k8s.aws/v1alpha1", "Function", "ACK's Function is in API group lambda.services.k8s.aws"},
	}
	var in strings.Builder
	for i, n := range near {
		fmt.Fprintf(&in, "---\napiVersion: %s\nkind: %s\nmetadata: {name: n%d}\nspec: {name: n%d}\n", n.apiVersion, n.kind, i, i)
	}
	others := []struct{ apiVersion, kind string }{
		{"s3.aws.upbound.io/v1beta1", "Bucket"},
		{"rbac.authorization.k8s.io/v1", "Role"},
		{"kyverno.io/v1", "Policy"},
		{"ecr.services.k8s.aws/v1alpha1", "Repository"},
		{"mq.services.k8s.aws/v1alpha1", "User"},
		{"iam.aws.upbound.io/v1beta1", "Policy"},
		{"v1", "ConfigMap"},
		// Kinds of ACK's other services that share a name with one the
		// scan guards or reads, and the kinds of ram, ecr and ecs, whose
		// services are one letter from iam and ec2.
		{"kms.services.k8s.aws/v1alpha1", "Alias"},
		{"memorydb.services.k8s.aws/v1alpha1", "User"},
		{"elasticache.services.k8s.aws/v1alpha1", "User"},
		{"documentdb.services.k8s.aws/v1alpha1", "DBCluster"},
		{"documentdb.services.k8s.aws/v1alpha1", "DBInstance"},
		{"ram.services.k8s.aws/v1alpha1", "ResourceShare"},
		{"ram.services.k8s.aws/v1alpha1", "Permission"},
		{"ecr.services.k8s.aws/v1alpha1", "PullThroughCacheRule"},
		{"ecs.services.k8s.aws/v1alpha1", "Cluster"},
		{"ecs.services.k8s.aws/v1alpha1", "Service"},
		{"ecs.services.k8s.aws/v1alpha1", "TaskDefinition"},
		// The kinds of the guarded services' groups that are not guarded.
		{"iam.services.k8s.aws/v1alpha1", "InstanceProfile"},
		{"iam.services.k8s.aws/v1alpha1", "ServiceLinkedRole"},
		{"ec2.services.k8s.aws/v1alpha1", "VPC"},
		{"ec2.services.k8s.aws/v1alpha1", "NetworkACLEntry"},
		{"rds.services.k8s.aws/v1alpha1", "DBSecurityGroup"},
		{"rds.services.k8s.aws/v1alpha1", "DBSubnetGroup"},
		{"lambda.services.k8s.aws/v1alpha1", "Version"},
		{"lambda.services.k8s.aws/v1alpha1", "EventSourceMapping"},
		// ACK's runtime, in the group without a service.
		{"services.k8s.aws/v1alpha1", "AdoptedResource"},
		{"services.k8s.aws/v1alpha1", "FieldExport"},
		{"services.k8s.aws/v1alpha1", "IAMRoleSelector"},
		// Other operators' and Kubernetes' kinds of the same names.
		{"s3.aws.crossplane.io/v1beta1", "Bucket"},
		{"iam.aws.crossplane.io/v1beta1", "Role"},
		{"ec2.aws.upbound.io/v1beta1", "SecurityGroup"},
		{"ec2.aws.upbound.io/v1beta1", "Subnet"},
		{"lambda.aws.upbound.io/v1beta1", "Function"},
		{"s3.aws.m.upbound.io/v1beta1", "Bucket"},
		{"iam.aws.m.upbound.io/v1beta1", "Role"},
		{"pkg.crossplane.io/v1", "Function"},
		{"iam.cnrm.cloud.google.com/v1beta1", "IAMPolicy"},
		{"storage.cnrm.cloud.google.com/v1beta1", "StorageBucket"},
		{"objectstorage.k8s.io/v1alpha1", "Bucket"},
		{"user.openshift.io/v1", "User"},
		{"user.openshift.io/v1", "Group"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole"},
	}
	// Every ACK service's group, with each kind the scan guards or reads
	// in another service's group: none is a misspelling of that group.
	// But for ram, one letter from iam, and ecr and ecs, one from ec2,
	// which have no kind of those names: the cluster refuses a ram Role
	// as it refuses an iamm Role.
	services := strings.Fields(`acm acmpca apigateway apigatewayv2 applicationautoscaling athena bedrockagent
		cloudfront cloudtrail cloudwatch cloudwatchlogs codeartifact cognitoidentityprovider documentdb dynamodb
		ec2 ecr ecs efs eks elasticache elbv2 emrcontainers eventbridge iam kafka keyspaces kinesis kms lambda
		memorydb mq networkfirewall opensearchservice organizations pipes prometheusservice ram rds recyclebin
		route53 route53resolver s3 s3control sagemaker secretsmanager ses sfn sns sqs ssm wafv2`)
	neighbours := map[string]string{"ram": "iam.services.k8s.aws", "ecr": "ec2.services.k8s.aws", "ecs": "ec2.services.k8s.aws"}
	for _, svc := range services {
		group := svc + ".services.k8s.aws"
		for _, gk := range append(rules.Default().Kinds(), referenced...) {
			if gk.Group != group && gk.Group != neighbours[svc] {
				others = append(others, struct{ apiVersion, kind string }{group + "/v1alpha1", gk.Kind})
			}
		}
	}
	for i, o := range others {
		fmt.Fprintf(&in, "---\napiVersion: %s\nkind: %s\nmetadata: {name: o%d}\n", o.apiVersion, o.kind, i)
	}
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(in.String()), Options{})
	if len(rep.Errors) != len(near) {
		t.Fatalf("errors %+v, want one for each of %d near misses", rep.Errors, len(near))
	}
	for i, e := range rep.Errors {
		if wantSrc, wantLine := fmt.Sprintf("-#%d", i), 5*i+2; e.Source != wantSrc || e.Line != wantLine || !strings.Contains(e.Message, near[i].want) {
			t.Errorf("error %+v, want %s at line %d: %s", e, wantSrc, wantLine, near[i].want)
		}
	}
	if rep.Summary.Skipped != len(others) {
		t.Errorf("skipped %d, want the %d objects of other groups", rep.Summary.Skipped, len(others))
	}
	if code, _, stderr := run(t, "apiVersion: s3.service.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: a}\n", "-o", "json", "-"); code != 2 || !strings.Contains(stderr, "error: -: line 1: Bucket a: apiVersion s3.service.k8s.aws/v1alpha1") {
		t.Errorf("exit code %d, want 2\n%s", code, stderr)
	}
}

// TestMisspeltKindOfACKGroupIsAWarning: an object of a guarded ACK group
// whose kind is a few edits from a kind ackguard guards there (Buckett,
// SecurityGroups) is skipped, as the cluster refuses it, but not silently:
// a warning (on standard error, a JSON note, a SARIF notification of level
// warning) names the kind meant. Not an error, since ACK may add kinds to
// a group: the exit code stays what the findings make it. ACK's kinds of
// the guarded groups that ackguard does not guard are no near misses.
func TestMisspeltKindOfACKGroupIsAWarning(t *testing.T) {
	near := []struct{ apiVersion, kind, meant string }{
		{"s3.services.k8s.aws/v1alpha1", "Buckett", "Bucket"},
		{"s3.services.k8s.aws/v1alpha1", "Buckets", "Bucket"},
		{"ec2.services.k8s.aws/v1alpha1", "SecurityGroups", "SecurityGroup"},
		{"ec2.services.k8s.aws/v1alpha1", "SecurtyGroup", "SecurityGroup"},
		{"ec2.services.k8s.aws/v1alpha1", "NetworkAcls", "NetworkACL"},
		{"ec2.services.k8s.aws/v1alpha1", "Subnets", "Subnet"},
		{"iam.services.k8s.aws/v1alpha1", "Roles", "Role"},
		{"iam.services.k8s.aws/v1alpha1", "Polcy", "Policy"},
		{"lambda.services.k8s.aws/v1alpha1", "Functoin", "Function"},
		{"lambda.services.k8s.aws/v1alpha1", "Aliases", "Alias"},
		{"rds.services.k8s.aws/v1beta1", "DBInstances", "DBInstance"},
		{"rds.services.k8s.aws/v1alpha1", "DbProxys", "DBProxy"},
		// The plural the kind's resource is named by (kubectl get
		// policies), however far from the kind.
		{"iam.services.k8s.aws/v1alpha1", "Policies", "Policy"},
		{"rds.services.k8s.aws/v1alpha1", "DBProxies", "DBProxy"},
		{"rds.services.k8s.aws/v1alpha1", "dbclusterparametergroups", "DBClusterParameterGroup"},
	}
	var in strings.Builder
	for i, n := range near {
		fmt.Fprintf(&in, "---\napiVersion: %s\nkind: %s\nmetadata: {name: n%d}\nspec: {name: n%d}\n", n.apiVersion, n.kind, i, i)
	}
	// The kinds of ACK's controllers for the guarded groups that ackguard
	// does not guard or read, and kinds far from any it does.
	others := map[string][]string{
		"ec2.services.k8s.aws": {"CapacityReservation", "DHCPOptions", "EgressOnlyInternetGateway", "ElasticIPAddress", "Fleet",
			"FlowLog", "Instance", "InternetGateway", "LaunchTemplate", "LaunchTemplateVersion", "LocalGatewayRouteTable",
			"ManagedPrefixList", "NATGateway", "NetworkACLEntry", "Reservation", "RouteTable", "TransitGateway",
			"TransitGatewayVPCAttachment", "VPC", "VPCEndpoint", "VPCEndpointServiceConfiguration", "VPCPeeringConnection"},
		"rds.services.k8s.aws": {"DBClusterEndpoint", "DBClusterSnapshot", "DBSecurityGroup", "DBSnapshot", "DBSubnetGroup",
			"GlobalCluster", "OptionGroup"},
		"iam.services.k8s.aws":    {"InstanceProfile", "OpenIDConnectProvider", "ServiceLinkedRole"},
		"lambda.services.k8s.aws": {"CodeSigningConfig", "EventSourceMapping", "LayerVersion", "Version"},
		"s3.services.k8s.aws":     {"AccessPoint", "Widget"}, // no ACK kinds: far from Bucket
	}
	nOthers := 0
	for group, kinds := range others {
		for _, k := range kinds {
			fmt.Fprintf(&in, "---\napiVersion: %s/v1alpha1\nkind: %s\nmetadata: {name: o%d}\n", group, k, nOthers)
			nOthers++
		}
	}
	_, stdout, _ := run(t, in.String(), "-o", "json", "-")
	doc := checkShape(t, stdout)
	var notes []string
	for _, n := range doc["notes"].([]any) {
		notes = append(notes, n.(string))
	}
	if errs := doc["errors"].([]any); len(errs) != 0 {
		t.Errorf("errors %v, want none", errs)
	}
	if skipped := doc["summary"].(map[string]any)["skipped"]; skipped != float64(len(near)+nOthers) {
		t.Errorf("skipped %v, want %d", skipped, len(near)+nOthers)
	}
	for i, n := range near {
		want := fmt.Sprintf("-#%d: line %d: %s %s is not a kind ackguard guards; did you mean %s?", i, 5*i+2, n.apiVersion, n.kind, n.meant)
		if !slices.ContainsFunc(notes, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no note %q in\n%s", want, strings.Join(notes, "\n"))
		}
	}
	if len(notes) != len(near) {
		t.Errorf("%d notes, want %d:\n%s", len(notes), len(near), strings.Join(notes, "\n"))
	}
	// The same warnings, structured as errors are: source, line, message.
	warnings := doc["warnings"].([]any)
	if len(warnings) != len(near) {
		t.Errorf("%d warnings, want %d: %v", len(warnings), len(near), warnings)
	}
	for i, w := range warnings {
		wm, n := w.(map[string]any), near[min(i, len(near)-1)]
		if wm["source"] != fmt.Sprintf("-#%d", i) || wm["line"] != float64(5*i+2) ||
			!strings.HasPrefix(wm["message"].(string), fmt.Sprintf("line %d: %s %s is not a kind ackguard guards", 5*i+2, n.apiVersion, n.kind)) {
			t.Errorf("warning %d: %v", i, wm)
		}
	}

	// A warning, whatever the output: the exit code is the findings'.
	doc1 := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Buckett\nmetadata: {name: b}\nspec: {name: b}\n"
	warning := "warning: -: line 1: s3.services.k8s.aws/v1alpha1 Buckett is not a kind ackguard guards; did you mean Bucket?"
	for _, output := range OutputFormats {
		code, stdout, stderr := run(t, doc1, "-o", output, "-")
		if code != 0 || !strings.Contains(stderr, warning) || strings.Contains(stderr, "error:") {
			t.Errorf("-o %s: exit code %d, want 0 with %q on stderr:\n%s", output, code, warning, stderr)
		}
		if output == OutputText && strings.Contains(stdout, "note:") {
			t.Errorf("text: the warning is a note too:\n%s", stdout)
		}
	}
	for _, failOn := range []string{FailOnWarn, FailOnNever} {
		if code, _, _ := run(t, doc1, "--fail-on", failOn, "-"); code != 0 {
			t.Errorf("--fail-on %s: exit code %d, want 0", failOn, code)
		}
	}
	_, stdout, _ = run(t, doc1+"---\n"+readTestdata(t, "secure", "secure.yaml"), "-o", "sarif", "-")
	inv := checkSARIF(t, []byte(stdout))["runs"].([]any)[0].(map[string]any)["invocations"].([]any)[0].(map[string]any)
	notifications, _ := inv["toolExecutionNotifications"].([]any)
	if inv["executionSuccessful"] != true || len(notifications) != 1 {
		t.Fatalf("invocation %v, want a successful one with one notification", inv)
	}
	n := notifications[0].(map[string]any)
	pl := n["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
	if n["level"] != "warning" || !strings.Contains(n["message"].(map[string]any)["text"].(string), "did you mean Bucket?") ||
		pl["artifactLocation"].(map[string]any)["uri"] != "stdin" || pl["region"].(map[string]any)["startLine"] != 1.0 {
		t.Errorf("notification %v", n)
	}
	// JUnit: a skipped test case at the object's line, beside the
	// resources judged; no error, no failure.
	code, stdout, _ := run(t, doc1+"---\n"+readTestdata(t, "secure", "secure.yaml"), "-o", "junit", "-")
	var suites junitSuites // read back as it was written
	if err := xml.Unmarshal([]byte(stdout), &suites); err != nil {
		t.Fatalf("JUnit: %v\n%s", err, stdout)
	}
	var skipped []string
	for _, su := range suites.Suites {
		for _, c := range su.Cases {
			if c.Skipped != nil {
				skipped = append(skipped, fmt.Sprintf("%s %s %s:%d %s: %s", su.Name, c.Name, c.File, c.Line, c.Skipped.Type, c.Skipped.Message))
				if su.Skipped != 1 {
					t.Errorf("suite %s counts %d skipped", su.Name, su.Skipped)
				}
			}
		}
	}
	want := "- read -#0 -:1 Warning: line 1: s3.services.k8s.aws/v1alpha1 Buckett is not a kind ackguard guards; did you mean Bucket?"
	if code != 0 || suites.Failures != 0 || suites.Errors != 0 || len(skipped) != 1 || !strings.HasPrefix(skipped[0], want) {
		t.Errorf("JUnit: exit code %d, %d failures, %d errors, skipped %q, want one %q\n%s", code, suites.Failures, suites.Errors, skipped, want, stdout)
	}
}

// TestRealACKKindsAreNoNearMisses: no kind of ACK's CRDs (ACK_CRDS_DIR, and
// its samples beside it, or ACK_SAMPLES_DIR) is reported as a near miss of
// a kind ackguard guards, as a warning or an error, in any version the
// CRD serves.
func TestRealACKKindsAreNoNearMisses(t *testing.T) {
	dir := os.Getenv("ACK_CRDS_DIR")
	if dir == "" {
		t.Skip("ACK_CRDS_DIR not set: ACK's CRDs are not available")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRD in ACK_CRDS_DIR %s (%v)", dir, err)
	}
	var in strings.Builder
	kinds := 0
	for _, f := range files {
		var crd struct {
			Kind string
			Spec struct {
				Group    string
				Names    struct{ Kind, ListKind string }
				Versions []struct {
					Name   string
					Served bool
				}
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.Unmarshal(b, &crd); err != nil || crd.Kind != "CustomResourceDefinition" || crd.Spec.Names.Kind == "" {
			t.Fatalf("%s: not a CRD (%v)", f, err)
		}
		for _, v := range crd.Spec.Versions {
			fmt.Fprintf(&in, "---\napiVersion: %s/%s\nkind: %s\nmetadata: {name: k%d}\n", crd.Spec.Group, v.Name, crd.Spec.Names.Kind, kinds)
			fmt.Fprintf(&in, "---\napiVersion: %s/%s\nkind: %s\nitems: []\n", crd.Spec.Group, v.Name, crd.Spec.Names.ListKind)
			kinds++
		}
	}
	paths := []string{"-"}
	samples := os.Getenv("ACK_SAMPLES_DIR")
	if samples == "" {
		samples = filepath.Join(dir, "..", "samples")
	}
	if fi, err := os.Stat(samples); err == nil && fi.IsDir() {
		paths = append(paths, samples)
	}
	rep := Scan(context.Background(), paths, strings.NewReader(in.String()), Options{})
	for _, e := range rep.Errors {
		if strings.Contains(e.Message, "no such kind") {
			t.Errorf("%s: a real ACK kind reported as a near miss: %s", e.Source, e.Message)
		}
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "is not a kind ackguard guards") {
			t.Errorf("a real ACK kind reported as a near miss: %s", n)
		}
	}
	t.Logf("%d kinds of %d CRDs, and the samples in %v", kinds, len(files), paths[1:])
}

// TestGovernanceKindInAnotherGroupIsAnError: ackguard's own kinds, whose
// names no other API uses, in another group (a misspelt one, or the group
// given as the version) are input errors, in a PATH as in a --policy
// input: skipped, the resources would be judged without the policy or
// exception they meant to be.
func TestGovernanceKindInAnotherGroupIsAnError(t *testing.T) {
	for _, tc := range []struct{ apiVersion, kind, want string }{
		{"policy.ackgaurd.dev/v1alpha1", "GuardrailPolicy", "apiVersion policy.ackgaurd.dev/v1alpha1: ackguard's GuardrailPolicy is in API group policy.ackguard.dev (policy.ackguard.dev/v1alpha1)"},
		{"ackguard.dev/v1alpha1", "GuardrailException", "apiVersion ackguard.dev/v1alpha1: ackguard's GuardrailException is in API group policy.ackguard.dev"},
		{"policy.ackguard.dev", "GuardrailPolicy", "apiVersion policy.ackguard.dev names no version: ackguard's GuardrailPolicy is policy.ackguard.dev/v1alpha1"},
		{"v1alpha1", "GuardrailException", "apiVersion v1alpha1: ackguard's GuardrailException is in API group policy.ackguard.dev"},
	} {
		doc := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: g}\nspec: {}\n", tc.apiVersion, tc.kind)
		for _, args := range [][]string{{"-o", "json", "-"}, {"-o", "json", "--policy", "-", writeFile(t, "b.yaml", "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {name: b}\n")}} {
			code, _, stderr := run(t, doc, args...)
			if code != 2 || !strings.Contains(stderr, "line 1: "+tc.kind+" g: "+tc.want) || !strings.Contains(stderr, "the scan does not read it") {
				t.Errorf("%s %s with %v: exit code %d, want 2 and %q\n%s", tc.apiVersion, tc.kind, args, code, tc.want, stderr)
			}
		}
	}
}

// TestEmptyInputIsReported: a PATH that holds no object (an empty file, a
// directory without manifests, nothing on standard input) judges nothing;
// the scan passes, as kubeconform does, but says so on standard error in
// every output, in the JSON notes, and counts the objects read.
func TestEmptyInputIsReported(t *testing.T) {
	empty := writeFile(t, "empty.yaml", "---\n# nothing yet\n")
	emptyDir := t.TempDir()
	writeIn(t, emptyDir, "README.md", "# manifests\n")
	for _, tt := range []struct {
		name, stdin, path string
	}{
		{"empty file", "", empty},
		{"directory without manifests", "", emptyDir},
		{"nothing on standard input", "", "-"},
		{"separators only", "---\n---\n", "-"},
		{"comments only", "# a\n# b\n", "-"},
		{"a List with no items", "apiVersion: v1\nkind: List\nitems: []\n", "-"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			warning := "warning: " + tt.path + ": holds no Kubernetes object, so nothing was judged from it"
			for _, output := range OutputFormats {
				code, stdout, stderr := run(t, tt.stdin, "-o", output, tt.path)
				if code != 0 || !strings.Contains(stderr, warning) {
					t.Errorf("-o %s: exit code %d, want 0 with %q on stderr:\n%s", output, code, warning, stderr)
				}
				if output == OutputText && (!strings.Contains(stdout, "0 resources, 0 findings, 0 denied, 0 warned, no object read") || strings.Contains(stdout, "note:")) {
					t.Errorf("text output:\n%s", stdout)
				}
				if output == OutputJUnit && (!strings.Contains(stdout, `<skipped message="holds no Kubernetes object, so nothing was judged from it`) ||
					!strings.Contains(stdout, `skipped="1"`) || !strings.Contains(stdout, `failures="0" errors="0"`)) {
					t.Errorf("JUnit output, want one skipped case:\n%s", stdout)
				}
				if output == OutputSARIF {
					inv := checkSARIF(t, []byte(stdout))["runs"].([]any)[0].(map[string]any)["invocations"].([]any)[0].(map[string]any)
					if n, _ := inv["toolExecutionNotifications"].([]any); inv["executionSuccessful"] != true || len(n) != 1 || n[0].(map[string]any)["level"] != "warning" {
						t.Errorf("SARIF invocation %v, want a successful one with a warning", inv)
					}
				}
			}
			_, stdout, _ := run(t, tt.stdin, "-o", "json", tt.path)
			doc := checkShape(t, stdout)
			if n := doc["summary"].(map[string]any)["documents"]; n != 0.0 {
				t.Errorf("summary.documents %v, want 0", n)
			}
			if notes := doc["notes"].([]any); len(notes) != 1 || !strings.Contains(notes[0].(string), "holds no Kubernetes object") {
				t.Errorf("notes %v", notes)
			}
			if w := doc["warnings"].([]any); len(w) != 1 || w[0].(map[string]any)["source"] != tt.path || w[0].(map[string]any)["line"] != 0.0 {
				t.Errorf("warnings %v, want one of %s at no line", w, tt.path)
			}
		})
	}
	// Beside a PATH that holds objects, the empty one is still named.
	code, stdout, stderr := run(t, "", "-o", "json", emptyDir, testdata("secure"))
	if code != 0 || !strings.Contains(stderr, "warning: "+emptyDir+": holds no Kubernetes object") || !strings.Contains(stdout, `"documents": 2`) {
		t.Errorf("exit code %d\n%s\n%s", code, stdout, stderr)
	}
	// A file of objects, judged or not, or one with errors, is not empty.
	for _, p := range []string{testdata("secure"), writeFile(t, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"), testdata("broken")} {
		if _, _, stderr := run(t, "", p); strings.Contains(stderr, "warning:") {
			t.Errorf("%s: %s", p, stderr)
		}
	}
}

// TestEmptyBuildIsReported: a chart that renders no object with the
// values given, or a kustomization that builds none, is named as an empty
// PATH is, with what to check: its values or resources, not the path,
// which holds templates or a kustomization.
func TestEmptyBuildIsReported(t *testing.T) {
	chart := t.TempDir()
	writeIn(t, chart, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeIn(t, chart, "values.yaml", "enabled: false\n")
	writeIn(t, chart, "templates/bucket.yaml", "{{- if .Values.enabled }}\napiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b}\nspec: {name: b}\n{{- end }}\n")
	kust := t.TempDir()
	writeIn(t, kust, "kustomization.yaml", "resources: []\n")
	for _, p := range []string{chart, kust} {
		code, _, stderr := run(t, "", p)
		want := "warning: " + p + ": holds no Kubernetes object, so nothing was judged from it (a chart that renders none with the values given, or a kustomization that builds none): check its values and resources"
		if code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit code %d, want 0 with %q on stderr:\n%s", p, code, want, stderr)
		}
	}
	if code, _, stderr := run(t, "", "--values", writeFile(t, "on.yaml", "enabled: true\n"), chart); code != 1 || strings.Contains(stderr, "warning:") {
		t.Errorf("the chart rendering its bucket: exit code %d, want 1 without a warning:\n%s", code, stderr)
	}
}

// TestValuesErrorsGiveTheirLine: a --values file that does not parse is an
// input error whose line is the one its message names, in that file.
func TestValuesErrorsGiveTheirLine(t *testing.T) {
	chart := t.TempDir()
	writeIn(t, chart, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	for _, tt := range []struct {
		values string
		line   int
	}{
		{"a: 1\nb: [\n", 2},
		{"x: 1\ny: 2\nz: \"abc\n", 4},
		{"a: 1\n\tb: 2\n", 2},
	} {
		values := writeFile(t, "values.yaml", tt.values)
		rep := Scan(context.Background(), []string{chart}, nil, Options{Values: []string{values}})
		if len(rep.Errors) != 1 || rep.Errors[0].Source != values || rep.Errors[0].Line != tt.line ||
			!strings.Contains(rep.Errors[0].Message, fmt.Sprintf("line %d:", tt.line)) {
			t.Errorf("%q: errors %+v, want one of %s at line %d", tt.values, rep.Errors, values, tt.line)
		}
	}
}
