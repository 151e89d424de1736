package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestBoundedRecorderDropsAndCountsWhatExceedsTheBound: a burst of Events
// beyond --event-burst is recorded up to the burst, the rest dropped
// without blocking and counted by reason; --event-qps 0 bounds nothing.
func TestBoundedRecorderDropsAndCountsWhatExceedsTheBound(t *testing.T) {
	obj := &corev1.ConfigMap{}
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dropped"}, []string{"reason"})
	fake := events.NewFakeRecorder(100)
	// One Event a minute: within the test only the burst of 3 is recorded.
	rec := NewBoundedRecorder(fake, 1.0/60, 3, dropped)
	for range 8 {
		rec.Eventf(obj, nil, corev1.EventTypeNormal, ReasonRemediated, "Remediate", "fixed")
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, ReasonViolation, "Report", "open")
	if got := len(fake.Events); got != 3 {
		t.Errorf("recorded %d Events, want the burst of 3", got)
	}
	if got := testutil.ToFloat64(dropped.WithLabelValues(ReasonRemediated)); got != 5 {
		t.Errorf("dropped %v Remediated Events, want 5", got)
	}
	if got := testutil.ToFloat64(dropped.WithLabelValues(ReasonViolation)); got != 1 {
		t.Errorf("dropped %v Violation Events, want 1", got)
	}

	unbounded := events.NewFakeRecorder(100)
	if rec := NewBoundedRecorder(unbounded, 0, 3, dropped); rec != events.EventRecorder(unbounded) {
		t.Fatalf("--event-qps=0 wrapped the recorder: %T", rec)
	}
}

// A fixer's failure is terminal (retrying changes nothing), unless a
// judgement is due later (an exception's expiry): that still comes.
func TestFixerFailedKeepsTheJudgementDue(t *testing.T) {
	fail := errors.New("the fixer cannot read spec.x")
	res, err := fixerFailed(context.Background(), fail, ctrl.Result{})
	if !errors.Is(err, reconcile.TerminalError(nil)) || res.RequeueAfter != 0 {
		t.Errorf("nothing due: %v, %v; want a terminal error", res, err)
	}
	due := ctrl.Result{RequeueAfter: 90 * time.Second}
	if res, err := fixerFailed(context.Background(), fail, due); err != nil || res != due {
		t.Errorf("an expiry due in 90s: %v, %v; want it kept", res, err)
	}
}

// An Event's note cut to its bound is cut between characters: a message
// quoting non-ASCII spec values (a tag, a policy's text) stays valid
// UTF-8.
func TestLongEventNoteIsCutBetweenCharacters(t *testing.T) {
	fake := events.NewFakeRecorder(1)
	r := &DriftReconciler{Recorder: fake, Clock: clock.RealClock{}}
	obj := &unstructured.Unstructured{}
	r.event(obj, corev1.EventTypeWarning, ReasonViolation, "Report", "%s", "xy"+strings.Repeat("é", maxEventNoteLength))
	e := <-fake.Events
	note := e[strings.Index(e, "x"):]
	if !utf8.ValidString(note) {
		t.Errorf("note is not valid UTF-8: ...%q", note[len(note)-8:])
	}
	if len(note) > maxEventNoteLength || !strings.HasSuffix(note, "...") {
		t.Errorf("note of %d bytes, ending %q; want at most %d, marked cut", len(note), note[len(note)-8:], maxEventNoteLength)
	}
}
