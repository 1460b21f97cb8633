#!/bin/bash
# The bash completion script (completions/meshmedic.bash) as bash runs it:
# COMP_WORDS split the way readline splits them (at '=' and ':' too), then
# _meshmedic, whose COMPREPLY is what bash offers. No bash-completion needed;
# where it is installed, the script is also tried with it loaded.
. "$TOP_SRCDIR/tests/lib.sh"
SNAP=$TOP_SRCDIR/tests/cli/complete-namespaces/cluster.yaml
export MESHMEDIC_DATADIR=$TOP_SRCDIR/tests/data/mini
COMP_WORDBREAKS=${COMP_WORDBREAKS:-$' \t\n"\'><=;|&(:'}
. "$TOP_SRCDIR/completions/meshmedic.bash"

# offers NAME WANT WORD...: completing the last WORD (after meshmedic) offers WANT, '|'-separated
offers() {
	local name=$1 want=$2 got
	shift 2
	COMP_WORDS=("$MESHMEDIC" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_meshmedic
	got=$(IFS='|'; echo "${COMPREPLY[*]}")
	if [ "$got" = "$want" ]; then ok "$name"; else
		printf 'offered: %s\nwanted:  %s\n' "$got" "$want" >"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"
	fi
}

if complete -p meshmedic | grep -q -- '-F _meshmedic'; then ok "the script registers _meshmedic for meshmedic"
else not_ok "the script registers _meshmedic for meshmedic"; fi
offers "commands by prefix" "list|lint|logs" l
offers "the options of check, by prefix" "--fail-on|--format|--flows" check --f
offers "--format values of help" "text|json" help --format ''
offers "--format= split at '=': the values alone replace the word after it" "text|json|markdown" check --format = ''
offers "--format=m split at '='" "markdown" explain --format = m
offers "flow ids for run" "door|window" run ''

offers "diagnosis ids for explain, by prefix" "wrong-key" explain w
offers "help topics" "doors|windows" help ''
offers "--set input names of the flow" "namespace=|service=" run door --set ''
offers "FLOW:NODE= split at ':' and '='" "yes|no" run door --answer door : locked = ''
offers "namespaces of the --snapshot" "pay|shop" check --snapshot "$SNAP" -n ''
offers "pods of the namespace given" "cart-v1-5c6d7e8f9-aaaaa" logs --snapshot "$SNAP" -n shop --pod ''
offers "--set service= Services of --set namespace=" "ledger" run 503 --snapshot "$SNAP" --set namespace = pay --set service = ''
offers "names no shell should be handed are left out" "cart" onboard --snapshot "$SNAP" -n shop --service ''
# a kubectl that leaves a mark: completion must never run it
mkdir -p "$SCRATCH/bin"
printf '#!/bin/sh\n: >"%s/kubectl-ran"\n' "$SCRATCH" >"$SCRATCH/bin/kubectl"
chmod +x "$SCRATCH/bin/kubectl"
PATH=$SCRATCH/bin:$PATH offers "--live: no names" "" check --live --snapshot "$SNAP" -n ''
PATH=$SCRATCH/bin:$PATH offers "--live: no names of pods either" "" logs --live --pod ''
if [ ! -e "$SCRATCH/kubectl-ran" ]; then ok "--live: kubectl never ran"; else not_ok "--live: kubectl never ran"; fi

# file names for --snapshot, directories for -o
mkdir -p "$SCRATCH/files/snapdir" && : >"$SCRATCH/files/snap.yaml"
cd "$SCRATCH/files"
offers "--snapshot completes file and directory names" "snap.yaml|snapdir" check --snapshot sn
offers "-o completes directory names" "snapdir" snapshot -o sn
cd - >/dev/null

BC=/usr/share/bash-completion/bash_completion
if [ -f "$BC" ]; then
	# bash-completion expects an interactive shell's settings; its functions must not change ours
	set +eu
	. "$BC" >/dev/null 2>&1
	. "$TOP_SRCDIR/completions/meshmedic.bash"
	set -eu
	offers "with bash-completion loaded: the same candidates" "text|json|markdown" check --format = ''
else
	ok "with bash-completion loaded # SKIP bash-completion is not installed"
fi
done_testing
