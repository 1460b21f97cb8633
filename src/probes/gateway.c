/*
 * Probes of the 404 flow: where a request for a host enters the mesh, which
 * Gateway serves the host, which VirtualService is bound to it, and whether
 * its routes can take the request. The Istio rules are those of
 * detect/gateway.c (the gw_* functions); where a detector proves a cause,
 * the probe runs it and keeps its findings on the objects in question, so a
 * walk and `check` agree.
 *
 * Inputs: "host" (what the client put in Host/authority), "namespace" (where
 * a short host name resolves), "gateway" (optional: "ns/name" or a name, to
 * look at one Gateway only) and "service".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/gateway.h"
#include "cluster/mesh.h"
#include "probes/probe.h"

/* Kinds a probe needs to read, besides its inputs. */
enum { GATEWAYS = 1, VIRTUAL_SERVICES = 2, PODS = 4 };

/*
 * The host a request names, as the mesh reads it: a short name is the
 * Service of that name in the namespace input, and so is "name.ns" or
 * "name.ns.svc" when that Service exists; anything else (an outside name)
 * stays as given. New string; NULL (unknown) without a host input or when
 * a kind in `need` cannot be read.
 */
static char *the_host(const struct probe_ctx *x, struct probe_result *r, unsigned need)
{
	static const struct {
		unsigned bit;
		const char *kind, *label;
	} kinds[] = {{GATEWAYS, "Gateway", "Gateways"},
	             {VIRTUAL_SERVICES, "VirtualService", "VirtualServices"},
	             {PODS, "Pod", "Pods"}};
	const char *h = probe_in(x, "host"), *ns = probe_in(x, "namespace");
	if (!h) {
		probe_unknown(r, "no host given (--set host=NAME)");
		return NULL;
	}
	for (size_t k = 0; k < MM_ARRAY_LEN(kinds); k++)
		if ((need & kinds[k].bit) && !probe_readable(x, r, kinds[k].kind, kinds[k].label))
			return NULL;
	if (!strchr(h, '.') || gw_host_service(x->cluster, h, ns ? ns : "default"))
		return host_fqdn(h, ns ? ns : "default");
	return xstrdup(h);
}

static void push(struct kobj_list *l, const struct kobj *o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = o;
}

/* Whether the gateway input ("ns/name" or a bare name) names gw; true when unset. */
static bool picked(const struct probe_ctx *x, const struct kobj *gw)
{
	const char *want = probe_in(x, "gateway"), *slash = want ? strchr(want, '/') : NULL;
	if (!want)
		return true;
	if (!slash)
		return strcmp(want, gw->name) == 0;
	return strlen(gw->ns) == (size_t)(slash - want) &&
	       strncmp(want, gw->ns, (size_t)(slash - want)) == 0 &&
	       strcmp(slash + 1, gw->name) == 0;
}

/* The Gateways (those the gateway input picks) with a server for host. Caller frees .v. */
static struct kobj_list serving(const struct probe_ctx *x, const char *host)
{
	struct kobj_list out = {0};
	const struct kobj_list *gws = cluster_list(x->cluster, "Gateway", NULL);
	for (size_t i = 0; i < gws->n; i++)
		if (picked(x, gws->v[i]) && gw_server_for(gws->v[i], host, NULL, NULL))
			push(&out, gws->v[i]);
	return out;
}

/* "port 443 (HTTPS)" for a server. New string. */
static char *port_of(json_t *server)
{
	const char *proto = jstr(server, "port.protocol");
	return xasprintf("port %lld (%s)", json_integer_value(jpath(server, "port.number")),
	                 proto ? proto : "no protocol");
}

/* Evidence that gw serves host. */
static void served_by(struct probe_result *r, const char *choice, const struct kobj *gw,
                      const char *host)
{
	char *port = port_of(gw_server_for(gw, host, NULL, NULL));
	probe_answer(r, choice, "Gateway %s/%s serves %s on %s", gw->ns, gw->name, host, port);
	free(port);
}

/* Whether a ServiceEntry declares a host that covers host. */
static const struct kobj *service_entry_for(struct cluster *c, const char *host)
{
	return mesh_service_entry(c, host, NULL);
}

