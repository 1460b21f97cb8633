#!/bin/bash
# Run fuzz targets for real, out of the source tree: each for SECONDS (600
# unless set), two at a time, seeded from a copy of tests/fuzz/TARGET/ with
# its dictionary. New inputs and crashes go to OUT/TARGET/ (not the tree);
# one line of final stats per target is appended to OUT/stats.
#   cd BUILD && SRC/tests/fuzz/long-run.sh OUT TARGET...    (BUILD configured --enable-fuzzing)
set -u
out=$1; shift
secs=${SECONDS_EACH:-600}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$PWD
mkdir -p "$out"
one() {
	local t=$1 d="$out/$1"
	rm -rf "$d"; mkdir -p "$d/new" "$d/seed" "$d/crash"
	cp -r "$src/tests/fuzz/$t/." "$d/seed/"
	local dict=
	[ -f "$src/tests/fuzz/$t.dict" ] && dict=-dict=$src/tests/fuzz/$t.dict
	local start=$(date -u +%H:%M:%S)
	(cd "$d" && nice -n 10 "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -jobs=1 -workers=1 \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 $dict \
		-artifact_prefix="$d/crash/" new seed >run.out 2>&1)
	local log="$d/fuzz-0.log"
	[ -f "$log" ] || log="$d/run.out"
	local last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	local execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	local secs_run=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+')
	local cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')
	local ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
	local crashes=$(ls "$d/crash" | wc -l)
	printf '%s start=%s seconds=%s execs=%s cov=%s ft=%s new_inputs=%s findings=%s\n' \
		"$t" "$start" "${secs_run:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
		"$(ls "$d/new" | wc -l)" "$crashes" >>"$out/stats"
}
# two at a time
set -- "$@"
while [ $# -gt 0 ]; do
	one "$1" & p1=$!
	p2=
	if [ $# -gt 1 ]; then one "$2" & p2=$!; fi
	wait $p1; [ -n "$p2" ] && wait $p2
	shift; [ $# -gt 0 ] && shift
done
