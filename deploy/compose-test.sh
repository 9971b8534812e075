#!/usr/bin/env bash
# compose-test.sh - runs docker-compose.yml for real and checks the layer
# from the host (`make compose-test`; .ci/run runs it). Installs Debian's
# docker.io and docker-compose when missing; starts dockerd when no engine
# answers and stops it again by pid at the end; when debian:12-slim or
# redis:7 is missing and no registry gives it (or with --airgap), makes both
# from the Debian mirror (deploy/images-airgap.sh). Then, under a compose
# project of its own (the user's stack, image and volumes are never
# touched), with the API on a free loopback port, a fresh API token and a
# fresh Redis ACL (deploy/redis/gen-acl.sh, in the run's own directory)
# and a fresh command key:
#   - build, up -d, every service healthy;
#   - global-state 200 and complete, the three agents reporting, the dashboard;
#   - force-decision refused without the token, decided with it;
#   - Redis refusing a client without a user, and a command from the
#     risk_officer user;
#   - the PolicyStore's version (read inside the redis container, as the
#     operator) moved by two operator mode changes (orchctl in the tools
#     profile; a third, signed with another key, refused), then kept across
#     `restart ceo` and `restart redis` (AOF), and the layer deciding again
#     after both;
#   - down -v; then the demo profile in replay mode: the replay exits 0 and
#     prints its summary; down -v.
# Each step prints its time; the run is bounded (ORCH_COMPOSE_TEST_TIMEOUT,
# 1500 s); exit 0 only when every check passed. The images stay (the image
# built here is orchestration:compose-test): the next run starts warm.
#
#   compose-test.sh [--airgap]     (--airgap: never try a registry)
set -euo pipefail

airgap=0
for a in "$@"; do
	case $a in
	--airgap) airgap=1 ;;
	*) echo "compose-test: unknown argument '$a' (supported: --airgap)" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
budget=${ORCH_COMPOSE_TEST_TIMEOUT:-1500}
deadline=$((SECONDS + budget))
# what docker-compose.yml reads from the environment comes from this run
# alone, not from the caller's environment or .env
# shellcheck disable=SC2046 # one name per word
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME $(grep -o '{ORCH_[A-Z_]*' docker-compose.yml | tr -d '{' | sort -u)

work=$(mktemp -d /tmp/orch-compose-test-XXXXXX)
project=orch-compose-test-$$
started=0
dockerd_pid=""
passed=0
failed=0
timings=()
step_name=""
step_start=$SECONDS

# ---- output, time ----

