# orchctl.sh - sourced by the orchctl e2e tests with the test's name as $1:
# finds the built orchctl ($ORCH_BIN_DIR, else ${ORCH_TEST_SRCDIR:-.}/build/bin),
# needs Debian's /usr/bin/python3 for JSON checks, makes a temporary
# directory removed on exit, and counts checks and failures.
# Sets: bin, PY, tmp, checks, failures; defines fail.
test_name=$1
if [ -n "${ORCH_BIN_DIR:-}" ]; then
	bin=$ORCH_BIN_DIR/orchctl
else
	bin=${ORCH_TEST_SRCDIR:-.}/build/bin/orchctl
fi
[ -x "$bin" ] || { echo "$test_name: no executable $bin (run make first)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "$test_name: needs $PY" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$test_name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
