package controllers

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// The bounded attempts of one object: a fix, a wait that doubles between
// the later ones, suspension once they are used up, which only another
// fix due lifts.
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
	// Used up: suspended at the reverted spec's generation, with no end
	// of its own.
	s, step, when := s.next(at(40*time.Second), 7, plan, b)
	if step != StepSuspend || s.Suspended == nil || s.Suspended.Generation != 7 || !when.IsZero() || s.Attempts != 3 {
		t.Fatalf("fourth: step %v at %s, state %+v", step, when, s)
	}
	if _, step, _ := s.next(at(50*time.Minute), 7, plan, b); step != StepSuspended {
		t.Fatalf("same generation: step %v, want suspended", step)
	}
	// Neither an unrelated change of the spec (a new generation, the same
	// fix due) nor the end of the window resumes it: the source of truth
	// still holds what it kept reverting to.
	if _, step, _ := s.next(at(2*time.Minute), 8, plan, b); step != StepSuspended {
		t.Fatalf("new generation, same fix due: step %v, want suspended", step)
	}
	if _, step, _ := s.next(at(30*24*time.Hour), 9, plan, b); step != StepSuspended {
		t.Fatalf("a month later, same fix due: step %v, want suspended", step)
	}
	// Another fix due (the source now holds another value) ends the
	// suspension, but within the window the count stands: a revert of the
	// window's fix stops again at once, under the new fix's identity.
	other := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Old: "other", OldPresent: true}}}
	if again, step, _ := s.next(at(45*time.Minute), 10, other, b); step != StepSuspend || again.Suspended.Reverted != fixIdentity(other) {
		t.Fatalf("another fix due within the window: step %v, state %+v; want suspended again", step, again)
	}
	// After the window, it is fixed, with fresh attempts and the previous
	// values kept.
	r, step, _ := s.next(at(2*time.Hour), 10, other, b)
	if step != StepFix || r.Attempts != 1 || r.Suspended != nil || !r.WindowStart.Equal(at(2*time.Hour)) || len(r.Previous) != 1 {
		t.Fatalf("another fix due: step %v, state %+v", step, r)
	}
}

// A suspension ends when the object has no fix due (it complies): the
// same regression later is judged by the window's count, not by the old
// suspension; the count stays.
func TestSettleEndsASuspension(t *testing.T) {
	var m RemediationMemory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b", UID: "u1"}}
	m.put(obj, RemediationState{Time: t0, Attempts: 2, WindowStart: t0, Suspended: &Suspension{Generation: 3, Since: t0, Reverted: "x"}})
	m.settle(obj)
	got := m.latest(obj, RemediationState{})
	if got.Suspended != nil || got.Attempts != 2 || !got.WindowStart.Equal(t0) {
		t.Errorf("after settle: %+v, want no suspension, the count and window kept", got)
	}
	other := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b", UID: "u2"}}
	m.put(obj, RemediationState{Attempts: 2, Suspended: &Suspension{Reverted: "x"}})
	m.settle(other) // another object of the name
	if got := m.latest(obj, RemediationState{}); got.Suspended == nil {
		t.Error("settling another object of the same name ended this one's suspension")
	}
}

