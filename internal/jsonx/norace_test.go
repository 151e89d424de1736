//go:build !race

package jsonx

// raceEnabled: see race_test.go.
const raceEnabled = false
