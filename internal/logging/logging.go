// Package logging holds the manager's logger plumbing.
package logging

import (
	"slices"

	"github.com/go-logr/logr"
)

// Lazy returns a logger that keeps the values added with WithValues and
// hands them to l's sink only when a line is written. controller-runtime
// adds the object's name and a reconcile ID to the logger of every
// reconcile and admission request; zap encodes such values as soon as
// they are added, which cost several percent of the manager's CPU under
// load although most reconciles log nothing. The lines written are the
// same: the values come first, in the order they were added, then the
// line's own.
func Lazy(l logr.Logger) logr.Logger {
	sink := l.GetSink()
	if sink == nil {
		return l
	}
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1) // the frame of lazySink's own Info and Error
	}
	return logr.New(&lazySink{sink: sink}).V(l.GetV())
}

type lazySink struct {
	sink logr.LogSink
	kv   []any
}

var _ logr.CallDepthLogSink = &lazySink{}

// Init does nothing: the wrapped sink was initialised by its own logger.
func (s *lazySink) Init(logr.RuntimeInfo) {}

func (s *lazySink) Enabled(level int) bool { return s.sink.Enabled(level) }

func (s *lazySink) Info(level int, msg string, kv ...any) {
	s.sink.Info(level, msg, s.with(kv)...)
}

func (s *lazySink) Error(err error, msg string, kv ...any) {
	s.sink.Error(err, msg, s.with(kv)...)
}

// with returns the kept values followed by kv.
func (s *lazySink) with(kv []any) []any {
	if len(s.kv) == 0 {
		return kv
	}
	return append(slices.Clip(s.kv), kv...)
}

func (s *lazySink) WithValues(kv ...any) logr.LogSink {
	return &lazySink{sink: s.sink, kv: s.with(kv)}
}

func (s *lazySink) WithName(name string) logr.LogSink {
	return &lazySink{sink: s.sink.WithName(name), kv: s.kv}
}

func (s *lazySink) WithCallDepth(depth int) logr.LogSink {
	cd, ok := s.sink.(logr.CallDepthLogSink)
	if !ok {
		return s
	}
	return &lazySink{sink: cd.WithCallDepth(depth), kv: s.kv}
}
