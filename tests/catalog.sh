#!/bin/bash
# The catalog contract: every diagnosis id of tests/catalog-ids is explained
# by `meshmedic explain ID`, in text and JSON (with the same id), and
# `meshmedic list` shows the ten entry flows.
. "$TOP_SRCDIR/tests/lib.sh"

while read -r id; do
	case $id in '' | '#'*) continue ;; esac
	status=0
	"$MESHMEDIC" explain "$id" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
	if [ "$status" = 0 ] && [ -s "$SCRATCH/out" ] && [ ! -s "$SCRATCH/err" ]; then
		ok "explain $id"
	else
		echo "exit $status" >>"$SCRATCH/err"
		not_ok "explain $id" "$SCRATCH/err"
	fi
	"$MESHMEDIC" explain "$id" --format json >"$SCRATCH/out" 2>&1 || true
	if grep -q "^  \"id\": \"$id\",\$" "$SCRATCH/out"; then ok "explain $id --format json names it"; else
		not_ok "explain $id --format json names it" "$SCRATCH/out"; fi
done <"$TOP_SRCDIR/tests/catalog-ids"

"$MESHMEDIC" list >"$SCRATCH/list" 2>&1 || true
for flow in 503 404 426 431 crash injection routing connectivity headers sync; do
	if grep -q "^$flow " "$SCRATCH/list"; then ok "list shows flow $flow"; else
		not_ok "list shows flow $flow" "$SCRATCH/list"; fi
done
done_testing
