#!/usr/bin/env python3
"""Write the snapshot fixtures with access logs (names start with "logs-"): the
healthy shop mesh, one fault, and the istio-proxy logs that the log probes
read: the 503 flow's (log-flag on the callers' side, log-server-flag on the
service's own sidecars), the 426 flow's (log-426-version) and the 431 flow's
(log-431, log-431-who, with the ingress gateway's log and the Telemetry or
meshConfig that says whether access logging is on), and the 503 fixtures of
an empty log under each logging setting and of holdApplicationUntilProxyStarts
(logs-503-*). The logs come in every format the parser knows:
Istio's TEXT format of today, of 1.8 and of the Mixer era, JSON encoding,
a custom meshConfig accessLogFormat, kubectl --timestamps prefixes, Envoy's
own messages, truncated and garbage lines.

'expect' lists what `check` finds in the resources (the logs do not change
it). tests/walks/503, 426 and 431 walk these fixtures with no answer for the log questions.
Run from this directory: python3 gen_logs.py
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

# Pods get short names here: a release tarball (tar v7) drops paths longer than 99 bytes, and
# logs/NS/POD/istio-proxy.log under a fixture is long already.
SHORT = {"cart-v1-5c6d7e8f9-aaaaa": "cart-1", "cart-v2-5c6d7e8f9-aaaaa": "cart-2",
         "catalog-v1-5c6d7e8f9-aaaaa": "catalog-1"}
CART1, CART2, CAT1 = "cart-1", "cart-2", "catalog-1"


def shop():
    """base() with the short pod names."""
    items = base()
    for o in items:
        if o["kind"] == "Pod":
            o["metadata"]["name"] = SHORT.get(o["metadata"]["name"], o["metadata"]["name"])
    return items
IP = {"cart": "10.244.1.11", "catalog": "10.244.1.21"}
N = [0]


def entry(code, flags="-", to="catalog", details=None, reason="-", side="outbound", subset="",
          authority=None, cluster=None, proto="HTTP/1.1", fmt="istio", mixer="-", second=0, upstream=None):
    """One access log line of the calling (outbound) or receiving (inbound) sidecar."""
    N[0] += 1
    t = "2026-11-20T09:%02d:%02d.%03dZ" % (second // 60 % 60, second % 60, N[0] % 1000)
    details = details or ("via_upstream" if flags == "-" else "-")
    if cluster is None:
        cluster = ("outbound|9080|%s|%s.shop.svc.cluster.local" % (subset, to) if side == "outbound"
                   else "inbound|9080||")
    authority = authority or "%s:9080" % to
    host = upstream or ("-" if flags in ("UO", "NR", "NC", "UH") else IP[to] + ":9080")
    rid = "6f1c2d3e-0000-4000-8000-%012d" % N[0]
    dur = "0" if flags != "-" else "4"
    if fmt == "json":
        return json.dumps({"start_time": t, "method": "GET", "path": "/api/items", "protocol": proto,
                           "response_code": code, "response_flags": flags, "response_code_details": details,
                           "upstream_transport_failure_reason": reason, "authority": authority,
                           "upstream_host": host, "upstream_cluster": cluster, "duration": int(dur),
                           "route_name": "default", "user_agent": "Go-http-client/1.1"}) + "\n"
    if fmt == "custom":
        return "%s code=%d flags=%s cluster=%s authority=%s path=/api/items\n" % (t, code, flags, cluster, authority)
    mid = {"istio": "%d %s %s - \"%s\"" % (code, flags, details, reason),
           "istio-1.8": "%d %s \"%s\"" % (code, flags, reason),
           "istio-mixer": "%d %s \"%s\" \"%s\"" % (code, flags, mixer, reason)}[fmt]
    return ('[%s] "GET /api/items %s" %s 0 %d %s %s "-" "Go-http-client/1.1" "%s" "%s" "%s" %s '
            '10.244.1.5:40000 10.96.7.80:9080 10.244.1.5:39000 - default\n'
            % (t, proto, mid, 0 if flags != "-" else 512, dur, "-" if flags != "-" else dur, rid, authority, host, cluster))


def lines(n, *args, **kw):
    return "".join(entry(*args, second=i, **kw) for i in range(n))


# What a sidecar writes besides access log entries.
ENVOY = ("2026-11-20T09:00:00.000000Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012\n"
         "[2026-11-20 09:00:01.123][17][warning][config] [external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:152] StreamAggregatedResources gRPC config stream to xds-grpc closed: 13, \n"
         "2026-11-20T09:00:02.000000Z\twarn\tEnvoy proxy is NOT ready: config not received from XDS server\n")
BROKEN = ('[2026-11-20T09:00:03.001Z] "GET /api/items HTTP/1.1" 503 UO upstream_reset_before_res\n'
          "\x00\x01\x02 binary noise \xff\n"
          "garbage line without any structure\n")


def stamped(text):
    """kubectl logs --timestamps: each line prefixed with the time it was read."""
    return "".join("2026-11-20T09:10:00.%09dZ %s\n" % (i, l) for i, l in enumerate(text.splitlines()))


def log(ns, pod, text):
    return {(ns, pod, "istio-proxy"): text}


def uo_pool():
    return dr("catalog", B, "catalog.shop.svc.cluster.local", ["v1"],
              pool={"tcp": {"maxConnections": 1}, "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1}})


# circuit-breaker-overflow: cart calls catalog through a tight connection pool; the log was read with
# --timestamps and holds Envoy's own messages, a truncated entry and garbage
f = replace(shop(), "DestinationRule", "catalog", uo_pool())
text = ENVOY + lines(30, 200) + lines(25, 503, "UO", details="upstream_reset_before_response_started{overflow}") + BROKEN
write("logs-circuit-breaker", f, [], logs=log(B, CART1, stamped(text)))

# no-route: cart asks for a host and port that nothing routes (404 NR, no upstream cluster)
text = lines(10, 200) + lines(12, 404, "NR", details="route_not_found", cluster="-", authority="catalog:9090")
write("logs-no-route", shop(), [], logs=log(B, CART1, text))

# upstream-connect-failure: JSON-encoded logs (meshConfig accessLogEncoding: JSON), catalog -> cart refused
f = shop(); f = replace(f, "ConfigMap", "istio", cm_mesh("enableAutoMtls: true\naccessLogFile: /dev/stdout\naccessLogEncoding: JSON\n"))
text = (lines(20, 200, to="cart", subset="v1", fmt="json") +
        lines(15, 503, "UF,URX", to="cart", subset="v1", fmt="json",
              details="upstream_reset_before_response_started{connection_failure}", reason="delayed connect error: 111"))
write("logs-connect-failure", f, [], logs=log(B, CAT1, text))

# no-healthy-upstream: catalog's only pod is not ready; a custom meshConfig accessLogFormat
CUSTOM = "%START_TIME% code=%RESPONSE_CODE% flags=%RESPONSE_FLAGS% cluster=%UPSTREAM_CLUSTER% authority=%REQ(:AUTHORITY)% path=%REQ(:PATH)%\n"
f = [o for o in shop() if not (o["kind"] == "Pod" and o["metadata"]["name"] == CAT1)]
f.append(pod(CAT1, B, {"app": "catalog", "version": "v1"}, ready=False))
f = replace(f, "ConfigMap", "istio", cm_mesh("enableAutoMtls: true\naccessLogFile: /dev/stdout\naccessLogFormat: |\n  " + CUSTOM))
write("logs-no-healthy-upstream", f, [], logs=log(B, CART1, lines(18, 503, "UH", fmt="custom") + lines(2, 200, fmt="custom")))

# the walks that used to be answered by hand: the same faults, now with the callers' logs
f = replace(shop(), "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"], tls="DISABLE"))
write("logs-dr-tls-conflict", f, ["dr-tls-conflict DestinationRule/shop/cart"],
      logs=log(B, CAT1, lines(20, 503, "UF,URX", to="cart", subset="v1", details="upstream_reset_before_response_started{connection_termination}")))

f = shop(); f[f.index(next(o for o in f if o["kind"] == "ConfigMap"))] = cm_mesh("enableAutoMtls: false\n")
f = replace(f, "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"]))
write("logs-dr-tls-auto-mtls-off", f,
      ["dr-tls-conflict DestinationRule/shop/cart", "dr-tls-conflict DestinationRule/shop/catalog"],
      logs=log(B, CART1, lines(5, 200) + lines(9, 503, "UF,URX", details="upstream_reset_before_response_started{connection_termination}")))

write("logs-proxy-config-stale", shop(), ["proxy-config-stale Pod/shop/" + CAT1],
      ps_override={CAT1: "STALE (5m ago)"},
      logs=log(B, CAT1, lines(7, 503, "UH", to="cart", subset="v1", details="no_healthy_upstream")),
      # the stale proxy still holds healthy endpoints for cart: the trouble is its old routes
      envoy={(B, CAT1, "clusters"): {"cluster_statuses": [
          {"name": "outbound|9080|v1|cart.shop.svc.cluster.local",
           "host_statuses": [{"address": {"socket_address": {"address": "10.244.0.21", "port_value": 9080}},
                              "health_status": {"eds_health_status": "HEALTHY"}}]}]}})

f = replace(shop(), "VirtualService", "cart", vs("cart", B, "cart", [("v1", 50), ("v3", 50)]))
write("logs-subset-undefined", f, ["subset-undefined VirtualService/shop/cart"],
      logs=log(B, CAT1, lines(6, 200, to="cart", subset="v1") +
               lines(6, 503, "NC", to="cart", cluster="-", details="cluster_not_found")))

f = replace(shop(), "DestinationRule", "catalog", dr("catalog", B, "catalog.shop.svc.cluster.local", ["v1", "v9"]))
f.append(vs("catalog", B, "catalog", [("v1", 50), ("v9", 50)]))
write("logs-subset-no-pods", f, ["subset-no-pods DestinationRule/shop/catalog"],
      logs=log(B, CART2, lines(10, 200, subset="v1") + lines(10, 503, "UH", subset="v9", details="no_healthy_upstream")))

# the application answers 503 itself: no flag on either side (the server's log is inbound)
logs = log(B, CART1, lines(8, 503, details="via_upstream"))
logs.update(log(B, CAT1, lines(8, 503, side="inbound", details="via_upstream")))
write("logs-upstream-app-503", shop(), [], logs=logs)

# Istio 1.4 with Mixer: the pre-1.8 format carries the policy status after the flag
f = shop()
for o in f:
    for c in o.get("spec", {}).get("containers", []) + o.get("spec", {}).get("initContainers", []):
        c["image"] = c["image"].replace("1.22.3", "1.4.6")
    for c in o.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        c["image"] = c["image"].replace("1.22.3", "1.4.6")
write("logs-mixer-policy-denied", f, [], version="1.4.6", ps_version="1.4.6",
      logs=log(B, CART1, lines(4, 200, fmt="istio-mixer") +
               lines(5, 503, "UAEX", fmt="istio-mixer", mixer="PERMISSION_DENIED:denyall.rule.shop:not allowed")))

# no failing request at all in the caller's log: the flag question answers "nolog"
write("logs-no-failures", shop(), [], logs=log(B, CART1, lines(12, 200) + ENVOY))

# Istio 1.6: a headless database without a sidecar, which sidecar clients reach with mutual TLS
IP["db"] = "10.244.1.31"
f = shop()
f.append(svc("db", B, {"app": "db"}, port=5432, headless=True))
f.append(pod("db-0", B, {"app": "db"}, sidecar=False, ann={"sidecar.istio.io/inject": "false"}))
write("logs-headless-1.6", f, ["headless-no-sidecar-mtls Service/shop/db", "pod-injection-disabled Pod/shop/db-0"],
      version="1.6.8",
      logs=log(B, CART1, lines(6, 503, "UF,URX", to="db", reason="-",
                               details="upstream_reset_before_response_started{connection_termination}")))


# ---- 426 and 431 ----

def telemetry(name, n, logging, sel=None):
    """A Telemetry resource with an accessLogging list (Istio 1.12 and later)."""
    spec = {"accessLogging": logging}
    if sel:
        spec["selector"] = {"matchLabels": sel}
    return {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": meta(name, n), "spec": spec}


def refused(n, code, details, proto="HTTP/1.1", flags="-", authority=None):
    """Lines of requests Envoy answered itself before routing: no upstream cluster, no host."""
    return lines(n, code, flags, details=details, proto=proto, cluster="-", upstream="-", authority=authority)


# http10-client: cart-1 sends HTTP/1.0 (some requests without a Host header), its sidecar answers 426
text = lines(6, 200) + refused(8, 426, "low_version", proto="HTTP/1.0") + refused(3, 426, "low_version", proto="HTTP/1.0", authority="-")
write("logs-426-http10", shop(), [], logs=log(B, CART1, text))

# the 426 comes from catalog itself over HTTP/1.1: the caller passes it on, the server's sidecar too
logs = log(B, CART1, lines(4, 200) + lines(9, 426, details="via_upstream"))
logs.update(log(B, CAT1, lines(9, 426, side="inbound", details="via_upstream")))
write("logs-426-upstream", shop(), [], logs=logs)

# the ingress gateway, for the 431 fixtures: the path of outside traffic
GW = pod("ingress-1", "istio-system", {"app": "istio-ingressgateway", "istio": "ingressgateway"})
IP["gw"] = "10.244.1.41"

# request-headers-too-large: a big cookie; the gateway's codec refuses the headers (DPE, no route yet)
text = (lines(5, 200, cluster="outbound|9080||catalog.shop.svc.cluster.local", authority="shop.example.com") +
        refused(6, 431, "http1.headers_too_large", flags="DPE", authority="shop.example.com") +
        refused(2, 431, "http1.headers_too_large", flags="DPE", authority="-"))
write("logs-431-size", shop() + [GW], [], logs=log("istio-system", "ingress-1", text))

# request-headers-too-many: cart-1's own sidecar counts more than 100 header fields
write("logs-431-count", shop(), [],
      logs=log(B, CART1, lines(7, 200) + refused(5, 431, "http1.too_many_headers", flags="DPE")))

# app-header-limit: catalog answers 431 itself; both sidecars only pass it on
logs = log(B, CART1, lines(5, 200) + lines(6, 431, details="via_upstream"))
logs.update(log(B, CAT1, lines(6, 431, side="inbound", details="via_upstream")))
write("logs-431-upstream", shop() + [GW], [], logs=logs)

# access logging on mesh-wide through Telemetry, and no 431 on the path: the limit is the application's
f = shop() + [telemetry("mesh-default", "istio-system", [{"providers": [{"name": "envoy"}]}])]
logs = log(B, CART1, lines(10, 200))
logs.update(log(B, CAT1, lines(10, 200, side="inbound")))
write("logs-431-logging-on", f, [], logs=logs)

# access logging off for shop (Telemetry disabled: true): the sidecars write only Envoy's own lines,
# so a missing 431 line proves nothing
f = shop() + [telemetry("no-access-log", B, [{"disabled": True}])]
logs = log(B, CART1, ENVOY)
logs.update(log(B, CAT1, ENVOY))
write("logs-431-logging-off", f, [], logs=logs)


# ---- no conclusion from silence (503): "nolog" only where access logging is known to be on ----

# cart-1's sidecar writes only Envoy's own lines, and nothing turns access logging on: an empty log
# proves nothing, so the flag question is left to the person
write("logs-503-logging-unknown", shop(), [], logs=log(B, CART1, ENVOY))

# the same log with meshConfig accessLogFile: no 503 line means no failing request was logged
f = replace(shop(), "ConfigMap", "istio", cm_mesh("enableAutoMtls: true\naccessLogFile: /dev/stdout\n"))
write("logs-503-logging-meshconfig", f, [], logs=log(B, CART1, ENVOY))

# the same with a mesh-wide Telemetry in the root namespace (provider envoy)
f = shop() + [telemetry("mesh-default", "istio-system", [{"providers": [{"name": "envoy"}]}])]
write("logs-503-logging-telemetry", f, [], logs=log(B, CART1, ENVOY))

# mesh-wide on, but a workload Telemetry turns it off for the cart pods: their silence proves nothing
f = shop() + [telemetry("mesh-default", "istio-system", [{"providers": [{"name": "envoy"}]}]),
              telemetry("cart-no-log", B, [{"providers": [{"name": "envoy"}], "disabled": True}], sel={"app": "cart"})]
write("logs-503-logging-disabled", f, [], logs=log(B, CART1, ENVOY))


def held(p):
    """A pod injected with holdApplicationUntilProxyStarts: istio-proxy first, with the postStart hook."""
    cs = p["spec"]["containers"]
    proxy = next(c for c in cs if c["name"] == "istio-proxy")
    proxy["lifecycle"] = {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
    p["spec"]["containers"] = [proxy] + [c for c in cs if c is not proxy]
    return p


# the callers' applications wait for their sidecar (meshConfig defaultConfig, pods injected since):
# the start-up race is ruled out and the walk goes on to the DestinationRule question
f = replace(shop(), "ConfigMap", "istio",
            cm_mesh("enableAutoMtls: true\naccessLogFile: /dev/stdout\n"
                    "defaultConfig:\n  holdApplicationUntilProxyStarts: true\n"))
f = [held(o) if o["kind"] == "Pod" and o["metadata"]["namespace"] == B else o for o in f]
write("logs-503-hold", f, [], logs=log(B, CART1, lines(12, 200)))

# the annotation asks for it, but cart-1 was injected before (no hook): the race stays possible
f = shop()
for o in f:
    if o["kind"] == "Pod" and o["metadata"]["name"] == CART1:
        o["metadata"]["annotations"] = {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\n"}
write("logs-503-hold-not-injected", f, [], logs=log(B, CART1, lines(12, 200)))