// A fix is known by its fields and values: the same fix of the same
// values is one identity, another value or field another.
func TestFixIdentity(t *testing.T) {
	acl := func(old string) rules.Plan {
		return rules.Plan{Changes: []rules.Change{{Path: view.NewPath("spec", "acl"), Old: old, OldPresent: true, New: "private", NewPresent: true}}}
	}
	if a, b := acl("public-read"), acl("public-read"); fixIdentity(a) != fixIdentity(b) {
		t.Error("one fix, two identities")
	}
	if fixIdentity(acl("public-read")) == fixIdentity(acl("authenticated-read")) {
		t.Error("a fix of another value has the same identity")
	}
	moved := acl("public-read")
	moved.Changes[0].Path = view.NewPath("spec", "grantRead")
	if fixIdentity(moved) == fixIdentity(acl("public-read")) {
		t.Error("a fix of another field has the same identity")
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

// A fix of other fields is no revert: it neither counts as an attempt nor
// waits, and the earlier fix's previous values are kept beside its own; a
// later revert of the first fix counts.
func TestRemediationStateTellsRevertsFromOtherFixes(t *testing.T) {
	b := Bounds{MaxAttempts: 2, Window: time.Hour, Backoff: 10 * time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pab := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Path: view.NewPath("spec", "publicAccessBlock"), Old: "a"}}}
	acl := rules.Plan{Rules: []string{"S3-004"}, Changes: []rules.Change{{Path: view.NewPath("spec", "acl"), Old: "public-read", OldPresent: true}}}

	s, step, _ := RemediationState{}.next(t0, 1, pab, b)
	if step != StepFix {
		t.Fatalf("first: %v", step)
	}
	s, step, _ = s.next(t0.Add(time.Second), 2, acl, b)
	if step != StepFix || s.Attempts != 1 || !s.WindowStart.Equal(t0) {
		t.Fatalf("a fix of another field: step %v, state %+v", step, s)
	}
	if len(s.Previous) != 2 || s.Previous[0].Path != "spec.acl" || s.Previous[1].Path != "spec.publicAccessBlock" {
		t.Fatalf("previous values %+v, want the acl's then the block's", s.Previous)
	}
	// Reverting the first fix is an attempt.
	s, step, _ = s.next(t0.Add(time.Minute), 3, pab, b)
	if step != StepFix || s.Attempts != 2 {
		t.Fatalf("a revert: step %v, state %+v", step, s)
	}
	if s, step, _ = s.next(t0.Add(2*time.Minute), 4, acl, b); step != StepSuspend {
		t.Fatalf("another revert past the attempts: step %v, state %+v", step, s)
	}
}

// suspensionPlans are the bounds (one attempt), the start time and the
// plans of the suspension tests: a fix of spec.publicAccessBlock alone
// (S3-001), and that with a fix of spec.acl (S3-004).
func suspensionPlans() (b Bounds, t0 time.Time, pab, both rules.Plan) {
	pabChange := rules.Change{Path: view.NewPath("spec", "publicAccessBlock"), Old: "a", Rules: []string{"S3-001"}}
	aclChange := rules.Change{Path: view.NewPath("spec", "acl"), Old: "public-read", OldPresent: true, Rules: []string{"S3-004"}}
	return Bounds{MaxAttempts: 1, Window: time.Hour, Backoff: time.Second},
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{pabChange}},
		rules.Plan{Rules: []string{"S3-001", "S3-004"}, Changes: []rules.Change{pabChange, aclChange}}
}

// A suspension holds only the fields whose fix was reverted: a new drift
// of another field is fixed while it lasts (and suspended with it once
// that fix too is reverted past the attempts); a change of its own
// fields' values ends it.
func TestSuspensionHoldsOnlyItsFields(t *testing.T) {
	b, t0, pab, both := suspensionPlans()

	s, _, _ := RemediationState{}.next(t0, 1, pab, b)
	s, step, _ := s.next(t0.Add(time.Minute), 2, pab, b)
	if step != StepSuspend || s.Suspended == nil || strings.Join(s.Suspended.Paths, ",") != "spec.publicAccessBlock" {
		t.Fatalf("reverted past the attempts: step %v, state %+v", step, s)
	}
	if _, step, _ := s.next(t0.Add(2*time.Minute), 3, pab, b); step != StepSuspended {
		t.Fatalf("the same revert: step %v, want suspended", step)
	}

	// The acl drifts while the block stays reverted: the acl is fixed, the
	// block still held.
	fixed, step, _ := s.next(t0.Add(3*time.Minute), 4, both, b)
	if step != StepFix || fixed.Suspended == nil || fixed.Suspended.Reverted != s.Suspended.Reverted || strings.Join(fixed.Rules, ",") != "S3-004" || fixed.Attempts != 1 {
		t.Fatalf("a new drift of another field: step %v, state %+v", step, fixed)
	}
	rest := fixed.Suspended.rest(both)
	if len(rest.Changes) != 1 || rest.Changes[0].Path.String() != "spec.acl" || strings.Join(rest.Rules, ",") != "S3-004" {
		t.Fatalf("fix to patch: %+v", rest)
	}
	if held := fixed.Suspended.held(both); strings.Join(held.Rules, ",") != "S3-001" {
		t.Fatalf("held part: %+v", held)
	}
	if len(fixed.Previous) != 2 || fixed.Previous[0].Path != "spec.acl" || fixed.Previous[1].Path != "spec.publicAccessBlock" {
		t.Fatalf("previous values %+v, want the acl's, then the block's of the first fix", fixed.Previous)
	}

	// The acl reverted too, past the attempts: both are held.
	again, step, _ := fixed.next(t0.Add(4*time.Minute), 5, both, b)
	if step != StepSuspend || again.Suspended.Reverted != fixIdentity(both) || strings.Join(again.Suspended.Paths, ",") != "spec.publicAccessBlock,spec.acl" {
		t.Fatalf("the acl reverted too: step %v, state %+v", step, again.Suspended)
	}
	if _, step, _ := again.next(t0.Add(5*time.Minute), 6, both, b); step != StepSuspended {
		t.Fatalf("both held: step %v", step)
	}

	// The block's source now holds another value: the suspension ends,
	// and the count of the window stands.
	otherPab := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Path: pab.Changes[0].Path, Old: "b", Rules: []string{"S3-001"}}}}
	if r, step, _ := s.next(t0.Add(6*time.Minute), 7, otherPab, b); step != StepSuspend || r.Suspended.Reverted != fixIdentity(otherPab) {
		t.Fatalf("another value held: step %v, state %+v", step, r.Suspended)
	}
	if r, step, _ := s.next(t0.Add(2*time.Hour), 7, otherPab, b); step != StepFix || r.Suspended != nil {
		t.Fatalf("another value held, after the window: step %v, state %+v", step, r)
	}
}

