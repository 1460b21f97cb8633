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

# --pod through the live source: the stand-in kubectl of tests/data/fake-bin answers
BIN=$SCRATCH/bin
mkdir -p "$BIN"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
chmod +x "$BIN"/*
export FAKE_LOG=$SCRATCH/argv.log
unset FAKE_KUBECTL_MODE FAKE_ISTIOCTL_MODE FAKE_FORBID FAKE_MISSING
: >"$FAKE_LOG"
status=0
PATH=$BIN:$PATH "$MESHMEDIC" logs --live --pod productpage-v1 -n default >"$SCRATCH/out" 2>&1 ||
	status=$?
n="logs --live --pod reads the pod's istio-proxy log through kubectl logs"
if [ "$status" = 0 ] && grep -q '^2 lines: 0 access log entries' "$SCRATCH/out" &&
	grep -qxF 'kubectl logs productpage-v1 -n default -c istio-proxy --tail 2000' "$FAKE_LOG"; then
	ok "$n"
else
	cat "$FAKE_LOG" >>"$SCRATCH/out"
	not_ok "$n" "$SCRATCH/out"
fi
status=0
FAKE_FORBID=pods/log PATH=$BIN:$PATH "$MESHMEDIC" logs --live --pod productpage-v1 -n default \
	>"$SCRATCH/out" 2>&1 || status=$?
n="logs --live --pod: a Forbidden log is one line on stderr, exit 2"
if [ "$status" = 2 ] && [ "$(wc -l <"$SCRATCH/out")" = 1 ] && grep -q 'pods/log' "$SCRATCH/out"; then
	ok "$n"
else
	not_ok "$n" "$SCRATCH/out"
fi
done_testing
