#!/bin/sh
# The logs benchmark: `meshmedic logs` tallying a generated access log (1 GB by
# default), timed in one run against `wc -l` (the floor: reading the file) and
# an awk one-liner that computes the same tally (codes, flags, details,
# upstream clusters, authorities). Run from the top of a built tree:
#   sh bench/logs.sh [SIZE_MB]
# Prints wall and user time, throughput and peak memory of each (GNU time when
# present, else wall time only), and whether awk and meshmedic agree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/meshmedic-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/access.log
python3 "$top/bench/gen-log.py" "$log" "${1:-1024}"
bytes=$(wc -c <"$log")
echo "log: $bytes bytes, $(wc -l <"$log") lines"
awk=$(command -v mawk || command -v gawk || command -v awk)

# measure LABEL COMMAND...: run it once with its output in $work/out
measure() {
	label=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %U %M" -o "$work/time" "$@" >"$work/out"
		read -r wall user rss <"$work/time"
		echo "$label $wall $user $rss $bytes" |
			awk '{ printf "%-16s %6.2f s wall %6.2f s user  %5.2f GB/s  %7d KB peak\n",
			       $1, $2, $3, $5 / ($2 > 0 ? $2 : 0.01) / 1e9, $4 }'
	else
		start=$(date +%s.%N)
		"$@" >"$work/out"
		end=$(date +%s.%N)
		echo "$label $start $end $bytes" |
			awk '{ printf "%-16s %6.2f s wall  %5.2f GB/s\n", $1, $3 - $2, $4 / ($3 - $2) / 1e9 }'
	fi
}

measure "wc-l" wc -l "$log"
# Istio's default format split at quotes: $3 is " CODE FLAGS DETAILS CTD ", and counted from the
# end (a user agent may hold quotes) $(NF-3) is the authority, $NF " CLUSTER ..."; '-' is no value
measure "awk" "$awk" -F'"' '
NF >= 15 { split($3, a, " "); if (a[1] !~ /^[0-9]+$/) next
	c[a[1]]++; if (a[2] != "-") { n = split(a[2], f, ","); for (i = 1; i <= n; i++) fl[f[i]]++ }
	if (a[3] != "-") d[a[3]]++; split($NF, b, " "); if (b[1] != "-") u[b[1]]++
	if ($(NF - 3) != "-") au[$(NF - 3)]++ }
END { for (k in c) print "codes", k, c[k]; for (k in fl) print "flags", k, fl[k]
	for (k in d) print "details", k, d[k]; for (k in u) print "upstream_clusters", k, u[k]
	for (k in au) print "authorities", k, au[k] }' "$log"
sort "$work/out" >"$work/awk.txt"
measure "meshmedic" "$top/meshmedic" logs "$log" --format json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for s in ("codes", "flags", "details", "upstream_clusters", "authorities"):
    for k, v in j[s].items():
        print(s, k, v)
print("lines: %d parsed, %d not parsed" % (j["parsed"], j["unparsed"]), file=sys.stderr)
' "$work/out" 2>&1 >"$work/mm.txt" | cat
sort -o "$work/mm.txt" "$work/mm.txt"
if cmp -s "$work/awk.txt" "$work/mm.txt"; then echo "tallies agree"; else
	echo "tallies differ:"; diff "$work/awk.txt" "$work/mm.txt" | head -n 10; fi
