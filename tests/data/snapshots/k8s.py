import json, sys
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
