#!/usr/bin/env bash
# run.sh - make chaos: runs each attack program given (built from
# tests/chaos/*.c), one after the other, each against a layer of its own
# and within a time limit; then prints one table of every check, attack ->
# outcome -> PASS, FAIL, XFAIL (known to fail on main until the work it
# names lands) or XPASS (that work landed: flip the check to a plain one),
# what the XFAILs wait for, and a closing line of counts. Exits 1 when a
# check FAILed or a program ended without reporting why.
set -u
limit=${CHAOS_PROGRAM_TIMEOUT_S:-240}
rows=$(mktemp "${TMPDIR:-/tmp}/chaos-rows.XXXXXX")
out=$(mktemp "${TMPDIR:-/tmp}/chaos-out.XXXXXX")
trap 'rm -f "$rows" "$out"' EXIT
broken=0
for p in "$@"; do
	name=$(basename "$p")
	start=$SECONDS
	timeout "$limit" "$p" >"$out"
	rc=$?
	grep -v '^CHAOS	' "$out"
	grep '^CHAOS	' "$out" | sed "s/^CHAOS	\\([A-Z]*\\)	/\\1	$name	/" >>"$rows"
	echo "== $name: $(grep -c '^CHAOS	' "$out") checks, exit $rc, $((SECONDS - start)) s"
	if [ "$rc" -ne 0 ] && ! grep -q '^CHAOS	FAIL	' "$out"; then
		printf 'FAIL\t%s\t%s\t%s\n' "$name" "the program" "exit $rc without a failed check ($limit s limit)" >>"$rows"
		broken=1
	fi
done
echo
awk -F'\t' -v secs="$SECONDS" '
{
	n[$1]++
	st[NR] = $1; fam[NR] = $2; att[NR] = $3; oc[NR] = $4
	if (length($3) > w) w = length($3)
	if ($1 == "XFAIL" && match($4, /\[waits for: .*\]$/))
		waits[substr($4, RSTART + 12, RLENGTH - 13)]++
}
END {
	if (w > 56) w = 56
	printf "%-6s %-15s %-" w "s %s\n", "RESULT", "FAMILY", "ATTACK", "OUTCOME"
	for (i = 1; i <= NR; i++) {
		o = oc[i]
		sub(/ \([^()]*\)\]$/, "]", o) # what it waits for in full below the table
		printf "%-6s %-15s %-" w "s %s\n", st[i], fam[i], att[i], o
	}
	print ""
	for (k in waits)
		printf "XFAIL x%d waits for %s\n", waits[k], k
	printf "chaos: %d checks: %d PASS, %d XFAIL, %d XPASS, %d FAIL in %d s\n", NR, n["PASS"], n["XFAIL"],
		n["XPASS"], n["FAIL"], secs
}' "$rows"
! grep -q '^FAIL	' "$rows" && [ "$broken" -eq 0 ]
