#!/bin/bash
# `check` on snapshot fixtures (tests/data/snapshots, made by generate.py):
# each fixture's findings, as "DIAGNOSIS RESOURCE" lines, must be exactly its
# 'expect' file (empty for the healthy variants), with the matching exit status.
# Then the bundled demo snapshot must show each of its planted faults.
. "$TOP_SRCDIR/tests/lib.sh"

# The findings of check's JSON (on stdin) as "SEVERITY DIAGNOSIS RESOURCE [IST-CODE]" lines.
findings_lines() {
	awk '
	function flush() { if (d != "") print sev " " d " " r (code != "" ? " " code : ""); d = r = sev = code = "" }
	/^      "diagnosis": / { flush(); d = $2 }
	/^      "resource": / { r = $2 }
	/^      "severity": / { sev = $2 }
	/^      "istio_code": / { code = $2 }
	END { flush() }' | tr -d '",'
}

# compare NAME STATUS WANT-STATUS: $SCRATCH/got against $SCRATCH/want, and the exit status.
compare() {
	local differs=0
	diff -u "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff" || differs=1
	if [ "$2" = "$3" ] && [ "$differs" = 0 ]; then
		ok "$1"
	else
		{ echo "exit $2, expected $3"; cat "$SCRATCH/diff" "$SCRATCH/err"; } >"$SCRATCH/why"
		not_ok "$1" "$SCRATCH/why"
	fi
}

# check_case NAME SNAPSHOT EXPECT-FILE [ARG...]: the findings with their severity and code,
# and exit status 1 exactly when one is at or above --fail-on (warning unless ARG says).
check_case() {
	local name=$1 snap=$2 expect=$3 status=0 want=0 level=warning
	shift 3
	"$MESHMEDIC" check --snapshot "$snap" --format json "$@" >"$SCRATCH/out.json" 2>"$SCRATCH/err" || status=$?
	for a in "$@"; do [ "${prev:-}" = --fail-on ] && level=$a; prev=$a; done
	case $level in error) re='^error ' ;; warning) re='^(error|warning) ' ;; *) re='^(error|warning|info) ' ;; esac
	grep -Eq "$re" "$expect" && want=1
	findings_lines <"$SCRATCH/out.json" | sort >"$SCRATCH/got"
	sort "$expect" >"$SCRATCH/want"
	compare "$name" "$status" "$want"
}

# tests/check/CASE: a snapshot, 'expect' (the findings as findings_lines prints them) and
# optionally 'args' (one per line). The snapshot is the folder itself when it holds a
# resources.json; else its manifests (*.yaml, *.json) with the control plane of base.yaml.
for dir in "$TOP_SRCDIR"/tests/check/*/; do
	[ -d "$dir" ] || continue
	dir=${dir%/}
	args=()
	[ -f "$dir/args" ] && mapfile -t args <"$dir/args"
	snap=$dir
	if [ ! -f "$dir/resources.json" ]; then
		snap=$SCRATCH/case
		rm -rf "$snap" && mkdir "$snap"
		cp "$TOP_SRCDIR/tests/check/base.yaml" "$snap/00-base.yaml"
		for f in "$dir"/*.yaml "$dir"/*.json; do [ -e "$f" ] && cp "$f" "$snap/"; done
	fi
	check_case "check case ${dir##*/}" "$snap" "$dir/expect" "${args[@]}"
done

# check_fixture NAME DIR EXPECT-FILE
check_fixture() {
	local status=0 want=0
	"$MESHMEDIC" check --snapshot "$2" --format json >"$SCRATCH/out.json" 2>"$SCRATCH/err" || status=$?
	findings_lines <"$SCRATCH/out.json" | grep -Eq '^(error|warning) ' && want=1
	sed -n 's/^      "diagnosis": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/d"
	sed -n 's/^      "resource": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/r"
	paste -d' ' "$SCRATCH/d" "$SCRATCH/r" | sort >"$SCRATCH/got"
	sort "$3" >"$SCRATCH/want"
	compare "$1" "$status" "$want"
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
if grep -q '^  pod-predates-injection  Pod/legacy/' "$SCRATCH/out" && ! grep -q 'bookinfo' "$SCRATCH/out"; then
	ok "check -n legacy reports legacy only"; else not_ok "check -n legacy reports legacy only" "$SCRATCH/out"; fi

# manifests without proxy-status: the sync checks are skipped, with the reason
"$MESHMEDIC" check --snapshot "$TOP_SRCDIR/tests/data/snapshots/healthy/resources.json" --format json >"$SCRATCH/out" 2>&1 || true
if grep -q '"check": "proxy-config-stale"' "$SCRATCH/out" && grep -q 'manifests only: no proxy-status' "$SCRATCH/out"; then
	ok "checks that cannot run are listed as skipped"; else not_ok "checks that cannot run are listed as skipped" "$SCRATCH/out"; fi
done_testing
