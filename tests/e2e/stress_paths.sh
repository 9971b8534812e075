#!/usr/bin/env bash
# stress_paths.sh - the default rules judged on four synthetic paths besides
# the bundled prices (tests/e2e/lib/stress_prices.py: a crash, a slow bleed,
# a whipsaw, a calm trend), against the book without the layer: a smaller
# max drawdown on every path; BLACK_SWAN on at most 5 % of days and never a
# dead end (no stretch over six months without a trade while the other book
# traded); the crash seen as a tail event and left; the losing paths losing
# less; the calm trend never below DEFENSIVE. Prints both rule sets' figures
# (docs/ceo.md quotes them). Exit 0 = pass.
set -uo pipefail

. "$(dirname "$0")/lib/orchctl.sh" stress_paths
src=${ORCH_TEST_SRCDIR:-.}
/usr/bin/python3 "$src/tests/e2e/lib/stress_prices.py" "$tmp" || fail "generating the paths"

for path in crash slow_bleed whipsaw calm_trend; do
	for rules in default original; do
		checks=$((checks + 1))
		rc=0
		timeout 60 "$bin" backtest --prices "$tmp/$path.csv" --rules "$rules" \
			--summary-json "$tmp/$path.$rules.json" >/dev/null 2>"$tmp/err" || rc=$?
		[ "$rc" -eq 0 ] || fail "$path, $rules rules: exit $rc: $(cat "$tmp/err")"
	done
done

checks=$((checks + 1))
"$PY" - "$tmp" <<'PYEOF' || fail "the default rules on the stress paths: see above"
import json, sys
d = sys.argv[1]
bad = []
print("%-11s %-8s %8s %7s %7s %6s %6s  %s" % ("path", "rules", "return", "max dd", "Sharpe", "BS", "CP", "without: return, max dd, Sharpe"))
for path in ("crash", "slow_bleed", "whipsaw", "calm_trend"):
    for rules in ("default", "original"):
        s = json.load(open(f"{d}/{path}.{rules}.json"))
        w, wo, modes = s["with_layer"], s["without_layer"], s["layer"]["time_in_mode"]
        print("%-11s %-8s %7.1f%% %6.1f%% %7.2f %5.1f%% %5.1f%%  %.1f%%, %.1f%%, %.2f" % (
            path, rules, 100 * w["total_return"], 100 * w["max_drawdown"], w["sharpe"],
            100 * modes.get("BLACK_SWAN", 0), 100 * modes.get("CAPITAL_PRESERVATION", 0),
            100 * wo["total_return"], 100 * wo["max_drawdown"], wo["sharpe"]))
        if rules != "default":
            continue
        if w["max_drawdown"] >= wo["max_drawdown"]:
            bad.append(f"{path}: max drawdown {w['max_drawdown']:.3f} not below {wo['max_drawdown']:.3f}")
        if modes.get("BLACK_SWAN", 0) > 0.05:
            bad.append(f"{path}: BLACK_SWAN on {modes['BLACK_SWAN']:.1%} of days")
        q = w["longest_without_trade"]
        if q["days"] > 130 and q["other_book_traded"]:
            bad.append(f"{path}: {q['days']} days without a trade while the other book traded")
        if path != "calm_trend" and w["total_return"] <= wo["total_return"]:
            bad.append(f"{path}: lost more with the layer")
        if path == "crash":
            to_swan = [m for m in s["mode_switches"] if m["to"] == "BLACK_SWAN"]
            if not to_swan or "tail event" not in to_swan[0]["reason"]:
                bad.append(f"crash: no tail event: {s['mode_switches']}")
            if any(m["from"] == "BLACK_SWAN" for m in s["mode_switches"]) is False:
                bad.append("crash: BLACK_SWAN never left")
        if path == "calm_trend" and (modes.get("BLACK_SWAN", 0) or modes.get("CAPITAL_PRESERVATION", 0)):
            bad.append(f"calm_trend: below DEFENSIVE: {modes}")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

if [ "$failures" -ne 0 ]; then
	echo "stress_paths: $failures of $checks checks failed" >&2
	exit 1
fi
echo "stress_paths: $checks checks passed"
