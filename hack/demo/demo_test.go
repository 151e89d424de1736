package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/testenv"
)

// The walkthrough starts its own control plane; the harness sets the
// logger and fails the test binary when ackguard recovered a panic.
var suite = testenv.New(testenv.Options{Name: "demo"})

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

// TestDemoWalkthrough runs the demo (hack/demo) end to end on the local control
// plane, as `make demo` does, and checks what it shows the user.
func TestShellQuote(t *testing.T) {
	for arg, want := range map[string]string{
		"apply":                       "apply",
		"examples/bucket-secure.yaml": "examples/bucket-secure.yaml",
		"involvedObject.name=legacy-reports,reason=Remediated": "involvedObject.name=legacy-reports,reason=Remediated",
		`jsonpath={.spec.policy}{"\n"}`:                        `'jsonpath={.spec.policy}{"\n"}'`,
		"it's":                                                 `'it'\''s'`,
		"":                                                     "''",
	} {
		if got := shellQuote(arg); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", arg, got, want)
		}
	}
}

func TestDemoWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the envtest control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Without --work-dir the kubeconfig goes to a temporary folder of the
	// demo's own, which it removes when it stops (as on Ctrl-C).
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out bytes.Buffer
	err := Run(ctx, Options{Examples: "../../examples", Out: &out})
	text := out.String()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, text)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "ackguard-demo-*")); len(left) > 0 {
		t.Errorf("the demo left its work folder behind: %v", left)
	}
	for _, want := range []string{
		// the denial, as kubectl prints it: one cause per finding
		`The Bucket "public-website" is invalid: `,
		`* spec.policy: Forbidden: S3-002: Statement[0] (Sid "PublicRead") allows s3:GetObject to any principal`,
		`* spec.publicAccessBlock: Forbidden: S3-001: `,
		`* spec.acl: Forbidden: S3-004: `,
		// warn-level findings come back as kubectl warnings
		"Warning: spec.policy: S3-006: ",
		// the secure bucket admitted
		"bucket.s3.services.k8s.aws/invoices created",
		// the drifted bucket patched back, the undo record and the Event
		`"restrictPublicBuckets":true`,
		"AckguardDenyInsecureTransport",
		`"previous":[`,
		"Remediated",
		"kubeconfig: ",
		// the commands shown can be pasted into a shell
		`$ kubectl get bucket legacy-reports -n demo -o 'jsonpath={.metadata.annotations.ackguard\.dev/remediation}'`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
}

// cancelOn cancels a context once the text written to it contains marker.
type cancelOn struct {
	bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.marker) {
		w.cancel()
	}
	return n, err
}

// TestDemoInterruptedMidWalkthrough: Ctrl-C while the walkthrough runs
// stops the demo as Ctrl-C after it does: the control plane stopped, its
// folder removed, and no error (a kubectl the interrupt killed is no
// failure of the demo; make would report one).
func TestDemoInterruptedMidWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the envtest control plane")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out := &cancelOn{marker: "$ kubectl apply -f ../../examples/bucket-drifted.yaml", cancel: cancel}
	timer := time.AfterFunc(3*time.Minute, cancel)
	defer timer.Stop()
	if err := Run(ctx, Options{Examples: "../../examples", Out: out, Wait: true}); err != nil {
		t.Errorf("interrupted demo failed: %v\n%s", err, out.String())
	}
	if !strings.HasSuffix(out.String(), "==> Stopping the local control plane\n") {
		t.Errorf("the interrupted demo did not end with its goodbye:\n%s", out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "ackguard-*")); len(left) > 0 {
		t.Errorf("the interrupted demo left folders behind: %v", left)
	}
}
