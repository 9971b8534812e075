#!/usr/bin/env bash
# orchctl_risk.sh - end-to-end test of `orchctl risk`: runs the built binary
# on CSV files written to a temporary directory and checks its JSON against
# R PerformanceAnalytics figures for a 10-point series (to 1e-9), the CSV
# dialect it accepts, the insufficient-data warning, and that every error
# exits 2 with a one-line message. JSON is checked with /usr/bin/python3
# (jq when python3 is absent). Exit 0 = pass.
#
# Binary: $ORCH_BIN_DIR/orchctl when ORCH_BIN_DIR is set, otherwise
# ${ORCH_TEST_SRCDIR:-.}/build/bin/orchctl.
set -euo pipefail

if [ -n "${ORCH_BIN_DIR:-}" ]; then
	bin=$ORCH_BIN_DIR/orchctl
else
	bin=${ORCH_TEST_SRCDIR:-.}/build/bin/orchctl
fi
if [ ! -x "$bin" ]; then
	echo "orchctl_risk: no executable $bin (run make first)" >&2
	exit 1
fi
PY=/usr/bin/python3
if [ -x "$PY" ]; then
	checker=python
elif command -v jq >/dev/null 2>&1; then
	checker=jq
else
	echo "orchctl_risk: neither /usr/bin/python3 nor jq to check JSON with" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/orchctl_risk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failures=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Runs orchctl with a time limit, stdout to $tmp/out, stderr to $tmp/err;
# sets rc.
run() {
	rc=0
	if command -v timeout >/dev/null 2>&1; then
		timeout 10 "$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	else
		"$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	fi
}

# check_json NAME FILE SPEC... where SPEC is one of
#   path~NUMBER   number within 1e-9 of NUMBER
#   path=JSON     equal to the JSON value (10, true, "loss_positive")
#   path?         present          path!  absent
# path is dotted for nested keys (conventions.sign). FILE must hold
# exactly one JSON object.
cat >"$tmp/check.py" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
with open(path) as f:
    doc = json.load(f)
if not isinstance(doc, dict):
    print("%s: output is not a JSON object" % name)
    sys.exit(1)
bad = []
def get(p):
    v = doc
    for k in p.split("."):
        if not isinstance(v, dict) or k not in v:
            return (False, None)
        v = v[k]
    return (True, v)
for spec in sys.argv[3:]:
    if spec.endswith("?") or spec.endswith("!"):
        found, _ = get(spec[:-1])
        if found != spec.endswith("?"):
            bad.append("%s: key %s %s" % (name, spec[:-1], "missing" if spec.endswith("?") else "present"))
        continue
    op = "~" if "~" in spec else "="
    key, want = spec.split(op, 1)
    found, got = get(key)
    want = json.loads(want)
    if not found:
        bad.append("%s: key %s missing" % (name, key))
    elif op == "~":
        if isinstance(got, bool) or not isinstance(got, (int, float)) or abs(got - want) > 1e-9:
            bad.append("%s: %s = %r, want %r (1e-9)" % (name, key, got, want))
    elif got != want or type(got) != type(want):
        bad.append("%s: %s = %r, want %r" % (name, key, got, want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF

check_json() {
	local name=$1 file=$2
	shift 2
	checks=$((checks + 1))
	if [ "$checker" = python ]; then
		local msg line
		if ! msg=$("$PY" "$tmp/check.py" "$name" "$file" "$@" 2>&1); then
			while IFS= read -r line; do
				fail "$line"
			done <<<"$msg"
		fi
		return 0
	fi
	if ! jq -e -s 'length == 1 and (.[0] | type == "object")' "$file" >/dev/null 2>&1; then
		fail "$name: output is not one JSON object"
		return 0
	fi
	local spec key want p
	for spec in "$@"; do
		case $spec in
		*\?) p=$(jq -cn --arg k "${spec%?}" '$k | split(".")')
			jq -e --argjson p "$p" 'getpath($p) != null' "$file" >/dev/null ||
				fail "$name: key ${spec%?} missing" ;;
		*!) p=$(jq -cn --arg k "${spec%!}" '$k | split(".")')
			jq -e --argjson p "$p" 'getpath($p) == null' "$file" >/dev/null ||
				fail "$name: key ${spec%!} present" ;;
		*~*) key=${spec%%~*} want=${spec#*~}
			p=$(jq -cn --arg k "$key" '$k | split(".")')
			jq -e --argjson p "$p" --argjson w "$want" \
				'getpath($p) | type == "number" and ((. - $w) | (if . < 0 then -. else . end)) <= 1e-9' \
				"$file" >/dev/null ||
				fail "$name: $key = $(jq -c --argjson p "$p" 'getpath($p)' "$file"), want $want (1e-9)" ;;
		*) key=${spec%%=*} want=${spec#*=}
			p=$(jq -cn --arg k "$key" '$k | split(".")')
			jq -e --argjson p "$p" --argjson w "$want" 'getpath($p) == $w' "$file" >/dev/null ||
				fail "$name: $key = $(jq -c --argjson p "$p" 'getpath($p)' "$file"), want $want" ;;
		esac
	done
}

