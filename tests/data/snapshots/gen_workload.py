#!/usr/bin/env python3
"""Write the check fixtures of the crash and connectivity families: the healthy
"shop" mesh of k8s.py with one fault each, and healthy variants that look
suspicious but are fine. Container logs go to logs/NS/POD/CONTAINER[.previous].log.

Each fixture's 'expect' lists the findings `check` must report, one
"DIAGNOSIS RESOURCE" per line. A few fixtures exist for the flow walks of
diagnoses that no detector reports (ingress-no-external-address is one that
does); their expect lists only what check finds.
Run from this directory: python3 gen_workload.py
"""
import copy, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

HASH = "6d5f8c7b9-bbbbb"

def status(p, container, **fields):
    """Set fields of a container's status (containerStatuses, else initContainerStatuses)."""
    for key in ("containerStatuses", "initContainerStatuses"):
        for st in p["status"].get(key, []):
            if st["name"] == container:
                st.update(fields)
                return p
    p["status"].setdefault("initContainerStatuses", []).append(dict(name=container, **fields))
    return p

def container(p, name):
    for key in ("containers", "initContainers"):
        for c in p["spec"].get(key, []):
            if c["name"] == name:
                return c
    raise KeyError(name)

def app_pod(app, ann=None, ready=True, **kw):
    return pod("%s-v1-%s" % (app, HASH), B, {"app": app, "version": "v1"}, ann=ann, ready=ready, **kw)

def terminated(reason, code):
    return {"terminated": {"reason": reason, "exitCode": code,
                           "startedAt": "2026-11-20T08:58:00Z", "finishedAt": "2026-11-20T08:58:03Z"}}

def crashloop(app, restarts, code, ann=None):
    """The base mesh plus a Service and a pod whose application container crash-loops."""
    p = app_pod(app, ann=ann, ready=False)
    status(p, app, restartCount=restarts, lastState=terminated("Error", code),
           state={"waiting": {"reason": "CrashLoopBackOff"}})
    return base() + [svc(app, B, {"app": app}), p], p

def event(name, n, kind, obj, reason, message, typ="Warning"):
    return {"apiVersion": "v1", "kind": "Event", "metadata": meta(name, n),
            "involvedObject": {"kind": kind, "name": obj, "namespace": n},
            "reason": reason, "message": message, "type": typ, "count": 5}

def statefulset(name, n, labels, service):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, n, labels),
            "spec": {"serviceName": service, "replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": "postgres:16"}]}}},
            "status": {"replicas": 1, "readyReplicas": 1}}

def port_svc(name, n, sel, ports, headless=False, typ=None, lb=None):
    """A Service with explicit ports: [(name, port, protocol, nodePort or None)]."""
    s = svc(name, n, sel, headless=headless)
    s["spec"]["ports"] = [dict({"name": pn, "port": p, "targetPort": p, "protocol": proto},
                               **({"nodePort": np} if np else {})) for pn, p, proto, np in ports]
    if typ:
        s["spec"]["type"] = typ
    if lb is not None:
        s["status"] = {"loadBalancer": lb}
    return s

def gateway_pod():
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    p = pod("istio-ingressgateway-7c9d8f6b5-ccccc", "istio-system", labels, sidecar=False)
    p["spec"]["containers"] = [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3"}]
    p["status"]["containerStatuses"] = [{"name": "istio-proxy", "ready": True, "restartCount": 0}]
    return p

def write_ps(name, items):
    """Rewrite proxy-status.txt with a NAME column wide enough for every sidecar pod:
    gateway pods have long names, and native sidecars sit among the init containers."""
    rows = [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in items if o["kind"] == "Pod" and
            any(c["name"] == "istio-proxy" for c in o["spec"]["containers"] + o["spec"].get("initContainers", []))]
    width = max(len(p + "." + n) for p, n in rows) + 3
    rest = ps_row("x", "y")[39:]
    text = "NAME".ljust(width) + PS_HEAD[39:] + "".join((p + "." + n).ljust(width) + rest for p, n in rows)
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name, "proxy-status.txt"), "w").write(text)

GW_PORTS = [("http2", 80, "TCP", 31380), ("https", 443, "TCP", 31390)]

# ---- crash: one fault each ----

