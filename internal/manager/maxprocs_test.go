package manager

import (
	"runtime"
	"testing"
)

func TestMaxProcs(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		current int
		want    int
		wantErr bool
	}{
		{env: nil, current: 8, want: 0},
		{env: map[string]string{CPURequestEnv: "50"}, current: 2, want: 1},
		{env: map[string]string{CPURequestEnv: " 1000 "}, current: 4, want: 1},
		{env: map[string]string{CPURequestEnv: "1001"}, current: 4, want: 2},
		{env: map[string]string{CPURequestEnv: "2500"}, current: 8, want: 3},
		// Never more than the runtime chose (CPUs, affinity, a CPU limit).
		{env: map[string]string{CPURequestEnv: "4000"}, current: 2, want: 0},
		{env: map[string]string{CPURequestEnv: "1500"}, current: 2, want: 0},
		{env: map[string]string{CPURequestEnv: "50"}, current: 1, want: 0},
		// No request: the downward API gives 0.
		{env: map[string]string{CPURequestEnv: "0"}, current: 8, want: 0},
		// GOMAXPROCS wins.
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": "4"}, current: 4, want: 0},
		{env: map[string]string{CPURequestEnv: "50m"}, current: 2, wantErr: true},
		{env: map[string]string{CPURequestEnv: "0.5"}, current: 2, wantErr: true},
		{env: map[string]string{CPURequestEnv: "-5"}, current: 2, wantErr: true},
	} {
		got, err := MaxProcs(func(k string) string { return tc.env[k] }, tc.current)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("MaxProcs(%v, %d) = %d, %v; want %d (error: %v)", tc.env, tc.current, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestApplyMaxProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runtime.GOMAXPROCS(4)
	got, err := ApplyMaxProcs(func(k string) string {
		if k == CPURequestEnv {
			return "1200"
		}
		return ""
	})
	if err != nil || got != 2 || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("ApplyMaxProcs = %d, %v; GOMAXPROCS %d", got, err, runtime.GOMAXPROCS(0))
	}
	if got, err := ApplyMaxProcs(func(string) string { return "" }); got != 0 || err != nil || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("without the variable GOMAXPROCS changed: %d, %v, %d", got, err, runtime.GOMAXPROCS(0))
	}
	if _, err := ApplyMaxProcs(func(k string) string {
		if k == CPURequestEnv {
			return "half"
		}
		return ""
	}); err == nil || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("a bad value: %v, GOMAXPROCS %d", err, runtime.GOMAXPROCS(0))
	}
}
