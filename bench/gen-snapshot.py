#!/usr/bin/env python3
"""Write a large kubectl List for the check benchmark.

  gen-snapshot.py OUT.json [PODS SERVICES RULES NAMESPACES]

Defaults: 10,000 pods, 3,000 services, 2,000 VirtualServices and 2,000
DestinationRules over 100 namespaces, every fifth rule with a planted fault
(a TLS conflict or a missing subset), so the detectors have work to do.
"""
import json, sys

out = sys.argv[1]
pods, services, rules, nss = (list(map(int, sys.argv[2:6])) + [10000, 3000, 2000, 100][len(sys.argv[2:6]):])[:4]
T = "2026-11-20T09:00:00Z"
items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
         {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
          "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}},
         {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "istiod-1", "namespace": "istio-system", "labels": {"app": "istiod"}},
          "spec": {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.22.3"}]},
          "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}]
for n in range(nss):
    items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-%d" % n, "labels": {"istio-injection": "enabled"}}})
for s in range(services):
    items.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc-%d" % s, "namespace": "ns-%d" % (s % nss)},
                  "spec": {"selector": {"app": "svc-%d" % s}, "clusterIP": "10.0.%d.%d" % (s // 250, s % 250),
                           "ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}})
for p in range(pods):
    s = p % services
    items.append({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "svc-%d-%d" % (s, p), "namespace": "ns-%d" % (s % nss), "creationTimestamp": T,
                               "labels": {"app": "svc-%d" % s, "version": "v%d" % (p % 2 + 1)}},
                  "spec": {"containers": [{"name": "app", "image": "example/app:1"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3"}]},
                  "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
for r in range(rules):
    s = r % services
    host = "svc-%d" % s
    ns = "ns-%d" % (s % nss)
    dr = {"host": host, "subsets": [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]}
    if r % 5 == 0:
        dr["trafficPolicy"] = {"tls": {"mode": "DISABLE"}}
    items.append({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": host, "namespace": ns}, "spec": dr})
    subset = "v3" if r % 5 == 1 else "v2"
    items.append({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": host, "namespace": ns},
                  "spec": {"hosts": [host], "http": [{"route": [{"destination": {"host": host, "subset": "v1"}, "weight": 90},
                                                                 {"destination": {"host": host, "subset": subset}, "weight": 10}]}]}})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(out, "w"))
