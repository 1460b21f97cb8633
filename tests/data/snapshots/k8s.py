"""Builders for Kubernetes and Istio objects, the healthy base mesh that every
fixture starts from, and write(), which turns a list of objects into a
snapshot fixture directory. Imported by generate.py and gen_*.py."""
import json, os, shutil, sys
T="2026-11-20T09:00:00Z"
def meta(name, ns=None, labels=None, ann=None, ts=T):
    m={"name":name,"creationTimestamp":ts}
    if ns: m["namespace"]=ns
    if labels: m["labels"]=labels
    if ann: m["annotations"]=ann
    return m
def ns(name, labels=None): return {"apiVersion":"v1","kind":"Namespace","metadata":meta(name,labels=labels)}
def pod(name, n, labels, sidecar=True, ready=True, hostnet=False, ann=None, ts=T, init_wait=None):
    cs=[{"name":labels.get("app","app"),"image":"docker.io/istio/examples-bookinfo-%s:1.20.2"%labels.get("app","app"),"ports":[{"containerPort":9080}]}]
    inits=[]
    if sidecar:
        cs.append({"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.22.3"})
        inits.append({"name":"istio-init","image":"docker.io/istio/proxyv2:1.22.3"})
    spec={"containers":cs}
    if inits: spec["initContainers"]=inits
    if hostnet: spec["hostNetwork"]=True
    st={"phase":"Running" if ready or True else "Pending","conditions":[{"type":"Ready","status":"True" if ready else "False"}],
        "containerStatuses":[{"name":c["name"],"ready":ready,"restartCount":0} for c in cs]}
    if init_wait:
        st["phase"]="Pending"; st["initContainerStatuses"]=[{"name":"istio-init","state":{"waiting":{"reason":init_wait}},"restartCount":5}]
    return {"apiVersion":"v1","kind":"Pod","metadata":meta(name,n,labels,ann,ts),"spec":spec,"status":st}
def svc(name, n, sel, port=9080, headless=False):
    s={"selector":sel,"ports":[{"name":"http","port":port,"targetPort":port,"protocol":"TCP"}]}
    s["clusterIP"]="None" if headless else "10.96.%d.%d"%(len(name),port%200)
    return {"apiVersion":"v1","kind":"Service","metadata":meta(name,n),"spec":s}
