package manager

import (
	"runtime/debug"
	"testing"
)

func TestSoftMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    int64
		wantErr bool
	}{
		{env: nil, want: 0},
		{env: map[string]string{MemoryLimitEnv: "268435456"}, want: 241591910},
		{env: map[string]string{MemoryLimitEnv: " 1000 "}, want: 900},
		{env: map[string]string{MemoryLimitEnv: "268435456", "GOMEMLIMIT": "100MiB"}, want: 0},
		{env: map[string]string{MemoryLimitEnv: "256Mi"}, wantErr: true},
		{env: map[string]string{MemoryLimitEnv: "0"}, wantErr: true},
		{env: map[string]string{MemoryLimitEnv: "-5"}, wantErr: true},
	} {
		got, err := SoftMemoryLimit(func(k string) string { return tc.env[k] })
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("SoftMemoryLimit(%v) = %d, %v; want %d (error: %v)", tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestApplySoftMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	got, err := ApplySoftMemoryLimit(func(k string) string {
		if k == MemoryLimitEnv {
			return "1073741824"
		}
		return ""
	})
	if err != nil || got != 966367641 || debug.SetMemoryLimit(-1) != got {
		t.Fatalf("ApplySoftMemoryLimit = %d, %v; runtime limit %d", got, err, debug.SetMemoryLimit(-1))
	}
	if got, err := ApplySoftMemoryLimit(func(string) string { return "" }); got != 0 || err != nil || debug.SetMemoryLimit(-1) != 966367641 {
		t.Fatalf("without the variable the limit changed: %d, %v", got, err)
	}
}
