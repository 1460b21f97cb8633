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
		{
			[ "$status" = "$want" ] || echo "exit status $status, expected $want"
			[ ! -f "$dir/$format" ] || diff -u "$dir/$format" "$SCRATCH/out" || true
			[ ! -f "$dir/stderr" ] || diff -u "$dir/stderr" "$SCRATCH/err" || true
		} >"$SCRATCH/why" 2>&1
		if [ -s "$SCRATCH/why" ]; then
			cat "$SCRATCH/err" >>"$SCRATCH/why"
			not_ok "$name ($format)" "$SCRATCH/why"
		else
			ok "$name ($format)"
		fi
	done
done
done_testing