/* Does the request come in through an ingress gateway, or from a pod in the mesh? */
static void entry(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, 0);
	if (!host)
		return;
	const struct kobj *se = NULL;
	if (probe_in(x, "gateway")) {
		probe_answer(r, "gateway", "Gateway %s was named (--set gateway)",
		             probe_in(x, "gateway"));
	} else if (str_ends_with(host, ".svc.cluster.local")) {
		probe_answer(r, "mesh",
		             "%s is the in-cluster name of a Service: callers in the mesh use it",
		             host);
	} else if (probe_readable(x, r, "Gateway", "Gateways")) {
		struct kobj_list gws = serving(x, host);
		if (gws.n)
			served_by(r, "gateway", gws.v[0], host);
		else if ((se = service_entry_for(x->cluster, host)))
			probe_answer(r, "mesh",
			             "ServiceEntry %s/%s declares %s: callers in the mesh use it",
			             se->ns, se->name, host);
		else
			probe_answer(r, "gateway",
			             "%s is no Service and no ServiceEntry host: only an ingress "
			             "gateway receives requests for it",
			             host);
		free(gws.v);
	}
	free(host);
}

/* Does a Gateway server list the host? */
static void for_host(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, GATEWAYS);
	if (!host)
		return;
	struct kobj_list gws = serving(x, host);
	for (size_t i = 0; i < gws.n; i++)
		served_by(r, "yes", gws.v[i], host);
	const struct kobj_list *all = cluster_list(x->cluster, "Gateway", NULL);
	size_t named = 0;
	for (size_t i = 0; i < all->n; i++)
		named += picked(x, all->v[i]);
	if (!gws.n && !named && probe_in(x, "gateway"))
		probe_unknown(r, "no Gateway %s exists", probe_in(x, "gateway"));
	else if (!gws.n)
		probe_answer(r, "no", "no server of %zu Gateway(s) lists %s", named, host);
	/* what the Gateways serve instead, a few of them */
	for (size_t i = 0, shown = 0; !gws.n && i < all->n && shown < 5; i++) {
		json_t *servers = jpath(all->v[i]->j, "spec.servers");
		for (size_t k = 0; picked(x, all->v[i]) && k < json_array_size(servers);
		     k++, shown++) {
			char *port = port_of(json_array_get(servers, k));
			char *hosts =
			    json_dumps(jpath(json_array_get(servers, k), "hosts"), JSON_COMPACT);
			sl_take(&r->evidence,
			        xasprintf("Gateway %s/%s serves %s on %s", all->v[i]->ns,
			                  all->v[i]->name, hosts ? hosts : "no hosts", port));
			free(port);
			free(hosts);
		}
	}
	free(gws.v);
	free(host);
}

/* Do the pods that the Gateways for the host select exist and run? */
static void workload(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, GATEWAYS | PODS);
	if (!host)
		return;
	struct kobj_list gws = serving(x, host);
	for (size_t i = 0; i < gws.n && !(r->choice && strcmp(r->choice, "yes") == 0); i++) {
		json_t *sel = jpath(gws.v[i]->j, "spec.selector");
		struct kobj_list pods = gw_pods(x->cluster, gws.v[i]);
		size_t k = 0;
		while (k < pods.n && !pod_running(pods.v[k]))
			k++;
		char *want = json_dumps(sel, JSON_COMPACT);
		if (k < pods.n)
			probe_answer(r, "yes", "Gateway %s/%s selects %s: pod %s/%s runs",
			             gws.v[i]->ns, gws.v[i]->name, want ? want : "{}",
			             pods.v[k]->ns, pods.v[k]->name);
		else
			probe_answer(r, "no",
			             "Gateway %s/%s selects %s: no running pod has these labels",
			             gws.v[i]->ns, gws.v[i]->name, want ? want : "nothing");
		struct kobj_list all = k < pods.n ? (struct kobj_list){0}
		                                  : cluster_select(x->cluster, "Pod", NULL, sel);
		size_t o = 0;
		while (o < all.n && strcmp(all.v[o]->ns, gws.v[i]->ns) == 0)
			o++;
		if (all.n > pods.n && o < all.n)
			sl_take(&r->evidence,
			        xasprintf("pod %s/%s carries the labels, but istiod runs with "
			                  "PILOT_SCOPE_GATEWAY_TO_NAMESPACE: a Gateway applies only to "
			                  "gateway pods of its own namespace",
			                  all.v[o]->ns, all.v[o]->name));
		free(all.v);
		free(want);
		free(pods.v);
	}
	if (!gws.n)
		probe_unknown(r, "no Gateway serves %s", host);
	free(gws.v);
	free(host);
}

