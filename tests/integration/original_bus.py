#!/usr/bin/python3
"""A stand-in for the original quantum_trader EventBus v2 and its trade.closed
producer, used by test_compat to prove wire compatibility in both directions.

It writes and reads Redis stream entries exactly as the original does
(backend/core/event_bus.py, backend/microservices/auto_executor/
executor_service.py): fields event_type, payload (JSON text), trace_id,
correlation_id, timestamp (datetime.utcnow().isoformat()), source; XADD
MAXLEN ~ 10000; the "direct" trade.closed entry with flat fields and
MAXLEN ~ 1000; consumer groups {prefix}:group:{service}:{type} created at 0
with MKSTREAM, XREADGROUP COUNT 10 BLOCK 5000 ">", payload decoded with
json.loads when present, else the flat field map.

usage: original_bus.py PORT PREFIX publish
       original_bus.py PORT PREFIX consume SERVICE TYPE COUNT
Consumed events are printed one JSON object per line.
"""
import json
import sys
import time
import uuid
from datetime import datetime

import redis


def publish(r, prefix):
    ts = datetime.utcnow().isoformat()
    payload = {"level": "critical", "alerts": ["drawdown 9.1%"], "risk_score": 91.5,
               "should_pause_trading": True, "timestamp": ts}
    r.xadd(f"{prefix}:stream:risk_alert", {
        "event_type": "risk_alert",
        "payload": json.dumps(payload),
        "trace_id": "risk_" + uuid.uuid4().hex[:12],
        "correlation_id": "",
        "timestamp": ts,
        "source": "ai_risk_officer",
    }, maxlen=10000, approximate=True)
    r.xadd(f"{prefix}:stream:trade.closed", {
        "event_type": "trade.closed",
        "symbol": "BTCUSDT",
        "side": "LONG",
        "exit_price": "43125.5",
        "pnl_percent": "2.5",
        "confidence": "0.72",
        "timestamp": ts,
        "model": "ensemble",
        "leverage": "5",
    }, maxlen=1000, approximate=True)
    print(json.dumps({"published": 2, "timestamp": ts}))


def consume(r, prefix, service, etype, count):
    stream = f"{prefix}:stream:{etype}"
    group = f"{prefix}:group:{service}:{etype}"
    try:
        r.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.exceptions.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
    consumer = f"{service}_{uuid.uuid4().hex[:8]}"
    got = 0
    deadline = time.time() + 10
    while got < count and time.time() < deadline:
        resp = r.xreadgroup(group, consumer, {stream: ">"}, count=10, block=1000)
        for _, entries in resp or []:
            for msg_id, fields in entries:
                f = {k.decode(): v.decode() for k, v in fields.items()}
                if "payload" in f:
                    data = json.loads(f["payload"])
                else:
                    data = f
                ts_ok = True
                try:
                    datetime.fromisoformat(f.get("timestamp", ""))
                except ValueError:
                    ts_ok = False
                print(json.dumps({"event_type": f.get("event_type"), "payload": data,
                                  "trace_id": f.get("trace_id"),
                                  "correlation_id": f.get("correlation_id"),
                                  "source": f.get("source"), "timestamp": f.get("timestamp"),
                                  "timestamp_parses": ts_ok, "fields": sorted(f.keys())}))
                r.xack(stream, group, msg_id)
                got += 1
    sys.stdout.flush()
    return 0 if got >= count else 1


def main():
    port, prefix, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    r = redis.Redis(host="127.0.0.1", port=port)
    if mode == "publish":
        publish(r, prefix)
        return 0
    return consume(r, prefix, sys.argv[4], sys.argv[5], int(sys.argv[6]))


if __name__ == "__main__":
    sys.exit(main())
