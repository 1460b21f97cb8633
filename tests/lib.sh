# Shared by the shell tests: strict mode, C locale, a scratch directory
# removed on exit, and TAP output (each case is one test in the summary).
set -eu
export LC_ALL=C
unset NO_COLOR
: "${MESHMEDIC:?run through make check (MESHMEDIC is not set)}"
: "${TOP_SRCDIR:?run through make check (TOP_SRCDIR is not set)}"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/meshmedic-test.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
TAP_N=0
TAP_FAILED=0

# ok NAME: one passing case.
ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

# not_ok NAME [DIAGNOSTIC-FILE]: one failing case, with the file shown as a TAP comment.
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	if [ $# -gt 1 ] && [ -s "$2" ]; then sed 's/^/# /' "$2" | head -n 60; fi
}

# skip_all REASON: the whole script is skipped (a missing optional tool).
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# check NAME EXPECTED-FILE ACTUAL-FILE: compare, report the diff on failure.
check() {
	if diff -u "$2" "$3" >"$SCRATCH/diff" 2>&1; then ok "$1"; else not_ok "$1" "$SCRATCH/diff"; fi
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
