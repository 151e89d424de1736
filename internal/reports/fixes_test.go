package reports

import (
	"slices"
	"testing"
)

// A rule fixed again keeps one entry, at its latest time; the list it came
// from is left as it was (stored states share it).
func TestFixesWith(t *testing.T) {
	first := fixes(nil).with([]string{"S3-001", "S3-006", "S3-001"}, "t1")
	if want := (fixes{{"S3-001", "t1"}, {"S3-006", "t1"}}); !slices.Equal(first, want) {
		t.Fatalf("first = %v, want %v", first, want)
	}
	second := first.with([]string{"S3-006"}, "t2")
	if want := (fixes{{"S3-001", "t1"}, {"S3-006", "t2"}}); !slices.Equal(second, want) {
		t.Errorf("second = %v, want %v", second, want)
	}
	if at, _ := first.at("S3-006"); at != "t1" {
		t.Errorf("the earlier list changed: S3-006 at %q", at)
	}
	if _, ok := second.at("S3-004"); ok {
		t.Errorf("S3-004 was never fixed")
	}
}
