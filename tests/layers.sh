#!/bin/bash
# The layers of src/ (src/README draws them): each folder is one layer, and
# a file may use only its own folder and the layers below it. Checked three
# ways:
#   1. every #include "DIR/..." names a header of the file's own folder or of
#      a lower layer; the front ends (tui, line) never include each other;
#      curses and readline are included by their front end alone;
#   2. every symbol an object of a library needs is defined in its own
#      library or in a lower one (nm over the built libraries);
#   3. no two files call each other, even through others: not in the engine,
#      and not among the TUI's screens (only tui.c knows them all).
# The checker is first run on planted faults, so that it is known to fail.
. "$TOP_SRCDIR/tests/lib.sh"
: "${TOP_BUILDDIR:?run through make check (TOP_BUILDDIR is not set)}"

# The allowed graph, written once: the layers bottom up, with their rank.
# Equal ranks are peers that must not use each other.
LAYERS='
base     0
kb       1
cluster  2
logs     3
detect   4
probes   5
walk     6
report   7
onboard  8
session  9
tui      10
line     10
cmd      11
'

rank_file=$SCRATCH/ranks
echo "$LAYERS" | awk 'NF == 2 {print $1, $2}' >"$rank_file"

# check_includes SRC: one line FILE:LINE: why for each include that breaks the layers.
check_includes() {
	local src=$1
	(cd "$src" && grep -n -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' -r --include='*.[ch]' .) |
		awk -v ranks="$rank_file" '
		BEGIN { while ((getline l < ranks) > 0) { split(l, a, " "); rank[a[1]] = a[2] } }
		{
			# ./DIR/FILE.c:LINE:#include "X/Y.h"
			split($0, p, ":"); file = substr(p[1], 3); line = p[2]
			text = $0; sub(/^[^:]*:[^:]*:/, "", text)
			n = split(file, parts, "/"); dir = n > 1 ? parts[1] : ""
			if (!(dir in rank)) { print "src/" file ":" line ": folder \"" dir "\" is no layer of tests/layers.sh"; next }
			if (match(text, /<(n?curses|curses\.h|ncursesw?\/|readline\/)/)) {
				lib = (text ~ /readline/) ? "line" : "tui"
				if (dir != lib) print "src/" file ":" line ": " (lib == "tui" ? "curses" : "readline") " outside src/" lib
				next
			}
			if (!match(text, /"[^"]*"/)) next
			inc = substr(text, RSTART + 1, RLENGTH - 2)
			if (inc == "config.h") next
			m = split(inc, ip, "/")
			if (m != 2) { print "src/" file ":" line ": \"" inc "\" is not DIR/HEADER"; next }
			to = ip[1]
			if (!(to in rank)) { print "src/" file ":" line ": \"" inc "\" is in no layer"; next }
			if (to == dir) next
			if (rank[to] > rank[dir])
				print "src/" file ":" line ": " dir " (layer " rank[dir] ") includes " inc " of the higher layer " to
			else if (rank[to] == rank[dir])
				print "src/" file ":" line ": front end " dir " includes " inc " of front end " to
		}'
}

# The libraries and their layer, from the build tree.
libs() {
	local d
	while read -r d _; do
		[ -f "$1/src/$d/lib$d.a" ] && echo "$d $1/src/$d/lib$d.a"
	done <"$rank_file"
}

# check_symbols BUILDDIR: one line per symbol a library takes from a higher (or peer) one.
check_symbols() {
	libs "$1" >"$SCRATCH/libs"
	: >"$SCRATCH/defs"
	while read -r d lib; do
		nm -A --defined-only -g "$lib" 2>/dev/null | awk -v d="$d" 'NF >= 3 {print $NF, d}' >>"$SCRATCH/defs"
	done <"$SCRATCH/libs"
	while read -r d lib; do
		nm -A -u "$lib" 2>/dev/null | awk -v d="$d" '{n = split($1, a, ":"); print d, a[n - 1], $NF}'
	done <"$SCRATCH/libs" |
		awk -v ranks="$rank_file" -v defs="$SCRATCH/defs" '
		BEGIN {
			while ((getline l < ranks) > 0) { split(l, a, " "); rank[a[1]] = a[2] }
			while ((getline l < defs) > 0) { split(l, a, " "); if (!(a[1] in where)) where[a[1]] = a[2] }
		}
		($3 in where) {
			to = where[$3]
			if (to != $1 && rank[to] >= rank[$1])
				print "src/" $1 "/" $2 ": " $3 " is defined in src/" to ", a layer not below " $1
		}'
}

# check_cycles BUILDDIR: the files that depend on each other, one pair per line.
check_cycles() {
	local d lib
	: >"$SCRATCH/objdefs"
	: >"$SCRATCH/objuses"
	while read -r d lib; do
		nm -A --defined-only -g "$lib" | awk -v d="$d" 'NF >= 3 {n = split($1, a, ":"); print $NF, d "/" a[n - 1]}' >>"$SCRATCH/objdefs"
		nm -A -u "$lib" | awk -v d="$d" '{n = split($1, a, ":"); print d "/" a[n - 1], $NF}' >>"$SCRATCH/objuses"
	done <"$SCRATCH/libs"
	awk -v defs="$SCRATCH/objdefs" '
		BEGIN { while ((getline l < defs) > 0) { split(l, a, " "); who[a[1]] = a[2] } }
		($2 in who) && who[$2] != $1 {
			f = $1; t = who[$2]
			if (!(f in id)) { id[f] = ++n; name[n] = f }
			if (!(t in id)) { id[t] = ++n; name[n] = t }
			r[id[f], id[t]] = 1
		}
		END {
			for (k = 1; k <= n; k++) for (i = 1; i <= n; i++) if (r[i, k]) for (j = 1; j <= n; j++) if (r[k, j]) r[i, j] = 1
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (r[i, j] && r[j, i]) print "src/" name[i] " and src/" name[j] " depend on each other"
		}' "$SCRATCH/objuses" | sed 's/\.o\b/.c/g; s/lib[a-z]*_a-//g'
}

# First the checker itself, on a copy of the tree with faults planted in it.
mkdir -p "$SCRATCH/planted"
cp -r "$TOP_SRCDIR/src/." "$SCRATCH/planted/"
printf '#include "tui/tui.h"\n' >>"$SCRATCH/planted/walk/walk.c"
printf '#include "line/line.h"\n' >>"$SCRATCH/planted/tui/text.c"
printf '#include <curses.h>\n' >>"$SCRATCH/planted/report/report.c"
check_includes "$SCRATCH/planted" >"$SCRATCH/planted.out" || true
n=$(wc -l <"$SCRATCH/planted.out")
if grep -q '^src/walk/walk.c:[0-9]*: walk (layer 6) includes tui/tui.h of the higher layer tui$' "$SCRATCH/planted.out" &&
	grep -q '^src/tui/text.c:[0-9]*: front end tui includes line/line.h of front end line$' "$SCRATCH/planted.out" &&
	grep -q '^src/report/report.c:[0-9]*: curses outside src/tui$' "$SCRATCH/planted.out" && [ "$n" = 3 ]; then
	ok "the include check names each planted fault by file and line, and nothing else"
else
	not_ok "the include check names each planted fault by file and line, and nothing else" "$SCRATCH/planted.out"
fi

check_includes "$TOP_SRCDIR/src" >"$SCRATCH/includes"
if [ -s "$SCRATCH/includes" ]; then not_ok "no include reaches a higher layer or another front end" "$SCRATCH/includes"; else ok "no include reaches a higher layer or another front end"; fi

if ! command -v nm >/dev/null; then
	echo "# nm not found: the symbol checks are skipped"
else
	check_symbols "$TOP_BUILDDIR" >"$SCRATCH/symbols"
	if [ "$(wc -l <"$SCRATCH/libs")" -lt 13 ]; then
		echo "only $(wc -l <"$SCRATCH/libs") of 13 libraries built" >"$SCRATCH/why"
		not_ok "every library is built" "$SCRATCH/why"
	else
		ok "every layer is a library"
	fi
	if [ -s "$SCRATCH/symbols" ]; then not_ok "no library calls a higher layer or another front end" "$SCRATCH/symbols"; else ok "no library calls a higher layer or another front end"; fi
	check_cycles "$TOP_BUILDDIR" >"$SCRATCH/cycles"
	if [ -s "$SCRATCH/cycles" ]; then not_ok "no two files depend on each other" "$SCRATCH/cycles"; else ok "no two files depend on each other"; fi
fi
done_testing
