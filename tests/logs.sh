#!/bin/bash
# `meshmedic logs` on access log fixtures: each folder under tests/logs is a case.
#   access.log  the log (the default arguments are: logs @CASE@/access.log)
#   args        other arguments, one per line (@CASE@ is the case folder, @TOP@ the source tree)
#   stdin       fed to the program (else /dev/null)
#   text, json, markdown
#               the expected standard output with --format text, json or markdown; the
#               case runs once per file present
#   status      the expected exit status (0 when absent), the same in every format
#   stderr      the expected standard error (compared in every run)
# In outputs the case folder reads @CASE@ and the source tree @TOP@.
. "$TOP_SRCDIR/tests/lib.sh"

for dir in "$TOP_SRCDIR"/tests/logs/*/; do
	dir=${dir%/}
	name=logs/${dir##*/}
	args=(logs)
	if [ -f "$dir/args" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line//@CASE@/$dir}
			args+=("${line//@TOP@/$TOP_SRCDIR}")
		done <"$dir/args"
	else
		args+=("$dir/access.log")
	fi
	input=/dev/null
	[ -f "$dir/stdin" ] && input=$dir/stdin
	want=0
	[ -f "$dir/status" ] && want=$(cat "$dir/status")
	formats=()
	for format in text json markdown; do [ -f "$dir/$format" ] && formats+=("$format"); done
	[ ${#formats[@]} -gt 0 ] || formats=(text)
	for format in "${formats[@]}"; do
		status=0
		"$MESHMEDIC" "${args[@]}" --format "$format" <"$input" >"$SCRATCH/out" 2>"$SCRATCH/err" ||
			status=$?
		sed -i -e "s|$dir|@CASE@|g" -e "s|$TOP_SRCDIR|@TOP@|g" "$SCRATCH/out" "$SCRATCH/err"
		# one file each: the exit status, then the outputs the case gives
		{
			echo "exit status $want"
			[ ! -f "$dir/$format" ] || cat "$dir/$format"
			[ ! -f "$dir/stderr" ] || cat "$dir/stderr"
		} >"$SCRATCH/want"
		{
			echo "exit status $status"
			[ ! -f "$dir/$format" ] || cat "$SCRATCH/out"
			[ ! -f "$dir/stderr" ] || cat "$SCRATCH/err"
		} >"$SCRATCH/got"
		check "$name ($format)" "$SCRATCH/want" "$SCRATCH/got"
	done
done

# --pod through the live source: the stand-in kubectl of tests/data/fake-bin answers
BIN=$SCRATCH/bin
mkdir -p "$BIN"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
chmod +x "$BIN"/*
export FAKE_LOG=$SCRATCH/argv.log
unset FAKE_KUBECTL_MODE FAKE_ISTIOCTL_MODE FAKE_FORBID FAKE_MISSING
: >"$FAKE_LOG"
status=0
PATH=$BIN:$PATH "$MESHMEDIC" logs --live --pod productpage-v1 -n default >"$SCRATCH/out" 2>&1 ||
	status=$?
n="logs --live --pod reads the pod's istio-proxy log through kubectl logs"
if [ "$status" = 0 ] && grep -q '^2 lines: 0 access log entries' "$SCRATCH/out" &&
	grep -qxF 'kubectl logs productpage-v1 -n default -c istio-proxy --tail 2000 --request-timeout=9s' "$FAKE_LOG"; then
	ok "$n"
else
	cat "$FAKE_LOG" >>"$SCRATCH/out"
	not_ok "$n" "$SCRATCH/out"
fi
status=0
FAKE_FORBID=pods/log PATH=$BIN:$PATH "$MESHMEDIC" logs --live --pod productpage-v1 -n default \
	>"$SCRATCH/out" 2>&1 || status=$?
n="logs --live --pod: a Forbidden log is one line on stderr, exit 2"
if [ "$status" = 2 ] && [ "$(wc -l <"$SCRATCH/out")" = 1 ] && grep -q 'pods/log' "$SCRATCH/out"; then
	ok "$n"
else
	not_ok "$n" "$SCRATCH/out"
fi

# ---- --prometheus and --envoy-admin, against the stand-in HTTP server (tests/fake-http) ----
: "${FAKE_HTTP:?run through make check (FAKE_HTTP is not set)}"
HTTP=$TOP_SRCDIR/tests/data/http
: >"$SCRATCH/servers"
trap 'kill $(cat "$SCRATCH/servers") 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# serve DIR: start a server on the recorded answers of tests/data/http/DIR; print its base URL.
serve() {
	local portfile=$SCRATCH/port.$1 i
	"$FAKE_HTTP" "$HTTP/$1" "$portfile" >/dev/null 2>&1 &
	echo "$!" >>"$SCRATCH/servers"
	for i in $(seq 200); do [ -s "$portfile" ] && break; sleep 0.05; done
	echo "http://127.0.0.1:$(cat "$portfile")"
}
OK_URL=$(serve ok)
BAD_URL=$(serve bad)
# a port where nothing listens any more: refused
DEAD_URL=$(serve prom-empty)
kill "$(tail -n 1 "$SCRATCH/servers")"
sleep 0.1

# walk NAME WANT-STATUS PATTERN... -- ARGS...: run a batch walk; its output must hold every pattern
# (fixed strings), and it must end within 8 seconds
walk() {
	local name=$1 want=$2 status=0 start end p
	shift 2
	local patterns=()
	while [ "$1" != -- ]; do patterns+=("$1"); shift; done
	shift
	start=$(date +%s)
	"$MESHMEDIC" run --batch "$@" >"$SCRATCH/out" 2>&1 || status=$?
	end=$(date +%s)
	echo "exit $status in $((end - start)) s" >>"$SCRATCH/out"
	for p in "${patterns[@]}"; do
		grep -qF -- "$p" "$SCRATCH/out" || { echo "missing: $p" >>"$SCRATCH/out"; status=x; }
	done
	if [ "$status" = "$want" ] && [ $((end - start)) -lt 8 ]; then ok "$name"; else not_ok "$name" "$SCRATCH/out"; fi
}
SHOP=(--set namespace=shop --set service=reviews)
SNAP=$TOP_SRCDIR/tests/data/snapshots

# the log probes that cannot tell leave the question to the person, with the reason
walk "431 with access logging off: no 431 line proves nothing, log-431 is asked" 1 \
	"the walk stopped at 431:log-431" \
	"but access logging is not known to be on for shop/catalog-1: Telemetry/shop/no-access-log turns outbound access logging off" -- \
	431 --snapshot "$SNAP/logs-431-logging-off" -n shop --set service=catalog
# no conclusion from silence: the 503 flag question with a log that holds no access log entry
walk "503, empty log, logging not known to be on: the flag question stays open, with why" 1 \
	"the walk stopped at 503:flag" \
	"access logging is not known to be on for shop/cart-1: no meshConfig accessLogFile, no Telemetry accessLogging, and the log holds no access log entry" -- \
	503 --snapshot "$SNAP/logs-503-logging-unknown" -n shop --set service=catalog
walk "503, the same log under meshConfig accessLogFile: nolog, with the setting as evidence" 1 \
	"-> nolog  There is no 503 line at all in this log  [probe]" \
	"access logging is on: shop/cart-1: meshConfig accessLogFile is /dev/stdout" "the walk stopped at 503:nolog-overflow" -- \
	503 --snapshot "$SNAP/logs-503-logging-meshconfig" -n shop --set service=catalog
walk "503, the same log under a mesh-wide Telemetry: nolog" 1 \
	"-> nolog  There is no 503 line at all in this log  [probe]" \
	"access logging is on: shop/cart-1: Telemetry/istio-system/mesh-default logs outbound requests with provider envoy (/dev/stdout)" -- \
	503 --snapshot "$SNAP/logs-503-logging-telemetry" -n shop --set service=catalog --set pod=cart-1
walk "503, a workload Telemetry with disabled: true overrides the mesh-wide one: the flag stays open" 1 \
	"the walk stopped at 503:flag" "Telemetry/shop/cart-no-log turns outbound access logging off" -- \
	503 --snapshot "$SNAP/logs-503-logging-disabled" -n shop --set service=catalog --set pod=cart-1
walk "503, the caller waits for its proxy (hook injected): the start-up race is ruled out" 1 \
	"-> yes  Yes, the application waits for the proxy  [probe]" \
	"istio-proxy has the postStart hook 'pilot-agent wait'" "the walk stopped at 503:nolog-dr-change" -- \
	503 --snapshot "$SNAP/logs-503-hold" -n shop --set service=catalog --set pod=cart-1 --answer nolog-overflow=no
walk "503, the annotation without the hook (injected before): the start-up question is asked" 1 \
	"-> no  No, or not sure  [probe]" "the pod was injected before the setting and must be restarted" \
	"the walk stopped at 503:nolog-startup" -- \
	503 --snapshot "$SNAP/logs-503-hold-not-injected" -n shop --set service=catalog --set pod=cart-1 --answer nolog-overflow=no
walk "503 on Istio 1.6: no holdApplicationUntilProxyStarts yet, the start-up question is asked" 1 \
	"Istio 1.6.8: holdApplicationUntilProxyStarts exists only from 1.7 on" "the walk stopped at 503:nolog-startup" -- \
	503 --snapshot "$SNAP/logs-headless-1.6" -n shop --set service=db --set pod=cart-1 --answer flag=nolog --answer nolog-overflow=no
walk "426 without a pod whose log can be read: caller-version is asked" 1 \
	"the walk stopped at 426:caller-version" "probe log-426-version: no istio-proxy log could be read: " -- \
	426 --snapshot "$SNAP/healthy" -n shop --set service=catalog --answer caller-client=no

walk "503 with --prometheus and no cluster state: the flag comes from Prometheus" 0 \
	"UO on 213 of 220 failing requests to reviews in Prometheus' istio_requests_total of the last 15m (also 7 UF)" \
	"the access logs: Pods: no cluster state (give --snapshot PATH or --live)" \
	"DIAGNOSIS  circuit-breaker-overflow" -- 503 "${SHOP[@]}" --prometheus "$OK_URL" --answer control-plane=healthy
walk "503 on a snapshot whose logs hold no failing line: Prometheus' UO decides" 0 \
	"UO on 213 of 220 failing requests to catalog in Prometheus'" \
	"the access logs: 12 access log lines about catalog in the logs of the sidecars in shop, none failing" \
	"DIAGNOSIS  circuit-breaker-overflow" -- \
	503 --snapshot "$SNAP/logs-no-failures" -n shop --set service=catalog --prometheus "$OK_URL"
walk "503 on a snapshot with failing lines: the logs answer, Prometheus is not asked" 0 \
	"UO on 25 of 25 failing requests to catalog in the logs of the sidecars in shop" "DIAGNOSIS  circuit-breaker-overflow" -- \
	503 --snapshot "$SNAP/logs-circuit-breaker" -n shop --set service=catalog --prometheus "$DEAD_URL"
walk "503 on a snapshot whose logs hold no failing line, Prometheus refused: nolog stands, with why" 1 \
	"-> nolog  There is no 503 line at all in this log  [probe]" \
	"Prometheus at $DEAD_URL: connection refused" "the walk stopped at 503:nolog-overflow" -- \
	503 --snapshot "$SNAP/logs-no-failures" -n shop --set service=catalog --prometheus "$DEAD_URL"
QUIET_URL=$(serve prom-quiet)
walk "503 with both: no failing request in Prometheus, then the --envoy-admin port's overflow counters" 0 \
	"nolog  There is no 503 line at all in this log  [probe]" \
	"4222 requests to reviews in Prometheus' istio_requests_total of the last 15m, none failing" \
	"Envoy of the --envoy-admin port: 40 x upstream_rq_pending_overflow for reviews.shop.svc.cluster.local" \
	"DIAGNOSIS  circuit-breaker-overflow" -- \
	503 "${SHOP[@]}" --prometheus "$QUIET_URL" --envoy-admin "$OK_URL" --answer control-plane=healthy
walk "503 with --envoy-admin alone: no pod needed, the port answers" 0 \
	"DIAGNOSIS  circuit-breaker-overflow" -- \
	503 "${SHOP[@]}" --envoy-admin "$OK_URL" --answer control-plane=healthy --answer flag=nolog

# every fault ends the walk at the question, with the reason; exit 1 (the question is pending)
for fault in "refused|$DEAD_URL|connection refused (nothing listens there)" \
	"timeout|$(serve prom-slow)|no answer within 1.0 s" "500|$(serve prom-500)|HTTP 500" \
	"malformed JSON|$(serve prom-malformed)|the answer is not JSON" \
	"an error answer|$BAD_URL|not a successful vector answer"; do
	IFS='|' read -r what url why <<<"$fault"
	walk "--prometheus, $what: the flag question is asked, both reasons named" 1 \
		"UNDETERMINED  the walk stopped at 503:flag, which nobody answered" \
		"probe log-flag: Pods: no cluster state (give --snapshot PATH or --live); Prometheus at $url: $why" -- \
		503 "${SHOP[@]}" --timeout 1 --prometheus "$url" --answer control-plane=healthy
done
walk "--envoy-admin refused: the overflow question is asked" 1 \
	"the walk stopped at 503:nolog-overflow" "probe envoy-overflow: Envoy admin stats of the --envoy-admin port: " \
	"connection refused" -- 503 "${SHOP[@]}" --envoy-admin "$DEAD_URL" --answer control-plane=healthy --answer flag=nolog
walk "--envoy-admin timeout: ends at --timeout" 1 \
	"the walk stopped at 503:nolog-overflow" "/stats?format=json: no answer within 1.0 s" -- \
	503 "${SHOP[@]}" --timeout 1 --envoy-admin "$BAD_URL" --answer control-plane=healthy --answer flag=nolog
walk "--envoy-admin HTTP 500: the LIVE question is asked" 1 \
	"the walk stopped at crash:proxy-live" "/server_info: HTTP 500" -- \
	crash --set namespace=shop --set pod=web-1 --envoy-admin "$BAD_URL" --answer control-plane=healthy \
	--answer container=proxy --answer proxy-cause=other
walk "--envoy-admin closes without answering: the endpoints question is asked" 1 \
	"the walk stopped at 503:uh-envoy" "closed without an answer" -- \
	503 "${SHOP[@]}" --envoy-admin "$BAD_URL" --answer control-plane=healthy --answer flag=UH \
	--answer uh-subset=no --answer uh-target-port=none --answer uh-endpoints=yes
walk "--envoy-admin malformed JSON: the header limit question is asked" 1 \
	"the walk stopped at 431:limit-live" "/config_dump: not a JSON object" -- \
	431 "${SHOP[@]}" --envoy-admin "$BAD_URL" --answer control-plane=healthy --answer limit-patch=raised

# the other commands: check needs cluster state, logs and snapshot go on as without the options
status=0
"$MESHMEDIC" check --prometheus "$OK_URL" --envoy-admin "$OK_URL" >"$SCRATCH/out" 2>&1 || status=$?
n="check with only --prometheus/--envoy-admin: a usage error naming what is missing"
if [ "$status" = 2 ] && grep -qF 'no cluster state: give --snapshot PATH or --live (--envoy-admin and --prometheus only answer a flow' "$SCRATCH/out"
then ok "$n"; else not_ok "$n" "$SCRATCH/out"; fi
status=0
"$MESHMEDIC" check --snapshot "$SNAP/logs-subset-undefined" --prometheus "$DEAD_URL" >"$SCRATCH/out" 2>&1 || status=$?
n="check --snapshot with --prometheus: the same findings"
if [ "$status" = 1 ] && grep -q 'subset-undefined' "$SCRATCH/out"; then ok "$n"; else not_ok "$n" "$SCRATCH/out"; fi
status=0
"$MESHMEDIC" logs "$SNAP/logs-circuit-breaker/logs/shop/cart-1/istio-proxy.log" --prometheus "$DEAD_URL" \
	--envoy-admin "$DEAD_URL" >"$SCRATCH/out" 2>&1 || status=$?
n="logs FILE with --prometheus/--envoy-admin: the tally, exit 0"
if [ "$status" = 0 ] && grep -q 'circuit-breaker-overflow' "$SCRATCH/out"; then ok "$n"; else not_ok "$n" "$SCRATCH/out"; fi
status=0
FAKE_LOG=$SCRATCH/argv.log PATH=$BIN:$PATH "$MESHMEDIC" snapshot -o "$SCRATCH/snap" --envoy-admin "$DEAD_URL" \
	--prometheus "$DEAD_URL" >"$SCRATCH/out" 2>&1 || status=$?
n="snapshot with --prometheus/--envoy-admin: written as without them"
if [ "$status" = 0 ] && [ -s "$SCRATCH/snap/resources.json" ]; then ok "$n"; else not_ok "$n" "$SCRATCH/out"; fi
done_testing
