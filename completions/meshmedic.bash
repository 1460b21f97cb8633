# bash completion for meshmedic                           -*- shell-script -*-
#
# Installed by `make install` into the bash-completion directory, where
# bash-completion loads it on first use; or source this file from ~/.bashrc.
# The candidates come from the program itself: `meshmedic __complete WORD...`
# gets the words after "meshmedic" (the last one is being completed) and
# prints one candidate per line, then ":files" or ":dirs" when file or
# directory names fit. Needs bash 4.3 or later, not the bash-completion package.

_meshmedic()
{
	local i w words=() joined=0 breaks='' line cand
	local -a cands=()
	# bash splits "--format=json" and "FLOW:NODE" at COMP_WORDBREAKS: meshmedic reads them whole
	for ((i = 1; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ ${#words[@]} -gt 0 && $w == [=:] && $COMP_WORDBREAKS == *"$w"* ]]; then
			words[-1]+=$w
			joined=1
		elif ((joined)); then
			words[-1]+=$w
			joined=0
		else
			words+=("$w")
		fi
	done
	[[ ${#words[@]} -gt 0 ]] || words=('')
	local cur=${words[-1]}
	# what bash replaces is the current word after its last break character
	[[ $COMP_WORDBREAKS == *=* ]] && breaks+='='
	[[ $COMP_WORDBREAKS == *:* ]] && breaks+=':'
	local prefix=''
	if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
		prefix=${cur%"${cur##*["$breaks"]}"}
	fi
	local tail=${cur#"$prefix"}
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		:files)
			compopt -o filenames 2>/dev/null || true
			while IFS= read -r cand; do COMPREPLY+=("$cand"); done < <(compgen -f -- "$tail")
			;;
		:dirs)
			compopt -o filenames 2>/dev/null || true
			while IFS= read -r cand; do COMPREPLY+=("$cand"); done < <(compgen -d -- "$tail")
			;;
		'') ;;
		*)
			cands+=("${line#"$prefix"}")
			;;
		esac
	done < <("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
	COMPREPLY+=("${cands[@]}")
	# NAME= and NODE= want their value next, not a blank
	for cand in "${cands[@]}"; do
		if [[ $cand == *= ]]; then
			compopt -o nospace 2>/dev/null || true
			break
		fi
	done
	return 0
}
complete -F _meshmedic meshmedic
