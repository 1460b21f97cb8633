#!/usr/bin/env python3
"""Write the fixtures of the onboarding checklist (meshmedic onboard -n shop).

onboard-ready is the healthy "shop" mesh of k8s.py, ready for the mesh: every
item passes, or is left to the questions no cluster can answer (http10,
header-case, retries: tests/onboard/default.args answers them). Each other
fixture is onboard-ready plus one fault, named after the item it fails or
warns (onboard-<item>); onboard-variants looks suspicious and is ready.
tests/onboard/<fixture>.expect lists "ITEM STATUS".

Each fixture's 'expect' lists what `meshmedic check` finds in it, one
"DIAGNOSIS RESOURCE" per line (tests/check.sh).
Run from this directory: python3 gen_onboard.py
"""
import copy, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

HASH = "7b8c9d6e5-ccccc"
READY_MESH = "enableAutoMtls: true\ndefaultConfig:\n  holdApplicationUntilProxyStarts: true\n"


def app_pod(app, image=None, sidecar=True, **kw):
    p = pod("%s-v1-%s" % (app, HASH), B, {"app": app, "version": "v1"}, sidecar=sidecar, **kw)
    if image:
        p["spec"]["containers"][0]["image"] = image
    return p


def ports_svc(name, sel, ports, headless=False):
    """A Service with explicit ports: [(name or None, port, protocol)]."""
    s = svc(name, B, sel, headless=headless)
    s["spec"]["ports"] = [dict({"port": p, "targetPort": p, "protocol": proto}, **({"name": n} if n else {}))
                          for n, p, proto in ports]
    return s


def probe(p, path="/healthz", port=9080, kind="livenessProbe"):
    p["spec"]["containers"][0][kind] = {"httpGet": {"path": path, "port": port}, "periodSeconds": 10}
    return p


def ready():
    """The base mesh, ready: the applications wait for their sidecar, probes are rewritten."""
    items = replace(base(), "ConfigMap", "istio", cm_mesh(READY_MESH))
    for o in items:
        if o["kind"] == "Pod" and o["metadata"]["name"].startswith("catalog-"):
            probe(o, "/app-health/catalog/readyz", 15020, "readinessProbe")
    return items


def statefulset(name, labels, service):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, B, labels),
            "spec": {"serviceName": service, "replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": "docker.io/library/postgres:16"}]}}},
            "status": {"replicas": 1, "readyReplicas": 1}}


def telemetry_tracing():
    return {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": meta("mesh-default", "istio-system"),
            "spec": {"tracing": [{"providers": [{"name": "otel-tracing"}], "randomSamplingPercentage": 10}]}}


write("onboard-ready", ready(), [])

# injection: a pod created before the namespace was labelled, still without its sidecar
f = ready() + [svc("reports", B, {"app": "reports"}),
               app_pod("reports", sidecar=False, ts="2026-11-01T08:00:00Z")]
write("onboard-injection", f, ["pod-predates-injection Pod/shop/reports-v1-%s" % HASH])

# port-naming: MySQL on a port without a name, where the sidecar waits for the client to speak first
f = ready() + [ports_svc("orders-db", {"app": "orders-db"}, [(None, 3307, "TCP")]),
               app_pod("orders-db", "docker.io/library/mysql:8.0")]
# check rates the unnamed port as info (IST0118): the sidecar sniffs it
write("onboard-port-naming", f, ["service-port-naming Service/shop/orders-db"])

# http10: nginx in front of the shop, proxying with HTTP/1.0 unless told otherwise
f = ready() + [svc("frontend", B, {"app": "frontend"}),
               app_pod("frontend", "docker.io/library/nginx:1.25")]
write("onboard-http10", f, [])

# headless: a StatefulSet behind a headless Service, with a load-balancer policy that cannot apply
f = ready() + [svc("ledger", B, {"app": "ledger"}, headless=True), statefulset("ledger", {"app": "ledger"}, "ledger")]
p = app_pod("ledger", "docker.io/library/postgres:16")
p["metadata"]["name"] = "ledger-0"
p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "ledger"}]
f.append(p)
lb = dr("ledger", B, "ledger")
lb["spec"]["trafficPolicy"] = {"loadBalancer": {"consistentHash": {"httpHeaderName": "x-account"}}}
f.append(lb)
write("onboard-headless", f, ["headless-lb-policy-ignored DestinationRule/shop/ledger"])

