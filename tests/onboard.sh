#!/bin/bash
# `onboard --batch` on the onboarding fixtures (tests/data/snapshots/onboard-*, made by
# gen_onboard.py): each gives the status per item of tests/onboard/FIXTURE.expect
# ("ITEM STATUS" lines) with the matching exit status (1 when an item fails), answering the
# items no cluster can decide from tests/onboard/FIXTURE.args (one word a line), else
# default.args. Then the text and Markdown reports against golden files, --answer,
# --service, the usage errors and a run without cluster state.
#
# When the checklist changes on purpose, write the golden files again with
# ONBOARD_REGEN=1 make check TESTS=tests/onboard.sh and read the diff.
. "$TOP_SRCDIR/tests/lib.sh"

SNAP=$TOP_SRCDIR/tests/data/snapshots
GOLD=$TOP_SRCDIR/tests/onboard

# args FIXTURE: the answers for a fixture, into the array ARGS
args() {
	local f=$GOLD/$1.args
	[ -f "$f" ] || f=$GOLD/default.args
	mapfile -t ARGS <"$f"
}

# golden NAME FILE: FILE is tests/onboard/NAME
golden() {
	if [ -n "${ONBOARD_REGEN:-}" ]; then
		cp "$2" "$GOLD/$1"
		ok "$1 (written)"
	else
		check "report $1" "$GOLD/$1" "$2"
	fi
}

