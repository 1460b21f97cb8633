/*
 * The items of the onboarding checklist: one const table, each item with
 * the check that reads the cluster model and the question that decides it
 * when the cluster cannot, and the fixes the checks and the answers share.
 * Checks reuse the detectors (detect_run) and probes (probe_find) wherever
 * one already proves the point, and read the model with the mesh helpers
 * for what none of them covers.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/yamljson.h"
#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "detect/detect.h"
#include "detect/routing.h"
#include "detect/workload.h"
#include "onboard/item.h"
#include "probes/probe.h"

/* ---- the fixes, shared by the checks and the answers ---- */

static const char fix_injection[] =
    "Label the namespace for injection, then restart its workloads so that every pod is "
    "created again with a sidecar (pods never get one while they run):\n"
    "    kubectl label namespace NAMESPACE istio-injection=enabled --overwrite\n"
    "    kubectl rollout restart deployment,statefulset,daemonset -n NAMESPACE\n"
    "Where the mesh is installed with revisions (istioctl tag list shows them), label "
    "istio.io/rev=REVISION instead and remove istio-injection, which wins over it.";
static const char fix_restart[] =
    "Restart the workloads whose pods have no sidecar; their new pods are injected:\n"
    "    kubectl rollout restart deployment,statefulset,daemonset -n NAMESPACE\n"
    "    kubectl get pods -n NAMESPACE -o custom-columns=NAME:.metadata.name,"
    "CONTAINERS:.spec.containers[*].name";
static const char fix_opt_out[] =
    "Pods that opt out keep running outside the mesh. If they should join it, remove "
    "the sidecar.istio.io/inject: \"false\" annotation or label from their pod template and "
    "restart them; if they must stay out, make sure their callers do not require "
    "mutual TLS from them (PeerAuthentication PERMISSIVE for their ports).";
static const char fix_ports[] =
    "Name every Service port <protocol>[-suffix] or set appProtocol (Istio 1.6 and later), so "
    "that the sidecars do not have to guess:\n"
    "    ports:\n"
    "    - name: http-web        # HTTP/1.1; http2, grpc, grpc-web for the others\n"
    "      port: 8080\n"
    "    - name: tcp-db          # anything that is not HTTP: tcp, tls, mysql, mongo, redis\n"
    "      port: 3306\n"
    "      appProtocol: mysql    # appProtocol wins over the name";
static const char fix_http10[] =
    "Make the clients speak HTTP/1.1: in nginx or OpenResty add proxy_http_version 1.1; "
    "(and proxy_set_header Connection \"\"; for keep-alive) to every location with "
    "proxy_pass. If a client cannot change, let its sidecar accept HTTP/1.0 with the pod "
    "annotation below (read when the pod starts), or set PILOT_HTTP10=1 on istiod for the "
    "whole mesh (every Istio release since 1.1):\n"
    "    proxy.istio.io/config: |\n"
    "      proxyMetadata:\n"
    "        ISTIO_META_HTTP10: \"1\"";
static const char fix_headless[] =
    "Address a headless Service's pods by their own names (POD.SERVICE.NAMESPACE.svc."
    "cluster.local), not by pod IP; leave loadBalancer settings out of its "
    "DestinationRules, which are ignored for it; give every pod behind it a sidecar; and "
    "to route a gateway to one chosen pod, declare that pod as a host of its own with a "
    "ServiceEntry.";
static const char fix_probes[] =
    "Let Istio rewrite the probes (the default in every built-in profile since about Istio "
    "1.7): remove the annotation sidecar.istio.io/rewriteAppHTTPProbers: \"false\" from the "
    "pod template, or set sidecarInjectorWebhook.rewriteAppHTTPProbe back to true, then "
    "restart the pods. If the rewrite must stay off, exclude the probed port from the "
    "sidecar (traffic.sidecar.istio.io/excludeInboundPorts: \"PORT\"), use an exec probe, or "
    "set that port PERMISSIVE:\n"
    "    apiVersion: security.istio.io/v1\n"
    "    kind: PeerAuthentication\n"
    "    metadata:\n"
    "      name: probes\n"
    "      namespace: NAMESPACE\n"
    "    spec:\n"
    "      selector:\n"
    "        matchLabels:\n"
    "          app: APP\n"
    "      mtls:\n"
    "        mode: STRICT\n"
    "      portLevelMtls:\n"
    "        8080:\n"
    "          mode: PERMISSIVE";
static const char fix_hold[] =
    "Start the applications only once their sidecar is ready (Istio 1.7 and later), for "
    "the whole mesh in meshConfig or per workload with this pod template annotation, then "
    "restart the pods:\n"
    "    proxy.istio.io/config: |\n"
    "      holdApplicationUntilProxyStarts: true\n"
    "Before 1.7, make the application retry its first connections, or wait in its "
    "entrypoint until curl -sf http://127.0.0.1:15021/healthz/ready succeeds.";
static const char fix_cni[] =
    "Install the Istio CNI plugin, which sets up the traffic redirection from a node agent "
    "so that pods no longer need NET_ADMIN and NET_RAW; with it, meshed namespaces can "
    "enforce the Pod Security baseline level:\n"
    "    istioctl install --set components.cni.enabled=true\n"
    "    kubectl get daemonset -A | grep istio-cni-node";
static const char fix_udp[] =
    "Istio's sidecars carry TCP only: UDP and SCTP pass the mesh without mutual TLS, "
    "metrics or policy. Control that traffic with a Kubernetes NetworkPolicy, encrypt it in "
    "the application (DTLS, QUIC), or use a TCP variant of the protocol where there is one.";
