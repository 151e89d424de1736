//go:build unix

package scan

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// endless is standard input that never ends: a comment line, forever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const line = "# a comment line of an input that never ends\n"
	for i := range p {
		p[i] = line[i%len(line)]
	}
	return len(p), nil
}

// TestEndlessStdinRefused: standard input larger than what scan keeps to
// read twice is refused with an error (exit 2), not copied until the disk
// is full, and leaves no temporary file behind, even while the scan runs
// (the spool is unlinked as soon as it is created).
func TestEndlessStdinRefused(t *testing.T) {
	defer func(v int64) { spoolLimit = v }(spoolLimit)
	spoolLimit = MaxInputBytes + 4<<20
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rep := Scan(context.Background(), []string{"-"}, endless{}, Options{})
	if rep.ExitCode() != 2 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "standard input larger than 20 MiB is not read: write it to a file") {
		t.Fatalf("endless stdin: exit %d, errors %+v", rep.ExitCode(), rep.Errors)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("left in TMPDIR: %v (%v)", left, err)
	}
}

// watchedTmp is standard input that, once scan has read more than it
// reads whole (and so copies the rest to a temporary file), looks for a
// file in dir on every read.
type watchedTmp struct {
	r    io.Reader
	dir  string
	read int
	seen []string
}

func (w *watchedTmp) Read(p []byte) (int, error) {
	if w.read > MaxInputBytes {
		if left, err := os.ReadDir(w.dir); err == nil {
			for _, e := range left {
				w.seen = append(w.seen, e.Name())
			}
		}
	}
	n, err := w.r.Read(p)
	w.read += n
	return n, err
}

// TestSpoolUnlinked: a large standard input is judged from a temporary
// file that has no name while scan copies it, so a killed scan leaves
// nothing behind.
func TestSpoolUnlinked(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var b strings.Builder
	for b.Len() <= MaxInputBytes {
		b.WriteString("---\n# padding that makes standard input larger than what scan reads whole\n")
	}
	b.WriteString("---\n" + readTestdata(t, "manifests", "buckets.yaml"))
	in := &watchedTmp{r: strings.NewReader(b.String()), dir: tmp}
	rep := Scan(context.Background(), []string{"-"}, in, Options{})
	if rep.Summary.Resources != 3 || rep.Summary.Denied != 2 || len(rep.Errors) != 0 {
		t.Errorf("summary %+v, errors %+v; want 3 resources, 2 denied", rep.Summary, rep.Errors)
	}
	if in.read <= MaxInputBytes {
		t.Fatalf("read %d bytes: never spooled", in.read)
	}
	if len(in.seen) != 0 {
		t.Errorf("the spool had a name while it was copied: %v", in.seen)
	}
}
