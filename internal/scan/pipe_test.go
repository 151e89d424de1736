//go:build unix

package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// TestPipeJudged: a manifest read from a pipe (process substitution,
// /dev/stdin) is judged, though the pipe can be read only once and scan
// makes two passes.
func TestPipeJudged(t *testing.T) {
	content := readTestdata(t, "manifests", "buckets.yaml")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		defer w.Close()
		fmt.Fprint(w, content)
	}()
	p := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no /dev/fd: %v", err)
	}
	rep := scanWith(t, []string{p}, Options{})
	if rep.Summary.Resources != 3 || rep.Summary.Denied != 2 || rep.ExitCode() != 1 {
		t.Errorf("from a pipe: summary %+v, errors %v; want 3 resources, 2 denied", rep.Summary, rep.Errors)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].Resource.Source != p+"#0" {
		t.Errorf("findings %+v", rep.Findings)
	}
}

// TestFIFOReadOnce: a named FIFO is read once; the second pass judges
// what the first read instead of opening it again.
func TestFIFOReadOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "buckets.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	content := readTestdata(t, "manifests", "buckets.yaml")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The content for the first reader; then an empty input for every
		// further reader (a scan that opened the FIFO again would
		// otherwise block forever), until the test is over.
		for n := 0; ; n++ {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			if n == 0 {
				fmt.Fprint(f, content)
			}
			f.Close()
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	rep := scanWith(t, []string{fifo}, Options{})
	close(stop)
	// Release the writer, waiting for a reader or about to.
	for released := false; !released; {
		select {
		case <-done:
			released = true
		default:
			if f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			runtime.Gosched()
		}
	}
	if rep.Summary.Resources != 3 || rep.Summary.Denied != 2 {
		t.Errorf("from a FIFO: summary %+v, errors %v; want 3 resources, 2 denied", rep.Summary, rep.Errors)
	}
}
