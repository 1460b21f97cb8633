#!/usr/bin/env python3
"""Write the snapshot fixtures of the denied flow with access logs (names start
with "authz-logs-"): the base shop mesh (STRICT mTLS mesh-wide), a checkout
caller, the policies as users write them, and the inbound istio-proxy log of
catalog that the log-denied and log-jwt probes read (Istio's default TEXT
format: the response details after the code and flags). One fixture per
cause the logs and the policies show, and a healthy twin whose log has no
refusal. 'expect' lists what `check` finds in the resources.
tests/walks/denied walks them. Run from this directory: python3 gen_authz.py
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8s import *

SHORT = {"cart-v1-5c6d7e8f9-aaaaa": "cart-1", "cart-v2-5c6d7e8f9-aaaaa": "cart-2",
         "catalog-v1-5c6d7e8f9-aaaaa": "catalog-1"}
SA = {"cart": "cart", "catalog": "catalog", "checkout": "checkout"}
IP = {"cart-1": "10.244.1.11", "cart-2": "10.244.1.12", "catalog-1": "10.244.1.21", "checkout-1": "10.244.1.31"}


def shop(mesh=None):
    items = base() + [svc("checkout", B, {"app": "checkout"}),
                      pod("checkout-1", B, {"app": "checkout", "version": "v1"})]
    for o in items:
        if o["kind"] == "Pod" and o["metadata"].get("namespace") == B:
            o["metadata"]["name"] = SHORT.get(o["metadata"]["name"], o["metadata"]["name"])
            o["spec"]["serviceAccountName"] = SA[o["metadata"]["labels"]["app"]]
            o["status"]["podIP"] = IP[o["metadata"]["name"]]
    if mesh:
        items = replace(items, "ConfigMap", "istio", cm_mesh(mesh))
    return items


def ap(name, n, spec):
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta(name, n),
            "spec": spec}


def ra(name, n, sel, issuer):
    return {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": meta(name, n),
            "spec": {"selector": {"matchLabels": sel},
                     "jwtRules": [{"issuer": issuer, "jwksUri": issuer + "/protocol/openid-connect/certs"}]}}


CATALOG = {"matchLabels": {"app": "catalog"}}
N = [0]


def inbound(code, details, flags="-", n=1, path="/api/items"):
    """Lines of catalog's own sidecar: requests from cart-1 that it answered or refused."""
    out = ""
    for i in range(n):
        N[0] += 1
        up = "10.244.1.21:9080" if details == "via_upstream" else "-"
        out += ('[2026-11-20T09:00:%02d.%03dZ] "GET %s HTTP/1.1" %d %s %s - "-" 0 %d 1 - "-" "Go-http-client/1.1" '
                '"6f1c2d3e-0000-4000-8000-%012d" "catalog:9080" "%s" inbound|9080|| - 10.244.1.21:9080 '
                '10.244.1.11:40000 outbound_.9080_._.catalog.shop.svc.cluster.local default\n'
                % (i % 60, N[0] % 1000, path, code, flags, details, 512 if code == 200 else 19, N[0], up))
    return out


def logs(text):
    return {(B, "catalog-1", "istio-proxy"): inbound(200, "via_upstream", n=3) + text}


ONLY_CHECKOUT = {"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/checkout"]}}]}

# a DENY policy of the namespace: only checkout may call catalog, written as a DENY
write("authz-logs-deny", shop() + [ap("catalog-deny-others", B, {
    "selector": CATALOG, "action": "DENY",
    "rules": [{"from": [{"source": {"notPrincipals": ["cluster.local/ns/shop/sa/checkout"]}}]}]})], [],
    logs=logs(inbound(403, "rbac_access_denied_matched_policy[ns.shop.catalog-deny-others]", n=4)))
