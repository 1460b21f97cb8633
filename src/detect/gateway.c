/*
 * Detectors of the 404 flow: Gateways, the VirtualServices bound to them,
 * and the order of a VirtualService's HTTP routes.
 *
 * The Istio rules they rest on (the gw_* functions, which the 404 probes in
 * probes/gateway.c use too, so a walk and `check` decide alike):
 * - a VirtualService names gateways as "ns/name", "./name", a bare name (its
 *   own namespace), the legacy "name.ns.svc.cluster.local", or "mesh" (every
 *   sidecar), which is implied only when the list is empty;
 * - a Gateway server host is "[ns/]dnsName": the namespace part ("*" any,
 *   "." the Gateway's own, else one namespace) says whose VirtualServices may
 *   bind to it for that host;
 * - Istio completes a VirtualService host only when it has no dot; two host
 *   patterns meet when one covers the other ("*", "*.example.com").
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/gateway.h"
#include "cluster/mesh.h"

/* Kubernetes Gateway API objects share the kind name; only Istio's are read here. */
static bool istio_gateway(const struct kobj *o)
{
	const char *api = jstr(o->j, "apiVersion");
	return !api || strncmp(api, "networking.istio.io/", 20) == 0;
}

/*
 * System namespaces are left out, but not the control plane's: the ingress
 * gateway, its Gateways and their VirtualServices often live there.
 */
static bool ignored(struct cluster *c, const char *ns)
{
	return namespace_exempt(c, ns) && strcmp(ns, cluster_control_namespace(c)) != 0;
}

/* How a server host must relate to a host pattern. */
enum fit {
	MEETS,  /* a host in common: one covers the other */
	COVERS, /* the server host covers the pattern */
	EXACTLY /* the server host is the pattern, written out */
};

static bool fits(const char *server_host, const char *pattern, enum fit how)
{
	if (how == EXACTLY)
		return strcmp(server_host, pattern) == 0;
	return host_matches(server_host, pattern) ||
	       (how == MEETS && host_matches(pattern, server_host));
}

/* Whether the namespace part of a server host ("*", ".", or a namespace) takes vs_ns. */
static bool ns_part_takes(const char *part, size_t len, const struct kobj *gw, const char *vs_ns)
{
	if (len == 1 && part[0] == '*')
		return true;
	if (len == 1 && part[0] == '.')
		return strcmp(gw->ns, vs_ns) == 0;
	return strlen(vs_ns) == len && strncmp(part, vs_ns, len) == 0;
}

/*
 * Whether a server has a host entry that takes VirtualServices of vs_ns
 * (NULL: anyone's) and whose dnsName fits pattern. A redirect-only server
 * (tls.httpsRedirect) answers 301 by itself and routes nothing, so it
 * serves no host here.
 */
static bool server_meets(const struct kobj *gw, json_t *server, const char *pattern,
                         const char *vs_ns, enum fit how)
{
	if (!istio_gateway(gw) || json_is_true(jpath(server, "tls.httpsRedirect")))
		return false;
	json_t *hosts = json_object_get(server, "hosts");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const char *entry = json_string_value(json_array_get(hosts, i));
		const char *slash = entry ? strchr(entry, '/') : NULL;
		const char *dns = slash ? slash + 1 : entry;
		if (!entry ||
		    (vs_ns && slash && !ns_part_takes(entry, (size_t)(slash - entry), gw, vs_ns)))
			continue;
		if (fits(dns, pattern, how))
			return true;
	}
	return false;
}

/* The first server after `after` (NULL: from the start) that meets pattern. */
static json_t *next_server(const struct kobj *gw, const char *pattern, const char *vs_ns,
                           enum fit how, json_t *after)
{
	json_t *servers = jpath(gw->j, "spec.servers");
	size_t i = 0;
	while (after && i < json_array_size(servers) && json_array_get(servers, i++) != after)
		;
	for (; i < json_array_size(servers); i++)
		if (server_meets(gw, json_array_get(servers, i), pattern, vs_ns, how))
			return json_array_get(servers, i);
	return NULL;
}

json_t *gw_server_for(const struct kobj *gw, const char *host, const char *vs_ns, json_t *after)
{
	return next_server(gw, host, vs_ns, COVERS, after);
}

/* A VirtualService host as Istio reads it: only a name without dots is completed. New string. */
static char *vs_host(const char *h, const char *ns)
{
	return host_fqdn(h, ns);
}

/*
 * Whether a host of the VirtualService meets pattern (covers it, when cover
 * is set). "name.ns" is also read the way cluster DNS reads it, and a short
 * name also as written: leniency that costs a missed finding at worst,
 * never a false one.
 */
static bool vs_meets(const struct kobj *vs, const char *pattern, bool cover)
{
	json_t *hosts = jpath(vs->j, "spec.hosts");
	bool hit = false;
	for (size_t i = 0; i < json_array_size(hosts) && !hit; i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		if (!h)
			continue;
		char *forms[] = {vs_host(h, vs->ns), host_fqdn(h, vs->ns), xstrdup(h)};
		for (size_t k = 0; k < MM_ARRAY_LEN(forms); k++) {
			hit = hit || fits(forms[k], pattern, cover ? COVERS : MEETS);
			free(forms[k]);
		}
	}
	return hit;
}

bool gw_vs_covers(const struct kobj *vs, const char *host)
{
	return vs_meets(vs, host, true);
}

/* Whether a server of gw that takes VirtualServices of vs_ns shares a host with vs. */
static bool gw_takes(const struct kobj *gw, const struct kobj *vs, const char *vs_ns)
{
	json_t *hosts = jpath(vs->j, "spec.hosts");
	bool hit = false;
	for (size_t i = 0; i < json_array_size(hosts) && !hit; i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		char *full = h ? vs_host(h, vs->ns) : NULL;
		hit = full && (next_server(gw, full, vs_ns, MEETS, NULL) ||
		               next_server(gw, h, vs_ns, MEETS, NULL));
		free(full);
	}
	return hit;
}

