#!/usr/bin/python3
"""legacy_client.py - the live gate's real client: quantum_trader's ai-engine
orchestration step, run for one signal against given CEO, strategy and risk
brain URLs; prints what it decided as one JSON line on stdout.

The client is the original's own code when it can be found, otherwise a
transcription of its documented behaviour:

  original     backend/services/orchestration/orchestrator.py of a
               quantum_trader checkout, loaded at run time from
               --original PATH or $ORCH_ORIGINAL_SRC (the file itself, a
               checkout's root, or a bare git directory: HEAD's copy is read
               with `git show`). Nothing is stubbed: the module imports only
               the standard library and httpx (Debian's python3-httpx 0.23;
               production pins 0.26/0.27, which encode JSON bodies the same
               way). The project does not ship that file.
  documented   DocumentedOrchestrator below, written from the behaviour
               recorded in docs/live-gate.md (read from that code). It is
               used when no original is configured; `"client"` in the output
               says which one ran. With the original present, the e2e test
               runs both on the same answers and requires equal results.

Either way the flow is the original's Orchestrator.evaluate_signal(), with
the URLs passed the way the ai-engine passes them (CEO_BRAIN_URL,
STRATEGY_BRAIN_URL, RISK_BRAIN_URL in the environment, read by
get_orchestrator()), and then the ai-engine's use of the result
(microservices/ai_engine/service.py): SKIP drops the trade intent; a risk
position_size > 0 below the engine's own size replaces it; the risk
leverage is ignored.

usage: legacy_client.py --ceo URL --strategy URL --risk URL --symbol S
           --direction BUY|SELL --confidence C [--strategy-name NAME]
           [--model NAME] [--entry-price P] [--size-usd USD] [--leverage X]
           [--original PATH] [--require-original]
exit:  0 printed a result; 2 bad arguments or an unusable --original /
       $ORCH_ORIGINAL_SRC; 77 --require-original and none configured (skip).
"""
import argparse
import asyncio
import importlib.util
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime

import httpx

ORIGINAL_PATH = "backend/services/orchestration/orchestrator.py"
SKIP_EXIT = 77


# ---- the original's code, found and loaded ----

def original_source(spec):
    """Returns (source text, where it came from) for a file, a checkout
    root or a bare git directory; raises OSError when there is none."""
    if os.path.isfile(spec):
        with open(spec, encoding="utf-8") as f:
            return f.read(), spec
    inside = os.path.join(spec, ORIGINAL_PATH)
    if os.path.isfile(inside):
        with open(inside, encoding="utf-8") as f:
            return f.read(), inside
    if os.path.isfile(os.path.join(spec, "HEAD")) and os.path.isdir(os.path.join(spec, "objects")):
        git = subprocess.run(["git", "--git-dir", spec, "show", "HEAD:" + ORIGINAL_PATH],
                             capture_output=True, text=True, check=False)
        if git.returncode == 0:
            return git.stdout, f"{spec}:HEAD:{ORIGINAL_PATH}"
        raise OSError(f"{spec}: git show HEAD:{ORIGINAL_PATH} failed: {git.stderr.strip()}")
    raise OSError(f"{spec}: not a file, a checkout holding {ORIGINAL_PATH} or a bare git directory")


def load_original(text, where):
    """Executes the original module's text as module orchestrator_original."""
    spec = importlib.util.spec_from_loader("orchestrator_original", loader=None, origin=where)
    module = importlib.util.module_from_spec(spec)
    module.__file__ = where
    # dataclasses resolve the postponed annotations through sys.modules
    sys.modules[spec.name] = module
    exec(compile(text, where, "exec"), module.__dict__)
    return module


# ---- the documented behaviour, for when the original is absent ----

def _log_number(value):
    # The original formats these numbers into log lines (f"{x:.2f}") inside
    # its try blocks: a value that is not a number raises there and the
    # call falls back to its defaults.
    format(value, ".2f")


