/*
 * Probes of the crash and connectivity flows: which container of a pod
 * fails and why, and what kind of traffic a Service carries. Where a
 * detector of detect/workload.c decides, the probe runs it for the one pod
 * or Service, so that a walk and `check` agree.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/workload.h"
#include "cluster/mesh.h"
#include "probes/probe.h"

static const struct kobj *the_pod(const struct probe_ctx *x, struct probe_result *r)
{
	return probe_object(x, r, "Pod", "pod");
}

static const struct kobj *the_service(const struct probe_ctx *x, struct probe_result *r)
{
	return probe_object(x, r, "Service", "service");
}

static long restarts(json_t *st)
{
	return (long)json_integer_value(json_object_get(st, "restartCount"));
}

/* A FailedCreate event in the namespace: a pod that was never created. */
static const struct kobj *failed_create(struct cluster *c, const char *ns)
{
	const char *why;
	if (!cluster_has_kind(c, "Event", &why))
		return NULL;
	const struct kobj_list *evs = cluster_list(c, "Event", ns);
	for (size_t i = 0; i < evs->n; i++) {
		const char *reason = jstr(evs->v[i]->j, "reason");
		if (reason && strcmp(reason, "FailedCreate") == 0)
			return evs->v[i];
	}
	return NULL;
}

/* The first application container of a pod that restarts or is not Ready, or NULL. */
static json_t *failing_app(const struct kobj *p, bool *restarted)
{
	json_t *ctrs = jpath(p->j, "spec.containers"), *not_ready = NULL;
	for (size_t i = 0; i < json_array_size(ctrs); i++) {
		const char *n = jstr(json_array_get(ctrs, i), "name");
		json_t *st = n && workload_is_app(n) ? workload_status(p, n) : NULL;
		const char *waiting = jstr(st, "state.waiting.reason");
		if (restarts(st) > 0 || (waiting && strcmp(waiting, "CrashLoopBackOff") == 0)) {
			*restarted = true;
			return st;
		}
		if (st && !not_ready && !json_is_true(json_object_get(st, "ready")))
			not_ready = st;
	}
	*restarted = false;
	return not_ready;
}

/*
 * The first network error near the start of an application container's
 * current log, as an evidence line; NULL, with the reason of an unreadable
 * log in *why (new, or NULL).
 */
static char *app_start_error(struct cluster *c, const struct kobj *p, char **why)
{
	json_t *ctrs = jpath(p->j, "spec.containers");
	*why = NULL;
	for (size_t i = 0; i < json_array_size(ctrs); i++) {
		const char *n = jstr(json_array_get(ctrs, i), "name");
		char *w = NULL, *line = n && workload_is_app(n)
		                            ? workload_net_error(c, p, n, false, &w)
		                            : NULL;
		if (w && !*why)
			*why = w;
		else
			free(w);
		if (line) {
			char *ev = xasprintf("current log of %s, near its start: %s", n, line);
			free(line);
			free(*why);
			*why = NULL;
			return ev;
		}
	}
	return NULL;
}

/* A pod whose containers all look fine may still log failed calls at start. */
static void app_or_nothing(const struct probe_ctx *x, struct probe_result *r, const struct kobj *p)
{
	char *why, *line = app_start_error(x->cluster, p, &why);
	if (line)
		probe_answer(r, "app", "%s", line);
	else
		probe_unknown(r, "every container of %s runs, is Ready and has not restarted%s%s",
		              p->name, why ? "; " : "", why ? why : "");
	free(line);
	free(why);
}

/*
 * Which container of the pod fails: istio-init first (nothing else runs
 * before it), then a restarting istio-proxy (its crash takes the
 * application's network along), then the application, then an istio-proxy
 * that never gets Ready.
 */
