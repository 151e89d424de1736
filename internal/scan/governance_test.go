package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ackguard/ackguard/config/crd"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/rules"
)

// Fixed clocks around the expiry of testdata/governance/exception.yaml.
const (
	beforeExpiry = "2026-02-01T00:00:00Z"
	atExpiry     = "2026-03-01T00:00:00Z"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// verdict is what a finding comes to, for comparisons.
type verdict struct {
	namespace, rule, action, policy, policyAction string
}

func verdicts(fs []Finding) []verdict {
	var out []verdict
	for _, f := range fs {
		out = append(out, verdict{f.Resource.Namespace, f.Rule, f.Action, f.Policy, f.PolicyAction})
	}
	return out
}

// writeFile writes content to name in a new temporary directory.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	return writeIn(t, t.TempDir(), name, content)
}

// writeIn writes content to name (slash-separated, its directories made)
// under dir, and returns its path.
func writeIn(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func scanWith(t testing.TB, paths []string, opts Options) Report {
	t.Helper()
	rep := Scan(context.Background(), paths, nil, opts)
	// Whatever the input, the report keeps the published shape.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, string(b))
	return rep
}

func TestPolicyPerNamespace(t *testing.T) {
	pol := testdata("governance", "per-namespace.yaml")
	rep := scanWith(t, []string{testdata("governance", "buckets.yaml")}, Options{Policies: []string{pol}})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	want := []verdict{
		// Audited in team-a: admitted with warnings.
		{"team-a", "S3-001", "warn", "audit-team-a", "Audit"},
		{"team-a", "S3-002", "warn", "audit-team-a", "Audit"},
		{"team-a", "S3-006", "warn", "audit-team-a", "Audit"},
		// The catalog defaults elsewhere.
		{"team-b", "S3-001", "deny", "baseline", "Enforce"},
		{"team-b", "S3-002", "deny", "baseline", "Deny"},
		{"team-b", "S3-006", "warn", "baseline", "Remediate"},
	}
	if got := verdicts(rep.Findings); !slices.Equal(got, want) {
		t.Errorf("findings\n%v\nwant\n%v", got, want)
	}
	if s := rep.Summary; s.Resources != 2 || s.Denied != 1 || s.Warned != 1 || rep.ExitCode() != 1 {
		t.Errorf("summary %+v, exit code %d", s, rep.ExitCode())
	}
	wantPolicies := []Policy{{Name: "audit-team-a", Source: pol + "#0"}, {Name: "baseline", Source: pol + "#1"}}
	if !reflect.DeepEqual(rep.Policies, wantPolicies) {
		t.Errorf("policies %+v, want %+v", rep.Policies, wantPolicies)
	}

	// With policies, only those that select a resource apply to it: with
	// the audit policy alone, team-b's bucket is selected by none.
	audit := writeFile(t, "audit.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: audit-team-a}
spec:
  match:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-a}}
  defaultAction: Audit
`)
	rep = scanWith(t, []string{testdata("governance", "buckets.yaml")}, Options{Policies: []string{audit}})
	for _, f := range rep.Findings {
		if f.Resource.Namespace != "team-a" || f.Action != "warn" {
			t.Errorf("finding %+v", f)
		}
	}
	if s := rep.Summary; s.Resources != 2 || s.Findings != 3 || s.Denied != 0 || rep.ExitCode() != 0 {
		t.Errorf("audit policy alone: summary %+v, exit code %d", s, rep.ExitCode())
	}
}

func TestPolicyStrictestWins(t *testing.T) {
	pol := testdata("governance", "strictest.yaml")
	rep := scanWith(t, []string{testdata("governance", "buckets.yaml")}, Options{Policies: []string{pol}})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	var want []verdict
	for _, ns := range []string{"team-a", "team-b"} {
		want = append(want,
			verdict{ns, "S3-001", "deny", "strict", "Deny"}, // strict's Deny beats lenient's Audit
			verdict{ns, "S3-002", "warn", "lenient", "Audit"},
			verdict{ns, "S3-006", "warn", "lenient", "Audit"},
		)
	}
	if got := verdicts(rep.Findings); !slices.Equal(got, want) {
		t.Errorf("findings\n%v\nwant\n%v", got, want)
	}
	// A typed list: items inherit apiVersion and kind.
	wantPolicies := []Policy{{Name: "lenient", Source: pol + "[0]"}, {Name: "strict", Source: pol + "[1]"}}
	if !reflect.DeepEqual(rep.Policies, wantPolicies) {
		t.Errorf("policies %+v, want %+v", rep.Policies, wantPolicies)
	}
	if rep.Summary.Denied != 2 || rep.ExitCode() != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// teamABucket is the team-a bucket of testdata/governance/buckets.yaml.
func teamABucket(t testing.TB) string {
	t.Helper()
	docs := strings.SplitN(readTestdata(t, "governance", "buckets.yaml"), "\n---\n", 2)
	return docs[0] + "\n"
}

func TestExceptionHonoured(t *testing.T) {
	// The exception in the same stream as the bucket, before its expiry.
	in := teamABucket(t) + "---\n" + readTestdata(t, "governance", "exception.yaml")
	code, out, stderr := run(t, in, "-o", "json", "--now", beforeExpiry, "-")
	if code != 0 || stderr != "" {
		t.Fatalf("exit code %d, want 0; stderr:\n%s\n%s", code, stderr, out)
	}
	checkShape(t, out)
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// Admitted: what remains is the warning.
	if got, want := verdicts(rep.Findings), []verdict{{"team-a", "S3-006", "warn", "baseline", "Remediate"}}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	wantRef := ExceptionRef{Namespace: "team-a", Name: "public-site", Reason: "WEB-1234: static website, public by design", ExpiresAt: atExpiry, Source: "-#1"}
	var exempted []verdict
	for _, e := range rep.Exempted {
		exempted = append(exempted, verdict{e.Resource.Namespace, e.Rule, e.Action, e.Policy, e.PolicyAction})
		if e.Exception != wantRef {
			t.Errorf("exception %+v, want %+v", e.Exception, wantRef)
		}
		if e.Resource.Source != "-#0" || e.Message == "" || e.Remedy == "" || e.Title == "" {
			t.Errorf("exempted finding %+v", e)
		}
	}
	// The action is what admission would do without the exception.
	wantExempted := []verdict{{"team-a", "S3-001", "deny", "baseline", "Enforce"}, {"team-a", "S3-002", "deny", "baseline", "Deny"}}
	if !slices.Equal(exempted, wantExempted) {
		t.Errorf("exempted %v, want %v", exempted, wantExempted)
	}
	if want := (Summary{Resources: 1, Findings: 1, Denied: 0, Warned: 1, Exempted: 2, Documents: 2}); rep.Summary != want {
		t.Errorf("summary %+v, want %+v", rep.Summary, want)
	}
	wantEx := []Exception{{Namespace: "team-a", Name: "public-site", Source: "-#1", State: "Active",
		Message: "in force until " + atExpiry, Reason: wantRef.Reason, ExpiresAt: atExpiry}}
	if !reflect.DeepEqual(rep.Exceptions, wantEx) {
		t.Errorf("exceptions %+v, want %+v", rep.Exceptions, wantEx)
	}
	if want := []Policy{{Name: "baseline", Builtin: true}}; !reflect.DeepEqual(rep.Policies, want) {
		t.Errorf("policies %+v, want %+v", rep.Policies, want)
	}

	// The exception does not reach team-b's bucket.
	rep = scanWith(t, []string{testdata("governance", "buckets.yaml")},
		Options{Policies: []string{testdata("governance", "exception.yaml")}, Now: mustTime(t, beforeExpiry)})
	if rep.Summary.Denied != 1 || len(rep.Exempted) != 2 || rep.ExitCode() != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	for _, e := range rep.Exempted {
		if e.Resource.Namespace != "team-a" || e.Exception.Source != testdata("governance", "exception.yaml") {
			t.Errorf("exempted %+v", e)
		}
	}
}

func TestExceptionExpired(t *testing.T) {
	rep := scanWith(t, []string{testdata("governance", "buckets.yaml")},
		Options{Policies: []string{testdata("governance", "exception.yaml")}, Now: mustTime(t, atExpiry)})
	// An expired exception is no input error: the findings deny again.
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	if len(rep.Exempted) != 0 || rep.Summary.Denied != 2 || rep.ExitCode() != 1 {
		t.Errorf("exempted %+v, summary %+v", rep.Exempted, rep.Summary)
	}
	wantEx := []Exception{{Namespace: "team-a", Name: "public-site", Source: testdata("governance", "exception.yaml"), State: "Expired",
		Message: "expired at " + atExpiry, Reason: "WEB-1234: static website, public by design", ExpiresAt: atExpiry}}
	if !reflect.DeepEqual(rep.Exceptions, wantEx) {
		t.Errorf("exceptions %+v, want %+v", rep.Exceptions, wantEx)
	}

	// The text output says so.
	code, stdout, _ := run(t, "", "--now", atExpiry, "--policy", testdata("governance", "exception.yaml"), testdata("governance", "buckets.yaml"))
	if code != 1 || !strings.Contains(stdout, "exception team-a/public-site ("+testdata("governance", "exception.yaml")+"): Expired: expired at "+atExpiry+"\n") {
		t.Errorf("exit code %d:\n%s", code, stdout)
	}
}

// exception returns a GuardrailException for team-a's site with the given
// spec lines replacing the rules.
func exceptionDoc(rules string) string {
	return `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailException
metadata: {name: public-site, namespace: team-a}
spec:
  rules: ` + rules + `
  resources: [{apiGroup: s3.services.k8s.aws, kind: Bucket, name: site}]
  reason: WEB-1234
  expiresAt: "2026-03-01T00:00:00Z"
`
}

func TestGovernanceInputErrors(t *testing.T) {
	bucket := teamABucket(t)
	policy := func(spec string) string {
		return "apiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: {name: p}\nspec:\n" + spec
	}
	tests := []struct {
		name string
		in   string
		want []string // error messages, each for source "-#1", after "line N: " (where it starts)
	}{
		{"exception with an unknown rule", exceptionDoc("[S3-001, S3-999]"),
			[]string{"GuardrailException team-a/public-site: spec.rules[1]: no rule S3-999 (`ackguard rules` lists them)"}},
		{"exception with a malformed rule ID", exceptionDoc("[s3-1]"),
			[]string{`GuardrailException team-a/public-site: spec.rules[0]: Invalid value: "s3-1": spec.rules[0] in body should match '^[A-Z][A-Z0-9]*-[0-9]{3}$'`}},
		{"exception with a blank reason", strings.Replace(exceptionDoc("[S3-001]"), "reason: WEB-1234", `reason: " "`, 1),
			[]string{"GuardrailException team-a/public-site: spec.reason: say why the exception is needed (a ticket, a risk acceptance)"}},
		{"exception running too long", strings.Replace(exceptionDoc("[S3-001]"), "2026-03-01", "2027-03-01", 1),
			[]string{"GuardrailException team-a/public-site: spec.expiresAt: expiry 2027-03-01T00:00:00Z is more than the maximum 2160h0m0s after 2026-02-01T00:00:00Z; choose an earlier expiry"}},
		{"exception with a name and a selector", strings.Replace(exceptionDoc("[S3-001]"), "name: site}", "name: site, selector: {matchLabels: {a: b}}}", 1),
			[]string{"GuardrailException team-a/public-site: spec.resources[0]: set exactly one of name and selector"}},
		{"exception with a malformed kind and a name and a selector", strings.Replace(exceptionDoc("[S3-001]"), "kind: Bucket, name: site}", "kind: bucket, name: site, selector: {matchLabels: {a: b}}}", 1),
			[]string{
				`GuardrailException team-a/public-site: spec.resources[0].kind: Invalid value: "bucket": spec.resources[0].kind in body should match '^[A-Z][A-Za-z0-9]*$'`,
				"GuardrailException team-a/public-site: spec.resources[0]: set exactly one of name and selector",
			}},
		{"policy with a malformed kind", policy("  match:\n    kinds: [{apiGroup: s3.services.k8s.aws, kind: bucket}]\n"),
			[]string{`GuardrailPolicy p: spec.match.kinds[0].kind: Invalid value: "bucket": spec.match.kinds[0].kind in body should match '^[A-Z][A-Za-z0-9]*$'`}},
		{"policy with a malformed API group and a misspelt kind", policy("  match:\n    kinds: [{apiGroup: S3.services.k8s.aws, kind: Bucket}, {apiGroup: s3.services.k8s.aws, kind: Buckets}]\n"),
			[]string{
				`GuardrailPolicy p: spec.match.kinds[0].apiGroup: Invalid value: "S3.services.k8s.aws": spec.match.kinds[0].apiGroup in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
				"GuardrailPolicy p: spec.match.kinds[1]: ackguard guards no kind Buckets.s3.services.k8s.aws",
			}},
		{"policy with an unknown field", policy("  match:\n    namespaceSelectr: {matchLabels: {a: b}}\n"),
			[]string{`GuardrailPolicy p: unknown field "spec.match.namespaceSelectr"`}},
		{"policy with a wrongly cased field", policy("  DefaultAction: Audit\n"),
			[]string{`GuardrailPolicy p: unknown field "spec.DefaultAction"`}},
		{"policy with an unknown metadata field", strings.Replace(policy("  defaultAction: Audit\n"), "{name: p}", "{name: p, lables: {a: b}}", 1),
			[]string{`GuardrailPolicy p: unknown field "metadata.lables"`}},
		{"policy with an unknown action", policy("  rules: [{id: S3-001, action: enforce}]\n"),
			[]string{`GuardrailPolicy p: spec.rules[0].action: Unsupported value: "enforce": supported values: "Enforce", "Deny", "Remediate", "Audit", "Disabled"`}},
		{"policy with an unknown rule", policy("  rules: [{id: S3-999, action: Deny}]\n"),
			[]string{"GuardrailPolicy p: spec.rules[0].id: no rule S3-999 (`ackguard rules` lists them)"}},
		{"policy with a reversed port range", policy("  parameters:\n    allowedPublicPorts: [{protocol: tcp, from: 444, to: 443}]\n"),
			[]string{`GuardrailPolicy p: spec.parameters.allowedPublicPorts[0]: Invalid value: "object": from must not exceed to`}},
		{"policy with a bad owner account", policy("  parameters: {ownerAccounts: ['1234']}\n"),
			[]string{`GuardrailPolicy p: spec.parameters.ownerAccounts[0]: Invalid value: "1234": spec.parameters.ownerAccounts[0] in body should match '^[0-9]{12}$'`}},
		{"policy with a wrong type", policy("  rules: S3-001\n"),
			[]string{`GuardrailPolicy p: spec.rules: Invalid value: "string": spec.rules in body must be of type array: "string"`}},
		{"policy with a zero duration", policy("  exceptions: {maxDuration: 0s}\n"),
			[]string{`GuardrailPolicy p: spec.exceptions.maxDuration: Invalid value: "string": maxDuration must be positive`}},
		{"policy with a bad duration", policy("  exceptions: {maxDuration: 3 months}\n"),
			[]string{`GuardrailPolicy p: spec.exceptions.maxDuration: Invalid value: "3 months": spec.exceptions.maxDuration in body should match '^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$'`}},
		{"policy with an invalid selector", policy("  match:\n    selector: {matchExpressions: [{key: a, operator: Has}]}\n"),
			[]string{`GuardrailPolicy p: spec.match.selector: "Has" is not a valid label selector operator`}},
		{"policy without a name", strings.Replace(policy("  defaultAction: Audit\n"), "{name: p}", "{}", 1),
			[]string{"GuardrailPolicy <unnamed>: metadata.name: Required value"}},
		{"misspelt policy kind", strings.Replace(policy("  defaultAction: Audit\n"), "GuardrailPolicy", "GuardrailPolicyy", 1),
			[]string{"GuardrailPolicyy p: policy.ackguard.dev has no kind GuardrailPolicyy, only GuardrailPolicy and GuardrailException (and their Lists): the cluster would refuse the object, and the scan does not read it"}},
		{"misspelt exception kind, another version", strings.NewReplacer("GuardrailException", "GuardrailExeption", "v1alpha1", "v1beta1").Replace(exceptionDoc("[S3-001]")),
			[]string{"GuardrailExeption team-a/public-site: policy.ackguard.dev has no kind GuardrailExeption, only GuardrailPolicy and GuardrailException (and their Lists): the cluster would refuse the object, and the scan does not read it"}},
		{"misspelt list kind", "apiVersion: policy.ackguard.dev/v1alpha1\nkind: GuardrailPoliciesList\nmetadata: {}\n",
			[]string{"GuardrailPoliciesList <unnamed>: policy.ackguard.dev has no kind GuardrailPoliciesList, only GuardrailPolicy and GuardrailException (and their Lists): the cluster would refuse the object, and the scan does not read it"}},
		{"no kind", strings.Replace(policy("  defaultAction: Audit\n"), "kind: GuardrailPolicy\n", "", 1),
			[]string{"policy.ackguard.dev/v1alpha1 p: kind is missing, one of GuardrailPolicy and GuardrailException (and their Lists): the cluster would refuse the object, and the scan does not read it"}},
		{"unknown version", strings.Replace(policy("  defaultAction: Audit\n"), "v1alpha1", "v1beta1", 1),
			[]string{"GuardrailPolicy p: apiVersion policy.ackguard.dev/v1beta1: ackguard scan reads policy.ackguard.dev/v1alpha1 only; the cluster would not apply this object as written"}},
	}
	// The object starts after the bucket and the "---" line.
	at := fmt.Sprintf("line %d: ", strings.Count(bucket, "\n")+2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Scan(context.Background(), []string{"-"}, strings.NewReader(bucket+"---\n"+tt.in), Options{Now: mustTime(t, beforeExpiry)})
			var got, want []string
			for _, e := range rep.Errors {
				if e.Source != "-#1" {
					t.Errorf("error source %q", e.Source)
				}
				got = append(got, e.Message)
			}
			for _, w := range tt.want {
				want = append(want, at+w)
			}
			if !slices.Equal(got, want) {
				t.Errorf("errors\n%q\nwant\n%q", got, want)
			}
			if rep.ExitCode() != 2 || rep.Summary.Resources != 1 {
				t.Errorf("exit code %d, summary %+v", rep.ExitCode(), rep.Summary)
			}
		})
	}

	// A file given with --policy: the error names the file, the line and
	// the field.
	p := writeFile(t, "policy.yaml", "# the platform's policy\n"+policy("  match:\n    namespaceSelectr: {}\n"))
	code, _, stderr := run(t, bucket, "--policy", p, "-")
	if want := "error: " + p + `: line 2: GuardrailPolicy p: unknown field "spec.match.namespaceSelectr"` + "\n"; code != 2 || stderr != want {
		t.Errorf("exit code %d, stderr %q, want %q", code, stderr, want)
	}

	// An item of a List: the line of its "-".
	list := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: policy.ackguard.dev/v1alpha1\n  kind: GuardrailPolicy\n  metadata: {name: p}\n  spec: {defaultAction: audit}\n"
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(list), Options{})
	if want := []InputError{{Source: "-[0]", Message: `line 4: GuardrailPolicy p: spec.defaultAction: Unsupported value: "audit": supported values: "CatalogDefault", "Enforce", "Deny", "Remediate", "Audit", "Disabled"`, Line: 4}}; !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors\n%+v\nwant\n%+v", rep.Errors, want)
	}
}