# expect_ok NAME ARGS...: exit 0 and empty stderr.
expect_ok() {
	local name=$1
	shift
	checks=$((checks + 1))
	run "$@"
	[ "$rc" -eq 0 ] || fail "$name: exit $rc, want 0: $(head -c 500 "$tmp/err")"
	[ ! -s "$tmp/err" ] || fail "$name: unexpected stderr: $(head -c 500 "$tmp/err")"
}

# expect_error NAME FRAGMENT ARGS...: exit 2, nothing on stdout, one stderr
# line starting "orchctl risk: " that contains FRAGMENT.
expect_error() {
	local name=$1 frag=$2
	shift 2
	checks=$((checks + 1))
	run "$@"
	if [ "$rc" -ne 2 ]; then
		fail "$name: exit $rc, want 2 (stderr: $(head -c 300 "$tmp/err"))"
		return 0
	fi
	[ ! -s "$tmp/out" ] || fail "$name: stdout not empty on error"
	local lines
	lines=$(wc -l <"$tmp/err")
	[ "$lines" -eq 1 ] || fail "$name: $lines stderr lines, want 1: $(head -c 500 "$tmp/err")"
	case $(head -n 1 "$tmp/err") in
	"orchctl risk: "*) ;;
	*) fail "$name: stderr does not start with 'orchctl risk: ': $(head -c 300 "$tmp/err")" ;;
	esac
	grep -qF -- "$frag" "$tmp/err" ||
		fail "$name: stderr lacks '$frag': $(head -c 300 "$tmp/err")"
}

# --- the PerformanceAnalytics vector, second column of a dated file ---
x=(-0.03 0.01 0.02 -0.01 0.005 -0.02 0.015 0.0 -0.005 0.03)
{
	echo "date,ret"
	for i in "${!x[@]}"; do
		printf '2024-01-%02d,%s\n' $((i + 1)) "${x[$i]}"
	done
} >"$tmp/pa.csv"

PA=(
	n_obs=10 sufficient=true
	var_historical_95~0.0255 var_gaussian_95~0.027237904227 var_modified_95~0.028481919848
	es_historical_95~0.03 es_gaussian_95~0.034538491291 es_modified_95~0.033392434147
	var_historical_99~0.0291 var_gaussian_99~0.039144566366 var_modified_99~0.038056962193
	es_historical_99~0.03 es_gaussian_99~0.045065037614 es_modified_99~0.043463303553
	max_drawdown~0.03 skewness~-0.194913080233 excess_kurtosis~-0.818159683025
	sharpe_annualized~1.292959578542 sortino~0.125656172488
)

expect_ok "PA vector" risk --returns "$tmp/pa.csv" --column ret
cp "$tmp/out" "$tmp/pa.json"
check_json "PA vector" "$tmp/pa.json" "${PA[@]}" \
	volatility_annualized? ewma_volatility? ewma_lambda~0.94 \
	conventions.sign='"loss_positive"' conventions.quantile='"R type 7"' \
	'conventions.variance="population for gaussian/modified, sample for volatility and Sharpe"' \
	'conventions.modified="Cornish-Fisher, PerformanceAnalytics operational ES"' \
	conventions.periods_per_year~252 conventions.min_obs=10

# The same as --column ret=... form and explicit defaults.
expect_ok "PA vector, explicit defaults" risk --returns="$tmp/pa.csv" --column=ret \
	--confidence 0.95,0.99 --periods-per-year 252
