package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/ruledoc"
	"github.com/ackguard/ackguard/internal/rules"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const secureBucket = `apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: b, namespace: team-a}
spec:
  name: b
  publicAccessBlock: {blockPublicACLs: true, ignorePublicACLs: true, blockPublicPolicy: true, restrictPublicBuckets: true}
`

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		want   int
		stdout []string // substrings expected on stdout
		stderr []string // substrings expected on stderr
		quiet  bool     // nothing on stderr
	}{
		// root
		{name: "no command prints help", args: nil, want: 0, stdout: []string{"Available Commands:", "explain", "manager", "rules", "scan", "completion"}},
		{name: "help", args: []string{"--help"}, want: 0, stdout: []string{"Usage:", "ackguard [command]"}, quiet: true},
		{name: "help command", args: []string{"help", "rules"}, want: 0, stdout: []string{"ackguard rules"}, quiet: true},
		{name: "help unknown topic", args: []string{"help", "frobnicate"}, want: 2, stderr: []string{`unknown help topic "frobnicate"`}},
		{name: "unknown command", args: []string{"frobnicate"}, want: 2, stderr: []string{`unknown command "frobnicate" for "ackguard"`, "Usage:"}},
		{name: "suggested command", args: []string{"scna"}, want: 2, stderr: []string{"Did you mean this?", "scan"}},
		{name: "root unknown flag", args: []string{"--bogus"}, want: 2, stderr: []string{"unknown flag: --bogus"}},
		{name: "--version", args: []string{"--version"}, want: 0, stdout: []string{"ackguard dev (commit unknown of unknown, built with go"}, quiet: true},

		// version
		{name: "version", args: []string{"version"}, want: 0, stdout: []string{"ackguard dev (commit unknown of unknown, built with go"}, quiet: true},
		{name: "version extra argument", args: []string{"version", "extra"}, want: 2, stderr: []string{`unknown command "extra" for "ackguard version"`}},
		{name: "version help", args: []string{"version", "--help"}, want: 0, stdout: []string{"Print the version"}, quiet: true},

		// rules
		{name: "rules table", args: []string{"rules"}, want: 0, stdout: []string{"ID ", "SEVERITY", "S3-001 ", "Enforce"}, quiet: true},
		{name: "rules -o table", args: []string{"rules", "-o", "table"}, want: 0, stdout: []string{"S3-001 "}, quiet: true},
		{name: "rules markdown", args: []string{"rules", "-o", "markdown"}, want: 0, stdout: []string{"| ID | Check |", "| S3-001 | "}, quiet: true},
		{name: "rules --output=markdown", args: []string{"rules", "--output=markdown"}, want: 0, stdout: []string{"| S3-001 | "}, quiet: true},
		{name: "rules --markdown alias", args: []string{"rules", "--markdown"}, want: 0, stdout: []string{"| S3-001 | "}, quiet: true},
		{name: "rules json", args: []string{"rules", "-o", "json"}, want: 0, stdout: []string{`"id": "S3-001"`, `"defaultOn": true`}, quiet: true},
		{name: "rules help", args: []string{"rules", "--help"}, want: 0, stdout: []string{"Usage:", "--output FORMAT"}, quiet: true},
		{name: "rules help hides --markdown", args: []string{"rules", "-h"}, want: 0, stdout: []string{"-o, --output"}, quiet: true},
		{name: "rules unknown flag", args: []string{"rules", "--bogus"}, want: 2, stderr: []string{"unknown flag: --bogus", "Usage:"}},
		{name: "rules bad format", args: []string{"rules", "-o", "yaml"}, want: 2, stderr: []string{`invalid argument "yaml"`, "want table, markdown or json"}},
		{name: "rules extra argument", args: []string{"rules", "S3-001"}, want: 2, stderr: []string{`unknown command "S3-001" for "ackguard rules"`}},
		{name: "rules --markdown with -o", args: []string{"rules", "--markdown", "-o", "json"}, want: 2, stderr: []string{"none of the others can be"}},

		// explain
		{name: "explain", args: []string{"explain", "S3-001"}, want: 0, stdout: []string{"S3-001: Bucket-level Block Public Access", "INSECURE EXAMPLE", "SECURE EXAMPLE", "HOW TO FIX", "Security Hub (FSBP): S3.8", "On by default: yes", "the fix writes"}, quiet: true},
		{name: "explain lower case", args: []string{"explain", "s3-001"}, want: 0, stdout: []string{"S3-001: "}, quiet: true},
		{name: "explain unpadded", args: []string{"explain", "ec2-1"}, want: 0, stdout: []string{"EC2-001: "}, quiet: true},
		{name: "explain markdown", args: []string{"explain", "S3-001", "-o", "markdown"}, want: 0, stdout: []string{"## S3-001", "```yaml"}, quiet: true},
		{name: "explain json", args: []string{"explain", "-o", "json", "S3-001"}, want: 0, stdout: []string{`"id": "S3-001"`, `"fixChanges"`}, quiet: true},
		{name: "explain unknown rule", args: []string{"explain", "S3-099"}, want: 2, stderr: []string{`no rule "S3-099"; did you mean`}},
		{name: "explain unknown rule suggests nearest", args: []string{"explain", "S3-099"}, want: 2, stderr: []string{"did you mean S3-009"}},
		{name: "explain no rule near", args: []string{"explain", "frobnicate"}, want: 2, stderr: []string{`no rule "frobnicate"`}},
		{name: "explain missing argument", args: []string{"explain"}, want: 2, stderr: []string{"accepts 1 arg(s), received 0", "Usage:"}},
		{name: "explain two arguments", args: []string{"explain", "S3-001", "S3-002"}, want: 2, stderr: []string{"accepts 1 arg(s), received 2"}},
		{name: "explain bad format", args: []string{"explain", "S3-001", "-o", "yaml"}, want: 2, stderr: []string{`invalid argument "yaml"`}},
		{name: "explain help", args: []string{"explain", "--help"}, want: 0, stdout: []string{"explain RULE-ID"}, quiet: true},

		// scan, through the root command
		{name: "scan clean stdin", args: []string{"scan", "-"}, stdin: secureBucket, want: 0, stdout: []string{"1 resource"}},
		{name: "scan denied", args: []string{"scan", "-o", "json", "-"}, stdin: strings.Replace(secureBucket, "restrictPublicBuckets: true", "restrictPublicBuckets: false", 1), want: 1, stdout: []string{`"denied": 1`}, quiet: true},
		{name: "scan no path", args: []string{"scan"}, want: 2, stderr: []string{"no path to scan", "ackguard scan [flags] PATH..."}},
		{name: "scan unknown flag", args: []string{"scan", "--bogus", "-"}, want: 2, stderr: []string{"unknown flag: --bogus"}},
		{name: "scan help", args: []string{"scan", "--help"}, want: 0, stdout: []string{"--owner-account ID", "--aws-partition PARTITION", "--policy PATH", "--now TIME", "Exit status"}, quiet: true},

		// manager: flag errors only (running it needs a cluster)
		{name: "manager help", args: []string{"manager", "--help"}, want: 0, stdout: []string{"--leader-elect", "--owner-account ID", "--aws-partition PARTITION", "--zap-log-level", "--cert-rotation", "--kubeconfig"}, quiet: true},
		{name: "manager unknown flag", args: []string{"manager", "--bogus"}, want: 2, stderr: []string{"unknown flag: --bogus"}},
		{name: "manager extra argument", args: []string{"manager", "extra"}, want: 2, stderr: []string{`unknown command "extra" for "ackguard manager"`}},
		{name: "manager bad partition", args: []string{"manager", "--aws-partition", "aws-china"}, want: 2, stderr: []string{`invalid argument "aws-china" for "--aws-partition" flag: want aws, aws-cn, aws-us-gov`}},
		{name: "manager bad duration", args: []string{"manager", "--remediation-window", "soon"}, want: 2, stderr: []string{`invalid argument "soon"`}},
		{name: "manager bad zap level", args: []string{"manager", "--zap-log-level", "loud"}, want: 2, stderr: []string{"--zap-log-level"}},
		{name: "manager invalid options", args: []string{"manager", "--enable-webhook=false", "--enable-reconciler=false"}, want: 2, stderr: []string{"Error: "}},
		{name: "manager negative webhook port", args: []string{"manager", "--webhook-port=-1"}, want: 2, stderr: []string{"webhook port -1"}},
		{name: "manager certificate renewed at issue", args: []string{"manager", "--cert-rotation", "--cert-secret-namespace=ns", "--webhook-dns-name=a.ns.svc", "--cert-validity=720h"}, want: 2, stderr: []string{"--cert-renew-before (2160h0m0s) must be shorter than --cert-validity (720h0m0s)"}},
		{name: "manager negative certificate check", args: []string{"manager", "--cert-rotation", "--cert-secret-namespace=ns", "--webhook-dns-name=a.ns.svc", "--cert-check-interval=-1m"}, want: 2, stderr: []string{"must not be negative"}},

		// completion
		{name: "completion bash", args: []string{"completion", "bash"}, want: 0, stdout: []string{"bash completion V2 for ackguard"}, quiet: true},
		{name: "completion zsh", args: []string{"completion", "zsh"}, want: 0, stdout: []string{"#compdef ackguard"}, quiet: true},
		{name: "completion fish", args: []string{"completion", "fish"}, want: 0, stdout: []string{"complete -c ackguard"}, quiet: true},
		{name: "completion powershell", args: []string{"completion", "powershell"}, want: 0, stdout: []string{"Register-ArgumentCompleter"}, quiet: true},
		{name: "completion unknown shell", args: []string{"completion", "tcsh"}, want: 2, stderr: []string{`unknown command "tcsh"`}},
		{name: "complete rule IDs", args: []string{"__complete", "explain", "S3-00"}, want: 0, stdout: []string{"S3-001\tBucket-level"}},
		{name: "complete rules formats", args: []string{"__complete", "rules", "-o", ""}, want: 0, stdout: []string{"table\nmarkdown\njson\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not contain %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr)
				}
			}
			if tt.quiet && stderr != "" {
				t.Errorf("stderr:\n%s", stderr)
			}
			if tt.want == 2 && stdout != "" {
				t.Errorf("usage error wrote to stdout:\n%s", stdout)
			}
		})
	}
}

