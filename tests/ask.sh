#!/bin/bash
# Line mode (meshmedic ask): scripted through a pipe, and at a terminal in tmux
# (completion, history, Ctrl-C, Ctrl-D). Every batch walk (tests/walks) is walked
# again in ask with the answers typed instead of given, and must save the same
# transcript as batch mode.
. "$TOP_SRCDIR/tests/lib.sh"

DEMO=$TOP_SRCDIR/demo/snapshot
mkdir -p "$SCRATCH/replay"

# ---- every batch walk through a pipe: the same transcript ----
# the required input each flow's walks set; the script types it instead
required_input() {
	case $1 in
	404) echo host ;;
	crash | sync) echo pod ;;
	headers | injection) echo ;;
	*) echo service ;;
	esac
}
while read -r flow expect rest; do
	case $flow in '' | '#'*) continue ;; esac
	rest=${rest//@TOP@/$TOP_SRCDIR}
	# shellcheck disable=SC2086 # the rest of the line is a list of options
	set -- $rest
	"$MESHMEDIC" run "$flow" --batch --format json "$@" >"$SCRATCH/batch.json" 2>/dev/null || true
	# the answers batch mode took from --answer, in its order: typed, unless a probe
	# would answer that question first (then --answer stays, as it overrides probes)
	awk '/^      "node": /{n=$2} /^      "answer": /{a=$2} /^      "by": "user"/{print n, a}' \
		"$SCRATCH/batch.json" | tr -d '",' >"$SCRATCH/answers"
	req=$(required_input "$flow") typed= args=() answers=()
	while [ $# -gt 0 ]; do
		case $1 in
		--answer) shift 2 && continue ;;
		--set) if [ -n "$req" ] && [ -z "$typed" ] && [ "${2%%=*}" = "$req" ]; then
			typed=${2#*=} && shift 2 && continue
		fi ;;
		esac
		args+=("$1") && shift
	done
	while read -r node choice; do
		if grep -h -A1 "^      \"id\": \"$node\"," "$TOP_SRCDIR"/flows/*.json | grep -q '"probe"'; then
			args+=(--answer "$node=$choice")
		else
			answers+=("$choice")
		fi
	done <"$SCRATCH/answers"
	# the command that continues from a likely cause is the batch report's, not the session's
	sed -i '/^      \],$/{N;s/\],\n      "command": .*/]/}' "$SCRATCH/batch.json"
	out=$SCRATCH/replay/$TAP_N
	{
		# a required input the walk does not set is derived: Enter
		[ -z "$req" ] || echo "$typed"
		[ ${#answers[@]} = 0 ] || printf '%s\n' "${answers[@]}"
		echo "save $out"
	} >"$SCRATCH/script"
	status=0
	"$MESHMEDIC" ask "$flow" "${args[@]}" <"$SCRATCH/script" >"$SCRATCH/ask.out" 2>&1 || status=$?
	if [ $status = 0 ] && diff -u "$SCRATCH/batch.json" "$out.json" >"$SCRATCH/diff" 2>&1; then
		ok "ask $flow -> $expect from a pipe: the same transcript as batch"
	else
		{ echo "exit $status"; tail -n 30 "$SCRATCH/ask.out"; } >>"$SCRATCH/diff"
		not_ok "ask $flow -> $expect from a pipe: the same transcript as batch" "$SCRATCH/diff"
	fi
done < <(cat "$TOP_SRCDIR"/tests/walks/*)

# ---- the script's other lines ----
# ask_pipe NAME EXPECTED-STATUS SCRIPT ARGS...: ask ARGS with SCRIPT on stdin, output in $SCRATCH/out.
ask_pipe() {
	local name=$1 want=$2 script=$3 status=0
	shift 3
	printf '%b' "$script" | (cd "$SCRATCH" && "$MESHMEDIC" ask "$@") >"$SCRATCH/out" 2>&1 || status=$?
	NAME=$name
	[ "$status" = "$want" ] || echo "exit $status, not $want" >>"$SCRATCH/out"
	return $([ "$status" = "$want" ])
}
# has TEXT...: every TEXT is a line of $SCRATCH/out (fixed strings); reports $NAME.
has() {
	local t
	for t in "$@"; do
		if ! grep -qF -- "$t" "$SCRATCH/out"; then
			echo "missing: $t" >>"$SCRATCH/out"
			not_ok "$NAME" "$SCRATCH/out"
			return
		fi
	done
	ok "$NAME"
}
Q503=(503 --snapshot "$DEMO" -n bookinfo --set service=reviews)
# The demo's planted dr-tls-conflict answers the flag question by inference: scripts that
# exercise the prompt there go back to it first ("back 2"), as an engineer overriding it would.

ask_pipe "a wrong answer is named and asked again; why, path, back, save" 0 \
	'back 2\nmaybe\nU\nwhy\nUF\npath\nwhy 3\nback 2\n\nsave t1\nquit\n' "${Q503[@]}" &&
	has "'maybe' is not an answer here: a number from 1 to 9, a choice id, or a command (help)." \
		"'U' is the start of several choices" \
		"    -> UF  UF or UF,URX - upstream connection failure  [probe, inferred]" \
		"    -> UF  UF or UF,URX - upstream connection failure  [user]" \
		"       | Service bookinfo/reviews clusterIP 10.96.7.80" \
		"(Enter keeps UF)" "DIAGNOSIS  dr-tls-conflict" \
		"Saved t1.md and .json (replays with --answers)"
status=0
"$MESHMEDIC" run --batch --answers "$SCRATCH/t1.json" >"$SCRATCH/out" 2>&1 || status=$?
NAME="the transcript ask saved replays in batch mode"
[ $status = 0 ] && has "DIAGNOSIS  dr-tls-conflict"

ask_pipe "a number picks the choice; comments are skipped" 0 '# zzcomment\nback 2\n4\n' "${Q503[@]}" &&
	has "503 flag> 4" "    -> UF  UF or UF,URX - upstream connection failure  [user]" \
		"DIAGNOSIS  dr-tls-conflict"
if grep -q "zzcomment" "$SCRATCH/out"; then not_ok "comments are not echoed" "$SCRATCH/out"; else
	ok "comments are not echoed"; fi

ask_pipe "the end of the script ends the session at the question" 0 'back 2\n' "${Q503[@]}" &&
	has "Ended at 503:flag, unanswered, after 1 answer."

ask_pipe "no FLOW: a pasted log line picks its flow" 0 \
	'"GET /r HTTP/1.1" 503 UO upstream_reset_before_response_started\nreviews\nUO\n' \
	--snapshot "$DEMO" -n bookinfo &&
	has "503: HTTP 503 Service Unavailable or rejected requests" "service> reviews"

# a whole access log line: its flow, its service and namespace, its flag as the answer
LINE_UO='[2026-11-20T09:00:01.000Z] "GET /reviews/0 HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow} - "-" 0 81 0 - "-" "curl/8.5.0" "req-1" "reviews:9080" "-" outbound|9080|v1|reviews.bookinfo.svc.cluster.local - 10.96.0.20:9080 10.244.0.5:40000 - default'
ask_pipe "no FLOW: a whole access log line fills the service and answers the flag" 0 \
	"$LINE_UO\npath\nquit\n" --snapshot "$DEMO" &&
	has "  an access log line: 503 UO -> flow 503, service reviews, namespace bookinfo, flag UO" \
		"    -> UO  UO - upstream overflow (circuit breaker)  [answers]" \
		"       | the access log line given:" "       |   response flags UO" \
		"DIAGNOSIS  circuit-breaker-overflow"
if grep -q "Several flows match\|^service> " "$SCRATCH/out"; then
	not_ok "the line's flow and service are not asked again" "$SCRATCH/out"
else ok "the line's flow and service are not asked again"; fi
ask_pipe "--from-log: the same without the symptom prompt" 0 'quit\n' --from-log "$LINE_UO" \
	--snapshot "$DEMO" &&
	has "an access log line: 503 UO -> flow 503, service reviews, namespace bookinfo, flag UO" \
		"DIAGNOSIS  circuit-breaker-overflow"
ask_pipe "--from-log: the caller's address names the caller pod" 0 'quit\n' --from-log "$LINE_UO" \
	--snapshot "$TOP_SRCDIR/tests/data/snapshots/from-log-caller" &&
	has "  the caller, by its address 10.244.0.5 in the line: pod productpage-v1-7f9c5d8b4-abcde" \
		"    productpage-v1-7f9c5d8b4-abcde?"
ask_pipe "an error body picks 503 and answers its flag" 0 'no healthy upstream\nquit\n' \
	--snapshot "$DEMO" -n bookinfo --set service=reviews &&
	has "  an error body of Envoy: 503 UH -> flow 503, flag UH" \
		"    -> UH  UH - no healthy upstream  [answers]"
ask_pipe "RBAC: access denied names 403 and asks for a flow" 0 'RBAC: access denied\nquit\n' &&
	has "  an error body of Envoy: 403; 403 from the sidecar's authorization (AuthorizationPolicy): no flow covers 403 yet"
# words, not letters: flags are tokens, synonyms count
ask_pipe "UT and DC match no flow (no letters inside route_not_found or FailedCreate)" 0 \
	'UT\nDC\nquit\n' && has "symptom> UT" "symptom> DC"
if grep -q "^  404 \|^  injection " "$SCRATCH/out"; then not_ok "UT and DC list no flow" "$SCRATCH/out"
else ok "UT and DC list no flow"; fi
for words in "no sidecar" "pods have no sidecar" "missing sidecar" "istio-proxy missing"; do
	ask_pipe "'$words' picks injection" 0 "$words\nquit\n" &&
		has "injection: Sidecar not injected (pod runs without istio-proxy)"
done
ask_pipe "NR matches two flows: both listed, the best first" 0 'NR\nquit\n' &&
	has "Several flows match, the best first: give the id of one."

ask_pipe "no FLOW: a number picks it; a required input is asked, a bad value again" 0 \
	'4\nReviews!\nreviews\n' -n bookinfo &&
	has "symptom> 4" "service> Reviews!" "input service='Reviews!' must be a DNS-1123 label" \
		"service> reviews" "probe control-plane: no cluster state loaded"

ask_pipe "help prints the question's help page and the commands" 0 'back 2\nhelp\n' "${Q503[@]}" &&
	has "$(sed -n "1s/^# //p" "$TOP_SRCDIR/help/response-flags.md")" "  back [STEP]    answer the last step (or STEP) again"

ask_pipe "--answer is taken without asking" 0 '' "${Q503[@]}" --answer flag=UO &&
	has "    -> UO  UO - upstream overflow (circuit breaker)  [user]"

# no cluster: nothing is preselected, so an empty line records no answer and asks again
ask_pipe "Enter alone at a question nobody answered takes no answer" 0 '\n\n' 503 --set service=reviews &&
	has "probe control-plane: no cluster state loaded (use --snapshot or --live)" \
		"Ended at 503:control-plane, unanswered, after 0 answers."
if [ "$(grep -c "^ 1. Are all Istio control plane pods" "$SCRATCH/out")" = 3 ]; then
	ok "each empty line asks the question again"
else
	not_ok "each empty line asks the question again" "$SCRATCH/out"
fi

ask_pipe "an unknown flow: exit 2" 2 '' nosuch && has "meshmedic: no flow 'nosuch' (see meshmedic list)"
ask_pipe "two flows: exit 2" 2 '' 503 404 && has "meshmedic: ask takes one FLOW, not '404' as well"
ask_pipe "a bad --set: exit 2 before anything is asked" 2 '' 503 --set service=Bad_Name &&
	has "meshmedic: --set: input service='Bad_Name' must be a DNS-1123 label"
ask_pipe "ask onboard needs a namespace" 2 '' onboard && has "meshmedic: ask onboard needs -n NAMESPACE"
ask_pipe "--answers - is refused" 2 '' 503 --answers - && has "give --answers a file, not '-'"
ask_pipe "an unanswered question leaves no colour in a pipe" 0 '' "${Q503[@]}"
if grep -q $'\033' "$SCRATCH/out"; then not_ok "no escape sequences off a terminal" "$SCRATCH/out"; else
	ok "no escape sequences off a terminal"; fi

# ---- onboarding on the prompt: the same report as onboard --batch ----
OB=$TOP_SRCDIR/tests/data/snapshots/onboard-ready
"$MESHMEDIC" onboard -n shop --snapshot "$OB" --batch --answer http10=no --answer header-case=yes \
	--answer retries=no >"$SCRATCH/batch-report" 2>&1 || true
ask_pipe "ask onboard: the asked items answered by number, id and prefix" 0 '1\nyes\nn\n' \
	onboard -n shop --snapshot "$OB" &&
	has "http10> 1" "header-case> yes" "retries> n" " 3. HTTP/1.0 clients: ?" \
		" 1. Sidecar injection: pass"
sed -n '/^Onboarding checklist:/,$p' "$SCRATCH/out" >"$SCRATCH/ask-report"
check "ask onboard ends with the report of onboard --batch given the same answers" \
	"$SCRATCH/batch-report" "$SCRATCH/ask-report"
ask_pipe "ask onboard: --answer decides an item before it is asked" 0 'no\nno\n' \
	onboard -n shop --snapshot "$OB" --answer http10=yes &&
	has " 3. HTTP/1.0 clients: fail" "header-case> no" "retries> no"
ask_pipe "ask onboard: a bad --answer is exit 2 before anything runs" 2 '' onboard -n shop \
	--answer nosuch=no && has "meshmedic: --answer: "
ask_pipe "ask onboard: why and help at an item" 0 'why\nhelp\nquit\n' onboard -n shop \
	--snapshot "$OB" && has "  http10: no container here runs a known HTTP/1.0 client" \
	"  quit           end the session (Ctrl-D too)"

# ---- at a terminal (tmux) ----
if [ -z "${TMUX_BIN:-}" ]; then
	ok "terminal cases # SKIP tmux not found"
	done_testing
	exit
fi
. "$TOP_SRCDIR/tests/tmux.sh"

start -- ask 503 --snapshot "$DEMO" -n bookinfo
shows "the first prompt asks the required input" "service>"
keys r e v Tab
shows "Tab completes a service name from the snapshot" "service> reviews"
keys Enter
shows "an optional input is asked at a terminal" "pod>"
keys p r o d Tab
shows "Tab completes a pod name" "pod> productpage-v1-6b746f74dc-9stvs"
keys Enter
settle "503 done>"
keys path Enter
shows "the flag the snapshot's causes point to is taken, marked inferred" "[probe, inferred]"
keys "back 2" Enter
settle "503 flag>"
shows "back overrides the inferred answer: the flag is asked" "503 flag>"
keys U Tab Tab
shows "Tab twice lists the choices that start so" "UAEX  UF    UH    UO"
keys F Enter
shows "the answer leads to the diagnosis" "503 done>"
keys "save s1" Enter
shows "save at the end" "Saved s1.md and .json"
keys C-d
ended "Ctrl-D ends the session" 0
if grep -q '"id": "dr-tls-conflict"' "$WORK/s1.json"; then ok "the saved transcript has the diagnosis"; else
	not_ok "the saved transcript has the diagnosis" "$WORK/s1.json"; fi
mode=$(stat -c %a "$STATE/meshmedic/history" 2>/dev/null || echo missing)
if [ "$mode" = 600 ]; then ok "history is kept in XDG_STATE_HOME, mode 600"; else
	echo "mode $mode" >"$SCRATCH/why" && not_ok "history is kept in XDG_STATE_HOME, mode 600" "$SCRATCH/why"; fi

start -- ask 503 --snapshot "$DEMO" -n bookinfo --set service=reviews --set pod=productpage-v1-6b746f74dc-9stvs
settle "503 done>"
keys Up
shows "Up recalls the last session's line" "503 done> save s1"
keys C-u "nonsense"
# the terminal flushes what is not read yet when Ctrl-C comes: let readline see it first
settle "flag> nonsense"
keys C-c
shows "Ctrl-C drops the line typed" "nonsense^C"
keys "he" Tab Enter
shows "Tab completes a command; help shows the page" "  quit           end the session (Ctrl-D too)"
keys quit Enter
ended "quit ends the session" 0

# ---- Ctrl-C cancels a probe that hangs (stand-in kubectl); nothing is left running ----
BIN=$SCRATCH/bin
mkdir -p "$BIN"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
chmod +x "$BIN"/*
: >"$SCRATCH/pids"
RUN_PATH=$BIN:$PATH start FAKE_KUBECTL_MODE=hang FAKE_PIDS="$SCRATCH/pids" -- ask 503 --live -n default \
	--set service=reviews --set pod=productpage-v1-6b746f74dc-9stvs
shows "a live probe says it asks the cluster" "asking the cluster... (Ctrl-C cancels)"
keys C-c
shows "Ctrl-C cancels the probe and asks the person" "Cancelled: the question is yours."
settle "503 control-plane>"
stand_ins_gone "no stand-in process is left running"
keys healthy Enter
settle "asking the cluster"
if grep -A1 -F -- "-> healthy  Yes, all Running and Ready  [user]" "$SCRATCH/screen" |
	grep -qF "asking the cluster... (Ctrl-C cancels)"; then
	ok "a cancelled read is not remembered: the next probe asks the cluster again"
else
	not_ok "a cancelled read is not remembered: the next probe asks the cluster again" "$SCRATCH/screen"
fi
keys C-c
settle "503 flag>"
keys C-d
ended "Ctrl-D after a cancelled probe" 0

start -- ask onboard -n shop --snapshot "$OB"
settle "http10>"
keys 1 Enter
settle "header-case>"
keys u n Tab
shows "ask onboard: Tab completes an item's choice" "header-case> unsure"
keys Enter n o Enter
shows "ask onboard: the report at the end" "12 pass, 1 warn, 0 fail"
ended "ask onboard ends after the report" 0

# the 404 flow: the host completes to the hosts of the routes, the gateway to the Gateways
start -- ask 404 --snapshot "$TOP_SRCDIR/tests/data/snapshots/gateway-healthy" -n shop
shows "the 404 flow asks the host first" "host>"
keys s h Tab
shows "Tab completes a host from the VirtualServices and Gateways" "host> shop.example.com"
keys C-u c a r t . Tab
shows "Tab completes a Service's DNS name as a host" "host> cart.shop.svc.cluster.local"
# a host no Gateway serves: no candidate is derived, every Gateway is offered
keys C-u c a r t Enter
settle "service>"
keys Enter
settle "gateway>"
keys i Tab
shows "Tab completes a Gateway as namespace/name, not a Service" "gateway> istio-system/shop-gateway"
keys C-u C-d

start -- ask 503 --snapshot "$DEMO" -n bookinfo --set service=reviews
settle "503 flag>"
signal TERM
settle "modes="
if grep -q '^modes=echo icanon isig' "$SCRATCH/screen"; then ok "TERM at the prompt restores the terminal"; else
	not_ok "TERM at the prompt restores the terminal" "$SCRATCH/screen"; fi

done_testing
