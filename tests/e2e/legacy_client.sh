#!/usr/bin/env bash
# legacy_client.sh - end-to-end test of legacy_client.py, the live gate's
# real client, against fake_brains.py on loopback: the wire it sends
# (GET /status, the strategy and risk bodies, JSON content type), the mode
# mapping (ACTIVE/PASSIVE/EMERGENCY, an unmapped mode handled like
# PRESERVATION), each reason to skip (EMERGENCY, a refusal, size <= 0, risk
# score > 90, the client's own 0.45 confidence floor), the ai-engine's use
# of the risk size, and the fail-open paths (HTTP errors, bodies that are
# not JSON, a null confidence, the stubs' adjusted_* names).
# Each scenario runs the documented client; with ORCH_ORIGINAL_SRC set (a
# quantum_trader checkout, its orchestrator.py or a bare git directory) it
# also runs the original's code and requires the same result. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh" legacy_client
here=$(cd "$(dirname "$0")" && pwd)
"$PY" -c 'import httpx' 2>/dev/null || { echo "legacy_client: needs Debian's python3-httpx" >&2; exit 1; }

"$PY" "$here/fake_brains.py" >"$tmp/ports" 2>"$tmp/fake.log" &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do [ -s "$tmp/ports" ] && break; sleep 0.05; done
port() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/ports" "$1"; }
ceo=http://127.0.0.1:$(port ceo)
strategy=http://127.0.0.1:$(port strategy)
risk=http://127.0.0.1:$(port risk)

original=${ORCH_ORIGINAL_SRC:-}
if [ -z "$original" ]; then
	echo "legacy_client: ORCH_ORIGINAL_SRC not set: the original client is skipped, the documented one runs"
fi

# scenario NAME CONFIG [client args]: configures the fakes, runs the
# client(s) for a BTCUSDT BUY signal (confidence 0.7, engine size 1000 USD
# at 5x unless the args say otherwise); result in $tmp/out, the requests
# the fakes saw in $tmp/reqs.
scenario() {
	local name=$1 config=$2
	shift 2
	curl -s --max-time 5 -X POST -d '{"stub": true}' "$ceo/_fake/config" >/dev/null
	curl -s --max-time 5 -X POST -d "$config" "$ceo/_fake/config" >/dev/null
	local args=(--ceo "$ceo" --strategy "$strategy" --risk "$risk" --symbol BTCUSDT --direction BUY
		--confidence 0.7 "$@")
	checks=$((checks + 1))
	if ! ORCH_ORIGINAL_SRC='' timeout 30 "$PY" "$here/legacy_client.py" "${args[@]}" >"$tmp/out" 2>"$tmp/err"; then
		fail "$name: documented client failed: $(cat "$tmp/err")"
		return
	fi
	curl -s --max-time 5 "$ceo/_fake/requests" >"$tmp/reqs"
	[ -n "$original" ] || return 0
	checks=$((checks + 1))
	curl -s --max-time 5 -X POST -d '{"stub": true}' "$ceo/_fake/config" >/dev/null
	curl -s --max-time 5 -X POST -d "$config" "$ceo/_fake/config" >/dev/null
	if ! timeout 30 "$PY" "$here/legacy_client.py" --original "$original" "${args[@]}" >"$tmp/orig" 2>"$tmp/err"; then
		fail "$name: original client failed: $(cat "$tmp/err")"
		return
	fi
	curl -s --max-time 5 "$ceo/_fake/requests" >"$tmp/origreqs"
	"$PY" - "$tmp/out" "$tmp/orig" "$tmp/reqs" "$tmp/origreqs" <<'EOF' || fail "$name: the original and the documented client differ"
import json, sys
doc, orig = (json.load(open(p)) for p in sys.argv[1:3])
for d in (doc, orig):
    d.pop("client"), d.pop("source")
def wire(p):
    return [(r["brain"], r["method"], r["path"], r["body"], r["headers"].get("content-type"))
            for r in json.load(open(p))]
if doc != orig or wire(sys.argv[3]) != wire(sys.argv[4]):
    print("documented", doc, wire(sys.argv[3]), "\noriginal  ", orig, wire(sys.argv[4]), file=sys.stderr)
    sys.exit(1)
EOF
}
# expect NAME EXPR: EXPR over d (the result) and r (the requests) holds
expect() {
	checks=$((checks + 1))
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); r=json.load(open(sys.argv[2])); assert $2" \
		"$tmp/out" "$tmp/reqs" 2>/dev/null ||
		fail "$1: $2 does not hold for $(cat "$tmp/out") after $(head -c 600 "$tmp/reqs")"
}
paths() { echo "[(x['brain'], x['method'], x['path']) for x in r]"; }

# the stubs as they run in production
scenario "stubs" '{}'
expect "stubs" "d['final_decision'] == 'EXECUTE' and d['mode'] == 'EXPANSION' and d['ceo_confidence'] == 0.8"
expect "stubs: adjusted_* names unread, defaults" "d['position_size'] == 100.0 and d['leverage'] == 1.0"
expect "stubs: risk_score and max_loss read" "d['risk_score'] == 30.0 and d['max_loss'] == 2.0"
expect "stubs: the engine's size capped at the default" "d['intent_size_usd'] == 100.0 and d['intent_leverage'] == 5"
expect "stubs: calls" "$(paths) == [('ceo', 'GET', '/status'), ('strategy', 'POST', '/evaluate'), ('risk', 'POST', '/evaluate')]"
expect "strategy body" "json.loads(r[1]['body']) == {'symbol': 'BTCUSDT', 'direction': 'BUY', 'confidence': 0.7, 'entry_price': 100.0}"
expect "risk body" "json.loads(r[2]['body']) == {'signal': {'symbol': 'BTCUSDT', 'direction': 'BUY', 'confidence': 0.7, 'entry_price': 100.0, 'position_size_usd': 1000.0, 'leverage': 5, 'regime': 'unknown', 'strategy': 'default'}, 'operating_mode': 'EXPANSION'}"
expect "content type" "r[1]['headers']['content-type'] == 'application/json' and r[2]['headers']['content-type'] == 'application/json'"

