//go:build !unix

package rules_test

import "testing"

// loop runs f for the benchmark's iterations (no CPU time metric here).
func loop(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