# ---- every fixture: the status per item and the exit status ----
for dir in "$SNAP"/onboard-*/; do
	dir=${dir%/}
	name=${dir##*/}
	args "$name"
	status=0
	"$MESHMEDIC" onboard -n shop --snapshot "$dir" --batch --format json "${ARGS[@]}" \
		>"$SCRATCH/out.json" 2>"$SCRATCH/err" || status=$?
	sed -n 's/^      "id": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/ids"
	sed -n 's/^      "status": "\(.*\)",$/\1/p' "$SCRATCH/out.json" >"$SCRATCH/st"
	paste -d' ' "$SCRATCH/ids" "$SCRATCH/st" >"$SCRATCH/got"
	want=0
	grep -q ' fail$' "$GOLD/$name.expect" && want=1
	if [ "$status" = "$want" ] && diff -u "$GOLD/$name.expect" "$SCRATCH/got" >"$SCRATCH/diff"; then
		ok "onboard $name"
	else
		{ echo "exit $status, expected $want"; cat "$SCRATCH/diff" "$SCRATCH/err"; } >"$SCRATCH/why"
		not_ok "onboard $name" "$SCRATCH/why"
	fi
done

# ---- the reports, as people read them ----
for name in onboard-ready onboard-injection; do
	args "$name"
	for fmt in text markdown; do
		"$MESHMEDIC" onboard -n shop --snapshot "$SNAP/$name" --batch --format "$fmt" "${ARGS[@]}" \
			>"$SCRATCH/report" 2>&1 || true
		# the snapshot's path as given is not part of the golden file
		golden "$name.$fmt" "$SCRATCH/report"
	done
done

# ---- --answer decides what the cluster cannot (and overrides what it shows) ----
"$MESHMEDIC" onboard -n shop --snapshot "$SNAP/onboard-ready" --batch --format json \
	>"$SCRATCH/out.json" 2>&1 || true
if grep -q '"id": "http10"' "$SCRATCH/out.json" &&
	[ "$(grep -c '"checked": false' "$SCRATCH/out.json")" = 3 ]; then
	ok "without answers, http10, header-case and retries are asked"
else
	not_ok "without answers, http10, header-case and retries are asked" "$SCRATCH/out.json"
fi
status=0
"$MESHMEDIC" onboard -n shop --snapshot "$SNAP/onboard-ready" --batch --format json \
	--answer http10=no --answer header-case=yes --answer retries=unsure >"$SCRATCH/out.json" 2>&1 ||
	status=$?
if [ $status = 1 ] && grep -q '"answered": "yes"' "$SCRATCH/out.json" &&
	! grep -q '"checked": false' "$SCRATCH/out.json"; then
	ok "--answer decides the asked items (header-case=yes fails: exit 1)"
else
	echo "exit $status" >>"$SCRATCH/out.json" && not_ok "--answer decides the asked items" "$SCRATCH/out.json"
fi
args onboard-http10
status=0
"$MESHMEDIC" onboard -n shop --snapshot "$SNAP/onboard-http10" --batch "${ARGS[@]}" --answer http10=no \
	>"$SCRATCH/out" 2>&1 || status=$?
if [ $status = 0 ] && grep -q '^\[PASS\] HTTP/1.0 clients (http10)  answered' "$SCRATCH/out"; then
	ok "--answer overrides what the cluster shows"
else
	not_ok "--answer overrides what the cluster shows" "$SCRATCH/out"
fi

# ---- --service: only that Service and its pods ----
args onboard-injection
status=0
"$MESHMEDIC" onboard -n shop --service cart --snapshot "$SNAP/onboard-injection" --batch \
	--format json "${ARGS[@]}" >"$SCRATCH/out.json" 2>&1 || status=$?
if [ $status = 0 ] && grep -q '"service": "cart"' "$SCRATCH/out.json" &&
	! grep -q 'reports-v1' "$SCRATCH/out.json"; then
	ok "--service cart leaves the other workloads out"
else
	not_ok "--service cart leaves the other workloads out" "$SCRATCH/out.json"
fi
"$MESHMEDIC" onboard -n shop --service nope --snapshot "$SNAP/onboard-ready" --batch \
	>"$SCRATCH/out" 2>&1 || true
if grep -q 'no Service nope in namespace shop' "$SCRATCH/out"; then
	ok "an unknown --service leaves every item to ask, saying why"
else
	not_ok "an unknown --service leaves every item to ask, saying why" "$SCRATCH/out"
fi

# ---- no cluster state: every item is asked (warn, not checked) ----
status=0
"$MESHMEDIC" onboard -n shop --batch --format json >"$SCRATCH/out.json" 2>&1 || status=$?
n=$(grep -c '"checked": false' "$SCRATCH/out.json" || true)
w=$(grep -c '"status": "warn"' "$SCRATCH/out.json" || true)
if [ $status = 0 ] && [ "$n" = 13 ] && [ "$w" = 13 ] &&
	grep -q 'not checked: no cluster state (give --snapshot PATH or --live); answer with --answer injection=CHOICE' \
		"$SCRATCH/out.json"; then
	ok "no cluster state: every item warn, checked false"
else
	not_ok "no cluster state: every item warn, checked false" "$SCRATCH/out.json"
fi
if command -v "${JQ:-jq}" >/dev/null 2>&1 && [ -n "${JQ:-}" ]; then
	if "$JQ" -e '.summary == {"pass": 0, "warn": 13, "fail": 0} and .service == null and
		([.items[] | select(.fix != null and .status == "pass")] | length == 0)' \
		"$SCRATCH/out.json" >/dev/null; then
		ok "the JSON summary"
	else
		not_ok "the JSON summary" "$SCRATCH/out.json"
	fi
fi

# ---- every item names a help page that exists ----
missing=
for topic in $(sed -n 's/^      "help": "\(.*\)",$/\1/p' "$SCRATCH/out.json") onboarding; do
	"$MESHMEDIC" help "$topic" >/dev/null 2>&1 || missing="$missing $topic"
done
if [ -z "$missing" ]; then ok "every item's help page exists"; else
	echo "missing:$missing" >"$SCRATCH/why" && not_ok "every item's help page exists" "$SCRATCH/why"; fi

# ---- usage and input errors: exit 2 and one line ----
# usage NAME ARGS...: exit 2 with one line on stderr naming the problem (grep PATTERN first)
usage() {
	local name=$1 pattern=$2 status=0
	shift 2
	"$MESHMEDIC" onboard "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
	if [ $status = 2 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && grep -q -- "$pattern" "$SCRATCH/err" &&
		[ ! -s "$SCRATCH/out" ]; then
		ok "$name"
	else
		{ echo "exit $status"; cat "$SCRATCH/err" "$SCRATCH/out"; } >"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"
	fi
}
usage "no -n: exit 2" "needs the namespace" --batch
usage "unknown item: exit 2" "no checklist item 'bogus'" -n shop --batch --answer bogus=yes
usage "unknown choice: exit 2" "item http10 has no choice 'maybe'" -n shop --batch --answer http10=maybe
usage "--answer without '=': exit 2" "takes NODE=CHOICE" -n shop --batch --answer http10
usage "an argument: exit 2" "takes no arguments" extra -n shop --batch
usage "a missing snapshot: exit 2" "no-such-dir" -n shop --batch --snapshot "$SCRATCH/no-such-dir"
done_testing
