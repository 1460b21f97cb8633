#!/bin/bash
# Batch walks of the shipped flows, from the files in tests/walks (one per
# flow family, one walk per line):
#   FLOW EXPECTED [--set NAME=VALUE | --answer NODE=CHOICE]...
# EXPECTED is the diagnosis id the walk must reach, "undetermined" (it stops
# at a question nobody answered), "undetermined:NODE" (it stops, and the
# question left open is NODE: the one a person has to answer), or
# "undetermined:NODE:ID,ID..." (and these causes are among its likely ones).
# @TOP@ stands for the source tree (for --snapshot fixtures).
# Each walk is run, checked, saved as a transcript and replayed with
# --answers, which must reach the same end. Last, every diagnosis that a
# listed flow can reach must be reached by some walk.
#
# "no-cause" is for a fixture with nothing wrong: the walk must stop at a
# question, and no step of it may be inferred (there is no finding to take an
# answer from, so an inferred step would be a guess). "no-cause:ID" is the
# same for a walk that the probes take to ID on direct evidence (a pod that
# fails by itself: app-own-failure).
. "$TOP_SRCDIR/tests/lib.sh"
: >"$SCRATCH/reached"
: >"$SCRATCH/flows"

while read -r flow expect rest; do
	case $flow in '' | '#'*) continue ;; esac
	rest=${rest//@TOP@/$TOP_SRCDIR}
	# shellcheck disable=SC2086 # the rest of the line is a list of options
	set -- $rest
	echo "$flow" >>"$SCRATCH/flows"
	name="$flow -> $expect"
	want=0 node= likely= healthy=
	case $expect in
	undetermined) want=1 ;;
	undetermined:*:*) want=1 node=${expect#undetermined:} likely=${node#*:} node=${node%%:*} expect=undetermined ;;
	undetermined:*) want=1 node=${expect#undetermined:} expect=undetermined ;;
	no-cause) want=1 expect=undetermined healthy=1 ;;
	no-cause:*) expect=${expect#no-cause:} healthy=1 ;;
	esac
	# the fixture, to tell walks of the same flow apart
	case $rest in *--snapshot\ *) snap=${rest##*--snapshot }; name="$name (${snap%% *})"; name=${name/"$TOP_SRCDIR/tests/data/snapshots/"/} ;; esac
	status=0
	"$MESHMEDIC" run "$flow" --batch --format json "$@" >"$SCRATCH/first.json" 2>"$SCRATCH/err" || status=$?
	got=$(sed -n '/"diagnosis": {/,/}/s/^    "id": "\(.*\)",$/\1/p' "$SCRATCH/first.json")
	pending=$(sed -n '/^  "pending": {/,/^  }/s/^    "node": "\(.*\)",$/\1/p' "$SCRATCH/first.json")
	# the steps marked inferred, by node
	awk '/^      "node": /{n=$2} /^      "inferred": true/{print "inferred: " n}' "$SCRATCH/first.json" >"$SCRATCH/inferred"
	sed -n '/^  "likely": \[/,/^  \]/s/^      "diagnosis": "\(.*\)",$/\1/p' "$SCRATCH/first.json" >"$SCRATCH/likely"
	: >"$SCRATCH/unlisted"
	for id in ${likely//,/ }; do grep -qx "$id" "$SCRATCH/likely" || echo "not among the likely causes: $id" >>"$SCRATCH/unlisted"; done
	[ "$status" = 1 ] && got=undetermined
	if [ "$status" != "$want" ] || [ "$got" != "$expect" ] || { [ -n "$node" ] && [ "$pending" != "$node" ]; } ||
		{ [ -n "$healthy" ] && [ -s "$SCRATCH/inferred" ]; } || [ -s "$SCRATCH/unlisted" ]; then
		{ echo "exit $status, reached '$got', pending '$pending'"; cat "$SCRATCH/inferred" "$SCRATCH/unlisted"; } >>"$SCRATCH/err"
		not_ok "$name" "$SCRATCH/err"
		continue
	fi
	ok "$name"
	echo "$got" >>"$SCRATCH/reached"
	# a transcript does not record the snapshot: a walk over one is replayed
	# against it again, for the likely causes of a question left open
	again=()
	case $rest in *--snapshot\ *) again=(--snapshot "${snap%% *}") ;; esac
	status=0
	"$MESHMEDIC" run --batch --format json "${again[@]}" --answers "$SCRATCH/first.json" >"$SCRATCH/again.json" 2>"$SCRATCH/err" || status=$?
	# the replay is answered by the file, so only who answered may differ ("by",
	# and "inferred" that goes with "by": "probe"), and so may the command
	# line that each likely cause quotes to go on from there
	norm='s/"by": "[a-z]*"/"by": X/; /^      "inferred": true,$/d; s/^      "command": ".*"$/      "command": X/'
	sed "$norm" "$SCRATCH/first.json" >"$SCRATCH/a"
	sed "$norm" "$SCRATCH/again.json" >"$SCRATCH/b"
	if [ "$status" = "$want" ] && diff -u "$SCRATCH/a" "$SCRATCH/b" >"$SCRATCH/diff"; then
		ok "$name: the transcript replays to the same end"
	else
		echo "replay: exit $status" >>"$SCRATCH/diff"
		not_ok "$name: the transcript replays to the same end" "$SCRATCH/diff"
	fi
done < <(cat "$TOP_SRCDIR"/tests/walks/*)

# every diagnosis that a walked flow can reach is reached
for flow in $(sort -u "$SCRATCH/flows"); do
	"$MESHMEDIC" graph "$flow" | sed -n 's/^  "diagnosis:\([^"]*\)" \[.*/\1/p' | sort -u >"$SCRATCH/want"
	sort -u "$SCRATCH/reached" | comm -23 "$SCRATCH/want" - >"$SCRATCH/missing"
	if [ -s "$SCRATCH/missing" ]; then not_ok "every diagnosis of flow $flow is reached" "$SCRATCH/missing"; else
		ok "every diagnosis of flow $flow is reached"; fi
done
done_testing
