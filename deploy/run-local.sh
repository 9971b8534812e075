#!/usr/bin/env bash
# run-local.sh - the local stack behind `make demo`: a private redis-server
# on a free loopback port with a temporary directory, the four services in
# replay mode (ORCH_CLOCK=event: their clock is the prices' dates, with
# windows, freshness and cooldowns set for daily data), then tools/replay
# over the bundled prices (or --prices FILE), its summary, its report (an
# HTML page, build/demo-report.html unless --report OUT), and where to find
# the dashboard and the API. Operators' commands are signed with a key made
# for the run (ORCH_COMMAND_KEY_FILE in the temporary directory; printed
# for orchctl). Stays up until Ctrl-C (--once: exits after the summary)
# and stops what it started by pid.
#
#   run-local.sh [--once] [--prices FILE] [--summary-json OUT] [--report OUT]
#
# Ports: ORCH_API_PORT (8000) for the REST API and dashboard, and four
# admin ports from ORCH_DEMO_ADMIN_PORT (9101): ceo, risk_officer,
# strategy_officer, federation. Programs from ORCH_BIN_DIR (build/bin).
set -euo pipefail

once=0
report=
replay_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--once) once=1 ;;
	--prices | --summary-json | --report)
		[ $# -ge 2 ] || { echo "run-local: $1 needs a value" >&2; exit 2; }
		path=$(realpath -m -- "$2") # paths as given, before the cd below
		if [ "$1" = --report ]; then report=$path; else replay_args+=("$1" "$path"); fi
		shift
		;;
	*) echo "run-local: unknown argument '$1' (supported: --once, --prices FILE, --summary-json OUT, --report OUT)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "${ORCH_BIN_DIR:-}" ] || ORCH_BIN_DIR=$(realpath -m -- "$ORCH_BIN_DIR")
cd "$(dirname "$0")/.."
report=${report:-$PWD/build/demo-report.html}
mkdir -p "$(dirname "$report")"
replay_args+=(--report "$report")

bindir=${ORCH_BIN_DIR:-build/bin}
for b in risk_officer strategy_officer ceo federation replay; do
	[ -x "$bindir/$b" ] || { echo "run-local: $bindir/$b is missing (run make)" >&2; exit 1; }
done

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

workdir=$(mktemp -d /tmp/orch-demo-XXXXXX)
pids=()
cleanup() {
	for pid in "${pids[@]+"${pids[@]}"}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]+"${pids[@]}"}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$workdir" --save '' --appendonly yes \
	--logfile "$workdir/redis.log" --daemonize no &
pids+=($!)
for _ in $(seq 1 100); do
	redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
	sleep 0.05
done
redis-cli -p "$redis_port" ping >/dev/null
printf '%-17s 127.0.0.1:%d (pid %d, data in %s)\n' redis-server "$redis_port" "${pids[0]}" "$workdir"

api_port=${ORCH_API_PORT:-8000}
export ORCH_REDIS_URL="redis://127.0.0.1:$redis_port/0" ORCH_OUTBOX_DIR="$workdir" ORCH_LOG_LEVEL=warn \
	ORCH_POLICY_CREATE=true
# the operators' command key, new for each run: the CEO takes only commands
# signed with it; the replay feeder, the Federation and orchctl sign with it
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$workdir/command-key")
unset ORCH_COMMAND_KEY
export ORCH_COMMAND_KEY_FILE="$workdir/command-key"
# replay mode (deploy/env/replay.env, shared with docker-compose's demo)
set -a
# shellcheck disable=SC1091 # plain VAR=value lines
. deploy/env/replay.env
set +a
admin_base=${ORCH_DEMO_ADMIN_PORT:-9101}
admin=$admin_base
for svc in ceo risk_officer strategy_officer federation; do
	ORCH_INSTANCE_ID="$svc-demo" ORCH_ADMIN_PORT=$admin ORCH_API_PORT=$api_port "$bindir/$svc" \
		2>"$workdir/$svc.log" &
	pids+=($!)
	printf '%-17s admin http://127.0.0.1:%d/readyz (pid %d, log %s)\n' "$svc" "$admin" "$!" "$workdir/$svc.log"
	admin=$((admin + 1))
done
i=1
for port in $(seq "$admin_base" $((admin_base + 3))); do
	for _ in $(seq 1 200); do
		curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
		sleep 0.05
	done
	if ! kill -0 "${pids[$i]}" 2>/dev/null; then
		echo "run-local: a service stopped at start-up:" >&2
		cat "$workdir"/*.log >&2
		exit 1
	fi
	i=$((i + 1))
done

echo
echo "Replaying prices through a simulated book that obeys the PolicyStore ..."
"$bindir/replay" "${replay_args[@]}"
echo
echo "Report:     file://$report"
echo "Dashboard:  http://127.0.0.1:$api_port/"
echo "REST API:   http://127.0.0.1:$api_port/api/orchestration/global-state (see /api/orchestration/openapi.json)"
echo "Redis:      redis-cli -p $redis_port --scan --pattern 'quantum:*'"
echo "Commands:   ORCH_REDIS_URL=$ORCH_REDIS_URL ORCH_COMMAND_KEY_FILE=$ORCH_COMMAND_KEY_FILE $bindir/orchctl set-mode ..."
if [ "$once" -eq 1 ]; then
	exit 0
fi
echo "Press Ctrl-C to stop everything started here."
wait "${pids[0]}"
