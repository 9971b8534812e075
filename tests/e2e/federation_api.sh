#!/usr/bin/env bash
# federation_api.sh - end-to-end test of the Federation's REST API with curl
# against a real federation, a real ceo and a private redis-server on free
# loopback ports: initializing before the agents report, the merged state
# once they did (stricter limit wins), agents status, ETag -> 304, mode
# history after an operator command, force-decision with no token (401),
# a wrong token (401 + WWW-Authenticate), the right token (200 with the
# CEO's decision) and with no CEO running (504), writes refused without a
# configured token (403), without a command key to sign with (503), 404,
# 405 with Allow, 413, bad query 400; the
# Bearer scheme in any case, a control character after the token refused
# (401), 413 at once for an announced 10 MB body, the security headers
# (CSP, X-Frame-Options, nosniff) on the dashboard and every answer; the
# agents' status with the original's get_status() keys holding the values
# the agents stated (intervals, counts, last payloads, lease holders); the
# /events stream receiving a state change, Last-Event-ID resuming, and a
# clean SIGTERM with a stream open; /healthz, /readyz and /metrics.
# Everything it starts is stopped on exit. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/stack.sh" federation_api
token=e2e-token-0123456789abcdef
aport=$(free_port)
ORCH_INSTANCE_ID=fed-1 ORCH_API_PORT=$aport ORCH_API_TOKEN=$token ORCH_FEDERATION_FORCE_TIMEOUT_MS=1500 \
	ORCH_FEDERATION_INTERVAL_S=12 "$bindir/federation" 2>"$tmp/federation.log" &
fed_pid=$!
pids+=($fed_pid)
api=http://127.0.0.1:$aport/api/orchestration
for _ in $(seq 1 100); do curl -s -o /dev/null "$api/openapi.json" && break; sleep 0.05; done

# curl_check NAME WANT_STATUS ARGS...: stores the body in $tmp/body
curl_check() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	local got
	got=$(curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --max-time 10 "$@") || true
	[ "$got" = "$want" ] || fail "$name: status $got, want $want: $(head -c 300 "$tmp/body")"
}
json_check() {
	local name=$1 expr=$2
	checks=$((checks + 1))
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert $expr, d" "$tmp/body" 2>/dev/null ||
		fail "$name: $expr does not hold for $(head -c 300 "$tmp/body")"
}

# no agent yet: initializing
curl_check "initializing" 200 "$api/global-state"
json_check "initializing" 'd["status"] == "initializing"'

# no CEO running: force-decision times out
curl_check "force, no ceo" 504 -X POST -H "Authorization: Bearer $token" "$api/agents/ceo/force-decision"
json_check "force, no ceo" 'd["error"]["code"] == "ceo_timeout"'

ORCH_INSTANCE_ID=ceo-1 ORCH_LEASE_TTL_MS=1000 ORCH_CEO_DEBOUNCE_MS=10 ORCH_CEO_INTERVAL_S=45 "$bindir/ceo" \
	2>"$tmp/ceo.log" &
pids+=($!)
publish risk_state_update '{"risk_score": 20, "risk_level": "low", "metrics": {"daily_drawdown": 0.0}}'
publish strategy_state_update '{"win_rate": 0.6, "primary_strategy": "trend", "ranking": [{"strategy": "trend", "status": "active"}]}'
publish risk_ceiling_update '{"max_leverage": 2.5, "max_risk_per_trade": 0.01, "max_positions": 4}'
for _ in $(seq 1 100); do
	curl -s "$api/global-state" >"$tmp/body"
	"$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["status"] != "ok")' "$tmp/body" 2>/dev/null && break
	sleep 0.1
done
curl_check "global state" 200 "$api/global-state"
json_check "global state" 'd["status"] == "ok" and d["data"]["global_mode"] in ("EXPANSION", "GROWTH", "DEFENSIVE")'
json_check "stricter limit" 'd["data"]["effective_risk_limits"]["max_leverage"] == 2.5 and d["data"]["limit_sources"]["max_leverage"] in ("policy", "ceo", "risk_ceiling")'
json_check "active strategies" 'd["data"]["active_strategies"] == ["trend"]'
etag=$(grep -i '^etag:' "$tmp/headers" | cut -d' ' -f2 | tr -d '\r')
curl_check "if-none-match" 304 -H "If-None-Match: $etag" "$api/global-state"
curl_check "agents" 200 "$api/agents/status"
json_check "agents" 'd["data"]["has_global_state"] and set(d["data"]["agents"]) == {"ceo", "risk", "strategy"}'
curl_check "ceo status" 200 "$api/agents/ceo/status"
json_check "ceo status" 'd["data"]["agent"] == "ceo" and d["data"]["running"] and d["data"]["enabled"]'
curl_check "openapi" 200 "$api/openapi.json"
json_check "openapi" '"/api/orchestration/agents/ceo/force-decision" in d["paths"]'

