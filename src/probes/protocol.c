/*
 * Probes of the 426, 431, headers and sync flows. They read pods,
 * Services, istiod's Deployment, meshConfig, EnvoyFilters, Sidecars and
 * proxy-status from the model, and run the detectors of detect/protocol.c
 * where a question is the same as a check.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/protocol.h"
#include "cluster/mesh.h"
#include "probes/probe.h"
#include "cluster/proxystatus.h"
#include "base/yamljson.h"

#define in probe_in
#define answer probe_answer
#define unknown probe_unknown
#define readable probe_readable

/* Defined in detect/protocol.c. */
extern const struct detector det_proxy_skew;

/* Envoy's limit on request headers when nothing sets max_request_headers_kb. */
#define DEFAULT_HEADERS_KB 60

static const struct kobj *the_pod(const struct probe_ctx *x, struct probe_result *r)
{
	return probe_object(x, r, "Pod", "pod");
}

/* The value of an env entry of a container (literal values only); NULL if unset. */
static const char *container_env(json_t *container, const char *name)
{
	json_t *env = json_object_get(container, "env");
	for (size_t i = 0; i < json_array_size(env); i++) {
		json_t *e = json_array_get(env, i);
		const char *n = jstr(e, "name");
		if (n && strcmp(n, name) == 0)
			return jstr(e, "value");
	}
	return NULL;
}

/* The container of a pod spec (containers, then initContainers for native sidecars). */
static json_t *pod_container(const struct kobj *pod, const char *name)
{
	static const char *const lists[] = {"spec.containers", "spec.initContainers"};
	for (size_t l = 0; l < MM_ARRAY_LEN(lists); l++) {
		json_t *cs = jpath(pod->j, lists[l]);
		for (size_t i = 0; i < json_array_size(cs); i++) {
			const char *n = jstr(json_array_get(cs, i), "name");
			if (n && strcmp(n, name) == 0)
				return json_array_get(cs, i);
		}
	}
	return NULL;
}

/* The pod's proxy.istio.io/config annotation as JSON (new reference), or NULL. */
static json_t *proxy_config_annotation(const struct kobj *pod)
{
	const char *a = json_string_value(
	    json_object_get(jpath(pod->j, "metadata.annotations"), "proxy.istio.io/config"));
	return a ? yaml_first_doc(a) : NULL;
}

/* ---- 426: HTTP/1.0 ---- */

/*
 * Client images that speak HTTP/1.0 by default. The ingress-nginx and
 * NGINX Inc ingress controllers are left out: they configure HTTP/1.1 to
 * their upstreams.
 */
static const struct {
	const char *image, *why;
} http10_clients[] = {
    {"openresty", "OpenResty is nginx: proxy_pass uses HTTP/1.0 unless proxy_http_version 1.1 "
                  "is set"},
    {"nginx", "nginx's proxy_pass uses HTTP/1.0 unless proxy_http_version 1.1 is set"},
    {"apachebench", "ApacheBench (ab) sends HTTP/1.0 requests only"},
};

static bool is_ingress_controller(const char *image)
{
	return strstr(image, "ingress-nginx") || strstr(image, "nginx-ingress");
}

static void caller_http10(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	json_t *cs = jpath(p->j, "spec.containers");
	struct sbuf seen;
	sb_init(&seen);
	for (size_t i = 0; i < json_array_size(cs) && !r->choice; i++) {
		const char *name = jstr(json_array_get(cs, i), "name");
		const char *image = jstr(json_array_get(cs, i), "image");
		if (!image || (name && strcmp(name, "istio-proxy") == 0))
			continue;
		sb_printf(&seen, "%s%s", seen.len ? ", " : "", image);
		for (size_t k = 0; k < MM_ARRAY_LEN(http10_clients) && !r->choice; k++)
			if (strcasestr(image, http10_clients[k].image) &&
			    !is_ingress_controller(image))
				answer(r, "yes", "container %s of %s runs %s: %s",
				       name ? name : "?", p->name, image, http10_clients[k].why);
	}
	if (!r->choice) {
		char *why = xasprintf("the images of %s (%s) are not known to send HTTP/1.0; the "
				      "access log shows the protocol of each request",
				      p->name, seen.len ? seen.s : "none");
		/* the choice reads "No, or not sure": the next question reads the protocol itself */
		if (probe_has_choice(x, "no"))
			answer(r, "no", "%s", why);
		else
			unknown(r, "%s", why);
		free(why);
	}
	sb_free(&seen);
}