/*
 * Runs a detector over the cluster and keeps its findings on the objects of
 * `on`: true (choice if_found, their evidence) if there are some; false
 * otherwise, with r unknown if the check could not run.
 */
static bool findings_on(const struct probe_ctx *x, struct probe_result *r, const char *diagnosis,
                        const struct kobj_list *on, const char *if_found)
{
	struct findings f = {0};
	struct scope all = {0};
	detect_run(x->cluster, &all, diagnosis, &f);
	for (size_t i = 0; i < f.n; i++)
		for (size_t k = 0; k < on->n; k++) {
			char *ref = kobj_ref(on->v[k]);
			if (strcmp(ref, f.v[i].resource) == 0) {
				free(r->choice);
				r->choice = xstrdup(if_found);
				sl_copy(&r->evidence, &f.v[i].evidence);
			}
			free(ref);
		}
	if (!r->choice && f.nskipped)
		probe_unknown(r, "%s", f.skipped[0].reason);
	bool found = r->choice != NULL;
	findings_free(&f);
	return found;
}

/* Whether vs is bound to one of gws through a server that serves host to its namespace. */
static const struct kobj *binding(const struct kobj *vs, const struct kobj_list *gws,
                                  const char *host)
{
	for (size_t i = 0; i < gws->n; i++)
		if (gw_vs_binds(vs, gws->v[i]) && gw_server_for(gws->v[i], host, vs->ns, NULL))
			return gws->v[i];
	return NULL;
}

/* Is a VirtualService for the host bound to a Gateway that serves it? */
static void vs_binding(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, GATEWAYS | VIRTUAL_SERVICES);
	if (!host)
		return;
	struct kobj_list gws = serving(x, host);
	const struct kobj_list *vss = cluster_list(x->cluster, "VirtualService", NULL);
	/* [0]: bound to a serving Gateway whose host entry refuses its namespace; [1]: not bound */
	struct strlist near[2] = {{0}, {0}};
	struct kobj_list loose = {0};
	for (size_t i = 0; i < vss->n && !r->choice; i++) {
		const struct kobj *vs = vss->v[i], *gw = NULL;
		if (!gw_vs_covers(vs, host))
			continue;
		if ((gw = binding(vs, &gws, host))) {
			probe_answer(r, "bound",
			             "VirtualService %s/%s covers %s and is bound to Gateway %s/%s",
			             vs->ns, vs->name, host, gw->ns, gw->name);
			continue;
		}
		for (size_t g = 0; g < gws.n && !gw; g++)
			gw = gw_vs_binds(vs, gws.v[g]) ? gws.v[g] : NULL;
		json_t *listed = jpath(vs->j, "spec.gateways");
		char *refs = json_array_size(listed) ? json_dumps(listed, JSON_COMPACT) : NULL;
		if (gw)
			sl_take(&near[0],
			        xasprintf("VirtualService %s/%s is bound to Gateway %s/%s, whose "
			                  "server for %s takes VirtualServices of other "
			                  "namespaces only",
			                  vs->ns, vs->name, gw->ns, gw->name, host));
		else
			sl_take(&near[1],
			        xasprintf("VirtualService %s/%s covers %s; its gateways: %s",
			                  vs->ns, vs->name, host,
			                  refs ? refs : "none (sidecars only)"));
		if (!gw)
			push(&loose, vs);
		free(refs);
	}
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; !r->choice && i < near[k].n; i++)
			probe_answer(r, k ? "not-bound" : "no-vs", "%s", near[k].v[i]);
	/* what the detector adds: a Gateway name that resolves to nothing, and where it is */
	if (r->choice && strcmp(r->choice, "not-bound") == 0)
		findings_on(x, r, "vs-not-bound-to-gateway", &loose, "not-bound");
	free(loose.v);
	if (!r->choice)
		probe_answer(r, "no-vs", "no VirtualService lists %s in its hosts", host);
	sl_free(&near[0]);
	sl_free(&near[1]);
	free(gws.v);
	free(host);
}

