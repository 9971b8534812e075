#!/usr/bin/env bash
# redis_acl.sh - the Redis ACL of deploy/redis/gen-acl.sh, enforced by a
# real redis-server on a free loopback port (docs/security.md):
#   - the four services, each as its own user, work as usual: ready, a
#     trade and a snapshot give a risk_state_update, losing trades make the
#     Strategy Officer store its disabled set, orchctl as `operator` forces
#     a decision (ceo_decision, the CEO's document in the PolicyStore),
#     lists and retries a dead letter, the API forces one too; SIGTERM
#     stops each (CLIENT KILL of its own reader); Redis refused nothing of
#     it (ACL LOG empty, no NOPERM in the logs);
#   - forged writes are refused: NOPERM for a service writing another's
#     stream or the PolicyStore, the trading user writing the layer's
#     outputs or taking the CEO's commands from its group, the operator
#     writing the PolicyStore; NOAUTH for a client without a user;
#   - with the PolicyStore on a key of its own (--policy-key), the trading
#     user keeps the live path's HASH at {prefix}:policy:current and its
#     streams, and cannot write the layer's document; the CEO cannot
#     write the hash;
#   - each refusal above is then shown to be an assertion that can fail:
#     with the same users opened to +@all ~* (default: on, nopass), every
#     one of those commands is accepted.
# Exit 0 = pass.
set -uo pipefail

. "$(dirname "$0")/lib/common.sh" redis_acl
src=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${ORCH_BIN_DIR:-$src/build/bin}
for b in ceo risk_officer strategy_officer federation orchctl; do
	[ -x "$bindir/$b" ] || { echo "redis_acl: no executable $bindir/$b (run make first)" >&2; exit 1; }
done
pids=()
cleanup() {
	exec 2>/dev/null
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

rport=$(free_port)
acl=$tmp/acl
admin_pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
# gen [ARGS]: the generated ACL in $acl, plus an `admin` for this test's
# own reads (never used by what is tested), as the file redis-server loads
gen() {
	rm -rf "$acl"
	"$src/deploy/redis/gen-acl.sh" --prefix t --redis "127.0.0.1:$rport" --out "$acl" "$@" >/dev/null ||
		{ echo "redis_acl: gen-acl.sh $* failed" >&2; exit 1; }
	{ cat "$acl/users.acl"; echo "user admin on >$admin_pw ~* &* +@all"; } >"$tmp/redis.acl"
}
gen
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$tmp" \
	--aclfile "$tmp/redis.acl" --logfile "$tmp/redis.log" --daemonize no &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q NOAUTH && break; sleep 0.05; done
redis-cli -p "$rport" ping 2>/dev/null | grep -q NOAUTH ||
	{ echo "redis_acl: redis-server did not start with the ACL: $(tail -3 "$tmp/redis.log")" >&2; exit 1; }

pw_of() { sed -n "s/^REDIS_PASSWORD_${1^^}=//p" "$acl/passwords.env"; }
url_of() { sed -n 's/^ORCH_REDIS_URL=//p' "$acl/$1.env"; }
# as USER CMD...: CMD through redis-cli as USER (default: no AUTH at all)
as() {
	local u=$1
	shift
	if [ "$u" = default ]; then
		redis-cli -p "$rport" "$@" 2>&1
	elif [ "$u" = admin ]; then
		REDISCLI_AUTH=$admin_pw redis-cli -p "$rport" --user admin "$@" 2>&1
	else
		REDISCLI_AUTH=$(pw_of "$u") redis-cli -p "$rport" --user "$u" "$@" 2>&1
	fi
}
check() {
	local name=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$name"
}
# wait_for SECONDS CMD...: CMD succeeds within SECONDS
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ]; }
xlen_at_least() { [ "$(as admin XLEN "t:stream:$1")" -ge "$2" ] 2>/dev/null; }
doc_holds() { as admin GET "${2:-t:policy:current}" | "$PY" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if $1 else 1)" 2>/dev/null; }

# ---- the layer, each service as its own user ----

