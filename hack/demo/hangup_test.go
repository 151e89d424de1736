package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoStopsOnHangup: closing the terminal the demo runs in (SIGHUP)
// stops it as Ctrl-C does, control plane and work directory included,
// rather than killing the demo and leaving etcd and kube-apiserver (in
// process groups of their own) running.
func TestDemoStopsOnHangup(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the envtest control plane")
	}
	bin := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the demo: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--examples", filepath.Join("..", "..", "examples"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Past its time the demo is interrupted, which it handles already.
	stop := time.AfterFunc(5*time.Minute, func() { _ = cmd.Process.Signal(os.Interrupt) })
	defer stop.Stop()
	var out strings.Builder
	kubeconfig := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if k, ok := strings.CutPrefix(line, "kubeconfig: "); ok {
			kubeconfig = k
		}
		if strings.HasPrefix(line, "Press Ctrl-C to stop.") {
			_ = cmd.Process.Signal(syscall.SIGHUP)
		}
	}
	err = cmd.Wait()
	if !strings.Contains(out.String(), "Press Ctrl-C to stop.") || kubeconfig == "" {
		t.Fatalf("the demo did not start:\n%s", out.String())
	}
	if err != nil {
		t.Errorf("the demo ended with %v on SIGHUP, want a clean stop:\n%s", err, out.String())
	}
	if !strings.HasSuffix(out.String(), "==> Stopping the local control plane\n") {
		t.Errorf("the demo did not stop its control plane:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Dir(kubeconfig)); !os.IsNotExist(err) {
		t.Errorf("the demo's work directory %s is left behind (%v)", filepath.Dir(kubeconfig), err)
	}
}
