#!/bin/bash
# The live source with the real kubectl against a Kubernetes API stand-in
# (tests/fake-kube, loopback, serving a fixture snapshot): check, run,
# logs --pod and snapshot find what the same fixture read as a snapshot
# finds; a namespace-scoped user; every fault mode of the stand-in; fail
# fast on a dead cluster; signals leave no kubectl behind. istioctl is a
# stand-in script that prints the fixture's proxy-status.txt. Skips (77)
# without kubectl.
. "$TOP_SRCDIR/tests/lib.sh"

KUBECTL=$(command -v kubectl) || skip_all "no kubectl installed"
FAKE_KUBE=${FAKE_KUBE:-$TOP_BUILDDIR/tests/fake-kube}
[ -x "$FAKE_KUBE" ] || skip_all "tests/fake-kube is not built"
command -v jq >/dev/null || skip_all "no jq"
SNAPS=$TOP_SRCDIR/tests/data/snapshots

# a HOME of our own: kubectl's discovery cache starts empty and is not shared
export HOME=$SCRATCH/home
mkdir -p "$HOME" "$SCRATCH/bin"
FAULTS=$SCRATCH/faults
: >"$FAULTS"
KC=$SCRATCH/kubeconfig
SERVER_PID=

cat >"$SCRATCH/bin/istioctl" <<'EOF'
#!/bin/sh
# istioctl stand-in: the fixture's proxy-status and Istio version
case $1 in
proxy-status) [ -f "$FIXTURE/proxy-status.txt" ] && exec cat "$FIXTURE/proxy-status.txt"
	echo "Error: no proxy-status in the fixture" >&2; exit 1 ;;
version) v=$(sed -n 's/.*"istio": *"\([^"]*\)".*/\1/p' "$FIXTURE/meta.json" 2>/dev/null)
	echo "{\"clientVersion\":{\"version\":\"${v:-1.22.3}\"},\"meshVersion\":[{\"Component\":\"pilot\",\"Info\":{\"version\":\"${v:-1.22.3}\"}}]}" ;;
*) echo "istioctl stand-in: $1 is not faked" >&2; exit 1 ;;
esac
EOF
chmod +x "$SCRATCH/bin/istioctl"
export PATH=$SCRATCH/bin:$PATH