static const char fix_own_tls[] =
    "Name ports that carry the application's own TLS https-NAME or tls-NAME (or set "
    "appProtocol: https), so that the sidecars pass the encrypted bytes through and route "
    "them by server name; clients with a sidecar then work under STRICT mutual TLS, since "
    "Istio wraps the application's TLS. Set no DestinationRule tls mode SIMPLE or MUTUAL for "
    "it in the mesh (that would start a second TLS session). Clients outside the mesh "
    "need the port PERMISSIVE (PeerAuthentication portLevelMtls) or a gateway with TLS "
    "mode PASSTHROUGH in front of it.";
static const char fix_mixed[] =
    "Give each protocol a port of its own: a sidecar's listener speaks one protocol per "
    "port. Where two Services select the same pods, declare each container port with the "
    "same protocol in both (the same name prefix or appProtocol).";
static const char fix_header_case[] =
    "Make the application compare header names without regard to case (HTTP says they "
    "are case-insensitive). Until then, keep the case on HTTP/1.1 from Istio 1.25 with "
    "ProxyConfig (mesh-wide in meshConfig.defaultConfig, or per pod), or on older releases "
    "with an EnvoyFilter setting header_key_format (preserve_case from Istio 1.10):\n"
    "    proxy.istio.io/config: |\n"
    "      proxyHeaders:\n"
    "        preserveHttp1HeaderCase: true";
static const char fix_retries[] =
    "Turn retries off for the routes of calls that must not run twice, or make those calls "
    "idempotent (an idempotency key the server checks):\n"
    "    apiVersion: networking.istio.io/v1\n"
    "    kind: VirtualService\n"
    "    metadata:\n"
    "      name: SERVICE\n"
    "      namespace: NAMESPACE\n"
    "    spec:\n"
    "      hosts:\n"
    "      - SERVICE\n"
    "      http:\n"
    "      - match:\n"
    "        - method:\n"
    "            exact: POST\n"
    "        route:\n"
    "        - destination:\n"
    "            host: SERVICE\n"
    "        retries:\n"
    "          attempts: 0\n"
    "      - route:\n"
    "        - destination:\n"
    "            host: SERVICE";
static const char fix_tracing[] =
    "Forward the trace headers of each incoming request to every request made on its "
    "behalf: x-request-id always, and the tracer's own (traceparent and tracestate for "
    "OpenTelemetry; x-b3-traceid, x-b3-spanid, x-b3-parentspanid, x-b3-sampled, x-b3-flags "
    "or b3 for Zipkin and Jaeger). An OpenTelemetry SDK or the framework's tracing "
    "integration does it for you.";

/* ---- the checks ---- */

/* Installed injection webhooks, as evidence: which label each answers. */
static void webhooks_evidence(struct ob_ctx *x, struct ob_result *r)
{
	const struct kobj_list *whs = cluster_list(x->c, "MutatingWebhookConfiguration", NULL);
	for (size_t i = 0; i < whs->n; i++) {
		const char *rev = json_string_value(
		    json_object_get(jpath(whs->v[i]->j, "metadata.labels"), "istio.io/rev"));
		if (strstr(whs->v[i]->name, "sidecar-injector"))
			ob_ev(r, "MutatingWebhookConfiguration %s injects (revision %s)",
			   whs->v[i]->name, rev ? rev : "default");
	}
}

static void check_injection(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Namespace") || !ob_need(x, r, "MutatingWebhookConfiguration") ||
	    !ob_need(x, r, "Pod"))
		return;
	const struct kobj *ns = cluster_get(x->c, "Namespace", "", x->ns);
	char *inj = ns ? namespace_injection(ns) : NULL;
	if (!inj || strcmp(inj, "disabled") == 0) {
		ob_ev(r, "namespace %s: %s", x->ns,
		   inj ? "istio-injection=disabled" : "no istio-injection or istio.io/rev label");
		webhooks_evidence(x, r);
		ob_raise(
		    r, OB_FAIL, fix_injection,
		    "Namespace %s does not ask for sidecar injection, so the pods created in it "
		    "get no sidecar and stay outside the mesh.",
		    x->ns);
		free(inj);
		return;
	}
	ob_ev(r, "namespace %s is labelled %s", x->ns,
	   strncmp(inj, "rev:", 4) == 0 ? inj + 4 : "istio-injection=enabled");
	free(inj);
	if (ob_detected(x, r, "injection-revision-mismatch"))
		ob_raise(r, OB_FAIL, fix_injection,
		         "The namespace's label names a revision that no installed control plane "
		         "injects: new pods get no sidecar.");
	if (ob_detected(x, r, "injector-unavailable"))
		ob_raise(
		    r, OB_FAIL, NULL,
		    "The sidecar injector (istiod) has no ready pod, so pods are created "
		    "without a sidecar or not at all; check kubectl get pods -n %s -l app=istiod.",
		    cluster_control_namespace(x->c));
	if (ob_detected(x, r, "pod-predates-injection"))
		ob_raise(
		    r, OB_FAIL, fix_restart,
		    "Some pods were created before injection was switched on and run without a "
		    "sidecar until they are restarted.");
	if (ob_detected(x, r, "pod-injection-disabled"))
		ob_raise(r, OB_WARN, fix_opt_out,
		         "Some pods opt out of injection (sidecar.istio.io/inject: \"false\") and "
		         "stay outside the mesh.");
	if (ob_detected(x, r, "host-network-pod"))
		ob_raise(r, OB_WARN, NULL,
		         "Pods with hostNetwork: true are never injected; they reach the mesh as "
		         "clients without a sidecar.");
	size_t with = 0;
	for (size_t i = 0; i < x->pods.n; i++)
		with += pod_has_sidecar(x->pods.v[i]);
	ob_ev(r, "%zu of %zu pods have an istio-proxy sidecar", with, x->pods.n);
	ob_raise(r, OB_PASS, NULL,
	         "The namespace is labelled for injection, an installed control plane answers the "
	         "label, and every pod has its sidecar.");
}

/* Images that speak a protocol where the server sends the first bytes. */
static const char *const server_first_images[] = {"mysql", "mariadb", "mongo",
                                                  "nats",  "postfix", "smtp"};

