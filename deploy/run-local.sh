#!/usr/bin/env bash
# run-local.sh - the local stack behind `make demo`: a private redis-server
# on a free loopback port with a temporary directory, then every service
# built in build/bin, each with its admin port. Stays up until Ctrl-C
# (or exits after start-up with --once) and stops what it started by pid.
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
for arg in "$@"; do
	case "$arg" in
	--once) once=1 ;;
	*) echo "run-local: unknown argument '$arg' (supported: --once)" >&2; exit 2 ;;
	esac
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

export ORCH_REDIS_URL="redis://127.0.0.1:$redis_port/0"
export ORCH_OUTBOX_DIR="$workdir"
admin=9101
started=0
for svc in risk_officer strategy_officer ceo federation; do
	if [ -x "build/bin/$svc" ]; then
		ORCH_INSTANCE_ID="$svc-demo" ORCH_ADMIN_PORT=$admin "build/bin/$svc" 2>"$workdir/$svc.log" &
		pids+=($!)
		printf '%-17s admin http://127.0.0.1:%d/readyz (pid %d, log %s)\n' "$svc" "$admin" "$!" "$workdir/$svc.log"
		started=$((started + 1))
	else
		printf '%-17s not built yet: this service does not exist in this version\n' "$svc"
	fi
	admin=$((admin + 1))
done

echo
echo "Redis is ready for the EventBus and PolicyStore; $started of 4 services running."
echo "Inspect with: redis-cli -p $redis_port --scan --pattern 'quantum:*'"
if [ "$once" -eq 1 ]; then
	exit 0
fi
echo "Press Ctrl-C to stop everything started here."
wait "${pids[0]}"
