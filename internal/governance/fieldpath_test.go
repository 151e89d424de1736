package governance

import (
	"testing"

	"github.com/ackguard/ackguard/internal/view"
)

// A denial's field path reads as the finding's path does in scan's
// output: list indexes as indexes, keys as keys, a numeric key kept as
// written.
func TestFieldPathMatchesThePath(t *testing.T) {
	for _, tt := range []struct {
		path view.Path
		want string
	}{
		{view.NewPath("spec", "rules").Index(0).Child("objectOwnership"), "spec.rules[0].objectOwnership"},
		{view.NewPath("spec", "inlinePolicies", "007"), "spec.inlinePolicies[007]"},
		{view.NewPath("spec", "inlinePolicies", "7"), "spec.inlinePolicies[7]"},
		{view.NewPath("spec", "inlinePolicies", "my policy"), "spec.inlinePolicies[my policy]"},
		{view.NewPath("spec", "tags", "99999999999999999999"), "spec.tags[99999999999999999999]"},
		{view.NewPath("spec"), "spec"},
	} {
		if got := FieldPath(tt.path).String(); got != tt.want {
			t.Errorf("FieldPath(%q) = %s, want %s", tt.path.String(), got, tt.want)
		}
	}
}
