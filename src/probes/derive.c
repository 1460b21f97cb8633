/*
 * The derivation rules (probes/derive.h): the pods of a service, the pods
 * that call it, the service of a pod, the pods without a sidecar, the pods
 * that crash or never become Ready, the Gateway that serves a host. Each
 * reads the model through the helpers the probes and detectors use.
 */
#include "probes/derive.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/mesh.h"
#include "detect/detect.h"
#include "detect/gateway.h"
#include "detect/workload.h"

/* Sidecar logs read at most by one caller-pods derivation (live: one kubectl logs each). */
#define MAX_LOGS_READ 64

void derive_add(struct derive_result *r, const char *value, int rank, const char *created,
                const char *fmt, ...)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	va_list ap;
	va_start(ap, fmt);
	r->v[r->n++] = (struct derive_cand){xstrdup(value), xvasprintf(fmt, ap), rank,
	                                    xstrdup(created ? created : "")};
	va_end(ap);
}

void derive_result_free(struct derive_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].value);
		free(r->v[i].evidence);
		free(r->v[i].created);
	}
	free(r->v);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

static int cmp_cand(const void *pa, const void *pb)
{
	const struct derive_cand *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	/* RFC 3339 times in UTC sort as strings; an unknown time ("") comes last */
	int t = strcmp(b->created, a->created);
	return t ? t : strcmp(a->value, b->value);
}

void derive_sort(struct derive_result *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), cmp_cand);
}

static void no_candidate(struct derive_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void no_candidate(struct derive_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Whether the kinds can be read; if not, the reason says why. */
static bool readable(struct cluster *c, struct derive_result *r, const char *kind)
{
	const char *why;
	if (cluster_has_kind(c, kind, &why))
		return true;
	no_candidate(r, "%ss cannot be read: %s", kind, why ? why : "unknown");
	return false;
}

static const char *created(const struct kobj *o)
{
	return jstr(o->j, "metadata.creationTimestamp");
}

int derive_pod_state(const struct kobj *pod, char **words)
{
	static const char *const backoff[] = {"CrashLoopBackOff",     "ErrImagePull",
	                                      "ImagePullBackOff",     "InvalidImageName",
	                                      "CreateContainerError", "CreateContainerConfigError",
	                                      "RunContainerError"};
	static const char *const lists[] = {"status.initContainerStatuses",
	                                    "status.containerStatuses"};
	long restarts = 0;
	char *bad = NULL;
	for (size_t k = 0; k < MM_ARRAY_LEN(lists); k++) {
		json_t *sts = jpath(pod->j, lists[k]);
		for (size_t i = 0; i < json_array_size(sts); i++) {
			json_t *st = json_array_get(sts, i);
			const char *name = jstr(st, "name"), *w = jstr(st, "state.waiting.reason");
			json_t *code = jpath(st, "state.terminated.exitCode");
			restarts += workload_restarts(st);
			for (size_t b = 0; !bad && w && b < MM_ARRAY_LEN(backoff); b++)
				if (strcmp(w, backoff[b]) == 0)
					bad = xasprintf("%s %s", name ? name : "a container", w);
			if (!bad && json_is_integer(code) && json_integer_value(code) != 0)
				bad = xasprintf("%s exited with code %lld",
				                name ? name : "a container",
				                (long long)json_integer_value(code));
		}
	}
	const char *phase = jstr(pod->j, "status.phase");
	int rank;
	char *what;
	if (bad) {
		rank = 4;
		what = bad;
	} else if (!pod_running(pod)) {
		rank = 3;
		what = jpath(pod->j, "metadata.deletionTimestamp")
		           ? xstrdup("Terminating")
		           : xstrdup(phase ? phase : "no phase reported");
	} else if (!pod_ready(pod)) {
		rank = 2;
		what = xstrdup("Running, not Ready");
	} else {
		rank = restarts > 0;
		what = xstrdup("Running, Ready");
	}
	*words = restarts ? xasprintf("%s, %ld restart%s", what, restarts, restarts == 1 ? "" : "s")
	                  : xstrdup(what);
	free(what);
	return rank;
}

/* The namespace and the Service the inputs name; NULL with the reason set. */
static const struct kobj *named_service(struct cluster *c, input_fn in, void *ctx,
                                        struct derive_result *r)
{
	const char *ns = in(ctx, "namespace"), *svc = in(ctx, "service");
	if (!ns || !svc) {
		no_candidate(r, "no %s given", ns ? "service" : "namespace");
		return NULL;
	}
	if (!readable(c, r, "Service") || !readable(c, r, "Pod"))
		return NULL;
	const struct kobj *o = cluster_get(c, "Service", ns, svc);
	if (!o)
		no_candidate(r, "no Service %s/%s", ns, svc);
	return o;
}

/* The pods a Service selects. */
static void service_pods_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const struct kobj *svc = named_service(c, in, ctx, r);
	if (!svc)
		return;
	struct kobj_list pods = service_pods(c, svc);
	for (size_t i = 0; i < pods.n; i++) {
		char *state;
		int rank = derive_pod_state(pods.v[i], &state);
		derive_add(r, pods.v[i]->name, rank, created(pods.v[i]),
		           "selected by Service %s/%s; %s", svc->ns, svc->name, state);
		free(state);
	}
	if (!pods.n)
		no_candidate(r, "Service %s/%s selects no pod", svc->ns, svc->name);
	free(pods.v);
}

/* Lines of text that contain one of the needles. */
static size_t lines_naming(const char *text, const char *const *needles, size_t *total)
{
	size_t hits = 0;
	*total = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		bool hit = false;
		for (size_t k = 0; needles[k] && !hit; k++)
			hit = strstr(line, needles[k]) != NULL;
		free(line);
		hits += hit;
		*total += len > 0;
		p += len + (nl != NULL);
	}
	return hits;
}