check_json "PA vector, explicit defaults" "$tmp/out" "${PA[@]}"

# Without --column the first column (dates) is read: not a number on line 2.
expect_error "first column is the default" "pa.csv:2: column date: '2024-01-01' is not a number" \
	risk --returns "$tmp/pa.csv"

# --- CSV dialect: CRLF, BOM, quotes, spaces, blank lines, first column ---
{
	printf '\xEF\xBB\xBF "ret" , "note, with comma"\r\n'
	printf '\r\n'
	for v in "${x[@]}"; do
		printf '  "%s"  ,"a ""quoted"" note"\r\n' "$v"
		printf '\r\n'
	done
	printf '\n'
} >"$tmp/dialect.csv"
expect_ok "CSV dialect" risk --returns "$tmp/dialect.csv"
check_json "CSV dialect" "$tmp/out" "${PA[@]}" column='"ret"'
# A quoted header name holding a comma; that column is text, so it fails
# on the first data line, line 3 (line 2 is blank).
expect_error "text column" "dialect.csv:3: column note, with comma: 'a \"quoted\" note' is not a number" \
	risk --returns "$tmp/dialect.csv" --column "note, with comma"

# stdin
expect_ok "stdin" risk --returns - --column ret <"$tmp/pa.csv"
check_json "stdin" "$tmp/out" n_obs=10 var_historical_95~0.0255

# --- options ---
expect_ok "confidence 0.975" risk --returns "$tmp/pa.csv" --column ret --confidence 0.975
check_json "confidence 0.975" "$tmp/out" var_historical_97_5~0.02775 es_historical_97_5? \
	var_gaussian_97_5? var_modified_97_5? es_gaussian_97_5? es_modified_97_5? \
	var_historical_95! var_historical_99! confidences='[0.975]'

expect_ok "four confidences" risk --returns "$tmp/pa.csv" --column ret --confidence 0.9,0.95,0.99,0.999
check_json "four confidences" "$tmp/out" var_historical_90? var_historical_95~0.0255 \
	var_historical_99~0.0291 var_historical_99_9? es_modified_99_9?

expect_ok "periods per year 12" risk --returns "$tmp/pa.csv" --column ret --periods-per-year 12
check_json "periods per year 12" "$tmp/out" sharpe_annualized~0.28214691139 \
	volatility_annualized~0.06379655163 sortino~0.125656172488 conventions.periods_per_year~12

# --- fewer than RISK_MIN_OBS returns: a warning, not an error ---
printf 'ret\n0.01\n-0.02\n0.005\n' >"$tmp/short.csv"
checks=$((checks + 1))
run risk --returns "$tmp/short.csv"
[ "$rc" -eq 0 ] || fail "insufficient: exit $rc, want 0: $(head -c 300 "$tmp/err")"
grep -q '^orchctl risk: warning: ' "$tmp/err" || fail "insufficient: no warning on stderr"
check_json "insufficient" "$tmp/out" n_obs=3 sufficient=false var_historical_95~0 \
	max_drawdown~0 sharpe_annualized~0 conventions.min_obs=10

# --- help and dispatch ---
checks=$((checks + 1))
run --help
[ "$rc" -eq 0 ] || fail "orchctl --help: exit $rc"
grep -q 'risk' "$tmp/out" || fail "orchctl --help: no 'risk' command listed"
checks=$((checks + 1))
run risk --help
[ "$rc" -eq 0 ] || fail "orchctl risk --help: exit $rc"
grep -q -- '--returns' "$tmp/out" || fail "orchctl risk --help: no --returns"
checks=$((checks + 1))
run
[ "$rc" -eq 2 ] || fail "orchctl without command: exit $rc, want 2"
grep -q 'usage' "$tmp/err" || fail "orchctl without command: no usage on stderr"
checks=$((checks + 1))
run frobnicate
[ "$rc" -eq 2 ] || fail "unknown command: exit $rc, want 2"
grep -q "unknown command 'frobnicate'" "$tmp/err" || fail "unknown command: message: $(head -c 300 "$tmp/err")"
grep -q 'usage' "$tmp/err" || fail "unknown command: no usage on stderr"
[ ! -s "$tmp/out" ] || fail "unknown command: stdout not empty"

