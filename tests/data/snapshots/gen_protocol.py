#!/usr/bin/env python3
"""Write the check fixtures of the 426, 431, headers and sync families: the
healthy base mesh with one fault each, healthy variants that must stay quiet,
and the snapshots that the walks in tests/walks/{426,431,sync} read.

Each fixture is a directory with resources.json, proxy-status.txt, meta.json,
optional logs/ and 'expect' (one "DIAGNOSIS RESOURCE" per line).
Run from this directory: python3 gen_protocol.py
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

ISTIOD = "istiod-7d9c8b6f5-abcde"
CS = "istio-system"

def envoyfilter(name, n, value, context="ANY", selector=None):
    """An EnvoyFilter merging value into the HTTP connection manager's typed_config."""
    spec = {"configPatches": [{
        "applyTo": "NETWORK_FILTER",
        "match": {"context": context, "listener": {"filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}}},
        "patch": {"operation": "MERGE", "value": {"typed_config": dict(
            {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"}, **value)}}}]}
    if selector:
        spec["workloadSelector"] = {"labels": selector}
    return {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter", "metadata": meta(name, n), "spec": spec}

def sidecar(name, n, hosts=None, selector=None):
    spec = {}
    if hosts:
        spec["egress"] = [{"hosts": hosts}]
    if selector:
        spec["workloadSelector"] = {"labels": selector}
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": meta(name, n), "spec": spec}

def with_image(p, image):
    p["spec"]["containers"][0]["image"] = image
    return p

def with_istiod(items, version, env=None):
    """The istiod Deployment at another release, with optional env entries."""
    d = deploy("istiod", CS, {"app": "istiod", "istio": "pilot"}, "docker.io/istio/pilot:%s" % version)
    if env:
        d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return replace(items, "Deployment", "istiod", d)

SYNCED = "SYNCED (1m ago)"

def ps_text(items, states=None, versions=None, version="1.22.3", istiods=None):
    """proxy-status of every pod with a sidecar: states {pod: {type: state}}, versions and istiods {pod: value}."""
    cols = ["CDS", "LDS", "EDS", "RDS"]
    out = "%-38s %-14s %-18s %-18s %-18s %-18s %-11s %-32s %s\n" % (
        "NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION")
    for p, n in pods_of(items):
        st = (states or {}).get(p, {})
        cells = [st.get(c, SYNCED) for c in cols]
        out += "%-38s %-14s %-18s %-18s %-18s %-18s %-11s %-32s %s\n" % (
            p + "." + n, "Kubernetes", cells[0], cells[1], cells[2], cells[3], st.get("ECDS", "IGNORED"),
            (istiods or {}).get(p, ISTIOD), (versions or {}).get(p, version))
    return out

def fixture(name, items, expect, version="1.22.3", states=None, versions=None, logs=None, istiods=None):
    write(name, items, expect, version=version, logs=logs)
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    open(os.path.join(d, "proxy-status.txt"), "w").write(ps_text(items, states, versions, version, istiods))

def istiod_log(*lines):
    """istiod's console log format: time, level, scope, message, tab-separated."""
    return "".join("2026-11-20T08:%02d:00.000000Z\t%s\n" % (i, l) for i, l in enumerate(lines))

QUIET_LOG = istiod_log(
    "info\tads\tPush debounce stable[12] 1 for config VirtualService/shop/cart: 100.2ms since last change",
    "info\tads\tXDS: Pushing Services:4 ConnectedEndpoints:3 Version:2026-11-20T08:00:00Z/12",
    "info\tvalidationController\tNot ready to switch validation to fail-closed: dummy invalid config not rejected",
    "warn\tklog\tfailed to list *v1.ConfigMap: the server could not find the requested resource (retrying)",
    "info\tads\tADS: \"10.244.0.12:41234\" cart-v1-5c6d7e8f9-aaaaa.shop-3 terminated",
)

# healthy variants: suspicious at first sight, fine on a closer look
v = with_istiod(base(), "1.22.3", {"PILOT_HTTP10": "1"})
v.append(envoyfilter("max-header", CS, {"max_request_headers_kb": 96}))            # the documented maximum of old releases
v.append(envoyfilter("max-header-cart", B, {"max_request_headers_kb": 200}, selector={"app": "cart"}))  # valid from 1.11
v.append(envoyfilter("proper-case", B, {"http_protocol_options": {"header_key_format": {"proper_case_words": {}}}}))
v.append(sidecar("default", B, ["./*", "istio-system/*"]))
v.append(with_image(pod("web-6f7c9d8b4-bbbbb", B, {"app": "web"}), "docker.io/library/nginx:1.25"))
# a canary revision one release ahead serves its own pods: compared with its own istiod, not the default one
CANARY = "istiod-canary-6c5d4b3a2-ccccc"
v.append(deploy("istiod-canary", CS, {"app": "istiod", "istio.io/rev": "canary"}, "docker.io/istio/pilot:1.23.1"))
v.append(pod(CANARY, CS, {"app": "istiod", "istio.io/rev": "canary"}, sidecar=False))
v.append(pod("cart-v3-5c6d7e8f9-aaaaa", B, {"app": "cart", "version": "v3", "istio.io/rev": "canary"}))
fixture("protocol-healthy-variants", v, [],
        states={"cart-v2-5c6d7e8f9-aaaaa": {"RDS": "NOT SENT"}, "cart-v1-5c6d7e8f9-aaaaa": {"ECDS": "NOT SENT"}},
        versions={"catalog-v1-5c6d7e8f9-aaaaa": "1.21.4",  # one minor release behind: supported
                  "cart-v3-5c6d7e8f9-aaaaa": "1.23.1"},
        istiods={"cart-v3-5c6d7e8f9-aaaaa": CANARY},
        logs={(CS, ISTIOD, "discovery"): QUIET_LOG, (CS, CANARY, "discovery"): QUIET_LOG})

# pilot-config-conflict: istiod reports a rejected push and a listener conflict
conflict_log = istiod_log(
    "info\tads\tPush debounce stable[40] 1 for config ServiceEntry/shop/legacy-db: 100.4ms since last change",
    "warn\tads\tADS:LDS: ACK ERROR cart-v1-5c6d7e8f9-aaaaa.shop-7 Internal:Error adding/updating listener(s) "
    "0.0.0.0_9080: error adding listener '0.0.0.0:9080': multiple filter chains with the same matching rules are defined",
    "warn\tmodel\tconflict: service legacy-db.shop.svc.cluster.local port 9080 protocol TCP collides with catalog.shop.svc.cluster.local HTTP listener 0.0.0.0_9080",
)
fixture("pilot-config-conflict", base(), ["pilot-config-conflict Pod/istio-system/" + ISTIOD],
        logs={(CS, ISTIOD, "discovery"): conflict_log})

# proxy-config-drift: a proxy two minor releases behind istiod
fixture("proxy-config-drift", base(), ["proxy-config-drift Pod/shop/catalog-v1-5c6d7e8f9-aaaaa"],
        versions={"catalog-v1-5c6d7e8f9-aaaaa": "1.20.2"},
        logs={(CS, ISTIOD, "discovery"): QUIET_LOG})
# ... and one that rejected its listeners (drift, not stale: the update arrived and was refused)
fixture("proxy-config-drift-nack", base(), ["proxy-config-drift Pod/shop/cart-v1-5c6d7e8f9-aaaaa"],
        states={"cart-v1-5c6d7e8f9-aaaaa": {"LDS": "ERROR"}},
        logs={(CS, ISTIOD, "discovery"): QUIET_LOG})

# request-headers-too-large: 128 KiB on Istio 1.9, whose Envoy accepts 96 at most
f = with_istiod(base(), "1.9.9")
f.append(envoyfilter("max-header", CS, {"max_request_headers_kb": 128}))
fixture("request-headers-too-large", f, ["request-headers-too-large EnvoyFilter/istio-system/max-header"],
        version="1.9.9")

# walk fixtures (no check finding): an nginx caller, and a Sidecar that narrows a proxy's view
f = base()
f.append(with_image(pod("web-6f7c9d8b4-bbbbb", B, {"app": "web"}), "docker.io/library/nginx:1.25"))
fixture("http10-nginx-caller", f, [])
f = base()
f.append(sidecar("default", B, ["./catalog.shop.svc.cluster.local"]))
fixture("proxy-not-sent", f, [], states={"cart-v1-5c6d7e8f9-aaaaa": {"RDS": "NOT SENT"}})
