#!/bin/bash
# Every shipped flow renders as DOT that Graphviz accepts, with each of its
# diagnoses drawn as a note.
. "$TOP_SRCDIR/tests/lib.sh"
[ -n "${DOT:-}" ] || skip_all "Graphviz dot not found"

for flow in $("$MESHMEDIC" list --format json | sed -n 's/^    "id": "\(.*\)",$/\1/p'); do
	if ! "$MESHMEDIC" graph "$flow" >"$SCRATCH/$flow.dot" 2>"$SCRATCH/err"; then
		not_ok "graph $flow" "$SCRATCH/err"
		continue
	fi
	if "$DOT" -Tsvg "$SCRATCH/$flow.dot" >"$SCRATCH/$flow.svg" 2>"$SCRATCH/err" &&
		grep -q '<svg' "$SCRATCH/$flow.svg"; then ok "dot -Tsvg accepts graph $flow"; else
		not_ok "dot -Tsvg accepts graph $flow" "$SCRATCH/err"; fi
	# each diagnosis the flow reaches appears once, as a note
	want=$(grep -o '"diagnosis": *"[^"]*"' "$(grep -l "^  \"id\": \"$flow\"," "$TOP_SRCDIR"/flows/*.json | head -n 1)" |
		sed 's/.*"\([^"]*\)"$/\1/' | sort -u | wc -l)
	got=$(grep -c 'shape=note' "$SCRATCH/$flow.dot" || true)
	if [ "$want" = "$got" ]; then ok "graph $flow draws its $want diagnoses as notes"; else
		echo "notes: $got, diagnoses in the flow file: $want" >"$SCRATCH/why"
		not_ok "graph $flow draws its diagnoses as notes" "$SCRATCH/why"; fi
done
done_testing