struct image_hit {
	const char *const *names;
	size_t n;
	const char *found; /* the first image that matched */
};

static void image_match(const char *image, void *arg)
{
	struct image_hit *h = arg;
	for (size_t i = 0; i < h->n && !h->found; i++)
		if (strcasestr(image, h->names[i]))
			h->found = image;
}

/* The first image among the pods of svc that names one of names, or NULL (borrowed). */
static const char *service_image(struct ob_ctx *x, const struct kobj *svc, const char *const *names,
                                 size_t n)
{
	struct kobj_list pods = service_pods(x->c, svc);
	struct image_hit h = {names, n, NULL};
	for (size_t i = 0; i < pods.n && !h.found; i++)
		ob_each_app_image(pods.v[i], image_match, &h);
	free(pods.v);
	return h.found;
}

static void check_port_naming(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Service") || !ob_need(x, r, "Pod"))
		return;
	size_t ports = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		const struct kobj *svc = x->svcs.v[i];
		json_t *list = jpath(svc->j, "spec.ports");
		for (size_t k = 0; k < json_array_size(list); k++) {
			char *why;
			const char *cls = routing_port_class(x->c, json_array_get(list, k), &why);
			/* routing_port_class says "declares no protocol" when neither name nor
			 * appProtocol does */
			bool declared = !strstr(why, "declares no protocol");
			ports++;
			ob_ev(r, "Service %s: %s", svc->name, why);
			const char *image = declared || strcmp(cls, "udp") == 0
			                        ? NULL
			                        : service_image(x, svc, server_first_images,
			                                        MM_ARRAY_LEN(server_first_images));
			if (image)
				ob_raise(
				    r, OB_FAIL, fix_ports,
				    "Service %s runs %s, whose protocol has the server speak "
				    "first, on a port that declares no protocol: the sidecar "
				    "waits for the client's first bytes to detect the protocol, "
				    "so connections stall.",
				    svc->name, image);
			else if (!declared && strcmp(cls, "udp") != 0)
				ob_raise(
				    r, OB_WARN, fix_ports,
				    "Some Service ports declare no protocol: the sidecars guess it "
				    "from the first bytes (Istio 1.3 and later), which costs a "
				    "little latency and treats anything that is not HTTP as "
				    "plain TCP.");
			free(why);
		}
	}
	if (ob_detected(x, r, "service-port-naming"))
		ob_raise(
		    r, OB_FAIL, fix_ports,
		    "A VirtualService has http rules for a Service whose ports are declared TCP, "
		    "so those rules never apply.");
	char *where = ob_scope_name(x);
	if (!ports)
		ob_raise(r, OB_PASS, NULL, "%s has no Service ports to declare.", where);
	else
		ob_raise(r, OB_PASS, NULL,
		         "Every Service port of %s declares its protocol by name or appProtocol.",
		         where);
	free(where);
}

static void check_http10(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Pod"))
		return;
	size_t clients = 0, accepted = 0;
	for (size_t i = 0; i < x->pods.n; i++) {
		struct strlist pev = {0};
		char *is = ob_run_probe(x, "caller-http10-client", NULL, x->pods.v[i]->name, &pev);
		char *on =
		    is ? ob_run_probe(x, "http10-enabled", NULL, x->pods.v[i]->name, &pev) : NULL;
		if (is && strcmp(is, "yes") == 0) {
			clients++;
			accepted += on && strcmp(on, "yes") == 0;
			for (size_t k = 0; k < pev.n; k++)
				ob_ev(r, "%s", pev.v[k]);
		}
		sl_free(&pev);
		free(is);
		free(on);
	}
	if (clients && accepted == clients)
		ob_raise(r, OB_PASS, NULL,
		         "Pods run nginx or another HTTP/1.0 client, and their sidecars accept "
		         "HTTP/1.0 (PILOT_HTTP10 or ISTIO_META_HTTP10).");
	else if (clients)
		ob_raise(
		    r, OB_WARN, fix_http10,
		    "%zu pod%s run nginx, OpenResty or ab, which send HTTP/1.0 (nginx's "
		    "proxy_pass does unless proxy_http_version 1.1 is set); Envoy answers HTTP/1.0 "
		    "with 426 Upgrade Required on every Istio release unless it is switched on.",
		    clients - accepted, clients - accepted == 1 ? "" : "s");
	else
		ob_ask(r, "no container here runs a known HTTP/1.0 client (nginx, OpenResty, ab); "
		          "what other clients send, the cluster cannot show");
}

static void check_headless(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Service") || !ob_need(x, r, "StatefulSet"))
		return;
	size_t headless = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		const struct kobj *svc = x->svcs.v[i];
		if (!service_headless(svc))
			continue;
		headless++;
		struct strlist pev = {0};
		char *sts = ob_run_probe(x, "statefulset-service", svc->name, NULL, &pev);
		for (size_t k = 0; k < pev.n; k++)
			ob_ev(r, "%s", pev.v[k]);
		sl_free(&pev);
		free(sts);
	}
	if (!headless) {
		ob_raise(r, OB_PASS, NULL, "There is no headless Service (clusterIP: None) here.");
		return;
	}
	if (ob_detected(x, r, "headless-no-sidecar-mtls"))
		ob_raise(
		    r, OB_FAIL, fix_headless,
		    "On this Istio release (1.5 and 1.6) clients with a sidecar always use mutual "
		    "TLS towards a headless Service, and its pods without a sidecar refuse it.");
	if (ob_detected(x, r, "headless-lb-policy-ignored"))
		ob_raise(
		    r, OB_WARN, fix_headless,
		    "A DestinationRule sets a load-balancer policy for a headless Service; the "
		    "sidecars send each call to the address the client resolved, so the policy "
		    "does nothing.");
	ob_raise(r, OB_PASS, NULL,
	         "Headless Services work in the mesh: clients reach each pod by its own name "
	         "(POD.SERVICE.NAMESPACE.svc.cluster.local) and the sidecar keeps the address the "
	         "client chose; load-balancer settings do not apply to them, and a gateway can "
	         "route to one chosen pod only through a ServiceEntry for it.");
}

