#!/bin/bash
# The live source against stand-in kubectl and istioctl (tests/data/fake-bin,
# put first on PATH): every fault class, the session cache, the allow-list,
# --context/--kubeconfig pass-through, and snapshots. tests/unit/test-live is
# the driver: it calls exec_run and the live source directly.
. "$TOP_SRCDIR/tests/lib.sh"

DRIVER=$(dirname "$MESHMEDIC")/tests/unit/test-live
[ -x "$DRIVER" ] || skip_all "tests/unit/test-live is not built"

# Copies, so the stand-ins run whatever modes the files were distributed with.
BIN=$SCRATCH/bin
mkdir -p "$BIN" "$SCRATCH/empty" "$SCRATCH/kubectl-only"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$SCRATCH/kubectl-only/"
chmod +x "$BIN"/* "$SCRATCH/kubectl-only"/*
FAKE_PATH=$BIN:$PATH
export PATH=$FAKE_PATH FAKE_LOG=$SCRATCH/argv.log FAKE_PIDS=$SCRATCH/pids
unset FAKE_KUBECTL_MODE FAKE_ISTIOCTL_MODE FAKE_FORBID FAKE_MISSING FAKE_FORBID_ALL
OUT=$SCRATCH/out
: >"$SCRATCH/all-argv.log"

# drive ARGS...: run the driver (with PATH=$RUN_PATH if set) and a fresh argv log; output in $OUT.
drive() {
	: >"$FAKE_LOG"
	: >"$FAKE_PIDS"
	local status=0
	PATH=${RUN_PATH:-$PATH} "$DRIVER" "$@" >"$OUT" 2>&1 || status=$?
	[ "$status" -eq 0 ] || echo "(driver exit status $status)" >>"$OUT"
	cat "$FAKE_LOG" >>"$SCRATCH/all-argv.log"
}

# failed NAME: a failing case, with the driver's output and the argv log.
failed() {
	{
		echo "output:"
		cat "$OUT"
		echo "argv log:"
		cat "$FAKE_LOG"
	} >"$SCRATCH/why"
	not_ok "$1" "$SCRATCH/why"
}

# has_line TEXT: the output has exactly this line.
has_line() {
	grep -qxF -- "$1" "$OUT"
}

# calls PATTERN: how many commands in the argv log match the ERE.
calls() {
	grep -cE -- "$1" "$FAKE_LOG" || true
}

# field NAME: a value from the driver's "name=value ..." lines.
field() {
	tr ' ' '\n' <"$OUT" | sed -n "s/^$1=//p" | head -n 1
}

# alive PID: the process still runs (a zombie that no init reaps counts as gone).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	[ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]
}

# none_alive: no process the stand-ins recorded in $FAKE_PIDS is left (waiting up to 2 s).
none_alive() {
	local pids tries=0 p left
	pids=$(cat "$FAKE_PIDS")
	[ -n "$pids" ] || return 1
	while :; do
		left=
		for p in $pids; do alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		tries=$((tries + 1))
		[ "$tries" -lt 20 ] || { echo "left running:$left" >>"$OUT"; return 1; }
		sleep 0.1
	done
}

# ---- fault classes ----

n="missing kubectl: the kind is unavailable, said plainly"
RUN_PATH=$SCRATCH/empty drive kinds Pod
if has_line 'Pod: unavailable: kubectl not found on PATH'; then ok "$n"; else failed "$n"; fi

n="missing kubectl: exec_run reports not_found"
RUN_PATH=$SCRATCH/empty drive exec 1000 1000 kubectl version
if has_line 'why: kubectl not found on PATH' && [ "$(field not_found)" = 1 ]; then ok "$n"; else failed "$n"; fi

n="missing istioctl: proxy-status is unavailable (istiod's syncz is not served here either)"
RUN_PATH=$SCRATCH/kubectl-only drive ps
if grep -q '^unavailable: istioctl not found on PATH, and ' "$OUT"; then ok "$n"; else failed "$n"; fi

FAKE_KUBECTL_MODE=hang drive exec 1000 1000000 kubectl get pods -A -o json
ms=$(field ms)
n="hang: ends at the timeout (${ms} ms)"
if [ "$(field timed_out)" = 1 ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ] &&
	has_line 'why: timed out after 1 s: kubectl get pods'; then ok "$n"; else failed "$n"; fi
n="hang: the stand-in and its child are gone, nothing left unreaped or open"
if none_alive && has_line 'children_left=0' && has_line 'fds_leaked=0'; then ok "$n"; else failed "$n"; fi

FAKE_KUBECTL_MODE=hang-ignore-term drive exec 1000 1000000 kubectl get pods -A -o json
ms=$(field ms)
n="hang ignoring SIGTERM: SIGKILL after the grace (${ms} ms)"
if [ "$(field signal)" = 9 ] && [ "$(field timed_out)" = 1 ] && [ "$ms" -lt 3500 ]; then
	ok "$n"; else failed "$n"; fi
n="hang ignoring SIGTERM: the whole process group is gone"
if none_alive && has_line 'children_left=0'; then ok "$n"; else failed "$n"; fi

n="hang through the live source: the kind is unavailable with the timeout"
FAKE_KUBECTL_MODE=hang drive -t 1 kinds Pod
if has_line 'Pod: unavailable: timed out after 1 s: kubectl get pods'; then ok "$n"; else failed "$n"; fi

FAKE_KUBECTL_MODE=forbidden drive kinds Pod VirtualService
n="Forbidden: names the verb and the resource to ask for"
if has_line 'Pod: unavailable: forbidden: your credentials cannot list pods (ask for get/list on pods)'
then ok "$n"; else failed "$n"; fi
n="Forbidden on an Istio CRD: names its API group"
if has_line 'VirtualService: unavailable: forbidden: your credentials cannot list virtualservices.networking.istio.io (ask for get/list on virtualservices in API group networking.istio.io)'
then ok "$n"; else failed "$n"; fi

n="Forbidden logs: pods/log in the namespace; the failure is cached too"
FAKE_FORBID=pods/log drive log default productpage-v1-5d9b4c9b4b-abcde istio-proxy
if [ "$(grep -cxF 'unavailable: forbidden: your credentials cannot get pods/log (ask for get on pods/log in namespace default)' "$OUT")" = 2 ] &&
	[ "$(calls '^kubectl logs ')" = 1 ]; then ok "$n"; else failed "$n"; fi

n="unreachable cluster"
FAKE_KUBECTL_MODE=unreachable drive kinds Pod
if has_line 'Pod: unavailable: cluster unreachable: The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?'
then ok "$n"; else failed "$n"; fi

n="rejected credentials"
FAKE_KUBECTL_MODE=unauthorized drive kinds Pod
if has_line 'Pod: unavailable: unauthorized: the cluster rejected your credentials (You must be logged in to the server (Unauthorized))'
then ok "$n"; else failed "$n"; fi

n="a CRD the cluster lacks"
FAKE_MISSING=envoyfilters.networking.istio.io drive kinds EnvoyFilter
if has_line "EnvoyFilter: unavailable: not found: the server doesn't have a resource type \"envoyfilters\" (are Istio's CRDs installed?)"
then ok "$n"; else failed "$n"; fi

n="garbage instead of JSON: malformed output"
FAKE_KUBECTL_MODE=garbage drive kinds Pod
if grep -q '^Pod: unavailable: malformed output: kubectl get pods did not print JSON (line 1: ' "$OUT"
then ok "$n"; else failed "$n"; fi

n="garbage instead of proxy-status: malformed output"
FAKE_ISTIOCTL_MODE=garbage drive ps
if grep -q '^unavailable: malformed output: istioctl proxy-status: ' "$OUT"; then ok "$n"; else failed "$n"; fi

FAKE_KUBECTL_MODE=huge drive exec 5000 100000 kubectl get pods -A -o json
ms=$(field ms)
n="huge output: cut at the cap, the writer killed rather than waited for (${ms} ms)"
if [ "$(field truncated)" = 1 ] && [ "$(field timed_out)" = 0 ] && [ "$(field out_len)" = 100000 ] &&
	[ "$ms" -lt 2500 ] && none_alive && has_line 'children_left=0'; then ok "$n"; else failed "$n"; fi

n="huge output through the live source: output too large"
FAKE_KUBECTL_MODE=huge drive -m 100000 kinds Pod
if has_line 'Pod: unavailable: output too large: kubectl get pods wrote more than 100000 bytes'
then ok "$n"; else failed "$n"; fi

n="killed by a signal"
FAKE_KUBECTL_MODE=signal drive kinds Pod
if grep -q '^Pod: unavailable: kubectl get pods was killed by signal 11 (' "$OUT"; then ok "$n"; else failed "$n"; fi

n="List items without a kind get the kind asked for"
FAKE_KUBECTL_MODE=nokind drive kinds Pod Namespace
if has_line 'Pod: 3 objects: default/productpage-v1-5d9b4c9b4b-abcde, default/reviews-v2-7d4b9c8f6d-xyz12, istio-system/istiod-6cc6c77b8-7xnpr' &&
	has_line 'Namespace: 2 objects: /default, /istio-system'; then ok "$n"; else failed "$n"; fi

# ---- the session cache ----

drive kinds Pod Service Pod Namespace VirtualService Pod Service
n="each kind is fetched once however often it is asked for"
if [ "$(calls ' get pods ')" = 1 ] && [ "$(calls ' get services ')" = 1 ] &&
	[ "$(calls ' get namespaces ')" = 1 ] && [ "$(calls .)" = 4 ]; then ok "$n"; else failed "$n"; fi
n="kubectl get RESOURCE -A -o json (-A only for namespaced kinds; Istio kinds as resource.version.group; kubectl's --request-timeout inside ours)"
if has_line 'VirtualService: 1 objects: default/reviews' &&
	grep -qxF 'kubectl get pods -A -o json --request-timeout=9s' "$FAKE_LOG" &&
	grep -qxF 'kubectl get namespaces -o json --request-timeout=9s' "$FAKE_LOG" &&
	grep -qxF 'kubectl get virtualservices.v1.networking.istio.io -A -o json --request-timeout=9s' "$FAKE_LOG"
then ok "$n"; else failed "$n"; fi

n="an unavailable kind is not asked for again"
FAKE_KUBECTL_MODE=forbidden drive kinds Pod Pod Pod
if [ "$(calls .)" = 1 ]; then ok "$n"; else failed "$n"; fi

n="a log is read once: kubectl logs POD -n NS -c C --previous --tail 2000 --request-timeout=9s"
drive log default reviews-v2-7d4b9c8f6d-xyz12 reviews previous
if [ "$(grep -cxF 'log of default/reviews-v2-7d4b9c8f6d-xyz12/reviews (previous)' "$OUT")" = 2 ] &&
	[ "$(calls .)" = 1 ] &&
	grep -qxF 'kubectl logs reviews-v2-7d4b9c8f6d-xyz12 -n default -c reviews --previous --tail 2000 --request-timeout=9s' "$FAKE_LOG"
then ok "$n"; else failed "$n"; fi

n="a cancelled read is not remembered: kinds, logs and proxy-status are read when asked again"
drive cancelled default reviews-v2-7d4b9c8f6d-xyz12 reviews
if has_line 'Pod: unavailable: cancelled: reading Pod was stopped' &&
	has_line 'log unavailable: cancelled' && has_line 'proxy-status: unavailable: cancelled' &&
	grep -q '^Pod: [0-9]* objects' "$OUT" && has_line 'log of default/reviews-v2-7d4b9c8f6d-xyz12/reviews' &&
	grep -q '^proxy-status: [0-9]* rows$' "$OUT" &&
	[ "$(calls '^kubectl get pods ')" = 1 ] && [ "$(calls '^kubectl logs ')" = 1 ] &&
	[ "$(calls '^istioctl proxy-status$')" = 1 ]; then ok "$n"; else failed "$n"; fi

n="proxy-status is read once and parsed"
drive ps
if [ "$(grep -cxF 'reviews-v2-7d4b9c8f6d-xyz12 default STALE istiod-6cc6c77b8-7xnpr' "$OUT")" = 2 ] &&
	[ "$(calls .)" = 1 ] && [ "$(calls '^istioctl proxy-status$')" = 1 ]; then ok "$n"; else failed "$n"; fi

n="the Istio version from istiod's image"
drive version
if has_line 'istio: 1.22.3' && has_line "note: from istiod's Deployment (docker.io/istio/pilot:1.22.3-distroless)"; then
	ok "$n"; else failed "$n"; fi
n="no image shows the version: it comes from istioctl version, which the note names"
FAKE_FORBID=deployments.apps drive version
if has_line 'istio: 1.22.3' && has_line 'note: from istioctl version (the control plane'"'"'s pilot)' &&
	[ "$(calls '^istioctl version -o json')" = 1 ]; then ok "$n"; else failed "$n"; fi
n="istioctl answers garbage: the version is unknown, and the note says what istioctl version and proxy-status each said"
FAKE_FORBID=deployments.apps FAKE_ISTIOCTL_MODE=garbage drive version
if has_line 'istio: unknown' && grep -q '^note: .*istioctl version: malformed output' "$OUT" &&
	grep -q '^note: .*proxy-status: malformed output' "$OUT"; then ok "$n"; else failed "$n"; fi

drive prefetch Pod Service Namespace VirtualService Deployment Pod
n="prefetch reads the kinds in one kubectl get, each once, and nothing again afterwards"
if [ "$(calls .)" = 1 ] &&
	[ "$(calls '^kubectl get pods,services,namespaces,virtualservices.v1.networking.istio.io,deployments.apps -A ')" = 1 ] &&
	has_line 'Deployment: 1 objects: istio-system/istiod' && has_line 'VirtualService: 1 objects: default/reviews'; then
	ok "$n"; else failed "$n"; fi
FAKE_FORBID=services drive prefetch Pod Service Namespace
n="one kind refused in the combined get: the others are kept, the refused one is not read again"
if [ "$(calls .)" = 1 ] && has_line 'Pod: 3 objects: default/productpage-v1-5d9b4c9b4b-abcde, default/reviews-v2-7d4b9c8f6d-xyz12, istio-system/istiod-6cc6c77b8-7xnpr' &&
	grep -q '^Service: .*cannot list services' "$OUT"; then ok "$n"; else failed "$n"; fi
FAKE_MISSING=virtualservices.networking.istio.io drive prefetch Pod VirtualService Service
n="a kind the server lacks fails the combined get whole: each kind is read alone, the lacking one by its plain name"
if [ "$(calls '^kubectl get pods,virtualservices')" = 1 ] && [ "$(calls '^kubectl get pods -A ')" = 1 ] &&
	[ "$(calls '^kubectl get virtualservices.networking.istio.io -A ')" = 1 ] &&
	grep -q '^Pod: 3 objects' "$OUT" && grep -q '^VirtualService: .*not found' "$OUT"; then ok "$n"; else failed "$n"; fi
FAKE_KUBECTL_MODE=slow drive prefetch Pod Service Namespace VirtualService Deployment
ms=$(field prefetch_ms)
n="a slow server: the combined get asks for the kinds in turn, in one process (5 kinds of 1 s each in ${ms} ms)"
if [ -n "$ms" ] && [ "$ms" -ge 4500 ] && [ "$ms" -lt 8000 ] && [ "$(calls .)" = 1 ]; then ok "$n"; else failed "$n"; fi

# ---- the allow-list and the names ----

n="a verb off the allow-list is refused and never runs"
drive exec 1000 1000 kubectl delete pod productpage
if [ "$(field refused)" = 1 ] && [ ! -s "$FAKE_LOG" ]; then ok "$n"; else failed "$n"; fi

n="Secrets are refused and never read"
drive exec 1000 1000 kubectl get secrets -A -o json
if has_line 'why: refused to run kubectl get on Secrets: meshmedic never reads them' && [ ! -s "$FAKE_LOG" ]
then ok "$n"; else failed "$n"; fi

n="exec_run_many refuses command by command and runs the rest"
drive many 1000 1000 kubectl version , sh -c true , istioctl install -y
if grep -q '^succeeded=1 ' "$OUT" && [ "$(calls .)" = 1 ]; then ok "$n"; else failed "$n"; fi

n="exec_run_many: 12 at once (one round), every one reaped, no descriptor left open"
set -- kubectl version
for i in 1 2 3 4 5 6 7 8 9 10 11; do set -- "$@" , kubectl logs "p$i" -n default -c istio-proxy; done
FAKE_KUBECTL_MODE=slow drive many 5000 100000 "$@"
ms=$(field total_ms)
if grep -q '^succeeded=12 ' "$OUT" && [ "$(calls .)" = 12 ] && [ "$(field fds_leaked)" = 0 ] &&
	! grep -q 'children_left=1' "$OUT" && [ "$ms" -ge 1000 ] && [ "$ms" -lt 2500 ]
then ok "$n"; else failed "$n"; fi

n="an invalid --context is refused before anything runs"
drive -c 'prod;reboot' kinds Pod
if has_line "error: invalid --context 'prod;reboot': use letters, digits and . _ : @ / + - (not first)" &&
	[ ! -s "$FAKE_LOG" ]; then ok "$n"; else failed "$n"; fi

n="an invalid pod name never reaches argv"
drive log default 'p --previous' c
if [ "$(grep -c "^unavailable: invalid pod name 'p --previous'" "$OUT")" = 2 ] && [ ! -s "$FAKE_LOG" ]
then ok "$n"; else failed "$n"; fi

n="--context and --kubeconfig reach kubectl get, kubectl logs and istioctl"
echo "apiVersion: v1" >"$SCRATCH/kubeconfig"
ctx=arn:aws:eks:eu-west-1:1:cluster/prod
suffix=" --context $ctx --kubeconfig $SCRATCH/kubeconfig"
passed=0
for what in "kinds Pod" "ps" "log default p istio-proxy"; do
	# shellcheck disable=SC2086
	drive -c "$ctx" -k "$SCRATCH/kubeconfig" $what
	if [ "$(calls .)" = 1 ] && [ "$(grep -cF -- "$suffix" "$FAKE_LOG")" = 1 ]; then
		passed=$((passed + 1))
	fi
done
if [ "$passed" = 3 ]; then ok "$n"; else failed "$n"; fi

# ---- snapshots ----

SNAP=$SCRATCH/snap/one
FAKE_FORBID=virtualservices.networking.istio.io FAKE_MISSING=envoyfilters.networking.istio.io \
	drive snapshot "$SNAP"
cp "$OUT" "$SCRATCH/snapshot.out"
n="snapshot: written; a failed kind is reported, not fatal"
if has_line 'rc=0 err=-' &&
	has_line 'snapshot: VirtualService: unavailable: forbidden: your credentials cannot list virtualservices.networking.istio.io (ask for get/list on virtualservices in API group networking.istio.io)'
then ok "$n"; else failed "$n"; fi
n="snapshot: the layout of DESIGN.md"
L=$SNAP/logs/default
if [ -s "$SNAP/resources.json" ] && [ -s "$SNAP/proxy-status.txt" ] && [ -s "$SNAP/meta.json" ] &&
	[ -s "$L/productpage-v1-5d9b4c9b4b-abcde/istio-proxy.log" ] &&
	[ -s "$L/productpage-v1-5d9b4c9b4b-abcde/istio-proxy.previous.log" ] &&
	[ -s "$L/reviews-v2-7d4b9c8f6d-xyz12/reviews.previous.log" ] &&
	[ -s "$SNAP/logs/istio-system/istiod-6cc6c77b8-7xnpr/discovery.log" ]
then ok "$n"; else failed "$n"; fi
n="snapshot: logs of istio-proxy, istiod and crashing containers only"
if [ "$(find "$SNAP/logs" -type f | wc -l)" -eq 6 ] && [ ! -e "$L/productpage-v1-5d9b4c9b4b-abcde/productpage.log" ]
then ok "$n"; else failed "$n"; fi
n="snapshot: meta.json records the failed steps and the versions"
if grep -q '"VirtualService": "forbidden: ' "$SNAP/meta.json" &&
	grep -q '"EnvoyFilter": "not found: ' "$SNAP/meta.json" &&
	grep -q '"istio": "1.22.3"' "$SNAP/meta.json" && grep -q '"kubectl": "v1.30.2"' "$SNAP/meta.json"
then ok "$n"; else failed "$n"; fi
n="snapshot: read-only commands only"
if [ "$(grep -cvE '^kubectl (get|logs|version|config current-context)( |$)|^istioctl (proxy-status|version)( |$)' "$FAKE_LOG")" = 0 ]
then ok "$n"; else failed "$n"; fi

n="snapshot: one progress line per step; the snapshot reader takes it back"
drive reread "$SNAP"
kinds=$(grep -c '^[A-Za-z]*: ' "$OUT")
steps=$(grep -c '^snapshot: [A-Za-z]*: [0-9u]' "$SCRATCH/snapshot.out")
if [ "$kinds" -gt 15 ] && [ "$steps" = "$kinds" ] &&
	[ "$(grep -c '^snapshot: \(reading\|versions:\|proxy-status:\|logs:\|wrote\) ' "$SCRATCH/snapshot.out")" = 5 ] &&
	has_line 'Pod: 3 objects: default/productpage-v1-5d9b4c9b4b-abcde, default/reviews-v2-7d4b9c8f6d-xyz12, istio-system/istiod-6cc6c77b8-7xnpr' &&
	has_line 'VirtualService: unavailable: forbidden: your credentials cannot list virtualservices.networking.istio.io (ask for get/list on virtualservices in API group networking.istio.io)' &&
	has_line 'proxy-status: 2 rows' && has_line 'istio: 1.22.3'
then ok "$n"; else cat "$SCRATCH/snapshot.out" >>"$OUT"; failed "$n"; fi

n="snapshot -n: the namespace and istio-system, never all namespaces"
drive snapshot "$SCRATCH/snap/ns" default
if has_line 'rc=0 err=-' && [ "$(calls ' -A ')" = 0 ] && [ "$(calls ' get pods -n default ')" = 1 ] &&
	[ "$(calls ' get pods -n istio-system ')" = 1 ]; then ok "$n"; else failed "$n"; fi

n="snapshot with nothing readable: an error, and no directory left behind"
RUN_PATH=$SCRATCH/empty drive snapshot "$SCRATCH/snap/none"
if has_line 'rc=-1 err=nothing could be read: kubectl not found on PATH' && [ ! -e "$SCRATCH/snap/none" ]
then ok "$n"; else failed "$n"; fi

# ---- the Envoy admin API through kubectl port-forward ----
export FAKE_HTTP_DIR=$TOP_SRCDIR/tests/data/http/ok
pod=productpage-v1-5d9b4c9b4b-abcde
drive admin default $pod server_info stats
n="port-forward: admin documents come through one forwarded port, each read once"
if has_line 'server_info: 3 members' && has_line 'stats: 1 members' &&
	[ "$(grep -c '^server_info: 3 members$' "$OUT")" = 2 ] &&
	[ "$(calls '^kubectl port-forward -n default --address 127.0.0.1 pod/'$pod' :15000')" = 1 ] &&
	[ "$(calls 'http')" = 0 ]; then ok "$n"; else failed "$n"; fi
n="port-forward: kubectl and what it started are gone once meshmedic is done"
if none_alive; then ok "$n"; else failed "$n"; fi
FAKE_KUBECTL_MODE=hang drive -t 1 admin default $pod server_info
n="port-forward that never listens: ends at the timeout, named"
if grep -q '^server_info: unavailable: kubectl port-forward to default/'$pod': no answer within 1 s$' "$OUT" &&
	none_alive; then ok "$n"; else failed "$n"; fi
FAKE_KUBECTL_MODE=forbidden drive admin default $pod server_info
n="port-forward forbidden: the permission to ask for is named"
if grep -q '^server_info: unavailable: kubectl port-forward to default/'$pod': .*pods/portforward' "$OUT"; then
	ok "$n"; else failed "$n"; fi
drive admin default 'bad;name' server_info
n="port-forward: an invalid pod name never reaches kubectl"
if grep -q "^server_info: unavailable: invalid pod name 'bad;name'" "$OUT" && [ ! -s "$FAKE_LOG" ]; then
	ok "$n"; else failed "$n"; fi

# ---- over every command run above ----

FAKE_LOG=$SCRATCH/all-argv.log
n="only allowed verbs ever ran"
if [ -s "$FAKE_LOG" ] &&
	[ "$(grep -cvE '^(kubectl (get|logs|version|port-forward|auth can-i|config current-context)|istioctl (proxy-status|proxy-config|analyze|version|x describe))( |$)' "$FAKE_LOG")" = 0 ]
then ok "$n"; else failed "$n"; fi
n="Secrets were never asked for"
if [ "$(grep -ci secret "$FAKE_LOG")" = 0 ]; then ok "$n"; else failed "$n"; fi

# --- the command line over the live source ---
# cli NAME WANT-STATUS ARGS...: run meshmedic with the stand-ins first on PATH
cli() {
	local name=$1 want=$2 status=0
	shift 2
	"$MESHMEDIC" "$@" >"$SCRATCH/cli.out" 2>"$SCRATCH/cli.err" || status=$?
	if [ "$status" = "$want" ]; then ok "$name"; else
		{ echo "exit $status, expected $want"; cat "$SCRATCH/cli.out" "$SCRATCH/cli.err"; } >"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"; fi
}
cli "check --live runs every detector on the live cluster (the stand-in has a STALE proxy)" 1 check --live --format json
grep -q '"diagnosis": "proxy-config-stale"' "$SCRATCH/cli.out" && ok "check --live reads proxy-status through istioctl" ||
	not_ok "check --live reads proxy-status through istioctl" "$SCRATCH/cli.out"
FAKE_FORBID=pods cli "check --live with pods forbidden still answers" 1 check --live --format json
grep -q 'cannot list pods' "$SCRATCH/cli.out" && ok "a forbidden kind is listed as skipped with the verb to ask for" ||
	not_ok "a forbidden kind is listed as skipped with the verb to ask for" "$SCRATCH/cli.out"
FAKE_FORBID=pods cli "run 503 --live: Forbidden answers the control-plane question, to kube-permission-denied" 0 run 503 --batch --live --set service=reviews --format json
grep -q '"answer": "forbidden"' "$SCRATCH/cli.out" && ok "the walk records the forbidden answer as probe evidence" ||
	not_ok "the walk records the forbidden answer as probe evidence" "$SCRATCH/cli.out"
# nothing could be read: exit 2 and one line, not an undetermined walk (1)
FAKE_KUBECTL_MODE=hang cli "a hanging kubectl ends within --timeout, exit 2: nothing could be read" 2 run 503 --batch --live --timeout 1 --set service=reviews
if [ "$(wc -l <"$SCRATCH/cli.err")" = 1 ] && [ ! -s "$SCRATCH/cli.out" ]; then ok "one line on stderr, no report"; else
	not_ok "one line on stderr, no report" "$SCRATCH/cli.err"; fi
FAKE_LOG=$SCRATCH/ns.log FAKE_FORBID_ALL=pods cli "pods forbidden across namespaces: check --live -n default still reads them" 1 check --live -n default --format json
if grep -q '"diagnosis": "proxy-config-stale"' "$SCRATCH/cli.out" && ! grep -q 'cannot list' "$SCRATCH/cli.out" &&
	grep -q '^kubectl get [a-z.,0-9]*pods[a-z.,0-9]* -A ' "$SCRATCH/ns.log" && grep -q '^kubectl get pods -n default ' "$SCRATCH/ns.log" &&
	grep -q '^kubectl get pods -n istio-system ' "$SCRATCH/ns.log"; then
	ok "the namespace and istio-system are read one by one instead"; else
	not_ok "the namespace and istio-system are read one by one instead" "$SCRATCH/cli.out"; fi
# the least-privilege RBAC of kube-permission-denied grants ConfigMaps only in istio-system
FAKE_LOG=$SCRATCH/cm.log FAKE_FORBID_ALL=configmaps cli "configmaps forbidden across namespaces: check --live reads istio-system's" 1 check --live --format json
if grep -q '^kubectl get [a-z.,0-9]*configmaps[a-z.,0-9]* -A ' "$SCRATCH/cm.log" && grep -q '^kubectl get configmaps -n istio-system ' "$SCRATCH/cm.log" &&
	! grep -q 'cannot list configmaps' "$SCRATCH/cli.out"; then
	ok "without -n, the control plane's ConfigMaps are read in istio-system and nothing is skipped for them"; else
	not_ok "without -n, the control plane's ConfigMaps are read in istio-system and nothing is skipped for them" "$SCRATCH/cli.out"; fi
cli "snapshot -o DIR writes a snapshot" 0 snapshot -o "$SCRATCH/snap-cli"
cli "the written snapshot is read back by check" 1 check --snapshot "$SCRATCH/snap-cli"
grep -q 'proxy-config-stale' "$SCRATCH/cli.out" && ok "and shows what --live showed" || not_ok "and shows what --live showed" "$SCRATCH/cli.out"
cli "--live and --snapshot exclude each other" 2 check --live --snapshot "$SCRATCH/snap-cli"
cli "snapshot without -o is a usage error" 2 snapshot

# --- the log probes over the live source: kubectl logs serves the stand-in pod's recorded log ---
export FAKE_LOGS_DIR=$TOP_SRCDIR/tests/data/fake-bin/logs
PP=productpage-v1-5d9b4c9b4b-abcde
# live_walk NAME PATTERN... -- ARGS...: run answers the log questions from kubectl logs, once per pod
live_walk() {
	local name=$1 p failed=
	shift
	local patterns=()
	while [ "$1" != -- ]; do patterns+=("$1"); shift; done
	shift
	FAKE_LOG=$SCRATCH/walk.log
	: >"$FAKE_LOG"
	cli "$name: exit 0" 0 run --batch --live "$@"
	for p in "${patterns[@]}"; do
		grep -qF -- "$p" "$SCRATCH/cli.out" || { echo "missing: $p" >>"$SCRATCH/cli.out"; failed=1; }
	done
	[ "$(grep -cxF "kubectl logs $PP -n default -c istio-proxy --tail 2000 --request-timeout=9s" "$FAKE_LOG")" = 1 ] || failed=1
	if [ -z "$failed" ]; then ok "$name"; else cat "$FAKE_LOG" >>"$SCRATCH/cli.out"; not_ok "$name" "$SCRATCH/cli.out"; fi
}
live_walk "run 426 --live: the HTTP version comes from the caller's istio-proxy log" \
	"-> http10  HTTP/1.0 (or HTTP/0.9)  [probe]" \
	"HTTP/1.0 or HTTP/0.9 on 4 of 4 426 responses to reviews in the log of $PP" \
	"DIAGNOSIS  http10-client" -- 426 --set service=reviews --set pod=$PP --answer caller-client=no
live_walk "run 503 --live: the response flag comes from the caller's istio-proxy log" \
	"-> UO  UO - upstream overflow (circuit breaker)  [probe]" \
	"UO on 3 of 3 failing requests to reviews in the log of $PP" \
	"DIAGNOSIS  circuit-breaker-overflow" -- 503 --set service=reviews --set pod=$PP
live_walk "run 431 --live: whether and who answered 431, from the same log" \
	"-> yes  Yes, a sidecar or gateway logs the 431  [probe]" \
	"-> size  Envoy: headers too large (http1.headers_too_large)  [probe]" \
	"DIAGNOSIS  request-headers-too-large" -- 431 --set service=reviews --set pod=$PP
# the bug seen live: an istio-proxy log without access log entries (the stand-in's mesh has no
# accessLogFile and no Telemetry) must not answer "no 503 line at all"
FAKE_LOGS_DIR=/nonexistent cli "run 503 --live, a log without access log entries: the flag question stays open" 1 \
	run 503 --batch --live --format json --set service=reviews --set pod=$PP
if grep -q '"node": "flag"' "$SCRATCH/cli.out" && ! grep -q '"answer": "nolog"' "$SCRATCH/cli.out" &&
	grep -q 'access logging is not known to be on for default/'$PP'' "$SCRATCH/cli.out" &&
	[ "$(sed -n '/"pending": {/,/}/s/^    "node": "\(.*\)",$/\1/p' "$SCRATCH/cli.out")" = flag ]; then
	ok "the pending node is flag, with why the empty log proves nothing"; else
	not_ok "the pending node is flag, with why the empty log proves nothing" "$SCRATCH/cli.out"; fi
done_testing
