#!/usr/bin/env bash
# legacy_gate.sh - end-to-end test of the live gate: quantum_trader's
# orchestration client (legacy_client.py: the original orchestrator.py from
# ORCH_ORIGINAL_SRC when set, required then to agree with the documented
# one; else the documented client alone) against a real federation and ceo
# over a private redis-server, through /compat on the API port and through
# the legacy ports (ORCH_LEGACY_PORTS). Before any state the client is
# answered from the safe side and skips; in EXPANSION it trades the
# engine's size; a disabled strategy is refused; in DEFENSIVE it sizes
# smaller; in BLACK_SWAN it skips the signal; state older than
# ORCH_GATE_STALE_S answers the safe side (EMERGENCY here); malformed bodies
# get a 400 JSON error, a NaN confidence a refusal; the legacy ports answer
# as /compat does; SIGTERM ends the federation cleanly. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/stack.sh" legacy_gate
here=$(cd "$(dirname "$0")" && pwd)
"$PY" -c 'import httpx' 2>/dev/null || { echo "legacy_gate: needs Debian's python3-httpx" >&2; exit 1; }
original=${ORCH_ORIGINAL_SRC:-}
[ -n "$original" ] && echo "legacy_gate: the original client runs too ($original)" ||
	echo "legacy_gate: ORCH_ORIGINAL_SRC not set: the documented client runs alone"

wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }
a1=$(free_port) l1=$(free_port) l2=$(free_port) l3=$(free_port) a2=$(free_port)
ORCH_INSTANCE_ID=gate-1 ORCH_API_PORT=$a1 ORCH_LEGACY_PORTS=$l1,$l2,$l3 "$bindir/federation" 2>"$tmp/fed1.log" &
fed1=$!
pids+=($fed1)
ORCH_INSTANCE_ID=gate-2 ORCH_API_PORT=$a2 ORCH_GATE_STALE_S=1 ORCH_GATE_SAFE_SIDE=EMERGENCY \
	"$bindir/federation" 2>"$tmp/fed2.log" &
pids+=($!)
wait_http "http://127.0.0.1:$a1/healthz" && wait_http "http://127.0.0.1:$l1/health" &&
	wait_http "http://127.0.0.1:$a2/healthz" || { echo "legacy_gate: the federations did not start" >&2; exit 1; }
compat1=(--ceo "http://127.0.0.1:$a1/compat/ceo" --strategy "http://127.0.0.1:$a1/compat/strategy"
	--risk "http://127.0.0.1:$a1/compat/risk")
legacy1=(--ceo "http://127.0.0.1:$l1" --strategy "http://127.0.0.1:$l2" --risk "http://127.0.0.1:$l3")
compat2=(--ceo "http://127.0.0.1:$a2/compat/ceo" --strategy "http://127.0.0.1:$a2/compat/strategy"
	--risk "http://127.0.0.1:$a2/compat/risk")