static bool truthy(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* The istiod Deployment of the revision a pod belongs to (istio.io/rev, else "default"). */
static const struct kobj *istiod_for(struct cluster *c, const struct kobj *pod)
{
	const char *rev =
	    json_string_value(json_object_get(jpath(pod->j, "metadata.labels"), "istio.io/rev"));
	const struct kobj_list *deps = cluster_list(c, "Deployment", cluster_control_namespace(c));
	const struct kobj *any = NULL;
	for (size_t i = 0; i < deps->n; i++) {
		json_t *labels = jpath(deps->v[i]->j, "metadata.labels");
		const char *app = json_string_value(json_object_get(labels, "app"));
		const char *istio = json_string_value(json_object_get(labels, "istio"));
		const char *drev = json_string_value(json_object_get(labels, "istio.io/rev"));
		/* istio=pilot also finds the istio-pilot Deployment of Istio 1.4 and older */
		if (!(app && strcmp(app, "istiod") == 0) && !(istio && strcmp(istio, "pilot") == 0))
			continue;
		any = any ? any : deps->v[i];
		if (strcmp(rev ? rev : "default", drev ? drev : "default") == 0)
			return deps->v[i];
	}
	return any;
}

/*
 * PILOT_HTTP10 on istiod adds accept_http_10 to the listeners of every
 * proxy it serves; ISTIO_META_HTTP10=1 in a proxy's metadata does the same
 * for that proxy alone (set at start-up: a running pod keeps what it had).
 */
static void http10_enabled(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	json_t *ann = proxy_config_annotation(p);
	const struct {
		const char *value, *where;
	} meta[] = {
	    {container_env(pod_container(p, "istio-proxy"), "ISTIO_META_HTTP10"),
	     "the istio-proxy container's env"},
	    {jstr(ann, "proxyMetadata.ISTIO_META_HTTP10"), "its proxy.istio.io/config annotation"},
	    {jstr(cluster_mesh_config(x->cluster), "defaultConfig.proxyMetadata.ISTIO_META_HTTP10"),
	     "meshConfig defaultConfig.proxyMetadata"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(meta) && !r->choice; i++)
		if (truthy(meta[i].value))
			answer(r, "yes", "%s: ISTIO_META_HTTP10=%s in %s", p->name, meta[i].value,
			       meta[i].where);
	json_decref(ann);
	if (r->choice || !readable(x, r, "Deployment", "Deployments"))
		return;
	const struct kobj *d = istiod_for(x->cluster, p);
	json_t *cs = d ? jpath(d->j, "spec.template.spec.containers") : NULL;
	const char *v = NULL;
	for (size_t i = 0; i < json_array_size(cs) && !v; i++)
		v = container_env(json_array_get(cs, i), "PILOT_HTTP10");
	if (!d)
		unknown(r, "no istiod Deployment in %s", cluster_control_namespace(x->cluster));
	else if (truthy(v))
		answer(r, "yes", "Deployment %s/%s sets PILOT_HTTP10=%s", d->ns, d->name, v);
	else
		answer(r, "no", "Deployment %s/%s: PILOT_HTTP10 is %s; %s has no ISTIO_META_HTTP10",
		       d->ns, d->name, v ? v : "not set", p->name);
}

/* ---- 426: the protocol a Service port declares ---- */

/* Declared protocols on which the sidecars parse HTTP, and those they pass through as bytes. */
static const char *const http_protocols[] = {
    "http", "http2", "grpc", "grpc-web", "h2c", "kubernetes.io/h2c", "kubernetes.io/ws",
};
static const char *const tcp_protocols[] = {
    "tcp", "tls", "https", "mongo", "mysql", "redis", "udp",
};

/* The protocol a port declares (appProtocol, else the name up to '-'); new string or NULL. */
static char *declared_protocol(json_t *port)
{
	const char *app = jstr(port, "appProtocol"), *name = jstr(port, "name");
	if (app)
		return xstrdup(app);
	return name ? xstrndup(name, strcspn(name, "-")) : NULL;
}

/* "http", "tcp", or NULL for a name that declares no protocol. */
static const char *protocol_class(const char *proto)
{
	for (size_t i = 0; proto && i < MM_ARRAY_LEN(http_protocols); i++)
		if (strcasecmp(proto, http_protocols[i]) == 0)
			return "http";
	for (size_t i = 0; proto && i < MM_ARRAY_LEN(tcp_protocols); i++)
		if (strcasecmp(proto, tcp_protocols[i]) == 0)
			return "tcp";
	return NULL;
}

static void port_protocol(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = probe_object(x, r, "Service", "service");
	if (!svc)
		return;
	json_t *ports = jpath(svc->j, "spec.ports");
	const char *class = NULL;
	struct strlist ev = {0};
	bool mixed = false;
	for (size_t i = 0; i < json_array_size(ports); i++) {
		json_t *p = json_array_get(ports, i);
		char *proto = declared_protocol(p);
		const char *c = protocol_class(proto);
		long number = (long)json_integer_value(json_object_get(p, "port"));
		/* an undeclared protocol is detected from the first bytes: HTTP counts as HTTP */
		sl_take(&ev,
		        xasprintf("port %ld: %s%s", number, proto ? proto : "unnamed",
		                  c ? "" : " (not a declared protocol: detected, HTTP is parsed)"));
		c = c ? c : "http";
		mixed |= class && strcmp(class, c) != 0;
		class = c;
		free(proto);
	}
	if (!class || mixed) {
		unknown(r, "Service %s/%s has %s; answer for the port the failing calls use",
		        svc->ns, svc->name, class ? "ports of both kinds" : "no ports");
	} else {
		answer(r, class, "Service %s/%s: the sidecars %s on its ports", svc->ns, svc->name,
		       strcmp(class, "http") == 0 ? "parse HTTP" : "pass bytes through");
		sl_copy(&r->evidence, &ev);
	}
	sl_free(&ev);
}

/* ---- 431: max_request_headers_kb ---- */

/* A proxy on the request's path, and the EnvoyFilter context of the listener that receives it. */
struct hop {
	const struct kobj *pod;
	const char *context;
};

#define MAX_HOPS 16

/* The caller's sidecar (outbound) and the server pods' sidecars (inbound). */
static size_t path_hops(const struct probe_ctx *x, struct hop *hops)
{
	size_t n = 0;
	const char *ns = in(x, "namespace") ? in(x, "namespace") : "default";
	const struct kobj *caller =
	    in(x, "pod") ? cluster_get(x->cluster, "Pod", ns, in(x, "pod")) : NULL;
	if (caller && pod_has_sidecar(caller))
		hops[n++] = (struct hop){caller, proxy_context(caller, false)};
	const struct kobj *svc =
	    in(x, "service") ? cluster_get(x->cluster, "Service", ns, in(x, "service")) : NULL;
	struct kobj_list pods = svc ? service_pods(x->cluster, svc) : (struct kobj_list){0};
	for (size_t i = 0; i < pods.n && n < MAX_HOPS; i++)
		if (pod_running(pods.v[i]) && pod_has_sidecar(pods.v[i]))
			hops[n++] = (struct hop){pods.v[i], proxy_context(pods.v[i], true)};
	free(pods.v);
	return n;
}

/*
 * Whether Istio applies EnvoyFilter a after b: the root namespace's filters
 * first, then the workload namespace's; within each, by priority, then by
 * age. A later MERGE of the same field wins.
 */
static bool ef_after(struct cluster *c, const struct kobj *a, const struct kobj *b)
{
	const char *root = mesh_root_namespace(c);
	bool a_local = strcmp(a->ns, root) != 0, b_local = strcmp(b->ns, root) != 0;
	json_int_t pa = json_integer_value(jpath(a->j, "spec.priority"));
	json_int_t pb = json_integer_value(jpath(b->j, "spec.priority"));
	const char *ta = jstr(a->j, "metadata.creationTimestamp");
	const char *tb = jstr(b->j, "metadata.creationTimestamp");
	if (a_local != b_local)
		return a_local;
	if (pa != pb)
		return pa > pb;
	/* RFC 3339 UTC timestamps of one format compare as strings */
	return ta && tb && strcmp(ta, tb) > 0;
}

/* The EnvoyFilter whose value of key a hop ends up with, or NULL. */
static const struct kobj *hop_filter(struct cluster *c, const struct hop *h, const char *key,
                                     json_t **value)
{
	const struct kobj_list *efs = cluster_list(c, "EnvoyFilter", NULL);
	const struct kobj *found = NULL;
	for (size_t i = 0; i < efs->n; i++) {
		json_t *v =
		    ef_applies(c, efs->v[i], h->pod) ? ef_find(efs->v[i], key, h->context) : NULL;
		if (v && (!found || ef_after(c, efs->v[i], found)))
			found = efs->v[i], *value = v;
	}
	return found;
}

/*
 * The limit on each hop: rejected (a value Envoy refuses), lowered (below
 * 60 KiB), partial (raised on some hops only: the first one still rejects
 * at 60 KiB), raised (on every hop), or default (no EnvoyFilter).
 */
static void max_headers_patch(const struct probe_ctx *x, struct probe_result *r)
{
	struct hop hops[MAX_HOPS];
	if (!readable(x, r, "EnvoyFilter", "EnvoyFilters") || !readable(x, r, "Pod", "Pods"))
		return;
	size_t n = path_hops(x, hops), raised = 0;
	long max = headers_kb_max(x->cluster);
	const char *verdict = NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *v = NULL;
		const struct kobj *ef =
		    hop_filter(x->cluster, &hops[i], "max_request_headers_kb", &v);
		long kb = ef ? headers_kb(v) : DEFAULT_HEADERS_KB;
		if (ef)
			sl_take(&r->evidence, xasprintf("%s (%s): EnvoyFilter %s/%s sets %ld KiB",
			                                hops[i].pod->name, hops[i].context, ef->ns,
			                                ef->name, kb));
		else
			sl_take(&r->evidence,
			        xasprintf("%s (%s): no EnvoyFilter, Envoy's default %d KiB",
			                  hops[i].pod->name, hops[i].context, DEFAULT_HEADERS_KB));
		if (kb <= 0 || kb > max)
			verdict = "rejected";
		else if (kb < DEFAULT_HEADERS_KB && !verdict)
			verdict = "lowered";
		raised += kb > DEFAULT_HEADERS_KB;
	}
	if (!n) {
		unknown(r,
		        "no pod with a sidecar on the path (--set pod=CALLER, --set service=NAME)");
		return;
	}
	if (!verdict)
		verdict = raised == n ? "raised" : raised ? "partial" : "default";
	if (strcmp(verdict, "rejected") == 0)
		sl_take(&r->evidence,
		        xasprintf("Envoy accepts 1 to %ld KiB on this Istio version", max));
	r->choice = xstrdup(verdict);
}

/* ---- headers: case ---- */

/* Where header case is kept for a pod: its proxy config annotation, or an EnvoyFilter. */
static bool pod_keeps_case(const struct probe_ctx *x, const struct hop *h, struct probe_result *r)
{
	json_t *ann = proxy_config_annotation(h->pod), *v = NULL;
	bool keeps = json_is_true(jpath(ann, "proxyHeaders.preserveHttp1HeaderCase"));
	json_decref(ann);
	if (keeps) {
		answer(r, "configured",
		       "%s: proxy.istio.io/config sets "
		       "proxyHeaders.preserveHttp1HeaderCase",
		       h->pod->name);
		return true;
	}
	const struct kobj *ef = hop_filter(x->cluster, h, "header_key_format", &v);
	if (ef)
		answer(r, "configured", "%s (%s): EnvoyFilter %s/%s sets header_key_format %s",
		       h->pod->name, h->context, ef->ns, ef->name,
		       json_object_get(v, "proper_case_words") ? "proper_case_words"
		                                               : "(a stateful formatter)");
	return ef != NULL;
}

static void header_case(const struct probe_ctx *x, struct probe_result *r)
{
	struct hop hops[MAX_HOPS];
	if (!readable(x, r, "EnvoyFilter", "EnvoyFilters") || !readable(x, r, "Pod", "Pods"))
		return;
	/* meshConfig's switch exists since Istio 1.25 */
	if (json_is_true(jpath(cluster_mesh_config(x->cluster),
	                       "defaultConfig.proxyHeaders.preserveHttp1HeaderCase"))) {
		answer(r, "configured",
		       "meshConfig defaultConfig.proxyHeaders."
		       "preserveHttp1HeaderCase is true");
		return;
	}
	size_t n = path_hops(x, hops);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= pod_keeps_case(x, &hops[i], r);
	if (!n)
		unknown(r,
		        "no pod with a sidecar on the path (--set pod=CALLER, --set service=NAME)");
	else if (!any)
		answer(r, "none",
		       "no EnvoyFilter header_key_format and no preserveHttp1HeaderCase "
		       "for the %zu sidecar%s on the path",
		       n, n == 1 ? "" : "s");
}

/* ---- sync: proxy-status ---- */

/* The proxy-status row of the pod input, or NULL: *rows_known says whether proxy-status was read.
 */
static const struct proxy_status *pod_row(const struct probe_ctx *x, struct probe_result *r,
                                          bool *rows_known)
{
	const struct proxy_status *rows;
	size_t n;
	const char *why, *pod = in(x, "pod"),
	                 *ns = in(x, "namespace") ? in(x, "namespace") : "default";
	*rows_known = false;
	if (!pod) {
		unknown(r, "no pod given (--set pod=NAME)");
		return NULL;
	}
	if (!cluster_proxy_status(x->cluster, &rows, &n, &why)) {
		if (strstr(why, "orbidden") && probe_has_choice(x, "forbidden"))
			answer(r, "forbidden", "istioctl proxy-status: %s", why);
		else
			unknown(r, "%s", why);
		return NULL;
	}
	*rows_known = true;
	for (size_t i = 0; i < n; i++)
		if (rows[i].ns && strcmp(rows[i].pod, pod) == 0 && strcmp(rows[i].ns, ns) == 0)
			return &rows[i];
	return NULL;
}

/* The label that makes a pod istiod ("app=istiod", "istio=pilot"), or NULL. */
static const char *is_istiod(const struct kobj *pod)
{
	json_t *labels = json_object_get(json_object_get(pod->j, "metadata"), "labels");
	const char *app = json_string_value(json_object_get(labels, "app"));
	const char *istio = json_string_value(json_object_get(labels, "istio"));
	if (app && strcmp(app, "istiod") == 0)
		return "app=istiod";
	return istio && strcmp(istio, "pilot") == 0 ? "istio=pilot" : NULL;
}

static void proxy_listed(const struct probe_ctx *x, struct probe_result *r)
{
	bool known;
	const struct proxy_status *row = pod_row(x, r, &known);
	if (!known)
		return;
	if (row) {
		answer(r, "listed", "proxy-status lists %s.%s (istiod %s)", row->pod, row->ns,
		       row->istiod ? row->istiod : "unnamed");
		return;
	}
	const struct kobj *p = the_pod(x, r);
	if (p && is_istiod(p))
		answer(r, "control-plane", "pod %s is istiod (label %s): it runs no proxy of its own",
		       p->name, is_istiod(p));
	else if (p && !pod_has_sidecar(p))
		answer(r, "no-sidecar", "pod %s has no istio-proxy container", p->name);
	else if (p && !pod_running(p))
		unknown(r, "pod %s is not Running", p->name);
	else if (p)
		answer(r, "missing", "pod %s runs istio-proxy but proxy-status does not list it",
		       p->name);
}

/* The state that decides, worst first; NOT SENT counts only for the four main types. */
static void sync_state(const struct probe_ctx *x, struct probe_result *r)
{
	static const struct {
		const char *state, *choice;
	} order[] = {
	    {"ERROR", "error"}, {"STALE", "stale"}, {"NOT SENT", "not-sent"}, {"SYNCED", "synced"}};
	static const char *const names[] = {"CDS", "LDS", "EDS", "RDS", "ECDS"};
	bool known;
	const struct proxy_status *row = pod_row(x, r, &known);
	if (!row) {
		if (known)
			unknown(r, "%s is not in proxy-status", in(x, "pod"));
		return;
	}
	const char *const st[] = {row->cds, row->lds, row->eds, row->rds, row->ecds};
	for (size_t o = 0; o < MM_ARRAY_LEN(order) && !r->choice; o++) {
		struct sbuf types;
		sb_init(&types);
		for (size_t k = 0; k < MM_ARRAY_LEN(st); k++)
			if (st[k] && strcmp(st[k], order[o].state) == 0 &&
			    (strcmp(order[o].state, "NOT SENT") != 0 || k < 4))
				sb_printf(&types, "%s%s", types.len ? ", " : "", names[k]);
		if (types.len)
			answer(r, order[o].choice, "proxy-status %s.%s: %s for %s", row->pod,
			       row->ns, order[o].state, types.s);
		sb_free(&types);
	}
	if (!r->choice)
		unknown(r,
		        "proxy-status shows no sync state for %s.%s (Istio 1.27 lists only the "
		        "subscribed types: istioctl proxy-status %s.%s shows the diff)",
		        row->pod, row->ns, row->pod, row->ns);
}

/* The Sidecar resource that applies to a pod: its own selector, its namespace's, the root's. */
static const struct kobj *sidecar_for(struct cluster *c, const struct kobj *pod)
{
	const char *spaces[] = {pod->ns, pod->ns, mesh_root_namespace(c)};
	for (size_t i = 0; i < MM_ARRAY_LEN(spaces); i++) {
		const struct kobj_list *scs = cluster_list(c, "Sidecar", spaces[i]);
		for (size_t k = 0; k < scs->n; k++) {
			json_t *sel = jpath(scs->v[k]->j, "spec.workloadSelector.labels");
			bool selects = json_object_size(sel) > 0;
			if (i == 0 ? selects && labels_match(sel, jpath(pod->j, "metadata.labels"))
			           : !selects)
				return scs->v[k];
		}
	}
	return NULL;
}

static void sidecar_scope(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p || !readable(x, r, "Sidecar", "Sidecars"))
		return;
	const struct kobj *sc = sidecar_for(x->cluster, p);
	json_t *egress = sc ? jpath(sc->j, "spec.egress") : NULL;
	if (!sc) {
		answer(r, "open", "no Sidecar resource applies to %s", p->name);
		return;
	}
	if (!json_array_size(egress)) {
		answer(r, "open", "Sidecar %s/%s sets no egress: %s receives every exported host",
		       sc->ns, sc->name, p->name);
		return;
	}
	struct sbuf hosts;
	sb_init(&hosts);
	for (size_t i = 0; i < json_array_size(egress); i++) {
		json_t *hs = jpath(json_array_get(egress, i), "hosts");
		for (size_t k = 0; k < json_array_size(hs); k++)
			sb_printf(&hosts, "%s%s", hosts.len ? ", " : "",
			          json_string_value(json_array_get(hs, k)));
	}
	answer(r, "restricted", "Sidecar %s/%s limits what %s receives to the hosts %s", sc->ns,
	       sc->name, p->name, hosts.len ? hosts.s : "(none)");
	sb_free(&hosts);
}