func TestRulesHelpHidesMarkdownAlias(t *testing.T) {
	_, stdout, _ := runCLI(t, "", "rules", "--help")
	if strings.Contains(stdout, "--markdown") {
		t.Errorf("the --markdown alias is listed:\n%s", stdout)
	}
}

// TestRulesListsTheRegistry checks that every listing has one entry per
// registered rule, in registry order.
func TestRulesListsTheRegistry(t *testing.T) {
	reg := rules.Default()
	var want []string
	for _, r := range reg.Rules() {
		want = append(want, r.ID)
	}
	_, out, _ := runCLI(t, "", "rules", "-o", "json")
	var entries []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("json lists %v, want %v", got, want)
	}
	for _, format := range []string{"table", "markdown"} {
		_, out, _ := runCLI(t, "", "rules", "-o", format)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		header := 1
		if format == "markdown" {
			header = 2
		}
		if len(lines) != len(want)+header {
			t.Errorf("%s: %d lines for %d rules", format, len(lines), len(want))
			continue
		}
		for i, id := range want {
			if f := strings.Fields(strings.TrimPrefix(lines[i+header], "| ")); len(f) == 0 || f[0] != id {
				t.Errorf("%s line %d: %q, want rule %s", format, i+header, lines[i+header], id)
			}
		}
	}
}