static void crash_container(const struct probe_ctx *x, struct probe_result *r)
{
	const char *ns = probe_in(x, "namespace") ? probe_in(x, "namespace") : "default";
	const char *name = probe_in(x, "pod");
	if (name && probe_readable(x, r, "Pod", "Pods") &&
	    !cluster_get(x->cluster, "Pod", ns, name)) {
		const struct kobj *e = failed_create(x->cluster, ns);
		if (e)
			probe_answer(r, "not-created",
			             "no pod %s in %s; event FailedCreate: %.200s", name, ns,
			             jstr(e->j, "message") ? jstr(e->j, "message") : "");
		else
			probe_unknown(r, "no pod %s in namespace %s, and no FailedCreate event",
			              name, ns);
		return;
	}
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	json_t *init = workload_status(p, "istio-init"), *proxy = workload_status(p, "istio-proxy");
	const char *proxy_waiting = jstr(proxy, "state.waiting.reason");
	bool restarted;
	json_t *app = failing_app(p, &restarted);
	if (!pod_has_sidecar(p))
		probe_answer(r, "no-sidecar", "pod %s has no istio-proxy container", p->name);
	else if (init && workload_init_failing(init))
		probe_answer(r, "init", "istio-init: %s, restart count %ld",
		             jstr(init, "state.waiting.reason") ? jstr(init, "state.waiting.reason")
		                                                : "failed",
		             restarts(init));
	else if (restarts(proxy) > 0)
		probe_answer(r, "proxy", "istio-proxy restart count %ld", restarts(proxy));
	else if (proxy_waiting && strstr(proxy_waiting, "Image"))
		probe_answer(r, "proxy", "istio-proxy waits: %s", proxy_waiting);
	else if (app)
		probe_answer(r, "app", "container %s %s", jstr(app, "name"),
		             restarted ? "restarts (or waits in CrashLoopBackOff)"
		                       : "is not Ready");
	else if (proxy && !json_is_true(json_object_get(proxy, "ready")))
		probe_answer(r, "proxy", "istio-proxy is not Ready");
	else
		app_or_nothing(x, r, p);
}

struct cause {
	const char *diagnosis, *choice;
};

/*
 * Run the detectors of causes in order for one pod and take the choice of
 * the first that finds something; else fallback when every check could
 * run, or unknown with the reason of the first that could not.
 */
static void first_cause(const struct probe_ctx *x, struct probe_result *r, const struct cause *cs,
                        size_t n, const char *fallback, const char *clean)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	struct scope s = {p->ns, NULL, p->name};
	char *skipped = NULL;
	for (size_t i = 0; i < n && !r->choice; i++) {
		struct findings f = {0};
		detect_run(x->cluster, &s, cs[i].diagnosis, &f);
		if (f.n)
			r->choice = xstrdup(cs[i].choice);
		for (size_t k = 0; k < f.n; k++)
			sl_copy(&r->evidence, &f.v[k].evidence);
		if (!f.n && f.nskipped && !skipped)
			skipped = xstrdup(f.skipped[0].reason);
		findings_free(&f);
	}
	if (!r->choice && skipped)
		probe_unknown(r, "%s", skipped);
	else if (!r->choice)
		probe_answer(r, fallback, "%s", clean);
	free(skipped);
}

static void init_failure(const struct probe_ctx *x, struct probe_result *r)
{
	static const struct cause cs[] = {{"sidecar-image-pull-failure", "image"},
	                                  {"istio-init-not-reentrant", "rules-exist"},
	                                  {"istio-init-no-net-admin", "permission"}};
	first_cause(x, r, cs, MM_ARRAY_LEN(cs), "other",
	            "istio-init's log shows neither existing rules nor missing privileges");
}

static void proxy_failure(const struct probe_ctx *x, struct probe_result *r)
{
	static const struct cause cs[] = {{"sidecar-image-pull-failure", "image"},
	                                  {"proxy-oom-killed", "oom"},
	                                  {"envoy-fd-limit", "fd-limit"},
	                                  {"proxy-not-connected", "not-connected"}};
	first_cause(x, r, cs, MM_ARRAY_LEN(cs), "other",
	            "no memory kill, no descriptor assert, and the proxy is connected to istiod");
}

/* How the application fails: restarts, never Ready, or network errors in its first lines. */
static void app_failure(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	bool restarted;
	json_t *app = failing_app(p, &restarted);
	if (app) {
		probe_answer(r, restarted ? "restarts" : "not-ready", "container %s %s",
		             jstr(app, "name"), restarted ? "restarts" : "is not Ready");
		return;
	}
	char *why, *line = app_start_error(x->cluster, p, &why);
	if (line)
		probe_answer(r, "start-errors", "%s", line);
	else if (why)
		probe_unknown(r, "%s", why);
	else
		probe_unknown(r,
		              "the application containers of %s run, are Ready and log no early "
		              "network errors",
		              p->name);
	free(line);
	free(why);
}

static void probe_mtls(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	struct scope s = {p ? p->ns : NULL, NULL, p ? p->name : NULL};
	if (p)
		probe_by_detector(x, r, &s, "probe-fails-under-mtls", "yes", "no",
		                  "no failing HTTP probe on a port that requires mutual TLS");
}

