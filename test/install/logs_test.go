package install

import (
	"fmt"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// forbiddenLog records every log entry of the suite's managers that
// reports an RBAC refusal. Writes the chart does not grant (policy and
// exception status, Reports, Events) fail without stopping the manager,
// only in its log: the tests that run the manager as the chart's
// ServiceAccount fail on any such entry.
var forbiddenLog = &forbiddenRecorder{}

type forbiddenRecorder struct {
	mu      sync.Mutex
	entries []string
}

func (r *forbiddenRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = nil
}

func (r *forbiddenRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.entries...)
}

func (r *forbiddenRecorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, s)
}

// recordingSink passes entries to next (when set) and records refusals.
type recordingSink struct {
	rec  *forbiddenRecorder
	next logr.LogSink
	name string
	kv   []any
}

func newRecordingLogger(next logr.LogSink) logr.Logger {
	return logr.New(&recordingSink{rec: forbiddenLog, next: next})
}

func (s *recordingSink) Init(info logr.RuntimeInfo) {
	if s.next != nil {
		s.next.Init(info)
	}
}

// Enabled: errors and info up to V(4), so that refusals logged at a debug
// level are not missed, without client-go's request and body dumps (V(6)+).
func (s *recordingSink) Enabled(level int) bool { return level <= 4 }

func (s *recordingSink) Info(level int, msg string, kv ...any) {
	if text := s.format(msg, nil, kv); isForbidden(nil, text) {
		s.rec.add(text)
	}
	if s.next != nil && s.next.Enabled(level) {
		s.next.Info(level, msg, kv...)
	}
}

func (s *recordingSink) Error(err error, msg string, kv ...any) {
	if text := s.format(msg, err, kv); isForbidden(err, text) {
		s.rec.add(text)
	}
	if s.next != nil {
		s.next.Error(err, msg, kv...)
	}
}

func (s *recordingSink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.kv = append(append([]any(nil), s.kv...), kv...)
	if s.next != nil {
		c.next = s.next.WithValues(kv...)
	}
	return &c
}

func (s *recordingSink) WithName(name string) logr.LogSink {
	c := *s
	c.name = strings.TrimPrefix(s.name+"."+name, ".")
	if s.next != nil {
		c.next = s.next.WithName(name)
	}
	return &c
}

func (s *recordingSink) format(msg string, err error, kv []any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", s.name, msg)
	if err != nil {
		fmt.Fprintf(&b, ": %v", err)
	}
	all := append(append([]any(nil), s.kv...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	return b.String()
}

func isForbidden(err error, text string) bool {
	if err != nil && apierrors.IsForbidden(err) {
		return true
	}
	return strings.Contains(strings.ToLower(text), "forbidden")
}