# force decision: no token, wrong token, right token
curl_check "force, no token" 401 -X POST "$api/agents/ceo/force-decision"
curl_check "force, wrong token" 401 -X POST -H "Authorization: Bearer nope" "$api/agents/ceo/force-decision"
checks=$((checks + 1))
grep -qi '^www-authenticate: bearer' "$tmp/headers" || fail "401 without WWW-Authenticate"
curl_check "force" 200 -X POST -H "Authorization: Bearer $token" "$api/agents/ceo/force-decision"
json_check "force" 'd["status"] == "ok" and d["decision"]["trigger"] == "command" and "operating_mode" in d["decision"]'
# the scheme in any case (RFC 7235); a control character in the header refuses
curl_check "force, lower-case scheme" 200 -X POST -H "Authorization: bearer $token" "$api/agents/ceo/force-decision"
curl_check "force, upper-case scheme" 200 -X POST -H "Authorization: BEARER  $token" "$api/agents/ceo/force-decision"
raw_status() { # the status line of raw request bytes (printf format) sent to the API port
	"$PY" - "$aport" "$1" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
print(s.recv(200).split(b"\r\n")[0].decode(), end="")
PYEOF
}
for bad in '\x00x' '\x00' '\x01' '\x7f'; do
	checks=$((checks + 1))
	got=$(raw_status "POST /api/orchestration/agents/ceo/force-decision HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nAuthorization: Bearer $token$bad\r\nConnection: close\r\n\r\n") || true
	[ "$got" = "HTTP/1.1 401 Unauthorized" ] || fail "token followed by $bad: $got, want 401"
	checks=$((checks + 1))
	got=$(raw_status "POST /api/orchestration/agents/ceo/force-decision HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nAuthorization: Bearer $token$bad\r\n\r\n") || true
	[ "$got" = "HTTP/1.1 401 Unauthorized" ] || fail "token followed by $bad in the last header: $got, want 401"
done
checks=$((checks + 1))
got=$(raw_status "POST /api/orchestration/agents/ceo/force-decision HTTP/1.1\nHost: t\nContent-Length: 0\nAuthorization: Bearer $token\n\n") || true
[ "$got" = "HTTP/1.1 200 OK" ] || fail "a clean token with bare LF line ends: $got, want 200"

# an operator's mode change shows in the history
publish_command "{\"request_id\": \"e2e-op\", \"action\": \"set_mode\", \"mode\": \"DEFENSIVE\", \"reason\": \"drill\", \"operator\": \"e2e\"}"
for _ in $(seq 1 50); do
	curl -s "$api/mode-history?limit=1" >"$tmp/body"
	grep -q e2e-op "$tmp/body" && break
	sleep 0.1
done
curl_check "mode history" 200 "$api/mode-history?limit=1"
json_check "mode history" 'len(d["data"]) == 1 and d["data"][0]["request_id"] == "e2e-op" and d["data"][0]["new_mode"] == "DEFENSIVE"'
# a history entry far bigger than any the CEO writes is dead-lettered, not kept
publish ceo_mode_history "{\"request_id\": \"e2e-big\", \"new_mode\": \"GROWTH\", \"reason\": \"$(head -c 20000 /dev/zero | tr '\0' x)\"}"
for _ in $(seq 1 50); do
	[ "$(redis-cli -p "$rport" XLEN t:dlq:ceo_mode_history)" -ge 1 ] && break
	sleep 0.1
done
checks=$((checks + 1))
redis-cli -p "$rport" --raw XRANGE t:dlq:ceo_mode_history - + | grep -q 'more than 16384: not kept' ||
	fail "a 20 kB ceo_mode_history entry was not dead-lettered with its reason"
curl_check "mode history after a big entry" 200 "$api/mode-history?limit=1"
json_check "mode history after a big entry" 'd["data"][0]["request_id"] == "e2e-op"'

# server-sent events: a state change arrives on an open stream
curl -s -N --max-time 3 "$api/events" >"$tmp/sse" &
sse_pid=$!
sleep 0.5
publish risk_state_update '{"risk_score": 33, "risk_level": "moderate", "metrics": {"daily_drawdown": 0.0}}'
wait "$sse_pid" || true
checks=$((checks + 1))
"$PY" - "$tmp/sse" <<'PYEOF' || fail "events: $(head -c 400 "$tmp/sse")"
import json, sys
ids, states = [], []
event = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("id: "):
        ids.append(int(line[4:]))
    elif line.startswith("event: "):
        event = line[7:]
    elif line.startswith("data: ") and event == "state":
        states.append(json.loads(line[6:]))
