#!/bin/bash
# `meshmedic logs` on access log fixtures: each folder under tests/logs is a case.
#   access.log  the log (the default arguments are: logs @CASE@/access.log)
#   args        other arguments, one per line (@CASE@ is the case folder, @TOP@ the source tree)
#   stdin       fed to the program (else /dev/null)
#   text, json, markdown
#               the expected standard output with --format text, json or markdown; the
#               case runs once per file present
#   status      the expected exit status (0 when absent), the same in every format
#   stderr      the expected standard error (compared in every run)
# In outputs the case folder reads @CASE@ and the source tree @TOP@.
. "$TOP_SRCDIR/tests/lib.sh"

for dir in "$TOP_SRCDIR"/tests/logs/*/; do
	dir=${dir%/}
	name=logs/${dir##*/}
	args=(logs)
	if [ -f "$dir/args" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line//@CASE@/$dir}
			args+=("${line//@TOP@/$TOP_SRCDIR}")
		done <"$dir/args"
	else
		args+=("$dir/access.log")
	fi
	input=/dev/null
	[ -f "$dir/stdin" ] && input=$dir/stdin
	want=0
	[ -f "$dir/status" ] && want=$(cat "$dir/status")
	formats=()
	for format in text json markdown; do [ -f "$dir/$format" ] && formats+=("$format"); done
	[ ${#formats[@]} -gt 0 ] || formats=(text)
	for format in "${formats[@]}"; do
		status=0
		"$MESHMEDIC" "${args[@]}" --format "$format" <"$input" >"$SCRATCH/out" 2>"$SCRATCH/err" ||
			status=$?
		sed -i -e "s|$dir|@CASE@|g" -e "s|$TOP_SRCDIR|@TOP@|g" "$SCRATCH/out" "$SCRATCH/err"
		# one file each: the exit status, then the outputs the case gives
		{
			echo "exit status $want"
			[ ! -f "$dir/$format" ] || cat "$dir/$format"
			[ ! -f "$dir/stderr" ] || cat "$dir/stderr"
		} >"$SCRATCH/want"
		{
			echo "exit status $status"
			[ ! -f "$dir/$format" ] || cat "$SCRATCH/out"
			[ ! -f "$dir/stderr" ] || cat "$SCRATCH/err"
		} >"$SCRATCH/got"
		check "$name ($format)" "$SCRATCH/want" "$SCRATCH/got"
	done
done
done_testing
