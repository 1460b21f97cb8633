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

static void list_add(struct kobj_list *l, const struct kobj *o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = o;
}

/* How many affected services a finding names before it says "and N more". */
#define AFFECTED_CAP 5

/* One clash found for a Service: who sends what to which pod. */
struct clash {
	const struct kobj *svc, *pod, *pa;
	const char *client_ns, *server;
	long port;
	struct client_tls tls;
};

/*
 * The first clash between what clients in client_ns send to the Service
 * (given the rules that apply to them) and what its running pods accept.
 * want_disable picks the kind: servers that turned mTLS off (DISABLE), or
 * the others (STRICT, no sidecar).
 */
static bool service_clash(struct cluster *c, const struct dr_set *set, const struct kobj *svc,
                          struct kobj_list *pods, const char *client_ns, bool want_disable,
                          struct clash *out)
{
	json_t *ports = jpath(svc->j, "spec.ports");
	for (size_t k = 0; k < json_array_size(ports); k++) {
		json_t *port = json_array_get(ports, k);
		long number = (long)json_integer_value(json_object_get(port, "port"));
		long target = target_port(port);
		for (size_t i = 0; i < pods->n; i++) {
			const struct kobj *p = pods->v[i];
			if (!pod_running(p))
				continue;
			struct clash x = {svc, p, NULL, client_ns, NULL, number, {0}};
			mesh_client_tls(c, set, NULL, number, p, target, &x.tls);
			x.server = mesh_server_mtls(c, p, target, &x.pa);
			if (!mtls_clash(&x.tls, x.server) ||
			    want_disable != (strcmp(x.server, "DISABLE") == 0))
				continue;
			*out = x;
			return true;
		}
	}
	return false;
}

/* What a client sends, in words. */
static const char *sends(const struct client_tls *t)
{
	if (t->istio_certs)
		return "Istio mutual TLS";
	return strcmp(t->mode, "DISABLE") == 0 ? "plain text" : t->mode;
}

/* An evidence line for one clash. New string. */
static char *clash_line(const struct clash *x)
{
	char *who = x->pa ? kobj_ref(x->pa) : xstrdup("mesh default");
	char *line;
	if (strcmp(x->server, "NONE") == 0)
		line = xasprintf("%s.%s:%ld: clients in %s send %s; pod %s has no istio-proxy sidecar",
		                 x->svc->name, x->svc->ns, x->port, x->client_ns, sends(&x->tls),
		                 x->pod->name);
	else
		line = xasprintf("%s.%s:%ld: clients in %s send %s; pod %s is %s (%s)", x->svc->name,
		                 x->svc->ns, x->port, x->client_ns, sends(&x->tls), x->pod->name,
		                 x->server, who);
	free(who);
	return line;
}

/* A namespace that holds no DestinationRule: where "every other client" stands. Borrowed or NULL. */
static const char *plain_namespace(struct cluster *c)
{
	const struct strlist *nss = cluster_namespaces(c);
	const char *root = mesh_root_namespace(c);
	for (size_t i = 0; i < nss->n; i++)
		if (strcmp(nss->v[i], root) != 0 && !cluster_list(c, "DestinationRule", nss->v[i])->n)
			return nss->v[i];
	return NULL;
}

/*
 * The client namespaces whose view of a rule can differ: the service's,
 * the rule's own, each one its exportTo names, and one without rules of its
 * own (every other namespace sees what that one sees).
 */
static size_t client_namespaces(const char *plain, const struct kobj *dr, const struct kobj *svc,
                                const char **out, size_t cap)
{
	const char *cand[2 + 8 + 1] = {svc->ns, dr->ns};
	size_t nc = 2;
	json_t *to = jpath(dr->j, "spec.exportTo");
	for (size_t i = 0; i < json_array_size(to) && nc < 10; i++) {
		const char *e = json_string_value(json_array_get(to, i));
		if (e && strcmp(e, "*") && strcmp(e, ".") && strcmp(e, "~"))
			cand[nc++] = e;
	}
	if (plain)
		cand[nc++] = plain;
	size_t n = 0;
	for (size_t i = 0; i < nc && n < cap; i++) {
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(out[k], cand[i]) == 0;
		if (!dup)
			out[n++] = cand[i];
	}
	return n;
}

/* The Services a rule's host covers (one, or many for a wildcard). Caller frees .v. */
static struct kobj_list services_of_rule(struct cluster *c, const char *host)
{
	struct kobj_list out = {0};
	if (host[0] != '*') {
		const struct kobj *svc = service_of_host(c, host);
		if (svc)
			list_add(&out, svc);
		return out;
	}
	const struct kobj_list *all = cluster_list(c, "Service", NULL);
	for (size_t i = 0; i < all->n; i++) {
		char *fqdn = host_fqdn(all->v[i]->name, all->v[i]->ns);
		if (host_matches(host, fqdn))
			list_add(&out, all->v[i]);
		free(fqdn);
	}
	return out;
}