/* A gateways entry as "ns/name" (new string); NULL for "mesh". */
static char *gw_ref(const char *ref, const char *vs_ns)
{
	const char *slash = strchr(ref, '/'), *dot = strchr(ref, '.');
	if (strcmp(ref, "mesh") == 0)
		return NULL;
	if (slash)
		return slash == ref + 1 && ref[0] == '.' ? xasprintf("%s%s", vs_ns, slash)
		                                         : xstrdup(ref);
	if (!dot)
		return xasprintf("%s/%s", vs_ns, ref);
	/* the legacy form name.ns[.svc.cluster.local] */
	const char *end = strchr(dot + 1, '.');
	int nslen = end ? (int)(end - dot - 1) : (int)strlen(dot + 1);
	return xasprintf("%.*s/%.*s", nslen, dot + 1, (int)(dot - ref), ref);
}

bool gw_vs_binds(const struct kobj *vs, const struct kobj *gw)
{
	json_t *refs = jpath(vs->j, "spec.gateways");
	char *want = xasprintf("%s/%s", gw->ns, gw->name);
	bool hit = false;
	for (size_t i = 0; i < json_array_size(refs) && !hit; i++) {
		const char *r = json_string_value(json_array_get(refs, i));
		char *full = r ? gw_ref(r, vs->ns) : NULL;
		hit = full && strcmp(full, want) == 0;
		free(full);
	}
	free(want);
	return hit;
}

bool gw_vs_mesh(const struct kobj *vs)
{
	json_t *refs = jpath(vs->j, "spec.gateways");
	if (json_array_size(refs) == 0)
		return true;
	for (size_t i = 0; i < json_array_size(refs); i++) {
		const char *r = json_string_value(json_array_get(refs, i));
		if (r && strcmp(r, "mesh") == 0)
			return true;
	}
	return false;
}

const struct kobj *gw_host_service(struct cluster *c, const char *host, const char *ns)
{
	char *full = host_fqdn(host, ns);
	const struct kobj *svc = service_of_host(c, full);
	free(full);
	return svc;
}

/*
 * Whether the Gateways of an "ns/name" reference's namespace could be read;
 * if not, nothing is concluded about it and the check is skipped with the
 * permission to ask for.
 */
static bool gateway_readable(struct cluster *c, struct findings *f, const char *check,
                             const char *ref)
{
	const char *slash = strchr(ref, '/');
	char *ns = xstrndup(ref, (size_t)(slash - ref));
	bool ok = need_kind_in(c, f, check, "Gateway", ns);
	free(ns);
	return ok;
}

/* The Istio Gateway an "ns/name" reference names, or NULL. */
static const struct kobj *gateway_at(struct cluster *c, const char *ref)
{
	const char *slash = strchr(ref, '/');
	char *ns = xstrndup(ref, (size_t)(slash - ref));
	const struct kobj *gw = cluster_get(c, "Gateway", ns, slash + 1);
	free(ns);
	return gw && istio_gateway(gw) ? gw : NULL;
}

/*
 * Whether istiod runs with PILOT_SCOPE_GATEWAY_TO_NAMESPACE on: then a
 * gateway proxy takes only the Gateways of its own namespace (istiod merges
 * the Gateways of the proxy's namespace instead of all of them). Read from
 * the env of the istiod Deployments and pods of the control plane; off by
 * default. A candidate for cluster/mesh.c.
 */
static bool scope_gateway_to_namespace(struct cluster *c)
{
	static const char *const kinds[][2] = {{"Deployment", "spec.template.spec.containers"},
	                                       {"Pod", "spec.containers"}};
	const char *cns = cluster_control_namespace(c), *why;
	for (size_t k = 0; k < MM_ARRAY_LEN(kinds); k++) {
		if (!cluster_has_kind(c, kinds[k][0], &why))
			continue;
		const struct kobj_list *l = cluster_list(c, kinds[k][0], cns);
		for (size_t i = 0; i < l->n; i++) {
			const char *app = jstr(l->v[i]->j, "metadata.labels.app");
			if (strncmp(l->v[i]->name, "istiod", 6) != 0 && !(app && strcmp(app, "istiod") == 0))
				continue;
			json_t *ctrs = jpath(l->v[i]->j, kinds[k][1]);
			for (size_t n = 0; n < json_array_size(ctrs); n++) {
				json_t *env = json_object_get(json_array_get(ctrs, n), "env");
				for (size_t e = 0; e < json_array_size(env); e++) {
					const char *name = jstr(json_array_get(env, e), "name");
					const char *v = jstr(json_array_get(env, e), "value");
					/* istiod parses it as a Go boolean */
					if (name && v && strcmp(name, "PILOT_SCOPE_GATEWAY_TO_NAMESPACE") == 0)
						return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
						       strcmp(v, "t") == 0 || strcmp(v, "T") == 0;
				}
			}
		}
	}
	return false;
}

struct kobj_list gw_pods(struct cluster *c, const struct kobj *gw)
{
	json_t *sel = jpath(gw->j, "spec.selector");
	struct kobj_list none = {0};
	if (!json_is_object(sel))
		return none;
	return cluster_select(c, "Pod", scope_gateway_to_namespace(c) ? gw->ns : NULL, sel);
}

/* A JSON value as compact text, for evidence. New string. */
static char *compact(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	return s ? s : xstrdup("none");
}

