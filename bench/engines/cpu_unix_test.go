//go:build unix

package engines

import (
	"syscall"
	"testing"
	"time"
)

// loop runs f for the benchmark's iterations and also reports the
// process's CPU time per iteration (user and system, the garbage
// collector's included) as cpu-ns/op. On a machine shared with other
// work, wall time per op counts the time the benchmark waits for a core;
// CPU time does not, so ratios of cpu-ns/op move less from run to run.
func loop(b *testing.B, f func()) {
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(n), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
