package controllers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// AnnotationRemediation records ackguard's last remediation of an object:
// when, which rules, how many attempts in the current window, the previous
// value of every field it changed, and whether remediation is suspended.
const AnnotationRemediation = "ackguard.dev/remediation"

// RemediationState is the JSON stored in AnnotationRemediation.
type RemediationState struct {
	// Time of the last remediation.
	Time time.Time `json:"time"`
	// Rules whose fixes were applied.
	Rules []string `json:"rules"`
	// Attempts counts remediations since WindowStart; each attempt after the
	// first means someone reverted an earlier fix (a fix of fields no
	// earlier fix of the window changed does not count).
	Attempts    int       `json:"attempts"`
	WindowStart time.Time `json:"windowStart"`
	// Previous holds what each changed field was before the fix that
	// changed it, this fix's first, then those of earlier fixes to other
	// fields, newest first, as many as maxPreviousBytes allows.
	Previous []PreviousValue `json:"previous"`
	// Suspended is set once the attempts are used up: the reconciler
	// reports instead of patching for as long as the object keeps the
	// values the fix was reverted to.
	Suspended *Suspension `json:"suspended,omitempty"`
	// Fixed says when the rules of earlier fixes were last fixed (those
	// this fix makes are Rules, at Time), for the reports: a previous
	// value, which says it too, is replaced by a later fix of its field
	// and dropped when the annotation has no room for it. Absent in
	// states written before it was recorded.
	Fixed []RuleFixed `json:"fixed,omitempty"`
}

// RuleFixed is when a rule was last fixed: its fix changed a field, or
// another's fix cleared its findings in one (see PreviousValue.Rules).
type RuleFixed struct {
	Rule string    `json:"rule"`
	Time time.Time `json:"time"`
}

// Suspension records why an object is not patched.
type Suspension struct {
	// Generation is the object's generation when remediation stopped.
	Generation int64 `json:"generation"`
	// Since is when remediation stopped.
	Since time.Time `json:"since"`
	// Reverted identifies the fix its source of truth kept reverting: the
	// fields, the values they were reverted to and the values the fix
	// writes. Remediation resumes when the fix due differs (the source
	// changed those fields, or a policy the fix): an unrelated change of
	// the spec does not resume it, or every commit would start the fight
	// again.
	Reverted string `json:"reverted"`
	// Paths are the fields it holds (all of a fix due when empty): a fix
	// due of other fields is made while it lasts, so that a source that
	// keeps reverting one field does not leave a new drift of another
	// unfixed.
	Paths []string `json:"paths,omitempty"`
	// Attempts and WindowStart are the window's count of fixes when it
	// began: the state's own go on with the fixes of other fields made
	// while it lasts.
	Attempts    int       `json:"attempts,omitempty"`
	WindowStart time.Time `json:"windowStart,omitzero"`
}

// held returns the part of plan the suspension holds: the changes of its
// fields.
func (sus *Suspension) held(plan rules.Plan) rules.Plan {
	return plan.Keep(func(_ int, c rules.Change) bool { return sus.holds(c) })
}

// rest returns the part of plan a suspension (nil: none) leaves to fix.
func (sus *Suspension) rest(plan rules.Plan) rules.Plan {
	if sus == nil {
		return plan
	}
	return plan.Keep(func(_ int, c rules.Change) bool { return !sus.holds(c) })
}

func (sus *Suspension) holds(c rules.Change) bool {
	return len(sus.Paths) == 0 || slices.Contains(sus.Paths, c.Path.String())
}

// suspend is the suspension of plan, reverted at generation past the
// attempts s counts, from now.
func suspend(plan rules.Plan, s RemediationState, generation int64, now time.Time) *Suspension {
	return &Suspension{Generation: generation, Since: now, Reverted: fixIdentity(plan), Paths: changedPaths(plan), Attempts: s.Attempts, WindowStart: s.WindowStart}
}

