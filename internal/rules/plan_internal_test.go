package rules

import (
	"reflect"
	"testing"

	"github.com/ackguard/ackguard/internal/view"
)

// TestPlanKeepMergesLikeThePatch: Keep's object is what the kept
// changes' merge patch makes of the original: a parent it lacks, or holds
// as another type, becomes an object; a removal beneath an absent parent
// removes nothing.
func TestPlanKeepMergesLikeThePatch(t *testing.T) {
	orig := map[string]any{"spec": map[string]any{"a": "text", "keep": int64(1)}}
	plan := Plan{orig: orig, Rules: []string{"X-001", "X-002"}, Changes: []Change{
		{Path: view.Path{"spec", "a"}, Old: "text", OldPresent: true, New: map[string]any{}, NewPresent: true, Rules: []string{"X-001"}},
		{Path: view.Path{"spec", "a", "b"}, New: true, NewPresent: true, Rules: []string{"X-002"}},
		{Path: view.Path{"spec", "c", "d"}, Rules: []string{"X-002"}},
		{Path: view.Path{"spec", "e", "f"}, New: "v", NewPresent: true, Rules: []string{"X-002"}},
	}}
	got := plan.Keep(func(_ int, c Change) bool { return c.Rules[0] == "X-002" })
	want := map[string]any{"spec": map[string]any{"a": map[string]any{"b": true}, "keep": int64(1), "e": map[string]any{"f": "v"}}}
	if !reflect.DeepEqual(got.Object, want) {
		t.Errorf("object %v, want %v", got.Object, want)
	}
	if len(got.Rules) != 1 || got.Rules[0] != "X-002" || len(got.Changes) != 3 {
		t.Errorf("rules %v, %d changes", got.Rules, len(got.Changes))
	}
	if orig["spec"].(map[string]any)["a"] != "text" {
		t.Error("Keep modified the original object")
	}
}