# a mesh-wide DENY in the root namespace: every path but the API and health checks
write("authz-logs-deny-root", shop() + [ap("deny-unlisted-paths", "istio-system", {
    "action": "DENY", "rules": [{"to": [{"operation": {"notPaths": ["/api/*", "/healthz"]}}]}]})],
    ["authz-root-namespace-policy AuthorizationPolicy/istio-system/deny-unlisted-paths"],
    logs=logs(inbound(403, "rbac_access_denied_matched_policy[ns.istio-system.deny-unlisted-paths]", n=4, path="/")))
# an ALLOW policy for checkout only: cart falls under the implicit deny
write("authz-logs-none", shop() + [ap("catalog-allow-checkout", B, dict(selector=CATALOG, rules=[ONLY_CHECKOUT]))],
      [], logs=logs(inbound(403, "rbac_access_denied_matched_policy[none]", n=4)))
# the healthy twin: cart is allowed too, and the log has no refusal
write("authz-logs-healthy", shop() + [ap("catalog-allow", B, dict(selector=CATALOG, rules=[
    {"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/checkout", "cluster.local/ns/shop/sa/cart"]}}]}]))],
    [], logs=logs(inbound(200, "via_upstream", n=4)))
# allow-nothing for the namespace, and nothing that opens catalog
write("authz-logs-allow-nothing", shop() + [ap("allow-nothing", B, {})],
      ["authz-allow-nothing AuthorizationPolicy/shop/allow-nothing"],
      logs=logs(inbound(403, "rbac_access_denied_matched_policy[none]", n=4)))
# a service account written with a typo
write("authz-logs-unknown-sa", shop() + [ap("catalog-allow", B, dict(selector=CATALOG, rules=[
    {"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/carts"]}}]}]))],
    ["authz-principal-unknown AuthorizationPolicy/shop/catalog-allow"],
    logs=logs(inbound(403, "rbac_access_denied_matched_policy[none]", n=4)))
# requestPrincipals, and the RequestAuthentication was applied to cart instead of catalog
write("authz-logs-req-principals", shop() + [
    ra("jwt", B, {"app": "cart"}, "https://login.example.com/realms/shop"),
    ap("catalog-require-jwt", B, dict(selector=CATALOG, rules=[
        {"from": [{"source": {"requestPrincipals": ["https://login.example.com/realms/shop/*"]}}]}]))],
    ["authz-request-principals-no-jwt AuthorizationPolicy/shop/catalog-require-jwt"],
    logs=logs(inbound(403, "rbac_access_denied_matched_policy[none]", n=4)))
EXT = ("enableAutoMtls: true\nextensionProviders:\n- name: ext-authz\n  envoyExtAuthzHttp:\n"
       "    service: ext-authz.auth.svc.cluster.local\n    port: 8000\n")
CUSTOM = ap("catalog-ext-authz", B, {"selector": CATALOG, "action": "CUSTOM", "provider": {"name": "ext-authz"},
                                     "rules": [{"to": [{"operation": {"paths": ["/*"]}}]}]})
# a declared provider whose service does not answer: Envoy refuses with UAEX
write("authz-logs-ext-authz", shop(EXT) + [CUSTOM], [],
      logs=logs(inbound(403, "ext_authz_error", flags="UAEX", n=4)))
# the provider is not declared: no log here, the evaluator and the check tell
write("authz-logs-custom-unknown", shop() + [CUSTOM],
      ["authz-custom-provider-unknown AuthorizationPolicy/shop/catalog-ext-authz"])
RA = [ra("catalog-jwt", B, {"app": "catalog"}, "https://login.example.com/realms/shop")]
for name, reason in [("jwks", "Jwks_remote_fetch_is_failed"), ("issuer", "Jwt_issuer_is_not_configured"),
                     ("verify", "Jwt_verification_fails"), ("missing", "Jwt_is_missing")]:
    write("authz-logs-jwt-" + name, shop() + RA, [],
          logs=logs(inbound(401, "jwt_authn_access_denied{%s}" % reason, n=4)))
