#!/usr/bin/env python3
"""Write the snapshot fixtures of the references checks that the flows walk to:
the healthy "shop" mesh of k8s.py with one fault each, named after the
diagnosis. A route to a host in no registry (503 NR and routing), a second
VirtualService for the same host (routing), two Gateways that serve one host
and port on the ingress pods (404) and a named targetPort that no container
declares (503 UH). The check cases of every references diagnosis, failing and
healthy, are manifests in tests/check.

Run from this directory: python3 gen_references.py
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

NET = "networking.istio.io/v1"
LATER = "2026-11-21T10:00:00Z"


def route(host, subset=None, weight=None):
    d = {"destination": {"host": host}}
    if subset:
        d["destination"]["subset"] = subset
    if weight is not None:
        d["weight"] = weight
    return d


def vs_spec(name, n, spec, ts=T):
    return {"apiVersion": NET, "kind": "VirtualService", "metadata": meta(name, n, ts=ts), "spec": spec}


def gateway(name, n, host, cred, ts=T):
    return {"apiVersion": NET, "kind": "Gateway", "metadata": meta(name, n, ts=ts),
            "spec": {"selector": {"istio": "ingressgateway"},
                     "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                                  "tls": {"mode": "SIMPLE", "credentialName": cred}, "hosts": [host]}]}}


def ingress():
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    p = pod("istio-ingress-7d4f9-x2k8q", "istio-system", labels, sidecar=False)
    p["spec"]["containers"] = [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3",
                                "args": ["proxy", "router"], "ports": [{"containerPort": 8443}]}]
    p["status"]["containerStatuses"] = [{"name": "istio-proxy", "ready": True, "restartCount": 0}]
    s = svc("istio-ingressgateway", "istio-system", labels, port=443)
    s["spec"]["ports"][0].update({"name": "https", "targetPort": 8443})
    return [p, s]


# destination-host-unknown: the split for cart sends its canary share to cart-v3, a Service
# that was never created; those requests get 503 NC
f = replace(base(), "VirtualService", "cart", vs_spec("cart", B, {"hosts": ["cart"], "http": [
    {"route": [route("cart", "v1", 90), route("cart-v3", None, 10)]}]}))
write("destination-host-unknown", f, ["destination-host-unknown VirtualService/shop/cart"])

# vs-host-conflict: a canary rule for cart added next to the existing one; sidecars keep the
# older rule, so the header route never applies
f = base()
f.append(vs_spec("cart-canary", B, {"hosts": ["cart.shop.svc.cluster.local"], "http": [
    {"match": [{"headers": {"x-canary": {"exact": "1"}}}], "route": [route("cart", "v2")]},
    {"route": [route("cart", "v1")]}]}, ts=LATER))
write("vs-host-conflict", f, ["vs-host-conflict VirtualService/shop/cart-canary"])

# gateway-server-conflict: a second Gateway for shop.example.com on port 443 of the same
# ingress pods; the older one's server (and certificate) is used
f = base() + ingress()
f.append(gateway("public", "istio-system", "shop.example.com", "shop-cert"))
f.append(gateway("shop-beta", B, "shop.example.com", "shop-beta-cert", ts=LATER))
f.append(vs_spec("shop", B, {"hosts": ["shop.example.com"], "gateways": ["istio-system/public", "shop-beta"],
                             "http": [{"route": [route("cart", "v1")]}]}))
write("gateway-server-conflict", f, ["gateway-server-conflict Gateway/shop/shop-beta"])

# service-target-port-undeclared: catalog's targetPort is the name http-api, which no container
# declares, so the ready catalog pod is no endpoint of the port (503 UH)
f = base()
for o in f:
    if o["kind"] == "Service" and o["metadata"]["name"] == "catalog":
        o["spec"]["ports"][0]["targetPort"] = "http-api"
write("service-target-port-undeclared", f, ["service-target-port-undeclared Service/shop/catalog"])
