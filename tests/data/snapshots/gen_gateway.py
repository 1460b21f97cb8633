#!/usr/bin/env python3
"""Write the check fixtures of the 404 family (Gateways, VirtualService binding
and matching): the healthy shop mesh behind an ingress gateway, the same with
one fault each, and a fixture of variants that look suspicious but are fine.

Each fixture is a directory with resources.json, proxy-status.txt, meta.json
and 'expect' (the findings `check` must report, "DIAGNOSIS RESOURCE" per line).
Some fixtures exist for walks of the 404 flow whose cause has no detector
(a route table without a catch-all); `check` must find nothing in them, or
only what the core detectors prove.
Run from this directory: python3 gen_gateway.py
"""
import copy, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

# ps_row in k8s.py pads NAME.NAMESPACE to 38 columns: longer names would break its table
IGW = "istio-ingress-7d4f9-x2k8q"
IGW_LABELS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}

def ingress_pod(name=IGW, labels=IGW_LABELS, n="istio-system"):
    """A gateway pod: Envoy alone (container istio-proxy), no application."""
    p = pod(name, n, dict(labels), sidecar=False)
    p["spec"]["containers"] = [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3",
                                "args": ["proxy", "router"]}]
    p["status"]["containerStatuses"] = [{"name": "istio-proxy", "ready": True, "restartCount": 0}]
    return p

def server(port, hosts, proto="HTTP", cred=None, redirect=False):
    s = {"port": {"number": port, "name": "%s-%d" % (proto.lower(), port), "protocol": proto}, "hosts": hosts}
    if cred:
        s["tls"] = {"mode": "SIMPLE", "credentialName": cred}
    if redirect:
        s["tls"] = {"httpsRedirect": True}
    return s

def gateway(name, n, servers, selector=None, api="networking.istio.io/v1"):
    return {"apiVersion": api, "kind": "Gateway", "metadata": meta(name, n),
            "spec": {"selector": selector or {"istio": "ingressgateway"}, "servers": servers}}

def route(host, prefix=None, exact=None, subset=None, **extra):
    r = {"route": [{"destination": {"host": host, **({"subset": subset} if subset else {})}}]}
    if prefix or exact:
        r["match"] = [{"uri": {"prefix": prefix} if prefix else {"exact": exact}}]
    r.update(extra)
    return r

def vsg(name, n, hosts, gateways, http):
    spec = {"hosts": hosts, "http": http}
    if gateways is not None:
        spec["gateways"] = gateways
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta(name, n), "spec": spec}

def service_entry(name, n, hosts):
    return {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": meta(name, n),
            "spec": {"hosts": hosts, "location": "MESH_EXTERNAL", "resolution": "DNS",
                     "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}]}}

# gateway routes to cart name a subset: cart has a mesh VirtualService that splits by subset
# (a gateway route without one would be gateway-vs-ignores-subset)
SHOP_ROUTES = [route("cart", prefix="/cart", subset="v1"), route("catalog")]

def gw_base(gw_servers=None, shop_vs=None, selector=None):
    """The shop mesh with an ingress gateway pod, a Gateway for shop.example.com in
    istio-system and the VirtualService shop bound to it (/cart to cart, the rest to catalog)."""
    items = base()
    items += [ingress_pod(),
              gateway("shop-gateway", "istio-system", gw_servers or [server(80, ["shop.example.com"])], selector),
              shop_vs or vsg("shop", B, ["shop.example.com"], ["istio-system/shop-gateway"], SHOP_ROUTES)]
    return items

def shop_vs(**kw):
    args = {"name": "shop", "n": B, "hosts": ["shop.example.com"], "gateways": ["istio-system/shop-gateway"],
            "http": SHOP_ROUTES}
    args.update(kw)
    return vsg(**args)

write("gateway-healthy", gw_base(), [])

# Variants that look suspicious but are fine: every gateway reference form,
# namespace-limited and wildcard server hosts, redirect-only servers, a shared
# certificate on different gateway pods, gateway-only rules that lose nothing
# for in-mesh callers, routes in a safe order, and a Gateway API object.
v = gw_base(gw_servers=[server(80, ["shop.example.com"], redirect=True),
                        server(443, ["shop.example.com"], "HTTPS", cred="shop-cert")])
v += [ingress_pod("internal-gw-5b7c9-q8w2e", {"istio": "internal-gateway"}),
      gateway("internal", "istio-system", [server(443, ["*.corp.example.com"], "HTTPS", cred="shop-cert")],
              {"istio": "internal-gateway"}),
      # bare name: the Gateway in the VirtualService's own namespace
      gateway("shop-local", B, [server(8080, ["./local.example.com"])]),
      vsg("local", B, ["local.example.com"], ["shop-local"], [route("catalog")]),
      # ./name and the legacy FQDN form
      vsg("corp", "istio-system", ["api.corp.example.com"], ["./internal"], [route("catalog.shop.svc.cluster.local")]),
      vsg("corp-legacy", B, ["admin.corp.example.com"], ["internal.istio-system.svc.cluster.local"],
          [route("catalog")]),
      # a server host limited to namespace shop, used by a VirtualService of shop
      gateway("partners", "istio-system", [server(80, ["shop/*.partners.example.com"])]),
      vsg("partners", B, ["*.partners.example.com"], ["istio-system/partners"], [route("catalog")]),
      # the bookinfo pattern: hosts "*" on both sides (on gateway pods of its own)
      ingress_pod("catchall-gw-6c5d4-z9y8x", {"istio": "catch-all-gw"}),
      gateway("catch-all", "istio-system", [server(8081, ["*"])], {"istio": "catch-all-gw"}),
      # a wildcard on the public gateway that also covers the internal gateway's hosts:
      # their VirtualServices are bound to the internal one, which serves them
      gateway("public-wild", "istio-system", [server(80, ["*.corp.example.com"])]),
      vsg("catch-all", "istio-system", ["*"], ["catch-all"], [route("catalog.shop.svc.cluster.local")]),
      # gateway-only rules for a mesh Service that add nothing (sidecars route the same way),
      # and ones for cart, which has its own mesh VirtualService
      vsg("catalog-edge", B, ["catalog"], ["istio-system/catch-all"], [route("catalog")]),
      vsg("cart-edge", B, ["cart"], ["istio-system/catch-all"], [route("cart", prefix="/cart", subset="v1")]),
      # an egress host that a "*" server covers: not meant for the ingress gateway
      service_entry("payments-api", B, ["api.payments.example.net"]),
      vsg("payments-api", B, ["api.payments.example.net"], None,
          [{"timeout": "3s", "route": [{"destination": {"host": "api.payments.example.net"}}]}]),
      # routes in a safe order: longer prefix first, a header-only early route, exact before prefix, regex
      vsg("ordered", B, ["ordered.example.com"], ["istio-system/catch-all"], [
          route("cart", prefix="/usrv-expand", subset="v1"),
          route("cart", prefix="/usrv", subset="v1"),
          {"match": [{"uri": {"prefix": "/api"}, "headers": {"x-tester": {"exact": "yes"}}}],
           "route": [{"destination": {"host": "cart", "subset": "v2"}}]},
          route("cart", prefix="/api/v2", subset="v1"),
          route("catalog", exact="/login"),
          route("catalog", prefix="/login"),
          {"match": [{"uri": {"regex": "/items(/.*)?"}}], "route": [{"destination": {"host": "catalog"}}]},
          route("catalog", prefix="/items-archive"),
          {"match": [{"uri": {"prefix": "/Docs"}, "ignoreUriCase": True}], "route": [{"destination": {"host": "catalog"}}]},
          route("catalog")]),
      # a Kubernetes Gateway API Gateway of the same kind name is not Istio's
      {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": meta("shop-gateway", "web"),
       "spec": {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                                            "hostname": "web.example.com"}]}}]
