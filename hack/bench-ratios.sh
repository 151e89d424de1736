#!/usr/bin/env bash
# Prints how much slower CEL and Rego are than ackguard's engine on the
# same Bucket checks, from one run of bench/engines (docs/performance.md,
# "Against CEL and Rego"). Ratios from one run are what to compare:
# absolute times move with the machine's load.
#
#   hack/bench-ratios.sh                 # runs the benchmarks, then prints
#   hack/bench-ratios.sh FILE            # reads `go test -bench` output
#   ... | hack/bench-ratios.sh -         # likewise from standard input
#
# With -count=N the median of the N runs of each benchmark is used. The
# ratios are of cpu-ns/op (the process's CPU time per op, which waiting for
# a core on a shared machine does not inflate) when the output has it, else
# of ns/op; METRIC=ns/op asks for wall time.
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [[ $# -eq 0 ]]; then
	(cd "$root/bench/engines" && "$GO" test -run='^$' -bench=. -benchmem -count="${COUNT:-3}") | tee "$out"
	echo
	set -- "$out"
elif [[ $1 == - ]]; then
	cat >"$out"
	set -- "$out"
fi

metric=${METRIC:-}
if [[ -z $metric ]]; then
	metric=ns/op
	if grep -q ' cpu-ns/op' "$1"; then metric=cpu-ns/op; fi
fi

awk -v metric="$metric" '
/^Benchmark/ {
	name = $1
	sub(/-[0-9]+$/, "", name) # the GOMAXPROCS suffix
	v = ""
	for (i = 2; i <= NF; i++) if ($(i) == metric) { v = $(i-1) }
	if (v == "") next
	n[name]++
	t[name, n[name]] = v + 0
}
function median(name,   k, i, j, a, tmp) {
	k = n[name]
	for (i = 1; i <= k; i++) a[i] = t[name, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function ratio(bench, other, base, target,   o, b, r, verdict) {
	o = bench "/" other; b = bench "/" base
	if (!(o in n) || !(b in n)) return
	r = median(o) / median(b)
	verdict = target ? (r >= target ? sprintf("target >= %dx met", target) : sprintf("target >= %dx NOT met", target)) : ""
	printf "  %-19s / %-29s %10.0f / %8.0f = %7.1fx  %s\n", other, base, median(o), median(b), r, verdict
}
END {
	if (length(n) == 0) { print "no benchmark lines found" > "/dev/stderr"; exit 1 }
	split("BenchmarkCleanBucket BenchmarkPublicBucket", benches, " ")
	for (i = 1; i <= 2; i++) {
		bn = benches[i]
		printf "%s (median %s)\n", bn, metric
		ratio(bn, "cel-flags", "ackguard-flags", 0)
		ratio(bn, "cel-flags-policy", "ackguard-flags-policy", 10)
		ratio(bn, "cel-flags-policy", "ackguard-flags-policy-cached", 10)
		ratio(bn, "cel-flags-policy", "ackguard-all-bucket-rules", 0)
		ratio(bn, "rego-flags", "ackguard-flags", 0)
		ratio(bn, "rego-flags-policy", "ackguard-flags-policy", 50)
		ratio(bn, "rego-flags-policy", "ackguard-flags-policy-cached", 50)
		ratio(bn, "rego-flags-policy", "ackguard-all-bucket-rules", 0)
	}
}
' "$1"
