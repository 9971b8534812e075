#!/usr/bin/env bash
# run.sh - runs the built benchmarks (build/tests/bench/bench_*), or only
# the one named by the second argument (make bench BENCH=bus). Each prints
# BENCH lines with its figure beside a ceiling measured in the same run.
set -euo pipefail
build=${1:-build}
only=${2:-}
found=0
for b in "$build"/tests/bench/bench_*; do
	[ -x "$b" ] || continue
	name=${b##*/bench_}
	if [ -n "$only" ] && [ "$name" != "$only" ]; then
		continue
	fi
	found=1
	echo "== bench $name"
	"$b"
done
if [ "$found" -eq 0 ]; then
	echo "no benchmark named '${only}'" >&2
	exit 1
fi