// A policy with problems still applies, as the engine applies it.
func TestInvalidPolicyStillApplies(t *testing.T) {
	in := teamABucket(t) + `---
apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: audit}
spec:
  defaultAction: Audit
  rules: [{id: S3-999, action: Deny}]
`
	rep := Scan(context.Background(), []string{"-"}, strings.NewReader(in), Options{})
	if len(rep.Errors) != 1 || rep.ExitCode() != 2 {
		t.Fatalf("errors %+v", rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Action != "warn" || f.Policy != "audit" {
			t.Errorf("finding %+v", f)
		}
	}
}

// TestPolicyNotInForceNotListed: a policy the engine cannot apply (its
// namespaceSelector does not parse) is an input error and is not listed
// among the policies in force: the baseline, or the other policies,
// decide the findings.
func TestPolicyNotInForceNotListed(t *testing.T) {
	broken := `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: strict}
spec:
  match:
    namespaceSelector:
      matchExpressions: [{key: team, operator: Bogus}]
  defaultAction: Deny
`
	pol := writeFile(t, "broken-policy.yaml", broken)
	bucket := writeFile(t, "bucket.yaml", teamABucket(t))
	code, stdout, stderr := run(t, "", "-o", "json", "--policy", pol, bucket)
	if code != 2 || !strings.Contains(stderr, "GuardrailPolicy strict") {
		t.Fatalf("exit code %d, stderr %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if want := []Policy{{Name: governance.BaselineName, Builtin: true}}; !reflect.DeepEqual(rep.Policies, want) {
		t.Errorf("policies %+v, want %+v", rep.Policies, want)
	}
	if len(rep.Findings) == 0 || len(rep.Errors) != 1 {
		t.Errorf("findings %+v, errors %+v", rep.Findings, rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Policy != governance.BaselineName {
			t.Errorf("finding decided by %q", f.Policy)
		}
	}
	if _, stdout, _ := run(t, "", "--policy", pol, bucket); strings.Contains(stdout, "policies:") {
		t.Errorf("text lists a policy in force:\n%s", stdout)
	}

	// Beside a policy in force: only that one is listed.
	audit := writeFile(t, "audit.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: audit}
spec:
  defaultAction: Audit
`)
	rep = scanWith(t, []string{bucket}, Options{Policies: []string{pol, audit}})
	if len(rep.Policies) != 1 || rep.Policies[0].Name != "audit" || rep.Policies[0].Builtin {
		t.Errorf("policies %+v, want audit alone", rep.Policies)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].Policy != "audit" {
		t.Errorf("findings %+v", rep.Findings)
	}
	_, stdout, _ = run(t, "", "--policy", pol, "--policy", audit, bucket)
	if !strings.Contains(stdout, "policies: audit ("+audit+")\n") {
		t.Errorf("text policies line:\n%s", stdout)
	}
}

// A policy whose kinds are all kinds ackguard does not guard (a misspelt
// kind) selects nothing: it is an input error, it is not listed among the
// policies in force, and the baseline judges in its place.
func TestPolicySelectingNoKindNotInForce(t *testing.T) {
	typo := writeFile(t, "typo.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: typo}
spec:
  match:
    kinds: [{apiGroup: s3.services.k8s.aws, kind: Buckets}]
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-a}}
`)
	bucket := writeFile(t, "bucket.yaml", teamABucket(t))
	rep := scanWith(t, []string{bucket}, Options{Policies: []string{typo}})
	assertBaselineDecides(t, rep, "Buckets.s3.services.k8s.aws")
}

// A GuardrailPolicy without a name is never in force: the API server
// refuses it. It is an input error, it is not listed, and no finding
// names it (the baseline judges when it is the only one).
func TestUnnamedPolicyNotInForce(t *testing.T) {
	unnamed := writeFile(t, "unnamed.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {generateName: lax-}
spec:
  defaultAction: Audit
`)
	bucket := writeFile(t, "bucket.yaml", teamABucket(t))
	rep := scanWith(t, []string{bucket}, Options{Policies: []string{unnamed}})
	assertBaselineDecides(t, rep, "metadata.name: Required value")
}

// assertBaselineDecides checks a scan of one bucket whose only policy is
// not in force: one input error saying problem, the baseline the only
// policy listed, deciding the bucket's denial and every finding.
func assertBaselineDecides(t *testing.T, rep Report, problem string) {
	t.Helper()
	if want := []Policy{{Name: governance.BaselineName, Builtin: true}}; !reflect.DeepEqual(rep.Policies, want) {
		t.Errorf("policies %+v, want %+v", rep.Policies, want)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, problem) || rep.Summary.Denied != 1 {
		t.Errorf("summary %+v, errors %+v", rep.Summary, rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Policy != governance.BaselineName {
			t.Errorf("finding decided by %q", f.Policy)
		}
	}
}

func TestDuplicateGovernanceObjects(t *testing.T) {
	pol := testdata("governance", "per-namespace.yaml")
	// The same file as a PATH and with --policy, twice: read once.
	rep := scanWith(t, []string{pol, testdata("governance", "buckets.yaml"), pol}, Options{Policies: []string{pol, pol}})
	if len(rep.Errors) != 0 || len(rep.Policies) != 2 {
		t.Errorf("errors %+v, policies %+v", rep.Errors, rep.Policies)
	}

	// Two different objects of one name: a cluster holds one.
	other := writeFile(t, "other.yaml", `apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: baseline}
spec: {defaultAction: Audit}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {tier: prod}}
`)
	ns := writeFile(t, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {tier: sandbox}}\n")
	rep = scanWith(t, []string{testdata("governance", "buckets.yaml")}, Options{Policies: []string{ns, pol, other}})
	want := []InputError{
		{Source: other + "#0", Message: "line 1: GuardrailPolicy baseline is also defined in " + pol + "#1, differently; a cluster holds one object of that name: keep one of them", Line: 1},
		{Source: other + "#1", Message: "line 6: Namespace team-a is also defined in " + ns + ", with other labels; a cluster holds one: keep one of them", Line: 6},
	}
	if !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors\n%+v\nwant\n%+v", rep.Errors, want)
	}
}

func TestPoliciesInStream(t *testing.T) {
	// Policies, namespaces and manifests in one stream judge as --policy.
	in := readTestdata(t, "governance", "namespaces.yaml") + "---\n" + readTestdata(t, "governance", "buckets.yaml")
	code, out, stderr := run(t, in, "-o", "json", "-")
	if code != 1 || stderr != "" {
		t.Fatalf("exit code %d, stderr %s", code, stderr)
	}
	checkShape(t, out)
	var fromStream Report
	if err := json.Unmarshal([]byte(out), &fromStream); err != nil {
		t.Fatal(err)
	}
	fromFlag := scanWith(t, []string{testdata("governance", "buckets.yaml")}, Options{Policies: []string{testdata("governance", "namespaces.yaml")}})
	if a, b := verdicts(fromStream.Findings), verdicts(fromFlag.Findings); !slices.Equal(a, b) || len(a) != 6 {
		t.Errorf("from the stream\n%v\nwith --policy\n%v", a, b)
	}
	if want := []Policy{{Name: "sandbox", Source: "-#1"}, {Name: "production", Source: "-#2"}}; !reflect.DeepEqual(fromStream.Policies, want) {
		t.Errorf("policies %+v, want %+v", fromStream.Policies, want)
	}

	// --policy reads governance objects only: a bucket there is not judged.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "all.yaml"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := scanWith(t, []string{testdata("secure")}, Options{Policies: []string{dir}})
	if rep.Summary.Resources != 1 || len(rep.Policies) != 2 || len(rep.Errors) != 0 {
		t.Errorf("summary %+v, policies %+v, errors %+v", rep.Summary, rep.Policies, rep.Errors)
	}
}

func TestNamespaceLabels(t *testing.T) {
	rep := scanWith(t, []string{testdata("governance", "namespaces.yaml"), testdata("governance", "buckets.yaml")}, Options{})
	want := []verdict{
		{"team-a", "S3-001", "warn", "sandbox", "Audit"},
		{"team-a", "S3-002", "warn", "sandbox", "Audit"},
		{"team-a", "S3-006", "warn", "sandbox", "Audit"},
		{"team-b", "S3-001", "deny", "production", "Enforce"},
		{"team-b", "S3-002", "deny", "production", "Deny"},
		{"team-b", "S3-006", "warn", "production", "Remediate"},
	}
	if got := verdicts(rep.Findings); !slices.Equal(got, want) || len(rep.Errors) != 0 {
		t.Errorf("findings\n%v\nwant\n%v\nerrors %+v", got, want, rep.Errors)
	}

	// Without the Namespace, team-a has no tier label: production selects it.
	in := readTestdata(t, "governance", "namespaces.yaml")
	in = in[strings.Index(in, "---\n")+4:]
	rep = Scan(context.Background(), []string{"-", testdata("governance", "buckets.yaml")}, strings.NewReader(in), Options{})
	for _, f := range rep.Findings {
		if f.Policy != "production" {
			t.Errorf("finding %+v", f)
		}
	}
	if rep.Summary.Denied != 2 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// TestNoPolicyJSONUnchanged pins the published JSON interface: without
// policies, every field a finding, an error and the summary had before
// GuardrailPolicy support keeps its value. testdata/golden/nopolicy.json was
// written by the scan before that support; -update rewrites it from the
// current output (after a deliberate change of the engine's messages).
func TestNoPolicyJSONUnchanged(t *testing.T) {
	code, out, _ := run(t, "", "-o", "json", testdata("manifests"), testdata("broken"), testdata("secure"), testdata("kinds"))
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	doc := checkShape(t, out)
	// The old interface, projected out of the new document.
	project := func(m map[string]any, keys []string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			out[k] = m[k]
		}
		return out
	}
	oldFinding := []string{"action", "fixable", "message", "path", "remedy", "resource", "rule", "severity", "title"}
	var findings []any
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		if fm["policy"] != "baseline" {
			t.Errorf("finding decided by %v", fm["policy"])
		}
		findings = append(findings, project(fm, oldFinding))
	}
	var errs []any
	for _, e := range doc["errors"].([]any) {
		errs = append(errs, project(e.(map[string]any), []string{"message", "source"}))
	}
	old := map[string]any{
		"findings": findings,
		"errors":   errs,
		"summary":  project(doc["summary"].(map[string]any), []string{"denied", "findings", "resources", "warned"}),
	}
	golden := testdata("golden", "nopolicy.json")
	if *update {
		b, err := json.MarshalIndent(old, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(readTestdata(t, "golden", "nopolicy.json")), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(old, want) {
		b, _ := json.MarshalIndent(old, "", "  ")
		t.Errorf("the published fields differ from %s:\n%s", golden, b)
	}
	if want := []any{map[string]any{"name": "baseline", "source": "", "builtin": true}}; !reflect.DeepEqual(doc["policies"], want) {
		t.Errorf("policies %v, want %v", doc["policies"], want)
	}
}

// TestTextWithPolicies pins the text output of a scan under policies and
// exceptions: the policy that decided each finding, the exempted findings,
// the exceptions not in force and the policies in force.
func TestTextWithPolicies(t *testing.T) {
	g := func(name string) string { return testdata("governance", name) }
	expired := writeFile(t, "expired.yaml", strings.NewReplacer("public-site", "old", "2026-03-01", "2026-01-01").Replace(readTestdata(t, "governance", "exception.yaml")))
	code, stdout, stderr := run(t, "", "--now", beforeExpiry, "--policy", g("namespaces.yaml"), "--policy", g("exception.yaml"), "--policy", expired, g("buckets.yaml"))
	if code != 1 || stderr != "" {
		t.Errorf("exit code %d, stderr %q", code, stderr)
	}
	got := strings.ReplaceAll(stdout, filepath.Dir(expired), "TMP")
	golden := testdata("golden", "policies.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readTestdata(t, "golden", "policies.txt"); got != want {
		t.Errorf("text output differs from %s (go test -run TestTextWithPolicies -update to accept):\n%s", golden, got)
	}
}

func TestPolicyFlags(t *testing.T) {
	code, _, stderr := run(t, "", "--now", "tomorrow", testdata("secure"))
	if code != 2 || !strings.Contains(stderr, `"tomorrow" is not an RFC 3339 time`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad --now: exit code %d\n%s", code, stderr)
	}
	code, stdout, _ := run(t, "", "-h")
	if code != 0 || !strings.Contains(stdout, "--policy PATH") || !strings.Contains(stdout, "--now TIME") {
		t.Errorf("usage:\n%s", stdout)
	}
	code, _, stderr = run(t, "", "--policy", testdata("no-such-dir"), testdata("secure"))
	if code != 2 || !strings.Contains(stderr, "error: "+testdata("no-such-dir")+": no such file or directory") {
		t.Errorf("missing --policy path: exit code %d\n%s", code, stderr)
	}
	// --policy - reads standard input for governance objects only.
	code, stdout, stderr = run(t, readTestdata(t, "governance", "per-namespace.yaml")+"---\n"+readTestdata(t, "secure", "secure.yaml"),
		"--policy", "-", testdata("governance", "buckets.yaml"))
	if code != 1 || stderr != "" || !strings.Contains(stdout, "[policy audit-team-a: Audit]") || !strings.Contains(stdout, "2 resources") {
		t.Errorf("--policy -: exit code %d, stderr %q\n%s", code, stderr, stdout)
	}
}

// TestPolicyPathHoldingNothing: a --policy input that holds nothing --policy
// reads (an empty file, a directory without manifests, a file of other
// kinds) is an error naming it, not a scan under the baseline; one whose
// only objects are Namespaces, exceptions or exported resources is read,
// and so is one the PATHs read already.
func TestPolicyPathHoldingNothing(t *testing.T) {
	empty := writeFile(t, "empty.yaml", "")
	emptyDir := t.TempDir()
	writeIn(t, emptyDir, "README.md", "# policies\n")
	other := writeFile(t, "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
	for _, p := range []string{empty, emptyDir, other} {
		code, _, stderr := run(t, "", "--policy", p, testdata("secure"))
		if want := "error: " + p + ": given with --policy, it holds no GuardrailPolicy"; code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("--policy %s: exit code %d, want 2 with %q\n%s", p, code, want, stderr)
		}
	}
	if code, _, stderr := run(t, "", "--policy", "-", testdata("secure")); code != 2 || !strings.Contains(stderr, "error: -: given with --policy") {
		t.Errorf("--policy - with nothing on standard input: exit code %d\n%s", code, stderr)
	}
	ns := writeFile(t, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {tier: prod}}\n")
	for _, args := range [][]string{
		{"--policy", ns, testdata("secure")},
		{"--policy", testdata("governance", "exception.yaml"), testdata("secure")},
		{"--policy", testdata("secure"), testdata("secure")},
	} {
		if code, _, stderr := run(t, "", args...); code != 0 {
			t.Errorf("%v: exit code %d, want 0\n%s", args, code, stderr)
		}
	}
}

// TestPolicyExportOfNone: kubectl get -o yaml of a cluster that holds none
// of the kinds asked for prints an empty List: the cluster has no
// policies (or exceptions), and judges under the baseline, so the scan
// does too rather than refuse the export; a List of kinds --policy does
// not read is still an error.
func TestPolicyExportOfNone(t *testing.T) {
	none := "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
	if code, _, stderr := run(t, none, "--policy", "-", testdata("secure")); code != 0 || stderr != "" {
		t.Errorf("--policy - of an empty List: exit code %d, want 0\n%s", code, stderr)
	}
	if code, _, stderr := run(t, "", "--policy", writeFile(t, "none.yaml", none), testdata("secure")); code != 0 || stderr != "" {
		t.Errorf("--policy of an empty List: exit code %d, want 0\n%s", code, stderr)
	}
	other := writeFile(t, "deploys.yaml", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}\n")
	if code, _, stderr := run(t, "", "--policy", other, testdata("secure")); code != 2 || !strings.Contains(stderr, "error: "+other+": given with --policy") {
		t.Errorf("--policy of a List of Deployments: exit code %d, want 2\n%s", code, stderr)
	}
}

// TestCRDValidationRulesKnown fails when one of ackguard's CRDs gains an
// x-kubernetes-validations rule the scan does not know: the scan cannot
// run CEL, so each rule needs a native check (or governance validation).
func TestCRDValidationRulesKnown(t *testing.T) {
	crds, err := crd.Own()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range crds {
		for _, kind := range []string{kindPolicy, kindException} {
			if c.Spec.Names.Kind != kind {
				continue
			}
			seen++
			s, err := crdSchema(kind)
			if err != nil {
				t.Fatal(err)
			}
			var walk func(p string, s any)
			walk = func(p string, v any) {
				b, _ := json.Marshal(v)
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				for k, sub := range m {
					if k == "x-kubernetes-validations" {
						for _, r := range sub.([]any) {
							rule := r.(map[string]any)["rule"].(string)
							if _, ok := celRules[rule]; !ok {
								t.Errorf("%s %s: rule %q is not checked by scan (celRules)", kind, p, rule)
							}
						}
						continue
					}
					if sm, ok := sub.(map[string]any); ok {
						walk(p+"/"+k, sm)
					}
				}
			}
			walk("", s)
		}
	}
	if seen != 2 {
		t.Errorf("found %d of ackguard's CRDs, want 2", seen)
	}
}

// The built-in baseline written out as a GuardrailPolicy (as the chart
// ships it) judges exactly as the built-in one.
func TestExplicitBaselineJudgesAsBuiltin(t *testing.T) {
	b, err := json.Marshal(governance.Baseline(rules.Default()))
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "baseline.json", string(b))
	paths := []string{testdata("manifests"), testdata("secure"), testdata("kinds")}
	builtin := scanWith(t, paths, Options{})
	explicit := scanWith(t, paths, Options{Policies: []string{p}})
	if len(explicit.Errors) != 0 {
		t.Fatalf("errors: %+v", explicit.Errors)
	}
	if !reflect.DeepEqual(builtin.Findings, explicit.Findings) || builtin.Summary != explicit.Summary {
		t.Errorf("the explicit baseline judges otherwise:\n%+v\n%+v", builtin.Summary, explicit.Summary)
	}
	if want := []Policy{{Name: "baseline", Source: p}}; !reflect.DeepEqual(explicit.Policies, want) {
		t.Errorf("policies %+v, want %+v", explicit.Policies, want)
	}
}

// A policy's parameters override the flags' defaults for what it selects.
func TestPolicyParameters(t *testing.T) {
	in := `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: shared, namespace: team-a}
spec:
  name: shared
  publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::shared"}]}'
---
apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: owners}
spec:
  parameters: {ownerAccounts: ["111122223333"]}
`
	code, stdout, stderr := run(t, in, "--owner-account", "444455556666", "-")
	if code != 0 || stderr != "" || strings.Contains(stdout, "S3-007") {
		t.Errorf("exit code %d, stderr %q\n%s", code, stderr, stdout)
	}
	// Without the policy, the flag's account does not own the bucket.
	code, stdout, _ = run(t, in[:strings.Index(in, "---")], "--owner-account", "444455556666", "-")
	if code != 1 || !strings.Contains(stdout, "DENY  S3-007") {
		t.Errorf("exit code %d\n%s", code, stdout)
	}
}

// namespacedPolicy denies every finding in namespaces labelled env=prod,
// and prod is such a namespace.
const namespacedPolicy = `apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {env: prod}
---
apiVersion: policy.ackguard.dev/v1alpha1
kind: GuardrailPolicy
metadata: {name: prod}
spec:
  match:
    namespaceSelector:
      matchLabels: {env: prod}
  defaultAction: Deny
`

// TestNamespaceFlag: an object that names no namespace is judged in
// --namespace (default "default"), as kubectl apply -n creates it there,
// under the policies and exceptions that select that namespace; a
// cluster-scoped object stays without one.
func TestNamespaceFlag(t *testing.T) {
	bucket := "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: site\nspec:\n  name: site\n  acl: public-read\n"
	pol := writeFile(t, "policies.yaml", namespacedPolicy)
	app := writeFile(t, "app.yaml", bucket)

	rep := scanWith(t, []string{app}, Options{Policies: []string{pol}, Namespace: "prod"})
	if len(rep.Errors) != 0 || rep.Summary.Denied != 1 || len(rep.Findings) == 0 {
		t.Fatalf("--namespace prod: summary %+v, errors %+v", rep.Summary, rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Resource.Namespace != "prod" || f.Policy != "prod" || f.Action != "deny" {
			t.Errorf("finding %+v, want denied in prod by policy prod", f)
		}
	}
	if len(rep.Policies) != 1 || rep.Policies[0].Name != "prod" || len(rep.Notes) != 0 {
		t.Errorf("policies %+v (the cluster-scoped policy applies as read), notes %q", rep.Policies, rep.Notes)
	}

	// The default is "default", which the policy does not select; the
	// CLI's flag says so too.
	rep = scanWith(t, []string{app}, Options{Policies: []string{pol}})
	if rep.Summary.Resources != 1 || len(rep.Findings) != 0 {
		t.Errorf("no --namespace: summary %+v, findings %+v", rep.Summary, rep.Findings)
	}
	code, stdout, _ := run(t, "", "-o", "json", "--policy", pol, app)
	if code != 0 || !strings.Contains(stdout, `"resources": 1,`) || !strings.Contains(stdout, `"findings": []`) {
		t.Errorf("CLI default: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run(t, "", "-n", "prod", "--policy", pol, app)
	if code != 1 || !strings.Contains(stdout, "Bucket prod/site") {
		t.Errorf("-n prod: exit %d\n%s", code, stdout)
	}

	// An exception that names no namespace is created in --namespace too.
	exc := strings.Replace(exceptionDoc("[S3-004]"), "metadata: {name: public-site, namespace: team-a}", "metadata: {name: public-site}", 1)
	both := writeFile(t, "both.yaml", bucket+"---\n"+exc)
	rep = scanWith(t, []string{both}, Options{Policies: []string{pol}, Namespace: "prod", Now: mustTime(t, beforeExpiry)})
	if len(rep.Exceptions) != 1 || rep.Exceptions[0].Namespace != "prod" {
		t.Fatalf("exceptions %+v, errors %+v", rep.Exceptions, rep.Errors)
	}
	exempted := false
	for _, e := range rep.Exempted {
		exempted = exempted || e.Rule == "S3-004"
	}
	if !exempted {
		t.Errorf("S3-004 not exempted in prod: findings %+v, exempted %+v", verdicts(rep.Findings), rep.Exempted)
	}
}

// TestReleaseNamespaceDefaultsToNamespace: a chart is rendered in
// --release-namespace, and without it in --namespace (helm template -n);
// plain files are judged in --namespace whatever --release-namespace.
func TestReleaseNamespaceDefaultsToNamespace(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"chart/Chart.yaml":            "apiVersion: v2\nname: site\nversion: 0.1.0\n",
		"chart/templates/bucket.yaml": "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: charted\nspec:\n  name: charted\n  acl: public-read\n",
		"plain/bucket.yaml":           "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: plain\nspec:\n  name: plain\n  acl: public-read\n",
	} {
		writeIn(t, dir, name, text)
	}
	namespaces := func(opts Options) map[string]string {
		rep := scanWith(t, []string{filepath.Join(dir, "chart"), filepath.Join(dir, "plain")}, opts)
		if len(rep.Errors) != 0 {
			t.Fatalf("errors %+v", rep.Errors)
		}
		out := map[string]string{}
		for _, f := range rep.Findings {
			out[f.Resource.Name] = f.Resource.Namespace
		}
		return out
	}
	for _, tc := range []struct {
		opts Options
		want map[string]string
	}{
		{Options{}, map[string]string{"charted": "default", "plain": "default"}},
		{Options{Namespace: "shop"}, map[string]string{"charted": "shop", "plain": "shop"}},
		{Options{Namespace: "shop", ReleaseNamespace: "team-a"}, map[string]string{"charted": "team-a", "plain": "shop"}},
		{Options{ReleaseNamespace: "team-a"}, map[string]string{"charted": "team-a", "plain": "default"}},
	} {
		if got := namespaces(tc.opts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("namespace %q, release namespace %q: %v, want %v", tc.opts.Namespace, tc.opts.ReleaseNamespace, got, tc.want)
		}
	}
}

// TestNoteUnlabelledNamespace: when a policy selects namespaces by
// labels, a resource judged in a namespace the input has no Namespace
// object for is judged without its labels, which a note says.
func TestNoteUnlabelledNamespace(t *testing.T) {
	pol := writeFile(t, "policies.yaml", namespacedPolicy)
	bucket := func(ns string) string {
		return "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: site\n  namespace: " + ns + "\nspec:\n  name: site\n"
	}
	shop := writeFile(t, "shop.yaml", bucket("shop"))
	rep := scanWith(t, []string{shop, writeFile(t, "prod.yaml", bucket("prod"))}, Options{Policies: []string{pol}})
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "namespace shop has no Namespace object in the input: policies that select namespaces by labels (prod)") {
		t.Errorf("notes %q", rep.Notes)
	}
	_, stdout, _ := run(t, "", "--policy", pol, shop)
	if !strings.Contains(stdout, "note: namespace shop has no Namespace object") {
		t.Errorf("text output without the note:\n%s", stdout)
	}
	// No note when the Namespace is there, or when no policy selects by
	// labels (the name, kubernetes.io/metadata.name, is always known).
	withNS := writeFile(t, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
	if rep := scanWith(t, []string{shop, withNS}, Options{Policies: []string{pol}}); len(rep.Notes) != 0 {
		t.Errorf("with the Namespace: notes %q", rep.Notes)
	}
	byName := testdata("governance", "per-namespace.yaml")
	if rep := scanWith(t, []string{shop}, Options{Policies: []string{byName}}); len(rep.Notes) != 0 {
		t.Errorf("selected by name: notes %q", rep.Notes)
	}
	if rep := scanWith(t, []string{shop}, Options{}); len(rep.Notes) != 0 {
		t.Errorf("baseline: notes %q", rep.Notes)
	}
}