/* Whether a host names the service in the scope (its first label, and namespace if given). */
static bool names_service(const struct scope *s, const char *host, const char *ns)
{
	char *full = host_fqdn(host, ns);
	size_t n = strlen(s->service);
	bool hit = strncmp(full, s->service, n) == 0 && full[n] == '.' &&
	           (!s->ns || (strncmp(full + n + 1, s->ns, strlen(s->ns)) == 0 &&
	                       full[n + 1 + strlen(s->ns)] == '.'));
	free(full);
	return hit;
}

/*
 * Whether a VirtualService is in scope: by namespace, and for a service when
 * it names the service as a host or as a destination.
 */
static bool vs_in_scope(struct cluster *c, const struct scope *s, const struct kobj *vs)
{
	if (!in_scope(s, vs) || ignored(c, vs->ns))
		return false;
	if (!s->service)
		return true;
	json_t *hosts = jpath(vs->j, "spec.hosts"), *http = jpath(vs->j, "spec.http");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		if (h && names_service(s, h, vs->ns))
			return true;
	}
	for (size_t i = 0; i < json_array_size(http); i++) {
		json_t *dests = json_object_get(json_array_get(http, i), "route");
		for (size_t k = 0; k < json_array_size(dests); k++) {
			const char *h = jstr(json_array_get(dests, k), "destination.host");
			if (h && names_service(s, h, vs->ns))
				return true;
		}
	}
	return false;
}

/* Every host of a Gateway's servers, for evidence. New string. */
static char *gateway_hosts(const struct kobj *gw)
{
	json_t *all = json_array(), *servers = jpath(gw->j, "spec.servers");
	for (size_t i = 0; i < json_array_size(servers); i++)
		json_array_extend(all, json_object_get(json_array_get(servers, i), "hosts"));
	char *s = compact(all);
	json_decref(all);
	return s;
}

/*
 * A VirtualService bound to an existing Gateway that shares no host with
 * any of its servers (that take the VirtualService's namespace): the
 * binding can never match, and requests for the VirtualService's hosts
 * through that Gateway get 404.
 */
static void host_mismatch(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "gateway-host-mismatch";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "Gateway"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		json_t *refs = jpath(vs->j, "spec.gateways");
		struct strlist ev = {0};
		const struct kobj *first = NULL;
		for (size_t k = 0; vs_in_scope(c, s, vs) && k < json_array_size(refs); k++) {
			const char *r = json_string_value(json_array_get(refs, k));
			char *full = r ? gw_ref(r, vs->ns) : NULL;
			const struct kobj *gw =
			    full && gateway_readable(c, f, check, full) ? gateway_at(c, full) : NULL;
			free(full);
			if (!gw || gw_takes(gw, vs, vs->ns))
				continue;
			char *gh = gateway_hosts(gw);
			sl_take(&ev,
			        xasprintf("Gateway %s/%s serves hosts %s", gw->ns, gw->name, gh));
			if (gw_takes(gw, vs, NULL))
				sl_take(&ev,
				        xasprintf("the server hosts that match are limited to "
				                  "VirtualServices of other namespaces than %s",
				                  vs->ns));
			free(gh);
			first = first ? first : gw;
		}
		if (!first)
			continue;
		char *vh = compact(jpath(vs->j, "spec.hosts"));
		sl_take(&ev, xasprintf("VirtualService %s/%s has hosts %s", vs->ns, vs->name, vh));
		free(vh);
		findings_add(f, check, vs, &ev,
		             "no host of VirtualService %s matches a host of its Gateway %s/%s: "
		             "requests through it get 404",
		             vs->name, first->ns, first->name);
	}
}

/*
 * Whether a VirtualService bound to gw, or to a Gateway with the same
 * selector, covers host through a server that takes it. Servers of one port
 * on the same gateway pods share their routes (plain HTTP) or are picked by
 * SNI (HTTPS), so a binding to any of these Gateways routes the host.
 */
static bool bound_elsewhere(struct cluster *c, const struct kobj *gw, const char *host)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	json_t *sel = jpath(gw->j, "spec.selector");
	/* few VirtualServices share the host: test that first */
	for (size_t i = 0; i < vss->n; i++) {
		if (!vs_meets(vss->v[i], host, false))
			continue;
		for (size_t g = 0; g < gws->n; g++) {
			const struct kobj *other = gws->v[g];
			if ((other == gw ||
			     (sel && json_equal(sel, jpath(other->j, "spec.selector")))) &&
			    gw_vs_binds(vss->v[i], other) &&
			    next_server(other, host, vss->v[i]->ns, MEETS, NULL))
				return true;
		}
	}
	return false;
}

/*
 * Whether vs is bound to some Gateway that serves host. Then a Gateway that
 * covers the host only through a wildcard (an internal gateway for
 * *.example.com, say) is not where its clients go, and stays quiet.
 */
static bool bound_to_other(struct cluster *c, const struct kobj *vs, const char *host)
{
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	for (size_t g = 0; g < gws->n; g++)
		if (gw_vs_binds(vs, gws->v[g]) && next_server(gws->v[g], host, vs->ns, MEETS, NULL))
			return true;
	return false;
}

/*
 * A host meant for in-cluster callers: a short name, a Service's DNS name,
 * or a ServiceEntry host (egress). Gateways that serve "*" or a wildcard
 * cover such names too, but nobody sends them through an ingress gateway.
 */
static bool inside_host(struct cluster *c, const char *h, const char *ns)
{
	if (!strchr(h, '.') || strcmp(h, "*") == 0 || str_ends_with(h, ".svc") ||
	    str_ends_with(h, ".svc.cluster.local") || gw_host_service(c, h, ns))
		return true;
	const struct kobj_list *ses = cluster_list(c, "ServiceEntry", NULL);
	for (size_t i = 0; i < ses->n; i++) {
		json_t *hosts = jpath(ses->v[i]->j, "spec.hosts");
		for (size_t k = 0; k < json_array_size(hosts); k++)
			if (json_string_value(json_array_get(hosts, k)) &&
			    strcmp(json_string_value(json_array_get(hosts, k)), h) == 0)
				return true;
	}
	return false;
}