/*
 * The sidecars that call a Service: pods of its namespace (not its own)
 * whose istio-proxy access log names it (its FQDN, or the authority
 * "NAME:PORT" / "NAME.NS" a caller sends). The more lines, the higher.
 */
static void caller_pods_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const struct kobj *svc = named_service(c, in, ctx, r);
	if (!svc)
		return;
	char *fqdn = host_fqdn(svc->name, svc->ns);
	char *auth = xasprintf("\"%s:", svc->name),
	     *dotted = xasprintf("\"%s.%s", svc->name, svc->ns);
	const char *const needles[] = {fqdn, auth, dotted, NULL};
	struct kobj_list own = service_pods(c, svc);
	const struct kobj_list *pods = cluster_list(c, "Pod", svc->ns);
	size_t read = 0, sidecars = 0;
	for (size_t i = 0; i < pods->n && read < MAX_LOGS_READ; i++) {
		const struct kobj *p = pods->v[i];
		bool server = false;
		for (size_t k = 0; k < own.n && !server; k++)
			server = own.v[k] == p;
		if (server || !pod_has_sidecar(p))
			continue;
		sidecars++;
		char *why = NULL;
		char *text = cluster_log(c, p->ns, p->name, "istio-proxy", false, &why);
		free(why);
		if (!text)
			continue;
		read++;
		size_t total, hits = lines_naming(text, needles, &total);
		free(text);
		if (hits)
			derive_add(r, p->name, hits > 1000000 ? 1000000 : (int)hits, created(p),
			           "its istio-proxy log names %s in %zu of %zu lines", fqdn, hits,
			           total);
	}
	if (!r->n)
		no_candidate(r, "no sidecar log in %s names %s (%zu sidecars, %zu logs read)",
		             svc->ns, fqdn, sidecars, read);
	free(own.v);
	free(auth);
	free(dotted);
	free(fqdn);
}

/* The Services of its namespace whose selector matches a pod. */
static void pod_service_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const char *ns = in(ctx, "namespace"), *name = in(ctx, "pod");
	if (!ns || !name) {
		no_candidate(r, "no %s given", ns ? "pod" : "namespace");
		return;
	}
	if (!readable(c, r, "Pod") || !readable(c, r, "Service"))
		return;
	const struct kobj *pod = cluster_get(c, "Pod", ns, name);
	if (!pod) {
		no_candidate(r, "no pod %s/%s", ns, name);
		return;
	}
	const struct kobj_list *svcs = cluster_list(c, "Service", ns);
	for (size_t i = 0; i < svcs->n; i++) {
		json_t *sel = jpath(svcs->v[i]->j, "spec.selector");
		if (json_object_size(sel) && labels_match(sel, jpath(pod->j, "metadata.labels")))
			derive_add(r, svcs->v[i]->name, 0, created(svcs->v[i]),
			           "Service %s/%s selects pod %s", ns, svcs->v[i]->name, name);
	}
	if (!r->n)
		no_candidate(r, "no Service in %s selects pod %s", ns, name);
}

/* The namespace input, and the Pods readable; NULL with the reason set. */
static const char *pods_ns(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const char *ns = in(ctx, "namespace");
	if (!ns)
		no_candidate(r, "no namespace given");
	return ns && readable(c, r, "Pod") ? ns : NULL;
}

