// Package benchcpu is test support for benchmarks: Loop reports the
// process's CPU time per iteration besides wall time. Only _test.go files
// import it.
package benchcpu

import "testing"

// Loop runs f for the benchmark's iterations and, where the platform
// tells, also reports the process's CPU time per iteration (user and
// system, the garbage collector's included) as cpu-ns/op. On a machine
// shared with other work, wall time per op counts the time the benchmark
// waits for a core; CPU time does not, so ratios of cpu-ns/op move less
// from run to run.
func Loop(b *testing.B, f func()) {
	start, ok := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if end, ok2 := cpuTime(); ok && ok2 && n > 0 {
		b.ReportMetric(float64((end-start).Nanoseconds())/float64(n), "cpu-ns/op")
	}
}
