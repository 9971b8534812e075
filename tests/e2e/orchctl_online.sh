#!/usr/bin/env bash
# orchctl_online.sh - orchctl's commands against a running layer (a private
# redis-server, ceo, risk_officer and federation on free loopback ports),
# through Redis and through the REST API: status shows the leases and
# streams, and the PolicyStore document at ORCH_POLICY_KEY when that is
# set (too long a key exits 2 naming it), with an emergency stop another
# writer set and who set it (and an operator's clear-emergency-stop lifting it), and through the API every agent's status
# with the intervals the running agents state; force-decision and
# set-mode come back with the CEO's decision and set-mode lands in the
# PolicyStore and in mode-history (both transports), signed with the
# CEO's key (without one nothing is sent, under another the CEO refuses
# and nothing moves, a key file works); global-state; tail prints events
# published after it
# started and stops after --count; a malformed trade shows in dlq list
# with its reason, dlq retry puts it back on its stream and drop removes
# it; an unreachable Redis or API exits 1, usage errors exit 2, with
# --help listing the exit codes. Exit 0 = pass.
set -uo pipefail

. "$(dirname "$0")/lib/stack.sh" orchctl_online
orchctl=$bindir/orchctl
[ -x "$orchctl" ] || { echo "orchctl_online: no executable $orchctl" >&2; exit 1; }
token=e2e-token-0123456789abcdef
aport=$(free_port)
ORCH_INSTANCE_ID=ceo-1 ORCH_LEASE_TTL_MS=1000 ORCH_CEO_DEBOUNCE_MS=10 "$bindir/ceo" 2>"$tmp/ceo.log" &
pids+=($!)
ORCH_INSTANCE_ID=ro-1 ORCH_LEASE_TTL_MS=1000 ORCH_RISK_INTERVAL_S=25 "$bindir/risk_officer" 2>"$tmp/risk.log" &
pids+=($!)
ORCH_INSTANCE_ID=fed-1 ORCH_API_PORT=$aport ORCH_API_TOKEN=$token "$bindir/federation" 2>"$tmp/federation.log" &
pids+=($!)
api=http://127.0.0.1:$aport
export ORCH_API_TOKEN=$token
for _ in $(seq 1 200); do
	[ "$(redis-cli -p "$rport" GET t:lease:ceo)" != "" ] && [ "$(redis-cli -p "$rport" GET t:lease:risk_officer)" != "" ] &&
		curl -s -o /dev/null "$api/api/orchestration/openapi.json" && break
	sleep 0.05
done

# check NAME WANT_RC CMD...: runs orchctl, output in $tmp/out, stderr in $tmp/err
check() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	"$orchctl" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"
}
json_check() {
	local name=$1 expr=$2
	checks=$((checks + 1))
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert $expr, d" "$tmp/out" 2>/dev/null ||
		fail "$name: $expr does not hold for $(head -c 300 "$tmp/out")"
}
grep_check() {
	local name=$1 pattern=$2 file=${3:-$tmp/out}
	checks=$((checks + 1))
	grep -qE -- "$pattern" "$file" || fail "$name: no /$pattern/ in: $(head -c 300 "$file")"
}

check "status" 0 status
grep_check "status lease" '^ceo +ceo-1\|'
grep_check "status streams" '^stream +length +groups +pending +lag'
check "status json" 0 status --json
json_check "status json" 'd["leases"]["risk_officer"].startswith("ro-1|") and d["policy"]["version"] >= 1'
# status reads the document where the services do: ORCH_POLICY_KEY when set
json_check "status policy key" 'd["policy"]["key"] == "t:policy:current"'
redis-cli -p "$rport" SET t:own:policy '{"version": 4242, "operating_mode": "BLACK_SWAN"}' >/dev/null
ORCH_POLICY_KEY=t:own:policy check "status ORCH_POLICY_KEY" 0 status --json
json_check "status ORCH_POLICY_KEY" 'd["policy"] == dict(d["policy"], key="t:own:policy", version=4242, operating_mode="BLACK_SWAN")'
ORCH_POLICY_KEY=$(printf 'k%.0s' $(seq 1 200)) check "status bad ORCH_POLICY_KEY" 2 status
grep_check "status bad ORCH_POLICY_KEY" '^orchctl status: ORCH_POLICY_KEY: ' "$tmp/err"