/* The clashes a rule causes, for one kind (see service_clash), as one finding on the rule. */
static void rule_clashes(struct cluster *c, const struct scope *s, const struct kobj *dr,
                         const char *host, const char *plain, bool want_disable,
                         struct findings *f)
{
	struct kobj_list svcs = services_of_rule(c, host);
	struct strlist lines = {0};
	size_t affected = 0;
	struct clash first = {0};
	for (size_t i = 0; i < svcs.n; i++) {
		const struct kobj *svc = svcs.v[i];
		if (!(in_scope(s, dr) || in_scope(s, svc)) ||
		    (s->service && strcmp(svc->name, s->service) != 0))
			continue;
		char *fqdn = host_fqdn(svc->name, svc->ns);
		const char *nss[12];
		size_t nn = client_namespaces(plain, dr, svc, nss, MM_ARRAY_LEN(nss));
		struct kobj_list pods = service_pods(c, svc);
		struct clash x;
		bool hit = false;
		for (size_t k = 0; k < nn && !hit; k++) {
			struct dr_set set;
			const struct kobj *owner;
			if (!dr_lookup(c, fqdn, nss[k], &set))
				continue;
			/* the rule counts where its traffic policy is the one in force (or, with none, it leads) */
			if (!dr_set_policy(&set, &owner))
				owner = set.v[0];
			if (owner != dr)
				continue;
			hit = service_clash(c, &set, svc, &pods, nss[k], want_disable, &x);
		}
		free(pods.v);
		free(fqdn);
		if (!hit)
			continue;
		if (!affected++)
			first = x;
		if (affected <= AFFECTED_CAP)
			sl_take(&lines, clash_line(&x));
	}
	free(svcs.v);
	if (!affected) {
		sl_free(&lines);
		return;
	}
	struct strlist ev = {0};
	const char *mode = first.tls.automatic ? NULL : first.tls.mode;
	if (host[0] != '*') {
		/* a rule for one host: what it sends, and the first pod that refuses it */
		sl_free(&lines);
		sl_take(&ev, xasprintf("DestinationRule %s/%s: tls mode %s for port %ld%s", dr->ns,
		                       dr->name, mode ? mode : "unset", first.port,
		                       mode ? "" : " (auto mTLS off: plain text)"));
		char *who = first.pa ? kobj_ref(first.pa) : xstrdup("mesh default");
		sl_take(&ev, strcmp(first.server, "NONE") == 0
		                 ? xasprintf("pod %s/%s has no istio-proxy sidecar", first.pod->ns,
		                             first.pod->name)
		                 : xasprintf("pod %s/%s requires %s mutual TLS (%s)", first.pod->ns,
		                             first.pod->name, first.server, who));
		free(who);
	} else
		sl_take(&ev, mode ? xasprintf("DestinationRule %s/%s (host %s): tls mode %s for port %ld",
	                              dr->ns, dr->name, host, mode, first.port)
	                  : xasprintf("DestinationRule %s/%s (host %s): tls mode unset for port %ld "
	                              "(auto mTLS off: plain text)",
	                              dr->ns, dr->name, host, first.port));
	for (size_t i = 0; i < lines.n; i++)
		sl_add(&ev, lines.v[i]);
	if (affected > AFFECTED_CAP)
		sl_take(&ev, xasprintf("... and %zu more services", affected - AFFECTED_CAP));
	sl_free(&lines);
	const char *what = want_disable ? "turned mutual TLS off (PeerAuthentication DISABLE)"
	                   : strcmp(first.server, "NONE") == 0 ? "have no sidecar to accept it"
	                                                       : "require mutual TLS";
	if (affected == 1)
		findings_add(f, want_disable ? "dr-mtls-to-disabled-server" : "dr-tls-conflict", dr, &ev,
		             "clients of %s.%s:%ld send %s, but the server pods %s", first.svc->name,
		             first.svc->ns, first.port, sends(&first.tls), what);
	else
		findings_add(f, want_disable ? "dr-mtls-to-disabled-server" : "dr-tls-conflict", dr, &ev,
		             "%zu services covered by %s get %s from their clients, but their pods %s",
		             affected, host, sends(&first.tls), what);
}

/* Whether a rule's traffic policy sets a tls mode, rule-wide or for a port. */
static bool sets_tls(const struct kobj *dr)
{
	json_t *tp = jpath(dr->j, "spec.trafficPolicy");
	if (jstr(tp, "tls.mode"))
		return true;
	json_t *pls = json_object_get(tp, "portLevelSettings");
	for (size_t i = 0; i < json_array_size(pls); i++)
		if (jstr(json_array_get(pls, i), "tls.mode"))
			return true;
	return false;
}