/*
 * The VirtualServices that take requests for host: through a Gateway that
 * serves it and that they are bound to, or from sidecars (mesh). Caller
 * frees .v.
 */
static struct kobj_list taking(const struct probe_ctx *x, const char *host, bool through)
{
	struct kobj_list out = {0}, gws = through ? serving(x, host) : (struct kobj_list){0};
	const struct kobj_list *vss = cluster_list(x->cluster, "VirtualService", NULL);
	for (size_t i = 0; i < vss->n; i++)
		if (gw_vs_covers(vss->v[i], host) &&
		    (through ? binding(vss->v[i], &gws, host) != NULL : gw_vs_mesh(vss->v[i])))
			push(&out, vss->v[i]);
	free(gws.v);
	return out;
}

/* Does an earlier route of the VirtualService for the host take a later route's requests? */
static void shadow(const struct probe_ctx *x, struct probe_result *r, bool through)
{
	char *host = the_host(x, r, VIRTUAL_SERVICES | (through ? GATEWAYS : 0));
	if (!host)
		return;
	struct kobj_list vss = taking(x, host, through);
	if (!findings_on(x, r, "vs-match-order-shadowed", &vss, "yes") && !r->reason)
		probe_answer(r, "no", "%zu VirtualService(s) for %s: every route can be reached",
		             vss.n, host);
	free(vss.v);
	free(host);
}

static void gateway_shadow(const struct probe_ctx *x, struct probe_result *r)
{
	shadow(x, r, true);
}

static void mesh_shadow(const struct probe_ctx *x, struct probe_result *r)
{
	shadow(x, r, false);
}

/* Do the Gateways for the host share its certificate with other Gateways; is it HTTPS at all? */
static void cert(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, GATEWAYS);
	if (!host)
		return;
	struct kobj_list gws = serving(x, host);
	if (!findings_on(x, r, "shared-cert-http2-reuse", &gws, "shared") && !r->reason) {
		for (size_t i = 0; i < gws.n; i++)
			for (json_t *s = NULL; (s = gw_server_for(gws.v[i], host, NULL, s));) {
				const char *proto = jstr(s, "port.protocol");
				if (proto && strcasecmp(proto, "HTTPS") == 0) {
					char *port = port_of(s);
					probe_answer(r, "tls",
					             "Gateway %s/%s terminates TLS for %s on %s, "
					             "with a certificate of its own",
					             gws.v[i]->ns, gws.v[i]->name, host, port);
					free(port);
				}
			}
		if (!r->choice)
			probe_answer(r, "plain", "no Gateway terminates TLS for %s", host);
	}
	free(gws.v);
	free(host);
}

/* Does some route of the VirtualService for the host take every path? */
static void every_path(const struct probe_ctx *x, struct probe_result *r, bool through)
{
	char *host = the_host(x, r, VIRTUAL_SERVICES | (through ? GATEWAYS : 0));
	if (!host)
		return;
	struct kobj_list vss = taking(x, host, through);
	struct strlist partial = {0};
	for (size_t i = 0; i < vss.n && !r->choice; i++) {
		json_t *http = jpath(vss.v[i]->j, "spec.http");
		for (size_t k = 0; k < json_array_size(http) && !r->choice; k++)
			if (gw_route_takes_all(json_array_get(http, k)))
				probe_answer(r, "yes",
				             "VirtualService %s/%s: http[%zu] takes every request",
				             vss.v[i]->ns, vss.v[i]->name, k);
		if (json_array_size(http))
			sl_take(&partial,
			        xasprintf("VirtualService %s/%s: each of its %zu http routes "
			                  "has match conditions, and nothing follows them",
			                  vss.v[i]->ns, vss.v[i]->name, json_array_size(http)));
	}
	for (size_t i = 0; !r->choice && i < partial.n; i++)
		probe_answer(r, "no", "%s", partial.v[i]);
	if (!r->choice && through)
		probe_unknown(r, "no VirtualService with http routes is bound to a Gateway for %s",
		              host);
	else if (!r->choice)
		probe_answer(r, "yes",
		             "no VirtualService with http routes applies to %s in the mesh: "
		             "sidecars send every path to the service",
		             host);
	sl_free(&partial);
	free(vss.v);
	free(host);
}

static void gateway_every_path(const struct probe_ctx *x, struct probe_result *r)
{
	every_path(x, r, true);
}