/* Whether the run before the application's last exit logged network errors near its start. */
static void app_exit_log(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	json_t *ctrs = jpath(p->j, "spec.containers");
	for (size_t i = 0; i < json_array_size(ctrs) && !r->choice; i++) {
		const char *n = jstr(json_array_get(ctrs, i), "name");
		if (!n || !workload_is_app(n) || restarts(workload_status(p, n)) <= 0)
			continue;
		char *why = NULL, *line = workload_net_error(x->cluster, p, n, true, &why);
		if (line)
			probe_answer(r, "yes", "previous log of %s, near its start: %s", n, line);
		else if (why)
			probe_unknown(r, "%s", why);
		else
			probe_answer(r, "no",
			             "the previous log of %s starts without network errors", n);
		free(line);
		free(why);
	}
	if (!r->choice && !r->reason)
		probe_unknown(r, "no application container of %s has restarted", p->name);
}

static void hold_app(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	struct strlist ev = {0};
	bool held = workload_app_held(x->cluster, p, &ev);
	for (size_t i = 0; i < ev.n; i++)
		probe_answer(r, held ? "yes" : "no", "%s", ev.v[i]);
	sl_free(&ev);
}

/* "pod NAME: " before each of ev's lines, as evidence of r. */
static void pod_evidence(struct probe_result *r, const struct kobj *p, const struct strlist *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		sl_take(&r->evidence, xasprintf("pod %s/%s: %s", p->ns, p->name, ev->v[i]));
}

/*
 * Whether the calling pod's application starts only once its sidecar is
 * ready, before the 503 flow asks whether the failures follow start-up.
 * Only "yes" rules the start-up race out, so it needs the one caller named
 * (pod) and the effect on that pod (workload_app_held: the injected hook or
 * a native sidecar), not the setting alone: meshConfig or the annotation
 * act only at injection. "no" keeps the cause possible; the timing question
 * that follows is for a person. The option exists from Istio 1.7 on.
 */
static void caller_hold(const struct probe_ctx *x, struct probe_result *r)
{
	const char *v = cluster_istio_version(x->cluster);
	if (v && version_cmp(v, "1.7") < 0) {
		probe_answer(
		    r, "no",
		    "Istio %s: holdApplicationUntilProxyStarts exists only from 1.7 on, so "
		    "applications start alongside their sidecar",
		    v);
		return;
	}
	struct strlist ev = {0};
	if (probe_in(x, "pod")) {
		const struct kobj *p = the_pod(x, r);
		if (p && !pod_has_sidecar(p))
			probe_unknown(r, "pod %s/%s has no istio-proxy sidecar to wait for", p->ns,
			              p->name);
		else if (p) {
			bool held = workload_app_held(x->cluster, p, &ev);
			r->choice = xstrdup(held ? "yes" : "no");
			pod_evidence(r, p, &ev);
		}
		sl_free(&ev);
		return;
	}
	if (!probe_readable(x, r, "Pod", "Pods"))
		return;
	const char *ns = probe_in(x, "namespace") ? probe_in(x, "namespace") : "default";
	const struct kobj_list *all = cluster_list(x->cluster, "Pod", ns);
	size_t held = 0;
	for (size_t i = 0; i < all->n && !r->choice; i++) {
		const struct kobj *p = all->v[i];
		if (!pod_has_sidecar(p) || !pod_running(p))
			continue;
		if (workload_app_held(x->cluster, p, NULL)) {
			held++;
			continue;
		}
		/* one caller that does not wait is enough to keep the race possible */
		workload_app_held(x->cluster, p, &ev);
		r->choice = xstrdup("no");
		pod_evidence(r, p, &ev);
	}
	sl_free(&ev);
	if (r->choice)
		return;
	if (held)
		probe_unknown(r,
		              "the %zu pods with a sidecar in %s wait for their proxy, but the "
		              "failing caller may run elsewhere: set pod to the calling pod",
		              held, ns);
	else
		probe_unknown(r, "no running pod with a sidecar in namespace %s", ns);
}

