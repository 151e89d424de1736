package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// heapResult is what -heap reports of the manager's memory.
type heapResult struct {
	// From runtime.MemStats once it went idle, right after a collection:
	// the live heap (HeapAlloc), the heap spans in use (HeapInuse), and
	// all the memory the runtime holds from the OS (Sys).
	LiveBytes  int64 `json:"liveBytes"`
	InuseBytes int64 `json:"inuseBytes"`
	SysBytes   int64 `json:"sysBytes"`
	// From GODEBUG=gctrace=1 over the whole run: how many collections,
	// the largest heap when one ended, the largest heap left live after one.
	Collections int   `json:"collections"`
	PeakHeapMB  int64 `json:"peakHeapMB"`
	PeakLiveMB  int64 `json:"peakLiveMB"`
}

// saveHeap fetches the heap profile (after a collection) from the pprof
// endpoint at addr into path and its text form into path.txt, and reads
// the memory statistics from that text and the collections from the log.
func saveHeap(ctx context.Context, addr, path, logPath string) (*heapResult, error) {
	proto, err := fetch(ctx, "http://"+addr+"/debug/pprof/heap?gc=1")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, proto, 0o644); err != nil {
		return nil, err
	}
	text, err := fetch(ctx, "http://"+addr+"/debug/pprof/heap?debug=1")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".txt", text, 0o644); err != nil {
		return nil, err
	}
	stats := parseMemStats(string(text))
	res := &heapResult{LiveBytes: stats["HeapAlloc"], InuseBytes: stats["HeapInuse"], SysBytes: stats["Sys"]}
	f, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res.Collections, res.PeakHeapMB, res.PeakLiveMB, err = parseGCTrace(f)
	return res, err
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	return fetchWithin(ctx, url, time.Minute)
}

// fetchWithin is fetch giving up after d.
func fetchWithin(ctx context.Context, url string, d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, data)
	}
	return data, err
}

// parseMemStats reads the "# Name = N" lines the text heap profile ends
// with (runtime.MemStats).
func parseMemStats(text string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if !ok || len(line) < 2 || line[:2] != "# " {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// gcLine matches a gctrace line's heap sizes: at start -> at end -> live
// after, in MB.
var gcLine = regexp.MustCompile(`^gc \d+ @.* (\d+)->(\d+)->(\d+) MB, `)

// parseGCTrace counts the gctrace lines and returns the largest heap at
// the end of a collection and the largest live heap after one.
func parseGCTrace(r io.Reader) (n int, peak, live int64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		end, _ := strconv.ParseInt(m[2], 10, 64)
		after, _ := strconv.ParseInt(m[3], 10, 64)
		peak, live = max(peak, end), max(live, after)
	}
	return n, peak, live, sc.Err()
}