write("gateway-healthy-variants", v, [])

# gateway-host-mismatch: a typo in the VirtualService's host
write("gateway-host-mismatch", gw_base(shop_vs=shop_vs(hosts=["shop.exmaple.com"])),
      ["gateway-host-mismatch VirtualService/shop/shop"])
# the same through a server host that takes VirtualServices of istio-system only
write("gateway-host-mismatch-namespace",
      gw_base(gw_servers=[server(80, ["./shop.example.com"])]),
      ["gateway-host-mismatch VirtualService/shop/shop"])

# vs-not-bound-to-gateway: a bare name for the Gateway that lives in istio-system
write("vs-not-bound-to-gateway", gw_base(shop_vs=shop_vs(gateways=["shop-gateway"])),
      ["vs-not-bound-to-gateway VirtualService/shop/shop"])
# the same with no gateways field at all: the rules are for sidecars only
write("vs-not-bound-to-gateway-mesh-only", gw_base(shop_vs=shop_vs(gateways=None)),
      ["vs-not-bound-to-gateway VirtualService/shop/shop"])

# shared-cert-http2-reuse: two Gateways on the same pods, one wildcard certificate, different hosts
f = gw_base(gw_servers=[server(80, ["shop.example.com"]),
                        server(443, ["shop.example.com"], "HTTPS", cred="wildcard-example-com")])
f += [gateway("blog-gateway", "istio-system", [server(443, ["blog.example.com"], "HTTPS", cred="wildcard-example-com")]),
      vsg("blog", B, ["blog.example.com"], ["istio-system/blog-gateway"], [route("catalog")])]
write("shared-cert-http2-reuse", f,
      ["shared-cert-http2-reuse Gateway/istio-system/shop-gateway",
       "shared-cert-http2-reuse Gateway/istio-system/blog-gateway"])

# vs-match-order-shadowed: prefix /cart placed before /cart-v2
write("vs-match-order-shadowed",
      gw_base(shop_vs=shop_vs(http=[route("cart", prefix="/cart", subset="v1"), route("cart", prefix="/cart-v2", subset="v2"),
                                    route("catalog")])),
      ["vs-match-order-shadowed VirtualService/shop/shop"])

# vs-missing-mesh-gateway: the shop VirtualService also names the catalog Service,
# but only for the gateway; in-mesh callers of catalog miss its /cart route
write("vs-missing-mesh-gateway",
      gw_base(shop_vs=shop_vs(hosts=["shop.example.com", "catalog"])),
      ["vs-missing-mesh-gateway VirtualService/shop/shop"])

# A Gateway whose selector names labels of another installation
write("gateway-selector-no-workload", gw_base(selector={"istio": "ingress"}),
      ["gateway-selector-no-workload Gateway/istio-system/shop-gateway"])
# For walks: the shop VirtualService has no catch-all route (no detector: often intended)
write("gateway-no-catch-all", gw_base(shop_vs=shop_vs(http=[route("cart", prefix="/cart", subset="v1")])), [])
# For walks: the ingress gateway's proxy is STALE (found by the core detector)
write("gateway-proxy-config-stale", gw_base(),
      ["proxy-config-stale Pod/istio-system/" + IGW], ps_override={IGW: "STALE (5m ago)"})
