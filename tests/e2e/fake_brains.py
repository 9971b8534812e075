#!/usr/bin/python3
"""fake_brains.py - stand-ins for quantum_trader's three HTTP "brains" on
loopback, for testing legacy_client.py without the layer.

By default each answers exactly as the original stub does
(backend/ai_orchestrator/service.py, backend/strategy_brain/service.py,
backend/risk_brain/service.py, without Redis, so the risk stub's RL
adjustment never applies):

  CEO       GET /status  {status "active", mode $CEO_MODE or "ACTIVE", timestamp}
            GET /health  {status "healthy", service "ceo_brain", timestamp, enabled, mode}
  strategy  POST /evaluate {symbol, direction, confidence, entry_price?, regime?}
            -> {approved true, reason, confidence 0.8, timestamp}; 422 without
            one of the three required fields (FastAPI/pydantic)
  risk      POST /evaluate {signal, operating_mode} -> {approved, adjusted_size_usd,
            adjusted_leverage, risk_score, max_loss, timestamp, rl_applied, reason}
            by mode: EMERGENCY 0/0/100, PRESERVATION 50/1/40, else 100/2/30

POST /_fake/config on any port replaces these answers for later requests:
  {"ceo": {...}}, {"strategy": {...}}, {"risk": {...}}: a body to answer
  verbatim (a string is sent as it is, not as JSON); {"status": {"risk": 500}}:
  that HTTP status instead; {"stub": true}: back to the stubs, and the
  request log emptied.
GET /_fake/requests returns every request so far: brain, method, path,
headers (lower-case names), body (text).

usage: fake_brains.py   prints {"ceo": PORT, "strategy": PORT, "risk": PORT}
                        on one line once listening, then serves until killed.
"""
import json
import os
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"override": {}, "status": {}, "requests": []}


def stub_answer(brain, method, path, body):
    """(status, object) of the original stub for a request."""
    now = datetime.utcnow().isoformat()
    if method == "GET" and path == "/health":
        out = {"status": "healthy", "service": f"{brain}_brain", "timestamp": now}
        if brain == "ceo":
            out.update(enabled=os.getenv("ENABLE_CEO_BRAIN", "false") == "true",
                       mode=os.getenv("CEO_MODE", "ACTIVE"))
        return 200, out
    if brain == "ceo" and method == "GET" and path == "/status":
        return 200, {"status": "active", "mode": os.getenv("CEO_MODE", "ACTIVE"), "timestamp": now}
    if brain in ("strategy", "risk") and method == "POST" and path == "/evaluate":
        try:
            req = json.loads(body)
        except ValueError:
            return 422, {"detail": "invalid JSON"}
        if brain == "strategy":
            return strategy_stub(req, now)
        return risk_stub(req, now)
    return 404, {"detail": "Not Found"}


def strategy_stub(req, now):
    if not isinstance(req, dict) or any(k not in req for k in ("symbol", "direction", "confidence")):
        return 422, {"detail": "field required"}
    return 200, {"approved": True, "reason": "Strategy Brain stub - default approve", "confidence": 0.8,
                 "timestamp": now}


def risk_stub(req, now):
    if not isinstance(req, dict) or not isinstance(req.get("signal"), dict) \
            or not isinstance(req.get("operating_mode"), str):
        return 422, {"detail": "field required"}
    mode = req["operating_mode"]
    if mode == "EMERGENCY":
        size, leverage, score = 0.0, 0.0, 100.0
    elif mode == "PRESERVATION":
        size, leverage, score = 50.0, 1.0, 40.0
    else:
        size, leverage, score = 100.0, 2.0, 30.0
    return 200, {"approved": True, "adjusted_size_usd": size, "adjusted_leverage": leverage,
                 "risk_score": score, "max_loss": size * 0.02, "timestamp": now, "rl_applied": False,
                 "reason": f"Risk approved: {mode} mode, leverage={leverage:.2f}x"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        brain = self.server.brain
        if self.path == "/_fake/requests":
            with LOCK:
                return self.reply(200, json.dumps(STATE["requests"]))
        if self.path == "/_fake/config" and method == "POST":
            return self.reply(200, json.dumps(configure(json.loads(body))))
        with LOCK:
            STATE["requests"].append({"brain": brain, "method": method, "path": self.path, "body": body,
                                      "headers": {k.lower(): v for k, v in self.headers.items()}})
            status = STATE["status"].get(brain)
            override = STATE["override"].get(brain)
        if status:
            return self.reply(status, json.dumps({"detail": "fake failure"}))
        if override is not None:
            return self.reply(200, override if isinstance(override, str) else json.dumps(override))
        code, obj = stub_answer(brain, method, self.path, body)
        self.reply(code, json.dumps(obj))

    def reply(self, code, text):
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def configure(cfg):
    with LOCK:
        if cfg.get("stub"):
            STATE["override"].clear()
            STATE["status"].clear()
            STATE["requests"].clear()
        for brain in ("ceo", "strategy", "risk"):
            if brain in cfg:
                STATE["override"][brain] = cfg[brain]
        STATE["status"].update(cfg.get("status", {}))
        return {"override": STATE["override"], "status": STATE["status"]}


def main():
    ports = {}
    for brain in ("ceo", "strategy", "risk"):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        srv.brain = brain
        ports[brain] = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(json.dumps(ports), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
