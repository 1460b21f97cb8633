#!/bin/bash
# The TUI, driven in tmux as tmux tests itself: a detached session of a fixed
# size on a private socket, keys sent with send-keys, the screen read with
# capture-pane once it has settled and compared with a golden screen
# (tests/tui/NAME.screen). Fixed TERM, C locale (ASCII), a private
# XDG_STATE_HOME and HOME; no clock on the golden screens.
#
# When a flow or the demo snapshot changes on purpose, write the goldens
# again with TUI_REGEN=1 make check TESTS=tests/tui.sh and read the diff.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/tmux.sh"
GOLD=$TOP_SRCDIR/tests/tui

# press_until KEY TEXT: press KEY until the screen shows TEXT (keys typed while a probe
# runs are dropped by design, so a key may need a second press); at most three presses.
press_until() {
	local n
	for n in 1 2 3; do
		keys "$1"
		settle "$2"
		grep -qF -- "$2" "$SCRATCH/screen" && return 0
	done
}

# golden NAME TEXT: the screen, settled and showing TEXT, is tests/tui/NAME.screen.
golden() {
	settle "$2"
	if [ -n "${TUI_REGEN:-}" ]; then
		cp "$SCRATCH/screen" "$GOLD/$1.screen"
		ok "$1 (written)"
		return
	fi
	check "screen $1" "$GOLD/$1.screen" "$SCRATCH/screen"
}

Q503=(503 --snapshot "$DEMO" -n bookinfo --set service=reviews
	--set pod=productpage-v1-6b746f74dc-9stvs)

# ---- off a terminal: tui refuses, demo and meshmedic alone keep their batch behaviour ----
status=0
"$MESHMEDIC" tui </dev/null >"$SCRATCH/out" 2>&1 || status=$?
if [ $status = 2 ] && grep -q "tui needs a terminal" "$SCRATCH/out"; then ok "tui off a terminal: exit 2"; else
	not_ok "tui off a terminal: exit 2" "$SCRATCH/out"; fi
status=0
"$MESHMEDIC" demo </dev/null >"$SCRATCH/out" 2>&1 || status=$?
if [ $status = 0 ] && grep -q "^DIAGNOSIS  dr-tls-conflict" "$SCRATCH/out"; then
	ok "demo off a terminal prints the batch walk"
else
	not_ok "demo off a terminal prints the batch walk" "$SCRATCH/out"
fi
status=0
"$MESHMEDIC" </dev/null >"$SCRATCH/out" 2>&1 || status=$?
if [ $status = 2 ] && grep -q "^Usage:" "$SCRATCH/out"; then ok "meshmedic alone off a terminal: usage"; else
	not_ok "meshmedic alone off a terminal: usage" "$SCRATCH/out"; fi

# ---- the picker, on the small test flow set (new flows do not change it) ----
start MESHMEDIC_DATADIR="$TOP_SRCDIR/tests/data/mini" -- tui
golden picker "2 of 2 flows"
keys s t u
golden picker-filter "1 of 2 flows"
keys BSpace BSpace BSpace z z
golden picker-nomatch "No flow matches"
keys Escape Escape
ended "Esc on an empty filter quits" 0

# ---- the picker on the real flows: words, synonyms, a pasted access log line ----
start -- tui --snapshot "$DEMO"
settle "flows"
keys -l 'no sidecar'
shows "the picker: 'no sidecar' finds injection by its synonym" "matches: no sidecar"
keys Escape
keys -l 'UT'
shows "the picker: UT matches no flow (no letters inside route_not_found)" "No flow matches 'UT'"
keys Escape
keys -l '[2026-11-20T09:00:01.000Z] "GET /reviews/0 HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow} - "-" 0 81 0 - "-" "curl/8.5.0" "req-1" "reviews:9080" "-" outbound|9080|v1|reviews.bookinfo.svc.cluster.local - 10.96.0.20:9080 10.244.0.5:40000 - default'
shows "the picker: a whole access log line names its flow and flag" "an access log line: 503 UO -> flow 503"
keys Enter
golden picker-line-inputs "What is the walk about?"

# ---- a walk of the 503 flow on the demo snapshot ----
start -- tui --snapshot "$DEMO"
settle "flows"
keys -l '"GET /reviews HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow}'
shows "a pasted access-log line picks its flow" "matches: 503, UO"
keys Escape
settle "2 of 2 flows"
keys U O
shows "typing a response flag picks its flow" "matches: UO"
keys Enter
golden inputs "What is the walk about?"
keys Up C-u b Tab Enter r e v Tab Enter p r o Tab
golden inputs-completed "productpage-v1-6b746f74dc-9stvs"
keys Enter
golden q-control-plane "Answered from the cluster"
keys Enter
golden q-flag "The cluster could not tell"
press_until 4 "clusterIP 10.96.7.80"
golden q-headless "clusterIP 10.96.7.80"
# copy-paste: the command is one line, clipped at the edge, never broken after "-o"
if grep -q -- '^      kubectl get service reviews -n bookinfo -o custom-columns=NAME:.metadat>$' "$SCRATCH/screen" &&
	! grep -q -- '-o$' "$SCRATCH/screen"; then
	ok "a long command is one line on 80 columns, clipped with >"