# health-probes: an HTTP liveness probe on a STRICT port, with Istio's rewriting switched off
f = ready() + [svc("inventory", B, {"app": "inventory"}),
               probe(app_pod("inventory", ann={"sidecar.istio.io/rewriteAppHTTPProbers": "false"}))]
write("onboard-health-probes", f, [])

# startup-order: no holdApplicationUntilProxyStarts, and an application that exits at start
f = base()
p = app_pod("recommender", ready=False)
for st in p["status"]["containerStatuses"]:
    if st["name"] == "recommender":
        st.update(restartCount=3, state={"waiting": {"reason": "CrashLoopBackOff"}},
                  lastState={"terminated": {"reason": "Error", "exitCode": 1}})
f += [svc("recommender", B, {"app": "recommender"}), p]
log = "\n".join(["INFO starting recommender",
                 "ERROR fetching settings from http://config.shop:8888: dial tcp 10.96.12.8:8888: connect: connection refused",
                 "FATAL no settings, giving up", ""])
write("onboard-startup-order", f, ["app-exits-before-proxy-ready Pod/shop/recommender-v1-%s" % HASH],
      logs={(B, p["metadata"]["name"], "recommender.previous"): log})

# net-admin: the namespace enforces Pod Security baseline, and there is no CNI plugin
f = replace(ready(), "Namespace", B, ns(B, {"istio-injection": "enabled",
                                            "pod-security.kubernetes.io/enforce": "baseline"}))
write("onboard-net-admin", f, [])

# udp: a syslog receiver on UDP
f = ready() + [ports_svc("syslog", {"app": "syslog"}, [("udp-syslog", 514, "UDP")]),
               app_pod("syslog", "docker.io/balabit/syslog-ng:4.6")]
write("onboard-udp", f, ["non-tcp-protocol Service/shop/syslog"])

# own-tls: a service that serves its own TLS under STRICT mutual TLS
f = ready() + [ports_svc("payments", {"app": "payments"}, [("https-api", 8443, "TCP")]),
               app_pod("payments")]
write("onboard-own-tls", f, [])

# mixed-protocol: a second Service declares cart's HTTP port as TCP
f = ready() + [ports_svc("cart-admin", {"app": "cart"}, [("tcp-admin", 9080, "TCP")])]
write("onboard-mixed-protocol", f, ["mixed-protocol-port Service/shop/cart"])

# retries: retries on every 5xx for catalog's routes (whether its calls may repeat is asked)
v = vs("catalog", B, "catalog", [("v1", 100)])
v["spec"]["http"][0]["retries"] = {"attempts": 3, "retryOn": "5xx,reset"}
write("onboard-retries", ready() + [v], [])

# tracing: the mesh reports spans (whether the applications forward the headers is asked)
write("onboard-tracing", ready() + [telemetry_tracing()], [])

# variants that look suspicious but are ready: the CNI plugin under Pod Security baseline, the
# ingress-nginx controller (HTTP/1.1 to its upstreams), a headless StatefulSet without a
# load-balancer policy, an https port that is PERMISSIVE, tracing switched off
f = replace(ready(), "Namespace", B, ns(B, {"istio-injection": "enabled",
                                            "pod-security.kubernetes.io/enforce": "baseline"}))
f.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("istio-cni-node", "istio-system"),
          "spec": {"selector": {"matchLabels": {"k8s-app": "istio-cni-node"}}}})
f += [svc("edge", B, {"app": "edge"}),
      app_pod("edge", "registry.k8s.io/ingress-nginx/controller:v1.10.0")]
f += [svc("vault", B, {"app": "vault"}, headless=True), statefulset("vault", {"app": "vault"}, "vault")]
p = app_pod("vault", "docker.io/hashicorp/vault:1.15")
p["metadata"]["name"] = "vault-0"
f.append(p)
f += [ports_svc("billing", {"app": "billing"}, [("https-api", 8443, "TCP")]), app_pod("billing")]
perm = pa("billing", B, "STRICT", {"app": "billing"})
perm["spec"]["portLevelMtls"] = {"8443": {"mode": "PERMISSIVE"}}
f.append(perm)
f = replace(f, "ConfigMap", "istio", cm_mesh(READY_MESH + "enableTracing: false\n"))
write("onboard-variants", f, [])