/* A probe's port as a number: numeric, or the container's port of that name; 0 if unknown. */
static long probe_port_number(json_t *ctr, json_t *port)
{
	const char *name = json_string_value(port);
	json_t *cps = json_object_get(ctr, "ports");
	for (size_t i = 0; name && i < json_array_size(cps); i++)
		if (jstr(json_array_get(cps, i), "name") &&
		    strcmp(jstr(json_array_get(cps, i), "name"), name) == 0)
			return (long)json_integer_value(
			    jpath(json_array_get(cps, i), "containerPort"));
	return json_is_integer(port) ? (long)json_integer_value(port) : 0;
}

/* Why the HTTP probes of a pod are not rewritten at injection (new string), or NULL. */
static char *rewrite_off(struct ob_ctx *x, const struct kobj *pod, json_t *vals)
{
	const char *a = ob_annotation(pod, "sidecar.istio.io/rewriteAppHTTPProbers");
	json_t *g = jpath(vals, "sidecarInjectorWebhook.rewriteAppHTTPProbe");
	const char *v = cluster_istio_version(x->c);
	if (a && strcmp(a, "false") == 0)
		return xstrdup("annotation sidecar.istio.io/rewriteAppHTTPProbers: \"false\"");
	if (json_is_false(g))
		return xstrdup("injector values: sidecarInjectorWebhook.rewriteAppHTTPProbe false");
	if (v && version_cmp(v, "1.7") < 0 && !json_is_true(g))
		return xasprintf("Istio %s, whose profiles did not all rewrite probes (every "
		                 "built-in one does from about 1.7)",
		                 v);
	return NULL;
}

static const char *const probe_fields[] = {"livenessProbe", "readinessProbe", "startupProbe"};

/* The probes of one app container: HTTP ones on STRICT ports that are not rewritten fail. */
static void container_probes(struct ob_ctx *x, struct ob_result *r, const struct kobj *pod,
                             json_t *ctr, const char *off, size_t *count)
{
	const char *v = cluster_istio_version(x->c);
	for (size_t k = 0; k < MM_ARRAY_LEN(probe_fields); k++) {
		json_t *probe = json_object_get(ctr, probe_fields[k]);
		json_t *get = json_object_get(probe, "httpGet"),
		       *tcp = json_object_get(probe, "tcpSocket");
		json_t *at = get ? get : tcp;
		long port = at ? probe_port_number(ctr, json_object_get(at, "port")) : 0;
		if (!at || port <= 0)
			continue;
		(*count)++;
		const struct kobj *pa = NULL;
		const char *mode = peer_auth_mode(x->c, pod, port, &pa);
		bool rewritten =
		    port == 15020 ||
		    (jstr(get, "path") && strncmp(jstr(get, "path"), "/app-health/", 12) == 0);
		ob_ev(r, "pod %s container %s: %s %s on port %ld, mutual TLS %s%s%s", pod->name,
		   jstr(ctr, "name"), probe_fields[k], get ? "HTTP GET" : "TCP", port, mode,
		   rewritten ? ", rewritten to the sidecar agent"
		   : off     ? ", not rewritten: "
		             : "",
		   rewritten || !off ? "" : off);
		if (rewritten)
			continue;
		if (get && off && strcmp(mode, "STRICT") == 0)
			ob_raise(
			    r, OB_FAIL, fix_probes,
			    "An HTTP probe reaches a port that requires mutual TLS and Istio does "
			    "not rewrite it: the kubelet has no mesh certificate, so the probe "
			    "fails and the container is restarted or never Ready.");
		else if (tcp && (off || (v && version_cmp(v, "1.12") < 0)))
			ob_raise(
			    r, OB_WARN, fix_probes,
			    "A TCP probe is not rewritten (Istio rewrites TCP probes from 1.12 "
			    "on, when rewriting is on): the sidecar accepts every connection, so "
			    "the probe passes even when the application is down.");
	}
}

static void check_probes(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Pod") || !ob_need(x, r, "PeerAuthentication"))
		return;
	json_t *vals = ob_injector_values(x->c);
	size_t count = 0;
	for (size_t i = 0; i < x->pods.n; i++) {
		const struct kobj *p = x->pods.v[i];
		char *off = rewrite_off(x, p, vals);
		json_t *ctrs = jpath(p->j, "spec.containers");
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			const char *n = jstr(json_array_get(ctrs, k), "name");
			if (n && workload_is_app(n))
				container_probes(x, r, p, json_array_get(ctrs, k), off, &count);
		}
		free(off);
	}
	json_decref(vals);
	if (ob_detected(x, r, "probe-fails-under-mtls"))
		ob_raise(
		    r, OB_FAIL, fix_probes,
		    "A probe already fails because the kubelet cannot pass the sidecar's mutual "
		    "TLS.");
	if (!count)
		ob_raise(
		    r, OB_PASS, NULL,
		    "No pod has an HTTP or TCP probe; exec probes run inside the container and "
		    "are not affected by the sidecar.");
	else
		ob_raise(
		    r, OB_PASS, NULL,
		    "Istio rewrites the HTTP and TCP probes so that the sidecar agent (port 15020) "
		    "calls the application; they pass under mutual TLS.");
}

/* Where holdApplicationUntilProxyStarts is set for the whole mesh, or NULL. */
static const char *hold_mesh_wide(struct cluster *c)
{
	json_t *vals = ob_injector_values(c);
	const char *where =
	    ob_truthy(jpath(cluster_mesh_config(c), "defaultConfig.holdApplicationUntilProxyStarts"))
	        ? "meshConfig.defaultConfig"
	    : ob_truthy(jpath(vals, "global.proxy.holdApplicationUntilProxyStarts"))
	        ? "the injector values (global.proxy)"
	        : NULL;
	json_decref(vals);
	return where;
}