// A kubeconfig that names no file is a usage error said in one line, for
// the manager and for check-webhook alike (exit 2, as for any input that
// cannot be used).
func TestMissingKubeconfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	t.Cleanup(func() { _ = flag.CommandLine.Set("kubeconfig", "") })
	for _, tt := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{name: "manager --kubeconfig", args: []string{"manager", "--kubeconfig", missing}, want: "Error: kubeconfig " + missing + ": no such file or directory\n"},
		{name: "manager $KUBECONFIG", env: missing, args: []string{"manager"}, want: "Error: $KUBECONFIG=" + missing + " names no file that exists\n"},
		{name: "check-webhook $KUBECONFIG", env: missing, args: []string{"check-webhook"}, want: "Error: FAIL: no cluster to check: $KUBECONFIG=" + missing + " names no file that exists\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_ = flag.CommandLine.Set("kubeconfig", "")
			t.Setenv("KUBECONFIG", tt.env)
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != 2 || stderr != tt.want || stdout != "" {
				t.Errorf("exit code %d, stderr %q, stdout %q; want 2 and %q", code, stderr, stdout, tt.want)
			}
		})
	}
}

// TestExplainExamplesScanAsShown: what `ackguard explain` says scan does
// with its examples is what scan does: the insecure example gets the
// findings shown, the secure one none of the rule's. The explanation
// names the owner account (without one every account is external, and
// S3-007's and IAM-011's secure examples would be denied) and the policy
// an opt-in rule or the example parameters need.
func TestExplainExamplesScanAsShown(t *testing.T) {
	reg := rules.Default()
	dir := t.TempDir()
	for _, r := range reg.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			_, text, _ := runCLI(t, "", "explain", r.ID)
			cmd := `"ackguard scan --owner-account ` + ruledoc.ExampleOwnerAccount + `" judges them as shown`
			if !strings.Contains(strings.Join(strings.Fields(text), " "), cmd) {
				t.Errorf("the explanation does not say how scan judges its examples (%s):\n%s", cmd, text)
			}
			e, err := ruledoc.Explain(reg, r)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"scan", "-o", "json", "--owner-account", ruledoc.ExampleOwnerAccount, "--rules", r.ID}
			if !r.OnByDefault() || len(e.Parameters) > 0 {
				spec := map[string]any{"parameters": e.Parameters}
				if !r.OnByDefault() {
					action := "Audit"
					if r.Admission == rules.Deny {
						action = "Deny"
					}
					spec["rules"] = []any{map[string]any{"id": r.ID, "action": action}}
				}
				pol, err := json.Marshal(map[string]any{"apiVersion": "policy.ackguard.dev/v1alpha1", "kind": "GuardrailPolicy", "metadata": map[string]any{"name": "example"}, "spec": spec})
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, r.ID+"-policy.json")
				if err := os.WriteFile(path, pol, 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--policy", path)
			}
			judge := func(example string) []ruledoc.Finding {
				t.Helper()
				code, out, stderr := runCLI(t, example, append(args, "-")...)
				var rep struct {
					Findings []struct {
						Rule string `json:"rule"`
						ruledoc.Finding
					} `json:"findings"`
					Errors []any `json:"errors"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil || code == 2 || len(rep.Errors) > 0 {
					t.Fatalf("scan: exit %d, %v %v\n%s%s", code, err, rep.Errors, out, stderr)
				}
				var got []ruledoc.Finding
				for _, f := range rep.Findings {
					if f.Rule == r.ID {
						got = append(got, ruledoc.Finding{Action: f.Action, Path: f.Path, Message: f.Message})
					}
				}
				return got
			}
			want := make([]ruledoc.Finding, len(e.Findings))
			for i, f := range e.Findings {
				want[i] = ruledoc.Finding{Action: f.Action, Path: f.Path, Message: f.Message}
			}
			if got := judge(e.Insecure); !slices.Equal(got, want) {
				t.Errorf("insecure example: scan finds %v, the explanation shows %v", got, want)
			}
			if got := judge(e.Secure); len(got) > 0 {
				t.Errorf("secure example: scan finds %v", got)
			}
		})
	}
}

// TestCommonMistakes: a misspelt rule ID, an unknown format, a path that
// does not exist or a file that is not YAML each end the command with one
// line saying what is wrong (for scan, beside the summary on stdout) and
// exit status 2.
func TestCommonMistakes(t *testing.T) {
	notYAML := filepath.Join(t.TempDir(), "notes.yaml")
	if err := os.WriteFile(notYAML, []byte("foo: [bar\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{name: "misspelt rule ID", args: []string{"scan", "--rules", "S3-01", "-"}, want: `Error: invalid argument "S3-01" for "--rules" flag: "S3-01" matches no rule of this version; did you mean S3-001, S3-010, S3-011? (see ackguard rules)`},
		{name: "misspelt skipped rule ID", args: []string{"scan", "--skip-rules", "IAM-99", "-"}, want: `"IAM-99" matches no rule of this version`},
		{name: "unknown scan format", args: []string{"scan", "-o", "yaml", "-"}, want: `Error: invalid argument "yaml" for "-o, --output" flag: want text, json, sarif or junit`},
		{name: "unknown rules format", args: []string{"rules", "-o", "yaml"}, want: `want table, markdown or json`},
		{name: "unknown explain format", args: []string{"explain", "S3-001", "-o", "yaml"}, want: `want text, markdown or json`},
		{name: "misspelt explained rule", args: []string{"explain", "S3-0001"}, want: `no rule "S3-0001"`},
		{name: "bad time", args: []string{"scan", "--now", "yesterday", "-"}, want: `is not an RFC 3339 time`},
		{name: "path that does not exist", args: []string{"scan", missing}, want: "error: " + missing + ": no such file or directory"},
		{name: "file that is not YAML", args: []string{"scan", notYAML}, want: "error: " + notYAML + ": invalid YAML: line 1: "},
		// A namespace flag given empty (an unset $NS) or not a namespace
		// name: scan judged in "default", check-webhook asked the API
		// server for a Bucket in no namespace.
		{name: "empty namespace", args: []string{"scan", "-n", "", "-"}, want: `Error: invalid argument "" for "-n, --namespace" flag: the namespace is empty`},
		{name: "empty release namespace", args: []string{"scan", "--release-namespace=", "-"}, want: `invalid argument "" for "--release-namespace" flag: the namespace is empty`},
		{name: "invalid namespace", args: []string{"scan", "--namespace", "Team_A", "-"}, want: `"Team_A" is not a namespace name: a lowercase RFC 1123 label`},
		{name: "check-webhook no time", args: []string{"check-webhook", "--timeout=0"}, want: `Error: --timeout must be positive, not 0s`},
		{name: "check-webhook empty namespace", args: []string{"check-webhook", "--namespace="}, want: `invalid argument "" for "-n, --namespace" flag: the namespace is empty`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, secureBucket, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit code %d, stderr:\n%s\nwant exit 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}
