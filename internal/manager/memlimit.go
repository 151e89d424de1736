package manager

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// MemoryLimitEnv names the environment variable the deployment sets to
// the container's memory limit in bytes (the downward API's
// resourceFieldRef limits.memory).
const MemoryLimitEnv = "ACKGUARD_MEMORY_LIMIT"

// memoryLimitShare is the part of the container's limit the Go heap may
// grow to before the collector works harder to stay under it; the rest is
// left to what the runtime does not count (the binary's pages, buffers).
const memoryLimitShare = 0.9

// SoftMemoryLimit returns the soft memory limit to give the Go runtime
// from the environment (getenv): none (0) when GOMEMLIMIT is set (the
// runtime reads it itself) or the container's limit is not given; else
// 90% of the container's limit. Without a soft limit the heap grows to
// twice what is live between collections (GOGC=100): with ten thousand
// guarded objects cached, a spike of garbage then crosses a limit the live
// objects stay well under, and the container is killed.
func SoftMemoryLimit(getenv func(string) string) (int64, error) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	n, ok, err := wholeFromEnv(getenv, MemoryLimitEnv, "bytes", 1)
	if !ok {
		return 0, err
	}
	return int64(math.Floor(float64(n) * memoryLimitShare)), nil
}

// wholeFromEnv reads the variable name (getenv) as a whole number of unit,
// at least least; ok is false when it is blank or not such a number, the
// latter an error.
func wholeFromEnv(getenv func(string) string, name, unit string, least int64) (n int64, ok bool, err error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, false, nil
	}
	if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < least {
		return 0, false, fmt.Errorf("%s=%q is not a number of %s", name, v, unit)
	}
	return n, true, nil
}

// ApplySoftMemoryLimit sets the Go runtime's soft memory limit from the
// environment (SoftMemoryLimit) and returns it (0: unchanged).
func ApplySoftMemoryLimit(getenv func(string) string) (int64, error) {
	limit, err := SoftMemoryLimit(getenv)
	if err != nil || limit == 0 {
		return 0, err
	}
	debug.SetMemoryLimit(limit)
	return limit, nil
}
