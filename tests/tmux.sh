# Driving meshmedic on a terminal, as tmux tests itself: a detached session of a
# fixed size on a private socket, keys sent with send-keys, the screen read with
# capture-pane once it has settled. Fixed TERM, C locale, a private
# XDG_STATE_HOME and HOME. Sourced after tests/lib.sh by tests/tui.sh and tests/ask.sh.

[ -n "${TMUX_BIN:-}" ] || skip_all "tmux not found (TMUX_BIN is empty)"
TERMNAME=
for t in screen tmux-256color; do
	if infocmp "$t" >/dev/null 2>&1; then TERMNAME=$t && break; fi
done
[ -n "$TERMNAME" ] || skip_all "no terminfo entry for screen or tmux-256color"

SOCK=meshmedic-tmux-$$
STATE=$SCRATCH/state
WORK=$SCRATCH/work
DEMO=$TOP_SRCDIR/demo/snapshot
mkdir -p "$STATE" "$WORK" "$SCRATCH/home"
tm() { "$TMUX_BIN" -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$SCRATCH"' EXIT
# the server stays up between sessions (it would exit with the last one, racing the next)
tm new-session -d -s keep -x 20 -y 5 "exec sleep 100000"

# start [ENV=VALUE...] -- ARGS...: meshmedic ARGS in a new 80x24 session (COLS, ROWS
# override); afterwards the shell prints "exit=STATUS" and the terminal modes.
start() {
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1") && shift; done
	shift
	tm kill-session -t mm >/dev/null 2>&1 || true
	rm -f "$SCRATCH/pid"
	{
		echo "cd $(printf %q "$WORK") || exit"
		echo "ulimit -c 0"
		# Ctrl-C reaches the whole foreground group: the shell lives on to report
		echo "trap : INT"
		printf 'env -i PATH=%q TERM=%s LC_ALL=C HOME=%q XDG_STATE_HOME=%q' \
			"${RUN_PATH:-$PATH}" "$TERMNAME" "$SCRATCH/home" "$STATE"
		printf ' %q' "${envs[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$SCRATCH/pid" \
			"$MESHMEDIC" "$@"
		echo
		echo 'echo "exit=$?"'
		echo "echo \"modes=\$(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig)' | sort | tr '\\n' ' ')\""
		echo 'exec sleep 600'
	} >"$SCRATCH/run.sh"
	tm new-session -d -s mm -x "${COLS:-80}" -y "${ROWS:-24}" "bash $SCRATCH/run.sh"
}

keys() {
	tm send-keys -t mm "$@"
}

# settle [TEXT [AVOID]]: the screen once three captures in a row agree (and it shows TEXT,
# and not AVOID, when given), in $SCRATCH/screen; at most about 5 s.
settle() {
	local want=${1:-} avoid=${2:-} prev= cur same=0 tries=0
	while [ $tries -lt 160 ]; do
		cur=$(tm capture-pane -p -t mm 2>&1 || true)
		if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$cur
		if [ $same -ge 2 ] && { [ -z "$want" ] || grep -qF -- "$want" <<<"$cur"; } &&
			{ [ -z "$avoid" ] || ! grep -qF -- "$avoid" <<<"$cur"; }; then break; fi
		tries=$((tries + 1))
		sleep 0.03
	done
	printf '%s\n' "$cur" >"$SCRATCH/screen"
}

# shows NAME TEXT: the settled screen shows TEXT.
shows() {
	settle "$2"
	if grep -qF -- "$2" "$SCRATCH/screen"; then ok "$1"; else not_ok "$1" "$SCRATCH/screen"; fi
}

# ended NAME STATUS: meshmedic exited with STATUS and left the terminal sane.
ended() {
	settle "modes="
	if grep -qx "exit=$2" "$SCRATCH/screen" && grep -q '^modes=echo icanon isig' "$SCRATCH/screen"; then
		ok "$1: exit $2, terminal restored"
	else
		not_ok "$1: exit $2, terminal restored" "$SCRATCH/screen"
	fi
}

signal() {
	kill "-$1" "$(cat "$SCRATCH/pid")"
}

# stand_ins_gone NAME: no process the stand-in commands recorded in $SCRATCH/pids is left
# (zombies count as gone), waiting up to 5 s; and there was one.
stand_ins_gone() {
	local left p
	for _ in $(seq 50); do
		left=
		for p in $(cat "$SCRATCH/pids"); do
			if kill -0 "$p" 2>/dev/null && [ "$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)" != Z ]; then
				left="$left $p"
			fi
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -s "$SCRATCH/pids" ] && [ -z "$left" ]; then ok "$1"; else
		echo "left:$left" >"$SCRATCH/why" && not_ok "$1" "$SCRATCH/why"; fi
}