else
	not_ok "a long command is one line on 80 columns, clipped with >" "$SCRATCH/screen"
fi
keys 1
golden q-override "Which Istio version"
keys b
golden q-headless "clusterIP 10.96.7.80"
keys p
golden path "Enter goes back"
keys Enter
golden q-flag "The cluster could not tell"
keys '?'
golden help "Help:"
keys '?'
golden keys "Keys: question"
keys q
settle "The cluster could not tell"
press_until 4 "clusterIP 10.96.7.80"
keys e
golden evidence "Commands run"
keys / c l u s t e r I P Enter
golden evidence-search "'clusterIP': line"
# past the last match the search starts over at the top, before the first at the bottom
press_until n "(search wrapped to the top)" || true
shows "n past the last match wraps round to the top" "(search wrapped to the top)"
press_until N "(search wrapped to the bottom)" || true
shows "N before the first match wraps round to the bottom" "(search wrapped to the bottom)"
keys q
settle "clusterIP 10.96.7.80"
tm resize-window -t mm -x 100 -y 30
golden q-headless-100x30 "clusterIP 10.96.7.80"
tm resize-window -t mm -x 70 -y 20
golden too-small "70 columns and 20 rows"
# each dimension on its own: wide but low, tall but narrow
tm resize-window -t mm -x 200 -y 20
shows "200x20 is refused: too low" "this terminal has 20 rows: too low (200 columns is enough)."
tm resize-window -t mm -x 79 -y 60
shows "79x60 is refused: too narrow" "this terminal has 79 columns: too narrow (60 rows is enough)."
tm resize-window -t mm -x 80 -y 24
golden q-headless "clusterIP 10.96.7.80"
keys a
golden diagnosis "DIAGNOSIS  dr-tls-conflict"
shows "the status bar names the file c writes" "c write dr-tls-conflict.yaml  y clipboard (OSC 52)"
# YAML and commands stay whole: clipped with '>', scrolled sideways with l and h
keys G
settle "See meshmedic help"
if grep -qx -- '        # keep your other settings (connectionPool, loadBalancer, ...) next to >' "$SCRATCH/screen" &&
	grep -q -- '^  - istioctl proxy-config cluster CLIENT_POD -n NAMESPACE --fqdn SERVICE.NAMESP>$' "$SCRATCH/screen"; then
	ok "the snippet's comment and a Verify command are not wrapped"
else
	not_ok "the snippet's comment and a Verify command are not wrapped" "$SCRATCH/screen"
fi
keys l
settle "<"
if grep -q -- 'next to tls$' "$SCRATCH/screen" && grep -q -- '^<.*-o json shows a tr' "$SCRATCH/screen"; then
	ok "l scrolls the wide lines right, < marks the hidden start"
else
	not_ok "l scrolls the wide lines right, < marks the hidden start" "$SCRATCH/screen"
fi
keys h
settle "next to >"
shows "h scrolls back" "        tls:"
keys g
# y: the snippet through OSC 52, as raw bytes on the terminal
tm pipe-pane -t mm -o "cat >>$(printf %q "$SCRATCH/raw")"
keys y
shows "y says what it did" "Sent the snippet to the clipboard (OSC 52)"
tm pipe-pane -t mm
keys s
golden save "Save the transcript as"
keys Enter
shows "s saves the transcript" "Saved meshmedic-503-dr-tls-conflict.md"
status=0
"$MESHMEDIC" run --batch --answers "$WORK/meshmedic-503-dr-tls-conflict.json" >"$SCRATCH/replay" 2>&1 || status=$?
if [ $status = 0 ] && grep -q "DIAGNOSIS  dr-tls-conflict" "$SCRATCH/replay" &&
	grep -q "^# " "$WORK/meshmedic-503-dr-tls-conflict.md"; then
	ok "the saved JSON replays to the same diagnosis"
else
	not_ok "the saved JSON replays to the same diagnosis" "$SCRATCH/replay"
fi
keys c Enter
shows "c writes the snippet" "Wrote the snippet to dr-tls-conflict.yaml"
if grep -q "kind: DestinationRule" "$WORK/dr-tls-conflict.yaml"; then ok "the snippet file"; else
	not_ok "the snippet file" "$WORK/dr-tls-conflict.yaml"; fi
