#!/bin/bash
# The catalog contract: every diagnosis id of tests/catalog-ids is explained
# by `meshmedic explain ID`, in text and JSON (with the same id), and
# `meshmedic list` shows the ten entry flows; every shipped diagnosis has a severity.
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

# Every diagnosis we ship says how bad its cause is. The format leaves severity
# optional (a diagnosis of --flows DIR without one is rated warning by check),
# so this holds for the shipped set only: each object of a "diagnoses" array
# in flows/diagnoses/*.json must have a "severity" key. The scanner skips
# strings, so braces in snippets do not count.
unrated() {
	awk '
	FNR == 1 { depth = 0; instr = 0; esc = 0; want = 0 }
	{
		line = $0 "\n"
		for (i = 1; i <= length(line); i++) {
			ch = substr(line, i, 1)
			if (instr) {
				if (esc) esc = 0
				else if (ch == "\\") esc = 1
				else if (ch == "\"") {
					instr = 0
					if (depth == 3 && want) { if (key == "id") id = tok; want = 0 }
					else last = tok
					continue
				}
				tok = tok ch
				continue
			}
			if (ch == "\"") { instr = 1; tok = ""; continue }
			if (ch == ":" && depth == 3) { key = last; want = 1; rated += key == "severity" }
			if (ch == "," && depth == 3) want = 0
			if (ch == "{" || ch == "[") {
				depth++
				if (depth == 3) { id = "(no id)"; rated = 0; want = 0 }
			}
			if (ch == "}" || ch == "]") {
				if (depth == 3 && !rated) print FILENAME ": " id
				depth--
			}
		}
	}' "$@"
}
unrated "$TOP_SRCDIR"/flows/diagnoses/*.json >"$SCRATCH/unrated"
if [ ! -s "$SCRATCH/unrated" ]; then ok "every shipped diagnosis has a severity"; else
	not_ok "every shipped diagnosis has a severity (these have none)" "$SCRATCH/unrated"; fi
# the scanner itself: a diagnosis without severity, braces and quotes in its strings
printf '%s\n' '{"diagnoses": [' '  {"id": "rated", "title": "a {", "severity": "info"},' \
	'  {"title": "b \"}\" [", "id": "unrated", "snippet": {"severity": "x"}}' ']}' >"$SCRATCH/d.json"
unrated "$SCRATCH/d.json" >"$SCRATCH/got"
echo "$SCRATCH/d.json: unrated" >"$SCRATCH/want"
check "the severity scan finds a diagnosis without one" "$SCRATCH/want" "$SCRATCH/got"

"$MESHMEDIC" list >"$SCRATCH/list" 2>&1 || true
for flow in 503 404 426 431 crash injection routing connectivity headers sync; do
	if grep -q "^$flow " "$SCRATCH/list"; then ok "list shows flow $flow"; else
		not_ok "list shows flow $flow" "$SCRATCH/list"; fi
done
done_testing