check "force-decision" 0 force-decision --json --timeout-ms 10000
json_check "force-decision" 'd["trigger"] == "command" and d["operating_mode"] in ("EXPANSION","GROWTH","DEFENSIVE","CAPITAL_PRESERVATION","BLACK_SWAN")'
check "force-decision api" 0 force-decision --api "$api" --json --timeout-ms 10000
json_check "force-decision api" 'd["trigger"] == "command"'
check "force-decision api, wrong token" 1 force-decision --api "$api" --token wrong-token-0123456789
grep_check "force-decision api, wrong token" 'answered 401' "$tmp/err"

check "set-mode" 0 set-mode CAPITAL_PRESERVATION --reason "e2e drill" --operator alice --json
json_check "set-mode" 'd["operating_mode"] == "CAPITAL_PRESERVATION"'
checks=$((checks + 1))
[ "$(redis-cli -p "$rport" GET t:policy:current | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["operating_mode"])')" = CAPITAL_PRESERVATION ] ||
	fail "set-mode: the PolicyStore does not hold CAPITAL_PRESERVATION"
check "mode-history" 0 mode-history --limit 5
grep_check "mode-history" 'CAPITAL_PRESERVATION +alice +operator alice: e2e drill'
check "mode-history api" 0 mode-history --api "$api" --json
json_check "mode-history api" 'd[0]["new_mode"] == "CAPITAL_PRESERVATION" and d[0]["operator"] == "alice"'
# commands prove their sender (issue 18): without a key nothing is sent
# (usage error); under another key the CEO refuses and nothing moves; the
# key from a file works like the variable
ORCH_COMMAND_KEY= check "set-mode without a key" 2 set-mode GROWTH --reason x --operator alice
grep_check "set-mode without a key" 'set ORCH_COMMAND_KEY or ORCH_COMMAND_KEY_FILE' "$tmp/err"
ORCH_COMMAND_KEY=another-key-0123456789abcdef check "set-mode, another key" 1 set-mode GROWTH --reason x --operator mallory
grep_check "set-mode, another key" 'the CEO refused: refused: bad signature' "$tmp/err"
checks=$((checks + 1))
[ "$(redis-cli -p "$rport" GET t:policy:current | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["operating_mode"])')" = CAPITAL_PRESERVATION ] ||
	fail "set-mode under another key moved the PolicyStore"
echo "$ORCH_COMMAND_KEY" >"$tmp/command-key"
ORCH_COMMAND_KEY= ORCH_COMMAND_KEY_FILE=$tmp/command-key check "force-decision, key from a file" 0 force-decision --json
json_check "force-decision, key from a file" 'd["operating_mode"] == "CAPITAL_PRESERVATION"'
# an emergency stop set by another writer: status says who set it, once the CEO has held it
redis-cli -p "$rport" GET t:policy:current | "$PY" -c 'import json,sys
d = json.load(sys.stdin)
d.update(emergency_mode=True, allow_new_trades=False, emergency_reason="ESS: daily loss",
         emergency_activated_at="2026-01-05T10:00:00", updated_by="emergency_stop_system", version=d["version"] + 1)
print(json.dumps(d))' >"$tmp/stop.json"
redis-cli -p "$rport" -x SET t:policy:current <"$tmp/stop.json" >/dev/null
for _ in $(seq 1 100); do
	redis-cli -p "$rport" GET t:policy:current | grep -q '"emergency_set_by"' && break
	sleep 0.05
done
check "status, stop" 0 status --json
json_check "status, stop" 'd["policy"]["emergency_mode"] is True and d["policy"]["emergency_set_by"] == "emergency_stop_system" and d["policy"]["emergency_reason"] == "ESS: daily loss"'
# an operator lifts it: signed, answered once the cleared document is stored
check "clear-emergency-stop without reason" 2 clear-emergency-stop --operator alice
check "clear-emergency-stop" 0 clear-emergency-stop --reason "loss reviewed" --operator alice --json
check "status, stop lifted" 0 status --json
json_check "status, stop lifted" 'd["policy"]["emergency_mode"] is False and d["policy"]["allow_new_trades"] is True'
check "set-mode without reason" 2 set-mode GROWTH --operator alice
check "set-mode bad mode" 2 set-mode SIDEWAYS --reason x --operator alice