/* Whether some PeerAuthentication turns mutual TLS off, for a workload or a port. */
static bool any_disable(struct cluster *c)
{
	const struct kobj_list *pas = cluster_list(c, "PeerAuthentication", NULL);
	for (size_t i = 0; i < pas->n; i++) {
		char *text = json_dumps(jpath(pas->v[i]->j, "spec"), JSON_COMPACT);
		bool off = text && strstr(text, "\"DISABLE\"");
		free(text);
		if (off)
			return true;
	}
	return false;
}

/*
 * The rules to look at: with auto mTLS on, a rule that sets no tls mode
 * leaves the choice to auto mTLS, which never clashes.
 */
static void each_tls_rule(struct cluster *c, const struct scope *s, bool want_disable,
                          struct findings *f)
{
	bool auto_on = mesh_auto_mtls(c);
	const char *plain = plain_namespace(c);
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		if ((auto_on && !sets_tls(dr)) ||
		    json_object_size(jpath(dr->j, "spec.workloadSelector.matchLabels")))
			continue;
		char *host = dr_host(dr);
		if (host)
			rule_clashes(c, s, dr, host, plain, want_disable, f);
		free(host);
	}
}

static void dr_tls(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dr-tls-conflict";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Pod") ||
	    !need_kind(c, f, check, "PeerAuthentication") ||
	    !need_root_kind(c, f, check, "PeerAuthentication"))
		return;
	each_tls_rule(c, s, false, f);
}

const struct detector det_dr_tls_conflict = {"dr-tls-conflict", "dr-tls-conflict", dr_tls};

static void dr_mtls_disabled(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dr-mtls-to-disabled-server";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Pod") ||
	    !need_kind(c, f, check, "PeerAuthentication") ||
	    !need_root_kind(c, f, check, "PeerAuthentication"))
		return;
	if (any_disable(c))
		each_tls_rule(c, s, true, f);
}

const struct detector det_dr_mtls_disabled = {"dr-mtls-to-disabled-server",
                                              "dr-mtls-to-disabled-server", dr_mtls_disabled};

/*
 * Auto mTLS off and no DestinationRule at all for a Service: every client
 * sidecar sends plain text, which STRICT server pods refuse.
 */
static void auto_off_no_rule(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "mtls-auto-off-no-rule";
	if (mesh_auto_mtls(c) || !need_kind(c, f, check, "DestinationRule") ||
	    !need_kind(c, f, check, "Pod") || !need_kind(c, f, check, "PeerAuthentication") ||
	    !need_root_kind(c, f, check, "PeerAuthentication"))
		return;
	const char *plain = plain_namespace(c);
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *svc = svcs->v[i];
		if ((s->service && strcmp(svc->name, s->service) != 0) || namespace_exempt(c, svc->ns))
			continue;
		char *fqdn = host_fqdn(svc->name, svc->ns);
		const char *nss[] = {svc->ns, plain};
		struct kobj_list pods = service_pods(c, svc);
		struct clash x;
		bool hit = false;
		for (size_t k = 0; k < MM_ARRAY_LEN(nss) && nss[k] && !hit; k++) {
			struct dr_set set;
			hit = !dr_lookup(c, fqdn, nss[k], &set) &&
			      service_clash(c, NULL, svc, &pods, nss[k], false, &x) &&
			      strcmp(x.server, "STRICT") == 0;
		}
		free(pods.v);
		if (hit) {
			struct strlist ev = {0};
			sl_add(&ev, "meshConfig enableAutoMtls is false");
			sl_take(&ev, xasprintf("no DestinationRule applies to %s for clients in %s", fqdn,
			                       x.client_ns));
			sl_take(&ev, clash_line(&x));
			findings_add(f, check, svc, &ev,
			             "with auto mTLS off and no DestinationRule, clients send plain text "
			             "to %s, whose pods require mutual TLS",
			             fqdn);
		}
		free(fqdn);
	}
}

