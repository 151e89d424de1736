package manager

import (
	"runtime"
	"strconv"
)

// CPURequestEnv names the environment variable the deployment sets to the
// container's CPU request in millicores (the downward API's
// resourceFieldRef requests.cpu with divisor 1m).
const CPURequestEnv = "ACKGUARD_CPU_REQUEST"

// Where GOMAXPROCS came from, as MaxProcs reports it.
const (
	MaxProcsFromVariable = "the GOMAXPROCS variable"
	MaxProcsFromRequest  = "the container's CPU request, rounded up"
	MaxProcsFromRuntime  = "the Go runtime's default"
)

// MaxProcs returns how many CPUs the Go runtime should run Go code on at
// once, from the environment (getenv), given the runtime's own default
// (current), and where that number comes from: the container's CPU
// request rounded up to whole CPUs, at least one, when that is fewer than
// current; else 0 (keep current) when GOMAXPROCS is set to a positive
// whole number (the runtime has read it), the request is not given or is
// zero, or it is not fewer.
//
// The runtime's default follows the CPU count, the CPU affinity and a
// cgroup CPU limit, which counts as at least two; without a limit it is
// every CPU of the node. A process that has more Ps than CPU to spare
// wakes them and keeps them looking for work: on a two-CPU machine shared
// with the API server, one P cost the manager less CPU per admission than
// two (docs/performance.md, "One CPU for a manager that asks for less
// than one": medians 22 % and 37 % lower with all defaults
// and with the reconciler off, 12–41 % pair by pair).
func MaxProcs(getenv func(string) string, current int) (int, string, error) {
	// As the runtime reads it (runtime/proc.go): untrimmed, 32 bits.
	if v, err := strconv.ParseInt(getenv("GOMAXPROCS"), 10, 32); err == nil && v > 0 {
		return 0, MaxProcsFromVariable, nil
	}
	millis, ok, err := wholeFromEnv(getenv, CPURequestEnv, "millicores", 0)
	if err != nil {
		return 0, "", err
	}
	if !ok || millis == 0 { // 0: no request
		return 0, MaxProcsFromRuntime, nil
	}
	// Rounded up: at least one, as millis is not 0.
	whole := millis / 1000
	if millis%1000 != 0 {
		whole++
	}
	if whole >= int64(current) {
		return 0, MaxProcsFromRuntime, nil
	}
	return int(whole), MaxProcsFromRequest, nil
}

// ApplyMaxProcs sets GOMAXPROCS from the environment (MaxProcs) and returns
// the number in effect and where it came from. Setting it stops the
// runtime's own updates of its default (to CPU or limit changes), which a
// CPU request handed down at the container's start would not follow
// either.
func ApplyMaxProcs(getenv func(string) string) (int, string, error) {
	n, from, err := MaxProcs(getenv, runtime.GOMAXPROCS(0))
	if err != nil {
		return 0, "", err
	}
	if n > 0 {
		runtime.GOMAXPROCS(n)
	}
	return runtime.GOMAXPROCS(0), from, nil
}