/*
 * Whether "ns/name" is a Gateway of the Kubernetes Gateway API, which a
 * VirtualService may name too (vs-k8s-gateway-host-mismatch looks at those).
 */
static bool k8s_gateway_at(struct cluster *c, const char *ref)
{
	const char *slash = strchr(ref, '/');
	char *ns = xstrndup(ref, (size_t)(slash - ref));
	const struct kobj *gw = cluster_get(c, KIND_K8S_GATEWAY, ns, slash + 1);
	free(ns);
	return gw != NULL;
}

/* Gateways a VirtualService names that do not exist; adds evidence, returns how many. */
static size_t missing_gateways(struct cluster *c, struct findings *f, const char *check,
                               const struct kobj *vs, struct strlist *ev)
{
	json_t *refs = jpath(vs->j, "spec.gateways");
	size_t missing = 0;
	for (size_t k = 0; k < json_array_size(refs); k++) {
		const char *r = json_string_value(json_array_get(refs, k));
		char *full = r ? gw_ref(r, vs->ns) : NULL;
		if (full && gateway_readable(c, f, check, full) && !gateway_at(c, full) &&
		    !k8s_gateway_at(c, full)) {
			missing++;
			sl_take(ev,
			        xasprintf("gateways lists \"%s\": no Gateway %s exists", r, full));
			/* the usual slip: a bare name for a Gateway in another namespace */
			const char *name = strchr(full, '/') + 1;
			const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
			for (size_t g = 0; g < gws->n; g++)
				if (strcmp(gws->v[g]->name, name) == 0 && istio_gateway(gws->v[g]))
					sl_take(ev, xasprintf(
					                "a Gateway %s exists in namespace %s: "
					                "write it as %s/%s",
					                name, gws->v[g]->ns, gws->v[g]->ns, name));
		}
		free(full);
	}
	return missing;
}

/*
 * A VirtualService that names Gateways that do not exist, or whose outside
 * host a Gateway serves while no VirtualService bound to that Gateway covers
 * it: requests for that host through the Gateway get 404.
 */
static void not_bound(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-not-bound-to-gateway";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "Gateway"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i], *unbound = NULL;
		if (!vs_in_scope(c, s, vs))
			continue;
		struct strlist ev = {0};
		size_t missing = missing_gateways(c, f, check, vs, &ev);
		json_t *hosts = jpath(vs->j, "spec.hosts");
		for (size_t g = 0; g < gws->n; g++) {
			const struct kobj *gw = gws->v[g];
			if (ignored(c, gw->ns) || gw_vs_binds(vs, gw))
				continue;
			for (size_t k = 0; k < json_array_size(hosts); k++) {
				const char *h = json_string_value(json_array_get(hosts, k));
				if (!h || inside_host(c, h, vs->ns) ||
				    !next_server(gw, h, vs->ns, MEETS, NULL) ||
				    bound_elsewhere(c, gw, h) ||
				    (!next_server(gw, h, vs->ns, EXACTLY, NULL) &&
				     bound_to_other(c, vs, h)))
					continue;
				/* a VirtualService of a namespace not read may be the one that covers it */
				const char *why;
				if (cluster_kind_partial(c, "VirtualService", &why)) {
					char *r = xasprintf("VirtualService in other namespaces: %s", why);
					findings_skip(f, check, r);
					free(r);
					continue;
				}
				sl_take(&ev,
				        xasprintf("Gateway %s/%s serves %s, but no VirtualService "
				                  "that names it covers that host",
				                  gw->ns, gw->name, h));
				unbound = unbound ? unbound : gw;
			}
		}
		if (!missing && !unbound) {
			sl_free(&ev);
			continue;
		}
		json_t *listed = jpath(vs->j, "spec.gateways");
		char *refs =
		    json_array_size(listed) ? compact(listed) : xstrdup("none (sidecars only)");
		sl_take(&ev,
		        xasprintf("VirtualService %s/%s gateways: %s", vs->ns, vs->name, refs));
		free(refs);
		if (missing) {
			findings_add(f, check, vs, &ev,
			             "VirtualService %s names a Gateway that does not exist: no "
			             "gateway applies its routes under that name",
			             vs->name);
			/* istioctl analyze reports only the missing Gateway, as a missing reference */
			findings_rate(f, SEV_UNSET, "IST0101");
		} else
			findings_add(f, check, vs, &ev,
			             "VirtualService %s is not bound to Gateway "
			             "%s/%s, which serves its host",
			             vs->name, unbound->ns, unbound->name);
	}
}

/* The certificate a server terminates TLS with; NULL for plain text and passthrough. */
static const char *server_cert(json_t *server)
{
	static const char *const terminating[] = {"SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"};
	const char *mode = jstr(server, "tls.mode");
	for (size_t i = 0; mode && i < MM_ARRAY_LEN(terminating); i++)
		if (strcmp(mode, terminating[i]) == 0)
			return jstr(server, "tls.credentialName")
			           ? jstr(server, "tls.credentialName")
			           : jstr(server, "tls.serverCertificate");
	return NULL;
}

/* Whether a list of pods has a running one. */
static bool any_running(const struct kobj_list *pods)
{
	for (size_t i = 0; i < pods->n; i++)
		if (pod_running(pods->v[i]))
			return true;
	return false;
}

/*
 * Whether two Gateways (selectors sa, sb selecting pods pa, pb) configure
 * the same gateway pods: a running pod both select, or, when neither
 * selects a running pod that is known (manifests only), the same selector.
 */
