package rules

import (
	"testing"

	"github.com/ackguard/ackguard/internal/view"
)

// A reading of a kept Bucket view that does not return (it panicked;
// runCheck recovers) leaves the room filled and the Input without its
// view: release still clears the room, and the next evaluation reads its
// own object alone, with nothing of the earlier one.
func TestInterruptedReadingLeavesNoTrace(t *testing.T) {
	a := map[string]any{"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": map[string]any{"name": "a"},
		"spec": map[string]any{"grantRead": "id=A", "ownershipControls": map[string]any{"rules": []any{1}}, "encryption": map[string]any{"rules": []any{map[string]any{}}}}}
	b := map[string]any{"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": map[string]any{"name": "b"},
		"spec": map[string]any{"name": "b"}}

	in := new(Input)
	in.prepare(a, Config{})
	in.bucketRoom, in.cfgRoom = new(view.Bucket), new(view.BucketConfig)
	in.roomsUsed = true // as Bucket and BucketConfig set it before reading
	in.bucketRoom.Read(a, in.Meta)
	in.cfgRoom.Read(a) // as far as readings that then panicked got
	in.release()
	if r := in.bucketRoom; r.Meta.Name != "" || r.Spec.Present || len(r.Grants) != 0 || len(r.Errors) != 0 || in.cfgRoom.Spec.Present || len(in.cfgRoom.Encryptions) != 0 {
		t.Fatalf("release left the rooms filled: %+v\n%+v", in.bucketRoom, in.cfgRoom)
	}
	for _, g := range in.bucketRoom.Grants[:cap(in.bucketRoom.Grants)] {
		if g.Present || g.Path != nil {
			t.Fatalf("release left a grant in the room: %+v", g)
		}
	}

	in.prepare(b, Config{})
	got, want := in.Bucket(), view.NewBucket(b)
	if len(got.Grants) != len(want.Grants) || len(got.Errors) != 0 || len(got.OwnershipRules) != 0 || got.Name.Value != "b" {
		t.Errorf("bucket b read into the room a left: %d grants (want %d), errors %v, ownership rules %v", len(got.Grants), len(want.Grants), got.Errors, got.OwnershipRules)
	}
	if c := in.BucketConfig(); len(c.Encryptions) != 0 {
		t.Errorf("bucket b's configuration view holds a's encryption rules: %+v", c.Encryptions)
	}
}