// The previous values stay within their bounds: a value too large is
// left to the log (omitted), and earlier fixes' values give way, oldest
// first, so the annotation always fits the object.
func TestRemediationStateBoundsPreviousValues(t *testing.T) {
	b := Bounds{MaxAttempts: 5, Window: time.Hour, Backoff: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	huge := strings.Repeat("x", 2*maxPreviousValueBytes)
	big := strings.Repeat("y", maxPreviousValueBytes-100)
	s, _, _ := RemediationState{}.next(t0, 1, rules.Plan{Changes: []rules.Change{{Path: view.NewPath("spec", "ingressRules"), Old: huge, OldPresent: true}}}, b)
	if len(s.Previous) != 1 || !s.Previous[0].Omitted || s.Previous[0].Value != nil || !s.Previous[0].Present {
		t.Fatalf("a value too large: %+v", s.Previous)
	}
	for i := range 10 {
		plan := rules.Plan{Changes: []rules.Change{{Path: view.NewPath("spec", "f"+strconv.Itoa(i)), Old: big, OldPresent: true}}}
		s, _, _ = s.next(t0.Add(time.Duration(i+1)*time.Second), int64(i+2), plan, b)
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > maxPreviousBytes+1024 {
			t.Fatalf("after %d fixes the annotation is %d bytes", i+1, len(raw))
		}
		if s.Previous[0].Path != "spec.f"+strconv.Itoa(i) || s.Previous[0].Omitted {
			t.Fatalf("the newest fix's value is not first and whole: %+v", s.Previous[0])
		}
	}
	if n := len(s.Previous); n >= 11 || n < 2 {
		t.Errorf("%d previous values kept of 11", n)
	}
}

// The remembered state stands in for an annotation a replace dropped, for
// the same object only (a new object of the same name starts afresh), and
// never for a newer annotation.
func TestStateMemory(t *testing.T) {
	var m RemediationMemory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b", UID: "u1"}}
	written := RemediationState{Time: t0, Attempts: 2}
	m.put(obj, written)
	if got := m.latest(obj, RemediationState{}); got.Attempts != 2 {
		t.Errorf("annotation dropped: %+v, want the written state", got)
	}
	written2 := RemediationState{Time: t0.Add(time.Minute), Attempts: 1}
	if got := m.latest(obj, written2); got.Attempts != 2 {
		t.Errorf("an annotation someone else wrote: %+v, want the reconciler's own record", got)
	}
	recreated := obj.DeepCopy()
	recreated.UID = "u2"
	if got := m.latest(recreated, RemediationState{}); got.Attempts != 0 {
		t.Errorf("a new object of the same name: %+v, want a fresh state", got)
	}
	m.forget(obj.GroupVersionKind().GroupKind(), types.NamespacedName{Namespace: "ns", Name: "b"})
	if got := m.latest(obj, RemediationState{}); got.Attempts != 0 {
		t.Errorf("after forget: %+v", got)
	}
	// An annotation the reconciler did not write this run gives its
	// previous values but no count, window or suspension (anyone who may
	// update the object may write it: a suspension found there would be an
	// exemption from fixing); that first reading is kept, so rewriting the
	// annotation later changes nothing either.
	other := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c", UID: "u3"}}
	prev := []PreviousValue{{Path: "spec.acl", Present: true, Value: "public-read", Time: t0}}
	found := RemediationState{Time: t0, Rules: []string{"S3-004"}, Attempts: 3, WindowStart: t0, Previous: prev,
		Suspended: &Suspension{Generation: 1, Since: t0}}
	got := m.latest(other, found)
	if got.Attempts != 0 || !got.WindowStart.IsZero() || got.Suspended != nil {
		t.Errorf("first reading of an annotation: %+v, want no count, window or suspension", got)
	}
	if len(got.Previous) != 1 || got.Previous[0].Value != "public-read" || !got.Time.Equal(t0) {
		t.Errorf("first reading of an annotation: %+v, want its previous values and time", got)
	}
	b := Bounds{MaxAttempts: 3, Window: time.Hour, Backoff: time.Second}
	acl := rules.Plan{Rules: []string{"S3-004"}, Changes: []rules.Change{{Path: view.NewPath("spec", "acl"), OldPresent: true}}}
	if next, step, _ := got.next(t0.Add(time.Minute), 1, acl, b); step != StepFix || next.Attempts != 1 {
		t.Errorf("after a forged suspension: step %v, attempts %d, want a fix, the first of a new window", step, next.Attempts)
	}
	forged := RemediationState{Time: t0.Add(time.Minute), Attempts: 3, Suspended: &Suspension{Generation: 1, Since: t0}}
	if got := m.latest(other, forged); got.Attempts != 0 || got.Suspended != nil || len(got.Previous) != 1 {
		t.Errorf("a rewritten annotation: %+v, want the first reading", got)
	}
	for i := range maxWrittenStates + 10 {
		o := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: strconv.Itoa(i)}}
		m.put(o, written)
	}
	if n := len(m.states); n != maxWrittenStates {
		t.Errorf("%d states remembered, bound %d", n, maxWrittenStates)
	}
}