static bool same_workload(json_t *sa, const struct kobj_list *pa, json_t *sb,
                          const struct kobj_list *pb)
{
	for (size_t i = 0; i < pa->n; i++)
		for (size_t k = 0; k < pb->n; k++)
			if (pa->v[i] == pb->v[k] && pod_running(pa->v[i]))
				return true;
	return !any_running(pa) && !any_running(pb) && sa && sb &&
	       (labels_match(sa, sb) || labels_match(sb, sa));
}

/* Whether two servers list exactly the same hosts. */
static bool same_hosts(json_t *s1, json_t *s2)
{
	json_t *h1 = json_object_get(s1, "hosts"), *h2 = json_object_get(s2, "hosts");
	for (size_t i = 0; i < json_array_size(h1); i++) {
		bool found = false;
		for (size_t k = 0; k < json_array_size(h2) && !found; k++)
			found = json_equal(json_array_get(h1, i), json_array_get(h2, k));
		if (!found)
			return false;
	}
	return json_array_size(h1) == json_array_size(h2);
}

/* One line of evidence about a TLS server of a Gateway. */
static char *tls_line(const struct kobj *gw, json_t *server)
{
	char *hosts = compact(json_object_get(server, "hosts"));
	char *line =
	    xasprintf("Gateway %s/%s port %lld hosts %s: certificate %s", gw->ns, gw->name,
	              json_integer_value(jpath(server, "port.number")), hosts, server_cert(server));
	free(hosts);
	return line;
}

/*
 * Adds evidence to both Gateways (of the same pods) when they terminate TLS
 * on one port with one certificate for different hosts.
 */
static void cert_pair(const struct kobj *a, const struct kobj *b, struct strlist *ea,
                      struct strlist *eb)
{
	json_t *sa = jpath(a->j, "spec.servers"), *sb = jpath(b->j, "spec.servers");
	for (size_t i = 0; i < json_array_size(sa); i++) {
		json_t *s1 = json_array_get(sa, i);
		for (size_t k = 0; server_cert(s1) && k < json_array_size(sb); k++) {
			json_t *s2 = json_array_get(sb, k);
			if (!server_cert(s2) || strcmp(server_cert(s1), server_cert(s2)) != 0 ||
			    !json_equal(jpath(s1, "port.number"), jpath(s2, "port.number")) ||
			    same_hosts(s1, s2))
				continue;
			char *lines[] = {tls_line(a, s1), tls_line(b, s2)};
			/* each Gateway's evidence: its own server first, then the other one */
			for (size_t n = 0; n < 4; n++) {
				struct strlist *to = n < 2 ? ea : eb;
				const char *l = lines[n < 2 ? n : 3 - n];
				if (!sl_has(to, l))
					sl_add(to, l);
			}
			free(lines[0]);
			free(lines[1]);
		}
	}
}

/*
 * Gateways on the same gateway pods that serve different hosts with one
 * certificate. The finding goes on each of them: a browser's connection can
 * be opened on either, and the fix (one Gateway, or one certificate each)
 * changes both.
 */
static void shared_cert(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "shared-cert-http2-reuse";
	if (!need_kind(c, f, check, "Gateway") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	struct strlist *ev = xcalloc(gws->n + 1, sizeof *ev);
	struct kobj_list *pods = xcalloc(gws->n + 1, sizeof *pods);
	/* with PILOT_SCOPE_GATEWAY_TO_NAMESPACE Gateways of two namespaces never share pods */
	bool scoped = scope_gateway_to_namespace(c);
	for (size_t i = 0; i < gws->n; i++)
		pods[i] = gw_pods(c, gws->v[i]);
	for (size_t i = 0; i < gws->n; i++)
		for (size_t k = i + 1; k < gws->n; k++) {
			const struct kobj *a = gws->v[i], *b = gws->v[k];
			if (istio_gateway(a) && istio_gateway(b) && !ignored(c, a->ns) &&
			    !ignored(c, b->ns) && (!scoped || strcmp(a->ns, b->ns) == 0) &&
			    same_workload(jpath(a->j, "spec.selector"), &pods[i],
			                  jpath(b->j, "spec.selector"), &pods[k]))
				cert_pair(a, b, &ev[i], &ev[k]);
		}
	for (size_t i = 0; i < gws->n; i++) {
		if (ev[i].n && in_scope(s, gws->v[i])) {
			findings_add(
			    f, check, gws->v[i], &ev[i],
			    "Gateway %s shares its TLS certificate with another Gateway on "
			    "the same pods: browsers that reuse the HTTP/2 connection get 404",
			    gws->v[i]->name);
			findings_rate(f, SEV_UNSET, "IST0138");
		}
		sl_free(&ev[i]);
		free(pods[i].v);
	}
	free(ev);
	free(pods);
}

/*
 * Whether the cluster state holds some gateway proxy: an istio-proxy
 * container started as "proxy router", or the labels Istio's gateway
 * installs carry. Without one the state is likely partial (a snapshot of
 * one namespace) and a selector matching nothing proves nothing.
 */
static bool any_gateway_pod(struct cluster *c)
{
	const struct kobj_list *pods = cluster_list(c, "Pod", NULL);
	for (size_t i = 0; i < pods->n; i++) {
		json_t *j = pods->v[i]->j, *ctrs = jpath(j, "spec.containers");
		const char *istio = jstr(j, "metadata.labels.istio");
		if ((istio && (strcmp(istio, "ingressgateway") == 0 ||
		               strcmp(istio, "egressgateway") == 0)) ||
		    json_object_get(jpath(j, "metadata.labels"), "istio.io/gateway-name"))
			return true;
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			json_t *args = json_object_get(json_array_get(ctrs, k), "args");
			for (size_t a = 0; a < json_array_size(args); a++)
				if (json_string_value(json_array_get(args, a)) &&
				    strcmp(json_string_value(json_array_get(args, a)), "router") == 0)
					return true;
		}
	}
	return false;
}

