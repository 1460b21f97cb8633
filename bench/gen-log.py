#!/usr/bin/env python3
"""Write a large istio-proxy access log for the logs benchmark.

  gen-log.py OUT.log [SIZE_MB]

Default 1024 MB, in Istio's current default TEXT format: a pool of 20,000
varied entries (40 services in 8 namespaces, inbound and outbound, codes
200/404/503/504 with the flags Envoy writes next to them, user agents with
spaces and quotes) written over and over until the size is reached. Every
5,000th line is an Envoy message, a truncated entry or garbage, as in real
logs. Deterministic (fixed seed).
"""
import random, sys

out = sys.argv[1]
size = (int(sys.argv[2]) if len(sys.argv) > 2 else 1024) << 20
rnd = random.Random(42)

services = [("svc-%d" % i, "ns-%d" % (i % 8)) for i in range(40)]
outcomes = [  # code, flags, details, transport failure reason, weight
    (200, "-", "via_upstream", "-", 80),
    (404, "-", "via_upstream", "-", 5),
    (404, "NR", "route_not_found", "-", 2),
    (503, "UO", "upstream_reset_before_response_started{overflow}", "-", 4),
    (503, "UF,URX", "upstream_reset_before_response_started{connection_failure}", "delayed connect error: 111", 3),
    (503, "UH", "no_healthy_upstream", "-", 2),
    (503, "-", "via_upstream", "-", 2),
    (504, "UT", "response_timeout", "-", 2),
]
weights = [o[4] for o in outcomes]
agents = ["curl/8.5.0", "Go-http-client/1.1", "Mozilla/5.0 (X11; Linux x86_64) \\\"quoted\\\" Firefox/120.0",
          "grpc-go/1.60.1", "python-requests/2.31.0"]
paths = ["/", "/api/v1/items", "/api/v1/items/%d", "/healthz", "/reviews/%d?page=%d&size=20"]


def entry(i):
    code, flags, details, reason, _ = rnd.choices(outcomes, weights)[0]
    svc, ns = rnd.choice(services)
    inbound = rnd.random() < 0.3
    port = rnd.choice([80, 8080, 9080])
    cluster = ("inbound|%d||" % port if inbound else
               "outbound|%d|%s|%s.%s.svc.cluster.local" % (port, rnd.choice(["", "v1", "v2"]), svc, ns))
    host = "-" if flags in ("UO", "NR", "UH") else "10.%d.%d.%d:%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), port)
    if flags == "NR":
        cluster = "-"
    path = rnd.choice(paths)
    path = path % tuple(rnd.randrange(1000) for _ in range(path.count("%d")))
    dur = rnd.randrange(1, 3000)
    return ('[2026-11-20T09:%02d:%02d.%03dZ] "%s %s HTTP/%s" %d %s %s - "%s" %d %d %d %s "-" "%s" '
            '"%08x-%04x-4%03x-8%03x-%012x" "%s:%d" "%s" %s 10.%d.%d.%d:%d 10.96.%d.%d:%d 10.%d.%d.%d:%d %s %s\n'
            % (i // 60 % 60, i % 60, i % 1000, rnd.choice(["GET", "GET", "GET", "POST", "PUT"]), path,
               rnd.choice(["1.1", "1.1", "2"]), code, flags, details, reason, rnd.randrange(2000),
               rnd.randrange(20000), dur, "-" if flags != "-" else str(dur - 1 if dur > 1 else 1),
               rnd.choice(agents), rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12),
               rnd.getrandbits(12), rnd.getrandbits(48), svc, port, host, cluster,
               rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(30000, 60000),
               rnd.randrange(256), rnd.randrange(256), port,
               rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(30000, 60000),
               "outbound_.%d_._.%s.%s.svc.cluster.local" % (port, svc, ns) if inbound else "-", "default"))


noise = ["2026-11-20T09:00:00.000000Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012\n",
         "[2026-11-20 09:00:01.123][17][warning][config] StreamAggregatedResources gRPC config stream closed: 13, \n",
         '[2026-11-20T09:00:03.001Z] "GET /api/v1/items HTTP/1.1" 503 UO upstream_reset_bef\n',
         "garbage line\n"]
pool = []
for i in range(20000):
    pool.append(noise[(i // 5000) % len(noise)] if i % 5000 == 4999 else entry(i))
block = "".join(pool).encode()
written = 0
with open(out, "wb") as f:
    while written + len(block) <= size:
        f.write(block)
        written += len(block)
    # the rest: whole lines only
    rest = block[:size - written]
    rest = rest[:rest.rfind(b"\n") + 1]
    f.write(rest)
