#!/usr/bin/env bash
# run.sh - runs each test program given (Check binaries or e2e scripts) with
# a time limit, prints PASS/FAIL per program and one closing line
# "N passed, M failed" (programs), and fails if any program failed.
set -u
passed=0
failed=0
failures=()
for t in "$@"; do
	echo "== $t"
	if timeout 600 "$t"; then
		echo "PASS $t"
		passed=$((passed + 1))
	else
		echo "FAIL $t (exit $?)"
		failed=$((failed + 1))
		failures+=("$t")
	fi
done
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