/*
 * Istio Gateways whose selector picks no running pod: their servers are
 * configured on no proxy, so requests for their hosts get 404 from another
 * Gateway's listener, or no answer at all. An empty selector is left alone
 * (it takes every gateway proxy), and so is a cluster whose pods are not
 * known. With PILOT_SCOPE_GATEWAY_TO_NAMESPACE only pods of the Gateway's
 * namespace count, as istiod applies it.
 */
static void selector_no_workload(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "gateway-selector-no-workload";
	if (!need_kind(c, f, check, "Gateway") || !need_kind(c, f, check, "Pod"))
		return;
	if (cluster_list(c, "Gateway", s->ns)->n && !any_gateway_pod(c)) {
		findings_skip(f, check, "no gateway pod in the cluster state (a partial snapshot?)");
		return;
	}
	bool scoped = scope_gateway_to_namespace(c);
	const struct kobj_list *gws = cluster_list(c, "Gateway", s->ns);
	for (size_t i = 0; i < gws->n; i++) {
		const struct kobj *gw = gws->v[i];
		json_t *sel = jpath(gw->j, "spec.selector");
		if (!istio_gateway(gw) || ignored(c, gw->ns) || !json_object_size(sel))
			continue;
		struct kobj_list pods = gw_pods(c, gw);
		size_t run = 0;
		while (run < pods.n && !pod_running(pods.v[run]))
			run++;
		if (run < pods.n) {
			free(pods.v);
			continue;
		}
		struct kobj_list anywhere = scoped ? cluster_select(c, "Pod", NULL, sel)
		                                   : (struct kobj_list){0};
		char *want = compact(sel);
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("Gateway %s/%s selects %s", gw->ns, gw->name, want));
		if (pods.n)
			sl_take(&ev, xasprintf("%zu pod(s) carry these labels, none Running (%s/%s: %s)",
			                       pods.n, pods.v[0]->ns, pods.v[0]->name,
			                       jstr(pods.v[0]->j, "status.phase")
			                           ? jstr(pods.v[0]->j, "status.phase")
			                           : "no phase"));
		else
			sl_take(&ev, xasprintf("no pod%s carries these labels",
			                       scoped ? " of its namespace" : ""));
		if (scoped)
			sl_take(&ev, xstrdup("istiod runs with PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true: a "
			                     "Gateway applies only to gateway pods of its own namespace"));
		if (scoped && anywhere.n)
			sl_take(&ev, xasprintf("pod %s/%s of another namespace carries the labels but "
			                       "does not take this Gateway",
			                       anywhere.v[0]->ns, anywhere.v[0]->name));
		findings_add(f, check, gw, &ev,
		             "Gateway %s applies to no running gateway pod: its servers are "
		             "configured nowhere",
		             gw->name);
		/* no pod anywhere: what istioctl analyze reports; scoped or not running: ours only */
		if (!pods.n && !anywhere.n)
			findings_rate(f, SEV_ERROR, "IST0101");
		else
			findings_rate(f, pods.n ? SEV_WARNING : SEV_ERROR, NULL);
		free(want);
		free(anywhere.v);
		free(pods.v);
	}
}

/* Whether match a (earlier) takes every path that match b takes. */
static bool uri_covers(json_t *a, json_t *b)
{
	json_t *ua = json_object_get(a, "uri"), *ub = json_object_get(b, "uri");
	const char *pa = jstr(ua, "prefix"), *ea = jstr(ua, "exact");
	const char *pb = jstr(ub, "prefix"), *eb = jstr(ub, "exact");
	bool ci_a = json_is_true(json_object_get(a, "ignoreUriCase"));
	bool ci_b = json_is_true(json_object_get(b, "ignoreUriCase"));
	const char *sb = pb ? pb : eb;
	if (!ua || (pa && strcmp(pa, "/") == 0))
		return true;
	/* a case-insensitive later match takes paths that a case-sensitive earlier one does not */
	if (!ub || !sb || (ci_b && !ci_a))
		return false;
	if (pa)
		return ci_a ? strncasecmp(pa, sb, strlen(pa)) == 0
		            : strncmp(pa, sb, strlen(pa)) == 0;
	return ea && eb && (ci_a ? strcasecmp(ea, eb) == 0 : strcmp(ea, eb) == 0);
}

/*
 * Whether string match a ({exact|prefix|regex: S}) takes every value that b
 * takes: a prefix takes the exact values and longer prefixes that start
 * with it, an exact value only itself; regexes are compared as written
 * (two different ones may overlap without one holding the other). An empty
 * a only asks for presence, which b asks for too.
 */
static bool strmatch_covers(json_t *a, json_t *b)
{
	if (!json_is_object(a) || !json_is_object(b))
		return json_equal(a, b);
	if (json_object_size(a) == 0)
		return true;
	const char *pa = jstr(a, "prefix"), *ea = jstr(a, "exact");
	const char *vb = jstr(b, "exact") ? jstr(b, "exact") : jstr(b, "prefix");
	if (pa && vb)
		return strncmp(pa, vb, strlen(pa)) == 0;
	if (ea)
		return jstr(b, "exact") && strcmp(ea, jstr(b, "exact")) == 0;
	return json_equal(a, b);
}

/*
 * Whether match a (earlier) takes every request that match b takes: its uri
 * covers b's, and each of its other conditions holds for every request of
 * b: a string condition (method, authority, scheme) covers b's, each header
 * or query parameter of a is in b with a value a covers, and anything else
 * (port, sourceLabels, gateways, withoutHeaders...) is in b as written.
 * Conditions only b has make b narrower, not reachable: a is tried first.
 * So the same path with another method or header is not shadowed, and a
 * later match that adds a header to an earlier one is.
 */