stop_kube() {
	[ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
	SERVER_PID=
}
trap 'stop_kube; rm -rf "$SCRATCH"' EXIT

# kubeconfig PORT [CONTEXT]: point kubectl at 127.0.0.1:PORT
kubeconfig() {
	cat >"$KC" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://127.0.0.1:$1
users:
- name: jane
  user:
    token: fake-token
contexts:
- name: ${2:-fake}
  context:
    cluster: fake
    user: jane
current-context: ${2:-fake}
EOF
}

# start_kube FIXTURE-DIR [ARGS...]: serve it; export FIXTURE
start_kube() {
	stop_kube
	export FIXTURE=$1
	shift
	rm -f "$SCRATCH/port"
	"$FAKE_KUBE" -f "$FAULTS" "$@" "$FIXTURE" "$SCRATCH/port" >"$SCRATCH/requests" 2>&1 &
	SERVER_PID=$!
	local i=0
	while [ ! -s "$SCRATCH/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kubeconfig "$(cat "$SCRATCH/port")"
}

# mm ARGS...: meshmedic with the stand-in's kubeconfig; status in $st, output in out/err
mm() {
	st=0
	"$MESHMEDIC" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || st=$?
}

# findings FILE: the findings of check's JSON, sorted, one per line
findings() {
	jq -c '[.findings[] | {diagnosis, resource, message}] | sort | .[]' "$1"
}

why() {
	{ echo "exit $st"; cat "$SCRATCH/out" "$SCRATCH/err"; [ -z "${1:-}" ] || cat "$1"; } >"$SCRATCH/why"
	echo "$SCRATCH/why"
}

# ---- a healthy server: the same findings as the snapshot ----
FIXTURES="healthy dr-tls-conflict control-plane-unhealthy logs-503-hold gateway-host-mismatch
injection-revision-mismatch circuit-breaker-no-pending-limit"
# the namespace-scoped user is compared on these: each has findings outside istio-system
USER_FIXTURES=" circuit-breaker-no-pending-limit gateway-host-mismatch dr-tls-conflict "
for f in $FIXTURES; do
	[ -d "$SNAPS/$f" ] || continue
	start_kube "$SNAPS/$f"
	"$MESHMEDIC" check --snapshot "$SNAPS/$f" --format json >"$SCRATCH/snap.json" 2>/dev/null || true
	findings "$SCRATCH/snap.json" >"$SCRATCH/want"
	mm check --live --kubeconfig "$KC" --format json
	findings "$SCRATCH/out" >"$SCRATCH/got" 2>/dev/null || true
	n="$f: check --live with kubectl finds what the snapshot finds ($(wc -l <"$SCRATCH/want") findings)"
	if [ "$st" -le 1 ] && diff "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then ok "$n"; else
		not_ok "$n" "$(why "$SCRATCH/diff")"; fi

	# the namespace of the first finding, as a user who may read that namespace only
	ns=$(jq -r '[.findings[].resource | split("/") | select(length == 3) | .[1]] | .[0] // empty' "$SCRATCH/snap.json" || true)
	[ -n "$ns" ] && [ "$ns" != istio-system ] && [ "${USER_FIXTURES#* $f }" != "$USER_FIXTURES" ] || continue
	echo "user-ns $ns" >"$FAULTS"
	mm check --live -n "$ns" --kubeconfig "$KC" --format json
	cp "$SCRATCH/out" "$SCRATCH/user.json"
	"$MESHMEDIC" check --snapshot "$SNAPS/$f" -n "$ns" --format json >"$SCRATCH/snap-ns.json" 2>/dev/null || true
	# the same findings as the snapshot of that namespace, except where a finding depends on what
	# the user cannot read: that check is listed as skipped with the permission to ask for
	findings "$SCRATCH/snap-ns.json" | LC_ALL=C sort >"$SCRATCH/want"
	findings "$SCRATCH/user.json" 2>/dev/null | LC_ALL=C sort >"$SCRATCH/got" || true
	LC_ALL=C comm -13 "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/false"
	LC_ALL=C comm -23 "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/lost"
	unexplained=$(jq -r '.diagnosis' "$SCRATCH/lost" | while read -r d; do
		jq -e --arg d "$d" '[.skipped[] | select(.check == $d and (.reason | test("ask for ")))] | length > 0' \
			"$SCRATCH/user.json" >/dev/null 2>&1 || echo "$d"; done)
	n="$f: a user of namespace $ns only: check --live -n $ns finds what the snapshot finds there ($(wc -l <"$SCRATCH/got") of $(wc -l <"$SCRATCH/want"), the rest skipped with the permission)"
	if [ "$st" -le 1 ] && [ -s "$SCRATCH/want" ] && [ ! -s "$SCRATCH/false" ] && [ -z "$unexplained" ]; then ok "$n"; else
		{ echo "found, not in the snapshot:"; cat "$SCRATCH/false"; echo "lost without a skip naming the permission: $unexplained"; } >"$SCRATCH/diff"
		not_ok "$n" "$(why "$SCRATCH/diff")"; fi
	n="$f: the user's unreadable parts are skipped with the permission to ask for"
	if jq -e '[.skipped[].reason] | any(test("ask for get/list on pods in namespace istio-system"))' "$SCRATCH/user.json" >/dev/null &&
		! jq -e '.findings[] | select(.diagnosis == "control-plane-unhealthy")' "$SCRATCH/user.json" >/dev/null; then
		ok "$n"; else not_ok "$n" "$(why)"; fi
	mm snapshot -o "$SCRATCH/user-snap-$f" -n "$ns" --kubeconfig "$KC"
	mm check --snapshot "$SCRATCH/user-snap-$f" -n "$ns" --format json
	findings "$SCRATCH/out" 2>/dev/null | LC_ALL=C sort >"$SCRATCH/got2" || true
	n="$f: the user's snapshot -n $ns is checked as partial: the same findings, no control-plane-unhealthy"
	if diff "$SCRATCH/got" "$SCRATCH/got2" >"$SCRATCH/diff" &&
		! grep -q control-plane-unhealthy "$SCRATCH/got2"; then ok "$n"; else not_ok "$n" "$(why "$SCRATCH/diff")"; fi
	: >"$FAULTS"
done

# ---- run, logs --pod, snapshot ----
start_kube "$SNAPS/logs-503-hold"
pod=$(jq -r '[.items[] | select(.kind == "Pod" and .metadata.namespace == "shop") | .metadata.name] | .[0]' "$SNAPS/logs-503-hold/resources.json")
"$MESHMEDIC" logs --pod "$pod" -n shop --snapshot "$SNAPS/logs-503-hold" --format json >"$SCRATCH/want" 2>&1 || true
mm logs --pod "$pod" -n shop --live --kubeconfig "$KC" --format json
n="logs --pod with kubectl logs tallies what the snapshot's log tallies"
if [ "$st" = 0 ] && diff "$SCRATCH/want" "$SCRATCH/out" >"$SCRATCH/diff"; then ok "$n"; else not_ok "$n" "$(why "$SCRATCH/diff")"; fi
svc=$(jq -r '[.items[] | select(.kind == "Service" and .metadata.namespace == "shop") | .metadata.name] | .[0]' "$SNAPS/logs-503-hold/resources.json")
"$MESHMEDIC" run 503 --batch --snapshot "$SNAPS/logs-503-hold" --set namespace=shop --set service="$svc" --set pod="$pod" --format json 2>/dev/null |
	jq -c '{status, diagnosis: .diagnosis.id, path: [.path[] | {node, answer}]}' >"$SCRATCH/want"
mm run 503 --batch --live --kubeconfig "$KC" --set namespace=shop --set service="$svc" --set pod="$pod" --format json
jq -c '{status, diagnosis: .diagnosis.id, path: [.path[] | {node, answer}]}' "$SCRATCH/out" >"$SCRATCH/got" 2>/dev/null || true
n="run 503 --live walks the path the snapshot walks"
if [ "$st" -le 1 ] && diff "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then ok "$n"; else not_ok "$n" "$(why "$SCRATCH/diff")"; fi

start_kube "$SNAPS/dr-tls-conflict"
mm snapshot -o "$SCRATCH/snap-dr" --kubeconfig "$KC"
{ "$MESHMEDIC" check --snapshot "$SNAPS/dr-tls-conflict" --format json || true; } >"$SCRATCH/fix.json"
findings "$SCRATCH/fix.json" >"$SCRATCH/want"
"$MESHMEDIC" check --snapshot "$SCRATCH/snap-dr" --format json >"$SCRATCH/snapcheck.json" 2>/dev/null || true
findings "$SCRATCH/snapcheck.json" >"$SCRATCH/got"
n="snapshot with kubectl, checked: the fixture's findings"
if [ "$st" = 0 ] && diff "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then ok "$n"; else not_ok "$n" "$(why "$SCRATCH/diff")"; fi
n="snapshot: meta.json records the context kubectl used"
if jq -e '.context == "fake"' "$SCRATCH/snap-dr/meta.json" >/dev/null; then ok "$n"; else not_ok "$n" "$SCRATCH/snap-dr/meta.json"; fi
: >"$SCRATCH/requests"
mm check --live --kubeconfig "$KC" --format json
n="fully qualified names: no discovery is fetched again once cached ($(grep -c '^GET /api' "$SCRATCH/requests") discovery requests)"
if [ "$(grep -cE '^GET /apis?(\?|$)' "$SCRATCH/requests")" = 0 ]; then ok "$n"; else not_ok "$n" "$SCRATCH/requests"; fi

# ---- faults: nothing read is exit 2 with one line; fail fast ----
# fault NAME DIRECTIVE WANT-ERE [ARGS...]: check --live exits 2 with one line matching WANT-ERE,
# within the --timeout of 4 s, and a second to start meshmedic and kubectl and to end and reap them
# (measured 100-200 ms over on a 2-core machine at load 18; reset, eof and slow run to the timeout)
fault() {
	local name=$1 directive=$2 want=$3
	shift 3
	echo "$directive" >"$FAULTS"
	local t0 t1
	t0=$(date +%s%N)
	mm check --live --kubeconfig "$KC" --timeout 4 "$@"
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	local n="fault $name: exit 2, one line ($ms ms)"
	if [ "$st" = 2 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && grep -qE -- "$want" "$SCRATCH/err" &&
		[ ! -s "$SCRATCH/out" ] && [ "$ms" -le 5000 ]; then ok "$n"; else not_ok "$n" "$(why)"; fi
	: >"$FAULTS"
}
start_kube "$SNAPS/healthy"
fault 401 "status 401" 'unauthorized: the cluster rejected your credentials'
fault "403 on every kind" "forbid namespaces pods services endpoints configmaps events deployments statefulsets daemonsets mutatingwebhookconfigurations virtualservices destinationrules gateways serviceentries sidecars envoyfilters peerauthentications authorizationpolicies requestauthentications telemetries" 'nothing could be read from the cluster: forbidden: your credentials cannot list'
fault 500 "status 500" 'nothing could be read from the cluster: .*(an error on the server|InternalError)'
fault "500 on lists" "status-lists 500" 'nothing could be read from the cluster: '
fault garbage "garbage" 'nothing could be read from the cluster: .*invalid character'
fault "garbage lists" "garbage-lists" 'nothing could be read from the cluster: '
# kubectl retries a reset silently; its cause may come after our timeout (then that is named)
fault reset "reset" 'cluster unreachable: .*(reset|EOF)|timed out after 4 s: kubectl get'
fault eof "eof" 'cluster unreachable: .*EOF|timed out after 4 s: kubectl get'
fault slow "slow 6000" 'cluster unreachable: |timed out after 4 s: kubectl get'
fault "unknown context" "" 'kubeconfig: .*context' --context bogus

echo "no-crds" >"$FAULTS"
mm check --live --kubeconfig "$KC" --format json
n="missing CRDs: the Istio kinds are skipped as not installed, the rest is checked"
if [ "$st" -le 1 ] && jq -e '[.skipped[].reason] | any(test("CRDs installed"))' "$SCRATCH/out" >/dev/null; then
	ok "$n"; else not_ok "$n" "$(why)"; fi
: >"$FAULTS"

# the limit of objects per snapshot holds for the live source too (the test lowers it)
start_kube "$SNAPS/healthy" -p 60
MESHMEDIC_TEST_OBJECT_LIMIT=50 mm check --live --kubeconfig "$KC" --format json
n="over the object limit: check --live refuses the cluster with one line naming the limit, exit 2"
if [ "$st" = 2 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && [ ! -s "$SCRATCH/out" ] &&
	grep -q 'more than 50 objects (the limit of objects per snapshot)' "$SCRATCH/err"; then ok "$n"; else not_ok "$n" "$(why)"; fi
MESHMEDIC_TEST_OBJECT_LIMIT=50 mm snapshot -o "$SCRATCH/over-limit" --kubeconfig "$KC"
n="over the object limit: snapshot refuses with one line naming the limit, exit 2, nothing written"
if [ "$st" = 2 ] && grep -q 'more than 50 objects (the limit of objects per snapshot): nothing written' "$SCRATCH/err" &&
	[ "$(grep -vc '^snapshot: ' "$SCRATCH/err")" = 1 ] && [ ! -e "$SCRATCH/over-limit" ]; then ok "$n"; else not_ok "$n" "$(why)"; fi
MESHMEDIC_TEST_OBJECT_LIMIT=100000 mm check --live --kubeconfig "$KC" --format json
n="under the object limit: the same cluster is checked"
if [ "$st" -le 1 ] && jq -e '.findings' "$SCRATCH/out" >/dev/null; then ok "$n"; else not_ok "$n" "$(why)"; fi

# a dead cluster: a closed port
stop_kube
kubeconfig 1
for cmd in "check --live" "run 503 --batch --live --set service=reviews --set namespace=default" "onboard --batch --live -n default"; do
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	mm $cmd --kubeconfig "$KC" --timeout 3
	ms=$((($(date +%s%N) - t0) / 1000000))
	n="dead cluster: ${cmd%% *} exits 2 with one message, within --timeout ($ms ms)"
	if [ "$st" = 2 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && grep -q 'cluster unreachable: ' "$SCRATCH/err" &&
		[ "$ms" -le 3000 ]; then ok "$n"; else not_ok "$n" "$(why)"; fi
done

# ---- signals: nothing left running ----
start_kube "$SNAPS/healthy"
echo "slow 5000" >"$FAULTS"
for sig in INT TERM HUP; do
	for cmd in "check --live" "snapshot -o $SCRATCH/sig-snap" "run 503 --batch --live --set service=reviews --set namespace=default"; do
		# shellcheck disable=SC2086
		setsid "$MESHMEDIC" $cmd --kubeconfig "$KC" --timeout 30 >/dev/null 2>&1 &
		pid=$!
		i=0
		while ! pgrep -f -- "--kubeconfig $KC" -P "$pid" >/dev/null 2>&1 && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
		sleep 0.3
		kill -"$sig" "$pid"
		wait "$pid" 2>/dev/null || true
		sleep 0.3
		left=$(ps -eo pid=,args= | grep -F -- "--kubeconfig $KC" | grep -v grep | grep -c kubectl || true)
		n="SIG$sig during ${cmd%% *}: no kubectl left running"
		if [ "$left" = 0 ]; then ok "$n"; else ps -eo pid,args | grep -F -- "$KC" >"$SCRATCH/ps"; not_ok "$n" "$SCRATCH/ps"; fi
	done
done
: >"$FAULTS"
done_testing
