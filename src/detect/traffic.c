/* Detectors of traffic rules: DestinationRule TLS against mutual TLS, subsets, circuit breakers. */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "cluster/mesh.h"

/* The Service a DestinationRule governs (by its host), or NULL. */
static const struct kobj *dr_service(struct cluster *c, const struct kobj *dr)
{
	const char *h = jstr(dr->j, "spec.host");
	char *fqdn = h ? host_fqdn(h, dr->ns) : NULL;
	const struct kobj *svc = fqdn ? service_of_host(c, fqdn) : NULL;
	free(fqdn);
	return svc;
}

/* The container port a Service port reaches (targetPort when numeric). */
static long target_port(json_t *port)
{
	json_t *t = json_object_get(port, "targetPort");
	return json_is_integer(t) ? (long)json_integer_value(t)
				  : (long)json_integer_value(json_object_get(port, "port"));
}

/*
 * What the client sidecar sends for a DR's port: the DR's mode, else
 * ISTIO_MUTUAL-when-possible under auto mTLS, else plain text.
 */
static const char *client_mode(struct cluster *c, const struct kobj *dr, long port)
{
	const char *m = dr_tls_mode(dr, port);
	if (m)
		return m;
	return mesh_auto_mtls(c) ? "AUTO" : "DISABLE";
}

/* Decide for one DR and Service port; adds a finding if they clash. Returns whether it did. */
static bool tls_conflict(struct cluster *c, const struct kobj *dr, const struct kobj *svc, json_t *port,
		  struct findings *f)
{
	long number = (long)json_integer_value(json_object_get(port, "port"));
	const char *mode = client_mode(c, dr, number);
	struct kobj_list pods = service_pods(c, svc);
	bool found = false;
	for (size_t i = 0; i < pods.n && !found; i++) {
		const struct kobj *p = pods.v[i];
		if (!pod_running(p))
			continue;
		const struct kobj *pa = NULL;
		const char *server = pod_has_sidecar(p) ? peer_auth_mode(c, p, target_port(port), &pa)
							: NULL;
		bool clash = false;
		if (server && strcmp(server, "STRICT") == 0)
			clash = strcmp(mode, "ISTIO_MUTUAL") != 0 && strcmp(mode, "AUTO") != 0;
		else if (!server)
			clash = strcmp(mode, "ISTIO_MUTUAL") == 0;
		if (!clash)
			continue;
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("DestinationRule %s/%s: tls mode %s for port %ld%s", dr->ns,
				       dr->name, dr_tls_mode(dr, number) ? mode : "unset", number,
				       dr_tls_mode(dr, number) ? "" : " (auto mTLS off: plain text)"));
		if (server) {
			char *who = pa ? kobj_ref(pa) : xstrdup("mesh default");
			sl_take(&ev, xasprintf("pod %s/%s requires STRICT mutual TLS (%s)", p->ns, p->name,
					       who));
			free(who);
		} else {
			sl_take(&ev, xasprintf("pod %s/%s has no istio-proxy sidecar", p->ns, p->name));
		}
		findings_add(f, "dr-tls-conflict", dr, &ev,
			     "clients of %s.%s:%ld send %s, but the server pods %s", svc->name,
			     svc->ns, number, server ? (strcmp(mode, "DISABLE") ? mode : "plain text")
						     : "Istio mutual TLS",
			     server ? "require mutual TLS" : "have no sidecar to accept it");
		found = true;
	}
	free(pods.v);
	return found;
}

static void dr_tls(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dr-tls-conflict";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Pod") ||
	    !need_kind(c, f, check, "PeerAuthentication"))
		return;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		const char *h = jstr(dr->j, "spec.host");
		char *fqdn = h ? host_fqdn(h, dr->ns) : NULL;
		const struct kobj *svc = fqdn ? service_of_host(c, fqdn) : NULL;
		/* in scope when the rule or the service it governs is */
		bool scoped = in_scope(s, dr) || (svc && in_scope(s, svc));
		if (svc && s->service && strcmp(svc->name, s->service) != 0)
			scoped = false;
		if (svc && scoped && dr_for_host(c, fqdn, dr->ns) == dr) {
			json_t *ports = jpath(svc->j, "spec.ports");
			for (size_t k = 0; k < json_array_size(ports); k++)
				if (tls_conflict(c, dr, svc, json_array_get(ports, k), f))
					break;
		}
		free(fqdn);
	}
}

const struct detector det_dr_tls_conflict = {"dr-tls-conflict", "dr-tls-conflict", dr_tls};

/* Each destination of a VirtualService's routes, as JSON objects. */
static void each_destination(json_t *vs, void (*fn)(json_t *dest, void *ctx), void *ctx)
{
	static const char *const kinds[] = {"spec.http", "spec.tcp", "spec.tls"};
	for (size_t k = 0; k < MM_ARRAY_LEN(kinds); k++) {
		json_t *routes = jpath(vs, kinds[k]);
		for (size_t i = 0; i < json_array_size(routes); i++) {
			json_t *r = json_object_get(json_array_get(routes, i), "route");
			for (size_t d = 0; d < json_array_size(r); d++)
				fn(json_object_get(json_array_get(r, d), "destination"), ctx);
		}
	}
}

struct subset_ctx {
	struct cluster *c;
	const struct kobj *vs;
	const struct scope *s;
	struct findings *f;
};

static bool dr_has_subset(const struct kobj *dr, const char *subset)
{
	json_t *subsets = jpath(dr->j, "spec.subsets");
	for (size_t i = 0; i < json_array_size(subsets); i++) {
		const char *n = jstr(json_array_get(subsets, i), "name");
		if (n && strcmp(n, subset) == 0)
			return true;
	}
	return false;
}