// PreviousValue is one field's value before a fix. Present is false when
// the field was absent (undo by removing it). Omitted is true when the
// value was too large for the annotation (maxPreviousValueBytes): the
// manager's log holds it ("previous values too large for the annotation").
type PreviousValue struct {
	Path    string `json:"path"`
	Present bool   `json:"present"`
	Value   any    `json:"value,omitempty"`
	Omitted bool   `json:"omitted,omitempty"`
	// Rules are those whose findings writing the value back brings back,
	// so an undo needs a GuardrailException for each (otherwise the
	// reconciler fixes the field again, or admission refuses the write):
	// the rules whose fixes changed the field, and those whose findings
	// in it the fix cleared without fixing (a range EC2-001 removes is
	// EC2-003's too when its port is high-risk; a statement S3-003 removes
	// may be S3-002's). Absent in states written before it was recorded.
	Rules []string `json:"rules,omitempty"`
	// Time is when the fix that changed the field was made (zero in
	// states written before it was recorded: the state's Time).
	Time time.Time `json:"time,omitzero"`
}

// The annotation's previous values are bounded, so that it always fits
// the object (Kubernetes allows 256 KiB of annotations in all, other
// tools' included): a value larger than maxPreviousValueBytes is left to
// the log, and earlier fixes' values are dropped, oldest first, past
// maxPreviousBytes.
const (
	maxPreviousValueBytes = 16 << 10
	maxPreviousBytes      = 48 << 10
	// maxFixedBytes bounds the fix times of earlier fixes (Fixed).
	maxFixedBytes = 4 << 10
)

// RemediationMemory keeps the remediation state last written to each
// object, or first read from its annotation, so that an object replaced
// whole (kubectl replace, a GitOps tool that replaces instead of
// patching), which drops the annotation with the rest, is not taken for
// one never fixed (its reverts still count, and fighting it still stops),
// and an annotation rewritten later is not obeyed. It is bounded, the
// reconcilers of every kind share one (a kind's reconciler started again,
// when a CRD it reads comes or goes, keeps what it knew), and a restart
// forgets it: the reconciler then counts afresh (see latest). The zero
// value is ready to use.
type RemediationMemory struct {
	mu     sync.Mutex
	states map[memoryKey]writtenState
	// notes keeps the state Events recorded (see stateReasons).
	notes noteMemory
}

// memoryKey names an object of a kind.
type memoryKey struct {
	kind schema.GroupKind
	types.NamespacedName
}

func keyOf(obj client.Object) memoryKey {
	return memoryKey{obj.GetObjectKind().GroupVersionKind().GroupKind(), client.ObjectKeyFromObject(obj)}
}

type writtenState struct {
	uid   types.UID
	state RemediationState
	// ended: settle ended the suspension the state last written records,
	// and the annotation still says it (clearSuspension rewrites it).
	ended bool
	// read: the state is what latest read from the annotation, and
	// nothing was written since; a suspension the annotation records is
	// then not this manager's, and is cleared once no fix is due, as when
	// the memory holds no state.
	read bool
}

// maxWrittenStates bounds the states a memory holds; past it, one is
// forgotten for each new one.
const maxWrittenStates = 10000

func (m *RemediationMemory) put(obj client.Object, s RemediationState) {
	m.store(obj, writtenState{uid: obj.GetUID(), state: s})
}

func (m *RemediationMemory) store(obj client.Object, w writtenState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := keyOf(obj)
	if m.states == nil {
		m.states = map[memoryKey]writtenState{}
	}
	if _, ok := m.states[key]; !ok && len(m.states) >= maxWrittenStates {
		m.evictOne()
	}
	m.states[key] = w
}

// evictOne forgets one state, one without a suspension if any of the
// first few looked at has none: a suspension forgotten means fighting the
// object's source of truth again.
func (m *RemediationMemory) evictOne() {
	var victim memoryKey
	looked := 0
	for k, w := range m.states {
		victim = k
		if w.state.Suspended == nil || looked == maxEvictionLooks {
			break
		}
		looked++
	}
	delete(m.states, victim)
}

// maxEvictionLooks bounds how many states an eviction looks at for one
// without a suspension.
const maxEvictionLooks = 64

