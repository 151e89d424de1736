package scan

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLargeStreamBoundedMemory judges a multi-document stream larger
// than MaxInputBytes and asserts that the heap stays far below what
// holding its documents would take: documents are read, judged and
// dropped one at a time. By default the stream is 6 MiB, streamed from
// 1 MiB on (instead of MaxInputBytes) to keep the test quick;
// ACKGUARD_LARGE_STREAM_MB sets the size and restores the threshold
// ("ACKGUARD_LARGE_STREAM_MB=100 go test ./internal/scan -run
// TestLargeStreamBoundedMemory -v" judges 100 MB, in about a minute a
// core, and logs how much the heap grew). The bound does not grow with
// the size: a larger stream only takes longer.
func TestLargeStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and judges a large stream")
	}
	size := 6 << 20
	defer func(v int) { streamAbove = v }(streamAbove)
	streamAbove = 1 << 20
	if v := os.Getenv("ACKGUARD_LARGE_STREAM_MB"); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		size = mb << 20
		streamAbove = MaxInputBytes
	}
	p := filepath.Join(t.TempDir(), "stream.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	written, n := 0, 0
	for written < size {
		name := fmt.Sprintf("bucket-%d", n)
		acl := ""
		if n%5000 == 0 {
			acl = "  acl: public-read\n" // a few findings
		}
		k, _ := fmt.Fprintf(w, "---\napiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: %s\n  namespace: team-%d\nspec:\n  name: %s\n%s  publicAccessBlock:\n    blockPublicACLs: true\n    ignorePublicACLs: true\n    blockPublicPolicy: true\n    restrictPublicBuckets: true\n  policy: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AckguardDenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::%s\",\"arn:aws:s3:::%s/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}'\n",
			name, n%7, name, acl, name, name)
		written += k
		n++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// The heap live at each collection, not the heap allocated: garbage
	// not yet collected is no document held, and on a busy machine the
	// collector can fall behind by more than the bound.
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	base := live[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	// The rules the buckets are written to pass: findings are output,
	// held to the end.
	rep := Scan(context.Background(), []string{p}, nil, Options{Rules: []string{"S3-00[1-7]", "POL-*"}})
	close(stop)
	wg.Wait()

	if len(rep.Errors) != 0 || rep.Summary.Resources != n || rep.Summary.Denied != (n+4999)/5000 {
		t.Fatalf("%d buckets: summary %+v, errors %+v", n, rep.Summary, rep.Errors)
	}
	grown := int64(peak.Load()) - int64(base)
	t.Logf("%d MiB, %d buckets: heap grew by at most %d MiB", size>>20, n, grown>>20)
	// Two documents' worth of decoding and the rule engine's working set;
	// holding the stream's documents would take several times its size
	// (the 6 MiB stream's, decoded, about 22 MiB).
	if limit := int64(16 << 20); grown > limit {
		t.Errorf("heap grew by %d MiB judging a %d MiB stream, want at most %d MiB", grown>>20, size>>20, limit>>20)
	}
}

// countingReader yields n bytes of c and counts what was read.
type countingReader struct {
	c       byte
	n, read int
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.read)
	for i := range p[:k] {
		p[i] = r.c
	}
	r.read += k
	return k, nil
}

// A stream is refused at its limit even when it is one line: a line is
// not read whole before the limit is checked, so a file of one endless
// line (or a device) takes no more memory than a document may.
func TestLargeStreamLongLineStopsAtLimit(t *testing.T) {
	const limit = 1 << 20
	r := &countingReader{c: 'a', n: 64 << 20}
	err := splitYAMLStream(r, limit, func(chunk) bool { return true })
	if err != errDocumentTooLarge {
		t.Fatalf("error %v, want %v", err, errDocumentTooLarge)
	}
	if r.read > 2*limit {
		t.Errorf("read %d MiB of one line before refusing it, limit %d MiB", r.read>>20, limit>>20)
	}
}
