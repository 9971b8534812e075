#!/usr/bin/env bash
# config_doc.sh - the settings reference cannot drift from the code:
# docs/configuration.md must equal `orchctl config --markdown` (generated
# from the tables the services load), and every service's --help-config
# lists its own settings and the common ones. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/orchctl.sh" config_doc
src=${ORCH_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(dirname "$bin")

checks=$((checks + 1))
"$bin" config --markdown >"$tmp/configuration.md"
if ! diff -u "$src/docs/configuration.md" "$tmp/configuration.md" >"$tmp/diff"; then
	fail "docs/configuration.md differs from the settings tables; regenerate it with build/bin/orchctl config --markdown >docs/configuration.md:"
	head -40 "$tmp/diff" >&2
fi

# service, one of its own settings
for pair in ceo:ORCH_CEO_INTERVAL_S risk_officer:ORCH_RISK_WINDOW strategy_officer:ORCH_STRATEGY_MIN_TRADES \
	federation:ORCH_API_TOKEN; do
	svc=${pair%%:*} key=${pair#*:}
	checks=$((checks + 1))
	out=$("$bindir/$svc" --help-config) || { fail "$svc --help-config exited $?"; continue; }
	grep -q "^  $key = " <<<"$out" && grep -q "^  ORCH_REDIS_URL = " <<<"$out" ||
		fail "$svc --help-config lacks $key or ORCH_REDIS_URL"
	# and every setting it lists is in the reference
	for k in $(grep -o '^  ORCH_[A-Z_]*' <<<"$out"); do
		grep -q "| \`$k\` |" "$src/docs/configuration.md" || fail "$svc: $k is not in docs/configuration.md"
	done
	checks=$((checks + 1))
	rc=0
	"$bindir/$svc" --no-such-flag >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "$svc --no-such-flag exited $rc, not 2"
done

checks=$((checks + 1))
rc=0
"$bin" config no_such_table >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "no settings table 'no_such_table'" "$tmp/err" || fail "unknown table: exit $rc"

if [ "$failures" -ne 0 ]; then
	echo "config_doc: $failures of $checks checks failed" >&2
	exit 1
fi
echo "config_doc: $checks checks passed"