static void check_subset(json_t *dest, void *ctx)
{
	struct subset_ctx *x = ctx;
	const char *host = jstr(dest, "host"), *subset = jstr(dest, "subset");
	if (!host || !subset)
		return;
	char *fqdn = host_fqdn(host, x->vs->ns);
	/* in scope: the service's own host "SERVICE.NS.svc..." (not "SERVICE-admin...") */
	size_t n = x->s->service ? strlen(x->s->service) : 0;
	if (x->s->service && (strncmp(fqdn, x->s->service, n) != 0 || fqdn[n] != '.')) {
		free(fqdn);
		return;
	}
	const struct kobj *dr = dr_for_host(x->c, fqdn, x->vs->ns);
	if (!dr || !dr_has_subset(dr, subset)) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("VirtualService %s/%s routes to %s subset %s", x->vs->ns,
				       x->vs->name, host, subset));
		sl_take(&ev, dr ? xasprintf("DestinationRule %s/%s defines no subset %s", dr->ns,
					    dr->name, subset)
				: xasprintf("no DestinationRule applies to %s", fqdn));
		findings_add(x->f, "subset-undefined", x->vs, &ev,
			     "subset %s of %s is not defined by any DestinationRule", subset, fqdn);
	}
	free(fqdn);
}

static void subset_undefined(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "subset-undefined";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "DestinationRule"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		struct subset_ctx x = {c, vss->v[i], s, f};
		each_destination(vss->v[i]->j, check_subset, &x);
	}
}

const struct detector det_subset_undefined = {"subset-undefined", "subset-undefined",
					      subset_undefined};

static void subset_no_pods(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "subset-no-pods";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		const struct kobj *svc = dr_service(c, dr);
		if (!svc || !(in_scope(s, dr) || in_scope(s, svc)) ||
		    (s->service && strcmp(s->service, svc->name) != 0))
			continue;
		struct kobj_list pods = service_pods(c, svc);
		json_t *subsets = jpath(dr->j, "spec.subsets");
		for (size_t k = 0; pods.n && k < json_array_size(subsets); k++) {
			json_t *sub = json_array_get(subsets, k);
			json_t *labels = json_object_get(sub, "labels");
			size_t match = 0;
			for (size_t p = 0; p < pods.n; p++)
				if (pod_running(pods.v[p]) &&
				    labels_match(labels, jpath(pods.v[p]->j, "metadata.labels")))
					match++;
			if (match)
				continue;
			char *sel = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("subset %s selects %s", jstr(sub, "name"), sel ? sel : "{}"));
			sl_take(&ev, xasprintf("none of the %zu pods of Service %s/%s is running with "
					       "those labels",
					       pods.n, svc->ns, svc->name));
			free(sel);
			findings_add(f, "subset-no-pods", dr, &ev, "subset %s of %s matches no running pod",
				     jstr(sub, "name"), svc->name);
		}
		free(pods.v);
	}
}

const struct detector det_subset_no_pods = {"subset-no-pods", "subset-no-pods", subset_no_pods};

static void headless_no_sidecar(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "headless-no-sidecar-mtls";
	const char *v = cluster_istio_version(c);
	if (!v) {
		findings_skip(f, check, "the Istio version is unknown");
		return;
	}
	if (version_cmp(v, "1.5") < 0 || version_cmp(v, "1.7") >= 0 ||
	    !need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *svc = svcs->v[i];
		if (!service_headless(svc) || (s->service && strcmp(s->service, svc->name)))
			continue;
		struct kobj_list pods = service_pods(c, svc);
		for (size_t p = 0; p < pods.n; p++)
			if (pod_running(pods.v[p]) && !pod_has_sidecar(pods.v[p])) {
				struct strlist ev = {0};
				sl_take(&ev, xasprintf("Service %s/%s is headless (clusterIP None)",
						       svc->ns, svc->name));
				sl_take(&ev, xasprintf("pod %s has no istio-proxy", pods.v[p]->name));
				sl_take(&ev, xasprintf("Istio %s", v));
				findings_add(f, check, svc, &ev,
					     "sidecar clients use mutual TLS towards the headless, "
					     "sidecar-less %s",
					     svc->name);
				break;
			}
		free(pods.v);
	}
}

const struct detector det_headless_no_sidecar = {"headless-no-sidecar", "headless-no-sidecar-mtls",
						 headless_no_sidecar};

static void cb_no_pending(struct cluster *c, const struct scope *s, struct findings *f)
{
	if (!need_kind(c, f, "circuit-breaker-no-pending-limit", "DestinationRule"))
		return;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", s->ns);
	for (size_t i = 0; i < drs->n; i++) {
		json_t *pool = jpath(drs->v[i]->j, "spec.trafficPolicy.connectionPool");
		if (!jpath(pool, "tcp.maxConnections") || jpath(pool, "http.http1MaxPendingRequests"))
			continue;
		/* scoped to a service: only the rule whose host is that service */
		const struct kobj *svc = s->service ? dr_service(c, drs->v[i]) : NULL;
		if (s->service && (!svc || strcmp(svc->name, s->service) != 0))
			continue;
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("connectionPool.tcp.maxConnections %lld without "
				       "http.http1MaxPendingRequests",
				       json_integer_value(jpath(pool, "tcp.maxConnections"))));
		findings_add(f, "circuit-breaker-no-pending-limit", drs->v[i], &ev,
			     "requests queue instead of failing fast: no pending-request limit");
	}
}

const struct detector det_cb_no_pending = {"cb-no-pending", "circuit-breaker-no-pending-limit",
					   cb_no_pending};