// The reports say when each rule was fixed from the state the reconciler
// wrote, or, when it has none of the object (a restart, a change of
// leader), from the object's annotation; the latest time of a rule wins,
// and a previous value without a time has its state's.
func TestFixTimes(t *testing.T) {
	var m RemediationMemory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(t0.Add(24 * time.Hour))
	t1 := t0.Add(time.Hour)
	state := RemediationState{Time: t1, Rules: []string{"S3-004"}, Previous: []PreviousValue{
		{Path: "spec.acl", Rules: []string{"S3-004"}, Time: t1},
		{Path: "spec.publicAccessBlock", Rules: []string{"S3-001", "S3-004"}, Time: t0},
		{Path: "spec.ownershipControls", Rules: []string{"S3-005"}},
	}}
	raw, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b", UID: "u1"}}
	if got := m.fixTimes(obj, clk); got != nil {
		t.Errorf("never fixed: %v", got)
	}
	want := map[string]time.Time{"S3-004": t1, "S3-001": t0, "S3-005": t1}
	annotated := obj.DeepCopy()
	annotated.Annotations = map[string]string{AnnotationRemediation: string(raw)}
	if got := m.fixTimes(annotated, clk); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("from the annotation: %v, want %v", got, want)
	}
	if len(m.states) != 0 {
		t.Errorf("reading the annotation for the reports remembered it: %v", m.states)
	}
	// The state written wins over the annotation, and lasts when a replace
	// drops the annotation.
	m.put(obj, RemediationState{Time: t0, Rules: []string{"S3-001"}})
	if got := m.fixTimes(annotated, clk); !maps.EqualFunc(got, map[string]time.Time{"S3-001": t0}, time.Time.Equal) {
		t.Errorf("with a written state: %v", got)
	}
	if got := m.fixTimes(obj, clk); len(got) != 1 {
		t.Errorf("annotation dropped: %v, want the written state's", got)
	}
	// Another object of the name: its own annotation.
	other := annotated.DeepCopy()
	other.UID = "u2"
	if got := m.fixTimes(other, clk); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("another object of the name: %v, want %v", got, want)
	}
	other.Annotations[AnnotationRemediation] = "{not json"
	if got := m.fixTimes(other, clk); got != nil {
		t.Errorf("a corrupt annotation: %v", got)
	}
}

