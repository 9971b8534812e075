#!/usr/bin/env bash
# dashboard.sh - drives the federation's dashboard in headless Chromium
# against a running stack (private redis-server, ceo, federation on free
# loopback ports): the page loads the mode, limits and strategies, then a
# mode switch published on the bus (an operator's set_mode through the
# CEO) must appear on the page, live, and in its mode history; a forged
# ceo_mode_switch only in the history (the mode is the policy's); an
# emergency stop written by another writer, with who set it. Chromium is
# driven over the DevTools protocol with Debian's python3-websocket. With
# ORCH_SCREENSHOT=FILE it also saves a screenshot of the page. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/stack.sh" dashboard
command -v chromium >/dev/null || { echo "dashboard: needs chromium" >&2; exit 1; }
aport=$(free_port)
ORCH_INSTANCE_ID=fed-1 ORCH_API_PORT=$aport "$bindir/federation" 2>"$tmp/federation.log" &
pids+=($!)
ORCH_INSTANCE_ID=ceo-1 ORCH_LEASE_TTL_MS=1000 ORCH_CEO_DEBOUNCE_MS=10 "$bindir/ceo" 2>"$tmp/ceo.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$aport/" && break; sleep 0.05; done
publish risk_state_update '{"risk_score": 42, "risk_level": "moderate", "var_estimate": 0.012, "expected_shortfall": 0.019, "metrics": {"daily_drawdown": 0.004}}'
publish strategy_state_update '{"win_rate": 0.5, "primary_strategy": "trend", "ranking": [{"rank": 1, "strategy": "trend", "status": "active", "score": 81.5}, {"rank": 2, "strategy": "chop", "status": "disabled", "score": 12.0}], "disabled": [{"strategy": "chop", "reason": "wilson_win_rate_below"}]}'
publish risk_ceiling_update '{"max_leverage": 4, "max_risk_per_trade": 0.01, "max_positions": 6}'

dport=$(free_port)
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$tmp/chrome" \
	--remote-debugging-port="$dport" --window-size=1280,1400 "http://127.0.0.1:$aport/" >"$tmp/chrome.log" 2>&1 &
pids+=($!)

"$PY" - "$dport" "$rport" "${ORCH_SCREENSHOT:-}" "$(dirname "$0")/lib" <<'EOF'
import base64, json, os, subprocess, sys, time, urllib.request
import websocket

dport, rport, shot = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, sys.argv[4])
from sign_command import sign

def page_ws():
    for _ in range(100):
        try:
            for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{dport}/json/list")):
                if t.get("type") == "page":
                    return t["webSocketDebuggerUrl"]
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("dashboard: Chromium's DevTools never answered")

ws = websocket.create_connection(page_ws(), timeout=10)
seq = 0

def call(method, **params):
    global seq
    seq += 1
    ws.send(json.dumps({"id": seq, "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == seq:
            return m.get("result", {})

def text(element_id):
    r = call("Runtime.evaluate", expression=f"(document.getElementById('{element_id}') || {{}}).textContent || ''",
             returnByValue=True)
    return r.get("result", {}).get("value", "")

def wait_for(what, pred, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    sys.exit(f"dashboard: {what} did not show (mode '{text('mode')}', history '{text('history')[:200]}')")

# the page loaded the state: a mode, the limits with the ceiling, the ranking, the live stream
wait_for("the first state", lambda: text("mode") not in ("", "-"))
wait_for("the live stream", lambda: text("conn") == "live")
wait_for("the strategy ranking", lambda: "chop" in text("strategies") and "wilson_win_rate_below" in text("strategies"))
wait_for("the limits", lambda: "max_leverage4" in text("limits").replace(" ", ""))
before = text("mode")
target = "CAPITAL_PRESERVATION" if before != "CAPITAL_PRESERVATION" else "DEFENSIVE"
cmd = json.dumps(sign(os.environ["ORCH_COMMAND_KEY"], {"request_id": "dash-1", "action": "set_mode", "mode": target,
                                                      "reason": "dashboard drill", "operator": "e2e"}))
subprocess.run(["redis-cli", "-p", rport, "XADD", "t:stream:ceo_command", "*", "event_type", "ceo_command",
                "payload", cmd, "trace_id", "", "timestamp", time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime()),
                "source", "e2e"], check=True, capture_output=True)
wait_for(f"the switch {before} -> {target}", lambda: text("mode") == target)
wait_for("the switch in the mode history", lambda: f"-> {target}" in text("history") and "e2e" in text("history"))

def redis(*args):
    return subprocess.run(["redis-cli", "-p", rport, *args], check=True, capture_output=True, text=True).stdout

# a forged switch reaches the history but not the mode: that is the policy's
forged = json.dumps({"old_mode": target, "new_mode": "GROWTH", "reason": "forged", "rule": "forged"})
redis("XADD", "t:stream:ceo_mode_switch", "*", "event_type", "ceo_mode_switch", "payload", forged, "trace_id", "",
      "timestamp", time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime()), "source", "e2e")
wait_for("the forged switch in the history", lambda: "(forged)" in text("history"))
time.sleep(0.3)
if text("mode") != target:
    sys.exit(f"dashboard: a forged switch moved the mode to {text('mode')}")
# an emergency stop set by another writer (the original's Emergency Stop System)
doc = json.loads(redis("GET", "t:policy:current"))
doc.update(emergency_mode=True, allow_new_trades=False, emergency_reason="ESS: daily loss",
           emergency_activated_at="2026-01-05T10:00:00", updated_by="emergency_stop_system", version=doc["version"] + 1)
redis("SET", "t:policy:current", json.dumps(doc))
wait_for("the emergency stop", lambda: "set by emergency_stop_system" in text("stop") and "ESS: daily loss" in text("stop"))
if shot:
    # a few assessments, so the chart has a line to show
    for i in range(12):
        score = 42 + 20 * ((i % 6) / 5)
        payload = json.dumps({"risk_score": score, "risk_level": "moderate", "var_estimate": 0.008 + 0.001 * (i % 5),
                              "expected_shortfall": 0.013 + 0.0015 * (i % 5), "metrics": {"daily_drawdown": 0.004}})
        subprocess.run(["redis-cli", "-p", rport, "XADD", "t:stream:risk_state_update", "*", "event_type",
                        "risk_state_update", "payload", payload, "trace_id", "", "timestamp",
                        time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime()), "source", "e2e"],
                       check=True, capture_output=True)
        time.sleep(0.25)
    time.sleep(1.5)
    data = call("Page.captureScreenshot", format="png")["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(data))
print(f"dashboard: page showed {before}, then {target} live and in its history, a forged switch only in the "
      "history, and an emergency stop set by another writer")
EOF
