package view_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules/rulestest"
	"github.com/ackguard/ackguard/internal/view"
)

// BenchmarkNewBucket builds the view of a clean Bucket, as every S3 rule
// evaluation does once.
func BenchmarkNewBucket(b *testing.B) {
	obj := rulestest.CleanBucket()
	meta := view.ReadMeta(obj)
	b.ReportAllocs()
	for b.Loop() {
		_ = view.BucketWithMeta(obj, meta)
	}
}
