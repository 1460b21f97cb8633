#!/bin/bash
# Invalid-flow cases: each folder under tests/lint holds the files to lint
# (*.json, *.md) and 'expected', the exact lines lint must print. References
# resolve against the small flow set in tests/data/mini, so the cases do not
# change when the real flows do. The real flows must lint clean too.
. "$TOP_SRCDIR/tests/lib.sh"

for dir in "$TOP_SRCDIR"/tests/lint/*/; do
	[ -d "$dir" ] || continue
	dir=${dir%/}
	name=lint/${dir##*/}
	files=()
	for f in "$dir"/*.json "$dir"/*.md "$dir"/*/; do
		[ -e "$f" ] || continue
		f=${f%/}
		files+=("${f##*/}")
	done
	status=0
	(cd "$dir" && MESHMEDIC_DATADIR=$TOP_SRCDIR/tests/data/mini "$MESHMEDIC" lint "${files[@]}" \
		>"$SCRATCH/out" 2>"$SCRATCH/err") || status=$?
	if [ "$status" != 2 ]; then
		echo "exit status $status, expected 2" >"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"
		continue
	fi
	check "$name" "$dir/expected" "$SCRATCH/err"
done

status=0
MESHMEDIC_DATADIR=$TOP_SRCDIR "$MESHMEDIC" lint >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
if [ "$status" = 0 ] && [ ! -s "$SCRATCH/err" ]; then ok "the shipped flows lint clean"; else
	not_ok "the shipped flows lint clean" "$SCRATCH/err"; fi
status=0
MESHMEDIC_DATADIR=$TOP_SRCDIR/tests/data/mini "$MESHMEDIC" lint >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
if [ "$status" = 0 ]; then ok "the test flow set lints clean"; else
	not_ok "the test flow set lints clean" "$SCRATCH/err"; fi
done_testing
