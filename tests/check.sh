#!/bin/bash
# `check` on snapshot fixtures (tests/data/snapshots, made by generate.py):
# each fixture's findings, as "DIAGNOSIS RESOURCE" lines, must be exactly its
# 'expect' file (empty for the healthy variants), with the matching exit status.
# Then the bundled demo snapshot must show each of its planted faults.
. "$TOP_SRCDIR/tests/lib.sh"

# check_fixture NAME DIR EXPECT-FILE
check_fixture() {
	local status=0 want=0
	"$MESHMEDIC" check --snapshot "$2" --format json >"$SCRATCH/out.json" 2>"$SCRATCH/err" || status=$?
	[ -s "$3" ] && want=1
	sed -n 's/^      "diagnosis": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/d"
	sed -n 's/^      "resource": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/r"
	paste -d' ' "$SCRATCH/d" "$SCRATCH/r" | sort >"$SCRATCH/got"
	sort "$3" >"$SCRATCH/want"
	if [ "$status" = "$want" ] && diff -u "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then
		ok "$1"
	else
		{ echo "exit $status, expected $want"; cat "$SCRATCH/diff" "$SCRATCH/err"; } >"$SCRATCH/why"
		not_ok "$1" "$SCRATCH/why"
	fi
}

for dir in "$TOP_SRCDIR"/tests/data/snapshots/*/; do
	dir=${dir%/}
	check_fixture "check ${dir##*/}" "$dir" "$dir/expect"
done

cat >"$SCRATCH/demo-expect" <<'END'
dr-tls-conflict DestinationRule/bookinfo/reviews
subset-undefined VirtualService/bookinfo/ratings
subset-no-pods DestinationRule/bookinfo/details
proxy-config-stale Pod/bookinfo/details-v1-6b746f74dc-9stvs
injection-revision-mismatch Namespace/payments
pod-predates-injection Pod/legacy/billing-7c9f8d5b6-abcde
END
check_fixture "check finds every planted fault of the demo" "$TOP_SRCDIR/demo/snapshot" "$SCRATCH/demo-expect"

# -n narrows the check to one namespace (the control plane is always looked at)
"$MESHMEDIC" check --snapshot "$TOP_SRCDIR/demo/snapshot" -n legacy >"$SCRATCH/out" 2>&1 || true
if grep -q '^pod-predates-injection  Pod/legacy/' "$SCRATCH/out" && ! grep -q 'bookinfo' "$SCRATCH/out"; then
	ok "check -n legacy reports legacy only"; else not_ok "check -n legacy reports legacy only" "$SCRATCH/out"; fi

# manifests without proxy-status: the sync checks are skipped, with the reason
"$MESHMEDIC" check --snapshot "$TOP_SRCDIR/tests/data/snapshots/healthy/resources.json" --format json >"$SCRATCH/out" 2>&1 || true
if grep -q '"check": "proxy-config-stale"' "$SCRATCH/out" && grep -q 'manifests only: no proxy-status' "$SCRATCH/out"; then
	ok "checks that cannot run are listed as skipped"; else not_ok "checks that cannot run are listed as skipped" "$SCRATCH/out"; fi
done_testing
