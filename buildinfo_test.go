package main

import (
	"runtime/debug"
	"testing"
)

func TestResolveBuildInfo(t *testing.T) {
	recorded := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/ackguard/ackguard", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-03-01T10:00:00Z"},
		},
	}
	devel := &debug.BuildInfo{Main: debug.Module{Path: "github.com/ackguard/ackguard", Version: "(devel)"}}
	for _, tc := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  [3]string
	}{
		{"stamped wins over what the toolchain recorded", "1.5.0-rc.1", "fedcba", "2026-04-01T00:00:00Z", recorded,
			[3]string{"1.5.0-rc.1", "fedcba", "2026-04-01T00:00:00Z"}},
		{"go install module@v1.4.0 (unstamped)", "", "", "", recorded,
			[3]string{"1.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-03-01T10:00:00Z"}},
		{"stamped with the tag's leading v", "v2.0.0", "", "", nil, [3]string{"2.0.0", "unknown", "unknown"}},
		{"a version that only starts with v keeps it", "vanilla", "", "", nil, [3]string{"vanilla", "unknown", "unknown"}},
		{"go build outside any checkout", "", "", "", devel, [3]string{"dev", "unknown", "unknown"}},
		{"no build information at all", "", "", "", nil, [3]string{"dev", "unknown", "unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, c, d := resolveBuildInfo(tc.version, tc.commit, tc.date, tc.bi)
			if got := [3]string{v, c, d}; got != tc.want {
				t.Errorf("resolveBuildInfo = %q, want %q", got, tc.want)
			}
		})
	}
}
