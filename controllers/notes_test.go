package controllers

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// TestNoteMemory: a state Event is recorded when it is news (first seen,
// changed, or found again after it stopped holding) or StateEventEvery
// after the last; otherwise not.
func TestNoteMemory(t *testing.T) {
	var m noteMemory
	obj, other := types.NamespacedName{Namespace: "a", Name: "b"}, types.NamespacedName{Namespace: "a", Name: "c"}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	step := func(name string, key types.NamespacedName, reason, note string, at time.Time, wantRecord, wantChanged bool) {
		t.Helper()
		m.begin(key)
		record, changed := m.due(key, reason, note, at)
		m.end(key)
		if record != wantRecord || changed != wantChanged {
			t.Errorf("%s: record %v, changed %v; want %v, %v", name, record, changed, wantRecord, wantChanged)
		}
	}
	step("first", obj, ReasonViolation, "S3-001 open", t0, true, true)
	step("the same at resync", obj, ReasonViolation, "S3-001 open", t0.Add(10*time.Minute), false, false)
	step("another reason is its own", obj, ReasonRemediationSkipped, "read-only", t0.Add(10*time.Minute), true, true)
	step("another object is its own", other, ReasonViolation, "S3-001 open", t0.Add(10*time.Minute), true, true)
	step("changed", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(20*time.Minute), true, true)
	step("again within the hour of the change", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(79*time.Minute), false, false)
	step("again an hour after", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(80*time.Minute), true, false)

	// A reconcile that does not find a state settles it: found again, it
	// is news. The Skipped state of obj was not found by the reconciles
	// above (each recorded one reason), so it is gone too.
	m.begin(obj)
	m.end(obj)
	step("found again after it stopped holding", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(81*time.Minute), true, true)
	step("skipped again after it stopped holding", obj, ReasonRemediationSkipped, "read-only", t0.Add(81*time.Minute), true, true)

	m.forget(other)
	step("forgotten object", other, ReasonViolation, "S3-001 open", t0.Add(82*time.Minute), true, true)
	m.forget(obj)
	m.forget(other)
	if len(m.objs) != 0 {
		t.Errorf("%d objects remembered after forgetting them all", len(m.objs))
	}
}