def dr(name, n, host, subsets=None, tls=None, pool=None):
    spec={"host":host}
    tp={}
    if tls: tp["tls"]={"mode":tls}
    if pool: tp["connectionPool"]=pool
    if tp: spec["trafficPolicy"]=tp
    if subsets: spec["subsets"]=[{"name":s,"labels":{"version":s}} for s in subsets]
    return {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":meta(name,n),"spec":spec}
def vs(name, n, host, routes):
    return {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":meta(name,n),
            "spec":{"hosts":[host],"http":[{"route":[{"destination":{"host":host,"subset":s},"weight":w} for s,w in routes]}]}}
def pa(name, n, mode, sel=None):
    spec={"mtls":{"mode":mode}}
    if sel: spec["selector"]={"matchLabels":sel}
    return {"apiVersion":"security.istio.io/v1","kind":"PeerAuthentication","metadata":meta(name,n),"spec":spec}
def deploy(name, n, labels, image, ready=1):
    return {"apiVersion":"apps/v1","kind":"Deployment","metadata":meta(name,n,labels),
            "spec":{"replicas":1,"selector":{"matchLabels":labels},"template":{"metadata":{"labels":labels},"spec":{"containers":[{"name":"discovery","image":image}]}}},
            "status":{"replicas":1,"readyReplicas":ready}}
def webhook(name, key, value, rev="default"):
    return {"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",
            "metadata":meta(name,labels={"istio.io/rev":rev,"app":"sidecar-injector"}),
            "webhooks":[{"name":"rev.namespace.sidecar-injector.istio.io","clientConfig":{"service":{"name":"istiod","namespace":"istio-system","path":"/inject"}},
                          "namespaceSelector":{"matchExpressions":[{"key":key,"operator":"In","values":[value]}]}}]}
def cm_mesh(mesh):
    return {"apiVersion":"v1","kind":"ConfigMap","metadata":meta("istio","istio-system"),"data":{"mesh":mesh}}
def lst(items): return {"apiVersion":"v1","kind":"List","items":items,"metadata":{"resourceVersion":""}}

# The healthy base mesh and fixture writing
B = "shop"
PS_HEAD = "NAME                                   CLUSTER        CDS                LDS                EDS                RDS                ECDS        ISTIOD                      VERSION\n"

def ps_row(pod, ns, rds="SYNCED (1m ago)", version="1.22.3"):
    """One proxy-status row; the proxy runs the control plane's version."""
    return "%-38s Kubernetes     SYNCED (1m ago)    SYNCED (1m ago)    SYNCED (1m ago)    %-18s IGNORED     istiod-7d9c8b6f5-abcde      %s\n" % (pod + "." + ns, rds, version)

def base():
    items = [ns("istio-system"), ns("kube-system"), ns(B, {"istio-injection": "enabled"}),
             deploy("istiod", "istio-system", {"app": "istiod", "istio": "pilot"}, "docker.io/istio/pilot:1.22.3"),
             pod("istiod-7d9c8b6f5-abcde", "istio-system", {"app": "istiod", "istio": "pilot"}, sidecar=False),
             cm_mesh("enableAutoMtls: true\n"),
             webhook("istio-sidecar-injector", "istio-injection", "enabled"),
             pa("default", "istio-system", "STRICT"),
             pod("kube-proxy-x1", "kube-system", {"k8s-app": "kube-proxy"}, sidecar=False, hostnet=True)]
    for app, vers in [("cart", ["v1", "v2"]), ("catalog", ["v1"])]:
        items.append(svc(app, B, {"app": app}))
        for v in vers:
            items.append(pod("%s-%s-5c6d7e8f9-aaaaa" % (app, v), B, {"app": app, "version": v}))
    items.append(dr("cart", B, "cart", ["v1", "v2"], tls="ISTIO_MUTUAL"))
    items.append(vs("cart", B, "cart", [("v1", 90), ("v2", 10)]))
    items.append(dr("catalog", B, "catalog.shop.svc.cluster.local", ["v1"]))
    return items

def pods_of(items):
    return [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in items
            if o["kind"] == "Pod" and any(c["name"] == "istio-proxy" for c in o["spec"]["containers"])]

def write(name, items, expect, ps_override=None, version="1.22.3", ps=True, logs=None, envoy=None,
          ps_version="1.22.3"):
    """logs: {(namespace, pod, container): text}; container "X.previous" is the log before the last restart.
    envoy: {(namespace, pod, document): JSON value}, the sidecar's admin documents (server_info ...).
    ps_version: the proxies' version in proxy-status (the base mesh's istiod image is 1.22.3)."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    json.dump(lst(items), open(d + "/resources.json", "w"), indent=1)
    if ps:
        rows = "".join(ps_row(p, n, (ps_override or {}).get(p, "SYNCED (1m ago)"), ps_version) for p, n in pods_of(items)
                       if p not in (ps_override or {}) or ps_override[p] is not None)
        open(d + "/proxy-status.txt", "w").write(PS_HEAD + rows)
    json.dump({"versions": {"istio": version}}, open(d + "/meta.json", "w"))
    open(d + "/expect", "w").write("".join(l + "\n" for l in expect))
    for (n, p, c), text in (logs or {}).items():
        os.makedirs(os.path.join(d, "logs", n, p), exist_ok=True)
        open(os.path.join(d, "logs", n, p, c + ".log"), "w").write(text)
    for (n, p, doc), value in (envoy or {}).items():
        os.makedirs(os.path.join(d, "envoy", n, p), exist_ok=True)
        json.dump(value, open(os.path.join(d, "envoy", n, p, doc + ".json"), "w"), indent=1)

def replace(items, kind, name, new):
    return [new if (o["kind"] == kind and o["metadata"]["name"] == name) else o for o in items]

