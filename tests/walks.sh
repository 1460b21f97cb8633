#!/bin/bash
# Batch walks of the shipped flows, from the files in tests/walks (one per
# flow family, one walk per line):
#   FLOW EXPECTED [--set NAME=VALUE | --answer NODE=CHOICE]...
# EXPECTED is the diagnosis id the walk must reach, or "undetermined".
# @TOP@ stands for the source tree (for --snapshot fixtures).
# Each walk is run, checked, saved as a transcript and replayed with
# --answers, which must reach the same end. Last, every diagnosis that a
# listed flow can reach must be reached by some walk.
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
	want=0
	[ "$expect" = undetermined ] && want=1
	status=0
	"$MESHMEDIC" run "$flow" --batch --format json "$@" >"$SCRATCH/first.json" 2>"$SCRATCH/err" || status=$?
	got=$(sed -n '/"diagnosis": {/,/}/s/^    "id": "\(.*\)",$/\1/p' "$SCRATCH/first.json")
	[ "$status" = 1 ] && got=undetermined
	if [ "$status" != "$want" ] || [ "$got" != "$expect" ]; then
		echo "exit $status, reached '$got'" >>"$SCRATCH/err"
		not_ok "$name" "$SCRATCH/err"
		continue
	fi
	ok "$name"
	echo "$got" >>"$SCRATCH/reached"
	status=0
	"$MESHMEDIC" run --batch --format json --answers "$SCRATCH/first.json" >"$SCRATCH/again.json" 2>"$SCRATCH/err" || status=$?
	# the replay is answered by the file, so only "by" may differ
	sed 's/"by": "[a-z]*"/"by": X/' "$SCRATCH/first.json" >"$SCRATCH/a"
	sed 's/"by": "[a-z]*"/"by": X/' "$SCRATCH/again.json" >"$SCRATCH/b"
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
