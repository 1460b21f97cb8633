#!/bin/bash
# Port-forwards meshmedic starts and stops itself, against the stand-in kubectl
# (tests/data/fake-bin) and HTTP server (tests/fake-http): proxy-status from
# istiod's /debug/syncz when istioctl is missing, and snapshot --envoy.
. "$TOP_SRCDIR/tests/lib.sh"

DRIVER=$(dirname "$MESHMEDIC")/tests/unit/test-live
[ -x "$DRIVER" ] || skip_all "tests/unit/test-live is not built"
[ -x "${FAKE_HTTP:-}" ] || skip_all "tests/fake-http is not built"

BIN=$SCRATCH/bin KONLY=$SCRATCH/kubectl-only
mkdir -p "$BIN" "$KONLY" "$SCRATCH/http" "$SCRATCH/admin"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$TOP_SRCDIR/tests/data/fake-bin/istioctl" "$BIN/"
cp "$TOP_SRCDIR/tests/data/fake-bin/kubectl" "$KONLY/"
chmod +x "$BIN"/* "$KONLY"/*
# the tools the stand-in uses, without any istioctl the machine may have
for t in sh cat sleep rm printf mktemp tr sed grep; do ln -sf "$(command -v $t)" "$KONLY/$t"; done
export FAKE_LOG=$SCRATCH/argv.log FAKE_PIDS=$SCRATCH/pids
unset FAKE_KUBECTL_MODE FAKE_ISTIOCTL_MODE FAKE_FORBID FAKE_MISSING FAKE_FORBID_ALL
OUT=$SCRATCH/out

# gone: every process the stand-ins recorded has ended (zombies count as gone), within 2 s
gone() {
	local tries=0 p left
	while :; do
		left=
		for p in $(cat "$FAKE_PIDS"); do
			kill -0 "$p" 2>/dev/null || continue
			[ "$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)" = Z ] || left="$left $p"
		done
		[ -z "$left" ] && return 0
		tries=$((tries + 1))
		[ "$tries" -lt 20 ] || return 1
		sleep 0.1
	done
}

# ---- proxy-status from /debug/syncz ----
cat >"$SCRATCH/http/debug_syncz.json" <<'EOF'
[{"cluster_id":"Kubernetes","proxy":"productpage-v1-5d9b4c9b4b-abcde.default","istio_version":"1.22.3",
  "cluster_sent":"a","cluster_acked":"a","listener_sent":"b","listener_acked":"b",
  "route_sent":"c","route_acked":"c","endpoint_sent":"d","endpoint_acked":"d"},
 {"proxy":"reviews-v2-7d4b9c8f6d-xyz12.default","istio_version":"1.22.3",
  "cluster_sent":"a","cluster_acked":"a","listener_sent":"b","listener_acked":"b",
  "route_sent":"c2","route_acked":"c1","endpoint_sent":"d","endpoint_acked":"d"}]
EOF
: >"$FAKE_LOG" >"$FAKE_PIDS"
PATH=$KONLY FAKE_HTTP_DIR=$SCRATCH/http "$DRIVER" ps >"$OUT" 2>&1 || true
n="no istioctl: proxy-status read from istiod's /debug/syncz, once"
if grep -qx 'productpage-v1-5d9b4c9b4b-abcde default SYNCED istiod-6cc6c77b8-7xnpr' "$OUT" &&
	grep -qx 'reviews-v2-7d4b9c8f6d-xyz12 default STALE istiod-6cc6c77b8-7xnpr' "$OUT" &&
	[ "$(wc -l <"$OUT")" = 4 ] &&
	[ "$(grep -c '^kubectl port-forward -n istio-system --address 127.0.0.1 pod/istiod-6cc6c77b8-7xnpr :15014$' "$FAKE_LOG")" = 1 ]; then
	ok "$n"; else { cat "$OUT" "$FAKE_LOG"; } >"$SCRATCH/why"; not_ok "$n" "$SCRATCH/why"; fi
n="no istioctl: the port-forward to istiod is stopped"
if gone; then ok "$n"; else not_ok "$n"; fi

# snapshot without istioctl: syncz's answer is the snapshot's proxy-status.txt, which reads back
: >"$FAKE_LOG" >"$FAKE_PIDS"
st=0
PATH=$KONLY FAKE_HTTP_DIR=$SCRATCH/http "$MESHMEDIC" snapshot -o "$SCRATCH/snap-syncz" >"$OUT" 2>&1 || st=$?
n="snapshot without istioctl: proxy-status.txt written from istiod's /debug/syncz"
if [ "$st" = 0 ] && [ -s "$SCRATCH/snap-syncz/proxy-status.txt" ] &&
	grep -qx "snapshot: proxy-status: 2 proxies (from istiod's /debug/syncz: istioctl not found)" "$OUT" &&
	! "$JQ" -e '.unavailable["proxy-status"]' "$SCRATCH/snap-syncz/meta.json" >/dev/null 2>&1 && gone; then
	ok "$n"; else { echo "exit $st"; cat "$OUT" "$SCRATCH/snap-syncz/meta.json"; } >"$SCRATCH/why"; not_ok "$n" "$SCRATCH/why"; fi
st=0
"$MESHMEDIC" check --snapshot "$SCRATCH/snap-syncz" --format json >"$OUT" 2>&1 || st=$?
n="snapshot without istioctl, checked: the stale proxy of syncz is found; the rows keep istiod and the version"
if [ "$st" = 1 ] &&
	"$JQ" -e '[.findings[] | select(.diagnosis == "proxy-config-stale" and .resource == "Pod/default/reviews-v2-7d4b9c8f6d-xyz12")] | length == 1' "$OUT" >/dev/null &&
	! "$JQ" -e '[.skipped[].check] | index("proxy-config-stale")' "$OUT" >/dev/null &&
	grep -q '^reviews-v2-7d4b9c8f6d-xyz12\.default  .*  STALE  .*  istiod-6cc6c77b8-7xnpr   1\.22\.3$' "$SCRATCH/snap-syncz/proxy-status.txt"; then
	ok "$n"; else { echo "exit $st"; cat "$OUT" "$SCRATCH/snap-syncz/proxy-status.txt"; } >"$SCRATCH/why"; not_ok "$n" "$SCRATCH/why"; fi

# the xDS form (ClientConfig), as newer istiod answers
cat >"$SCRATCH/http/debug_syncz.json" <<'EOF'
{"resources":[{"@type":"type.googleapis.com/envoy.service.status.v3.ClientConfig",
 "node":{"id":"productpage-v1-5d9b4c9b4b-abcde.default","metadata":{"NAMESPACE":"default","ISTIO_VERSION":"1.24.1"}},
 "genericXdsConfigs":[{"typeUrl":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration","configStatus":"ERROR"}]}],
 "controlPlane":{"identifier":"{\"ID\":\"istiod-6cc6c77b8-7xnpr\"}"}}
EOF
: >"$FAKE_PIDS"
PATH=$KONLY FAKE_HTTP_DIR=$SCRATCH/http "$DRIVER" ps >"$OUT" 2>&1 || true
n="no istioctl: syncz in the ClientConfig form"
if grep -qx 'productpage-v1-5d9b4c9b4b-abcde default ERROR istiod-6cc6c77b8-7xnpr' "$OUT"; then ok "$n"
else not_ok "$n" "$OUT"; fi

echo 'not json' >"$SCRATCH/http/debug_syncz.json"
PATH=$KONLY FAKE_HTTP_DIR=$SCRATCH/http "$DRIVER" ps >"$OUT" 2>&1 || true
n="no istioctl, syncz garbage: unavailable, with istioctl's absence and istiod's answer named"
if grep -q '^unavailable: istioctl not found on PATH, and istiod istio-system/istiod-6cc6c77b8-7xnpr /debug/syncz: not istiod.s syncz' "$OUT"; then ok "$n"
else not_ok "$n" "$OUT"; fi

: >"$FAKE_PIDS"
PATH=$KONLY FAKE_KUBECTL_MODE=hang "$DRIVER" -t 1 ps >"$OUT" 2>&1 || true
n="no istioctl, port-forward never listens: ends at the timeout, nothing left"
if grep -q 'unavailable: istioctl not found on PATH' "$OUT" && gone; then ok "$n"; else not_ok "$n" "$OUT"; fi

# ---- snapshot --envoy ----
echo '{"state":"LIVE","version":"abc/1.30.2/Clean/RELEASE/BoringSSL"}' >"$SCRATCH/admin/server_info.json"
echo '{"cluster_statuses":[{"name":"outbound|9080||reviews.default.svc.cluster.local","host_statuses":[]}]}' >"$SCRATCH/admin/clusters.json"
echo '{"stats":[{"name":"cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_pending_overflow","value":3}]}' >"$SCRATCH/admin/stats.json"
echo '{"configs":[]}' >"$SCRATCH/admin/config_dump.json"
: >"$FAKE_LOG" >"$FAKE_PIDS"
st=0
PATH=$BIN:$PATH FAKE_HTTP_DIR=$SCRATCH/admin "$MESHMEDIC" snapshot -o "$SCRATCH/snap" --envoy \
	>"$OUT" 2>&1 || st=$?
n="snapshot --envoy: four documents of each running proxy, in envoy/NS/POD/DOC.json"
files=$(cd "$SCRATCH/snap" && find envoy -type f | sort | tr '\n' ' ')
want="envoy/default/productpage-v1-5d9b4c9b4b-abcde/clusters.json envoy/default/productpage-v1-5d9b4c9b4b-abcde/config_dump.json envoy/default/productpage-v1-5d9b4c9b4b-abcde/server_info.json envoy/default/productpage-v1-5d9b4c9b4b-abcde/stats.json envoy/default/reviews-v2-7d4b9c8f6d-xyz12/clusters.json envoy/default/reviews-v2-7d4b9c8f6d-xyz12/config_dump.json envoy/default/reviews-v2-7d4b9c8f6d-xyz12/server_info.json envoy/default/reviews-v2-7d4b9c8f6d-xyz12/stats.json "
if [ "$st" = 0 ] && [ "$files" = "$want" ] &&
	grep -qx 'snapshot: envoy: 8 admin documents from 2 proxies, 0 failed, 0 proxies over the limit of 100 skipped' "$OUT"; then
	ok "$n"; else { echo "exit $st: $files"; cat "$OUT"; } >"$SCRATCH/why"; not_ok "$n" "$SCRATCH/why"; fi
n="snapshot --envoy: one port-forward per proxy (none to istiod, which has no sidecar), all stopped"
if [ "$(grep -c '^kubectl port-forward .* :15000' "$FAKE_LOG")" = 2 ] && ! grep -q 'pod/istiod' "$FAKE_LOG" && gone; then
	ok "$n"; else not_ok "$n" "$FAKE_LOG"; fi
n="snapshot --envoy: meta.json sums it up; no temporary file left"
if [ "$("$JQ" -c .envoy "$SCRATCH/snap/meta.json" 2>/dev/null)" = '{"written":8,"pods":2,"pods_skipped":0,"failed":{}}' ] &&
	[ -z "$(find "$SCRATCH/snap" -name '*.tmp')" ]; then ok "$n"; else not_ok "$n" "$SCRATCH/snap/meta.json"; fi
n="snapshot --envoy: the documents are the admin API's answers, and the snapshot reads back"
st=0
"$MESHMEDIC" check --snapshot "$SCRATCH/snap" >"$OUT" 2>&1 || st=$?
if [ "$st" -lt 2 ] && [ "$("$JQ" -r .state "$SCRATCH/snap/envoy/default/reviews-v2-7d4b9c8f6d-xyz12/server_info.json")" = LIVE ] &&
	cmp -s <("$JQ" -S . "$SCRATCH/admin/stats.json") <("$JQ" -S . "$SCRATCH/snap/envoy/default/reviews-v2-7d4b9c8f6d-xyz12/stats.json"); then
	ok "$n"; else not_ok "$n" "$OUT"; fi

: >"$FAKE_LOG"
PATH=$BIN:$PATH FAKE_FORBID=pod/productpage-v1-5d9b4c9b4b-abcde FAKE_HTTP_DIR=$SCRATCH/admin \
	"$MESHMEDIC" snapshot -o "$SCRATCH/snap2" --envoy >"$OUT" 2>&1 || true
n="snapshot --envoy, port-forward forbidden for one pod: recorded in meta.json with the permission, the rest written"
if "$JQ" -e '.envoy.failed["default/productpage-v1-5d9b4c9b4b-abcde/server_info"] | test("pods/portforward")' \
	"$SCRATCH/snap2/meta.json" >/dev/null 2>&1 && [ "$("$JQ" .envoy.written "$SCRATCH/snap2/meta.json")" = 4 ]; then
	ok "$n"; else not_ok "$n" "$SCRATCH/snap2/meta.json"; fi

n="snapshot without --envoy: no admin document, no port-forward"
: >"$FAKE_LOG"
PATH=$BIN:$PATH "$MESHMEDIC" snapshot -o "$SCRATCH/snap3" >/dev/null 2>&1 || true
if [ ! -e "$SCRATCH/snap3/envoy" ] && ! grep -q port-forward "$FAKE_LOG"; then ok "$n"; else not_ok "$n" "$FAKE_LOG"; fi

done_testing
