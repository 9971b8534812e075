# stack.sh - sourced by the e2e tests that run the services, with the
# test's name as $1: common.sh, then checks the built ceo and federation,
# starts a private redis-server on a free loopback port (prefix "t"), and
# on exit kills everything started (pids, and any Chromium profile under
# the temporary directory) and removes the directory.
# Sets: bindir, pids, rport, and what common.sh sets; exports
# ORCH_COMMAND_KEY (a fresh one: every service and orchctl started here
# shares it); defines publish TYPE PAYLOAD and publish_command PAYLOAD (a
# ceo_command signed with that key, lib/sign_command.py).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$1"
bindir=${ORCH_BIN_DIR:-${ORCH_TEST_SRCDIR:-.}/build/bin}
for b in ceo federation; do
	[ -x "$bindir/$b" ] || { echo "$test_name: no executable $bindir/$b (run make first)" >&2; exit 1; }
done
pids=()
cleanup() {
	exec 2>/dev/null # no "Killed" notices for what is stopped here
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	# Chromium's helper processes outlive its main one
	pkill -9 -f -- "--user-data-dir=$tmp/chrome" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp" 2>/dev/null || { sleep 0.5; rm -rf "$tmp"; }
}
trap cleanup EXIT
publish() {
	redis-cli -p "$rport" XADD "t:stream:$1" '*' event_type "$1" payload "$2" trace_id '' \
		timestamp "$(date -u +%Y-%m-%dT%H:%M:%S.000000)" source e2e >/dev/null
}
publish_command() {
	publish ceo_command "$("$PY" "$(dirname "${BASH_SOURCE[0]}")/sign_command.py" "$ORCH_COMMAND_KEY" "$1")"
}
rport=$(free_port)
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$tmp" \
	--logfile "$tmp/redis.log" --daemonize no &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done
export ORCH_REDIS_URL="redis://127.0.0.1:$rport/0" ORCH_PREFIX=t ORCH_LOG_LEVEL=error ORCH_ADMIN_PORT=0 \
	ORCH_POLICY_CREATE=true
unset ORCH_COMMAND_KEY_FILE
ORCH_COMMAND_KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
export ORCH_COMMAND_KEY