class DocumentedOrchestrator:
    """Orchestrator.evaluate_signal() as recorded in docs/live-gate.md."""

    def __init__(self):
        self.ceo = os.getenv("CEO_BRAIN_URL", "http://ceo-brain:8010").rstrip("/")
        self.strategy = os.getenv("STRATEGY_BRAIN_URL", "http://strategy-brain:8011").rstrip("/")
        self.risk = os.getenv("RISK_BRAIN_URL", "http://risk-brain:8012").rstrip("/")
        self.enabled = os.getenv("ENABLE_ORCHESTRATION", "true").lower() == "true"
        self.http = httpx.AsyncClient(timeout=5.0)

    async def get_mode(self):
        try:
            r = await self.http.get(f"{self.ceo}/status")
            r.raise_for_status()
            data = r.json()
            mode = data.get("mode", "EXPANSION")
            if mode == "ACTIVE":
                mode = "EXPANSION"
            elif mode == "PASSIVE":
                mode = "PRESERVATION"
            confidence = data.get("confidence", 0.8)
            _log_number(confidence)
            return mode, confidence
        except Exception:
            return "EXPANSION", 0.5

    async def evaluate_strategy(self, signal):
        try:
            side = (signal.get("side") or signal.get("direction") or "").upper()
            direction = "SELL" if side in ("SHORT", "SELL") else "BUY"
            body = {"symbol": signal["symbol"], "direction": direction,
                    "confidence": float(signal.get("confidence", 0.5))}
            price = (signal.get("entry_price") or signal.get("price") or signal.get("mark_price")
                     or signal.get("last_price"))
            if price is not None:
                body["entry_price"] = float(price)
            r = await self.http.post(f"{self.strategy}/evaluate", json=body)
            r.raise_for_status()
            data = r.json()
            return data.get("approved", True), data.get("reason", "Strategy evaluation passed")
        except Exception:
            return True, "Strategy Brain unavailable - default approve"

    async def evaluate_risk(self, signal, mode):
        try:
            r = await self.http.post(f"{self.risk}/evaluate", json={"signal": signal, "operating_mode": mode})
            r.raise_for_status()
            data = r.json()
            size = data.get("position_size", 100.0)
            leverage = data.get("leverage", 1.0)
            score = data.get("risk_score", 50.0)
            max_loss = data.get("max_loss", size * 0.02)
            for v in (size, leverage, score):
                _log_number(v)
            return size, leverage, score, max_loss
        except Exception:
            return 100.0, 1.0, 50.0, 2.0

    async def evaluate_signal(self, signal):
        now = datetime.utcnow()
        if not self.enabled:
            return Verdict("EXPANSION", 1.0, True, "Orchestration disabled", 100.0, 1.0, 50.0, 2.0,
                           "EXECUTE", "Orchestration disabled - default execute", now)
        confidence = signal.get("confidence", 0.0)
        _log_number(confidence)  # outside any try in the original: a non-number raises
        mode, ceo_conf = await self.get_mode()
        if mode == "EMERGENCY":
            return Verdict(mode, ceo_conf, False, "EMERGENCY mode active", 0.0, 0.0, 100.0, 0.0,
                           "SKIP", "CEO Brain in EMERGENCY mode - no new positions", now)
        approved, reason = True, "PRESERVATION mode - conservative approach"
        if mode == "EXPANSION":
            approved, reason = await self.evaluate_strategy(signal)
        if not approved:
            return Verdict(mode, ceo_conf, False, reason, 0.0, 0.0, 100.0, 0.0,
                           "SKIP", f"Strategy Brain rejected: {reason}", now)
        size, leverage, score, max_loss = await self.evaluate_risk(signal, mode)
        decision, why = "EXECUTE", f"All checks passed - {mode} mode"
        if size <= 0:
            decision, why = "SKIP", "Position size <= 0 from Risk Brain"
        elif score > 90:
            decision, why = "SKIP", f"Risk score too high: {score:.1f}"
        elif confidence < 0.45:
            decision, why = "SKIP", f"Signal confidence too low: {confidence:.2f}"
        return Verdict(mode, ceo_conf, approved, reason, size, leverage, score, max_loss, decision, why, now)


@dataclass
class Verdict:
    """The fields of the original's SignalEvaluation, in its order."""
    operating_mode: str
    ceo_confidence: float
    strategy_approved: bool
    strategy_reason: str
    position_size: float
    leverage: float
    risk_score: float
    max_loss: float
    final_decision: str
    decision_reason: str
    timestamp: datetime


# ---- one signal through the flow ----

