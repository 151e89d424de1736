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

// BenchmarkNewBucketConfig builds the view of a clean Bucket's
// configuration fields, as the configuration rules' evaluation does once.
func BenchmarkNewBucketConfig(b *testing.B) {
	obj := rulestest.CleanBucket()
	b.ReportAllocs()
	for b.Loop() {
		_ = view.NewBucketConfig(obj)
	}
}

// BenchmarkBucketConfigRead reads the same view into one kept
// BucketConfig, as an evaluation of the rules does (rules.Input).
func BenchmarkBucketConfigRead(b *testing.B) {
	obj := rulestest.CleanBucket()
	c := new(view.BucketConfig)
	b.ReportAllocs()
	for b.Loop() {
		c.Read(obj)
		c.Clear()
	}
}

// BenchmarkBucketRead reads the same Bucket view into one kept Bucket,
// as an evaluation of the rules does (rules.Input).
func BenchmarkBucketRead(b *testing.B) {
	obj := rulestest.CleanBucket()
	meta := view.ReadMeta(obj)
	v := new(view.Bucket)
	b.ReportAllocs()
	for b.Loop() {
		v.Read(obj, meta)
		v.Clear()
	}
}