# what y sent is ESC ] 52 ; c ; the base64 of the snippet as c wrote it ; BEL
want=$(printf '\033]52;c;%s\a' "$(base64 -w0 "$WORK/dr-tls-conflict.yaml")")
if [ -s "$SCRATCH/raw" ] && grep -qF -- "$want" "$SCRATCH/raw"; then
	ok "y writes the snippet to the clipboard as OSC 52"
else
	not_ok "y writes the snippet to the clipboard as OSC 52" "$SCRATCH/raw"
fi
keys q
ended "q quits" 0

# ---- the 404 flow's inputs: a host completes to routes' hosts, a gateway to Gateways ----
start -- tui 404 --snapshot "$TOP_SRCDIR/tests/data/snapshots/gateway-healthy" -n shop
settle "What is the walk about?"
keys s h Tab
shows "tui: Tab completes a host from the VirtualServices and Gateways" " >  host        shop.example.com"
shows "tui: the host list says where the hosts come from" "hosts of VirtualServices, Gateways and Services"
keys C-u c a r t . Tab
shows "tui: Tab completes a Service's DNS name as a host" " >  host        cart.shop.svc.cluster.local"
keys C-u c a r t Down Down
settle " >  gateway"
keys i Tab
shows "tui: Tab completes a Gateway as namespace/name" " >  gateway     istio-system/shop-gateway"
shows "tui: the gateway list names Gateways, not Services" "Gateways (namespace/name)"
keys Escape Escape
settle

# ---- SIGHUP leaves the autosave; --resume continues where it stopped ----
rm -rf "$STATE"
start -- tui "${Q503[@]}"
settle "Answered from the cluster"
keys Enter
settle "The cluster could not tell"
press_until 4 "clusterIP 10.96.7.80"
golden q-headless "clusterIP 10.96.7.80"
signal HUP
ended "SIGHUP" 129
mode=$(stat -c %a "$STATE/meshmedic/session.json" 2>/dev/null || echo missing)
if [ "$mode" = 600 ]; then ok "the autosave is mode 0600"; else
	echo "mode $mode" >"$SCRATCH/why" && not_ok "the autosave is mode 0600" "$SCRATCH/why"; fi
start -- tui --resume
golden q-headless "clusterIP 10.96.7.80"
keys C-c
ended "Ctrl-C" 130
start -- tui --resume
settle "clusterIP 10.96.7.80"
signal TERM
ended "SIGTERM" 143
start -- tui --resume
settle "clusterIP 10.96.7.80"
signal SEGV
ended "a crash (SIGSEGV)" 139
rm -rf "$STATE"
start -- tui --resume
shows "--resume without a session says so" "no session to resume"
ended "--resume without a session" 2

# ---- no cluster: no answer is selected, so Enter alone records no guess ----
start -- tui 503 --set service=reviews
settle "The cluster could not tell"
if grep -q "No answer is selected" "$SCRATCH/screen" && ! grep -q '^  > ' "$SCRATCH/screen"; then
	ok "no choice is preselected when the cluster did not answer"
else
	not_ok "no choice is preselected when the cluster did not answer" "$SCRATCH/screen"
fi
keys Enter
shows "Enter with nothing selected answers nothing" "no answer selected: choose one"
if grep -q "Step 1" "$SCRATCH/screen"; then ok "Enter alone stays at step 1"; else
	not_ok "Enter alone stays at step 1" "$SCRATCH/screen"; fi
keys Down
settle "> 1  Yes, all Running and Ready"
keys Enter
shows "Down then Enter takes the first answer" "Step 2"
keys q
ended "quit after choosing" 0

# ---- demo and no command on a terminal ----
start -- demo
golden q-control-plane "Answered from the cluster"
keys Enter
golden demo-flag "Answered by the answers file"
keys q
ended "demo quits" 0
start --
shows "meshmedic alone on a terminal opens the picker" "Symptom:"

# ---- colours: on by default, off with NO_COLOR and --no-color ----
colours() {
	settle "flows"
	tm capture-pane -p -e -t mm | grep -c $'\033''\[[0-9;]*[34][0-7]m' || true
}
start -- tui
n=$(colours)
if [ "$n" -gt 0 ]; then ok "colours on a colour terminal"; else not_ok "colours on a colour terminal"; fi
start NO_COLOR=1 -- tui
n=$(colours)
if [ "$n" = 0 ]; then ok "no colours with NO_COLOR"; else not_ok "no colours with NO_COLOR"; fi
start -- tui --no-color
n=$(colours)
if [ "$n" = 0 ]; then ok "no colours with --no-color"; else not_ok "no colours with --no-color"; fi

