# stack.sh - sourced by the e2e tests that run the services, with the
# test's name as $1: checks the built ceo and federation, makes a temporary
# directory, starts a private redis-server on a free loopback port (prefix
# "t"), and on exit kills everything started (pids, and any Chromium
# profile under the directory) and removes the directory.
# Sets: bindir, PY, tmp, pids, rport, checks, failures; defines fail,
# free_port and publish TYPE PAYLOAD.
test_name=$1
bindir=${ORCH_BIN_DIR:-${ORCH_TEST_SRCDIR:-.}/build/bin}
for b in ceo federation; do
	[ -x "$bindir/$b" ] || { echo "$test_name: no executable $bindir/$b (run make first)" >&2; exit 1; }
done
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$test_name.XXXXXX")
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
failures=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
publish() {
	redis-cli -p "$rport" XADD "t:stream:$1" '*' event_type "$1" payload "$2" trace_id '' \
		timestamp "$(date -u +%Y-%m-%dT%H:%M:%S.000000)" source e2e >/dev/null
}
rport=$(free_port)
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$tmp" \
	--logfile "$tmp/redis.log" --daemonize no &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done
export ORCH_REDIS_URL="redis://127.0.0.1:$rport/0" ORCH_PREFIX=t ORCH_LOG_LEVEL=error ORCH_ADMIN_PORT=0