// latest returns the state to go on from: the one last written to the
// same object (same UID), whatever the annotation now says (a replace
// dropped it, or someone wrote it), or else what its annotation records
// of earlier fixes, without their count or suspension. Anyone who may
// update the object may write the annotation, so the reconciler obeys
// only counts and suspensions it decided itself: a forged "suspended"
// would otherwise be an exemption from fixing that no GuardrailException
// granted. After a restart or a change of leader it counts afresh (one
// fix, then as many reverts as the bounds allow before it stops again);
// the previous values are kept, so every fix can still be undone. The
// first reading is kept, so rewriting the annotation later changes
// nothing.
func (m *RemediationMemory) latest(obj client.Object, fromAnnotation RemediationState) RemediationState {
	m.mu.Lock()
	w, ok := m.states[keyOf(obj)]
	m.mu.Unlock()
	if ok && w.uid == obj.GetUID() {
		return w.state
	}
	first := fromAnnotation.history()
	m.store(obj, writtenState{uid: obj.GetUID(), state: first, read: true})
	return first
}

// fixTimes returns when the fixes of obj were made, by rule: from the
// state last written to it (same UID), or else from its annotation (a
// restart, a change of leader, or a state the memory let go), without
// remembering what the annotation says (see latest). nil when it was
// never fixed.
func (m *RemediationMemory) fixTimes(obj client.Object, clk clock.PassiveClock) map[string]time.Time {
	m.mu.Lock()
	w, ok := m.states[keyOf(obj)]
	m.mu.Unlock()
	if ok && w.uid == obj.GetUID() {
		return w.state.fixTimes(clk)
	}
	return annotatedState(obj).fixTimes(clk)
}

// remediationAnnotation returns obj's AnnotationRemediation, read in place
// from an unstructured object: GetAnnotations copies every annotation, at
// each reconcile of an object never fixed.
func remediationAnnotation(obj client.Object) (string, bool) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		raw, ok := obj.GetAnnotations()[AnnotationRemediation]
		return raw, ok
	}
	_, annotations := view.LabelsAndAnnotations(u.Object)
	raw, ok := annotations[AnnotationRemediation].(string)
	return raw, ok
}

// fixTimes returns when each rule was last fixed: the rules of the last
// fix at its time, those of earlier fixes (Fixed) and those of the
// previous values still recorded at theirs (the rules whose fixes changed
// a field, and those whose findings in it the change cleared). A time no
// reconciler could have recorded by now (in the future, past the clocks'
// skew) is not a fix: anyone who may update the object may write the
// annotation (see plausible).
func (s RemediationState) fixTimes(clk clock.PassiveClock) map[string]time.Time {
	if len(s.Rules) == 0 && len(s.Previous) == 0 && len(s.Fixed) == 0 {
		return nil
	}
	return s.fixedBy(clk.Now().Add(clockSkew))
}

// fixedBy returns when each rule was last fixed, of the fixes s records
// made by late: those of Fixed, the rules of the last fix and those of
// the previous values (nil when none).
func (s RemediationState) fixedBy(late time.Time) map[string]time.Time {
	var out map[string]time.Time
	mark := func(rule string, at time.Time) {
		if at.IsZero() || at.After(late) {
			return
		}
		if out == nil {
			out = map[string]time.Time{}
		}
		if was, ok := out[rule]; !ok || at.After(was) {
			out[rule] = at
		}
	}
	for _, f := range s.Fixed {
		mark(f.Rule, f.Time)
	}
	for _, id := range s.Rules {
		mark(id, s.Time)
	}
	for _, p := range s.Previous {
		at := p.Time
		if at.IsZero() {
			at = s.Time
		}
		for _, id := range p.Rules {
			mark(id, at)
		}
	}
	return out
}

// history is s without what decides the next step (the window's count
// and start, a suspension): what an annotation the reconciler did not
// write this run may tell it.
func (s RemediationState) history() RemediationState {
	s.Attempts, s.WindowStart, s.Suspended = 0, time.Time{}, nil
	return s
}