# ---- UTF-8 where the locale says so ----
if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then
	start LC_ALL=C.UTF-8 -- tui
	shows "UTF-8 rules and marks under a UTF-8 locale" "─"
else
	ok "UTF-8 rules and marks under a UTF-8 locale # SKIP no C.UTF-8 locale"
fi

# ---- Esc cancels a probe that hangs (stand-in kubectl) and leaves nothing running ----
BIN=$SCRATCH/bin
mkdir -p "$BIN"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
chmod +x "$BIN"/*
: >"$SCRATCH/pids"
RUN_PATH=$BIN:$PATH start FAKE_KUBECTL_MODE=hang FAKE_PIDS="$SCRATCH/pids" -- tui 503 --live --set service=reviews
shows "a running probe shows the command" "kubectl get pods"
keys Escape
shows "Esc cancels the probe and asks" "cancelled with Esc"
stand_ins_gone "no stand-in process is left running"
keys q
ended "quit after a cancelled probe" 0

# ---- the onboarding checklist: items checked, an asked one answered, the report saved ----
rm -rf "$WORK" && mkdir -p "$WORK"
start -- onboard -n shop --snapshot "$TOP_SRCDIR/tests/data/snapshots/onboard-injection"
golden onboard "Every item checked"
keys j j Enter
golden onboard-ask "1. No (pass)"
keys 1
shows "a number answers the asked item" "http10: No (pass)"
keys Escape g Enter
shows "Enter shows an item, its fix and its help page" "Help: Sidecar injection"
keys q
settle "Every item checked"
keys s
settle "Save the report"
keys Enter
shows "s saves the report" "Saved the report as meshmedic-onboard-shop.md"
if grep -q '^## FAIL: Sidecar injection' "$WORK/meshmedic-onboard-shop.md" &&
	grep -q '^Answered: `no`' "$WORK/meshmedic-onboard-shop.md"; then
	ok "the saved report has the checks and the answer"
else
	not_ok "the saved report has the checks and the answer" "$WORK/meshmedic-onboard-shop.md"
fi
keys q
ended "q quits with the checklist's exit status" 1
: >"$SCRATCH/pids"
RUN_PATH=$BIN:$PATH start FAKE_KUBECTL_MODE=hang FAKE_PIDS="$SCRATCH/pids" -- onboard -n shop --live
shows "the checks run on the worker thread" "kubectl get"
keys Escape
shows "Esc stops the checks" "Checks stopped: r checks the rest"
keys q
ended "quit after the checks were stopped" 0

# ---- every batch walk, walked in the TUI ('a' takes the answers given): the same transcript ----
while read -r flow expect rest; do
	case $flow in '' | '#'*) continue ;; esac
	rest=${rest//@TOP@/$TOP_SRCDIR}
	# shellcheck disable=SC2086 # the rest of the line is a list of options
	set -- $rest
	rm -rf "$WORK" "$STATE" && mkdir -p "$WORK"
	"$MESHMEDIC" run "$flow" --batch --format json "$@" >"$SCRATCH/batch.json" 2>/dev/null || true
	start -- tui "$flow" "$@"
	settle "Step " "Asking the cluster"
	keys a
	# the expectations of tests/walks.sh: a question left open, or a diagnosis
	case $expect in
	undetermined | undetermined:* | no-cause) settle "Step " "Asking the cluster" ;;
	no-cause:*) settle "DIAGNOSIS  ${expect#no-cause:}" ;;
	*) settle "DIAGNOSIS  $expect" ;;
	esac
	# the prompt takes the Enter after s; the next start ends this session
	keys s Enter
	settle "Saved"
	saved=$(ls "$WORK"/*.json 2>/dev/null | head -n 1)
	# the likely causes of a question left open are a batch run's (help inference): not saved by the TUI
	sed -i '/^  },$/{N;s/,\n  "likely": \[\]$//;/\n  "likely": \[$/{s/,\n.*//;:l;N;/\n  \]$/!bl;s/.*/  }/}}' "$SCRATCH/batch.json"
	if [ -n "$saved" ] && diff -u "$SCRATCH/batch.json" "$saved" >"$SCRATCH/diff" 2>&1; then
		ok "tui walk $flow -> $expect: the same transcript as batch"
	else
		cp "$SCRATCH/screen" "$SCRATCH/last" 2>/dev/null
		cat "$SCRATCH/last" >>"$SCRATCH/diff"
		not_ok "tui walk $flow -> $expect: the same transcript as batch" "$SCRATCH/diff"
	fi
done < <(cat "$TOP_SRCDIR"/tests/walks/*)

done_testing
