#!/usr/bin/env bash
# backtest.sh - `orchctl backtest` end to end (demo.sh checks that it gives
# the demo's summary): with ORCH_CEO_RULES=original the bundled data gives
# today's figures and mode switches, and the book without the layer is the
# same under every rule set; a --set changes what the layer decides, and
# a name no service reads is refused; every bad input exits 2 naming the
# line; synthetic prices give the same summary twice; --sensitivity covers
# the rule parameters; the HTML report renders in headless Chromium with
# both curves, the bands and the tables, and its screenshot is not blank.
# Exit 0 = pass.
set -uo pipefail

. "$(dirname "$0")/lib/orchctl.sh" backtest
src=${ORCH_TEST_SRCDIR:-.}
prices=$src/data/eustockmarkets.csv

# run NAME ARGS...: orchctl backtest, its exit status in $rc
run() {
	local name=$1
	shift
	rc=0
	timeout 120 "$bin" backtest "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
}

# the original rules on the bundled data: today's figures
run original --prices "$prices" --rules original --summary-json "$tmp/original.json" --report "$tmp/report.html"
checks=$((checks + 1))
[ "$rc" -eq 0 ] || fail "--rules original exited $rc: $(cat "$tmp/original.err")"
checks=$((checks + 1))
[ ! -s "$tmp/original.err" ] || fail "--rules original said something on stderr: $(cat "$tmp/original.err")"
run default --prices "$prices" --summary-json "$tmp/default.json"
checks=$((checks + 1))
"$PY" - "$tmp/original.json" "$tmp/default.json" <<'EOF' || fail "the original rules' summary: see above"
import json, sys
o, d = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
def near(x, want, tol, what):
    if abs(x - want) > tol:
        bad.append(f"{what} {x:.4f}, expected {want}")
w, wo = o["with_layer"], o["without_layer"]
near(w["total_return"], 0.584, 0.0005, "with the layer: total return")
near(w["max_drawdown"], 0.079, 0.0005, "with the layer: max drawdown")
near(w["sharpe"], 1.09, 0.005, "with the layer: Sharpe")
near(wo["total_return"], 2.645, 0.0005, "without the layer: total return")
near(wo["max_drawdown"], 0.179, 0.0005, "without the layer: max drawdown")
near(wo["sharpe"], 1.34, 0.005, "without the layer: Sharpe")
sw = o["mode_switches"]
if len(sw) != 24 or sw[0] != {"date": "1991-11-20", "from": "EXPANSION", "to": "DEFENSIVE",
                              "reason": "drawdown 0.03222 >= 0.03"}:
    bad.append(f"{len(sw)} mode switches, the first {sw[:1]}")
if o["rules"] != "original" or d["rules"] != "default":
    bad.append(f"rules {o['rules']} and {d['rules']}")
def alone(book):  # whether the other book traded in its quiet stretch is about the other book
    b = json.loads(json.dumps(book))
    b["longest_without_trade"].pop("other_book_traded", None)
    return b
if alone(o["without_layer"]) != alone(d["without_layer"]):
    bad.append("the book without the layer differs between rule sets")
for k in ("cagr", "sortino", "calmar", "longest_without_trade"):
    if k not in w or k not in wo:
        bad.append(f"{k} missing")
share = o["layer"]["time_in_mode"]
if abs(sum(share.values()) - 1) > 1e-9 or set(share) != {"GROWTH", "EXPANSION", "DEFENSIVE",
                                                          "CAPITAL_PRESERVATION", "BLACK_SWAN", "none"}:
    bad.append(f"time in mode {share}")
near(o["layer"]["mode_switches_per_year"], 24 / ((1998 + 237 / 365 - 1991.5)), 0.05, "mode switches a year")
q = w["longest_without_trade"]
if not (q["days"] > 0 and q["calendar_days"] >= q["days"] and q["from"] <= q["to"]):
    bad.append(f"longest without a trade {q}")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# a setting changes what the layer decides; a name no service reads is refused
run tighter --prices "$prices" --rules original --set ORCH_CEO_DEFENSIVE_DRAWDOWN=0.015 --summary-json "$tmp/tighter.json"
checks=$((checks + 1))
"$PY" -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:3]); sys.exit(a["mode_switches"] == b["mode_switches"])' \
	"$tmp/original.json" "$tmp/tighter.json" || fail "--set ORCH_CEO_DEFENSIVE_DRAWDOWN=0.015 changed no mode switch"

