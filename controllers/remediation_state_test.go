package controllers

import (
	"testing"
	"time"

	"github.com/ackguard/ackguard/internal/rules"
)

// The bounded attempts of one object: a fix, a wait that doubles between
// the later ones, suspension once they are used up, which a new
// generation or the end of the window lifts.
func TestRemediationStateSteps(t *testing.T) {
	b := Bounds{MaxAttempts: 3, Window: time.Hour, Backoff: 10 * time.Second}
	plan := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{}}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	s, step, _ := RemediationState{}.next(t0, 1, plan, b)
	if step != StepFix || s.Attempts != 1 || !s.WindowStart.Equal(t0) || len(s.Previous) != 1 {
		t.Fatalf("first: step %v, state %+v", step, s)
	}
	// Reverted after 5s: the second fix waits until 10s after the first.
	if _, step, when := s.next(at(5*time.Second), 3, plan, b); step != StepWait || !when.Equal(at(10*time.Second)) {
		t.Fatalf("second too soon: step %v at %s", step, when)
	}
	s, step, _ = s.next(at(10*time.Second), 3, plan, b)
	if step != StepFix || s.Attempts != 2 || !s.WindowStart.Equal(t0) {
		t.Fatalf("second: step %v, state %+v", step, s)
	}
	// The third waits twice as long: 20s after the second.
	if _, step, when := s.next(at(25*time.Second), 5, plan, b); step != StepWait || !when.Equal(at(30*time.Second)) {
		t.Fatalf("third too soon: step %v at %s", step, when)
	}
	s, step, _ = s.next(at(30*time.Second), 5, plan, b)
	if step != StepFix || s.Attempts != 3 {
		t.Fatalf("third: step %v, state %+v", step, s)
	}
	// Used up: suspended at the reverted spec's generation until the
	// window ends.
	s, step, when := s.next(at(40*time.Second), 7, plan, b)
	if step != StepSuspend || s.Suspended == nil || s.Suspended.Generation != 7 || !when.Equal(at(time.Hour)) || s.Attempts != 3 {
		t.Fatalf("fourth: step %v at %s, state %+v", step, when, s)
	}
	if _, step, _ := s.next(at(50*time.Minute), 7, plan, b); step != StepSuspended {
		t.Fatalf("same generation: step %v, want suspended", step)
	}
	// A new spec resumes at once, with fresh attempts.
	r, step, _ := s.next(at(2*time.Minute), 8, plan, b)
	if step != StepFix || r.Attempts != 1 || r.Suspended != nil || !r.WindowStart.Equal(at(2*time.Minute)) {
		t.Fatalf("new generation: step %v, state %+v", step, r)
	}
	// So does the end of the window.
	if r, step, _ := s.next(at(time.Hour), 7, plan, b); step != StepFix || r.Attempts != 1 {
		t.Fatalf("window over: step %v, state %+v", step, r)
	}
}

func TestBackoffNeverPassesTheWindow(t *testing.T) {
	b := Bounds{MaxAttempts: 50, Window: time.Minute, Backoff: 10 * time.Second}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 4: time.Minute, 40: time.Minute} {
		if got := b.backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}
