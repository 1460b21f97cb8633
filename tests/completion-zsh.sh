#!/bin/bash
# The zsh completion function (completions/_meshmedic), autoloaded from fpath
# as compinit would, called with words and CURRENT set as zsh's completion
# system sets them; compadd and _files are stand-ins that print what they are
# given ("WORD|" with the suffix zsh would insert after it). Skipped without zsh.
. "$TOP_SRCDIR/tests/lib.sh"
ZSH=$(command -v zsh || true)
[ -n "$ZSH" ] || skip_all "zsh not found"
SNAP=$TOP_SRCDIR/tests/cli/complete-namespaces/cluster.yaml
export MESHMEDIC_DATADIR=$TOP_SRCDIR/tests/data/mini

# offers NAME WANT WORD...: completing the last WORD offers WANT (one "WORD|" or "FILES ..." a line)
offers() {
	local name=$1 want=$2
	shift 2
	"$ZSH" -f -c '
		fpath=("$1" $fpath)
		autoload -Uz _meshmedic
		compadd() {
			local suffix=" "
			while [[ $1 == -* && $1 != -- ]]; do
				if [[ $1 == -S ]]; then suffix=$2; shift; fi
				shift
			done
			shift
			local w
			for w in "$@"; do print -r -- "$w$suffix|"; done
		}
		_files() { print -r -- "FILES $*"; }
		shift
		words=("$@")
		CURRENT=$#
		_meshmedic' zsh "$TOP_SRCDIR/completions" "$MESHMEDIC" "$@" >"$SCRATCH/got" 2>&1 || true
	printf '%b' "$want" >"$SCRATCH/want"
	check "$name" "$SCRATCH/want" "$SCRATCH/got"
}

offers "commands by prefix" 'list |\nlint |\nlogs |\n' l
offers "the options of check, by prefix" '--fail-on |\n--format |\n--flows |\n' check --f
offers "--format= in one word" '--format=text |\n--format=json |\n' help --format=
offers "flow ids for ask, and onboard" 'door |\nwindow |\nonboard |\n' ask ''
offers "--set NAME= takes no blank after it" 'namespace=|\nservice=|\n' run door --set ''
offers "--answer FLOW:NODE= choices" 'door:locked=yes |\ndoor:locked=no |\n' run door --answer door:locked=
offers "pods of the --snapshot's namespace" 'cart-v1-5c6d7e8f9-aaaaa |\n' logs --snapshot "$SNAP" -n shop --pod ''
offers "--snapshot: file names" 'FILES \n' check --snapshot ''
offers "-o: directory names" 'FILES -/\n' snapshot -o ''
done_testing