const struct detector det_mtls_auto_off = {"mtls-auto-off-no-rule", "mtls-auto-off-no-rule",
                                           auto_off_no_rule};

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
	struct dr_set set;
	bool any = dr_lookup(x->c, fqdn, x->vs->ns, &set);
	const struct kobj *dr = any ? set.v[0] : NULL;
	if (!dr || !dr_set_subset(&set, subset, NULL)) {
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

/* Whether a subset's labels select one of the pods, running. */
static size_t subset_matches(struct cluster *c, json_t *labels, const struct kobj_list *pods)
{
	size_t match = 0;
	for (size_t p = 0; p < pods->n; p++)
		if (pod_running(pods->v[p]) && subset_selects_pod(c, labels, pods->v[p]))
			match++;
	return match;
}

static void no_pods_finding(const struct kobj *dr, const struct kobj *svc, json_t *sub, size_t npods,
                            struct findings *f)
{
	json_t *labels = json_object_get(sub, "labels");
	char *sel = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("subset %s selects %s", jstr(sub, "name"), sel ? sel : "{}"));
	sl_take(&ev, xasprintf("none of the %zu pods of Service %s/%s is running with those labels",
	                       npods, svc->ns, svc->name));
	const char *key;
	json_t *v;
	json_object_foreach(labels, key, v) if (topology_label(key))
	{
		sl_add(&ev, "topology labels are compared with the endpoint's node and network, as "
		            "istiod sets them, not with the pod's own labels");
		break;
	}
	free(sel);
	findings_add(f, "subset-no-pods", dr, &ev, "subset %s of %s matches no running pod",
	             jstr(sub, "name"), svc->name);
}

/* A rule for one Service: each of its subsets must select a running pod. */
static void exact_no_pods(struct cluster *c, const struct kobj *dr, const struct kobj *svc,
                          struct findings *f)
{
	struct kobj_list pods = service_pods(c, svc);
	json_t *subsets = jpath(dr->j, "spec.subsets");
	for (size_t k = 0; pods.n && k < json_array_size(subsets); k++) {
		json_t *sub = json_array_get(subsets, k);
		if (!subset_matches(c, json_object_get(sub, "labels"), &pods))
			no_pods_finding(dr, svc, sub, pods.n, f);
	}
	free(pods.v);
}

struct wild_ctx {
	struct cluster *c;
	const struct kobj *vs, *dr;
	const char *host;
	const struct scope *s;
	struct strlist *seen;
	struct findings *f;
};

/*
 * A wildcard rule's subsets apply to every host it covers; one that selects
 * no pod there matters where a route sends traffic to it, and only where
 * the rule is the one in force for the route's namespace.
 */
static void wild_destination(json_t *dest, void *ctx)
{
	struct wild_ctx *x = ctx;
	const char *host = jstr(dest, "host"), *subset = jstr(dest, "subset");
	if (!host || !subset)
		return;
	char *fqdn = host_fqdn(host, x->vs->ns);
	const struct kobj *svc = host_matches(x->host, fqdn) ? service_of_host(x->c, fqdn) : NULL;
	struct dr_set set;
	const struct kobj *owner = NULL;
	json_t *sub = svc && dr_lookup(x->c, fqdn, x->vs->ns, &set)
	                  ? dr_set_subset(&set, subset, &owner) : NULL;
	char *key = xasprintf("%s/%s/%s", svc ? svc->ns : "", svc ? svc->name : "", subset);
	bool wanted = svc && owner == x->dr && (in_scope(x->s, x->dr) || in_scope(x->s, svc)) &&
	              !(x->s->service && strcmp(x->s->service, svc->name) != 0);
	if (wanted && !sl_has(x->seen, key)) {
		sl_add(x->seen, key);
		struct kobj_list pods = service_pods(x->c, svc);
		if (pods.n && !subset_matches(x->c, json_object_get(sub, "labels"), &pods))
			no_pods_finding(x->dr, svc, sub, pods.n, x->f);
		free(pods.v);
	}
	free(key);
	free(fqdn);
}

static void each_destination(json_t *vs, void (*fn)(json_t *dest, void *ctx), void *ctx);

static void subset_no_pods(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "subset-no-pods";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		char *host = dr_host(dr);
		if (!host || !json_array_size(jpath(dr->j, "spec.subsets"))) {
			free(host);
			continue;
		}
		if (host[0] != '*') {
			const struct kobj *svc = service_of_host(c, host);
			if (svc && (in_scope(s, dr) || in_scope(s, svc)) &&
			    !(s->service && strcmp(s->service, svc->name) != 0))
				exact_no_pods(c, dr, svc, f);
		} else if (cluster_has_kind(c, "VirtualService", NULL)) {
			struct strlist seen = {0};
			const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
			for (size_t k = 0; k < vss->n; k++) {
				struct wild_ctx x = {c, vss->v[k], dr, host, s, &seen, f};
				each_destination(vss->v[k]->j, wild_destination, &x);
			}
			sl_free(&seen);
		}
		free(host);
	}
}

const struct detector det_subset_no_pods = {"subset-no-pods", "subset-no-pods", subset_no_pods};

static void headless_no_sidecar(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "headless-no-sidecar-mtls";
	const char *v = cluster_istio_version(c);
	if (!v) {
		char *why = xasprintf("the Istio version is unknown: %s", cluster_istio_version_note(c));
		findings_skip(f, check, why);
		free(why);
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