// Every reconcile asks for the fix times of the object it judged: for
// one never fixed, the common case, that allocates nothing, whatever
// other annotations it carries (GetAnnotations copies them all).
func TestFixTimesOfAnObjectNeverFixedAllocateNothing(t *testing.T) {
	var m RemediationMemory
	clk := clocktesting.NewFakePassiveClock(time.Now())
	m.put(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other", UID: "u0"}}, RemediationState{Time: time.Now(), Rules: []string{"S3-001"}})
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"namespace": "ns", "name": "b", "uid": "u1", "annotations": map[string]any{
			"services.k8s.aws/region": "eu-west-1", "argocd.argoproj.io/tracking-id": "app:s3.services.k8s.aws/Bucket:ns/b",
		}},
	}}
	if n := testing.AllocsPerRun(100, func() {
		if m.fixTimes(obj, clk) != nil {
			t.Fatal("fix times of an object never fixed")
		}
	}); n != 0 {
		t.Errorf("the fix times of an object never fixed cost %v allocations", n)
	}
	// The state every reconcile of a compliant object reads (clearing a
	// suspension, the state to go on from) costs nothing either.
	if n := testing.AllocsPerRun(100, func() {
		if s := annotatedState(obj); s.Time != (time.Time{}) || s.Suspended != nil {
			t.Fatalf("state of an object never fixed: %+v", s)
		}
	}); n != 0 {
		t.Errorf("the state of an object never fixed costs %v allocations", n)
	}
}

// An annotation is anyone's to write who may update the object: a time
// no reconciler could have recorded yet (in the future) is no fix the
// reports may claim, whether the memory took it in (latest) or not.
func TestFixTimesIgnoreImplausibleTimes(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(now)
	past, future := now.Add(-time.Hour), now.Add(365*24*time.Hour)
	for name, tc := range map[string]struct {
		state RemediationState
		want  map[string]time.Time
	}{
		"a fix in the future": {state: RemediationState{Time: future, Rules: []string{"S3-001"}}},
		"a previous value fixed in the future": {
			state: RemediationState{Time: past, Rules: []string{"S3-004"}, Previous: []PreviousValue{
				{Path: "spec.acl", Rules: []string{"S3-004"}, Time: past},
				{Path: "spec.publicAccessBlock", Rules: []string{"S3-001"}, Time: future},
			}},
			want: map[string]time.Time{"S3-004": past},
		},
		"within the clocks' skew": {
			state: RemediationState{Time: now.Add(clockSkew / 2), Rules: []string{"S3-001"}},
			want:  map[string]time.Time{"S3-001": now.Add(clockSkew / 2)},
		},
	} {
		raw, err := json.Marshal(tc.state)
		if err != nil {
			t.Fatal(err)
		}
		obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b", UID: "u1",
			Annotations: map[string]string{AnnotationRemediation: string(raw)}}}
		var m RemediationMemory
		if got := m.fixTimes(obj, clk); !maps.EqualFunc(got, tc.want, time.Time.Equal) {
			t.Errorf("%s, from the annotation: %v, want %v", name, got, tc.want)
		}
		m.latest(obj, readState(obj.Annotations))
		if got := m.fixTimes(obj, clk); !maps.EqualFunc(got, tc.want, time.Time.Equal) {
			t.Errorf("%s, remembered: %v, want %v", name, got, tc.want)
		}
	}
}

