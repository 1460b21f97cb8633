#!/usr/bin/env python3
"""Write the check fixtures of the 503 and injection families: a healthy mesh,
and the same mesh with one fault each. Other families have their own gen_*.py.

Each fixture is a directory with resources.json (a kubectl List), optional
proxy-status.txt and meta.json, and 'expect': the findings `check` must report,
one "DIAGNOSIS RESOURCE" per line (empty for the healthy variants).
Run from this directory: python3 generate.py
"""
import json, os, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

write("healthy", base(), [])
# healthy variants that look suspicious but are fine
v = base()
v = replace(v, "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"]))  # no tls block, auto mTLS on
v.append(pa("cart-permissive", B, "PERMISSIVE", {"app": "catalog"}))
v.append(pod("debug-1", B, {"app": "debug"}, sidecar=False, ann={"sidecar.istio.io/inject": "true"}))
v[-1]["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3"})
v.append(ns("legacy"))  # not labelled and not asked about: not a finding
v.append(pod("old-app-1", "legacy", {"app": "old"}, sidecar=False))
write("healthy-variants", v, [])

f = replace(base(), "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"], tls="DISABLE"))
write("dr-tls-conflict", f, ["dr-tls-conflict DestinationRule/shop/cart"])
f = base(); f[f.index(next(o for o in f if o["kind"] == "ConfigMap"))] = cm_mesh("enableAutoMtls: false\n")
f = replace(f, "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"]))
# with auto mTLS off every rule without a tls block sends plain text, catalog's too
write("dr-tls-conflict-auto-mtls-off", f, ["dr-tls-conflict DestinationRule/shop/cart", "dr-tls-conflict DestinationRule/shop/catalog"])
f = replace(base(), "VirtualService", "cart", vs("cart", B, "cart", [("v1", 50), ("v3", 50)]))
write("subset-undefined", f, ["subset-undefined VirtualService/shop/cart"])
f = replace(base(), "DestinationRule", "catalog", dr("catalog", B, "catalog.shop.svc.cluster.local", ["v1", "v9"]))
write("subset-no-pods", f, ["subset-no-pods DestinationRule/shop/catalog"])
f = base()
f = [o for o in f if not (o["kind"] == "Pod" and o["metadata"]["name"].startswith("istiod"))]
f.append(pod("istiod-7d9c8b6f5-abcde", "istio-system", {"app": "istiod", "istio": "pilot"}, sidecar=False, ready=False))
write("control-plane-unhealthy", f, ["control-plane-unhealthy Pod/istio-system/istiod-7d9c8b6f5-abcde",
                                     "injector-unavailable MutatingWebhookConfiguration/istio-sidecar-injector"])
write("proxy-config-stale", base(), ["proxy-config-stale Pod/shop/cart-v2-5c6d7e8f9-aaaaa"],
      ps_override={"cart-v2-5c6d7e8f9-aaaaa": "STALE (5m ago)"})
write("proxy-not-connected", base(), ["proxy-not-connected Pod/shop/catalog-v1-5c6d7e8f9-aaaaa"],
      ps_override={"catalog-v1-5c6d7e8f9-aaaaa": None})
f = base(); f.append(ns("payments", {"istio.io/rev": "canary"}))
write("injection-revision-mismatch", f, ["injection-revision-mismatch Namespace/payments"])
f = base(); f.append(pod("legacy-app-1", B, {"app": "legacy"}, sidecar=False))
write("pod-predates-injection", f, ["pod-predates-injection Pod/shop/legacy-app-1"])
f = base(); f.append(pod("batch-1", B, {"app": "batch"}, sidecar=False, ann={"sidecar.istio.io/inject": "false"}))
write("pod-injection-disabled", f, ["pod-injection-disabled Pod/shop/batch-1"])
f = base(); f.append(pod("node-agent-1", B, {"app": "agent"}, sidecar=False, hostnet=True))
write("host-network-pod", f, ["host-network-pod Pod/shop/node-agent-1"])
f = base(); f.append(svc("db", B, {"app": "db"}, port=5432, headless=True)); f.append(pod("db-0", B, {"app": "db"}, sidecar=False, ann={"sidecar.istio.io/inject": "false"}))
write("headless-no-sidecar-mtls", f, ["headless-no-sidecar-mtls Service/shop/db", "pod-injection-disabled Pod/shop/db-0"], version="1.6.8")
write("headless-no-sidecar-mtls-new-istio", f, ["pod-injection-disabled Pod/shop/db-0"])
f = replace(base(), "DestinationRule", "catalog", dr("catalog", B, "catalog.shop.svc.cluster.local", ["v1"], pool={"tcp": {"maxConnections": 10}}))
write("circuit-breaker-no-pending-limit", f, ["circuit-breaker-no-pending-limit DestinationRule/shop/catalog"])

# two faults of one service, under different answers of the same question: the
# tls DISABLE rule shows as UF, the route to the undefined subset v3 as NR or NC;
# without a log the 503 walk cannot choose and must ask for the flag
f = replace(base(), "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"], tls="DISABLE"))
f = replace(f, "VirtualService", "cart", vs("cart", B, "cart", [("v1", 50), ("v3", 50)]))
write("two-causes-one-service", f, ["dr-tls-conflict DestinationRule/shop/cart", "subset-undefined VirtualService/shop/cart"])
# half the evidence, on the wrong service: cart's rule and cart's stale proxy
# are faults, but a walk about catalog must not borrow them as its answer
f = replace(base(), "DestinationRule", "cart", dr("cart", B, "cart", ["v1", "v2"], tls="DISABLE"))
write("faults-on-another-service", f, ["dr-tls-conflict DestinationRule/shop/cart",
                                       "proxy-config-stale Pod/shop/cart-v2-5c6d7e8f9-aaaaa"],
      ps_override={"cart-v2-5c6d7e8f9-aaaaa": "STALE (5m ago)"})