# client OUT URLS... -- ARGS: one BTCUSDT BUY signal (confidence 0.8, the
# engine's own 1000 USD at 5x unless ARGS say otherwise) through the
# client; the result in $tmp/OUT. With the original, both run and must
# agree (the CEO's confidence aside: it falls with the decision's age).
client() {
	local out=$1
	shift
	local args=(--symbol BTCUSDT --direction BUY --confidence 0.8 "$@")
	checks=$((checks + 1))
	ORCH_ORIGINAL_SRC='' timeout 30 "$PY" "$here/legacy_client.py" "${args[@]}" >"$tmp/$out" 2>"$tmp/err" ||
		{ fail "$out: documented client failed: $(cat "$tmp/err")"; return; }
	[ -n "$original" ] || return 0
	checks=$((checks + 1))
	timeout 30 "$PY" "$here/legacy_client.py" --original "$original" "${args[@]}" >"$tmp/$out.orig" 2>"$tmp/err" ||
		{ fail "$out: original client failed: $(cat "$tmp/err")"; return; }
	same "$out" "$out.orig" || fail "$out: the original and the documented client differ"
}
# same A B: two client results agree but for who ran and the CEO's confidence
same() {
	"$PY" - "$tmp/$1" "$tmp/$2" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    for k in ("client", "source", "ceo_confidence"):
        d.pop(k)
if a != b:
    print(a, "\n", b, file=sys.stderr)
    sys.exit(1)
EOF
}
# expect NAME FILE EXPR: EXPR over d (the JSON in $tmp/FILE) holds
expect() {
	checks=$((checks + 1))
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert $3" "$tmp/$2" 2>/dev/null ||
		fail "$1: $3 does not hold for $(head -c 500 "$tmp/$2")"
}
# get FILE URL [curl args]: the body in $tmp/FILE, the status in $tmp/FILE.code
get() {
	local f=$1 url=$2
	shift 2
	curl -s --max-time 5 -o "$tmp/$f" -w '%{http_code}' "$@" "$url" >"$tmp/$f.code" || true
}
# until_status URL EXPR: polls a CEO status until EXPR holds (10 s)
until_status() {
	for _ in $(seq 1 100); do
		get poll "$1"
		"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not ($2))" "$tmp/poll" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# set_mode MODE GATE_MODE: an operator's command to the CEO, repeated until
# the federation answers GATE_MODE for MODE
set_mode() {
	for i in $(seq 1 10); do
		publish_command "{\"request_id\": \"gate-$1-$i\", \"action\": \"set_mode\", \"mode\": \"$1\", \"reason\": \"e2e\", \"operator\": \"e2e\"}"
		until_status "http://127.0.0.1:$a1/compat/ceo/status" \
			"d['mode'] == '$2' and d['operating_mode'] == '$1' and not d['safe_side']" && return 0
	done
	fail "the gate never answered $2 for $1: $(cat "$tmp/poll")"
}

# no state yet: the safe side, never ACTIVE; the client skips
get st1 "http://127.0.0.1:$a1/compat/ceo/status"
expect "no state: PASSIVE" st1 "d['mode'] == 'PASSIVE' and d['safe_side'] and d['confidence'] == 0"
get st2 "http://127.0.0.1:$a2/compat/ceo/status"
expect "no state, safe side EMERGENCY" st2 "d['mode'] == 'EMERGENCY' and d['safe_side']"
client none1 "${compat1[@]}"
expect "no state: PRESERVATION, skipped" none1 "d['mode'] == 'PRESERVATION' and d['skipped'] and d['risk_score'] == 100"
client none2 "${compat2[@]}"
expect "no state, safe side EMERGENCY: skipped at once" none2 "d['mode'] == 'EMERGENCY' and d['skipped']"

# the layer's state: a CEO, a fresh risk state with equity, a strategy
# state with trend active and grid_btc disabled
ORCH_INSTANCE_ID=ceo-1 ORCH_LEASE_TTL_MS=1000 ORCH_CEO_DEBOUNCE_MS=10 "$bindir/ceo" 2>"$tmp/ceo.log" &
pids+=($!)
publish risk_state_update '{"risk_score": 20, "risk_level": "low", "should_pause_trading": false, "metrics": {"daily_drawdown": 0.0, "equity": 100000, "open_positions": 1}}'
publish strategy_state_update '{"win_rate": 0.6, "primary_strategy": "trend", "ranking": [{"strategy": "trend", "status": "active"}], "disabled": [{"strategy": "grid_btc", "reason": "drawdown"}]}'

# EXPANSION: ACTIVE; the strategy brain asked; the engine's size kept
set_mode EXPANSION ACTIVE
client exp "${compat1[@]}"
expect "EXPANSION" exp "d['mode'] == 'EXPANSION' and not d['skipped'] and d['approved'] and d['position_size'] == 1000 and d['intent_size_usd'] == 1000"
expect "EXPANSION: real risk score" exp "d['risk_score'] == 20 and d['max_loss'] == 20"
client exp_legacy "${legacy1[@]}"
checks=$((checks + 1))
same exp exp_legacy || fail "EXPANSION: the legacy ports answer otherwise than /compat"

# a disabled strategy: refused by the strategy brain, sized 0 by the risk
# brain (the only one the client tells the strategy), so skipped
client disabled "${compat1[@]}" --strategy-name grid_btc
expect "disabled strategy skipped" disabled "d['skipped'] and d['position_size'] == 0 and d['reason'] == 'Position size <= 0 from Risk Brain'"
get sd "http://127.0.0.1:$l2/evaluate" -X POST -d '{"symbol": "BTCUSDT", "direction": "BUY", "confidence": 0.8, "strategy": "GRID_BTC"}'
expect "strategy brain refuses a disabled strategy" sd "d['approved'] is False and d['code'] == 'disabled_strategy'"
get sa "http://127.0.0.1:$l2/evaluate" -X POST -d '{"symbol": "BTCUSDT", "direction": "BUY", "confidence": 0.8, "strategy": "trend"}'
expect "strategy brain approves an active one" sa "d['approved'] is True and d['code'] == 'none'"

# stale: the second federation (ORCH_GATE_STALE_S=1) falls to its safe
# side once the decision is a second old, while the first still trades
checks=$((checks + 1))
until_status "http://127.0.0.1:$a2/compat/ceo/status" "d['mode'] == 'EMERGENCY' and d['safe_side'] and d['operating_mode'] == 'EXPANSION'" ||
	fail "stale: the gate never fell to its safe side: $(cat "$tmp/poll")"
client stale "${compat2[@]}"
expect "stale state: skipped" stale "d['skipped'] and d['mode'] == 'EMERGENCY'"
get fresh "http://127.0.0.1:$a1/compat/ceo/status"
expect "fresh state still ACTIVE" fresh "d['mode'] == 'ACTIVE' and not d['safe_side']"

# DEFENSIVE: PASSIVE, no strategy call, a smaller size than EXPANSION's
set_mode DEFENSIVE PASSIVE
client def "${compat1[@]}"
expect "DEFENSIVE trades" def "d['mode'] == 'PRESERVATION' and not d['skipped']"
checks=$((checks + 1))
"$PY" -c 'import json,sys; e, d = (json.load(open(p)) for p in sys.argv[1:]); assert 0 < d["position_size"] < e["position_size"] and d["intent_size_usd"] < e["intent_size_usd"], (e, d)' \
	"$tmp/exp" "$tmp/def" 2>/dev/null || fail "DEFENSIVE does not size smaller: $(cat "$tmp/exp") vs $(cat "$tmp/def")"
client def_legacy "${legacy1[@]}"
checks=$((checks + 1))
same def def_legacy || fail "DEFENSIVE: the legacy ports answer otherwise than /compat"

# BLACK_SWAN: EMERGENCY; the client skips the signal; risk says stop
set_mode BLACK_SWAN EMERGENCY
client bs "${compat1[@]}"
expect "BLACK_SWAN skipped" bs "d['skipped'] and d['mode'] == 'EMERGENCY' and d['intent_size_usd'] is None"
client bs_legacy "${legacy1[@]}"
checks=$((checks + 1))
same bs bs_legacy || fail "BLACK_SWAN: the legacy ports answer otherwise than /compat"
get rb "http://127.0.0.1:$l3/evaluate" -X POST -d '{"signal": {"symbol": "BTCUSDT", "confidence": 0.9}, "operating_mode": "EXPANSION"}'
expect "BLACK_SWAN: risk brain says stop" rb "not d['approved'] and d['risk_score'] > 90 and d['position_size'] == 0"

# bodies: malformed -> 400 JSON (never an approval); Python's NaN -> refused
for url in "http://127.0.0.1:$a1/compat/risk/evaluate" "http://127.0.0.1:$l3/evaluate" "http://127.0.0.1:$l2/evaluate"; do
	get bad "$url" -X POST -d '{"signal": '
	checks=$((checks + 1))
	[ "$(cat "$tmp/bad.code")" = 400 ] || fail "malformed body at $url: status $(cat "$tmp/bad.code")"
	expect "malformed body at $url" bad "d['status'] == 'error' and d['error']['code'] == 'bad_request' and 'approved' not in d"
done
publish_command '{"request_id": "gate-leave", "action": "leave_black_swan", "mode": "EXPANSION", "reason": "e2e", "operator": "e2e"}'
until_status "http://127.0.0.1:$a1/compat/ceo/status" "d['mode'] == 'ACTIVE'" || fail "BLACK_SWAN was never left"
get nan "http://127.0.0.1:$l2/evaluate" -X POST -d '{"symbol": "BTCUSDT", "direction": "BUY", "confidence": NaN}'
expect "a NaN confidence is refused" nan "d['approved'] is False and d['code'] == 'no_confidence'"

# health on every port, the answers counted
for p in "$l1" "$l2" "$l3"; do
	get h "http://127.0.0.1:$p/health"
	expect "health on $p" h "d['status'] == 'healthy' and d['service'] in ('ceo_brain', 'strategy_brain', 'risk_brain')"
done
get m "http://127.0.0.1:$a1/metrics"
checks=$((checks + 1))
grep -q 'orch_gate_answers_total{call="risk",result="bad_request"} [1-9]' "$tmp/m" ||
	fail "metrics: no bad_request answers counted"

# SIGTERM with the legacy ports open: a clean exit
kill -TERM "$fed1"
checks=$((checks + 1))
rc=0
wait "$fed1" || rc=$?
[ "$rc" -eq 0 ] || fail "federation exited $rc after SIGTERM: $(tail -5 "$tmp/fed1.log")"

if [ "$failures" -ne 0 ]; then
	echo "legacy_gate: $failures of $checks checks failed" >&2
	exit 1
fi
echo "legacy_gate: $checks checks passed"
