#!/usr/bin/env bash
# gen-acl.sh - writes the layer's Redis ACL (docs/security.md): a user per
# service (ceo, risk_officer, strategy_officer, federation), `operator`
# (orchctl, the replay feeder), `trading` (the original system's producers),
# `healthcheck` (PING only) and `default` off. Each service writes only its
# own streams and keys, consumes only its inputs and dead-letters only them;
# the lists and rules below are read from the code, each naming where.
# Passwords: REDIS_PASSWORD_<USER> from the environment, else the one an
# earlier run kept in DIR/passwords.env, else 32 random bytes (hex); with
# --rotate USER (or all), a new one. Writes into DIR (deploy/redis/generated):
#   users.acl      for redis-server --aclfile; passwords as SHA-256 hashes
#   passwords.env  REDIS_PASSWORD_<USER>=... for every user
#   services.env   the four services' lines of it (the Kubernetes Secret)
#   <user>.env     ORCH_REDIS_URL=redis://<user>:<password>@HOST/DB for
#                  docker-compose's env_file; healthcheck.env: REDISCLI_AUTH
# Every file but users.acl is readable by its owner only.
#
#   gen-acl.sh [--prefix P] [--policy-key KEY] [--redis HOST:PORT] [--db N]
#              [--out DIR] [--rotate USER|all]...
# --prefix defaults to ORCH_PREFIX (quantum), --policy-key to ORCH_POLICY_KEY
# ({prefix}:policy:current): give both the values the services run with.
set -euo pipefail

prefix=${ORCH_PREFIX:-quantum}
policy_key=${ORCH_POLICY_KEY:-}
redis=redis:6379
db=0
out=$(dirname "$0")/generated
rotate=" "
usage() {
	echo "usage: gen-acl.sh [--prefix P] [--policy-key KEY] [--redis HOST:PORT] [--db N] [--out DIR] [--rotate USER|all]..." >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--prefix | --policy-key | --redis | --db | --out | --rotate)
		[ $# -ge 2 ] || { echo "gen-acl: $1 needs a value" >&2; usage; }
		case $1 in
		--prefix) prefix=$2 ;;
		--policy-key) policy_key=$2 ;;
		--redis) redis=$2 ;;
		--db) db=$2 ;;
		--out) out=$2 ;;
		--rotate) rotate="$rotate$2 " ;;
		esac
		shift 2
		;;
	-h | --help) usage ;;
	*) echo "gen-acl: unknown argument '$1'" >&2; usage ;;
	esac
done

USERS=(ceo risk_officer strategy_officer federation operator trading healthcheck)
SERVICES=(ceo risk_officer strategy_officer federation)

