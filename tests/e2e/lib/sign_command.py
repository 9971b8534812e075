#!/usr/bin/python3
"""sign_command.py - signs an operator's ceo_command as docs/wire.md
describes it, written apart from the C code (common/command_auth.c) so
that the e2e tests hold both to the documented format: HMAC-SHA256, under
the operators' key, of the event type, a newline, and the command without
`signature` as compact JSON with sorted keys, as jansson writes it
(Python's, with the hex of \\u escapes in upper case); `signed_at` (ms
since the epoch) is set first.

  sign_command.py KEY JSON   prints JSON signed now under KEY
  import: sign(key, command) -> the signed command (a new dict)
"""
import hashlib
import hmac
import json
import re
import sys
import time


def sign(key, command, event_type="ceo_command", now_ms=None):
    cmd = {k: v for k, v in command.items() if k != "signature"}
    cmd["signed_at"] = int(time.time() * 1000) if now_ms is None else now_ms
    body = json.dumps(cmd, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # jansson writes \u001F where Python writes \u001f (an escaped backslash stays)
    body = re.sub(r"\\\\|\\u[0-9a-f]{4}", lambda m: m.group(0)[:2] + m.group(0)[2:].upper(), body)
    text = event_type + "\n" + body
    cmd["signature"] = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return cmd


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: sign_command.py KEY JSON")
    print(json.dumps(sign(sys.argv[1], json.loads(sys.argv[2]))))
