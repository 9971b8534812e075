#!/usr/bin/env bash
# orchctl_decide.sh - end-to-end test of `orchctl decide`: the CEO's rules on
# JSON states, the original set (the integration guide's example, risk
# meaning risk, unknown values, every rule family) and the default set
# (tail events, drawdown in sigmas, evidence of edge, what a state without
# them answers), and bad input exiting 2 with a message naming the field. JSON checked with /usr/bin/python3. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/orchctl.sh" orchctl_decide

# expect NAME JSON MODE RULE [LIMIT_KEY LIMIT_VALUE], under the rule set $RULES
RULES=original
expect() {
	local name=$1 state=$2 mode=$3 rule=$4
	checks=$((checks + 1))
	printf '%s\n' "$state" >"$tmp/state.json"
	rc=0
	timeout 10 "$bin" decide --rules "$RULES" --state "$tmp/state.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit $rc: $(cat "$tmp/err")"
		return
	fi
	"$PY" - "$tmp/out" "$mode" "$rule" "${5:-}" "${6:-}" <<'PYEOF' || fail "$name: $(cat "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["operating_mode"] == sys.argv[2], d["operating_mode"]
assert d["rule"] == sys.argv[3], d["rule"]
if sys.argv[4]:
    assert abs(d["limits"][sys.argv[4]] - float(sys.argv[5])) < 1e-12, d["limits"]
PYEOF
}

base='"regime": "TRENDING", "health": "HEALTHY", "open_positions": 3'
expect "guide example" \
	"{\"current_mode\": \"EXPANSION\", \"drawdown\": 0.04, \"risk_score\": 75, \"win_rate\": 0.55, $base}" \
	DEFENSIVE defensive_drawdown max_positions 5
expect "high risk alone is defensive" \
	"{\"current_mode\": \"EXPANSION\", \"drawdown\": 0.0, \"risk_score\": 75, \"win_rate\": 0.55, $base}" \
	DEFENSIVE defensive_risk
expect "low risk is never defensive" \
	"{\"current_mode\": \"DEFENSIVE\", \"drawdown\": 0.0, \"risk_score\": 10, \"win_rate\": 0.56, $base}" \
	GROWTH growth max_leverage 15
expect "critical risk" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.0, \"risk_score\": 85, \"win_rate\": 0.6, $base}" \
	BLACK_SWAN black_swan_risk max_leverage 1
expect "critical drawdown" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.08, \"risk_score\": 10, \"win_rate\": 0.6, $base}" \
	BLACK_SWAN black_swan_drawdown
expect "offline" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.0, \"risk_score\": 10, \"win_rate\": 0.6, \"health\": \"OFFLINE\"}" \
	BLACK_SWAN black_swan_offline
expect "critical health" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.0, \"risk_score\": 10, \"win_rate\": 0.6, \"health\": \"CRITICAL\"}" \
	CAPITAL_PRESERVATION preservation_health max_positions 2
expect "expansion" \
	"{\"current_mode\": \"DEFENSIVE\", \"drawdown\": 0.01, \"risk_score\": 45, \"win_rate\": 0.53, $base}" \
	EXPANSION expansion
expect "unknown win rate stays" \
	"{\"current_mode\": \"DEFENSIVE\", \"drawdown\": 0.0, \"risk_score\": 10, \"win_rate\": null, $base}" \
	DEFENSIVE stay
expect "low win rate" \
	"{\"current_mode\": \"EXPANSION\", \"drawdown\": 0.0, \"risk_score\": 40, \"win_rate\": 0.4, $base}" \
	DEFENSIVE defensive_win_rate

RULES=default
dflt='"risk_score": 20, "win_rate": 0.3, "health": "HEALTHY", "book_trades": 40'
expect "default: calm, some edge" \
	"{\"current_mode\": \"DEFENSIVE\", \"drawdown\": 0.06, \"drawdown_sigma\": 0.3, \"book_psr\": 0.7, $dflt}" \
	EXPANSION expansion max_risk_pct_per_trade 0.015
expect "default: an ordinary 8% drawdown is no BLACK_SWAN" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.08, \"drawdown_sigma\": 1.2, \"book_psr\": 0.99, $dflt}" \
	DEFENSIVE defensive_drawdown max_risk_pct_per_trade 0.0075
expect "default: a tail event is" \
	"{\"current_mode\": \"GROWTH\", \"drawdown\": 0.02, \"tail_event\": true, \"book_psr\": 0.99, $dflt}" \
	BLACK_SWAN black_swan_tail max_positions 0
expect "default: a low win rate with a strong edge is GROWTH" \
	"{\"current_mode\": \"EXPANSION\", \"drawdown\": 0.0, \"drawdown_sigma\": 0.1, \"book_psr\": 0.97, $dflt}" \
	GROWTH growth
expect "default: no evidence holds" \
	"{\"current_mode\": \"DEFENSIVE\", \"drawdown\": 0.0, \"drawdown_sigma\": null, \"risk_score\": 20, \"win_rate\": null, \"health\": \"HEALTHY\"}" \
	DEFENSIVE hold
RULES=original

expect_error() {
	local name=$1 state=$2 want=$3
	checks=$((checks + 1))
	printf '%s' "$state" >"$tmp/state.json"
	rc=0
	timeout 10 "$bin" decide --state "$tmp/state.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || { fail "$name: exit $rc, want 2"; return; }
	[ ! -s "$tmp/out" ] || fail "$name: stdout not empty"
	grep -qF -- "$want" "$tmp/err" || fail "$name: stderr '$(cat "$tmp/err")' lacks '$want'"
}
expect_error "bad JSON" '{"current_mode": ' "state.json:1:"
expect_error "missing health" '{"current_mode": "GROWTH", "drawdown": 0, "risk_score": 1, "win_rate": 0.5}' \
	"missing field 'health'"
expect_error "missing drawdown" '{"current_mode": "GROWTH", "risk_score": 1, "win_rate": 0.5, "health": "HEALTHY"}' \
	"missing field 'drawdown'"
expect_error "risk out of range" \
	'{"current_mode": "GROWTH", "drawdown": 0, "risk_score": 101, "win_rate": 0.5, "health": "HEALTHY"}' \
	"field 'risk_score' must be a number in [0, 100] or null"
expect_error "unknown mode" \
	'{"current_mode": "NORMAL", "drawdown": 0, "risk_score": 1, "win_rate": 0.5, "health": "HEALTHY"}' \
	"field 'current_mode' must be EXPANSION"
expect_error "not an object" '[1, 2]' "the state must be a JSON object"
checks=$((checks + 1))
rc=0
printf '{"current_mode": "GROWTH", "drawdown": 0, "risk_score": 1, "win_rate": 0.5, "health": "HEALTHY"}' >"$tmp/state.json"
"$bin" decide --rules newest --state "$tmp/state.json" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "rules must be default or original" "$tmp/err" || fail "bad --rules: exit $rc"
checks=$((checks + 1))
rc=0
"$bin" decide >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "missing --state FILE" "$tmp/err" || fail "no --state"

if [ "$failures" -ne 0 ]; then
	echo "orchctl_decide: $failures of $checks checks failed" >&2
	exit 1
fi
echo "orchctl_decide: $checks checks passed"