static bool match_covers(json_t *a, json_t *b)
{
	static const char *const strings[] = {"method", "authority", "scheme"};
	static const char *const maps[] = {"headers", "queryParams"};
	const char *key;
	json_t *va;
	if (!uri_covers(a, b))
		return false;
	json_object_foreach(a, key, va)
	{
		json_t *vb = json_object_get(b, key);
		bool str = false, map = false;
		for (size_t i = 0; i < MM_ARRAY_LEN(strings); i++)
			str = str || strcmp(key, strings[i]) == 0;
		for (size_t i = 0; i < MM_ARRAY_LEN(maps); i++)
			map = map || strcmp(key, maps[i]) == 0;
		if (strcmp(key, "uri") == 0 || strcmp(key, "name") == 0 ||
		    strcmp(key, "ignoreUriCase") == 0)
			continue;
		if (!vb)
			return false;
		if (str) {
			if (!strmatch_covers(va, vb))
				return false;
			continue;
		}
		if (!json_is_object(va) || !json_is_object(vb)) {
			if (!json_equal(va, vb))
				return false;
			continue;
		}
		const char *k;
		json_t *v;
		json_object_foreach(va, k, v)
		{
			json_t *w = json_object_get(vb, k);
			if (map ? !w || !strmatch_covers(v, w) : !json_equal(v, w))
				return false;
		}
	}
	return true;
}

/* The index of an earlier route that takes every request of match m, or -1. */
static long earlier_cover(json_t *http, size_t before, json_t *m)
{
	for (size_t i = 0; i < before; i++) {
		json_t *ms = json_object_get(json_array_get(http, i), "match");
		if (json_array_size(ms) == 0)
			return (long)i;
		for (size_t k = 0; k < json_array_size(ms); k++)
			if (match_covers(json_array_get(ms, k), m))
				return (long)i;
	}
	return -1;
}

/* A route for evidence: its name, or its position. New string. */
static char *route_label(json_t *http, size_t i)
{
	const char *name = jstr(json_array_get(http, i), "name");
	json_t *ms = json_object_get(json_array_get(http, i), "match");
	char *m = json_array_size(ms) ? compact(ms) : xstrdup("no match (every request)");
	char *s =
	    name ? xasprintf("http[%zu] \"%s\" %s", i, name, m) : xasprintf("http[%zu] %s", i, m);
	free(m);
	return s;
}

/*
 * HTTP routes of a VirtualService that no request can reach: every one of
 * their matches (a route without one matches everything) is taken by an
 * earlier route. Istio tries the routes in order, first match wins, so a
 * prefix /usrv placed before /usrv-expand takes that path too.
 */
static void shadowed(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-match-order-shadowed";
	if (!need_kind(c, f, check, "VirtualService"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		json_t *http = jpath(vss->v[i]->j, "spec.http"), *any = json_object();
		struct strlist ev = {0};
		size_t first = 0;
		for (size_t j = 1; vs_in_scope(c, s, vss->v[i]) && j < json_array_size(http); j++) {
			json_t *ms = json_object_get(json_array_get(http, j), "match");
			long by = json_array_size(ms) ? -1 : earlier_cover(http, j, any);
			for (size_t k = 0; k < json_array_size(ms); k++) {
				by = earlier_cover(http, j, json_array_get(ms, k));
				if (by < 0)
					break;
			}
			if (by < 0)
				continue;
			char *late = route_label(http, j), *early = route_label(http, (size_t)by);
			sl_take(&ev,
			        xasprintf("%s is never reached: %s comes first and takes all its "
			                  "requests",
			                  late, early));
			free(late);
			free(early);
			first = first ? first : j;
		}
		json_decref(any);
		if (ev.n)
			findings_add(
			    f, check, vss->v[i], &ev,
			    "route http[%zu] of VirtualService %s is shadowed by an earlier "
			    "match (first match wins)",
			    first, vss->v[i]->name);
	}
}

/*
 * Whether a VirtualService only sends all traffic, unchanged, to the
 * service that its host names: sidecars do that without it, so leaving
 * mesh out of its gateways loses nothing.
 */
static bool routes_like_default(const struct kobj *vs, const char *fqdn)
{
	json_t *http = jpath(vs->j, "spec.http");
	if (jpath(vs->j, "spec.tcp") || jpath(vs->j, "spec.tls") || json_array_size(http) != 1)
		return false;
	const char *key;
	json_t *v, *route = json_array_get(http, 0), *dests = json_object_get(route, "route");
	json_object_foreach(route, key, v)
	{
		if (strcmp(key, "route") != 0 && strcmp(key, "name") != 0)
			return false;
	}
	json_t *d = json_array_get(dests, 0);
	const char *h = jstr(d, "destination.host");
	if (json_array_size(dests) != 1 || !h || jstr(d, "destination.subset") ||
	    jpath(d, "headers"))
		return false;
	char *full = host_fqdn(h, vs->ns);
	bool same = strcmp(full, fqdn) == 0;
	free(full);
	return same;
}

/* Whether another VirtualService gives sidecars rules for fqdn. */
static bool mesh_rules_elsewhere(struct cluster *c, const struct kobj *vs, const char *fqdn)
{
	const struct kobj_list *all = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i] != vs && gw_vs_mesh(all->v[i]) && vs_meets(all->v[i], fqdn, true))
			return true;
	return false;
}

/* The first running pod of a Service that has a sidecar, or NULL. */
static const struct kobj *meshed_pod(struct cluster *c, const struct kobj *svc)
{
	struct kobj_list pods = service_pods(c, svc);
	const struct kobj *found = NULL;
	for (size_t i = 0; i < pods.n && !found; i++)
		if (pod_running(pods.v[i]) && pod_has_sidecar(pods.v[i]))
			found = pods.v[i];
	free(pods.v);
	return found;
}