static void version_skew(const struct probe_ctx *x, struct probe_result *r)
{
	struct scope s = {in(x, "namespace") ? in(x, "namespace") : "default", NULL, in(x, "pod")};
	struct findings f = {0};
	if (!s.pod) {
		unknown(r, "no pod given (--set pod=NAME)");
		return;
	}
	det_proxy_skew.run(x->cluster, &s, &f);
	if (f.n) {
		r->choice = xstrdup("out-of-range");
		sl_copy(&r->evidence, &f.v[0].evidence);
	} else if (f.nskipped) {
		unknown(r, "%s", f.skipped[0].reason);
	} else {
		bool known;
		const struct proxy_status *row = pod_row(x, r, &known);
		if (row)
			answer(r, "in-range",
			       "proxy %s runs %s, within the range its istiod %s supports",
			       row->pod, row->version, row->istiod ? row->istiod : "");
		else if (known)
			unknown(r, "%s is not in proxy-status", s.pod);
	}
	findings_free(&f);
}

static void istiod_conflicts(const struct probe_ctx *x, struct probe_result *r)
{
	struct scope s = {0};
	probe_by_detector(x, r, &s, "pilot-config-conflict", "found", "clean",
	                  "istiod's log shows no conflict, push error or rejected configuration");
}

PROBE("caller-http10-client", caller_http10, "namespace", "pod", NULL);
PROBE("http10-enabled", http10_enabled, "namespace", "pod", NULL);
PROBE("service-port-protocol", port_protocol, "namespace", "service", NULL);
PROBE("max-headers-patch", max_headers_patch, "namespace", "service", "pod");
PROBE("header-case-config", header_case, "namespace", "service", "pod");
PROBE("proxy-listed", proxy_listed, "namespace", "pod", NULL);
PROBE("proxy-sync-state", sync_state, "namespace", "pod", NULL);
PROBE("sidecar-scope", sidecar_scope, "namespace", "pod", NULL);
PROBE("proxy-version-skew", version_skew, "namespace", "pod", NULL);
PROBE("istiod-conflicts", istiod_conflicts, NULL);

const struct probe *const probes_protocol[] = {
    &probe_caller_http10,
    &probe_http10_enabled,
    &probe_port_protocol,
    &probe_max_headers_patch,
    &probe_header_case,
    &probe_proxy_listed,
    &probe_sync_state,
    &probe_sidecar_scope,
    &probe_version_skew,
    &probe_istiod_conflicts,
    NULL,
};