// settle records that obj has no fix due (it complies, an exception
// covers it, or no policy fixes it any more): a suspension ends, so a
// later regression is fixed again once the window's count allows (the
// count stays: every fix leaves a compliant object, and forgetting it
// there would let a source that reverts each fix be fought for ever).
func (m *RemediationMemory) settle(obj client.Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := keyOf(obj)
	if w, ok := m.states[key]; ok && w.uid == obj.GetUID() && w.state.Suspended != nil {
		w.state.Suspended, w.ended = nil, true
		m.states[key] = w
	}
}

// endedSuspension returns the state to record of an object whose
// suspension settle ended while the annotation still says it, or whose
// state was only read from the annotation (a fix tried since a restart
// and not written), which may record a suspension (ended false
// otherwise): once written (put), it is not asked for again, so a
// suspension that ended is cleared from the annotation once, not each
// time a tool writes the old annotation back. known is false when the
// memory holds no state of the object.
func (m *RemediationMemory) endedSuspension(obj client.Object) (state RemediationState, ended, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.states[keyOf(obj)]
	if !ok || w.uid != obj.GetUID() {
		return RemediationState{}, false, false
	}
	return w.state, w.ended || w.read, true
}

func (m *RemediationMemory) forget(kind schema.GroupKind, key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.states, memoryKey{kind, key})
}

// readState parses the annotation; a missing or corrupt annotation is a
// fresh state (a person may edit it).
func readState(annotations map[string]string) RemediationState {
	raw, ok := annotations[AnnotationRemediation]
	return parseState(raw, ok)
}

// annotatedState is readState of obj's annotations, read in place (see
// remediationAnnotation): an object never fixed costs nothing.
func annotatedState(obj client.Object) RemediationState {
	return parseState(remediationAnnotation(obj))
}

func parseState(raw string, present bool) RemediationState {
	if !present {
		return RemediationState{} // before s, which escapes to Unmarshal
	}
	var s RemediationState
	if json.Unmarshal([]byte(raw), &s) != nil {
		return RemediationState{}
	}
	return s
}

// Bounds limit how often one object is remediated.
type Bounds struct {
	// MaxAttempts within Window; then remediation is suspended.
	MaxAttempts int
	Window      time.Duration
	// Backoff is the least time between the first fix and the second; it
	// doubles for each later attempt within the window (never past it).
	Backoff time.Duration
}

// backoff returns the least time after a fix before the next one, given
// how many fixes the window holds.
func (b Bounds) backoff(attempts int) time.Duration {
	d := b.Backoff
	for i := 1; i < attempts && d < b.Window; i++ {
		d *= 2
	}
	return min(d, b.Window)
}

// Step is what the reconciler may do next with a fixable object.
type Step int

const (
	// StepFix: patch now, recording State.
	StepFix Step = iota
	// StepWait: a fix was reverted too soon after the last; try again at At.
	StepWait
	// StepSuspend: the attempts are used up; record State (suspended) and
	// report instead of patching.
	StepSuspend
	// StepSuspended: already suspended at this generation; nothing to write.
	StepSuspended
)