/*
 * A VirtualService bound to Gateways only (no mesh) for a host that is a
 * Service with sidecars: in-mesh callers of that Service never get its
 * rules. Quiet when another VirtualService gives sidecars rules for the
 * host, when the rules only do what sidecars do anyway, and for outside
 * names that only the gateway serves.
 */
static void missing_mesh(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-missing-mesh-gateway";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "Service") ||
	    !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		json_t *hosts = jpath(vs->j, "spec.hosts");
		if (gw_vs_mesh(vs) || !vs_in_scope(c, s, vs))
			continue;
		bool found = false;
		for (size_t k = 0; k < json_array_size(hosts) && !found; k++) {
			const char *h = json_string_value(json_array_get(hosts, k));
			const struct kobj *svc = h ? gw_host_service(c, h, vs->ns) : NULL;
			const struct kobj *pod =
			    svc && !ignored(c, svc->ns) ? meshed_pod(c, svc) : NULL;
			char *fqdn = pod ? host_fqdn(h, vs->ns) : NULL;
			if (fqdn && !mesh_rules_elsewhere(c, vs, fqdn) &&
			    !routes_like_default(vs, fqdn)) {
				struct strlist ev = {0};
				char *refs = compact(jpath(vs->j, "spec.gateways"));
				sl_take(&ev,
				        xasprintf("VirtualService %s/%s gateways: %s (no mesh)",
				                  vs->ns, vs->name, refs));
				sl_take(&ev,
				        xasprintf("host %s is Service %s/%s; pod %s runs a sidecar",
				                  h, svc->ns, svc->name, pod->name));
				sl_take(
				    &ev,
				    xasprintf("no other VirtualService gives sidecars rules for %s",
				              fqdn));
				free(refs);
				findings_add(
				    f, check, vs, &ev,
				    "in-mesh calls to %s ignore VirtualService %s: its gateways "
				    "list lacks mesh",
				    svc->name, vs->name);
				found = true;
			}
			free(fqdn);
		}
	}
}

static const struct detector det_host_mismatch = {"gateway-host-mismatch", "gateway-host-mismatch",
                                                  host_mismatch};
static const struct detector det_not_bound = {"vs-not-bound-to-gateway", "vs-not-bound-to-gateway",
                                              not_bound};
static const struct detector det_shared_cert = {"shared-cert-http2-reuse",
                                                "shared-cert-http2-reuse", shared_cert};
static const struct detector det_selector_no_workload = {
    "gateway-selector-no-workload", "gateway-selector-no-workload", selector_no_workload};
static const struct detector det_shadowed = {"vs-match-order-shadowed", "vs-match-order-shadowed",
                                             shadowed};
static const struct detector det_missing_mesh = {"vs-missing-mesh-gateway",
                                                 "vs-missing-mesh-gateway", missing_mesh};

/* Whether an http route takes every request: no match, or a match on nothing but prefix "/". */
bool gw_route_takes_all(json_t *route)
{
	json_t *ms = json_object_get(route, "match");
	if (json_array_size(ms) == 0)
		return true;
	for (size_t i = 0; i < json_array_size(ms); i++) {
		json_t *m = json_array_get(ms, i);
		const char *prefix = jstr(m, "uri.prefix");
		size_t extra = json_object_size(m) - !!json_object_get(m, "name") -
		               !!json_object_get(m, "ignoreUriCase") - !!json_object_get(m, "uri");
		if (extra == 0 &&
		    (!json_object_get(m, "uri") || (prefix && strcmp(prefix, "/") == 0)))
			return true;
	}
	return false;
}

/* How many http routes of a VirtualService send to a named subset. */
static size_t subset_routes(json_t *http)
{
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(http); i++) {
		json_t *dests = json_object_get(json_array_get(http, i), "route");
		bool named = false;
		for (size_t k = 0; k < json_array_size(dests); k++)
			named |= jstr(json_array_get(dests, k), "destination.subset") != NULL;
		n += named;
	}
	return n;
}

/*
 * VirtualServices for sidecars whose every http route has match conditions:
 * a request that fits none of them finds no route, and Envoy answers 404
 * (NR). Gateway-only rules often expose a few paths on purpose, and a
 * delegate (no hosts) is only reached through its parent's match, so both
 * are left alone.
 */
static void no_default_route(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-no-default-route";
	if (!need_kind(c, f, check, "VirtualService"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		json_t *http = jpath(vs->j, "spec.http");
		size_t n = json_array_size(http), k = 0;
		if (!n || !json_array_size(jpath(vs->j, "spec.hosts")) || !gw_vs_mesh(vs) ||
		    !vs_in_scope(c, s, vs))
			continue;
		while (k < n && !gw_route_takes_all(json_array_get(http, k)))
			k++;
		if (k < n)
			continue;
		char *hosts = compact(jpath(vs->j, "spec.hosts"));
		size_t subsets = subset_routes(http);
		struct strlist ev = {0};
		sl_take(&ev,
		        xasprintf("VirtualService %s/%s (hosts %s): each of its %zu http routes "
		                  "has match conditions, and no route without match follows them",
		                  vs->ns, vs->name, hosts, n));
		if (subsets)
			sl_take(&ev, xasprintf(
			                 "%zu of those routes send to named subsets; requests that "
			                 "match none reach no version at all",
			                 subsets));
		findings_add(
		    f, check, vs, &ev,
		    "requests for %s that match no route of VirtualService %s get 404 (NR)", hosts,
		    vs->name);
		free(hosts);
	}
}

static const struct detector det_no_default_route = {"vs-no-default-route", "vs-no-default-route",
                                                     no_default_route};

const struct detector *const detectors_gateway[] = {
    &det_host_mismatch,    &det_not_bound, &det_shared_cert, &det_shadowed, &det_missing_mesh,
    &det_no_default_route, &det_selector_no_workload, NULL,
};
