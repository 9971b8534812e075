# orchctl.sh - sourced by the orchctl e2e tests with the test's name as $1:
# common.sh, then finds the built orchctl ($ORCH_BIN_DIR, else
# ${ORCH_TEST_SRCDIR:-.}/build/bin).
# Sets: bin, and what common.sh sets.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$1"
if [ -n "${ORCH_BIN_DIR:-}" ]; then
	bin=$ORCH_BIN_DIR/orchctl
else
	bin=${ORCH_TEST_SRCDIR:-.}/build/bin/orchctl
fi
[ -x "$bin" ] || { echo "$test_name: no executable $bin (run make first)" >&2; exit 1; }
