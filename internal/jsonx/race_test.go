//go:build race

package jsonx

// raceEnabled: the race detector's sync.Pool drops a share of what is put
// back at random, so a pooled parser's recycled slabs may be gone.
const raceEnabled = true