static void mesh_every_path(const struct probe_ctx *x, struct probe_result *r)
{
	every_path(x, r, false);
}

/* Are the gateway pods for the host in sync with istiod (proxy-status)? */
static void gateway_sync(const struct probe_ctx *x, struct probe_result *r)
{
	static const char *const causes[][2] = {{"proxy-config-stale", "stale"},
	                                        {"proxy-not-connected", "not-connected"}};
	char *host = the_host(x, r, GATEWAYS | PODS);
	if (!host)
		return;
	struct kobj_list gws = serving(x, host), pods = {0};
	for (size_t i = 0; i < gws.n; i++) {
		struct kobj_list sel = gw_pods(x->cluster, gws.v[i]);
		for (size_t k = 0; k < sel.n; k++)
			if (pod_running(sel.v[k]))
				push(&pods, sel.v[k]);
		free(sel.v);
	}
	for (size_t c = 0; c < MM_ARRAY_LEN(causes) && !r->choice && !r->reason; c++)
		findings_on(x, r, causes[c][0], &pods, causes[c][1]);
	if (!pods.n && !r->reason)
		probe_unknown(r, "no running gateway pod serves %s", host);
	else if (!r->choice && !r->reason)
		probe_answer(r, "synced", "proxy-status: the %zu gateway pod(s) for %s are in sync",
		             pods.n, host);
	free(pods.v);
	free(gws.v);
	free(host);
}

/* Does a VirtualService give sidecars rules for the host, or only gateways? */
static void mesh_binding(const struct probe_ctx *x, struct probe_result *r)
{
	char *host = the_host(x, r, VIRTUAL_SERVICES);
	if (!host)
		return;
	const struct kobj_list *vss = cluster_list(x->cluster, "VirtualService", NULL);
	struct strlist only = {0};
	for (size_t i = 0; i < vss->n && !r->choice; i++) {
		if (!gw_vs_covers(vss->v[i], host))
			continue;
		json_t *listed = jpath(vss->v[i]->j, "spec.gateways");
		char *refs = json_array_size(listed) ? json_dumps(listed, JSON_COMPACT) : NULL;
		if (gw_vs_mesh(vss->v[i]))
			probe_answer(r, "mesh",
			             "VirtualService %s/%s applies to sidecars (gateways: %s)",
			             vss->v[i]->ns, vss->v[i]->name, refs ? refs : "none, so mesh");
		else
			sl_take(&only,
			        xasprintf("VirtualService %s/%s covers %s but lists gateways %s "
			                  "without mesh",
			                  vss->v[i]->ns, vss->v[i]->name, host, refs));
		free(refs);
	}
	for (size_t i = 0; !r->choice && i < only.n; i++)
		probe_answer(r, "gateway-only", "%s", only.v[i]);
	if (!r->choice)
		probe_answer(r, "none", "no VirtualService lists %s in its hosts", host);
	sl_free(&only);
	free(host);
}

PROBE("request-entry", entry, "namespace", "host", "gateway", NULL);
PROBE("gateway-for-host", for_host, "namespace", "host", "gateway", NULL);
PROBE("gateway-workload", workload, "namespace", "host", "gateway", NULL);
PROBE("gateway-vs-binding", vs_binding, "namespace", "host", "gateway", NULL);
PROBE("gateway-shadowed-route", gateway_shadow, "namespace", "host", "gateway", NULL);
PROBE("gateway-cert", cert, "namespace", "host", "gateway", NULL);
PROBE("gateway-catch-all", gateway_every_path, "namespace", "host", "gateway", NULL);
PROBE("gateway-sync", gateway_sync, "namespace", "host", "gateway", NULL);
PROBE("mesh-vs-binding", mesh_binding, "namespace", "host", NULL);
PROBE("mesh-shadowed-route", mesh_shadow, "namespace", "host", NULL);
PROBE("mesh-catch-all", mesh_every_path, "namespace", "host", NULL);

const struct probe *const probes_gateway[] = {
    &probe_entry,          &probe_for_host,    &probe_workload,           &probe_vs_binding,
    &probe_gateway_shadow, &probe_cert,        &probe_gateway_every_path, &probe_gateway_sync,
    &probe_mesh_binding,   &probe_mesh_shadow, &probe_mesh_every_path,    NULL,
};
