#!/usr/bin/env python3
"""Write the check fixtures of the routing family (rules that have no effect):
the healthy "shop" mesh of k8s.py with exactly one fault each, named after the
diagnosis, and routing-healthy-variants, which looks suspicious but is fine.

Three fixtures exist for walks: the cause of locality-lb-client-no-service
and rule-not-visible-to-caller can only be seen from a given calling pod (a
probe, not a detector; the first expects only pod-without-service, which its
Istio 1.18 also breaks), and routing-pods-forbidden
holds a snapshot that could not list pods (every check that needs them is
skipped; the flow ends at kube-permission-denied).

Run from this directory: python3 gen_routing.py
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

NET = "networking.istio.io/v1"


def gateway(name, n, hosts):
    return {"apiVersion": NET, "kind": "Gateway", "metadata": meta(name, n),
            "spec": {"selector": {"istio": "ingressgateway"},
                     "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": hosts}]}}


def vs_spec(name, n, spec):
    return {"apiVersion": NET, "kind": "VirtualService", "metadata": meta(name, n), "spec": spec}


def dr_spec(name, n, spec):
    return {"apiVersion": NET, "kind": "DestinationRule", "metadata": meta(name, n), "spec": spec}


def sidecar(name, n, hosts):
    return {"apiVersion": NET, "kind": "Sidecar", "metadata": meta(name, n), "spec": {"egress": [{"hosts": hosts}]}}


def service_entry(name, n, hosts):
    return {"apiVersion": NET, "kind": "ServiceEntry", "metadata": meta(name, n),
            "spec": {"hosts": hosts, "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}],
                     "resolution": "DNS", "location": "MESH_EXTERNAL"}}


def svc_ports(name, n, sel, ports, headless=False):
    s = svc(name, n, sel, headless=headless)
    s["spec"]["ports"] = ports
    return s


def port(number, name=None, app=None, target=None):
    p = {"port": number, "targetPort": target or number, "protocol": "TCP"}
    if name is not None:
        p["name"] = name
    if app:
        p["appProtocol"] = app
    return p


def route(host, subset=None, weight=None):
    d = {"destination": {"host": host}}
    if subset:
        d["destination"]["subset"] = subset
    if weight is not None:
        d["weight"] = weight
    return d


def subsets(*names, policy=None):
    out = [{"name": s, "labels": {"version": s}} for s in names]
    if policy:
        out[0]["trafficPolicy"] = policy
    return out


CART = "cart.shop.svc.cluster.local"
CATALOG = "catalog.shop.svc.cluster.local"
FAILOVER = {"localityLbSetting": {"enabled": True, "failover": [{"from": "eu-west-1", "to": "eu-central-1"}]}}
OUTLIER = {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s"}

# service-port-naming: cart's only port is declared TCP while its VirtualService has http rules
f = replace(base(), "Service", "cart", svc_ports("cart", B, {"app": "cart"}, [port(9080, "tcp-web")]))
write("service-port-naming", f, ["service-port-naming Service/shop/cart"])

# before Istio 1.3 an unnamed port is TCP as well (no protocol sniffing yet)
f = replace(base(), "Service", "catalog", svc_ports("catalog", B, {"app": "catalog"}, [port(9080)]))
f.append(vs_spec("catalog", B, {"hosts": ["catalog"], "http": [{"timeout": "2s", "route": [route("catalog")]}]}))
write("service-port-naming-before-1.3", f, ["service-port-naming Service/shop/catalog"], version="1.2.10")

# appProtocol is read from Istio 1.6 on: before, the port name decides
f = replace(base(), "Service", "cart", svc_ports("cart", B, {"app": "cart"}, [port(9080, "tcp-web", app="http")]))
write("service-port-naming-appprotocol-before-1.6", f, ["service-port-naming Service/shop/cart"], version="1.5.10")

# mixed-protocol-port: a second Service declares cart's container port 9080 as TCP
f = base()
f.append(svc_ports("cart-admin", B, {"app": "cart"}, [port(7000, "tcp-admin", target=9080)]))
write("mixed-protocol-port", f, ["mixed-protocol-port Service/shop/cart"])

# dr-subset-policy-inactive: subset v1 of catalog has a policy, no VirtualService routes to it
pool = {"connectionPool": {"tcp": {"maxConnections": 50}, "http": {"http1MaxPendingRequests": 10}}}
f = replace(base(), "DestinationRule", "catalog",
            dr_spec("catalog", B, {"host": CATALOG, "subsets": subsets("v1", policy=pool)}))
write("dr-subset-policy-inactive", f, ["dr-subset-policy-inactive DestinationRule/shop/catalog"])

# gateway-vs-ignores-subset: the ingress route to cart names no subset; the mesh route splits v1/v2
f = base()
f.append(gateway("public-gateway", "istio-system", ["shop.example.com"]))
f.append(vs_spec("shop-ingress", B, {"hosts": ["shop.example.com"], "gateways": ["istio-system/public-gateway"],
                                     "http": [{"match": [{"uri": {"prefix": "/cart"}}], "route": [route(CART)]},
                                              {"route": [route(CATALOG)]}]}))
write("gateway-vs-ignores-subset", f, ["gateway-vs-ignores-subset VirtualService/shop/shop-ingress"])

# locality-lb-no-outlier-detection: failover configured, outlierDetection missing
f = replace(base(), "DestinationRule", "catalog",
            dr_spec("catalog", B, {"host": CATALOG, "trafficPolicy": {"loadBalancer": FAILOVER},
                                   "subsets": subsets("v1")}))
write("locality-lb-no-outlier-detection", f, ["locality-lb-no-outlier-detection DestinationRule/shop/catalog"])

# locality-lb-client-no-service (walks only): on Istio 1.18 and 1.19 a calling pod that no Service selects
f = replace(base(), "DestinationRule", "catalog",
            dr_spec("catalog", B, {"host": CATALOG, "trafficPolicy": {"loadBalancer": FAILOVER,
                                                                     "outlierDetection": OUTLIER},
                                   "subsets": subsets("v1")}))
f.append(pod("report-worker-6f7d8c9b5-bbbbb", B, {"app": "report-worker"}))
# before 1.20 the same pod also breaks the mesh's own requirement that every pod have a Service
NO_SVC = ["pod-without-service Pod/shop/report-worker-6f7d8c9b5-bbbbb"]
write("locality-lb-client-no-service", f, NO_SVC, version="1.18.2")
# the requirement ended in 1.20 (not 1.19): on 1.19 the same caller still lacks a locality,
# on 1.20 the walk goes on to the node labels instead
write("locality-lb-client-no-service-1.19", f, NO_SVC, version="1.19.6")
write("locality-client-no-service-1.20", f, [], version="1.20.1")

# headless-lb-policy-ignored: consistentHash for a headless service
f = base()
f.append(svc_ports("sessions", B, {"app": "sessions"}, [port(8080, "http")], headless=True))
f.append(pod("sessions-0", B, {"app": "sessions", "version": "v1"}))
f.append(dr_spec("sessions", B, {"host": "sessions", "trafficPolicy": {
    "loadBalancer": {"consistentHash": {"httpHeaderName": "x-user-id"}}}}))
write("headless-lb-policy-ignored", f, ["headless-lb-policy-ignored DestinationRule/shop/sessions"])

# rule-host-wrong-namespace: a rule in namespace ops says "catalog" and means catalog.ops
f = base()
f.append(ns("ops"))
f.append(dr_spec("catalog-limits", "ops", {"host": "catalog", "trafficPolicy": {
    "connectionPool": {"http": {"http1MaxPendingRequests": 10}}}}))
write("rule-host-wrong-namespace", f, ["rule-host-wrong-namespace DestinationRule/ops/catalog-limits"])

# rule-not-visible-to-caller (walks only): cart's VirtualService lives in another namespace and
# is exported to that namespace alone, so callers in shop never receive it
f = [o for o in base() if not (o["kind"] == "VirtualService" and o["metadata"]["name"] == "cart")]
f.append(ns("release"))
f.append(vs_spec("cart", "release", {"hosts": [CART], "exportTo": ["."],
                                     "http": [{"route": [route(CART, "v1", 90), route(CART, "v2", 10)]}]}))
write("rule-not-visible-to-caller", f, [])

# Healthy variants: each looks like one of the faults above and is fine.
v = base()
# an undeclared port is detected as HTTP (Istio 1.3+); appProtocol wins over the port name
v.append(svc_ports("search", B, {"app": "search"}, [port(8080)]))
v.append(pod("search-v1-7d8e9f0a1-ccccc", B, {"app": "search", "version": "v1"}))
v.append(vs_spec("search", B, {"hosts": ["search"], "http": [{"timeout": "3s", "route": [route("search")]}]}))
v.append(svc_ports("reports", B, {"app": "reports"}, [port(8080, "tcp-legacy", app="http"), port(9100, "tcp-metrics")]))
v.append(pod("reports-v1-8e9f0a1b2-ddddd", B, {"app": "reports", "version": "v1"}))
v.append(vs_spec("reports", B, {"hosts": ["reports.shop.svc.cluster.local"], "http": [{"route": [route("reports")]}]}))
# a TCP port routed by tcp rules only; a database port named for its protocol
v.append(svc_ports("orders-db", B, {"app": "orders-db"}, [port(5432, "tcp-postgres")]))
v.append(pod("orders-db-0", B, {"app": "orders-db", "version": "v1"}))
v.append(vs_spec("orders-db", B, {"hosts": ["orders-db"], "tcp": [{"route": [route("orders-db")]}]}))
# a second Service on cart's pods declares the same container port as HTTP too
v.append(svc_ports("cart-internal", B, {"app": "cart"}, [port(80, "http-internal", target=9080)]))
# a subset with its own policy that a route does send traffic to
v = replace(v, "DestinationRule", "cart", dr_spec("cart", B, {"host": "cart", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
                                                              "subsets": subsets("v1", "v2", policy=pool)}))
# ingress routes that name the subset, or go to a service the mesh does not split
v.append(gateway("public-gateway", "istio-system", ["shop.example.com"]))
v.append(vs_spec("shop-ingress", B, {"hosts": ["shop.example.com"], "gateways": ["istio-system/public-gateway"],
                                     "http": [{"match": [{"uri": {"prefix": "/cart"}}], "route": [route(CART, "v1")]},
                                              {"route": [route(CATALOG)]}]}))
# locality: failover with outlier detection, weighted distribution alone, and a disabled setting
v = replace(v, "DestinationRule", "catalog",
            dr_spec("catalog", B, {"host": CATALOG, "trafficPolicy": {"loadBalancer": FAILOVER, "outlierDetection": OUTLIER},
                                   "subsets": subsets("v1")}))
v.append(dr_spec("search", B, {"host": "search", "trafficPolicy": {"loadBalancer": {"localityLbSetting": {
    "enabled": True, "distribute": [{"from": "eu-west-1/*", "to": {"eu-west-1/*": 80, "eu-central-1/*": 20}}]}}}}))
v.append(dr_spec("reports", B, {"host": "reports", "trafficPolicy": {"loadBalancer": {"localityLbSetting": {"enabled": False}}}}))
# a headless service whose rule sets TLS only, and one that asks for passthrough
v.append(svc_ports("ledger", B, {"app": "ledger"}, [port(7000, "tcp-ledger")], headless=True))
v.append(pod("ledger-0", B, {"app": "ledger", "version": "v1"}))
v.append(dr_spec("ledger", B, {"host": "ledger", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}))
v.append(svc_ports("queue", B, {"app": "queue"}, [port(5672, "tcp-amqp")], headless=True))
v.append(pod("queue-0", B, {"app": "queue", "version": "v1"}))
v.append(dr_spec("queue", B, {"host": "queue", "trafficPolicy": {"loadBalancer": {"simple": "PASSTHROUGH"}}}))
# rules outside the service's namespace that use full names, or a host a ServiceEntry declares
v.append(ns("ops"))
v.append(dr_spec("catalog-limits", "ops", {"host": CATALOG, "trafficPolicy": {"connectionPool": {"http": {"http1MaxPendingRequests": 10}}}}))
v.append(service_entry("payments-api", "ops", ["payments.ops.svc.cluster.local"]))
v.append(svc_ports("payments", B, {"app": "payments"}, [port(8080, "http")]))
v.append(pod("payments-v1-9f0a1b2c3-eeeee", B, {"app": "payments", "version": "v1"}))
v.append(vs_spec("payments", "ops", {"hosts": ["payments"], "http": [{"route": [route("payments")]}]}))
# a Sidecar that imports its own namespace and the control plane
v.append(sidecar("default", B, ["./*", "istio-system/*"]))
# search's unnamed port works (HTTP is sniffed) but is still worth naming: an info finding
write("routing-healthy-variants", v, ["service-port-naming Service/shop/search"])

# kube-permission-denied (walks only): the snapshot could not list pods, so every check that
# needs them is skipped and the flow's first question answers "forbidden"
write("routing-pods-forbidden", [o for o in base() if o["kind"] != "Pod"], [])
meta_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "routing-pods-forbidden", "meta.json")
m = json.load(open(meta_path))
m["unavailable"] = {"Pod": 'pods is forbidden: User "oncall@example.com" cannot list resource "pods" '
                           'in API group "" at the cluster scope'}
json.dump(m, open(meta_path, "w"))

# vs-no-default-route: the rule for catalog only takes a tester's requests (to subset v1);
# every other request for catalog matches no route and gets 404 NR
f = base()
f.append(vs_spec("catalog", B, {"hosts": ["catalog"], "http": [
    {"match": [{"headers": {"end-user": {"exact": "tester"}}}], "route": [route("catalog", "v1")]},
    {"match": [{"uri": {"prefix": "/admin"}, "method": {"exact": "GET"}}], "route": [route("catalog", "v1")]}]}))
write("vs-no-default-route", f, ["vs-no-default-route VirtualService/shop/catalog"])

# rules that end in a route for every request, in each form, and rules left alone on purpose
# (cart-canary replaces the base mesh's rule for cart: two mesh rules for one host conflict)
v = [o for o in base() if not (o["kind"] == "VirtualService" and o["metadata"]["name"] == "cart")]
v.append(vs_spec("catalog", B, {"hosts": ["catalog"], "http": [
    {"match": [{"headers": {"end-user": {"exact": "tester"}}}], "route": [route("catalog", "v1")]},
    {"match": [{"uri": {"prefix": "/"}}], "route": [route("catalog", "v1")]}]}))
v.append(vs_spec("cart-canary", B, {"hosts": ["cart.shop.svc.cluster.local"], "http": [
    {"match": [{"headers": {"x-canary": {"exact": "1"}}}], "route": [route("cart", "v2")]},
    {"match": [{"name": "rest"}], "route": [route("cart", "v1")]}]}))
# a delegate (no hosts) is reached only through its parent's match
v.append(vs_spec("catalog-admin", B, {"http": [
    {"match": [{"uri": {"prefix": "/admin"}}], "route": [route("catalog", "v1")]}]}))
# a gateway-only rule that exposes one path on purpose
v.append(gateway("public", "istio-system", ["shop.example.com"]))
v.append(vs_spec("catalog-edge", B, {"hosts": ["shop.example.com"], "gateways": ["istio-system/public"], "http": [
    {"match": [{"uri": {"prefix": "/catalog"}}], "route": [route("catalog", "v1")]}]}))
write("default-route-healthy-variants", v, [])