# the gate's names and a confidence
scenario "gate answers" '{"ceo": {"mode": "ACTIVE", "confidence": 0.93}, "risk": {"position_size": 400, "leverage": 3, "risk_score": 41.5, "max_loss": 8}}' \
	--direction SELL --model lstm_v2
expect "gate answers" "d['final_decision'] == 'EXECUTE' and d['ceo_confidence'] == 0.93 and d['position_size'] == 400"
expect "gate answers: risk size used, engine leverage kept" "d['intent_size_usd'] == 400 and d['intent_leverage'] == 5 and d['leverage'] == 3"
expect "model_id only when given" "json.loads(r[2]['body'])['signal']['model_id'] == 'lstm_v2' and json.loads(r[1]['body'])['direction'] == 'SELL'"
scenario "larger risk size" '{"risk": {"position_size": 5000, "leverage": 3, "risk_score": 41.5}}'
expect "larger risk size: engine keeps its own" "d['intent_size_usd'] == 1000.0 and d['max_loss'] == 100.0"

# the mode mapping
scenario "PASSIVE" '{"ceo": {"mode": "PASSIVE", "confidence": 0.5}}'
expect "PASSIVE" "d['mode'] == 'PRESERVATION' and d['final_decision'] == 'EXECUTE' and d['risk_score'] == 40.0"
expect "PASSIVE: no strategy call" "$(paths) == [('ceo', 'GET', '/status'), ('risk', 'POST', '/evaluate')]"
expect "PASSIVE: mode sent to risk" "json.loads(r[1]['body'])['operating_mode'] == 'PRESERVATION'"
scenario "EMERGENCY" '{"ceo": {"mode": "EMERGENCY", "confidence": 1.0}}'
expect "EMERGENCY" "d['skipped'] and d['mode'] == 'EMERGENCY' and d['intent_size_usd'] is None"
expect "EMERGENCY: only the CEO asked" "$(paths) == [('ceo', 'GET', '/status')]"
scenario "unmapped mode" '{"ceo": {"mode": "BLACK_SWAN", "confidence": 1.0}}'
expect "unmapped mode trades like PRESERVATION" "not d['skipped'] and d['mode'] == 'BLACK_SWAN' and len(r) == 2"
scenario "lower-case mode" '{"ceo": {"mode": "emergency", "confidence": 1.0}}'
expect "modes are case-sensitive" "not d['skipped']"

# each reason to skip
scenario "strategy refuses" '{"strategy": {"approved": false, "reason": "strategy trend disabled"}}'
expect "strategy refuses" "d['skipped'] and d['reason'] == 'Strategy Brain rejected: strategy trend disabled' and len(r) == 2"
scenario "size 0" '{"risk": {"position_size": 0, "leverage": 0, "risk_score": 40}}'
expect "size 0" "d['skipped'] and d['reason'] == 'Position size <= 0 from Risk Brain'"
scenario "risk score 90" '{"risk": {"position_size": 50, "leverage": 1, "risk_score": 90}}'
expect "risk score 90 is not above 90" "not d['skipped']"
scenario "risk score 90.5" '{"risk": {"position_size": 50, "leverage": 1, "risk_score": 90.5}}'
expect "risk score 90.5" "d['skipped'] and d['reason'] == 'Risk score too high: 90.5'"
scenario "low confidence" '{}' --confidence 0.44
expect "client's own floor" "d['skipped'] and d['reason'] == 'Signal confidence too low: 0.44' and len(r) == 3"

# fail-open: every error approves
scenario "CEO 500" '{"ceo": {"mode": "EMERGENCY"}, "status": {"ceo": 500}}'
expect "CEO 500 opens" "not d['skipped'] and d['mode'] == 'EXPANSION' and d['ceo_confidence'] == 0.5"
scenario "null confidence" '{"ceo": {"mode": "EMERGENCY", "confidence": null}}'
expect "EMERGENCY with a null confidence opens" "not d['skipped'] and d['mode'] == 'EXPANSION' and d['ceo_confidence'] == 0.5"
scenario "no confidence" '{"ceo": {"mode": "EMERGENCY"}}'
expect "EMERGENCY without confidence holds" "d['skipped'] and d['ceo_confidence'] == 0.8"
scenario "strategy 400" '{"status": {"strategy": 400}}'
expect "a 400 from strategy approves" "not d['skipped'] and d['strategy_reason'] == 'Strategy Brain unavailable - default approve'"
scenario "approved as a string" '{"strategy": {"approved": "false", "reason": "no"}}'
expect "approved 'false' is truthy" "not d['skipped']"
scenario "risk 400" '{"status": {"risk": 400}}'
expect "a 400 from risk gives the defaults" "not d['skipped'] and (d['position_size'], d['leverage'], d['risk_score'], d['max_loss']) == (100.0, 1.0, 50.0, 2.0)"
scenario "risk not JSON" '{"risk": "risk_score: 99"}'
expect "a risk body that is not JSON gives the defaults" "not d['skipped'] and d['risk_score'] == 50.0"
scenario "risk score null" '{"risk": {"position_size": 0, "risk_score": null}}'
expect "a null risk_score gives the defaults, even with size 0" "not d['skipped'] and d['position_size'] == 100.0"

echo "legacy_client: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