static void check_startup(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Pod"))
		return;
	if (ob_detected(x, r, "app-exits-before-proxy-ready"))
		ob_raise(r, OB_FAIL, fix_hold,
		         "An application exits at start-up because its first connections fail "
		         "before its sidecar is ready.");
	if (ob_detected(x, r, "sidecar-not-ready-at-start"))
		ob_raise(r, OB_FAIL, fix_hold,
		         "An application calls out before its sidecar is ready, and those first "
		         "calls fail.");
	if (r->status == OB_FAIL)
		return;
	const char *where = hold_mesh_wide(x->c);
	if (where) {
		ob_ev(r, "holdApplicationUntilProxyStarts: true in %s", where);
		ob_raise(r, OB_PASS, NULL,
		         "Applications start only once their sidecar is ready "
		         "(holdApplicationUntilProxyStarts, Istio 1.7 and later).");
		return;
	}
	size_t held = 0;
	for (size_t i = 0; i < x->pods.n; i++) {
		const struct kobj *p = x->pods.v[i];
		const char *y = ob_annotation(p, "proxy.istio.io/config");
		json_t *pc = y ? yaml_first_doc(y) : NULL;
		bool on = ob_truthy(json_object_get(pc, "holdApplicationUntilProxyStarts")) ||
		          workload_app_held(x->c, p, NULL);
		json_decref(pc);
		held += on;
		if (on)
			ob_ev(r, "pod %s waits for its sidecar (annotation or injected hook)",
			   p->name);
	}
	if (x->pods.n && held == x->pods.n) {
		ob_raise(r, OB_PASS, NULL,
		         "Every pod waits for its sidecar before its applications start.");
		return;
	}
	ob_ev(r,
	   "holdApplicationUntilProxyStarts is not set in meshConfig.defaultConfig, the "
	   "injector values or the proxy.istio.io/config annotation of %zu of %zu pods",
	   x->pods.n - held, x->pods.n);
	ob_ask(r, "applications start at the same time as their sidecar, which may not be ready "
	          "for a few seconds; whether they call out at start-up the cluster cannot show");
}

/* The DaemonSet of the Istio CNI node agent, or NULL. */
static const struct kobj *cni_daemonset(struct cluster *c)
{
	const struct kobj_list *ds = cluster_list(c, "DaemonSet", NULL);
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->v[i]->name, "istio-cni-node") == 0)
			return ds->v[i];
	return NULL;
}

static void check_net_admin(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Pod"))
		return;
	if (ob_detected(x, r, "istio-init-no-net-admin"))
		ob_raise(r, OB_FAIL, fix_cni,
		         "istio-init is refused the NET_ADMIN and NET_RAW capabilities it needs to "
		         "redirect the pod's traffic.");
	if (r->status == OB_FAIL || !ob_need(x, r, "DaemonSet") || !ob_need(x, r, "Namespace"))
		return;
	const struct kobj *cni = cni_daemonset(x->c);
	if (cni) {
		ob_ev(r, "DaemonSet %s/%s runs the Istio CNI node agent", cni->ns, cni->name);
		ob_raise(
		    r, OB_PASS, NULL,
		    "The Istio CNI plugin is installed: it sets up the traffic redirection, so "
		    "pods need no NET_ADMIN or NET_RAW.");
		return;
	}
	ob_ev(r, "no DaemonSet istio-cni-node: every pod gets the istio-init container, which needs "
	      "NET_ADMIN and NET_RAW");
	const struct kobj *ns = cluster_get(x->c, "Namespace", "", x->ns);
	/* label keys hold dots, so they are not looked up as a path */
	const char *level =
	    ns ? json_string_value(json_object_get(jpath(ns->j, "metadata.labels"),
	                                           "pod-security.kubernetes.io/enforce"))
	       : NULL;
	if (level && (strcmp(level, "baseline") == 0 || strcmp(level, "restricted") == 0)) {
		ob_ev(r, "namespace %s: pod-security.kubernetes.io/enforce=%s", x->ns, level);
		ob_raise(
		    r, OB_FAIL, fix_cni,
		    "The namespace enforces the Pod Security %s level, which forbids NET_ADMIN "
		    "and NET_RAW: pods with istio-init will be refused.",
		    level);
		return;
	}
	ob_raise(r, OB_PASS, NULL,
	         "Nothing in the namespace forbids istio-init's NET_ADMIN and NET_RAW (no Pod "
	         "Security baseline or restricted level); a cluster-wide policy (PodSecurityPolicy "
	         "up to Kubernetes 1.24, an OpenShift SCC, Kyverno or Gatekeeper) still could, and "
	         "the Istio CNI plugin avoids the question.");
}

/* A port list entry that is UDP or SCTP, as evidence; returns whether it was. */
static bool non_tcp(struct ob_result *r, json_t *port, const char *what, const char *name)
{
	const char *proto = jstr(port, "protocol");
	if (!proto || (strcmp(proto, "UDP") != 0 && strcmp(proto, "SCTP") != 0))
		return false;
	json_t *n = json_object_get(port, "port");
	ob_ev(r, "%s %s: port %lld is %s", what, name,
	   json_integer_value(n ? n : json_object_get(port, "containerPort")), proto);
	return true;
}

static void check_udp(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Service") || !ob_need(x, r, "Pod"))
		return;
	size_t found = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		json_t *ports = jpath(x->svcs.v[i]->j, "spec.ports");
		for (size_t k = 0; k < json_array_size(ports); k++)
			found +=
			    non_tcp(r, json_array_get(ports, k), "Service", x->svcs.v[i]->name);
	}
	for (size_t i = 0; i < x->pods.n; i++) {
		json_t *ctrs = jpath(x->pods.v[i]->j, "spec.containers");
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			json_t *ports = json_object_get(json_array_get(ctrs, k), "ports");
			for (size_t p = 0; p < json_array_size(ports); p++)
				found +=
				    non_tcp(r, json_array_get(ports, p), "pod", x->pods.v[i]->name);
		}
	}
	if (found)
		ob_raise(r, OB_WARN, fix_udp,
		         "Some ports carry UDP or SCTP, which the sidecar does not proxy: that "
		         "traffic gets no mutual TLS, metrics or policy.");
	else
		ob_raise(r, OB_PASS, NULL, "No Service or container port here uses UDP or SCTP.");
}