for _ in $(seq 1 100); do
	"$orchctl" global-state --json >"$tmp/out" 2>/dev/null && break
	sleep 0.1
done
check "global-state" 0 global-state --json
json_check "global-state" '"global_mode" in d and "effective_risk_limits" in d'
check "global-state api" 0 global-state --api "$api" --json
json_check "global-state api" '"global_mode" in d.get("partial", d)'

# every agent's status through the API, with the intervals the running agents state
want_status='d["agents"]["risk"]["assessment_interval"] == 25 and d["agents"]["ceo"]["decision_interval"] == 30 and d["agents"]["risk"]["recent_assessments_count"] >= 1'
for _ in $(seq 1 100); do
	"$orchctl" status --api "$api" --json >"$tmp/out" 2>/dev/null &&
		"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not ($want_status))" "$tmp/out" 2>/dev/null && break
	sleep 0.1
done
check "status api" 0 status --api "$api" --json
json_check "status api" "$want_status"

# tail: only events published after it started, then --count stops it
publish risk_alert '{"level": "INFO", "alerts": [], "risk_score": 1}'
timeout 20 "$orchctl" tail risk_alert --count 1 --json >"$tmp/tail" 2>"$tmp/tail.err" &
tail_pid=$!
sleep 0.5
publish risk_alert '{"level": "WARNING", "alerts": ["e2e"], "risk_score": 2}'
wait "$tail_pid"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 0 ] || fail "tail exited $rc: $(cat "$tmp/tail.err")"
cp "$tmp/tail" "$tmp/out"
json_check "tail" 'd["level"] == "WARNING" and d["_type"] == "risk_alert"'

# a malformed trade, dead-lettered by the Risk Officer
redis-cli -p "$rport" XADD t:stream:trade.closed '*' event_type trade.closed symbol BTCUSDT pnl_percent oops >/dev/null
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$rport" XLEN t:dlq:trade.closed)" -ge 1 ] && break
	sleep 0.05
done
check "dlq list" 0 dlq list
grep_check "dlq list" '^trade.closed .*pnl_percent'
check "dlq list json" 0 dlq list trade.closed --json
json_check "dlq list json" 'len(d) == 1 and d[0]["fields"]["pnl_percent"] == "oops" and d[0]["deliveries"] >= 1'
id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$tmp/out")
before=$(redis-cli -p "$rport" XLEN t:stream:trade.closed)
check "dlq retry" 0 dlq retry trade.closed "$id" --json
json_check "dlq retry" 'd["done"] == 1'
checks=$((checks + 1))
[ "$(redis-cli -p "$rport" XLEN t:stream:trade.closed)" -eq $((before + 1)) ] || fail "dlq retry did not republish"
redis-cli -p "$rport" XREVRANGE t:stream:trade.closed + - COUNT 1 | grep -q '^oops$' || {
	checks=$((checks + 1))
	fail "the retried entry lacks its original fields"
}
check "dlq retry unknown id" 1 dlq retry trade.closed 1-1
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$rport" XLEN t:dlq:trade.closed)" -ge 1 ] && break
	sleep 0.05
done
check "dlq drop" 0 dlq drop trade.closed --all --json
json_check "dlq drop" 'd["done"] >= 1'
checks=$((checks + 1))
[ "$(redis-cli -p "$rport" XLEN t:dlq:trade.closed)" -eq 0 ] || fail "dlq drop left entries"
check "dlq usage" 2 dlq retry trade.closed

# unreachable: exit 1; usage: exit 2
check "no redis" 1 status --redis "redis://127.0.0.1:$(free_port)/0" --timeout-ms 500
grep_check "no redis" 'cannot connect to Redis' "$tmp/err"
check "no api" 1 global-state --api "http://127.0.0.1:$(free_port)" --timeout-ms 500
check "bad api url" 2 status --api ftp://x
check "unknown option" 2 status --frobnicate
check "help" 0 --help
grep_check "help exit codes" '1 the running layer could not be reached'
check "tail help" 0 tail --help
grep_check "tail help" 'Exit status: 0 success, 1'

echo "orchctl_online: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