// next decides the step for an object at generation whose fixes are plan,
// at now. State is what to record (for StepFix and StepSuspend); At is
// when to look again (StepWait only: a suspension lasts until the fix due
// changes, which a watch event brings). A suspension whose fields still
// hold what they were reverted to holds only them: the rest of plan is
// fixed (StepFix, with State still suspended; State.Suspended.rest(plan)
// is the fix to patch).
func (s RemediationState) next(now time.Time, generation int64, plan rules.Plan, b Bounds) (state RemediationState, step Step, at time.Time) {
	if !s.plausible(now) {
		s = RemediationState{} // not a state the reconciler could have written
	}
	whole := plan
	held := s.Suspended
	if held != nil {
		if fixIdentity(held.held(plan)) != held.Reverted {
			// Another fix of its fields is due (the source changed them,
			// or a policy the fix): the suspension ends, but not the
			// window's count, so a source that keeps reverting to changing
			// values is not fought afresh each time.
			held = nil
		} else if plan = held.rest(plan); plan.Empty() {
			// The source of truth still holds what it kept reverting to,
			// and nothing else is due.
			return s, StepSuspended, time.Time{}
		}
		s.Suspended = nil
	}
	fresh := s.WindowStart.IsZero() || now.Sub(s.WindowStart) >= b.Window
	out := RemediationState{Time: now, Rules: plan.Rules, Attempts: 1, WindowStart: now, Suspended: held}
	switch {
	case !fresh && s.changedBefore(plan):
		// Someone reverted an earlier fix of the window.
		if s.Attempts >= b.MaxAttempts {
			// Suspended: the fields reverted, with those already held,
			// if any. A new drift of other fields is still fixed (not
			// a revert: the window's count stands).
			sus := suspend(whole.Keep(func(_ int, c rules.Change) bool {
				return (held != nil && held.holds(c)) || s.changedBefore(rules.Plan{Changes: []rules.Change{c}})
			}), s, generation, now)
			rest := sus.rest(plan)
			if rest.Empty() {
				s.Suspended = sus
				return s, StepSuspend, time.Time{}
			}
			out := RemediationState{Time: now, Rules: rest.Rules, Attempts: s.Attempts, WindowStart: s.WindowStart, Suspended: sus}
			out.Previous = previousValues(rest, s.Previous, now)
			out.Fixed = s.earlierFixes(now, rest.Rules)
			return out, StepFix, time.Time{}
		}
		if ready := s.Time.Add(b.backoff(s.Attempts)); now.Before(ready) {
			s.Suspended = held
			return s, StepWait, ready
		}
		out.Attempts, out.WindowStart = s.Attempts+1, s.WindowStart
	case !fresh:
		// A fix of fields no fix of the window changed: nothing was
		// reverted, so the window and its count go on as they were.
		out.Attempts, out.WindowStart = s.Attempts, s.WindowStart
	}
	out.Previous = previousValues(plan, s.Previous, now)
	out.Fixed = s.earlierFixes(now, plan.Rules)
	return out, StepFix, time.Time{}
}