static bool tls_number(long n)
{
	return n == 443 || n == 8443;
}

/*
 * A Service port that looks like the application's own TLS: named so, or
 * on 443/8443. Returns whether it does.
 */
static bool own_tls_port(struct ob_ctx *x, struct ob_result *r, const struct kobj *svc,
                         json_t *port)
{
	char *proto = workload_port_protocol(port), *why;
	long number = (long)json_integer_value(json_object_get(port, "port"));
	json_t *t = json_object_get(port, "targetPort");
	bool named = proto && (strcmp(proto, "https") == 0 || strcmp(proto, "tls") == 0);
	bool by_number =
	    tls_number(number) || (json_is_integer(t) && tls_number((long)json_integer_value(t)));
	free(proto);
	if (!named && !by_number)
		return false;
	const char *cls = routing_port_class(x->c, port, &why);
	ob_ev(r, "Service %s: %s", svc->name, why);
	free(why);
	if (strcmp(cls, "http") == 0 || strcmp(cls, "sniffed") == 0) {
		ob_raise(
		    r, OB_WARN, fix_own_tls,
		    "Port %ld of Service %s is the usual port of TLS but is %s: if the "
		    "application serves its own TLS there, the sidecars cannot read it as HTTP "
		    "and reset the connections.",
		    number, svc->name, strcmp(cls, "http") == 0 ? "declared HTTP" : "not named");
		return true;
	}
	struct kobj_list pods = service_pods(x->c, svc);
	long target = json_is_integer(t) ? (long)json_integer_value(t) : number;
	const char *mode = pods.n ? peer_auth_mode(x->c, pods.v[0], target, NULL) : NULL;
	free(pods.v);
	if (mode && strcmp(mode, "STRICT") == 0)
		ob_raise(
		    r, OB_WARN, fix_own_tls,
		    "Service %s terminates its own TLS on port %ld under STRICT mutual TLS: "
		    "clients with a sidecar work (Istio wraps their TLS), clients outside the mesh "
		    "are refused.",
		    svc->name, number);
	else
		ob_raise(
		    r, OB_PASS, NULL,
		    "Ports with the applications' own TLS are declared TLS, and the sidecars pass "
		    "them through.");
	return true;
}

static void check_own_tls(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Service") || !ob_need(x, r, "PeerAuthentication"))
		return;
	size_t found = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		json_t *ports = jpath(x->svcs.v[i]->j, "spec.ports");
		for (size_t k = 0; k < json_array_size(ports); k++)
			found += own_tls_port(x, r, x->svcs.v[i], json_array_get(ports, k));
	}
	if (!found)
		ob_raise(r, OB_PASS, NULL,
		         "No Service port is named https or tls or targets 443 or 8443: nothing "
		         "here seems "
		         "to terminate its own TLS.");
}

static void check_mixed(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Service") || !ob_need(x, r, "Pod"))
		return;
	if (ob_detected(x, r, "mixed-protocol-port"))
		ob_raise(r, OB_FAIL, fix_mixed,
		         "A container port is declared HTTP by one Service and TCP by another; its "
		         "sidecar listener can speak only one of them.");
	else
		ob_raise(r, OB_PASS, NULL,
		         "No container port is declared with two protocols by different Services.");
}

static void check_header_case(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "EnvoyFilter") || !ob_need(x, r, "Pod"))
		return;
	if (json_is_true(jpath(cluster_mesh_config(x->c),
	                       "defaultConfig.proxyHeaders.preserveHttp1HeaderCase"))) {
		ob_ev(r, "meshConfig defaultConfig.proxyHeaders.preserveHttp1HeaderCase: true");
		ob_raise(r, OB_PASS, NULL,
		         "The sidecars keep the case of HTTP/1.1 header names for the whole mesh "
		         "(Istio 1.25 and later).");
		return;
	}
	size_t kept = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		struct strlist pev = {0};
		char *how = ob_run_probe(x, "header-case-config", x->svcs.v[i]->name, NULL, &pev);
		for (size_t k = 0; k < pev.n; k++)
			ob_ev(r, "Service %s: %s", x->svcs.v[i]->name, pev.v[k]);
		kept += how && strcmp(how, "configured") == 0;
		sl_free(&pev);
		free(how);
	}
	if (x->svcs.n && kept == x->svcs.n) {
		ob_raise(
		    r, OB_PASS, NULL,
		    "The sidecars of every Service here keep the case of HTTP/1.1 header names.");
		return;
	}
	ob_ask(r, "Envoy writes HTTP/1.1 header names in lower case unless told otherwise; whether "
	          "an application depends on their case the cluster cannot show");
}

static void check_retries(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "VirtualService") || !ob_need(x, r, "Service"))
		return;
	size_t retried = 0;
	for (size_t i = 0; i < x->svcs.n; i++) {
		struct strlist pev = {0};
		char *how = ob_run_probe(x, "vs-retries", x->svcs.v[i]->name, NULL, &pev);
		for (size_t k = 0; k < pev.n; k++)
			ob_ev(r, "Service %s: %s", x->svcs.v[i]->name, pev.v[k]);
		retried += !how || strcmp(how, "disabled") != 0;
		sl_free(&pev);
		free(how);
	}
	if (!retried) {
		ob_raise(r, OB_PASS, NULL,
		         "No route here retries: the VirtualServices or meshConfig "
		         "defaultHttpRetryPolicy set attempts to 0.");
		return;
	}
	ob_ask(r, "Istio retries failed requests by default (2 more attempts on connect-failure, "
	          "refused-stream, unavailable and cancelled); whether a call may safely run twice "
	          "the cluster cannot show");
}

