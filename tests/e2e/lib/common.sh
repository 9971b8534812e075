# common.sh - sourced first by every e2e test's prelude, with the test's
# name as $1: needs Debian's /usr/bin/python3 (JSON checks, free ports),
# makes a temporary directory removed on exit, and counts checks and
# failures.
# Sets: test_name, PY, tmp, checks, failures; defines fail and free_port.
test_name=$1
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
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
