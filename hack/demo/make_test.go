package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeDemoStopsQuietly: Ctrl-C ends `make demo` with the demo's own
// goodbye and nothing from make after it. A terminal sends SIGINT to the
// whole foreground process group (make, what it runs, the demo); when a
// process between make and the demo reports the interrupt as a failure
// (go run exits 1 once interrupted, whatever the program's status; a
// shell waiting for the demo kills itself with SIGINT), make adds
// "make: *** [Makefile:N: demo] Error 1" (or "Interrupt") to a demo that
// stopped cleanly.
func TestMakeDemoStopsQuietly(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the envtest control plane")
	}
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	// -o envtest: the control plane is there already (KUBEBUILDER_ASSETS);
	// LOCALBIN keeps what the target builds out of the tree.
	cmd := exec.Command(makeBin, "-s", "-o", "envtest", "demo", "LOCALBIN="+t.TempDir())
	cmd.Dir = "../.."
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	// Past its time, the demo is stopped as Ctrl-C stops it: envtest runs
	// etcd and kube-apiserver in process groups of their own, which a
	// SIGKILL of this group leaves running, so only the demo's own
	// shutdown stops them; what is left is killed after a grace period.
	// Both come before go test's -timeout, which would leave the whole
	// group running.
	limit := 5 * time.Minute
	if deadline, ok := t.Deadline(); ok {
		limit = min(limit, time.Until(deadline)-time.Minute)
	}
	pgid := cmd.Process.Pid
	stop := time.AfterFunc(limit, func() { _ = syscall.Kill(-pgid, syscall.SIGINT) })
	defer stop.Stop()
	kill := time.AfterFunc(limit+30*time.Second, func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	defer kill.Stop()
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	go func() {
		defer close(done)
		interrupted := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !interrupted && strings.HasPrefix(sc.Text(), "Press Ctrl-C to stop.") {
				interrupted = true
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C
			}
		}
	}()
	<-done
	_ = cmd.Wait()
	text := out.String()
	if !strings.Contains(text, "Press Ctrl-C to stop.") {
		t.Fatalf("the demo did not start:\n%s\nstderr:\n%s", text, stderr.String())
	}
	if !strings.HasSuffix(text, "==> Stopping the local control plane\n") {
		t.Errorf("the demo did not end with its goodbye:\n%s", text)
	}
	if strings.Contains(stderr.String(), "make: ***") {
		t.Errorf("make reports the stopped demo as a failure:\n%s", stderr.String())
	}
}