/* Where tracing is configured (new string), or NULL; *off when meshConfig switches it off. */
static char *tracing_where(struct ob_ctx *x, bool *off)
{
	json_t *mc = cluster_mesh_config(x->c);
	*off = json_is_false(json_object_get(mc, "enableTracing"));
	const char *root = mesh_root_namespace(x->c);
	const struct kobj_list *tel = cluster_list(x->c, "Telemetry", NULL);
	for (size_t i = 0; i < tel->n; i++)
		if ((strcmp(tel->v[i]->ns, root) == 0 || strcmp(tel->v[i]->ns, x->ns) == 0) &&
		    json_array_size(jpath(tel->v[i]->j, "spec.tracing")))
			return xasprintf("Telemetry %s/%s configures tracing", tel->v[i]->ns,
			                 tel->v[i]->name);
	if (*off)
		return NULL;
	if (json_array_size(jpath(mc, "defaultProviders.tracing")))
		return xstrdup("meshConfig defaultProviders.tracing names a tracer");
	json_t *t = jpath(mc, "defaultConfig.tracing");
	if (json_object_size(t))
		return xstrdup("meshConfig defaultConfig.tracing configures a tracer");
	return NULL;
}

static void check_tracing(struct ob_ctx *x, struct ob_result *r)
{
	if (!ob_need(x, r, "Telemetry") || !ob_need(x, r, "ConfigMap"))
		return;
	bool off;
	char *where = tracing_where(x, &off);
	if (!where) {
		ob_ev(r,
		   off ? "meshConfig enableTracing: false"
		       : "no tracer in meshConfig (defaultProviders, defaultConfig.tracing) and no "
		         "Telemetry with tracing");
		ob_raise(
		    r, OB_PASS, NULL,
		    "The mesh reports no traces yet, so there are no trace headers to forward; "
		    "once tracing is switched on, the applications must forward them for the "
		    "spans to join into one trace.");
		return;
	}
	ob_ev(r, "%s", where);
	free(where);
	ob_ask(r, "the sidecars report spans, but only the applications can carry the trace "
	          "context from each request they receive to the requests they make");
}

/* ---- the table ---- */

#define CHOICES(a) a, MM_ARRAY_LEN(a)

static const struct ob_choice ch_injection[] = {
    {"yes", "Yes: labelled, and every pod was created after the label", OB_PASS,
     "You say the namespace is labelled for injection and every pod has its sidecar.", NULL},
    {"restart", "Labelled, but some pods are older than the label", OB_FAIL,
     "Pods created before the label run without a sidecar until they are restarted.", fix_restart},
    {"no", "Not labelled yet", OB_FAIL,
     "The namespace does not ask for injection, so new pods get no sidecar.", fix_injection},
};
static const struct ob_choice ch_ports[] = {
    {"yes", "Yes: every port declares its protocol", OB_PASS,
     "You say every Service port declares its protocol by name or appProtocol.", NULL},
    {"no", "Some ports have no such name", OB_WARN,
     "Ports without a declared protocol rely on protocol detection from the first bytes.",
     fix_ports},
    {"server-first", "An unnamed port carries MySQL, MongoDB or another server-first protocol",
     OB_FAIL,
     "A server-first protocol on an undeclared port stalls: the sidecar waits for the client "
     "to speak first.",
     fix_ports},
};
static const struct ob_choice ch_http10[] = {
    {"no", "No", OB_PASS, "You say no client sends HTTP/1.0.", NULL},
    {"yes", "Yes", OB_FAIL,
     "HTTP/1.0 clients get 426 Upgrade Required from Envoy on every Istio release unless "
     "HTTP/1.0 is switched on.",
     fix_http10},
    {"unsure", "Not sure", OB_WARN,
     "Whether a client sends HTTP/1.0 is not known: after onboarding, 426 answers with "
     "HTTP/1.0 in the sidecars' access logs show it.",
     fix_http10},
};
static const struct ob_choice ch_headless[] = {
    {"no", "No", OB_PASS, "You say no client needs one particular pod.", NULL},
    {"yes", "Yes", OB_WARN,
     "Clients that need one particular pod must use its own name; routing a gateway to one "
     "pod needs a ServiceEntry for it.",
     fix_headless},
};
static const struct ob_choice ch_probes[] = {
    {"no", "No", OB_PASS, "You say no HTTP or TCP probe runs without Istio's rewriting.", NULL},
    {"yes", "Yes", OB_FAIL,
     "HTTP probes that Istio does not rewrite fail on ports that require mutual TLS.", fix_probes},
    {"unsure", "Not sure", OB_WARN,
     "Whether the probes are rewritten is not known: kubectl get pod POD -o yaml shows "
     "rewritten ones on port 15020 under /app-health/.",
     fix_probes},
};
static const struct ob_choice ch_startup[] = {
    {"no", "No: they connect when first needed", OB_PASS,
     "You say no application calls out as it starts.", NULL},
    {"yes", "Yes", OB_FAIL,
     "Applications that call out at start-up fail while their sidecar is not ready yet.", fix_hold},
    {"held", "They already wait for the sidecar (or retry)", OB_PASS,
     "You say the applications wait for their sidecar or retry their first calls.", NULL},
};
static const struct ob_choice ch_net_admin[] = {
    {"no", "No", OB_PASS, "You say nothing forbids istio-init's NET_ADMIN and NET_RAW.", NULL},
    {"yes", "Yes, and the Istio CNI plugin is not installed", OB_FAIL,
     "A policy forbids NET_ADMIN and NET_RAW, so pods with istio-init are refused.", fix_cni},
    {"cni", "The Istio CNI plugin is installed", OB_PASS,
     "You say the Istio CNI plugin is installed, so pods need no NET_ADMIN or NET_RAW.", NULL},
};
static const struct ob_choice ch_udp[] = {
    {"no", "No", OB_PASS, "You say no workload here uses UDP.", NULL},
    {"yes", "Yes", OB_WARN, "UDP traffic passes the mesh without mutual TLS, metrics or policy.",
     fix_udp},
};
static const struct ob_choice ch_own_tls[] = {
    {"no", "No", OB_PASS, "You say no service here terminates its own TLS.", NULL},
    {"yes", "Yes", OB_WARN,
     "Services with their own TLS need TLS ports, and clients outside the mesh need a "
     "PERMISSIVE port or a passthrough gateway.",
     fix_own_tls},
};
static const struct ob_choice ch_mixed[] = {
    {"no", "No", OB_PASS, "You say every port carries one protocol.", NULL},
    {"yes", "Yes", OB_FAIL,
     "A port that carries two protocols breaks for one kind of client: a sidecar listener "
     "speaks one protocol per port.",
     fix_mixed},
};
static const struct ob_choice ch_header_case[] = {
    {"no", "No", OB_PASS, "You say nothing depends on the case of header names.", NULL},
    {"yes", "Yes", OB_FAIL,
     "Envoy lower-cases HTTP/1.1 header names, so code that matches them case-sensitively "
     "breaks.",
     fix_header_case},
    {"unsure", "Not sure", OB_WARN,
     "Whether code depends on the case of header names is not known: test the calls "
     "through a sidecar before onboarding.",
     fix_header_case},
};
static const struct ob_choice ch_retries[] = {
    {"no", "No: calls are idempotent or carry an idempotency key", OB_PASS,
     "You say a call that runs twice does no harm.", NULL},
    {"yes", "Yes", OB_FAIL,
     "Istio's retries can run a non-idempotent call two or three times after a failure.",
     fix_retries},
    {"unsure", "Not sure", OB_WARN,
     "Whether calls may run twice is not known: retries after a lost answer repeat them.",
     fix_retries},
};
static const struct ob_choice ch_tracing[] = {
    {"yes", "Yes, they forward the trace headers", OB_PASS,
     "You say the applications forward the trace headers.", NULL},
    {"no", "No", OB_WARN,
     "Without forwarded headers every hop starts a new trace: the tracing UI shows fragments.",
     fix_tracing},
    {"unused", "We do not use tracing", OB_PASS, "You say traces are not used.", NULL},
};