assert ids == sorted(ids) and len(ids) >= 2, ids
assert any(s["risk_score"] == 33 for s in states), [s["risk_score"] for s in states]
PYEOF
last=$(grep '^id: ' "$tmp/sse" | tail -1 | cut -d' ' -f2)
curl -s -N --max-time 1 -H "Last-Event-ID: $((last - 1))" "$api/events" >"$tmp/sse2" || true
checks=$((checks + 1))
[ "$(grep '^id: ' "$tmp/sse2" | head -1 | cut -d' ' -f2)" = "$last" ] ||
	fail "Last-Event-ID $((last - 1)) did not resume at $last: $(head -c 200 "$tmp/sse2")"

# the probes beside the API
base=http://127.0.0.1:$aport
curl_check "healthz" 200 "$base/healthz"
curl_check "readyz" 200 "$base/readyz"
json_check "readyz" 'd["status"] == "ready" and "bus" in d["checks"]'
curl_check "metrics" 200 "$base/metrics"
checks=$((checks + 1))
grep -q '^orch_federation_events_total [1-9]' "$tmp/body" || fail "metrics without orch_federation_events_total"

# security headers on the dashboard, on API answers and on errors
curl_check "dashboard" 200 "$base/"
checks=$((checks + 1))
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'; style-src 'self';" "$tmp/headers" ||
	fail "dashboard without its CSP: $(grep -i '^content-security' "$tmp/headers")"
for url in "$base/" "$base/static/app.js" "$api/global-state" "$api/nothing" "$base/healthz" "$base/compat/ceo/status"; do
	curl -s -o /dev/null -D "$tmp/headers" --max-time 10 "$url" || true
	checks=$((checks + 1))
	grep -qi '^x-frame-options: DENY' "$tmp/headers" && grep -qi '^x-content-type-options: nosniff' "$tmp/headers" &&
		grep -qi "^content-security-policy: default-src 'none';.*frame-ancestors 'none'" "$tmp/headers" ||
		fail "security headers missing at $url"
done

# errors
curl_check "unknown path" 404 "$api/nothing"
json_check "unknown path" 'd["status"] == "error" and d["error"]["code"] == "not_found"'
curl_check "wrong method" 405 -X DELETE "$api/global-state"
checks=$((checks + 1))
grep -qi '^allow: GET, HEAD' "$tmp/headers" || fail "405 without Allow"
curl_check "get on a write" 405 "$api/agents/ceo/force-decision"
head -c 70000 /dev/zero | tr '\0' 'x' >"$tmp/big"
curl_check "too large" 413 -X POST -H "Authorization: Bearer $token" --data-binary "@$tmp/big" \
	"$api/agents/ceo/force-decision"
curl_check "bad limit" 400 "$api/mode-history?limit=0"
# a body announced over 64 KiB is refused before it is sent
checks=$((checks + 1))
got=$(raw_status "POST /api/orchestration/agents/ceo/force-decision HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $token\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n") || true
[ "$got" = "HTTP/1.1 413 Content Too Large" ] || [ "$got" = "HTTP/1.1 413 Payload Too Large" ] ||
	fail "Content-Length 10 MB without the body: '$got', want 413 at once"

# the agents' status in the shape of the original's get_status(), with the values the
# federation holds: the intervals the agents state, counts, last payloads, lease holders
publish risk_state_update '{"risk_score": 30, "risk_level": "moderate", "assessment_interval_s": 20, "metrics": {"daily_drawdown": 0.0, "n_obs": 42, "equity": 100000}}'
publish strategy_state_update '{"win_rate": 0.6, "primary_strategy": "trend", "ranking": [{"strategy": "trend", "status": "active"}], "analysis_interval_s": 60, "strategies_tracked": 2, "models": [{"model": "a"}, {"model": "b"}, {"model": "c"}], "regime": "trending"}'
publish strategy_recommendation '{"primary_strategy": "trend", "n": 1}'
publish strategy_recommendation '{"primary_strategy": "trend", "n": 2}'
for _ in $(seq 1 300); do # the lease holders are read every ORCH_FEDERATION_INTERVAL_S
	curl -s "$api/agents/status" >"$tmp/agents.json"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]["agents"]; sys.exit(not (d["ceo"]["instance_id"] and d["strategy"]["last_recommendation"] and d["strategy"]["last_recommendation"]["n"] == 2 and d["risk"]["returns_history_length"] == 42))' "$tmp/agents.json" 2>/dev/null && break
	sleep 0.1