// A rule's fix time outlasts the previous value that recorded it: a
// later fix of the same field by another rule (EC2-001, then EC2-002,
// both rewrite spec.ingressRules) replaces the field's entry, and a large
// value of another field pushes the oldest out of the annotation; the
// reports still say when each rule was last fixed, after a restart too.
func TestFixTimesOutlastTheirPreviousValues(t *testing.T) {
	b := Bounds{MaxAttempts: 3, Window: time.Hour, Backoff: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1, t2 := t0.Add(2*time.Hour), t0.Add(4*time.Hour)
	clk := clocktesting.NewFakePassiveClock(t0.Add(24 * time.Hour))
	ingress := view.NewPath("spec", "ingressRules")
	v4 := rules.Plan{Rules: []string{"EC2-001"}, Changes: []rules.Change{{Path: ingress, OldPresent: true, Old: []any{"22 from 0.0.0.0/0"}, Rules: []string{"EC2-001"}}}}
	v6 := rules.Plan{Rules: []string{"EC2-002"}, Changes: []rules.Change{{Path: ingress, OldPresent: true, Old: []any{"22 from ::/0"}, Rules: []string{"EC2-002"}}}}
	s, _, _ := RemediationState{}.next(t0, 1, v4, b)
	// The fix of EC2-001 cleared EC2-003's finding too.
	s.recordUndo(map[string][]string{"spec.ingressRules": {"EC2-001", "EC2-003"}})
	s, _, _ = s.next(t1, 2, v6, b)
	s.recordUndo(map[string][]string{"spec.ingressRules": {"EC2-002"}})
	want := map[string]time.Time{"EC2-001": t0, "EC2-003": t0, "EC2-002": t1}
	if got := s.fixTimes(clk); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("after a later fix of the same field: %v, want %v", got, want)
	}
	// Values of other fields that fill the annotation but for a few bytes.
	big := rules.Plan{Rules: []string{"EC2-009"}}
	size := 0
	for i := range 4 {
		c := rules.Change{Path: view.NewPath("spec", "tags", strconv.Itoa(i)), OldPresent: true, Old: "", Rules: []string{"EC2-009"}}
		n := encodedSize(PreviousValue{Path: c.Path.String(), Present: true, Rules: c.Rules, Time: t2})
		c.Old = strings.Repeat("x", min(maxPreviousValueBytes-n-64, maxPreviousBytes-size-n-16))
		size += encodedSize(PreviousValue{Path: c.Path.String(), Present: true, Value: c.Old, Rules: c.Rules, Time: t2})
		big.Changes = append(big.Changes, c)
	}
	s, _, _ = s.next(t2, 3, big, b)
	if len(s.Previous) != len(big.Changes) || slices.ContainsFunc(s.Previous, func(p PreviousValue) bool { return p.Omitted }) {
		t.Fatalf("%d previous values, %d bytes: want the other fields' alone, none omitted", len(s.Previous), size)
	}
	want["EC2-009"] = t2
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sg", UID: "u1",
		Annotations: map[string]string{AnnotationRemediation: string(raw)}}}
	var restarted RemediationMemory
	if got := restarted.fixTimes(obj, clk); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("after the previous value was dropped, from the annotation: %v, want %v", got, want)
	}
	restarted.latest(obj, readState(obj.Annotations))
	if got := restarted.fixTimes(obj, clk); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("from the history the memory took: %v, want %v", got, want)
	}
}

// The fix times of earlier fixes the reconciler writes back are bounded:
// an annotation someone wrote may name any number of rules.
func TestEarlierFixesAreBounded(t *testing.T) {
	b := Bounds{MaxAttempts: 3, Window: time.Hour, Backoff: time.Second}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	plan := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Path: view.NewPath("spec", "publicAccessBlock"), Rules: []string{"S3-001"}}}}
	forged := RemediationState{Time: now.Add(-time.Hour), Rules: []string{"S3-004"}}
	for i := range 10000 {
		forged.Fixed = append(forged.Fixed, RuleFixed{Rule: fmt.Sprintf("X-%05d", i), Time: now.Add(-time.Duration(i) * time.Second)})
	}
	s, step, _ := forged.next(now, 1, plan, b)
	raw, err := json.Marshal(s.Fixed)
	if err != nil || step != StepFix {
		t.Fatal(step, err)
	}
	if len(raw) > maxFixedBytes || len(s.Fixed) < 10 || s.Fixed[0].Rule != "X-00000" {
		t.Errorf("%d earlier fixes in %d bytes, from %v: want the latest within %d bytes", len(s.Fixed), len(raw), s.Fixed[0], maxFixedBytes)
	}
}

