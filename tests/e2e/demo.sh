#!/usr/bin/env bash
# demo.sh - `make demo ARGS=--once` end to end: deploy/run-local.sh starts
# its own redis-server and the four services on free ports and replays
# prices through the simulated book. On the bundled EuStockMarkets data
# the summary JSON has every documented field, the book trades with the
# layer, the layer switches modes, and its max drawdown is smaller than
# the same book's without the layer; the demo writes its HTML report. A
# user's own prices (YYYY-MM-DD dates) replay twice to the same summary,
# and a malformed prices file fails with the line named. For both files,
# `orchctl backtest` (the same code in one process, without Redis) gives
# the demo's summary field for field: the same mode switches, the same
# figures for both books.
set -u
. "$(dirname "$0")/lib/common.sh" demo
src=${ORCH_TEST_SRCDIR:-.}
# four consecutive free admin ports
admin_base() {
	"$PY" - <<'EOF'
import socket
for base in range(20000, 60000, 7):
    try:
        socks = []
        for p in range(base, base + 4):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
EOF
}
demo() {
	ORCH_API_PORT=$(free_port) ORCH_DEMO_ADMIN_PORT=$(admin_base) "$src/deploy/run-local.sh" --once \
		--report "$tmp/report.html" "$@"
}
orchctl=${ORCH_BIN_DIR:-$src/build/bin}/orchctl
# same_summary NAME DEMO.json PRICES: orchctl backtest on PRICES gives DEMO.json
same_summary() {
	local name=$1 want=$2 prices=$3
	checks=$((checks + 1))
	if ! "$orchctl" backtest --prices "$prices" --summary-json "$tmp/$name.backtest.json" >"$tmp/$name.backtest.out" 2>&1; then
		fail "$name: orchctl backtest failed: $(tail -3 "$tmp/$name.backtest.out")"
		return
	fi
	"$PY" - "$want" "$tmp/$name.backtest.json" "$name" <<'EOF' || fail "$name: the backtest's summary is not the demo's"
import json, sys
demo, bt = (json.load(open(p)) for p in sys.argv[1:3])
bad = [k for k in set(demo) | set(bt) if k != "prices" and demo.get(k) != bt.get(k)]
for k in sorted(bad):
    print(f"  {sys.argv[3]}: {k}: demo {json.dumps(demo.get(k))[:300]}", file=sys.stderr)
    print(f"  {sys.argv[3]}: {k}: backtest {json.dumps(bt.get(k))[:300]}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

demo --summary-json "$tmp/bundled.json" >"$tmp/bundled.out" 2>&1
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 0 ] || { fail "demo on the bundled data exited $rc"; tail -30 "$tmp/bundled.out" >&2; }
checks=$((checks + 1))
grep -q 'Dashboard:  http://127.0.0.1:' "$tmp/bundled.out" || fail "the demo does not say where the dashboard is"
checks=$((checks + 1))
grep -q '^without layer ' "$tmp/bundled.out" || fail "the demo prints no summary table"
checks=$((checks + 1))
grep -q '<svg id="equity"' "$tmp/report.html" 2>/dev/null || fail "the demo wrote no report with an equity chart"
same_summary bundled "$tmp/bundled.json" "$src/data/eustockmarkets.csv"
checks=$((checks + 1))
"$PY" - "$tmp/bundled.json" <<'EOF' || fail "bundled summary: see above"
import json, sys
s = json.load(open(sys.argv[1]))
bad = []
for book in ("with_layer", "without_layer"):
    for k in ("total_return", "max_drawdown", "sharpe", "worst_month"):
        if not isinstance(s.get(book, {}).get(k), (int, float)):
            bad.append(f"{book}.{k} missing")
    if not 0 <= s[book]["max_drawdown"] < 1:
        bad.append(f"{book}.max_drawdown {s[book]['max_drawdown']} is not a positive fraction")
if s["days"] != 1860 or s["from"] != "1991-07-01":
    bad.append(f"replayed {s['days']} days from {s['from']}, expected 1860 from 1991-07-01")
if s["trades"] < 50:
    bad.append(f"only {s['trades']} trades closed with the layer: the book is strangled")
if not s["with_layer"]["max_drawdown"] < s["without_layer"]["max_drawdown"]:
    bad.append("max drawdown with the layer %.4f is not below %.4f without" %
               (s["with_layer"]["max_drawdown"], s["without_layer"]["max_drawdown"]))
sw = s["mode_switches"]
if not sw:
    bad.append("no mode switches")
for m in sw:
    if not (len(m["date"]) == 10 and m["from"] and m["to"] and m["from"] != m["to"] and m["reason"]):
        bad.append(f"mode switch {m} lacks date, from, to or reason")
if not all(sw[i]["date"] <= sw[i + 1]["date"] for i in range(len(sw) - 1)):
    bad.append("mode switches are not in date order")
if "max_drawdown" not in s.get("conventions", {}):
    bad.append("the summary states no conventions")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# a user's file: the first 400 rows with calendar dates, two instruments
"$PY" - "$src/data/eustockmarkets.csv" "$tmp/mine.csv" <<'EOF'
import csv, datetime, sys
rows = list(csv.reader(open(sys.argv[1])))
d = datetime.date(2001, 1, 1)
with open(sys.argv[2], "w") as f:
    f.write("date,DAX,FTSE\n")
    for r in rows[1:401]:
        while d.weekday() >= 5:
            d += datetime.timedelta(days=1)
        f.write(f"{d.isoformat()},{r[1]},{r[4]}\n")
        d += datetime.timedelta(days=1)
EOF
for run in 1 2; do
	demo --prices "$tmp/mine.csv" --summary-json "$tmp/mine$run.json" >"$tmp/mine$run.out" 2>&1 ||
		{ fail "demo on a user's prices (run $run) failed"; tail -20 "$tmp/mine$run.out" >&2; }
done
checks=$((checks + 1))
"$PY" - "$tmp/mine1.json" "$tmp/mine2.json" <<'EOF' || fail "user's prices: see above"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
if a["days"] != 400 or a["from"] != "2001-01-01":
    bad.append(f"replayed {a['days']} days from {a['from']}, expected 400 from 2001-01-01")
if a != b:
    bad.append("two replays of the same prices gave different summaries")
for b_ in bad:
    print("  " + b_, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
same_summary mine "$tmp/mine1.json" "$tmp/mine.csv"

printf 'date,DAX\n2001-01-01,100\n2001-01-02,oops\n' >"$tmp/bad.csv"
demo --prices "$tmp/bad.csv" >"$tmp/bad.out" 2>&1
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 2 ] || fail "a malformed prices file exited $rc, expected 2"
checks=$((checks + 1))
grep -q "bad.csv:3: column DAX: 'oops' is not a positive price" "$tmp/bad.out" ||
	fail "the error does not name the line and column: $(tail -2 "$tmp/bad.out")"

echo "demo: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