step() {
	step_end
	step_name=$1
	step_start=$SECONDS
	printf '== %s (at %d s)\n' "$1" "$SECONDS"
}
step_end() {
	[ -n "$step_name" ] || return 0
	timings+=("$(printf '%6d s  %s' $((SECONDS - step_start)) "$step_name")")
	step_name=""
}
left() {
	local n=$((deadline - SECONDS))
	[ "$n" -gt 0 ] || { echo "compose-test: out of time (ORCH_COMPOSE_TEST_TIMEOUT=$budget s)" >&2; return 1; }
	echo "$n"
}
# until_s SECONDS: the value of $SECONDS to wait until, at most the deadline
until_s() {
	local t=$((SECONDS + $1))
	echo $((t < deadline ? t : deadline))
}
indent() {
	sed 's/^/   /'
}
# bounded CMD ...: CMD within the time left
bounded() {
	local n
	n=$(left) || return 1
	timeout --kill-after=10 "$n" "$@"
}
# check NAME WHY CMD ...: the check NAME passes when CMD succeeds, else
# fails saying WHY (-: the last HTTP answer)
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then
		passed=$((passed + 1))
		echo "   ok    $name"
	else
		failed=$((failed + 1))
		[ "$why" != - ] || why="HTTP $code: $(head -c 300 "$work/body" 2>/dev/null)"
		echo "   FAIL  $name: $why"
	fi
}
# logged NAME CMD ...: CMD's output goes to $work/NAME.log, shown when it fails
logged() {
	local log=$work/$1.log
	shift
	"$@" >"$log" 2>&1 && return 0
	tail -30 "$log" | indent >&2
	return 1
}
# fatal MESSAGE: a step the rest depends on failed
fatal() {
	echo "compose-test: $*" >&2
	failed=$((failed + 1))
	if [ "$started" -eq 1 ]; then
		echo "---- the services' last log lines" >&2
		dc logs --no-color --tail 15 >&2 2>&1 || true
	fi
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$started" -eq 1 ]; then
		timeout 120 docker-compose -p "$project" -f docker-compose.yml --env-file "$work/env" --profile demo \
			--profile tools down -v --remove-orphans >/dev/null 2>&1 || echo "compose-test: down -v of $project failed" >&2
	fi
	stop_engine
	rm -rf "$work"
	exit "$rc"
}
# stop_engine: stops the dockerd this script started, if it did
stop_engine() {
	[ -n "$dockerd_pid" ] || return 0
	kill "$dockerd_pid" 2>/dev/null || true
	timeout 60 tail --pid="$dockerd_pid" -f /dev/null || kill -9 "$dockerd_pid" 2>/dev/null || true
	echo "   stopped the dockerd started here (pid $dockerd_pid)"
	dockerd_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the engine ----

step "packages"
need=()
docker info >/dev/null 2>&1 || command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v curl >/dev/null || need+=(curl)
[ -x "$PY" ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
	logged apt bounded deploy/install-deps.sh --only "${need[@]}" || fatal "could not install ${need[*]}"
	echo "   installed ${need[*]}"
fi
docker-compose version --short

step "docker engine"
if ! docker info >/dev/null 2>&1; then
	dockerd >"$work/dockerd.log" 2>&1 &
	dockerd_pid=$!
	echo "   started dockerd (pid $dockerd_pid)"
	for _ in $(seq 1 60); do
		docker info >/dev/null 2>&1 && break
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 1
	done
	docker info >/dev/null 2>&1 || { tail -20 "$work/dockerd.log" >&2; fatal "dockerd did not answer"; }
fi
docker version -f '   engine {{.Server.Version}}, client {{.Client.Version}}'

step "base images (debian:12-slim, redis:7)"
missing=()
for img in debian:12-slim redis:7; do
	docker image inspect "$img" >/dev/null 2>&1 || missing+=("$img")
done
if [ ${#missing[@]} -gt 0 ] && [ "$airgap" -eq 0 ]; then
	for img in "${missing[@]}"; do
		timeout 60 docker pull -q "$img" >/dev/null 2>"$work/pull.log" || {
			echo "   no registry gave $img: $(tail -1 "$work/pull.log")"
			airgap=1
			break
		}
	done
fi
if [ "$airgap" -eq 1 ]; then
	bounded deploy/images-airgap.sh || fatal "could not make the base images from the Debian mirror"
fi

# ---- the live stack ----

api_port=$(free_port)
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
env -u ORCH_POLICY_KEY deploy/redis/gen-acl.sh --prefix quantum --out "$work/acl" | indent
command_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cat >"$work/env" <<EOF
ORCH_IMAGE=orchestration:compose-test
ORCH_API_HOST_IP=127.0.0.1
ORCH_API_PORT=$api_port
ORCH_API_TOKEN=$token
ORCH_REDIS_ACL_DIR=$work/acl
ORCH_COMMAND_KEY=$command_key
EOF
dc() { bounded docker-compose -p "$project" -f docker-compose.yml --env-file "$work/env" "$@"; }
api=http://127.0.0.1:$api_port/api/orchestration

step "docker-compose build"
logged build dc build || fatal "docker-compose build failed"
echo "   orchestration:compose-test, $(docker image inspect -f '{{.Size}}' orchestration:compose-test | numfmt --to=si)B"

# project_states: "service state" for each container of the project, the
# state being its health where it has a healthcheck
project_states() {
	docker ps -aq --filter "label=com.docker.compose.project=$project" |
		xargs -r docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'
}
# wait_healthy SECONDS: every service of the live stack healthy
services=(redis risk_officer strategy_officer ceo federation)
wait_healthy() {
	local limit s states all
	limit=$(until_s "$1")
	while :; do
		states=$(project_states)
		all=1
		for s in "${services[@]}"; do
			grep -qx "$s healthy" <<<"$states" || all=0
		done
		[ "$all" -eq 0 ] || return 0
		if [ "$SECONDS" -ge "$limit" ]; then
			indent <<<"$states"
			return 1
		fi
		sleep 1
	done
}

# http CURL-ARGS ...: the body in $work/body; prints the HTTP status
http() {
	curl -s -o "$work/body" -w '%{http_code}' --max-time 10 "$@" || true
}
# json EXPR: EXPR holds for the JSON document d in $work/body
json() {
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$work/body" "$1" 2>/dev/null
}
# wait_complete SECONDS: global-state answers 200 with every agent's state
code=""
wait_complete() {
	local limit
	limit=$(until_s "$1")
	until code=$(http "$api/global-state") && [ "$code" = 200 ] && json 'd["status"] == "ok" and d["data"]["complete"]'; do
		[ "$SECONDS" -lt "$limit" ] || return 1
		sleep 1
	done
}
# rcli USER ARGS...: redis-cli inside the redis container as USER of the
# generated ACL (none: no user at all)
rcli() {
	local u=$1 pw
	shift
	if [ "$u" = none ]; then
		# not even the healthcheck user the container's environment names
		dc exec -T redis env -u REDISCLI_AUTH redis-cli "$@"
		return
	fi
	pw=$(sed -n "s/^REDIS_PASSWORD_${u^^}=//p" "$work/acl/passwords.env")
	dc exec -T -e "REDISCLI_AUTH=$pw" redis redis-cli --user "$u" "$@"
}
# policy_version: the PolicyStore document's version, read as the operator;
# -1 when there is none
policy_version() {
	local v
	rcli operator GET quantum:policy:current >"$work/policy_get.txt" 2>&1
	v=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["version"])' <"$work/policy_get.txt" 2>/dev/null) || v=-1
	echo "$v"
}
# answers WANT USER ARGS...: redis-cli as USER answers a line starting with WANT
answers() {
	local want=$1
	shift
	rcli "$@" 2>&1 | grep -q "^$want"
}

# answered STATUS EXPR: the last request answered STATUS with a body for
# which EXPR holds ($code: the status http printed)
answered() {
	[ "$code" = "$1" ] && json "$2"
}
# force NAME [SECONDS]: a force-decision with the token is decided (within
# SECONDS: a CEO that lost its lease while Redis was away answers "not
# ready to decide" until it leads again, within the lease's ttl)
force() {
	local limit
	limit=$(until_s "${2:-0}")
	while code=$(http -X POST -H "Authorization: Bearer $token" "$api/agents/ceo/force-decision") &&
		[ "$code" = 502 ] && json 'd["error"]["code"] == "ceo_refused"' && [ "$SECONDS" -lt "$limit" ]; do
		sleep 1
	done
	check "$1" - \
		answered 200 'd["status"] == "ok" and "operating_mode" in d["decision"]'
}

step "docker-compose up -d (API on 127.0.0.1:$api_port)"
started=1
logged up dc up -d || fatal "docker-compose up -d failed"
wait_healthy 180 || fatal "not every service became healthy in 180 s"
project_states | indent

step "checks from the host"
check "global-state 200, complete" - wait_complete 90
code=$(http "$api/agents/status")
check "agents/status: ceo, risk, strategy" - \
	answered 200 'd["data"]["has_global_state"] and set(d["data"]["agents"]) == {"ceo", "risk", "strategy"}'
code=$(http "http://127.0.0.1:$api_port/")
check "dashboard" - grep -qi '<html' "$work/body"
code=$(http -X POST "$api/agents/ceo/force-decision")
check "force-decision without the token: 401" - answered 401 'd["error"]["code"] == "unauthorized"'
force "force-decision with the token"
check "redis: a client without a user refused" "not NOAUTH" answers NOAUTH none GET quantum:policy:current
check "redis: the risk_officer user cannot send a command" "not NOPERM" \
	answers NOPERM risk_officer XADD quantum:stream:ceo_command '*' event_type ceo_command payload '{}'

step "policy version across restarts"
v0=$(policy_version)
[ "$v0" -ge 1 ] || fatal "no PolicyStore document in Redis"
aof=$(rcli operator INFO persistence | sed -n 's/^aof_enabled:\([0-9]*\).*/\1/p')
check "redis runs with AOF" "aof_enabled '$aof'" [ "$aof" = 1 ]
for mode in DEFENSIVE GROWTH; do
	check "orchctl set-mode $mode (as the operator)" "orchctl failed" \
		logged set-mode dc run --rm --no-deps -T orchctl set-mode "$mode" --reason "compose test" --operator compose-test
done
# refused_elsewhere: a set-mode signed with another key is refused by the CEO
refused_elsewhere() {
	! dc run --rm --no-deps -T -e ORCH_COMMAND_KEY=another-key-0123456789abcdef orchctl set-mode GROWTH \
		--reason "compose test" --operator mallory >"$work/refused.log" 2>&1 &&
		grep -q 'bad signature' "$work/refused.log"
}
check "orchctl set-mode under another key: refused" "not refused for its signature" refused_elsewhere
v1=$(policy_version)
echo "   version $v0 at start, $v1 after two operator mode changes"
check "two mode changes, two versions" "$v0 -> $v1" [ "$v1" -ge $((v0 + 2)) ]
for s in ceo redis; do
	failed_before=$failed
	logged restart dc restart "$s" || fatal "docker-compose restart $s failed"
	check "restart $s: healthy again" "not within 120 s" wait_healthy 120
	check "restart $s: global-state complete again" - wait_complete 60
	v=$(policy_version)
	echo "   version $v after restart $s"
	check "restart $s: no policy version lost" "$v1 -> $v" [ "$v" -ge "$v1" ]
	force "force-decision after restart $s" 30
	if [ "$failed" -gt "$failed_before" ]; then
		echo "---- GET of the policy key answered: $(head -c 300 "$work/policy_get.txt")" >&2
		echo "---- the CEO's and Redis's last log lines after restart $s" >&2
		dc logs --no-color --tail 40 ceo redis >&2 2>&1 || true
	fi
done

step "docker-compose down -v"
logged down dc down -v || fatal "docker-compose down -v failed"
remaining=$(docker ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)
check "down -v: no container left" "$remaining left" [ "$remaining" -eq 0 ]

# ---- the demo profile ----

step "demo profile (replay mode)"
echo "ORCH_ENV_FILE=deploy/env/replay.env" >>"$work/env"
logged up dc --profile demo up -d || fatal "docker-compose --profile demo up -d failed"
replay=$(dc --profile demo ps -q replay)
[ -n "$replay" ] || fatal "no replay container"
limit=$(until_s 300)
until [ "$(docker inspect -f '{{.State.Status}}' "$replay")" = exited ] || [ "$SECONDS" -ge "$limit" ]; do
	sleep 2
done
state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$replay")
dc --profile demo logs --no-color replay | sed 's/^[^|]*| //' >"$work/replay.log" 2>&1 || true
sed -n '/^book /,$p' "$work/replay.log" | indent
check "replay exits 0" "$state" [ "$state" = "exited 0" ]
check "replay summary printed" "no summary in its log" grep -q '^without layer ' "$work/replay.log"
logged down dc --profile demo down -v || fatal "docker-compose --profile demo down -v failed"
started=0

step_end
echo "== disk"
docker system df | indent
stop_engine
echo "== times"
printf '%s\n' "${timings[@]}"
printf '%6d s  total\n' "$SECONDS"
echo "compose-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