def engine_signal(a):
    """The dict the ai-engine hands to evaluate_signal() (service.py): its
    strategy is always StrategyID.DEFAULT ("default") today; it carries no
    model field, so --model adds model_id only when given."""
    signal = {"symbol": a.symbol, "direction": a.direction.upper(), "confidence": a.confidence,
              "entry_price": a.entry_price, "position_size_usd": a.size_usd, "leverage": a.leverage,
              "regime": "unknown", "strategy": a.strategy_name}
    if a.model:
        signal["model_id"] = a.model
    return signal


def intent(result, size_usd, leverage):
    """What the ai-engine then publishes as trade.intent: nothing on SKIP;
    the risk size when it is positive and below the engine's own; the
    engine's own leverage always."""
    if result.final_decision == "SKIP":
        return None, None
    size = size_usd
    if result.position_size > 0 and result.position_size < size_usd:
        size = result.position_size
    return size, leverage


async def run(orchestrator, a):
    signal = engine_signal(a)
    try:
        result = await orchestrator.evaluate_signal(signal)
    finally:
        for http in http_clients(orchestrator):
            await http.aclose()
    size, leverage = intent(result, a.size_usd, a.leverage)
    return {
        "skipped": result.final_decision == "SKIP",
        "final_decision": result.final_decision,
        "reason": result.decision_reason,
        "mode": result.operating_mode,
        "ceo_confidence": result.ceo_confidence,
        "approved": result.strategy_approved,
        "strategy_reason": result.strategy_reason,
        "position_size": result.position_size,
        "leverage": result.leverage,
        "risk_score": result.risk_score,
        "max_loss": result.max_loss,
        "intent_size_usd": size,
        "intent_leverage": leverage,
    }


def http_clients(orchestrator):
    if isinstance(orchestrator, DocumentedOrchestrator):
        return [orchestrator.http]
    brains = (orchestrator.ceo_brain, orchestrator.strategy_brain, orchestrator.risk_brain)
    return [b._client for b in brains]


def parse_args(argv):
    p = argparse.ArgumentParser(description="quantum_trader's orchestration client, one signal")
    p.add_argument("--ceo", required=True, help="CEO_BRAIN_URL")
    p.add_argument("--strategy", required=True, help="STRATEGY_BRAIN_URL")
    p.add_argument("--risk", required=True, help="RISK_BRAIN_URL")
    p.add_argument("--symbol", required=True)
    p.add_argument("--direction", required=True, choices=["BUY", "SELL", "buy", "sell"])
    p.add_argument("--confidence", required=True, type=float, help="0..1")
    p.add_argument("--strategy-name", default="default", help="the signal's strategy")
    p.add_argument("--model", default="", help="adds model_id to the signal")
    p.add_argument("--entry-price", type=float, default=100.0)
    p.add_argument("--size-usd", type=float, default=1000.0, help="the engine's own size, USD notional")
    p.add_argument("--leverage", type=int, default=5, help="the engine's own leverage")
    p.add_argument("--original", default=os.getenv("ORCH_ORIGINAL_SRC", ""),
                   help="orchestrator.py, a quantum_trader checkout or a bare git directory "
                        "(default $ORCH_ORIGINAL_SRC)")
    p.add_argument("--require-original", action="store_true",
                   help=f"exit {SKIP_EXIT} instead of running the documented client")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    os.environ["CEO_BRAIN_URL"] = a.ceo
    os.environ["STRATEGY_BRAIN_URL"] = a.strategy
    os.environ["RISK_BRAIN_URL"] = a.risk
    if a.original:
        try:
            text, where = original_source(a.original)
        except OSError as e:
            print(f"legacy_client: {e}", file=sys.stderr)
            return 2
        orchestrator = load_original(text, where).get_orchestrator()
        out = {"client": "original", "source": where}
    elif a.require_original:
        print("legacy_client: skipped: no original client configured; set ORCH_ORIGINAL_SRC to a "
              f"quantum_trader checkout (or its {ORIGINAL_PATH})", file=sys.stderr)
        return SKIP_EXIT
    else:
        orchestrator = DocumentedOrchestrator()
        out = {"client": "documented", "source": None}
    out.update(asyncio.run(run(orchestrator, a)))
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
