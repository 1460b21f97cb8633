#!/bin/bash
# The man page documents every command and every option: the commands of
# `meshmedic --help`, the options of it and of each `meshmedic COMMAND --help`,
# each must be the tag of an entry (the line after .TP) of the page's
# COMMANDS or OPTIONS section; an entry for an option --help does not know is
# stale. groff, where installed, formats the page without a warning.
. "$TOP_SRCDIR/tests/lib.sh"
PAGE=$TOP_SRCDIR/meshmedic.1

# the tags of SECTION's entries, with \- as - and the font escapes gone
tags() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(lq\|\\(rq//g' "$PAGE" |
		awk -v s=".SH $1" '$0 == s { on = 1; next } /^\.SH/ { on = 0 } on && tp { print; tp = 0 } on && /^\.TP/ { tp = 1 }'
}
tags COMMANDS >"$SCRATCH/command-tags"
tags OPTIONS >"$SCRATCH/option-tags"
[ -s "$SCRATCH/command-tags" ] && [ -s "$SCRATCH/option-tags" ] && ok "the page has COMMANDS and OPTIONS entries" ||
	not_ok "the page has COMMANDS and OPTIONS entries"

"$MESHMEDIC" --help >"$SCRATCH/help"
sed -n '/^Commands:$/,/^$/s/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' "$SCRATCH/help" >"$SCRATCH/commands"
[ "$(wc -l <"$SCRATCH/commands")" -ge 10 ] && ok "--help lists the commands" || not_ok "--help lists the commands" "$SCRATCH/help"

# the options of a --help text: "--name" and "-x" of each entry
options_of() {
	sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\1\2/p' "$1" | tr -d ',' | tr ' ' '\n' | sed '/^$/d'
}
options_of "$SCRATCH/help" >"$SCRATCH/options"
while read -r cmd; do
	"$MESHMEDIC" "$cmd" --help >"$SCRATCH/cmd-help" 2>&1 || not_ok "$cmd --help exits 0" "$SCRATCH/cmd-help"
	options_of "$SCRATCH/cmd-help" >>"$SCRATCH/options"
	if grep -qE "^(\.B |\.BI \"|\.BR )?\"?$cmd( |\"|$)" "$SCRATCH/command-tags"; then ok "the page documents the command $cmd"
	else not_ok "the page documents the command $cmd" "$SCRATCH/command-tags"; fi
done <"$SCRATCH/commands"
sort -u "$SCRATCH/options" -o "$SCRATCH/options"
[ "$(wc -l <"$SCRATCH/options")" -ge 20 ] && ok "the --help texts list the options" ||
	not_ok "the --help texts list the options" "$SCRATCH/options"

# an option in a tag: preceded by a blank, a quote or the start, followed by a blank, a quote, a comma or the end
grep -oE '(^|[ "])--?[a-zA-Z][a-z-]*' "$SCRATCH/option-tags" | sed 's/^[ "]//' | sort -u >"$SCRATCH/documented"
while read -r opt; do
	if grep -qxF -- "$opt" "$SCRATCH/documented"; then ok "the page documents $opt"
	else not_ok "the page documents $opt" "$SCRATCH/option-tags"; fi
done <"$SCRATCH/options"
while read -r opt; do
	if grep -qxF -- "$opt" "$SCRATCH/options"; then ok "$opt of the page is an option of meshmedic"
	else not_ok "$opt of the page is an option of meshmedic (stale entry)"; fi
done <"$SCRATCH/documented"

if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$PAGE" >"$SCRATCH/groff" 2>&1 || true
	if [ ! -s "$SCRATCH/groff" ]; then ok "groff formats the page without a warning"
	else not_ok "groff formats the page without a warning" "$SCRATCH/groff"; fi
fi
done_testing