# Names become ACL key patterns: no glob characters, no spaces.
name_ok() { [[ $1 =~ ^[A-Za-z0-9_.:-]+$ ]]; }
name_ok "$prefix" || { echo "gen-acl: --prefix '$prefix': letters, digits and _.:- only" >&2; exit 2; }
[ -n "$policy_key" ] || policy_key=$prefix:policy:current
name_ok "$policy_key" || { echo "gen-acl: --policy-key '$policy_key': letters, digits and _.:- only" >&2; exit 2; }
[[ $redis =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || { echo "gen-acl: --redis '$redis': HOST:PORT" >&2; exit 2; }
[[ $db =~ ^[0-9]+$ ]] || { echo "gen-acl: --db '$db': a number" >&2; exit 2; }
for u in $rotate; do
	[ "$u" = all ] || [[ " ${USERS[*]} " == *" $u "* ]] || { echo "gen-acl: --rotate '$u': one of ${USERS[*]} or all" >&2; exit 2; }
done

# ---- what each service reads and writes (event types, from the code) ----

# ceo/ceo_inputs.c ceo_input_types; ceo/ceo_service.c bus_publish_new
CEO_IN=(risk_state_update risk_alert risk_ceiling_update strategy_state_update system_health_update
	system_degraded meta.regime regime_detected ceo_command)
CEO_OUT=(ceo_decision ceo_mode_switch ceo_mode_history ceo_alert ceo_command_reply)
# ceo/ceo_service_store.c attach: stored by the PolicyStore's script with the document
# (both arrays are read by name in service_rules, which shellcheck cannot follow)
# shellcheck disable=SC2034
CEO_RECORDS=(ceo_mode_switch ceo_mode_history)
# shellcheck disable=SC2034
NO_RECORDS=()
# risk_officer/risk_book.c risk_input_known_types (ORCH_RISK_INPUTS picks among them);
# risk_officer/risk_officer_service.c bus_publish_new
RISK_IN=(trade.closed position.closed position_closed portfolio.snapshot_updated portfolio_state_update
	portfolio.exposure_updated)
RISK_OUT=(risk_state_update risk_ceiling_update risk_alert)
# strategy_officer/strategy_book.c strat_input_known_types (ORCH_STRATEGY_INPUTS);
# strategy_officer/strategy_officer_service.c bus_publish_new
STRAT_IN=(trade.closed position.closed position_closed ai.decision.made ai.signal_generated model_prediction
	strategy_executed meta.regime regime_detected)
STRAT_OUT=(strategy_state_update strategy_alert strategy_recommendation)
# federation/federation_service.c INPUTS; global_state_update, and ceo_command
# for POST force-decision
FED_IN=(ceo_decision ceo_mode_switch ceo_alert ceo_command_reply ceo_mode_history risk_state_update risk_alert
	risk_ceiling_update strategy_state_update strategy_recommendation strategy_alert)
FED_OUT=(global_state_update ceo_command)

# What the trading side produces: every type a service consumes that is
# neither a service's output nor an operator's command.
mapfile -t TRADING_OUT < <(printf '%s\n' "${CEO_IN[@]}" "${RISK_IN[@]}" "${STRAT_IN[@]}" "${FED_IN[@]}" | sort -u |
	grep -vxF -f <(printf '%s\n' "${CEO_OUT[@]}" "${RISK_OUT[@]}" "${STRAT_OUT[@]}" "${FED_OUT[@]}" ceo_command))

# ---- rules ----

# keys PERM KIND NAME...: " PERM~{prefix}:KIND:NAME" for each NAME (KIND
# stream, dlq or lease; PERM "" read and write, %R read, %W write)
keys() {
	local perm=$1 kind=$2 n
	shift 2
	for n in "$@"; do printf ' %s~%s:%s:%s' "$perm" "$prefix" "$kind" "$n"; done
}
doc=$policy_key
fence=$prefix:policy:fence
history=$prefix:policy:history
changes=$prefix:stream:policy.updated

# Connection commands of the services (common/redis_conn.c handshake, ROLE
# with Sentinel; INFO server: policy_load.c's restart check; WAIT:
# redis_command.c; CLIENT KILL: bus.c ends its own blocked reader at stop).
SVC_ROOT="-@all +select +client|setname +client|id +client|kill +info +role +wait"

# service_rules IN_ARRAY OUT_ARRAY LEASE_ROLE POLICY RECORDS_ARRAY: the
# rules of a service consuming IN and publishing OUT, holding the lease
# LEASE_ROLE (or none) and writing the PolicyStore (POLICY: fenced = with
# its lease token, as the CEO; plain = without, as the Strategy Officer;
# read = not at all), with the streams of RECORDS (of OUT) written by the
# PolicyStore's script beside the document (policy_cas_records).
service_rules() {
	local -n ins=$1 outs=$2 recs=$5
	local role=$3 policy=$4 sel
	printf '%s' "$SVC_ROOT"
	# consuming (common/bus_read.c, bus_consume.c; LUA_CLAIM in bus_read.c)
	printf ' (+xgroup|create +xreadgroup +xack +xpending +xclaim +xautoclaim%s)' "$(keys '' stream "${ins[@]}")"
	# reading: the inputs (bus_replay.c), the PolicyStore (policy_load.c)
	printf ' (+get +type +xrevrange +xread%s %%R~%s %%R~%s)' "$(keys %R stream "${ins[@]}")" "$doc" "$changes"
	# publishing (bus_publish.c) and dead letters (LUA_DLQ_FN, bus_internal.h)
	sel="+xadd$(keys %W stream "${outs[@]}")$(keys %W dlq "${ins[@]}")"
	[ "$policy" = read ] || sel="$sel %W~$history %W~$changes"
	printf ' (%s)' "$sel"
	# the scripts: EVAL needs every key it declares (the commands inside
	# are checked one by one against the selectors here)
	sel="+eval +evalsha$(keys '' stream "${ins[@]}")$(keys '' dlq "${ins[@]}")"
	[ -z "$role" ] || sel="$sel$(keys '' lease "$role" "$role:fence")"
	[ "$policy" = read ] || sel="$sel ~$doc ~$fence ~$history ~$changes$(keys '' stream "${recs[@]}")"
	printf ' (%s)' "$sel"
	# the lease (common/lease.c: LUA_ACQUIRE, LUA_RENEW, LUA_RELEASE)
	[ -z "$role" ] || printf ' (+get +pttl +set +pexpire +del%s) (+incr%s)' "$(keys '' lease "$role")" \
		"$(keys '' lease "$role:fence")"
	# the PolicyStore's compare-and-set (common/policy.c LUA_CAS), which
	# checks the type of every stream it writes before writing anything
	[ "$policy" = read ] || printf ' (+get +type +set ~%s) (+type %%R~%s %%R~%s%s)' "$doc" "$history" "$changes" \
		"$(keys %R stream "${recs[@]}")"
	[ "$policy" != fenced ] || printf ' (+get +set ~%s)' "$fence"
	return 0
}

# federation/federation_service.c reads who holds each lease
federation_rules() {
	service_rules FED_IN FED_OUT "" read NO_RECORDS
	printf ' (+get%s)' "$(keys %R lease ceo risk_officer strategy_officer)"
}

# orchctl (tools/orchctl: status, tail, commands, dlq) and the replay feeder
# (tools/replay): read everything of the layer, send commands, feed the
# trading side's inputs, put their dead letters back (LUA_RETRY in
# orchctl_dlq.c) and drop any. Never a service's output, the PolicyStore
# or a lease.
operator_rules() {
	printf '%s' "-@all +select +ping +info +role +scan"
	printf ' (+get +type +xrange +xrevrange +xread +xlen +xinfo|groups +xinfo|stream %%R~%s:*' "$prefix"
	[[ $doc == "$prefix":* ]] || printf ' %%R~%s' "$doc"
	printf ')'
	printf ' (+xadd%s)' "$(keys %W stream ceo_command "${TRADING_OUT[@]}")"
	printf ' (+xdel ~%s:dlq:*)' "$prefix"
	printf ' (+eval +evalsha ~%s:dlq:*%s)' "$prefix" "$(keys '' stream ceo_command "${TRADING_OUT[@]}")"
}

# The original system's producers: feed the layer's inputs, read its
# outputs and the PolicyStore, consume policy.updated with groups of their
# own (its readers only XREAD it). When the document has a key of its own,
# the live trading path's HASH at {prefix}:policy:current and the streams
# its store writes (original-system-wire.md 2.4, 2.5) are theirs.
trading_rules() {
	printf '%s' "-@all +select +ping +client|setname +client|id +info +role +multi +exec +discard"
	printf ' (+xadd%s)' "$(keys %W stream "${TRADING_OUT[@]}")"
	printf ' (+get +type +exists +xrange +xrevrange +xread +xlen +xinfo|groups +xinfo|stream %%R~%s:stream:* %%R~%s)' \
		"$prefix" "$doc"
	printf ' (+xgroup|create +xreadgroup +xack +xpending +xclaim +xautoclaim ~%s)' "$changes"
	if [ "$doc" != "$prefix:policy:current" ]; then
		printf ' (+@hash +del +exists +type +expire +pexpire +ttl ~%s:policy:current)' "$prefix"
		printf ' (+xadd%s)' "$(keys %W stream policy.update policy.audit)"
	fi
}

rules_of() {
	case $1 in
	ceo) service_rules CEO_IN CEO_OUT ceo fenced CEO_RECORDS ;;
	risk_officer) service_rules RISK_IN RISK_OUT risk_officer read NO_RECORDS ;;
	strategy_officer) service_rules STRAT_IN STRAT_OUT strategy_officer plain NO_RECORDS ;;
	federation) federation_rules ;;
	operator) operator_rules ;;
	trading) trading_rules ;;
	healthcheck) printf '%s' "-@all +ping" ;;
	esac
}

