package manager

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// CPURequestEnv names the environment variable the deployment sets to the
// container's CPU request in millicores (the downward API's
// resourceFieldRef requests.cpu with divisor 1m).
const CPURequestEnv = "ACKGUARD_CPU_REQUEST"

// MaxProcs returns how many CPUs the Go runtime should run Go code on at
// once, from the environment (getenv), given the runtime's own default
// (current): the container's CPU request rounded up to whole CPUs, at
// least one, when that is fewer than current; 0 (keep current) when
// GOMAXPROCS is set (the runtime reads it itself), the request is not
// given or is zero, or it is not fewer.
//
// The runtime's default follows the CPU count and a CPU limit, never
// going under two; a process that keeps more threads running than the CPU
// it was given spends the difference looking for work. On a node whose
// CPUs are busy (the API server beside it, on a small control plane), the
// manager paid a fifth to a third more CPU per admission with two than
// with one (docs/performance.md, "One CPU for a manager that asks for
// less than one").
func MaxProcs(getenv func(string) string, current int) (int, error) {
	if getenv("GOMAXPROCS") != "" {
		return 0, nil
	}
	v := strings.TrimSpace(getenv(CPURequestEnv))
	if v == "" {
		return 0, nil
	}
	millis, err := strconv.ParseInt(v, 10, 64)
	if err != nil || millis < 0 {
		return 0, fmt.Errorf("%s=%q is not a number of millicores", CPURequestEnv, v)
	}
	if millis == 0 {
		return 0, nil // no request: the runtime's default
	}
	n := int64(1)
	if whole := (millis + 999) / 1000; whole > 1 {
		n = whole
	}
	if n >= int64(current) {
		return 0, nil
	}
	return int(n), nil
}

// ApplyMaxProcs sets GOMAXPROCS from the environment (MaxProcs) and returns
// it (0: unchanged).
func ApplyMaxProcs(getenv func(string) string) (int, error) {
	n, err := MaxProcs(getenv, runtime.GOMAXPROCS(0))
	if err != nil || n == 0 {
		return 0, err
	}
	runtime.GOMAXPROCS(n)
	return n, nil
}
