#!/usr/bin/env bash
# orchctl_strategies.sh - end-to-end test of `orchctl strategies`: runs the
# built binary on CSV files of trades written to a temporary directory and
# checks its JSON (with /usr/bin/python3): the proven strategy is primary,
# the correlated one is not the fallback, a lucky newcomer is "insufficient
# data", the losing one is disabled with its rule and evidence, models are
# judged by the stated outcome, stricter modes disable more, and every bad
# input exits 2 with a one-line message naming the line. Exit 0 = pass.
set -euo pipefail

. "$(dirname "$0")/lib/orchctl.sh" orchctl_strategies

run() {
	rc=0
	timeout 20 "$bin" strategies "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# Five strategies over 60 hours: trend (70% wins) is best; echo follows
# trend's hourly returns, scaled down and worse, and ranks second; carry is
# independent and positive; chop wins 1 in 10; newbie has 5 lucky trades.
"$PY" - "$tmp/trades.csv" <<'EOF'
import math, sys
rows = []
for i in range(60):
    t = 1767225600 + i * 3600
    win = i % 10 < 7
    rows.append((t, "trend", 1.2 if win else -0.8, "ensemble", "buy", "up" if win else "down", 0.7))
    rows.append((t + 30, "echo", round((1.2 if win else -0.8) * 0.8 - 0.15, 4), "", "", "", ""))
    rows.append((t + 60, "chop", 1.0 if i % 10 == 0 else -0.3, "lstm", "sell", "up" if i % 10 else "down", 0.6))
    rows.append((t + 120, "carry", round(0.5 * math.cos(2.1 * i) + 0.15, 4), "", "", "", ""))
for i in range(5):
    rows.append((1767225600 + i * 600, "newbie", 3.0, "", "", "", ""))
with open(sys.argv[1], "w") as f:
    f.write("time,strategy,pnl_pct,model,prediction,outcome,confidence\n")
    for r in rows:
        f.write(",".join(str(x) for x in r) + "\n")
EOF

run --trades "$tmp/trades.csv"
checks=$((checks + 1))
if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
	fail "ranking: exit $rc, stderr: $(head -c 300 "$tmp/err")"
else
	"$PY" - "$tmp/out" <<'EOF' || failures=$((failures + 1))
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
rank = {r["strategy"]: r for r in d["ranking"]}
want(d["primary"] == "trend", "primary %r, want trend" % d["primary"])
want(d["fallback"] == "carry", "fallback %r, want carry (echo moves with trend)" % d["fallback"])
want(abs(d["fallback_correlation"]) < 0.7, "fallback correlation %r" % d["fallback_correlation"])
want(rank["echo"]["status"] == "active" and rank["echo"]["rank"] == 2,
     "echo should rank second, eligible, just not the fallback")
want(rank["newbie"]["status"] == "insufficient_data", "newbie: %s" % rank["newbie"]["status"])
want(rank["newbie"]["rank"] > rank["trend"]["rank"], "lucky newbie ranked above trend")
want(rank["chop"]["status"] == "disabled", "chop: %s" % rank["chop"]["status"])
want([r["strategy"] for r in d["ranking"]][-1] == "chop", "disabled strategies rank last")
dis = {x["strategy"]: x for x in d["disabled"]}
want(list(dis) == ["chop"], "disabled: %r" % list(dis))
ev = dis.get("chop", {})
want(ev.get("reason") == "wilson_win_rate_below", "chop reason %r" % ev.get("reason"))
want(ev.get("evidence", {}).get("threshold") == 0.4, "chop threshold %r" % ev.get("evidence"))
want(ev.get("evidence", {}).get("value", 1) < 0.4, "chop evidence %r" % ev.get("evidence"))
t = rank["trend"]
want(t["trades"] == 60 and t["wins"] == 42, "trend trades/wins %r/%r" % (t["trades"], t["wins"]))
want(abs(t["win_rate"] - 0.7) < 1e-12, "trend win rate %r" % t["win_rate"])
want(abs(t["profit_factor"] - 3.5) < 1e-12, "trend profit factor %r" % t["profit_factor"])
want(abs(sum(t["score_components"][k] * w for k, w in
             [("psr", .3), ("win_rate", .2), ("profit_factor", .15), ("drawdown", .15),
              ("sortino", .1), ("recency", .1)]) * 100 - t["score"]) < 1e-9, "score is not the weighted sum")
models = {m["model"]: m for m in d["models"]}
want(abs(models["ensemble"]["accuracy"] - 0.7) < 1e-12, "ensemble accuracy %r" % models["ensemble"]["accuracy"])
want(abs(models["ensemble"]["brier"] - 0.21) < 1e-12, "ensemble brier %r" % models["ensemble"]["brier"])
want(models["lstm"]["status"] == "disabled", "lstm: %s" % models["lstm"]["status"])
want(d["evaluated_at"] == "2026-01-03T11:02:00.000000", "evaluated_at %r" % d["evaluated_at"])
want(d["conventions"]["min_trades"] == 20, "conventions.min_trades")
for b in bad:
    print("FAIL: ranking: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
fi

# the same trades twice give the same bytes
checks=$((checks + 1))
cp "$tmp/out" "$tmp/first"
run --trades "$tmp/trades.csv"
cmp -s "$tmp/out" "$tmp/first" || fail "two runs differ"

# rows in another order give the same result (sorted by time)
checks=$((checks + 1))
{ head -1 "$tmp/trades.csv"; tail -n +2 "$tmp/trades.csv" | sort -r; } >"$tmp/shuffled.csv"
run --trades "$tmp/shuffled.csv"
cmp -s "$tmp/out" "$tmp/first" || fail "row order changed the result"

# a stricter mode: carry's drawdown is tiny, but chop and more get stricter bounds
checks=$((checks + 1))
run --trades "$tmp/trades.csv" --mode CAPITAL_PRESERVATION --min-trades 10
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["operating_mode"] == "CAPITAL_PRESERVATION"
assert d["conventions"]["min_trades"] == 10
assert "chop" in [x["strategy"] for x in d["disabled"]]
' "$tmp/out" || fail "CAPITAL_PRESERVATION run"

# errors: exit 2, one line on stderr naming the problem, nothing on stdout
expect_error() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	run "$@"
	[ "$rc" -eq 2 ] || { fail "$name: exit $rc, want 2"; return; }
	[ ! -s "$tmp/out" ] || fail "$name: stdout not empty"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: want one stderr line: $(cat "$tmp/err")"
	grep -qF -- "$want" "$tmp/err" || fail "$name: stderr '$(cat "$tmp/err")' lacks '$want'"
}
printf 'time,strategy,pnl_pct\n2026-01-01T00:00:00,a,1\n2026-01-01T01:00:00,a,abc\n' >"$tmp/nan.csv"
printf 'time,strat,pnl_pct\n2026-01-01T00:00:00,a,1\n' >"$tmp/nocol.csv"
printf 'time,strategy,pnl_pct\nyesterday,a,1\n' >"$tmp/time.csv"
printf 'time,strategy,pnl_pct\n2026-01-01T00:00:00,a,-100\n' >"$tmp/loss.csv"
printf 'time,strategy,pnl_pct,model,prediction\n2026-01-01T00:00:00,a,1,m,sideways\n' >"$tmp/pred.csv"
printf 'time,strategy,pnl_pct\n' >"$tmp/header.csv"
: >"$tmp/empty.csv"
expect_error "non-numeric pnl" "nan.csv:3: column pnl_pct: 'abc' is not a number" --trades "$tmp/nan.csv"
expect_error "missing column" "no column 'strategy' in the header; columns are: time, strat, pnl_pct" \
	--trades "$tmp/nocol.csv"
expect_error "bad time" "time.csv:2: column time: 'yesterday' is not an ISO-8601 time" --trades "$tmp/time.csv"
expect_error "total loss" "loss.csv:2: column pnl_pct: '-100' is a loss beyond 100%" --trades "$tmp/loss.csv"
expect_error "bad prediction" "pred.csv:2: column prediction: 'sideways'" --trades "$tmp/pred.csv"
expect_error "header only" "no trades in $tmp/header.csv" --trades "$tmp/header.csv"
expect_error "empty file" "no trades in $tmp/empty.csv (the file is empty)" --trades "$tmp/empty.csv"
expect_error "missing file" "cannot open $tmp/none.csv" --trades "$tmp/none.csv"
expect_error "no --trades" "missing --trades FILE" --mode GROWTH
expect_error "bad mode" "bad --mode 'NORMAL'" --trades "$tmp/trades.csv" --mode NORMAL
expect_error "bad min-trades" "bad --min-trades '1.5'" --trades "$tmp/trades.csv" --min-trades 1.5

checks=$((checks + 1))
run --help
[ "$rc" -eq 0 ] && grep -q "usage: orchctl strategies" "$tmp/out" || fail "--help"

if [ "$failures" -ne 0 ]; then
	echo "orchctl_strategies: $failures of $checks checks failed" >&2
	exit 1
fi
echo "orchctl_strategies: $checks checks passed"
