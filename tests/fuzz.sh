#!/bin/bash
# Replay the kept fuzz corpora (tests/fuzz/TARGET/: seeds and every input
# that ever crashed) through each target's replay driver, in the normal build.
. "$TOP_SRCDIR/tests/lib.sh"
for dir in "$TOP_SRCDIR"/tests/fuzz/*/; do
	t=$(basename "$dir")
	[ "$t" = targets ] && continue
	if "$TOP_BUILDDIR/tests/fuzz/replay-$t" "$dir" >"$SCRATCH/out" 2>&1; then
		ok "fuzz/$t ($(sed -n 's/.*(\([0-9]*\) inputs)/\1/p' "$SCRATCH/out" | head -n 1) inputs)"
	else
		not_ok "fuzz/$t" "$SCRATCH/out"
	fi
done
done_testing