token='acl-e2e-token-0123456789abcdef'
cmd_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
aport=$(free_port)
declare -A admin_port pid
# start NAME [VAR=VALUE ...]: the service NAME as user NAME
start() {
	local name=$1
	shift
	admin_port[$name]=$(free_port)
	env ORCH_REDIS_URL="$(url_of "$name")" ORCH_PREFIX=t ORCH_LOG_LEVEL=info ORCH_INSTANCE_ID="$name-1" \
		ORCH_ADMIN_PORT="${admin_port[$name]}" ORCH_LEASE_TTL_MS=1000 ORCH_COMMAND_KEY="$cmd_key" "$@" \
		"$bindir/$name" 2>"$tmp/$name.log" &
	pids+=($!)
	pid[$name]=$!
}
# what a crash left pending for the Risk Officer, to be taken back under its
# user: one entry of its own consumer (XCLAIM at start), one of a consumer
# gone long ago (XAUTOCLAIM of idle entries)
trade() { echo event_type trade.closed event_id "$1" symbol BTCUSDT side BUY pnl_percent -2.5 strategy s_lose; }
group=t:group:risk_officer:trade.closed
as admin XGROUP CREATE t:stream:trade.closed $group 0 MKSTREAM >/dev/null
# shellcheck disable=SC2046 # one field per word
as admin XADD t:stream:trade.closed '*' $(trade acl-pending-own) >/dev/null
as admin XREADGROUP GROUP $group risk_officer_risk_officer-1 COUNT 1 STREAMS t:stream:trade.closed '>' >/dev/null
# shellcheck disable=SC2046
ghost=$(as admin XADD t:stream:trade.closed '*' $(trade acl-pending-ghost))
as admin XREADGROUP GROUP $group risk_officer_ghost COUNT 1 STREAMS t:stream:trade.closed '>' >/dev/null
as admin XCLAIM t:stream:trade.closed $group risk_officer_ghost 0 "$ghost" IDLE 600000 JUSTID >/dev/null

start ceo ORCH_POLICY_CREATE=true ORCH_CEO_DEBOUNCE_MS=10
start risk_officer ORCH_RISK_PUBLISH_MIN_MS=0
start strategy_officer ORCH_STRATEGY_MIN_TRADES=2 ORCH_STRATEGY_DISABLE_LOSSES=3 ORCH_STRATEGY_QUIET_S=0 \
	ORCH_STRATEGY_PUBLISH_MIN_MS=0
start federation ORCH_API_PORT="$aport" ORCH_API_TOKEN="$token"
for s in ceo risk_officer strategy_officer federation; do
	check "$s ready (/readyz 200) as user $s" wait_for 20 ready "${admin_port[$s]}"
done

ts() { date -u +%Y-%m-%dT%H:%M:%S.%6N; }
for i in 1 2 3 4; do
	# shellcheck disable=SC2046
	as trading XADD t:stream:trade.closed '*' $(trade "acl-trade-$i") timestamp "$(ts)" >/dev/null
done
as trading XADD t:stream:portfolio.snapshot_updated '*' event_type portfolio.snapshot_updated \
	payload '{"total_equity": 100000, "total_exposure": 1000, "num_positions": 1}' trace_id '' \
	timestamp "$(ts)" source trading >/dev/null
check "a risk_state_update from the trading user's trade and snapshot" wait_for 20 xlen_at_least risk_state_update 1
check "the Strategy Officer's disabled set in the PolicyStore" \
	wait_for 20 doc_holds '"s_lose" in d.get("disabled_strategies", [])'
nothing_pending() { [ "$(as admin XPENDING t:stream:trade.closed $group | head -1)" = 0 ]; }
check "the crash's leftovers taken back (own and idle pending entries)" wait_for 20 nothing_pending

export ORCH_REDIS_URL ORCH_PREFIX=t ORCH_COMMAND_KEY=$cmd_key
ORCH_REDIS_URL=$(url_of operator)
orchctl() { timeout 30 "$bindir/orchctl" "$@" >"$tmp/out" 2>"$tmp/err"; }
check "orchctl force-decision as operator" orchctl force-decision --json --timeout-ms 10000
check "  ... answered with a decision" "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["trigger"] == "command"' "$tmp/out"
check "  ... a ceo_decision published" xlen_at_least ceo_decision 1
check "  ... the CEO's document in the PolicyStore" doc_holds 'd["version"] >= 2 and "operating_mode" in d'
check "orchctl status as operator" orchctl status --json
check "force-decision through the API (the federation's ceo_command)" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST -H "Authorization: Bearer $token" \
		"http://127.0.0.1:$aport/api/orchestration/agents/ceo/force-decision")" = 200

# a malformed trade: dead-lettered by both officers, listed and put back by the operator
as trading XADD t:stream:trade.closed '*' event_type trade.closed symbol BTCUSDT pnl_percent oops >/dev/null
dlq_len() { [ "$(as admin XLEN t:dlq:trade.closed)" -ge "$1" ] 2>/dev/null; }
check "the officers dead-letter a malformed trade" wait_for 20 dlq_len 2
check "orchctl dlq list as operator" orchctl dlq list trade.closed --json
id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$tmp/out" 2>/dev/null)
check "orchctl dlq retry as operator" orchctl dlq retry trade.closed "$id" --json

for s in ceo risk_officer strategy_officer federation; do
	kill -TERM "${pid[$s]}"
	checks=$((checks + 1))
	wait "${pid[$s]}" || fail "$s: SIGTERM: exit status $?"
