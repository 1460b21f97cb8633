#!/bin/sh
# The check benchmark: `meshmedic check` on a large generated snapshot, timed
# against jq merely parsing the same file, in one run. Run from the top of a
# built tree:   sh bench/check.sh [PODS SERVICES RULES NAMESPACES]
# Prints wall time and peak memory (GNU time when present) of each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/meshmedic-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$top/bench/gen-snapshot.py" "$work/big.json" "$@"
ls -l "$work/big.json" | awk '{printf "snapshot: %.1f MB\n", $5 / 1048576}'

measure() {
	label=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "$label: %e s, %M KB peak" "$@" >"$work/out" 2>"$work/err" || true
		tail -n 1 "$work/err"
	else
		start=$(date +%s.%N)
		"$@" >"$work/out" 2>&1 || true
		end=$(date +%s.%N)
		echo "$label: $(echo "$end - $start" | bc) s"
	fi
}

measure "jq . (parse only)" jq . "$work/big.json"
measure "meshmedic check" "$top/meshmedic" check --snapshot "$work/big.json" --format json
grep -c '"diagnosis"' "$work/out" | sed 's/^/findings: /'
