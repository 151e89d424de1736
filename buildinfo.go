package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

func init() {
	bi, _ := debug.ReadBuildInfo()
	version, commit, date = resolveBuildInfo(version, commit, date, bi)
}

// resolveBuildInfo returns the stamped version, commit and date, each
// filled in from what the Go toolchain recorded in the binary when the
// build did not stamp it: the module version (go install ...@v1.2.3, or
// the version go build derives from the checkout's tags) and the VCS
// revision and commit time. A version is written without its leading v,
// as release tags, images and the chart spell it; what nothing tells is
// "dev" and "unknown".
func resolveBuildInfo(version, commit, date string, bi *debug.BuildInfo) (string, string, string) {
	if bi != nil {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	if len(version) > 1 && version[0] == 'v' && version[1] >= '0' && version[1] <= '9' {
		version = version[1:]
	}
	return orDefault(version, "dev"), orDefault(commit, "unknown"), orDefault(date, "unknown")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// versionLine is what `ackguard version` prints.
func versionLine() string {
	return fmt.Sprintf("ackguard %s (commit %s of %s, built with %s for %s/%s)",
		version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