/* The pods of a namespace that run without an istio-proxy container. */
static void no_sidecar_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const char *ns = pods_ns(c, in, ctx, r);
	if (!ns)
		return;
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	for (size_t i = 0; i < pods->n; i++) {
		const struct kobj *p = pods->v[i];
		if (pod_has_sidecar(p) || !jpath(p->j, "spec.containers"))
			continue;
		char *state;
		int rank = derive_pod_state(p, &state);
		derive_add(r, p->name, rank, created(p), "no istio-proxy container%s; %s",
		           json_is_true(jpath(p->j, "spec.hostNetwork")) ? " (hostNetwork)" : "",
		           state);
		free(state);
	}
	if (!r->n)
		no_candidate(r, "every pod in %s (%zu) has an istio-proxy container", ns, pods->n);
}

/* The pods of a namespace that restart, wait in a back-off, or are not Ready. */
static void failing_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const char *ns = pods_ns(c, in, ctx, r);
	if (!ns)
		return;
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	for (size_t i = 0; i < pods->n; i++) {
		const char *phase = jstr(pods->v[i]->j, "status.phase");
		char *state;
		int rank = derive_pod_state(pods->v[i], &state);
		/* a Job's pod that finished is no failure */
		if (rank > 0 && !(phase && strcmp(phase, "Succeeded") == 0))
			derive_add(r, pods->v[i]->name, rank, created(pods->v[i]), "%s", state);
		free(state);
	}
	if (!r->n)
		no_candidate(r, "every pod in %s (%zu) is Running and Ready without restarts", ns,
		             pods->n);
}

/* Whether a server lists host itself ("host" or "ns/host"), not through a wildcard. */
static bool lists_exactly(json_t *server, const char *host)
{
	json_t *hosts = jpath(server, "hosts");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		const char *slash = h ? strchr(h, '/') : NULL;
		if (h && strcmp(slash ? slash + 1 : h, host) == 0)
			return true;
	}
	return false;
}

/* The Gateways with a server for the host (as "ns/name"); one that lists it exactly first. */
static void host_gateway_rule(struct cluster *c, input_fn in, void *ctx, struct derive_result *r)
{
	const char *h = in(ctx, "host"), *ns = in(ctx, "namespace");
	if (!h) {
		no_candidate(r, "no host given");
		return;
	}
	if (!readable(c, r, "Gateway"))
		return;
	if (!ns)
		ns = "default";
	/* a short name is the Service of that name, as the 404 probes read it */
	char *host = !strchr(h, '.') || gw_host_service(c, h, ns) ? host_fqdn(h, ns) : xstrdup(h);
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	for (size_t i = 0; i < gws->n; i++) {
		json_t *server = gw_server_for(gws->v[i], host, NULL, NULL);
		if (!server)
			continue;
		char *ref = xasprintf("%s/%s", gws->v[i]->ns, gws->v[i]->name);
		const char *proto = jstr(server, "port.protocol");
		derive_add(r, ref, lists_exactly(server, host), created(gws->v[i]),
		           "Gateway %s serves %s on port %lld (%s)", ref, host,
		           (long long)json_integer_value(jpath(server, "port.number")),
		           proto ? proto : "no protocol");
		free(ref);
	}
	if (!r->n)
		no_candidate(r, "no server of %zu Gateway(s) lists %s", gws->n, host);
	free(host);
}

static const struct derive_rule rules[] = {
    {"service-pods",
     IN_POD,
     {"namespace", "service", NULL},
     "the pods the Service selects",
     service_pods_rule},
    {"caller-pods",
     IN_POD,
     {"namespace", "service", NULL},
     "the sidecars whose access log names the Service",
     caller_pods_rule},
    {"pod-service",
     IN_SERVICE,
     {"namespace", "pod", NULL},
     "the Service whose selector matches the pod",
     pod_service_rule},
    {"pods-without-sidecar",
     IN_POD,
     {"namespace", NULL, NULL},
     "the pods of the namespace without an istio-proxy container",
     no_sidecar_rule},
    {"failing-pods",
     IN_POD,
     {"namespace", NULL, NULL},
     "the pods of the namespace that restart, back off or are not Ready",
     failing_rule},
    {"host-gateway",
     IN_OBJECT,
     {"namespace", "host", NULL},
     "the Gateway (namespace/name) with a server for the host",
     host_gateway_rule},
};

const struct derive_rule *const *derive_all(void)
{
	static const struct derive_rule *all[MM_ARRAY_LEN(rules) + 1];
	if (!all[0])
		for (size_t i = 0; i < MM_ARRAY_LEN(rules); i++)
			all[i] = &rules[i];
	return all;
}

const struct derive_rule *derive_find(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].name, name) == 0)
			return &rules[i];
	return NULL;
}

void derive_run(const struct derive_rule *rule, struct cluster *c, input_fn in, void *ctx,
                struct derive_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!c) {
		no_candidate(out, "no cluster state loaded");
		return;
	}
	rule->run(c, in, ctx, out);
	if (!out->n && !out->reason)
		no_candidate(out, "no candidate");
	derive_sort(out);
}
