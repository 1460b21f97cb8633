#!/bin/bash
# Data-driven CLI tests: each folder under tests/cli is a case.
#   args      the arguments, one per line (no shell: @CASE@ is the case folder,
#             @TOP@ the source tree)
#   status    the expected exit status (0 when absent)
#   stdout    the expected standard output, exactly (not compared when absent);
#             in stdout and stderr the case folder's path reads @CASE@, then the
#             source tree's @TOP@
#   stderr    the expected standard error, exactly (not compared when absent)
#   stdin     fed to the program (else /dev/null)
#   datadir   the data root to use, relative to the source tree (else the real one)
# CLI_REGEN=1 rewrites the stdout and stderr files a case has with what the program printed
# (read the diff before committing it).
. "$TOP_SRCDIR/tests/lib.sh"

for dir in "$TOP_SRCDIR"/tests/cli/*/; do
	[ -d "$dir" ] || continue
	dir=${dir%/}
	name=cli/${dir##*/}
	args=()
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//@CASE@/$dir}
		line=${line//@TOP@/$TOP_SRCDIR}
		args+=("$line")
	done <"$dir/args"
	datadir=$TOP_SRCDIR
	[ -f "$dir/datadir" ] && datadir=$TOP_SRCDIR/$(cat "$dir/datadir")
	input=/dev/null
	[ -f "$dir/stdin" ] && input=$dir/stdin
	status=0
	(cd "$SCRATCH" && MESHMEDIC_DATADIR=$datadir "$MESHMEDIC" "${args[@]}" \
		<"$input" >"$SCRATCH/out" 2>"$SCRATCH/err") || status=$?
	sed -i "s|$dir|@CASE@|g; s|$TOP_SRCDIR|@TOP@|g" "$SCRATCH/out" "$SCRATCH/err"
	want=0
	[ -f "$dir/status" ] && want=$(cat "$dir/status")
	if [ -n "${CLI_REGEN:-}" ]; then
		[ ! -f "$dir/stdout" ] || cp "$SCRATCH/out" "$dir/stdout"
		[ ! -f "$dir/stderr" ] || cp "$SCRATCH/err" "$dir/stderr"
	fi
	{
		[ "$status" = "$want" ] || echo "exit status $status, expected $want"
		[ ! -f "$dir/stdout" ] || diff -u "$dir/stdout" "$SCRATCH/out" || true
		[ ! -f "$dir/stderr" ] || diff -u "$dir/stderr" "$SCRATCH/err" || true
	} >"$SCRATCH/why" 2>&1
	if [ -s "$SCRATCH/why" ]; then
		cat "$SCRATCH/err" >>"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"
	else
		ok "$name"
	fi
done
done_testing