const struct ob_item ob_items[] = {
    {"injection", "Sidecar injection", "sidecar-injection",
     "Is the namespace labelled for sidecar injection (istio-injection=enabled or "
     "istio.io/rev=REVISION), and were all its pods created after that?",
     CHOICES(ch_injection), check_injection},
    {"port-naming", "Service port protocols", "protocol-selection",
     "Does every Service port declare its protocol, by a name <protocol>[-suffix] (http-web, "
     "grpc, tcp-db) or by appProtocol?",
     CHOICES(ch_ports), check_port_naming},
    {"http10", "HTTP/1.0 clients", "http10",
     "Does any client of these services send HTTP/1.0 (nginx proxy_pass without "
     "proxy_http_version 1.1, ApacheBench, an old HTTP library)?",
     CHOICES(ch_http10), check_http10},
    {"headless", "Headless Services and StatefulSets", "headless-services",
     "Do clients need to reach one particular pod of a headless Service or StatefulSet (a "
     "database primary, a broker) by its own name or IP?",
     CHOICES(ch_headless), check_headless},
    {"health-probes", "Health probes under mutual TLS", "health-probes",
     "Do the pods have HTTP or TCP probes while Istio's probe rewriting is switched off for "
     "them (sidecar.istio.io/rewriteAppHTTPProbers: \"false\")?",
     CHOICES(ch_probes), check_probes},
    {"startup-order", "Applications that call out at start-up", "sidecar-startup",
     "Do any of the applications call other services (a database, an API, a configuration "
     "server) as soon as they start?",
     CHOICES(ch_startup), check_startup},
    {"net-admin", "NET_ADMIN for istio-init, or the CNI plugin", "istio-init",
     "Does a security policy (Pod Security baseline or restricted, a PodSecurityPolicy, an "
     "OpenShift SCC, Kyverno or Gatekeeper) forbid pods NET_ADMIN and NET_RAW?",
     CHOICES(ch_net_admin), check_net_admin},
    {"udp", "UDP traffic", "udp-traffic",
     "Do any of the workloads send or receive UDP (DNS servers, syslog, QUIC, media streams)?",
     CHOICES(ch_udp), check_udp},
    {"own-tls", "Services with their own TLS", "application-tls",
     "Does any of these services terminate TLS itself (serve https:// with its own "
     "certificate)?",
     CHOICES(ch_own_tls), check_own_tls},
    {"mixed-protocol", "One port, two protocols", "protocol-selection",
     "Does any single port serve two kinds of traffic, such as HTTP and a raw TCP protocol?",
     CHOICES(ch_mixed), check_mixed},
    {"header-case", "Case of HTTP header names", "header-case",
     "Does any application or client depend on the exact case of HTTP/1.1 header names (reads "
     "X-Custom-Token but not x-custom-token)?",
     CHOICES(ch_header_case), check_header_case},
    {"retries", "Retries and non-idempotent calls", "retries",
     "Do clients make calls that must not run twice (a POST that creates an order, a "
     "payment), which a retry after a lost answer would repeat?",
     CHOICES(ch_retries), check_retries},
    {"tracing", "Trace header propagation", "tracing-headers",
     "Do the applications copy the trace headers (x-request-id, traceparent and tracestate, "
     "or the b3 headers) from each request they receive to the requests they make?",
     CHOICES(ch_tracing), check_tracing},
};

const size_t ob_nitems = MM_ARRAY_LEN(ob_items);