# --- errors ---
: >"$tmp/empty.csv"
printf 'date,ret\r\n\r\n' >"$tmp/header.csv"
printf 'date,ret\n2024-01-01,0.01\n\n2024-01-03,abc\n' >"$tmp/nan_text.csv"
printf 'date,ret\n2024-01-01,0.01\n2024-01-02\n' >"$tmp/short_row.csv"
printf 'date,ret\n2024-01-01,0.01\n2024-01-02,-1.5\n' >"$tmp/loss.csv"
printf 'date,ret\n2024-01-01,0.01\n2024-01-02,-1\n' >"$tmp/loss100.csv"
printf 'date,ret\n2024-01-01,nan\n' >"$tmp/nan.csv"
printf 'date,ret\n2024-01-01,inf\n' >"$tmp/inf.csv"
printf 'date,ret\n2024-01-01,0.01x\n' >"$tmp/trailing.csv"
printf 'date,ret\n2024-01-01,\n' >"$tmp/empty_cell.csv"
printf 'date,ret\n2024-01-01,"0.01\n' >"$tmp/quote.csv"

expect_error "missing --returns" "missing --returns" risk
expect_error "missing --returns with other options" "missing --returns" risk --column ret
expect_error "unreadable file" "No such file or directory" risk --returns "$tmp/nope.csv"
expect_error "unreadable file names it" "$tmp/nope.csv" risk --returns "$tmp/nope.csv"
expect_error "directory" "$tmp" risk --returns "$tmp"
expect_error "empty file" "no returns in $tmp/empty.csv" risk --returns "$tmp/empty.csv"
expect_error "header only" "no returns in $tmp/header.csv" risk --returns "$tmp/header.csv" --column ret
expect_error "unknown column" "no column 'nope'" risk --returns "$tmp/pa.csv" --column nope
expect_error "unknown column lists columns" "date, ret" risk --returns "$tmp/pa.csv" --column nope
expect_error "non-numeric cell" "nan_text.csv:4: column ret: 'abc' is not a number" \
	risk --returns "$tmp/nan_text.csv" --column ret
expect_error "trailing garbage" "trailing.csv:2: column ret: '0.01x' is not a number" \
	risk --returns "$tmp/trailing.csv" --column ret
expect_error "empty cell" "empty_cell.csv:2: column ret: '' is not a number" \
	risk --returns "$tmp/empty_cell.csv" --column ret
expect_error "too few cells" "short_row.csv:3: too few cells" \
	risk --returns "$tmp/short_row.csv" --column ret
expect_error "loss beyond 100%" "loss.csv:3: column ret: '-1.5' is a loss beyond 100%" \
	risk --returns "$tmp/loss.csv" --column ret
expect_error "loss of exactly 100%" "loss100.csv:3: column ret: '-1' is a loss beyond 100%" \
	risk --returns "$tmp/loss100.csv" --column ret
expect_error "nan" "nan.csv:2: column ret: 'nan' is not a finite number" \
	risk --returns "$tmp/nan.csv" --column ret
expect_error "inf" "inf.csv:2: column ret: 'inf' is not a finite number" \
	risk --returns "$tmp/inf.csv" --column ret
expect_error "unterminated quote" "quote.csv:2: unterminated quoted cell" \
	risk --returns "$tmp/quote.csv" --column ret
for c in 0.5 1 0.4 1.5 abc "" 0.95, 0.95,0.95 0.9,0.95,0.97,0.99,0.999 95; do
	expect_error "bad --confidence '$c'" "bad --confidence" \
		risk --returns "$tmp/pa.csv" --column ret --confidence "$c"
done
for p in 0 -1 abc "" inf nan 12x; do
	expect_error "bad --periods-per-year '$p'" "bad --periods-per-year" \
		risk --returns "$tmp/pa.csv" --column ret --periods-per-year "$p"
done
expect_error "unknown option" "unknown option '--frobnicate'" \
	risk --returns "$tmp/pa.csv" --frobnicate
expect_error "option without value" "--column needs a value" risk --returns "$tmp/pa.csv" --column
expect_error "stray argument" "unexpected argument 'extra'" risk --returns "$tmp/pa.csv" extra

if [ "$failures" -ne 0 ]; then
	echo "orchctl_risk: $failures failure(s) in $checks checks" >&2
	exit 1
fi
echo "orchctl_risk: $checks checks passed"
