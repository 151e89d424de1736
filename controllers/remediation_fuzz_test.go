package controllers

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// FuzzRemediationAnnotation feeds the ackguard.dev/remediation annotation,
// which anyone who may update an object may write, through what the
// reconciler does with it: read it (the memory's first reading, the fix
// times of the reports), decide the next step and build the state to
// write back. Whatever the annotation holds, nothing panics, the first
// decision is a fix (an annotation never suspends or delays fixing: the
// count starts afresh), and the state written back stays within the
// annotation's bounds.
func FuzzRemediationAnnotation(f *testing.F) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	plan := rules.Plan{Rules: []string{"S3-001"}, Changes: []rules.Change{{
		Path: view.NewPath("spec", "publicAccessBlock", "blockPublicACLs"), OldPresent: true, Old: false, NewPresent: true, New: true, Rules: []string{"S3-001"},
	}}}
	b := Bounds{MaxAttempts: 2, Window: time.Hour, Backoff: time.Second}
	// What the reconciler wrote after fixing twice, the second time
	// because the first was reverted: obeyed, it would suspend fixing.
	first, _, _ := RemediationState{}.next(now.Add(-20*time.Minute), 3, plan, b)
	second, _, _ := first.next(now.Add(-10*time.Minute), 5, plan, b)
	genuine, _ := json.Marshal(second)
	// Previous values of other fields, more than the annotation keeps.
	var large RemediationState
	for i := range 8 {
		large.Previous = append(large.Previous, PreviousValue{Path: fmt.Sprintf("spec.f%d", i), Present: true, Value: strings.Repeat("v", 12<<10)})
	}
	largeJSON, _ := json.Marshal(large)
	for _, seed := range []string{
		string(genuine), string(largeJSON),
		`{}`, `null`, `[]`, `"x"`, `{"attempts":-1}`, `{"attempts":9223372036854775807,"windowStart":"2026-01-01T11:59:00Z"}`,
		`{"time":"2026-01-01T11:00:00Z","rules":["S3-001"],"previous":[{"path":"spec.publicAccessBlock.blockPublicACLs","present":true,"value":false}],` +
			`"suspended":{"generation":3,"since":"2026-01-01T11:30:00Z","reverted":"x","paths":["spec.publicAccessBlock.blockPublicACLs"]}}`,
		`{"previous":[{"path":"spec.a","value":{"b":[1,2,{"c":null}]},"time":"9999-12-31T23:59:59Z"}],"fixed":[{"rule":"S3-002","time":"2025-01-01T00:00:00Z"},{"rule":""}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("s3.services.k8s.aws/v1alpha1")
		obj.SetKind("Bucket")
		obj.SetNamespace("ns")
		obj.SetName("b")
		obj.SetUID(types.UID("u"))
		obj.SetAnnotations(map[string]string{AnnotationRemediation: raw})

		var m RemediationMemory
		_ = m.fixTimes(obj, clocktesting.NewFakePassiveClock(now))
		before := m.latest(obj, annotatedState(obj))
		state, step, _ := before.next(now, obj.GetGeneration(), plan, b)
		if step != StepFix {
			t.Fatalf("step %v from the annotation %q, want a fix: an annotation never holds a fix back", step, raw)
		}
		state.recordUndo(map[string][]string{plan.Changes[0].Path.String(): {"S3-001"}})
		_ = droppedPrevious(before, state)
		out, err := json.Marshal(state)
		if err != nil {
			t.Fatalf("the state to write does not encode: %v", err)
		}
		// Previous values and earlier fix times are bounded; the rest is
		// this fix's rules, times and counts.
		if limit := maxPreviousBytes + maxFixedBytes + 1<<10; len(out) > limit {
			t.Fatalf("the state to write is %d bytes, over %d", len(out), limit)
		}
		_ = state.fixTimes(clocktesting.NewFakePassiveClock(now))
	})
}