/* The StatefulSet whose pods a Service selects (by owner, or by its serviceName), or NULL. */
static const char *statefulset_of(struct cluster *c, const struct kobj *svc)
{
	struct kobj_list pods = service_pods(c, svc);
	const char *sts = NULL;
	for (size_t i = 0; i < pods.n && !sts; i++) {
		json_t *owners = jpath(pods.v[i]->j, "metadata.ownerReferences");
		for (size_t k = 0; k < json_array_size(owners) && !sts; k++) {
			const char *kind = jstr(json_array_get(owners, k), "kind");
			if (kind && strcmp(kind, "StatefulSet") == 0)
				sts = jstr(json_array_get(owners, k), "name");
		}
	}
	free(pods.v);
	const struct kobj_list *all = cluster_list(c, "StatefulSet", svc->ns);
	for (size_t i = 0; i < all->n && !sts; i++) {
		const char *gov = jstr(all->v[i]->j, "spec.serviceName");
		if (gov && strcmp(gov, svc->name) == 0)
			sts = all->v[i]->name;
	}
	return sts;
}

static bool gateway_service(const struct kobj *svc)
{
	const char *istio = jstr(svc->j, "spec.selector.istio");
	return istio && strcmp(istio, "ingressgateway") == 0;
}

/* The first non-TCP port of a Service, as an evidence line; NULL if all are TCP. New string. */
static char *non_tcp_port(const struct kobj *svc)
{
	json_t *ports = jpath(svc->j, "spec.ports");
	for (size_t i = 0; i < json_array_size(ports); i++) {
		const char *proto = jstr(json_array_get(ports, i), "protocol");
		if (proto && strcmp(proto, "TCP") != 0)
			return xasprintf(
			    "Service %s port %lld is %s", svc->name,
			    json_integer_value(jpath(json_array_get(ports, i), "port")), proto);
	}
	return NULL;
}

/* Whether a detector finds something for the Service; its first evidence line into *line. */
static bool service_finding(struct cluster *c, const struct kobj *svc, const char *diagnosis,
                            char **line)
{
	struct findings f = {0};
	struct scope s = {svc->ns, svc->name, NULL};
	detect_run(c, &s, diagnosis, &f);
	bool found = f.n > 0;
	if (found)
		*line = xstrdup(f.v[0].evidence.n ? f.v[0].evidence.v[0] : f.v[0].message);
	findings_free(&f);
	return found;
}

/*
 * What kind of traffic of a Service the mesh treats apart, from what the
 * Service shows: a UDP port, the ingress gateway, a StatefulSet behind a
 * headless Service, or a finding of the long-TCP or DNS checks. Only one
 * kind is taken; with none or several, the person decides.
 */
static void traffic_kind(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct strlist kinds = {0}, ev = {0};
	char *line = non_tcp_port(svc);
	const char *sts = service_headless(svc) ? statefulset_of(x->cluster, svc) : NULL;
	if (line) {
		sl_add(&kinds, "udp");
		sl_take(&ev, line);
	}
	if (gateway_service(svc)) {
		sl_add(&kinds, "ingress");
		sl_take(&ev, xasprintf("Service %s selects the ingress gateway pods", svc->name));
	}
	if (sts) {
		sl_add(&kinds, "statefulset");
		sl_take(&ev,
		        xasprintf("headless Service %s fronts StatefulSet %s", svc->name, sts));
	}
	line = NULL;
	if (service_finding(x->cluster, svc, "tcp-drop-on-cert-rotation", &line)) {
		sl_add(&kinds, "long-tcp");
		sl_take(&ev, line);
	}
	line = NULL;
	if (service_finding(x->cluster, svc, "dns-proxy-client-incompatible", &line)) {
		sl_add(&kinds, "dns");
		sl_take(&ev, line);
	}
	if (kinds.n == 1) {
		r->choice = xstrdup(kinds.v[0]);
		sl_copy(&r->evidence, &ev);
	} else if (kinds.n == 0) {
		probe_unknown(r, "nothing about Service %s/%s tells which of its traffic fails",
		              svc->ns, svc->name);
	} else {
		probe_unknown(r, "several kinds fit Service %s (%s, %s%s): say which fails",
		              svc->name, kinds.v[0], kinds.v[1], kinds.n > 2 ? ", ..." : "");
	}
	sl_free(&kinds);
	sl_free(&ev);
}

static void citadel_running(const struct probe_ctx *x, struct probe_result *r)
{
	if (!probe_readable(x, r, "Deployment", "Deployments"))
		return;
	const struct kobj *d = workload_citadel(x->cluster);
	if (d)
		probe_answer(r, "yes", "Deployment %s/%s runs (replicas not scaled to 0)", d->ns,
		             d->name);
	else
		probe_answer(r, "no", "no istio-citadel Deployment with replicas in %s",
		             cluster_control_namespace(x->cluster));
}

