package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
	line := "4242 (ackguard (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("parseStatCPU = %s, want %s (300 ticks)", got, want)
	}
	for _, bad := range []string{"", "4242 ackguard S 1", "1 (a) S 1 2 3"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted a malformed line", bad)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tackguard\nVmHWM:\t   61440 kB\nVmRSS:\t   51200 kB\n"
	for key, want := range map[string]int64{"VmRSS": 50 << 20, "VmHWM": 60 << 20} {
		got, err := parseStatusKB(status, key)
		if err != nil || got != want {
			t.Errorf("parseStatusKB(%s) = %d, %v; want %d", key, got, err, want)
		}
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("a missing key was not an error")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("percentile(%v) = %s, want %s", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestCompliant(t *testing.T) {
	if !compliant(bucketSpec("ns", "b", true)) {
		t.Error("the secure Bucket is not compliant")
	}
	if compliant(bucketSpec("ns", "b", false)) {
		t.Error("the insecure Bucket is compliant")
	}
}

func TestParsePhases(t *testing.T) {
	all, err := parsePhases("all")
	if err != nil || len(all) != len(phaseGroups) {
		t.Fatalf("parsePhases(all) = %v, %v; want every group", all, err)
	}
	got, err := parsePhases("kyverno, none")
	if err != nil || len(got) != 2 || !got["kyverno"] || !got["none"] {
		t.Errorf("parsePhases(kyverno, none) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "kyverno,", "gatekeeper", "Kyverno"} {
		if _, err := parsePhases(bad); err == nil {
			t.Errorf("parsePhases(%q) accepted an unknown group", bad)
		}
	}
}

func TestRunRefusesKyvernoWithoutBinary(t *testing.T) {
	t.Setenv("KYVERNO_BIN", "")
	var out, errOut strings.Builder
	if code := run([]string{"-phases", "kyverno"}, &out, &errOut); code != 2 {
		t.Fatalf("run(-phases kyverno) without KYVERNO_BIN = %d, want 2 (stderr %q)", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "KYVERNO_BIN") {
		t.Errorf("the error does not name KYVERNO_BIN: %q", errOut.String())
	}
}