# expect_refusal NAME MESSAGE ARGS...: exit 2 and MESSAGE on stderr
expect_refusal() {
	local name=$1 msg=$2
	shift 2
	run "$name" "$@"
	checks=$((checks + 1))
	if [ "$rc" -ne 2 ]; then
		fail "$name: exit $rc, expected 2"
	elif ! grep -qF -- "$msg" "$tmp/$name.err"; then
		fail "$name: stderr lacks '$msg': $(cat "$tmp/$name.err")"
	fi
}
expect_refusal unknown_setting "ORCH_CEO_NO_SUCH_THING: no such setting" --prices "$prices" --set ORCH_CEO_NO_SUCH_THING=1
expect_refusal bad_value "ORCH_CEO_CRITICAL_DRAWDOWN" --prices "$prices" --set ORCH_CEO_CRITICAL_DRAWDOWN=2
expect_refusal bad_rules "ORCH_CEO_RULES" --prices "$prices" --rules newest
expect_refusal no_prices "--prices FILE or --synthetic"
expect_refusal missing "cannot open $tmp/nope.csv" --prices "$tmp/nope.csv"

# bad files: each names the line
"$PY" - "$tmp" <<'EOF'
import datetime, os, sys
d = sys.argv[1]
def write(name, header, rows):
    with open(os.path.join(d, name), "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(r + "\n")
days = [datetime.date(2001, 1, 1) + datetime.timedelta(days=i) for i in range(100)]
good = [f"{x.isoformat()},{100 + i},{50 + i}" for i, x in enumerate(days)]
write("ragged_short.csv", "date,A,B", good[:10] + [f"{days[10].isoformat()},100"] + good[11:])
write("ragged_long.csv", "date,A,B", good[:20] + [f"{days[20].isoformat()},100,50,7"] + good[21:])
write("zero.csv", "date,A,B", good[:30] + [f"{days[30].isoformat()},0,50"] + good[31:])
write("negative.csv", "date,A,B", good[:40] + [f"{days[40].isoformat()},100,-3"] + good[41:])
write("one_asset.csv", "date,A", [f"{x.isoformat()},{100 + i}" for i, x in enumerate(days)])
write("short.csv", "date,A,B", good[:59])
write("bad_date.csv", "date,A,B", good[:5] + ["2001-13-40,100,50"] + good[6:])
write("backwards.csv", "date,A,B", good[:7] + [good[3]] + good[8:])
EOF
expect_refusal ragged_short "ragged_short.csv:12: 2 columns, the header has 3" --prices "$tmp/ragged_short.csv"
expect_refusal ragged_long "ragged_long.csv:22: 4 columns, the header has 3" --prices "$tmp/ragged_long.csv"
expect_refusal zero "zero.csv:32: column A: '0' is not a positive price" --prices "$tmp/zero.csv"
expect_refusal negative "negative.csv:42: column B: '-3' is not a positive price" --prices "$tmp/negative.csv"
expect_refusal one_asset "one_asset.csv:1: the header needs a date column and at least 2 instruments, found 1" \
	--prices "$tmp/one_asset.csv"
expect_refusal short "short.csv: 59 days of prices; at least 60 needed" --prices "$tmp/short.csv"
expect_refusal bad_date "bad_date.csv:7: '2001-13-40' is not a date" --prices "$tmp/bad_date.csv"
expect_refusal backwards "backwards.csv:9: dates must increase" --prices "$tmp/backwards.csv"

# synthetic prices: the same summary twice, 30 instruments over 10 years
for k in 1 2; do
	run "synthetic$k" --synthetic 30x10 --summary-json "$tmp/synthetic$k.json" --write-prices "$tmp/synthetic.csv"
done
checks=$((checks + 1))
cmp -s "$tmp/synthetic1.json" "$tmp/synthetic2.json" || fail "two runs on the same synthetic prices differ"
run synthetic_file --prices "$tmp/synthetic.csv" --summary-json "$tmp/synthetic_file.json"
checks=$((checks + 1))
"$PY" - "$tmp/synthetic1.json" "$tmp/synthetic_file.json" <<'EOF' || fail "synthetic prices: see above"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
if a["days"] != 2610:
    bad.append(f"{a['days']} days, expected 2610")
for k in ("with_layer", "without_layer", "mode_switches"):
    if a[k] != b[k]:
        bad.append(f"{k}: the prices written out do not replay to the same {k}")
for x in bad:
    print("  " + x, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# sensitivity: every rule parameter, at half and double
run sensitivity --prices "$prices" --rules original --sensitivity --summary-json "$tmp/sensitivity.json"
checks=$((checks + 1))
"$PY" - "$tmp/sensitivity.json" <<'EOF' || fail "sensitivity: see above"
import json, sys
rows = json.load(open(sys.argv[1])).get("sensitivity", [])
names = {r["setting"] for r in rows}
bad = []
for want in ("ORCH_CEO_DEFENSIVE_DRAWDOWN", "ORCH_CEO_CONFIRMATIONS", "ORCH_RISK_WINDOW", "ORCH_RISK_MAX_DRAWDOWN",
             "ORCH_STRATEGY_DISABLE_LOSSES"):
    if want not in names:
        bad.append(f"{want} missing")
if "ORCH_CEO_INTERVAL_S" in names:
    bad.append("ORCH_CEO_INTERVAL_S is how the CEO runs, not a rule")
row = {r["setting"]: r for r in rows}.get("ORCH_CEO_DEFENSIVE_DRAWDOWN", {})
if row.get("value") != "0.03" or row.get("half", {}).get("value") != "0.015":
    bad.append(f"ORCH_CEO_DEFENSIVE_DRAWDOWN row {row}")
for r in rows:
    for side in ("half", "double"):
        c = r[side]
        if "error" not in c and not all(isinstance(c.get(k), (int, float)) for k in ("sharpe", "max_drawdown",
                                                                                      "calmar", "black_swan")):
            bad.append(f"{r['setting']} {side}: {c}")
if not any("error" in r["double"] for r in rows):
    bad.append("no value was refused, yet doubling 0.55 for a win rate leaves [0, 1]")
for x in bad:
    print("  " + x, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# the report renders: both curves across the chart, the mode bands, the tables
command -v chromium >/dev/null || { echo "backtest: needs chromium" >&2; exit 1; }
dport=$(free_port)
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$tmp/chrome" \
	--remote-debugging-port="$dport" --window-size=1280,1600 "file://$tmp/report.html" >"$tmp/chrome.log" 2>&1 &
chrome=$!
checks=$((checks + 1))
"$PY" - "$dport" "$tmp/shot.png" <<'EOF' || fail "the report: see above"
import base64, json, struct, sys, time, urllib.request, zlib
import websocket

dport, shot = sys.argv[1], sys.argv[2]
ws_url = None
for _ in range(100):
    try:
        for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{dport}/json/list")):
            if t.get("type") == "page":
                ws_url = t["webSocketDebuggerUrl"]
    except OSError:
        pass
    if ws_url:
        break
    time.sleep(0.1)
if not ws_url:
    sys.exit("Chromium's DevTools never answered")
ws = websocket.create_connection(ws_url, timeout=20)
seq = 0
def call(method, **params):
    global seq
    seq += 1
    ws.send(json.dumps({"id": seq, "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == seq:
            return m.get("result", {})
def js(expr):
    return call("Runtime.evaluate", expression=expr, returnByValue=True).get("result", {}).get("value")
for _ in range(200):
    if js("document.readyState === 'complete' && !!document.getElementById('drawdown')"):
        break
    time.sleep(0.1)
drawn = js("""JSON.stringify([...document.querySelectorAll('#equity path.curve, #drawdown path.curve')].map(
  p => ({book: p.dataset.book, width: p.getBBox().width, length: p.getTotalLength()})))""")
bands = js("[...document.querySelectorAll('#equity rect.band')].filter(r => r.getBBox().width > 0).length")
modes = js("JSON.stringify([...new Set([...document.querySelectorAll('#equity rect.band')].map(r => r.dataset.mode))])")
rows = js("document.querySelectorAll('#figures tr').length")
svg_w = js("document.getElementById('equity').getBoundingClientRect().width")
bad = []
curves = json.loads(drawn or "[]")
if len(curves) != 4 or any(c["width"] < 800 or c["length"] < 1000 for c in curves):
    bad.append(f"curves {curves}")
if not bands or bands < 10:
    bad.append(f"{bands} mode bands drawn")
if set(json.loads(modes or "[]")) != {"EXPANSION", "DEFENSIVE", "CAPITAL_PRESERVATION"}:
    bad.append(f"band modes {modes}")
if rows != 9:
    bad.append(f"{rows} rows in the figures table")
if not svg_w or svg_w < 600:
    bad.append(f"equity chart {svg_w} px wide")
png = base64.b64decode(call("Page.captureScreenshot", format="png")["data"])
open(shot, "wb").write(png)
# decode the PNG (8-bit RGB or RGBA, not interlaced) and count its colours
w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
chunks, i = b"", 8
while i < len(png):
    n, kind = struct.unpack(">I4s", png[i:i + 8])
    if kind == b"IDAT":
        chunks += png[i + 8:i + 8 + n]
    i += 12 + n
raw, bpp = zlib.decompress(chunks), {2: 3, 6: 4}.get(ctype)
if depth != 8 or not bpp:
    bad.append(f"unexpected PNG depth {depth} type {ctype}")
else:
    stride, prev, colours, pos = w * bpp, bytearray(w * bpp), set(), 0
    for y in range(h):
        f, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            colours.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp * 4))
        prev = line
    if len(colours) < 50:
        bad.append(f"the screenshot has {len(colours)} colours: blank")
for x in bad:
    print("  " + x, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
kill "$chrome" 2>/dev/null
wait "$chrome" 2>/dev/null

echo "backtest: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