/* The ingress gateway's Service: the one asked about if it is one, else the only one. */
static const struct kobj *ingress_service(const struct probe_ctx *x, struct probe_result *r)
{
	const char *ns = probe_in(x, "namespace"), *name = probe_in(x, "service");
	if (!probe_readable(x, r, "Service", "Services"))
		return NULL;
	const struct kobj *svc =
	    name ? cluster_get(x->cluster, "Service", ns ? ns : "default", name) : NULL;
	if (svc && gateway_service(svc))
		return svc;
	const struct kobj_list *all = cluster_list(x->cluster, "Service", NULL);
	const struct kobj *only = NULL;
	size_t n = 0;
	for (size_t i = 0; i < all->n; i++)
		if (gateway_service(all->v[i]))
			only = all->v[i], n++;
	if (n == 1)
		return only;
	if (n)
		probe_unknown(r,
		              "%zu ingress gateway Services: set service and namespace to the one "
		              "the clients use",
		              n);
	else
		probe_unknown(r, "no Service selects pods labelled istio=ingressgateway");
	return NULL;
}

/* How the ingress gateway is exposed: a pending load balancer, cluster-internal, or node ports. */
static void ingress_exposure(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = ingress_service(x, r);
	if (!svc)
		return;
	const char *type = jstr(svc->j, "spec.type") ? jstr(svc->j, "spec.type") : "ClusterIP";
	json_t *lb = jpath(svc->j, "status.loadBalancer");
	json_t *ports = jpath(svc->j, "spec.ports");
	if (strcmp(type, "ClusterIP") == 0) {
		probe_answer(r, "cluster-ip", "Service %s/%s is type ClusterIP", svc->ns,
		             svc->name);
		return;
	}
	if (strcmp(type, "LoadBalancer") == 0 && !json_is_object(lb)) {
		probe_unknown(r, "Service %s/%s: no load balancer status was recorded", svc->ns,
		              svc->name);
		return;
	}
	if (strcmp(type, "LoadBalancer") == 0 && !json_array_size(json_object_get(lb, "ingress"))) {
		probe_answer(r, "pending",
		             "Service %s/%s is type LoadBalancer with no external "
		             "address (EXTERNAL-IP <pending>)",
		             svc->ns, svc->name);
		return;
	}
	probe_answer(r, "node-ports", "Service %s/%s is type %s", svc->ns, svc->name, type);
	for (size_t i = 0; i < json_array_size(ports); i++) {
		json_t *p = json_array_get(ports, i);
		if (json_integer_value(json_object_get(p, "nodePort")) > 0)
			sl_take(&r->evidence,
			        xasprintf("port %lld (%s) -> node port %lld",
			                  json_integer_value(json_object_get(p, "port")),
			                  jstr(p, "name") ? jstr(p, "name") : "unnamed",
			                  json_integer_value(json_object_get(p, "nodePort"))));
	}
}

/* The running pods behind the Service with a sidecar; unknown if there are none. */
static struct kobj_list sidecar_pods(const struct probe_ctx *x, struct probe_result *r,
                                     const struct kobj **svc)
{
	struct kobj_list out = {0};
	*svc = the_service(x, r);
	if (!*svc)
		return out;
	struct kobj_list pods = service_pods(x->cluster, *svc);
	for (size_t i = 0; i < pods.n; i++)
		if (pod_has_sidecar(pods.v[i]))
			pods.v[out.n++] = pods.v[i];
	out.v = pods.v;
	if (!out.n)
		probe_unknown(r, "no pod with a sidecar behind Service %s/%s", (*svc)->ns,
		              (*svc)->name);
	return out;
}

static void dns_capture(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc;
	struct kobj_list pods = sidecar_pods(x, r, &svc);
	for (size_t i = 0; i < pods.n && !r->choice; i++) {
		const char *where = workload_dns_capture(x->cluster, pods.v[i]);
		if (where)
			probe_answer(r, "on", "pod %s: ISTIO_META_DNS_CAPTURE=true (%s)",
			             pods.v[i]->name, where);
	}
	if (pods.n && !r->choice)
		probe_answer(r, "off",
		             "DNS capture is off for the %zu pods of %s (pod env, "
		             "annotation and meshConfig)",
		             pods.n, svc->name);
	free(pods.v);
}