done
for s in ceo risk_officer strategy_officer federation; do
	checks=$((checks + 1))
	! grep -Eqi 'NOPERM|no permissions' "$tmp/$s.log" || fail "$s was refused: $(grep -Ei -m1 'NOPERM|no permissions' "$tmp/$s.log")"
done
checks=$((checks + 1))
[ "$(as admin ACL LOG | head -1)" = "" ] || fail "Redis refused the layer something: $(as admin ACL LOG | head -20 | tr '\n' ' ')"

# ---- forged writes ----

# refused WANT USER CMD...: CMD as USER answers the error WANT (NOPERM, NOAUTH)
refused() {
	local want=$1 u=$2
	shift 2
	checks=$((checks + 1))
	as "$u" "$@" >"$tmp/answer"
	grep -q "^$want" "$tmp/answer" || fail "$u: $* was not refused ($want): $(head -c 200 "$tmp/answer")"
}
# accepted USER CMD...: CMD as USER is not refused
accepted() {
	local u=$1
	shift
	checks=$((checks + 1))
	as "$u" "$@" >"$tmp/answer"
	! grep -Eq '^(NOPERM|NOAUTH|ERR|WRONGPASS)' "$tmp/answer" || fail "$u: $* refused: $(head -c 200 "$tmp/answer")"
}
cmd='{"action": "set_mode", "mode": "GROWTH", "operator": "forger", "reason": "forged"}'
forged_cases() {
	local f=$1
	$f NOPERM risk_officer XADD t:stream:ceo_command '*' event_type ceo_command payload "$cmd"
	$f NOPERM risk_officer XADD t:stream:ceo_mode_switch '*' event_type ceo_mode_switch payload '{}'
	$f NOPERM strategy_officer XADD t:stream:risk_state_update '*' event_type risk_state_update payload '{}'
	$f NOPERM ceo XADD t:stream:ceo_command '*' event_type ceo_command payload "$cmd"
	$f NOPERM federation SET t:policy:current '{"active_mode": "AGGRESSIVE_SMALL_ACCOUNT"}'
	$f NOPERM federation EVAL "return redis.call('SET', KEYS[1], 'x')" 1 t:policy:current
	$f NOPERM risk_officer SET t:lease:ceo forged
	$f NOPERM trading XADD t:stream:ceo_decision '*' event_type ceo_decision payload '{}'
	$f NOPERM trading SET t:policy:current '{}'
	$f NOPERM trading XREADGROUP GROUP t:group:ceo-ceo-1:ceo_command thief COUNT 10 STREAMS t:stream:ceo_command '>'
	$f NOPERM operator SET t:policy:current '{}'
	$f NOPERM operator XADD t:stream:ceo_decision '*' event_type ceo_decision payload '{}'
	$f NOAUTH default XADD t:stream:ceo_command '*' event_type ceo_command payload "$cmd"
	$f NOAUTH default GET t:policy:current
}
forged_cases refused

# ---- the PolicyStore on a key of its own, beside the live path's hash ----

gen --policy-key t:layer:policy
as admin ACL LOAD >/dev/null
start ceo ORCH_POLICY_CREATE=true ORCH_POLICY_KEY=t:layer:policy
check "ceo ready with ORCH_POLICY_KEY" wait_for 20 ready "${admin_port[ceo]}"
check "the CEO's document at t:layer:policy" wait_for 20 doc_holds 'd["version"] >= 1' t:layer:policy
as admin DEL t:policy:current >/dev/null
accepted trading HSET t:policy:current universe_symbols '["BTCUSDT"]' valid_until_epoch 4102444800
accepted trading XADD t:stream:policy.update '*' event policy.updated version 2
accepted trading XADD t:stream:policy.audit '*' policy_version 2 generator acl-test
accepted trading HGET t:policy:current universe_symbols
moved_cases() {
	local f=$1
	$f NOPERM trading SET t:layer:policy '{}'
	$f NOPERM ceo HSET t:policy:current universe_symbols '[]'
	$f NOPERM ceo SET t:policy:current '{}'
}
moved_cases refused
kill -TERM "${pid[ceo]}"
wait "${pid[ceo]}" 2>/dev/null
checks=$((checks + 1))
[ "$(as admin TYPE t:policy:current)" = hash ] || fail "the live path's hash was not left alone"

# ---- each refusal can fail: the same commands with every user opened ----

for u in risk_officer strategy_officer ceo federation trading operator; do
	as admin ACL SETUSER "$u" allkeys allcommands >/dev/null
done
as admin ACL SETUSER default on nopass allkeys allcommands >/dev/null
# accepted_case WANT USER CMD...: as accepted, the answer refused would give ignored
accepted_case() {
	shift
	accepted "$@"
}
forged_cases accepted_case
moved_cases accepted_case

echo "redis_acl: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