// Fixes of an expired window are kept for undoing but are not this
// window's: reverting one is a first attempt, not a second.
func TestRemediationStateWindowScopesReverts(t *testing.T) {
	b := Bounds{MaxAttempts: 2, Window: time.Hour, Backoff: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pab := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Path: view.NewPath("spec", "publicAccessBlock")}}}
	acl := rules.Plan{Rules: []string{"S3-004"}, Changes: []rules.Change{{Path: view.NewPath("spec", "acl"), OldPresent: true}}}
	s, _, _ := RemediationState{}.next(t0, 1, pab, b)
	s, _, _ = s.next(t0.Add(2*time.Hour), 2, acl, b) // a new window
	if len(s.Previous) != 2 {
		t.Fatalf("previous %+v", s.Previous)
	}
	s, step, _ := s.next(t0.Add(2*time.Hour+time.Minute), 3, pab, b)
	if step != StepFix || s.Attempts != 1 {
		t.Fatalf("the first fix of this window to the block: step %v, attempts %d, want a fix and 1", step, s.Attempts)
	}
	if _, step, _ := s.next(t0.Add(2*time.Hour+2*time.Minute), 4, pab, b); step != StepFix {
		t.Fatalf("its first revert: step %v, want a fix (attempt 2 of 2)", step)
	}
}

// A state no reconciler could have written (times in the future) is
// ignored: writing the annotation does not switch remediation off.
func TestRemediationStateIgnoresImplausibleAnnotations(t *testing.T) {
	b := Bounds{MaxAttempts: 3, Window: time.Hour, Backoff: time.Second}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	plan := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{Path: view.NewPath("spec", "publicAccessBlock")}}}
	for name, forged := range map[string]RemediationState{
		"window in the future": {Time: now, WindowStart: now.Add(24 * time.Hour), Attempts: 3, Previous: []PreviousValue{{Path: "spec.publicAccessBlock"}},
			Suspended: &Suspension{Generation: 5, Since: now, Reverted: fixIdentity(plan)}},
		"suspension in the future": {Time: now, WindowStart: now.Add(-time.Minute), Attempts: 3, Previous: []PreviousValue{{Path: "spec.publicAccessBlock"}},
			Suspended: &Suspension{Generation: 5, Since: now.Add(24 * time.Hour), Reverted: fixIdentity(plan)}},
	} {
		if s, step, _ := forged.next(now, 5, plan, b); step != StepFix || s.Attempts != 1 {
			t.Errorf("%s: step %v, attempts %d, want a fix", name, step, s.Attempts)
		}
	}
	genuine := RemediationState{Time: now.Add(-time.Minute), WindowStart: now.Add(-10 * time.Minute), Attempts: 3, Previous: []PreviousValue{{Path: "spec.publicAccessBlock"}},
		Suspended: &Suspension{Generation: 5, Since: now.Add(-time.Minute), Reverted: fixIdentity(plan)}}
	if _, step, _ := genuine.next(now, 5, plan, b); step != StepSuspended {
		t.Errorf("a genuine suspension: step %v", step)
	}
}

// The values an annotation no longer has room for are named, so the
// reconciler can log them as it drops them.
func TestDroppedPrevious(t *testing.T) {
	before := RemediationState{Previous: []PreviousValue{{Path: "spec.a", Value: "x"}, {Path: "spec.b", Value: "y"}, {Path: "spec.c", Omitted: true}}}
	after := RemediationState{Previous: []PreviousValue{{Path: "spec.d"}, {Path: "spec.a", Value: "x"}}}
	got := droppedPrevious(before, after)
	if len(got) != 1 || got["spec.b"] != "y" {
		t.Errorf("dropped %v, want spec.b alone (spec.c was already in the log)", got)
	}
}

