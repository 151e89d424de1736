package controllers

import (
	"hash/maphash"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// StateEventEvery is how often an Event saying what an object still is
// (a violation left open, a fix not written, a remediation suspended) is
// recorded again while nothing about it changes: about the lifetime the
// API server gives Events (an hour by default), so that the object's
// Events keep showing it without every resync recording it again.
const StateEventEvery = time.Hour

// stateReasons are the reasons of Events that say what an object is, not
// what ackguard did: the same state found again (a resync, a change that
// leaves it) records nothing until it changes or StateEventEvery passed.
var stateReasons = map[string]bool{
	ReasonViolation:          true,
	ReasonRemediationSkipped: true,
	ReasonRemediationStopped: true,
}

// noteMemory keeps, per object and state reason, a hash of the last note
// recorded and when. Without it a resync every ten minutes recorded one
// Event per open violation, spending the --event-qps budget that the
// Events of fixes (Remediated) share. One object is never reconciled by
// two workers at once: begin, due and end of one object do not overlap.
type noteMemory struct {
	mu   sync.Mutex
	seed maphash.Seed
	objs map[types.NamespacedName]map[string]*noteState
}

type noteState struct {
	hash uint64
	at   time.Time
	held bool // found again by the reconcile under way
}

// begin starts a reconcile of the object: the states it does not find
// again by end are settled.
func (m *noteMemory) begin(obj types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range m.objs[obj] {
		st.held = false
	}
}

// due reports whether the note is to be recorded now (record), and whether
// it says something other than the last one recorded for the object and
// reason (changed), and remembers it when it is recorded.
func (m *noteMemory) due(obj types.NamespacedName, reason, note string, now time.Time) (record, changed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs, m.seed = map[types.NamespacedName]map[string]*noteState{}, maphash.MakeSeed()
	}
	h := maphash.String(m.seed, note)
	states := m.objs[obj]
	if states == nil {
		states = map[string]*noteState{}
		m.objs[obj] = states
	}
	prev := states[reason]
	changed = prev == nil || prev.hash != h
	if !changed {
		prev.held = true
		if now.Sub(prev.at) < StateEventEvery {
			return false, false
		}
	}
	states[reason] = &noteState{hash: h, at: now, held: true}
	return true, changed
}

// end settles the object's states its reconcile did not find again: they
// no longer hold, so the next time one does is news.
func (m *noteMemory) end(obj types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for reason, st := range m.objs[obj] {
		if !st.held {
			delete(m.objs[obj], reason)
		}
	}
	if len(m.objs[obj]) == 0 {
		delete(m.objs, obj)
	}
}

// forget drops every state of a deleted object.
func (m *noteMemory) forget(obj types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, obj)
}

func (r *DriftReconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}