done
curl -s "$api/global-state" >"$tmp/global.json"
redis-cli -p "$rport" GET t:policy:current >"$tmp/policy.json"
redis-cli -p "$rport" XLEN t:stream:ceo_decision >"$tmp/decisions"
redis-cli -p "$rport" --raw XREVRANGE t:stream:ceo_decision + - COUNT 1 | grep '^{' | head -1 >"$tmp/last_decision.json"
checks=$((checks + 1))
"$PY" - "$tmp" <<'PYEOF' || fail "agents status: see above"
import json, sys
t = sys.argv[1]
d = json.load(open(t + "/agents.json"))["data"]
gs = json.load(open(t + "/global.json"))["data"]
policy = json.load(open(t + "/policy.json"))
decisions = int(open(t + "/decisions").read())
last = json.load(open(t + "/last_decision.json"))
ceo, risk, strat = d["agents"]["ceo"], d["agents"]["risk"], d["agents"]["strategy"]
want = [
    (d["instance_id"], "fed-1"), (d["running"], True), (d["update_interval"], 12.0), (d["has_global_state"], True),
    (d["latest_global_state"]["global_mode"], gs["global_mode"]),
    (ceo["instance_id"], "ceo-1"), (ceo["running"], True), (ceo["decision_interval"], 45.0),
    (ceo["current_mode"], policy["operating_mode"]), (ceo["recent_decisions_count"], min(decisions, 10)),
    (ceo["last_decision"]["decision_timestamp"], last["decision_timestamp"]),
    (ceo["cached_states"], {"risk_state_available": True, "strategy_state_available": True,
                            "portfolio_state_available": True, "system_health_available": True}),
    (risk["assessment_interval"], 20.0), (risk["returns_history_length"], 42), (risk["recent_assessments_count"], 3),
    (risk["last_assessment"]["risk_score"], 30), (risk["portfolio_state_cached"], True),
    (strat["analysis_interval"], 60.0), (strat["tracked_strategies"], 2), (strat["tracked_models"], 3),
    (strat["current_regime"], "trending"), (strat["recent_recommendations_count"], 2),
]
for k in ("ceo_state", "risk_state", "strategy_state"):
    h = d["integration_health"][k]
    want += [(h["available"], True), (h["stale"], False), (isinstance(h["age_seconds"], float) and 0 <= h["age_seconds"] < 60, True)]
bad = [(i, got, exp) for i, (got, exp) in enumerate(want) if got != exp]
for i, got, exp in bad:
    print(f"  check {i}: got {json.dumps(got)[:200]}, want {json.dumps(exp)[:200]}", file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
for a in ceo risk strategy; do
	curl_check "$a status" 200 "$api/agents/$a/status"
	json_check "$a status" "d[\"data\"][\"agent\"] == \"$a\" and set(d[\"data\"]) == set(json.load(open(\"$tmp/agents.json\"))[\"data\"][\"agents\"][\"$a\"])"
done

# a second federation without a token refuses writes
aport2=$(free_port)
ORCH_INSTANCE_ID=fed-2 ORCH_API_PORT=$aport2 "$bindir/federation" 2>"$tmp/federation2.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$aport2/api/orchestration/openapi.json" && break; sleep 0.05; done
curl_check "no token configured" 403 -X POST -H "Authorization: Bearer $token" \
	"http://127.0.0.1:$aport2/api/orchestration/agents/ceo/force-decision"
# and one with a token but no command key cannot sign: 503, nothing sent
aport3=$(free_port)
ORCH_INSTANCE_ID=fed-3 ORCH_API_PORT=$aport3 ORCH_API_TOKEN=$token ORCH_COMMAND_KEY= "$bindir/federation" \
	2>"$tmp/federation3.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$aport3/api/orchestration/openapi.json" && break; sleep 0.05; done
commands=$(redis-cli -p "$rport" XLEN t:stream:ceo_command)
curl_check "no command key" 503 -X POST -H "Authorization: Bearer $token" \
	"http://127.0.0.1:$aport3/api/orchestration/agents/ceo/force-decision"
json_check "no command key" 'd["error"]["code"] == "no_command_key"'
checks=$((checks + 1))
[ "$(redis-cli -p "$rport" XLEN t:stream:ceo_command)" = "$commands" ] || fail "a federation without a key sent a command"

# SIGTERM with a stream open: the federation ends its streams and exits 0
curl -s -N --max-time 10 "$api/events" >/dev/null &
sleep 0.3
kill -TERM "$fed_pid"
checks=$((checks + 1))
rc=0
wait "$fed_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "federation exited $rc after SIGTERM with an open stream"

if [ "$failures" -ne 0 ]; then
	echo "federation_api: $failures of $checks checks failed" >&2
	exit 1
fi
echo "federation_api: $checks checks passed"
