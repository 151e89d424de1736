package controllers

import (
	"encoding/json"
	"time"

	"github.com/ackguard/ackguard/internal/rules"
)

// AnnotationRemediation records ackguard's last remediation of an object:
// when, which rules, how many attempts in the current window, and the
// previous value of every field it changed.
const AnnotationRemediation = "ackguard.dev/remediation"

// RemediationState is the JSON stored in AnnotationRemediation.
type RemediationState struct {
	// Time of the last remediation.
	Time time.Time `json:"time"`
	// Rules whose fixes were applied.
	Rules []string `json:"rules"`
	// Attempts counts remediations since WindowStart; each attempt after the
	// first means someone reverted the previous fix.
	Attempts    int       `json:"attempts"`
	WindowStart time.Time `json:"windowStart"`
	// Previous holds what each changed field was before the fix.
	Previous []PreviousValue `json:"previous"`
}

// PreviousValue is one field's value before a fix. Present is false when
// the field was absent (undo by removing it).
type PreviousValue struct {
	Path    string `json:"path"`
	Present bool   `json:"present"`
	Value   any    `json:"value,omitempty"`
}

// readState parses the annotation; a missing or corrupt annotation is a
// fresh state (a person may edit it).
func readState(annotations map[string]string) RemediationState {
	var s RemediationState
	if raw, ok := annotations[AnnotationRemediation]; ok {
		if json.Unmarshal([]byte(raw), &s) != nil {
			return RemediationState{}
		}
	}
	return s
}

// next returns the state after one more remediation at now, or ok=false
// when the attempts in the window are used up (the fix keeps being
// reverted, so the reconciler must stop fighting until the window ends).
func (s RemediationState) next(now time.Time, plan rules.Plan, maxAttempts int, window time.Duration) (RemediationState, bool) {
	out := RemediationState{Time: now, Rules: plan.Rules, Attempts: 1, WindowStart: now}
	if !s.WindowStart.IsZero() && now.Sub(s.WindowStart) < window {
		if s.Attempts >= maxAttempts {
			return s, false
		}
		out.Attempts, out.WindowStart = s.Attempts+1, s.WindowStart
	}
	for _, c := range plan.Changes {
		out.Previous = append(out.Previous, PreviousValue{Path: c.Path.String(), Present: c.OldPresent, Value: c.Old})
	}
	return out, true
}

// suspendedUntil returns when a suspended remediation may be tried again.
func (s RemediationState) suspendedUntil(window time.Duration) time.Time {
	return s.WindowStart.Add(window)
}
