#!/usr/bin/env bash
# replay_feeder.sh - the demo's feeder (tools/replay) alone, with --no-wait
# (no services): started while its redis-server is not up yet, it says it
# is trying again, stays up, and once Redis is there replays every day and
# exits 0; it reads the PolicyStore document at ORCH_POLICY_KEY, as the
# services do (a document there that allows no new trades leaves the book
# without a trade and records its operating mode, where the same prices
# under the default, empty key trade). Exit 0 = pass.
set -u
. "$(dirname "$0")/lib/common.sh" replay_feeder
src=${ORCH_TEST_SRCDIR:-.}
bindir=${ORCH_BIN_DIR:-$src/build/bin}
[ -x "$bindir/replay" ] || { echo "replay_feeder: no executable $bindir/replay (run make first)" >&2; exit 1; }
pids=()
cleanup() {
	exec 2>/dev/null
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
days=120
head -n $((days + 1)) "$src/data/eustockmarkets.csv" >"$tmp/prices.csv"
rport=$(free_port)
redis() { redis-cli -p "$rport" "$@"; }
start_redis() {
	redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$tmp" \
		--logfile "$tmp/redis.log" --daemonize no &
	rpid=$!
	pids+=($rpid)
}
export ORCH_REDIS_URL="redis://127.0.0.1:$rport/0" ORCH_PREFIX=t ORCH_REDIS_BACKOFF_MIN_MS=50 \
	ORCH_REDIS_BACKOFF_MAX_MS=400

# the document at a key of the layer's own, saved for Redis to load when it comes up
start_redis
for _ in $(seq 1 100); do redis ping >/dev/null 2>&1 && break; sleep 0.05; done
redis SET t:own:policy '{"version": 3, "operating_mode": "CAPITAL_PRESERVATION", "allow_new_trades": false}' >/dev/null
redis SAVE >/dev/null
redis SHUTDOWN NOSAVE >/dev/null 2>&1
wait "$rpid" 2>/dev/null

ORCH_POLICY_KEY=t:own:policy "$bindir/replay" --no-wait --prices "$tmp/prices.csv" --summary-json "$tmp/own.json" \
	>"$tmp/own.out" 2>"$tmp/own.err" &
feeder=$!
pids+=($feeder)
sleep 1.5
checks=$((checks + 1))
kill -0 "$feeder" 2>/dev/null || fail "the feeder gave up while Redis was down for 1.5 s: $(tail -3 "$tmp/own.err")"
checks=$((checks + 1))
grep -qE "^replay: cannot connect to 127.0.0.1:$rport: .*; trying again in [0-9]+ ms \(attempt [2-9]" "$tmp/own.err" ||
	fail "the feeder does not say it is trying again: $(head -3 "$tmp/own.err")"
start_redis
rc=124
for _ in $(seq 1 600); do
	kill -0 "$feeder" 2>/dev/null || { wait "$feeder"; rc=$?; break; }
	sleep 0.1
done
checks=$((checks + 1))
[ "$rc" -eq 0 ] || fail "the feeder exited $rc once Redis was up: $(tail -3 "$tmp/own.err")"
checks=$((checks + 1))
[ "$(redis XLEN t:stream:portfolio.snapshot_updated)" -eq "$days" ] ||
	fail "$(redis XLEN t:stream:portfolio.snapshot_updated) snapshots published, want $days"

# the same prices under the default key, which holds nothing: the book trades
redis DEL t:stream:portfolio.snapshot_updated >/dev/null
timeout 60 "$bindir/replay" --no-wait --prices "$tmp/prices.csv" --summary-json "$tmp/default.json" \
	>"$tmp/default.out" 2>"$tmp/default.err" || fail "the feeder under the default key failed: $(tail -3 "$tmp/default.err")"
checks=$((checks + 1))
"$PY" - "$tmp/own.json" "$tmp/default.json" <<'PYEOF' || fail "ORCH_POLICY_KEY: see above"
import json, sys
own, default = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
if own["trades"] != 0 or own["layer"]["time_in_mode"].get("CAPITAL_PRESERVATION") != 1:
    bad.append(f"under t:own:policy: {own['trades']} trades, time in mode {own['layer']['time_in_mode']}")
if default["trades"] == 0 or default["layer"]["time_in_mode"].get("none") != 1:
    bad.append(f"under the default key: {default['trades']} trades, time in mode {default['layer']['time_in_mode']}")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

echo "replay_feeder: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