# ---- passwords ----

var_of() { printf 'REDIS_PASSWORD_%s' "${1^^}"; }
declare -A pw
for u in "${USERS[@]}"; do
	v=$(var_of "$u")
	p=""
	if [[ $rotate != *" $u "* && $rotate != *" all "* ]]; then
		p=${!v:-}
		[ -n "$p" ] || [ ! -f "$out/passwords.env" ] || p=$(sed -n "s/^$v=//p" "$out/passwords.env" | tail -1)
	fi
	[ -n "$p" ] || p=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	# the password goes into URLs and ACL rules as it is
	[[ $p =~ ^[A-Za-z0-9._~-]{16,}$ ]] || { echo "gen-acl: $v: 16 or more of A-Z a-z 0-9 . _ ~ -" >&2; exit 2; }
	pw[$u]=$p
done

# ---- the files ----

umask 077
mkdir -p "$out"

# write FILE: stdin to FILE, replaced at once
write() {
	cat >"$1.tmp"
	mv -f "$1.tmp" "$1"
}
# (an ACL file holds no comments)
{
	echo "user default off resetpass resetkeys resetchannels -@all"
	for u in "${USERS[@]}"; do
		hash=$(printf '%s' "${pw[$u]}" | sha256sum | cut -d' ' -f1)
		echo "user $u on #$hash resetkeys resetchannels $(rules_of "$u")"
	done
} | write "$out/users.acl"
chmod 0644 "$out/users.acl" # hashes only; Redis' own user reads it
for u in "${USERS[@]}"; do echo "$(var_of "$u")=${pw[$u]}"; done | write "$out/passwords.env"
for u in "${SERVICES[@]}"; do echo "$(var_of "$u")=${pw[$u]}"; done | write "$out/services.env"
for u in "${USERS[@]}"; do
	if [ "$u" = healthcheck ]; then
		echo "REDISCLI_AUTH=${pw[$u]}"
	else
		echo "ORCH_REDIS_URL=redis://$u:${pw[$u]}@$redis/$db"
	fi | write "$out/$u.env"
done
echo "gen-acl: users ${USERS[*]} (default off) for prefix $prefix, PolicyStore key $doc, in $out"