// The memory keeps a suspension over the states it forgets to stay
// bounded, and keeps the objects of two kinds of one name apart.
func TestStateMemoryKeepsSuspensions(t *testing.T) {
	var m RemediationMemory
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bucket := func(name string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{}
		o.SetGroupVersionKind(view.BucketGVK)
		o.SetNamespace("ns")
		o.SetName(name)
		return o
	}
	suspended := bucket("fought")
	m.put(suspended, RemediationState{Time: t0, Attempts: 3, Suspended: &Suspension{Generation: 4, Since: t0}})
	for i := range 3 * maxWrittenStates {
		m.put(bucket(strconv.Itoa(i)), RemediationState{Time: t0, Attempts: 1})
	}
	if got := m.latest(suspended, RemediationState{}); got.Suspended == nil {
		t.Errorf("the suspension was forgotten: %+v", got)
	}
	if n := len(m.states); n != maxWrittenStates {
		t.Errorf("%d states remembered, bound %d", n, maxWrittenStates)
	}
	role := &unstructured.Unstructured{}
	role.SetGroupVersionKind(view.RoleGVK)
	role.SetNamespace("ns")
	role.SetName("fought")
	if got := m.latest(role, RemediationState{}); got.Suspended != nil || got.Attempts != 0 {
		t.Errorf("a Role of the Bucket's name took its state: %+v", got)
	}
}

// A revert past the attempts and a first drift of another field, seen
// together (one write of the source of truth brought both): only the
// reverted field is held, the new drift is fixed, and fixing it counts no
// revert.
func TestSuspensionFixesANewDriftSeenWithTheRevert(t *testing.T) {
	b, t0, pab, both := suspensionPlans()

	s, _, _ := RemediationState{}.next(t0, 1, pab, b)
	fixed, step, _ := s.next(t0.Add(time.Minute), 2, both, b)
	if step != StepFix || fixed.Suspended == nil || strings.Join(fixed.Suspended.Paths, ",") != "spec.publicAccessBlock" {
		t.Fatalf("revert and new drift: step %v, state %+v, suspension %+v", step, fixed, fixed.Suspended)
	}
	if rest := fixed.Suspended.rest(both); strings.Join(changedPaths(rest), ",") != "spec.acl" || strings.Join(fixed.Rules, ",") != "S3-004" || fixed.Attempts != 1 {
		t.Fatalf("fix to patch %+v, state %+v", rest, fixed)
	}
	if fixed.Suspended.Reverted != fixIdentity(pab) {
		t.Fatalf("the suspension does not identify the reverted fix")
	}
	if len(fixed.Previous) != 2 || fixed.Previous[0].Path != "spec.acl" || fixed.Previous[1].Path != "spec.publicAccessBlock" {
		t.Fatalf("previous values %+v", fixed.Previous)
	}
	// The acl fixed, the block still reverted: nothing more to write.
	if _, step, _ := fixed.next(t0.Add(2*time.Minute), 3, pab, b); step != StepSuspended {
		t.Fatalf("after the fix of the new drift: step %v", step)
	}
}

// A later fix of a field an earlier fix changed replaces its previous
// value in the annotation: the value the earlier fix replaced is not lost
// (it is said with the dropped ones), unless the later fix's previous
// value is that same value (the field was reverted to it).
func TestReplacedPreviousValueIsNotLost(t *testing.T) {
	b := Bounds{MaxAttempts: 5, Window: time.Hour, Backoff: time.Second}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := view.NewPath("spec", "policy")
	first := rules.Plan{Rules: []string{"S3-006"}, Changes: []rules.Change{{Path: path, Old: "p0", OldPresent: true, New: "p1", NewPresent: true, Rules: []string{"S3-006"}}}}
	second := rules.Plan{Rules: []string{"S3-003"}, Changes: []rules.Change{{Path: path, Old: "p1", OldPresent: true, New: "p2", NewPresent: true, Rules: []string{"S3-003"}}}}
	s1, _, _ := RemediationState{}.next(t0, 1, first, b)
	s2, step, _ := s1.next(t0.Add(time.Hour+time.Minute), 2, second, b)
	if step != StepFix || len(s2.Previous) != 1 || s2.Previous[0].Value != "p1" {
		t.Fatalf("second fix: step %v, previous %+v", step, s2.Previous)
	}
	if got := droppedPrevious(s1, s2); got["spec.policy"] != "p0" {
		t.Errorf("the value the first fix replaced is lost: dropped %v", got)
	}
	// Reverted to p0 and fixed again: nothing is lost.
	s3, _, _ := s1.next(t0.Add(time.Hour+time.Minute), 2, first, b)
	if got := droppedPrevious(s1, s3); len(got) != 0 {
		t.Errorf("a fix of the same value says %v dropped", got)
	}
}
