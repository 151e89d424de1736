package reports

import (
	"slices"
	"testing"
	"time"
	"unsafe"
)

// The fixes come in the order of their rules, in UTC, and a time that did
// not change keeps the string stored before (stored states share it).
func TestNewFixes(t *testing.T) {
	t1 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("east", 3600))
	t2 := t1.Add(time.Minute)
	first := newFixes(map[string]time.Time{"S3-006": t2, "S3-001": t1}, nil)
	if want := (fixes{{"S3-001", "2026-12-07T09:00:00Z"}, {"S3-006", "2026-12-07T09:01:00Z"}}); !slices.Equal(first, want) {
		t.Fatalf("first = %v, want %v", first, want)
	}
	second := newFixes(map[string]time.Time{"S3-001": t1, "S3-006": t2.Add(time.Hour)}, first)
	if unsafe.StringData(second[0].at) != unsafe.StringData(first[0].at) {
		t.Errorf("S3-001's unchanged time is a new string")
	}
	if at, _ := second.at("S3-006"); at != "2026-12-07T10:01:00Z" {
		t.Errorf("S3-006 at %q", at)
	}
	if _, ok := second.at("S3-004"); ok {
		t.Errorf("S3-004 was never fixed")
	}
}