f = base()
p = next(o for o in f if o["metadata"]["name"] == "cart-v1-5c6d7e8f9-aaaaa")
status(p, "istio-proxy", restartCount=3, lastState=terminated("Error", 134))
FD_LOG = ("2026-11-20T08:57:59.101Z\twarning\tenvoy main\tcaught SIGABRT\n"
          "[2026-11-20 08:57:59.100][24][critical][assert] [external/envoy/source/common/network/connection_impl.cc:58] "
          "assert failure: fd_ != -1.\n"
          "[2026-11-20 08:57:59.100][24][critical][backtrace] Caught Aborted, suspect faulting address 0x5390\n")
write("envoy-fd-limit", f, ["envoy-fd-limit Pod/shop/cart-v1-5c6d7e8f9-aaaaa"],
      logs={(B, "cart-v1-5c6d7e8f9-aaaaa", "istio-proxy.previous"): FD_LOG})

f = base()
p = next(o for o in f if o["metadata"]["name"] == "catalog-v1-5c6d7e8f9-aaaaa")
status(p, "istio-proxy", restartCount=2, lastState=terminated("OOMKilled", 137))
container(p, "istio-proxy")["resources"] = {"limits": {"cpu": "2", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
write("proxy-oom-killed", f, ["proxy-oom-killed Pod/shop/catalog-v1-5c6d7e8f9-aaaaa"])

def init_crash(diagnosis, app, log):
    """A fixture whose new pod hangs in Init:CrashLoopBackOff with this istio-init log."""
    f = base() + [svc(app, B, {"app": app}), app_pod(app, ready=False, init_wait="CrashLoopBackOff")]
    write(diagnosis, f, ["%s Pod/shop/%s-v1-%s" % (diagnosis, app, HASH)],
          logs={(B, "%s-v1-%s" % (app, HASH), "istio-init"): log})

INIT_HEAD = ("Environment:\n------------\nENVOY_PORT=\nINBOUND_CAPTURE_PORT=\n\nVariables:\n----------\n"
             "PROXY_PORT=15001\nPROXY_INBOUND_CAPTURE_PORT=15006\nPROXY_UID=1337\nPROXY_GID=1337\n\n")
REENTRY_LOG = INIT_HEAD + ("Writing following contents to rules file: /tmp/iptables-rules-1763628000.txt\n* nat\n"
                           "-N ISTIO_INBOUND\n-N ISTIO_REDIRECT\nCOMMIT\n"
                           "iptables-restore --noflush /tmp/iptables-rules-1763628000.txt\n"
                           "iptables-restore: line 2 failed\n"
                           "panic: exit status 1\n")
init_crash("istio-init-not-reentrant", "orders", REENTRY_LOG)

PERM_LOG = INIT_HEAD + ("iptables-restore --noflush /tmp/iptables-rules-1763628000.txt\n"
                        "iptables-restore v1.8.7 (legacy): iptables-restore: unable to initialize table 'nat'\n"
                        "iptables v1.8.7 (legacy): can't initialize iptables table `nat': Permission denied (you must be root)\n"
                        "error: exit status 2\n")
init_crash("istio-init-no-net-admin", "payments", PERM_LOG)

f = base() + [svc("reviews", B, {"app": "reviews"})]
p = app_pod("reviews", ready=False, init_wait="ImagePullBackOff")
container(p, "istio-init")["image"] = container(p, "istio-proxy")["image"] = "registry.internal/istio/proxyv2:1.22.3"
status(p, "istio-init", restartCount=0, state={"waiting": {"reason": "ImagePullBackOff",
       "message": 'Back-off pulling image "registry.internal/istio/proxyv2:1.22.3"'}})
f.append(p)
write("sidecar-image-pull-failure", f, ["sidecar-image-pull-failure Pod/shop/reviews-v1-%s" % HASH])

f = base()
f.append(event("reports-7f9c6d5b4.181a", B, "ReplicaSet", "reports-7f9c6d5b4", "FailedCreate",
               'Error creating: pods "reports-7f9c6d5b4-x7k2p" is forbidden: violates PodSecurity "baseline:latest": '
               'non-default capabilities (container "istio-init" must not include "NET_ADMIN", "NET_RAW" in '
               'securityContext.capabilities.add)'))
write("istio-init-no-net-admin-events", f, ["istio-init-no-net-admin ReplicaSet/shop/reports-7f9c6d5b4"])

f, p = crashloop("inventory", 6, 137, ann={"sidecar.istio.io/rewriteAppHTTPProbers": "false"})
container(p, "inventory")["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 9080}, "periodSeconds": 10}
f.append(event("inventory-v1.181b", B, "Pod", p["metadata"]["name"], "Unhealthy",
               'Liveness probe failed: Get "http://10.244.1.7:9080/healthz": read tcp 10.244.1.1:51234->10.244.1.7:9080: '
               'read: connection reset by peer'))
write("probe-fails-under-mtls", f, ["probe-fails-under-mtls Pod/shop/inventory-v1-%s" % HASH],
      logs={(B, p["metadata"]["name"], "inventory.previous"): "INFO inventory listening on :9080\nINFO received SIGTERM, shutting down\n"})

f, p = crashloop("recommender", 4, 1)
write("app-exits-before-proxy-ready", f, ["app-exits-before-proxy-ready Pod/shop/recommender-v1-%s" % HASH],
      logs={(B, p["metadata"]["name"], "recommender.previous"):
            "2026-11-20T08:58:00Z INFO starting recommender 3.2\n"
            "2026-11-20T08:58:01Z ERROR loading configuration from http://config.shop:8888: "
            "dial tcp 10.96.12.8:8888: connect: connection refused\n"
            "2026-11-20T08:58:01Z FATAL cannot start without configuration\n"})

f = base()
f.append(svc("notifier", B, {"app": "notifier"}))
p = app_pod("notifier")
f.append(p)
write("sidecar-not-ready-at-start", f, ["sidecar-not-ready-at-start Pod/shop/notifier-v1-%s" % HASH],
      logs={(B, p["metadata"]["name"], "notifier"):
            "INFO notifier starting\n"
            "WARN registering with http://cart.shop:9080/subscribers: 503 Service Unavailable "
            "(upstream connect error or disconnect/reset before headers)\n"
            "INFO retrying in 2s\nINFO registered\n"})

# ---- crash: healthy variants (and the pods of the catch-all walks) ----

v = base()
# probes rewritten by Istio: restarts are the application's own (its log says why)
p = app_pod("web", ready=True)
container(p, "web")["livenessProbe"] = {"httpGet": {"path": "/app-health/web/livez", "port": 15020}}
status(p, "web", restartCount=2, lastState=terminated("Error", 2))
v += [svc("web", B, {"app": "web"}), p]
logs = {(B, p["metadata"]["name"], "web.previous"): "INFO web starting\npanic: assignment to entry in nil map\n"}
# rewriting off, but the probe's port is not captured by the sidecar
p = app_pod("admin", ann={"sidecar.istio.io/rewriteAppHTTPProbers": "false",
                          "traffic.sidecar.istio.io/excludeInboundPorts": "8081"}, ready=False)
container(p, "admin")["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8081}}
status(p, "admin", ready=False)
v += [svc("admin", B, {"app": "admin"}), p]
# rewriting off, but the probe's port is PERMISSIVE for this workload
p = app_pod("ledger", ann={"sidecar.istio.io/rewriteAppHTTPProbers": "false"}, ready=False)
container(p, "ledger")["readinessProbe"] = {"httpGet": {"path": "/health", "port": "health"}}
container(p, "ledger")["ports"].append({"name": "health", "containerPort": 9090})
status(p, "ledger", ready=False)
ledger_pa = pa("ledger-health", B, "STRICT", {"app": "ledger"})
ledger_pa["spec"]["portLevelMtls"] = {"9090": {"mode": "PERMISSIVE"}}
v += [svc("ledger", B, {"app": "ledger"}), p, ledger_pa]
# early connection errors, but the application waits for the proxy (postStart hook)
p = app_pod("mailer", ann={"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\n"})
container(p, "istio-proxy")["lifecycle"] = {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
status(p, "mailer", restartCount=1, lastState=terminated("Error", 1))
v += [svc("mailer", B, {"app": "mailer"}), p]
logs[(B, p["metadata"]["name"], "mailer.previous")] = "INFO start\nERROR smtp relay: connection refused\n"
logs[(B, p["metadata"]["name"], "mailer")] = "INFO start\nERROR smtp relay: connection refused\nINFO retrying\n"
# early connection errors with a native sidecar: the proxy was ready first
p = app_pod("search")
px = container(p, "istio-proxy")
p["spec"]["containers"].remove(px)
px["restartPolicy"] = "Always"
p["spec"]["initContainers"].append(px)
status(p, "search", restartCount=1, lastState=terminated("Error", 1))
v += [svc("search", B, {"app": "search"}), p]
logs[(B, p["metadata"]["name"], "search.previous")] = "INFO start\nERROR index at http://opensearch:9200: ECONNREFUSED\n"
# the sidecar restarted once without the descriptor assert (an eviction of the node's pods, say)
p = app_pod("billing")
status(p, "istio-proxy", restartCount=1, lastState=terminated("Completed", 0))
v += [svc("billing", B, {"app": "billing"}), p]
logs[(B, p["metadata"]["name"], "istio-proxy.previous")] = ("2026-11-20T08:50:00Z\tinfo\tAgent draining Proxy\n"
                                                           "2026-11-20T08:50:05Z\tinfo\tGraceful termination period complete\n")
# istio-init that did its job, and a FailedCreate that has nothing to do with Istio
p = app_pod("audit")
status(p, "istio-init", restartCount=0, state=terminated("Completed", 0))
v += [svc("audit", B, {"app": "audit"}), p]
v.append(event("quota.181c", B, "ReplicaSet", "batch-5f6d7c8b9", "FailedCreate",
               'Error creating: pods "batch-5f6d7c8b9-abcde" is forbidden: exceeded quota: compute, requested: cpu=2'))
# connection refused in the log, but long after start
p = app_pod("tracker")
v += [svc("tracker", B, {"app": "tracker"}), p]
logs[(B, p["metadata"]["name"], "tracker")] = "".join("INFO tick %d\n" % i for i in range(40)) + "WARN peer: connection refused\n"
write("crash-healthy-variants", v, [], logs=logs,
      envoy={(B, "billing-v1-6d5f8c7b9-bbbbb", "server_info"): {"state": "LIVE", "version": "abc/1.22.3/Clean/RELEASE/BoringSSL"}})
write_ps("crash-healthy-variants", v)

# ---- connectivity: one fault each ----

f = base()
f.append(port_svc("statsd", B, {"app": "statsd"}, [("metrics", 8125, "UDP", None)]))
f.append(app_pod("statsd"))
write("non-tcp-protocol", f, ["non-tcp-protocol Service/shop/statsd"])

f = base()
f.append(deploy("istio-citadel", "istio-system", {"app": "security", "istio": "citadel"}, "docker.io/istio/citadel:1.4.6"))
f.append(port_svc("orders-db", B, {"app": "orders-db"}, [("tcp-postgres", 5432, "TCP", None)]))
f.append(pod("orders-db-7b8c9d6f5-ddddd", B, {"app": "orders-db"}))
write("tcp-drop-on-cert-rotation", f, ["tcp-drop-on-cert-rotation Service/shop/orders-db"], version="1.4.6")

DNS_MESH = 'enableAutoMtls: true\ndefaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"\n'
f = replace(base(), "ConfigMap", "istio", cm_mesh(DNS_MESH))
write("dns-proxy-client-incompatible", f, ["dns-proxy-client-incompatible ConfigMap/istio-system/istio"], version="1.9.1")

f = base()
p = app_pod("frontend", ann={"proxy.istio.io/config": 'proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: "true"\n'})
container(p, "frontend")["image"] = "registry.example.com/shop/frontend:2.3-alpine"
f += [svc("frontend", B, {"app": "frontend"}), p]
write("dns-proxy-client-incompatible-pod", f, ["dns-proxy-client-incompatible Pod/shop/frontend-v1-%s" % HASH], version="1.8.4")

f = base()
f += [gateway_pod(), port_svc("istio-ingressgateway", "istio-system", {"app": "istio-ingressgateway", "istio": "ingressgateway"},
                              GW_PORTS, typ="LoadBalancer", lb={})]
write("ingress-no-external-address", f, ["ingress-no-external-address Service/istio-system/istio-ingressgateway"])
write_ps("ingress-no-external-address", f)

# ---- connectivity: healthy variants ----

v = replace(base(), "ConfigMap", "istio", cm_mesh(DNS_MESH))  # DNS capture on a fixed release
# UDP, but between pods without sidecars
v += [ns("metrics"), port_svc("syslog", "metrics", {"app": "syslog"}, [("syslog", 514, "UDP", None)]),
      pod("syslog-0", "metrics", {"app": "syslog"}, sidecar=False)]
# a StatefulSet behind its headless Service: not wrong by itself
db = pod("db-0", B, {"app": "db"})
db["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": True}]
v += [statefulset("db", B, {"app": "db"}, "db"), port_svc("db", B, {"app": "db"}, [("tcp-postgres", 5432, "TCP", None)], headless=True), db]
# an ingress gateway with an address, and a cluster-internal one
v += [gateway_pod(),
      port_svc("istio-ingressgateway", "istio-system", {"app": "istio-ingressgateway", "istio": "ingressgateway"},
               GW_PORTS, typ="LoadBalancer", lb={"ingress": [{"ip": "203.0.113.10"}]})]
write("connectivity-healthy-variants", v, [])
write_ps("connectivity-healthy-variants", v)

# Istio 1.4 with Citadel scaled to 0 (the documented workaround) and a TCP service
v = base()
cit = deploy("istio-citadel", "istio-system", {"app": "security", "istio": "citadel"}, "docker.io/istio/citadel:1.4.6")
cit["spec"]["replicas"] = 0
v += [cit, port_svc("orders-db", B, {"app": "orders-db"}, [("tcp-postgres", 5432, "TCP", None)]),
      pod("orders-db-7b8c9d6f5-ddddd", B, {"app": "orders-db"})]
write("connectivity-healthy-variants-1.4", v, [], version="1.4.6")

# ---- traffic that bypasses the mesh ----

def proxy_user(p, uid=1337):
    """Give istio-proxy the securityContext the injector writes."""
    container(p, "istio-proxy")["securityContext"] = {"runAsUser": uid, "runAsGroup": uid}
    return p

# app-runs-as-proxy-uid: one pod runs as 1337 at pod level, another's container takes group 1337
f = base() + [svc("reporter", B, {"app": "reporter"}), svc("exporter", B, {"app": "exporter"})]
p = proxy_user(app_pod("reporter"))
p["spec"]["securityContext"] = {"runAsUser": 1337}
q = proxy_user(app_pod("exporter"))
container(q, "exporter")["securityContext"] = {"runAsUser": 2000, "runAsGroup": 1337}
f += [p, q]
write("app-runs-as-proxy-uid", f, ["app-runs-as-proxy-uid Pod/shop/reporter-v1-%s" % HASH,
                                   "app-runs-as-proxy-uid Pod/shop/exporter-v1-%s" % HASH])
write_ps("app-runs-as-proxy-uid", f)

# healthy: the application overrides the pod's 1337, an init container runs as 1337 on purpose
# (the Istio CNI start-race workaround), a proxy with its own UID, and a pod without a sidecar
v = base() + [svc("reporter", B, {"app": "reporter"}), svc("exporter", B, {"app": "exporter"}),
              svc("legacy", "legacy", {"app": "legacy"})]
p = proxy_user(app_pod("reporter"))
p["spec"]["securityContext"] = {"runAsUser": 1337}
container(p, "reporter")["securityContext"] = {"runAsUser": 1338}
p["spec"]["initContainers"].append({"name": "fetch-config", "image": "curlimages/curl:8.8.0",
                                    "securityContext": {"runAsUser": 1337}})
q = proxy_user(app_pod("exporter"), uid=1500)
container(q, "exporter")["securityContext"] = {"runAsUser": 1337}
r = pod("legacy-v1-%s" % HASH, "legacy", {"app": "legacy"}, sidecar=False)
r["spec"]["securityContext"] = {"runAsUser": 1337}
v += [ns("legacy"), p, q, r]
write("uid-healthy-variants", v, [])
write_ps("uid-healthy-variants", v)

# pod-without-service: on Istio 1.19 a worker with a sidecar that no Service selects
f = base() + [app_pod("worker")]
write("pod-without-service", f, ["pod-without-service Pod/shop/worker-v1-%s" % HASH], version="1.19.5")
write_ps("pod-without-service", f)

# healthy: the pod of a Job, a finished pod, a pod without a sidecar, and the same worker on 1.20
v = base()
job = app_pod("migrate")
job["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": "migrate", "controller": True}]
done = app_pod("backup")
done["status"]["phase"] = "Succeeded"
plain = pod("tools-%s" % HASH, "legacy", {"app": "tools"}, sidecar=False)
v += [ns("legacy"), job, done, plain]
write("service-healthy-variants", v, [], version="1.19.5")
write_ps("service-healthy-variants", v)
write("pod-without-service-1.20", f, [], version="1.20.1")
write_ps("pod-without-service-1.20", f)
