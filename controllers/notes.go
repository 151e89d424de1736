package controllers

import (
	"hash/maphash"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// StateEventEvery is how often an Event saying what an object still is
// (a violation left open, a fix not written or refused, a remediation
// suspended) is recorded again while nothing about it changes: about the
// lifetime the API server gives Events (an hour by default), so that the
// object's Events keep showing it without every resync recording it again.
const StateEventEvery = time.Hour

// stateReasons are the reasons of Events that say what an object is, not
// what ackguard did: the same state found again (a resync, a change that
// leaves it) records nothing until it changes or StateEventEvery passed.
// A fix the API server refuses is one: tried again at each resync (or
// retry), it is refused the same way, and says nothing new.
var stateReasons = map[string]bool{
	ReasonViolation:          true,
	ReasonRemediationSkipped: true,
	ReasonRemediationStopped: true,
	ReasonRemediationFailed:  true,
}

// noteMemory keeps, per object and state (a reason and the form of its
// note: one reconcile may record two Violation Events, what is only
// reported and what the fix leaves), a hash of the last note and when it
// was last recorded. Without it a resync every ten minutes recorded one
// Event per open violation, spending the --event-qps budget that the
// Events of fixes (Remediated) share. It lives in the RemediationMemory
// the reconcilers of every kind share, so that a kind's reconciler
// started again (a CRD it reads came or went) does not record and count
// every open state again. One object is never reconciled by two workers
// at once: begin, due, recorded and end of one object do not overlap.
type noteMemory struct {
	mu   sync.Mutex
	seed maphash.Seed
	objs map[memoryKey]*noteObject
}

type noteObject struct {
	uid    types.UID // another object of the same name is news
	states map[string]*noteState
}

type noteState struct {
	hash uint64
	at   time.Time // last recorded; zero: not yet (the Event was dropped)
	held bool      // found again by the reconcile under way
}

// begin starts a reconcile of the object: the states it does not find
// again by end are settled.
func (m *noteMemory) begin(key memoryKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.objs[key]; o != nil {
		for _, st := range o.states {
			st.held = false
		}
	}
}

// due reports whether the note is to be recorded now (record: it is new,
// or the last one was recorded StateEventEvery ago or never was), and
// whether it says something other than the last one found for the object
// and state (changed). It remembers the note; recorded marks it recorded.
func (m *noteMemory) due(key memoryKey, uid types.UID, state, note string, now time.Time) (record, changed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs, m.seed = map[memoryKey]*noteObject{}, maphash.MakeSeed()
	}
	h := maphash.String(m.seed, note)
	o := m.objs[key]
	if o == nil || o.uid != uid {
		o = &noteObject{uid: uid, states: map[string]*noteState{}}
		m.objs[key] = o
	}
	prev := o.states[state]
	if prev == nil || prev.hash != h {
		o.states[state] = &noteState{hash: h, held: true}
		return true, true
	}
	prev.held = true
	return prev.at.IsZero() || now.Sub(prev.at) >= StateEventEvery, false
}

// recorded marks the object's last note of the state recorded at.
func (m *noteMemory) recorded(key memoryKey, state string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.objs[key]; o != nil && o.states[state] != nil {
		o.states[state].at = at
	}
}

// end ends a reconcile of the object. When it judged the object through
// (settle), the states it did not find again no longer hold, so the next
// time one does is news; a reconcile that failed before it came to them
// settles nothing.
func (m *noteMemory) end(key memoryKey, settle bool) {
	if !settle {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.objs[key]
	if o == nil {
		return
	}
	for state, st := range o.states {
		if !st.held {
			delete(o.states, state)
		}
	}
	if len(o.states) == 0 {
		delete(m.objs, key)
	}
}

// forget drops every state of a deleted object.
func (m *noteMemory) forget(key memoryKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
}

// forgetKind drops every state of the objects of a kind no longer served
// (its CRD was deleted, and its objects with it).
func (m *noteMemory) forgetKind(kind schema.GroupKind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.objs {
		if key.kind == kind {
			delete(m.objs, key)
		}
	}
}