// earlierFixes returns when each rule s records a fix of was last fixed,
// but for the rules fixed now (ids), in the order of the rules: the
// latest within maxFixedBytes (a kind has a few dozen rules; an
// annotation someone wrote may name any number).
func (s RemediationState) earlierFixes(now time.Time, ids []string) []RuleFixed {
	times := s.fixedBy(now.Add(clockSkew))
	var out []RuleFixed
	for rule, at := range times {
		if !slices.Contains(ids, rule) {
			out = append(out, RuleFixed{Rule: rule, Time: at})
		}
	}
	slices.SortFunc(out, func(a, b RuleFixed) int {
		return cmp.Or(b.Time.Compare(a.Time), strings.Compare(a.Rule, b.Rule))
	})
	size := 0
	for i, f := range out {
		b, _ := json.Marshal(f) // a string and a time: always encodes
		if size += len(b) + 1; size > maxFixedBytes {
			out = out[:i]
			break
		}
	}
	slices.SortFunc(out, func(a, b RuleFixed) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}

// fixIdentity identifies the fix plan makes: its fields, the values
// before and after. Two plans with one identity are the same fix of the
// same values.
func fixIdentity(plan rules.Plan) string {
	h := sha256.New()
	for _, c := range plan.Changes {
		// Plain JSON data always encodes; the path is written apart so
		// that two changes cannot run into each other.
		b, _ := json.Marshal([]any{c.Path.String(), c.OldPresent, c.Old, c.NewPresent, c.New})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// clockSkew is how far in the future a recorded time may lie (the clocks
// of two replicas differ) before the state is taken for a forgery.
const clockSkew = time.Minute

// plausible reports whether s is a state the reconciler could have
// written by now: nothing recorded in the future. The annotation is on
// the object, where anyone who may update the object may write it; a
// state that could not be the reconciler's is ignored rather than obeyed.
func (s RemediationState) plausible(now time.Time) bool {
	late := now.Add(clockSkew)
	switch {
	case s.Time.After(late), s.WindowStart.After(late), s.Attempts < 0:
		return false
	case s.Suspended != nil && s.Suspended.Since.After(late):
		return false
	}
	return true
}

// changedBefore reports whether plan changes a field an earlier fix of
// the current window changed: that fix was reverted. (Fixes of an earlier
// window, whose values s still keeps, are not this window's.)
func (s RemediationState) changedBefore(plan rules.Plan) bool {
	for _, c := range plan.Changes {
		path := c.Path.String()
		for _, p := range s.Previous {
			at := p.Time
			if at.IsZero() {
				at = s.Time
			}
			if p.Path == path && !at.Before(s.WindowStart) {
				return true
			}
		}
	}
	return false
}

// previousValues are the previous values to record for a fix made at now:
// those of plan's changes, each within maxPreviousValueBytes, then those
// earlier fixes recorded for other fields, while all fit in
// maxPreviousBytes (droppedPrevious says which no longer do).
func previousValues(plan rules.Plan, earlier []PreviousValue, now time.Time) []PreviousValue {
	out := make([]PreviousValue, 0, len(plan.Changes)+len(earlier))
	size := 0
	changed := make(map[string]bool, len(plan.Changes))
	for _, c := range plan.Changes {
		p := PreviousValue{Path: c.Path.String(), Present: c.OldPresent, Value: c.Old, Rules: slices.Clone(c.Rules), Time: now}
		changed[p.Path] = true
		n := encodedSize(p)
		if n > maxPreviousValueBytes || size+n > maxPreviousBytes {
			p.Value, p.Omitted = nil, true
			n = encodedSize(p)
		}
		out = append(out, p)
		size += n
	}
	for _, p := range earlier {
		if changed[p.Path] {
			continue // this fix's own value is the one to undo to
		}
		n := encodedSize(p)
		if size+n > maxPreviousBytes {
			break // older ones are dropped first
		}
		out = append(out, p)
		size += n
	}
	return out
}

// recordUndo sets, on the previous values of the fix s records (those
// made at s.Time), the rules an undo of each needs (undo, by path; see
// PreviousValue.Rules).
func (s *RemediationState) recordUndo(undo map[string][]string) {
	for i := range s.Previous {
		p := &s.Previous[i]
		if ids, ok := undo[p.Path]; ok && p.Time.Equal(s.Time) {
			p.Rules = ids
		}
	}
}

// leaveToLog marks the previous values of the fix s records (those made
// at s.Time) omitted and drops those of earlier fixes, for an object too
// large to store them: the manager's log keeps them (omittedPrevious,
// droppedPrevious), and the rules and times stay.
func (s *RemediationState) leaveToLog() {
	out := s.Previous[:0]
	for _, p := range s.Previous {
		if p.Time.Equal(s.Time) {
			p.Value, p.Omitted = nil, true
			out = append(out, p)
		}
	}
	s.Previous = out
}

// droppedPrevious returns the previous values the state before a fix
// kept and the state after it no longer does, by path: those dropped,
// and those a later fix of the same field replaced with another value
// (undoing the later fix puts back what the earlier one wrote, and the
// earlier fix's undo needs the value it replaced).
func droppedPrevious(before, after RemediationState) map[string]any {
	kept := make(map[string]PreviousValue, len(after.Previous))
	for _, p := range after.Previous {
		kept[p.Path] = p
	}
	var out map[string]any
	for _, p := range before.Previous {
		now, ok := kept[p.Path]
		replaced := ok && (now.Present != p.Present || now.Omitted || !reflect.DeepEqual(now.Value, p.Value))
		if (!ok || replaced) && !p.Omitted {
			if out == nil {
				out = map[string]any{}
			}
			out[p.Path] = p.Value
		}
	}
	return out
}

func encodedSize(p PreviousValue) int {
	b, err := json.Marshal(p)
	if err != nil {
		return maxPreviousBytes + 1 // not JSON: never kept
	}
	return len(b)
}
