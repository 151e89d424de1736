package manager

import (
	"runtime"
	"testing"
)

func TestMaxProcs(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		current  int
		want     int
		wantFrom string
		wantErr  bool
	}{
		{env: nil, current: 8, want: 0, wantFrom: MaxProcsFromRuntime},
		{env: map[string]string{CPURequestEnv: "50"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: " 1000 "}, current: 4, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "\t50\n"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "1001"}, current: 4, want: 2, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "2500"}, current: 8, want: 3, wantFrom: MaxProcsFromRequest},
		// Never more than the runtime chose (CPUs, affinity, a CPU limit).
		{env: map[string]string{CPURequestEnv: "4000"}, current: 2, want: 0, wantFrom: MaxProcsFromRuntime},
		{env: map[string]string{CPURequestEnv: "1500"}, current: 2, want: 0, wantFrom: MaxProcsFromRuntime},
		{env: map[string]string{CPURequestEnv: "50"}, current: 1, want: 0, wantFrom: MaxProcsFromRuntime},
		{env: map[string]string{CPURequestEnv: "9223372036854775807"}, current: 64, want: 0, wantFrom: MaxProcsFromRuntime},
		// No request: the downward API gives 0; blank is unset.
		{env: map[string]string{CPURequestEnv: "0"}, current: 8, want: 0, wantFrom: MaxProcsFromRuntime},
		{env: map[string]string{CPURequestEnv: " "}, current: 8, want: 0, wantFrom: MaxProcsFromRuntime},
		// GOMAXPROCS wins when the runtime takes it: a positive whole number.
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": "4"}, current: 4, want: 0, wantFrom: MaxProcsFromVariable},
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": "0"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": "all"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": " 4"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "50", "GOMAXPROCS": "3000000000"}, current: 2, want: 1, wantFrom: MaxProcsFromRequest},
		{env: map[string]string{CPURequestEnv: "50m"}, current: 2, wantErr: true},
		{env: map[string]string{CPURequestEnv: "0.5"}, current: 2, wantErr: true},
		{env: map[string]string{CPURequestEnv: "-5"}, current: 2, wantErr: true},
	} {
		got, from, err := MaxProcs(func(k string) string { return tc.env[k] }, tc.current)
		if got != tc.want || from != tc.wantFrom || (err != nil) != tc.wantErr {
			t.Errorf("MaxProcs(%q, %d) = %d, %q, %v; want %d, %q (error: %v)", tc.env, tc.current, got, from, err, tc.want, tc.wantFrom, tc.wantErr)
		}
	}
}

func TestApplyMaxProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runtime.GOMAXPROCS(4)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == CPURequestEnv {
				return v
			}
			return ""
		}
	}
	if got, from, err := ApplyMaxProcs(env("1200")); err != nil || got != 2 || from != MaxProcsFromRequest || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("ApplyMaxProcs = %d, %q, %v; GOMAXPROCS %d", got, from, err, runtime.GOMAXPROCS(0))
	}
	if got, from, err := ApplyMaxProcs(env("")); got != 2 || from != MaxProcsFromRuntime || err != nil || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("without the variable: %d, %q, %v; GOMAXPROCS %d", got, from, err, runtime.GOMAXPROCS(0))
	}
	if _, _, err := ApplyMaxProcs(env("half")); err == nil || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("a bad value: %v, GOMAXPROCS %d", err, runtime.GOMAXPROCS(0))
	}
}