/* Alpine images resolve with musl; anything else cannot be told from the image name. */
static void client_resolver(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc;
	struct kobj_list pods = sidecar_pods(x, r, &svc);
	for (size_t i = 0; i < pods.n && !r->choice; i++) {
		json_t *ctrs = jpath(pods.v[i]->j, "spec.containers");
		for (size_t k = 0; k < json_array_size(ctrs) && !r->choice; k++) {
			const char *img = jstr(json_array_get(ctrs, k), "image");
			if (img && strcasestr(img, "alpine"))
				probe_answer(r, "musl-or-c-ares",
				             "pod %s: image %s is Alpine-based "
				             "(musl libc)",
				             pods.v[i]->name, img);
		}
	}
	if (pods.n && !r->choice)
		probe_unknown(r,
		              "no Alpine image behind %s; a gRPC C-core client (c-ares) cannot "
		              "be told from the image",
		              svc->name);
	free(pods.v);
}

static void statefulset_service(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	const char *sts = statefulset_of(x->cluster, svc);
	if (!service_headless(svc))
		probe_answer(r, "no", "Service %s/%s has a cluster IP (%s)", svc->ns, svc->name,
		             jstr(svc->j, "spec.clusterIP") ? jstr(svc->j, "spec.clusterIP")
		                                            : "set");
	else if (!sts)
		probe_answer(r, "no", "headless Service %s/%s selects no StatefulSet's pods",
		             svc->ns, svc->name);
	else
		probe_answer(r, "yes", "headless Service %s/%s fronts StatefulSet %s", svc->ns,
		             svc->name, sts);
}

/* Whether the Service's first port is declared HTTP (name prefix or appProtocol). */
static void port_protocol(const struct probe_ctx *x, struct probe_result *r)
{
	static const char *const http[] = {"http", "http2", "grpc", "grpc-web", "h2c"};
	const struct kobj *svc = the_service(x, r);
	json_t *port = svc ? jpath(svc->j, "spec.ports.0") : NULL;
	if (!svc)
		return;
	char *proto = workload_port_protocol(port);
	bool is_http = false;
	for (size_t i = 0; proto && i < MM_ARRAY_LEN(http); i++)
		is_http = is_http || strcmp(proto, http[i]) == 0;
	probe_answer(r, is_http ? "http" : "opaque", "Service %s port %lld is declared %s",
	             svc->name, json_integer_value(json_object_get(port, "port")),
	             proto ? proto : "nothing (unnamed: detected at run time)");
	free(proto);
}

/* Compound literals at file scope have static storage: one table, no names to repeat. */
/* clang-format off */
/* Whether an application container of the pod runs as the sidecar's user or group. */
static void app_proxy_uid(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	struct scope s = {p ? p->ns : NULL, NULL, p ? p->name : NULL};
	if (p && !pod_has_sidecar(p))
		probe_unknown(r, "pod %s has no istio-proxy sidecar to bypass", p->name);
	else if (p)
		probe_by_detector(x, r, &s, "app-runs-as-proxy-uid", "yes", "no",
		                  "no application container runs as the sidecar's user or group "
		                  "(1337 unless istio-proxy sets another)");
}

#define ENTRY(id, fn, ...) &(const struct probe){id, {__VA_ARGS__}, NULL, fn}

const struct probe *const probes_workload[] = {
	ENTRY("crash-container", crash_container, "namespace", "pod", NULL),
	ENTRY("istio-init-failure", init_failure, "namespace", "pod", NULL),
	ENTRY("proxy-failure", proxy_failure, "namespace", "pod", NULL),
	ENTRY("app-failure", app_failure, "namespace", "pod", NULL),
	ENTRY("probe-mtls", probe_mtls, "namespace", "pod", NULL),
	ENTRY("app-exit-log", app_exit_log, "namespace", "pod", NULL),
	ENTRY("hold-app", hold_app, "namespace", "pod", NULL),
	ENTRY("caller-hold", caller_hold, "namespace", "pod", NULL),
	ENTRY("traffic-kind", traffic_kind, "namespace", "service", NULL),
	ENTRY("citadel-running", citadel_running, NULL),
	ENTRY("ingress-exposure", ingress_exposure, "namespace", "service", NULL),
	ENTRY("dns-capture", dns_capture, "namespace", "service", NULL),
	ENTRY("client-resolver", client_resolver, "namespace", "service", NULL),
	ENTRY("statefulset-service", statefulset_service, "namespace", "service", NULL),
	ENTRY("port-protocol", port_protocol, "namespace", "service", NULL),
	ENTRY("app-proxy-uid", app_proxy_uid, "namespace", "pod", NULL),
	NULL,
};
/* clang-format on */
