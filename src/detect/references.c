/*
 * Detectors of references that lead nowhere and of duplicates where one
 * rule silently wins: hosts in no registry, VirtualServices, DestinationRules,
 * Gateway servers and ServiceEntries defined twice, workload selectors that
 * select no pod or that pick one workload several times, exportTo naming a
 * namespace that does not exist, and Service target ports that no container
 * declares. Each keeps quiet where Istio merges, or where the name is meant
 * to be resolved elsewhere (wildcards, ServiceEntry hosts, gateway hosts).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/mesh.h"
#include "detect/detect.h"

/* ---- shared rules (candidates for cluster/mesh.c) ---- */

/* Istio orders configuration by creation time, then by namespace and name: the first one wins. */
static bool older(const struct kobj *a, const struct kobj *b)
{
	const char *ta = jstr(a->j, "metadata.creationTimestamp");
	const char *tb = jstr(b->j, "metadata.creationTimestamp");
	int d = strcmp(ta ? ta : "", tb ? tb : "");
	if (d == 0)
		d = strcmp(a->ns, b->ns);
	return d < 0 || (d == 0 && strcmp(a->name, b->name) < 0);
}

/*
 * Whether a host (already completed) is in a registry: a Kubernetes Service
 * of that FQDN or a ServiceEntry host that covers it. *se (may be NULL) gets
 * the entry that covers it.
 */
static bool host_known(struct cluster *c, const char *fqdn, const struct kobj **se)
{
	if (se)
		*se = NULL;
	if (service_of_host(c, fqdn))
		return true;
	const struct kobj *entry = mesh_service_entry(c, fqdn, NULL);
	if (se)
		*se = entry;
	return entry != NULL;
}

/* The edit distance of two short strings, capped (enough to spot a typo). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 62 || lb > 62)
		return 99;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * Evidence for a host in no registry: what was looked for, and the nearest
 * Service name in the namespace it names (a typo), or the full form when a
 * "name.namespace" host names a Service that exists.
 */
static void unknown_host_evidence(struct cluster *c, const char *host, const char *fqdn,
                                  struct strlist *ev)
{
	static const char suffix[] = ".svc.cluster.local";
	char *name = NULL, *ns = NULL;
	if (str_ends_with(fqdn, suffix)) {
		char *head = xstrndup(fqdn, strlen(fqdn) - strlen(suffix));
		char *dot = strchr(head, '.');
		if (dot && !strchr(dot + 1, '.')) {
			*dot = '\0';
			name = xstrdup(head);
			ns = xstrdup(dot + 1);
		}
		free(head);
	}
	if (name) {
		sl_take(ev,
		        xasprintf("no Service %s in namespace %s%s, and no ServiceEntry lists %s",
		                  name, ns,
		                  cluster_get(c, "Namespace", "", ns) ? "" : " (no such namespace)",
		                  fqdn));
		const struct kobj_list *svcs = cluster_list(c, "Service", ns);
		const struct kobj *near = NULL;
		size_t best = 3;
		for (size_t i = 0; i < svcs->n; i++) {
			size_t d = distance(name, svcs->v[i]->name);
			if (d < best)
				best = d, near = svcs->v[i];
		}
		if (near)
			sl_take(ev, xasprintf("did you mean %s? Service %s/%s exists", near->name,
			                      near->ns, near->name));
	} else {
		sl_take(ev,
		        xasprintf("no Service has the name %s and no ServiceEntry lists it", fqdn));
		/* "reviews.default": Istio completes only names without a dot */
		const char *dot = strchr(host, '.');
		if (dot && !strchr(dot + 1, '.')) {
			char *n = xstrndup(host, (size_t)(dot - host));
			if (cluster_get(c, "Service", dot + 1, n))
				sl_take(
				    ev,
				    xasprintf("Istio completes only names without a dot: write %s "
				              "(in namespace %s) or %s.%s.svc.cluster.local",
				              n, dot + 1, n, dot + 1));
			free(n);
		}
	}
	free(name);
	free(ns);
}

/* The FQDN of the scoped Service, or NULL when the scope names none. New string. */
static char *scoped_fqdn(const struct scope *s)
{
	return s->service && s->ns ? xasprintf("%s.%s.svc.cluster.local", s->service, s->ns) : NULL;
}

/*
 * Whether a host that exists nowhere may be meant for the scoped Service: its
 * first label is the Service's name give or take two letters. A walk for one
 * Service reports only those; check reports every one.
 */
static bool meant_for(const struct scope *s, const char *host)
{
	if (!s->service)
		return true;
	const char *slash = strchr(host, '/');
	char *label = xstrndup(slash ? slash + 1 : host, strcspn(slash ? slash + 1 : host, "."));
	bool near = distance(label, s->service) <= 2;
	free(label);
	return near;
}

/*
 * Whether a selector may be meant for the scoped Service's pods: it holds
 * every label of the Service's selector, or the same keys with values that
 * differ by a typo. Always true without a scoped Service.
 */
static bool selector_meant_for(struct cluster *c, const struct scope *s, json_t *sel)
{
	if (!s->service)
		return true;
	const struct kobj *svc = s->ns ? cluster_get(c, "Service", s->ns, s->service) : NULL;
	json_t *want = svc ? jpath(svc->j, "spec.selector") : NULL;
	if (!json_object_size(want))
		return false;
	const char *k;
	json_t *v;
	bool all = true, typo = true;
	json_object_foreach(want, k, v)
	{
		const char *have = json_string_value(json_object_get(sel, k));
		const char *w = json_string_value(v);
		if (!have || !w) {
			all = typo = false;
			break;
		}
		all = all && strcmp(have, w) == 0;
		typo = typo && distance(have, w) <= 2;
	}
	return all || (typo && json_object_size(sel) == json_object_size(want));
}

/* Whether a VirtualService lists a host that covers fqdn (whatever its gateways). */
static bool vs_names(const struct kobj *vs, const char *fqdn)
{
	json_t *hosts = jpath(vs->j, "spec.hosts");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		char *full = h ? host_fqdn(h, vs->ns) : NULL;
		bool m = full && host_matches(full, fqdn);
		free(full);
		if (m)
			return true;
	}
	return false;
}

/* ---- hosts in no registry ---- */

struct dest_ctx {
	struct cluster *c;
	const struct kobj *vs;
	struct findings *f;
};

static void check_destination(struct dest_ctx *x, json_t *dest, const char *where, bool mirror)
{
	const char *host = jstr(dest, "host");
	if (!host || strchr(host, '*'))
		return;
	char *fqdn = host_fqdn(host, x->vs->ns);
	if (!host_known(x->c, fqdn, NULL)) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("VirtualService %s/%s %s sends to '%s' (%s)", x->vs->ns,
		                       x->vs->name, where, host, fqdn));
		unknown_host_evidence(x->c, host, fqdn, &ev);
		if (mirror) {
			sl_add(&ev,
			       "the mirrored copies are dropped; the requests themselves still "
			       "follow the route");
			findings_add(
			    x->f, "destination-host-unknown", x->vs, &ev,
			    "mirror host %s is in no service registry: the copies go nowhere",
			    host);
			findings_rate(x->f, SEV_WARNING, "IST0101");
		} else {
			findings_add(
			    x->f, "destination-host-unknown", x->vs, &ev,
			    "route destination %s is in no service registry: requests on this "
			    "route get 503 (NR/NC)",
			    host);
			findings_rate(x->f, SEV_ERROR, "IST0101");
		}
	}
	free(fqdn);
}

static void destination_host_unknown(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "destination-host-unknown";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "Service") ||
	    !need_kind(c, f, check, "ServiceEntry"))
		return;
	char *want = scoped_fqdn(s);
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	static const char *const sections[] = {"http", "tcp", "tls"};
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		if (want ? !vs_names(vs, want) : !in_scope(s, vs))
			continue;
		struct dest_ctx x = {c, vs, f};
		for (size_t k = 0; k < MM_ARRAY_LEN(sections); k++) {
			json_t *rules = jpath(vs->j, "spec"), *rule;
			rules = json_object_get(rules, sections[k]);
			size_t r;
			json_array_foreach(rules, r, rule)
			{
				json_t *routes = json_object_get(rule, "route"), *wd;
				size_t d;
				json_array_foreach(routes, d, wd)
				{
					char *where =
					    xasprintf("%s[%zu].route[%zu]", sections[k], r, d);
					check_destination(&x, json_object_get(wd, "destination"),
					                  where, false);
					free(where);
				}
				if (k)
					continue;
				if (json_object_get(rule, "mirror")) {
					char *where = xasprintf("http[%zu].mirror", r);
					check_destination(&x, json_object_get(rule, "mirror"),
					                  where, true);
					free(where);
				}
				json_t *mirrors = json_object_get(rule, "mirrors"), *m;
				size_t mi;
				json_array_foreach(mirrors, mi, m)
				{
					char *where = xasprintf("http[%zu].mirrors[%zu]", r, mi);
					check_destination(&x, json_object_get(m, "destination"),
					                  where, true);
					free(where);
				}
			}
		}
	}
	free(want);
}

static const struct detector det_destination_host_unknown = {
    "destination-host-unknown", "destination-host-unknown", destination_host_unknown};

/* A Sidecar egress host "ns/dnsName": the namespace part must exist, a plain name must be known. */
static void check_egress_host(struct cluster *c, const struct scope *s, const struct kobj *sc,
                              const char *h, struct findings *f)
{
	const char *slash = strchr(h, '/');
	if (!slash)
		return;
	char *ns = xstrndup(h, (size_t)(slash - h));
	const char *name = slash + 1;
	bool concrete_ns = strcmp(ns, "*") && strcmp(ns, ".") && strcmp(ns, "~");
	const char *in_ns = strcmp(ns, ".") == 0 ? sc->ns : ns;
	struct strlist ev = {0};
	if (concrete_ns && cluster_list(c, "Namespace", NULL)->n &&
	    !cluster_get(c, "Namespace", "", ns)) {
		sl_take(&ev, xasprintf("Sidecar %s/%s egress host '%s' imports from namespace %s, "
		                       "which does not exist",
		                       sc->ns, sc->name, h, ns));
		findings_add(
		    f, "rule-host-unknown", sc, &ev,
		    "egress host %s names a namespace that does not exist: nothing is imported", h);
	} else if (!strchr(name, '*') && strcmp(ns, "~") != 0 && meant_for(s, name)) {
		char *fqdn = host_fqdn(name, in_ns);
		const struct kobj *se;
		bool known = host_known(c, fqdn, &se);
		/* "ns/host" imports the host only when it is defined in (or exported from) ns */
		if (known && !se && concrete_ns) {
			const struct kobj *svc = service_of_host(c, fqdn);
			known = svc && strcmp(svc->ns, in_ns) == 0;
		}
		if (!known) {
			sl_take(&ev, xasprintf("Sidecar %s/%s egress host '%s' names %s", sc->ns,
			                       sc->name, h, fqdn));
			unknown_host_evidence(c, name, fqdn, &ev);
			findings_add(
			    f, "rule-host-unknown", sc, &ev,
			    "egress host %s is in no service registry: the sidecars it applies "
			    "to cannot reach that name",
			    h);
		}
		free(fqdn);
	}
	free(ns);
}

/* A short host with no Service in ns but one of that name elsewhere: rule-host-wrong-namespace's.
 */
static bool has_namesake(struct cluster *c, const char *host, const char *ns)
{
	if (strchr(host, '.') || cluster_get(c, "Service", ns, host))
		return false;
	const struct kobj_list *svcs = cluster_list(c, "Service", NULL);
	for (size_t i = 0; i < svcs->n; i++)
		if (strcmp(svcs->v[i]->name, host) == 0)
			return true;
	return false;
}

static void rule_host_unknown(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "rule-host-unknown";
	if (!need_kind(c, f, check, "DestinationRule") || !need_kind(c, f, check, "Service") ||
	    !need_kind(c, f, check, "ServiceEntry"))
		return;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", s->ns);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		const char *host = jstr(dr->j, "spec.host");
		if (!host || strchr(host, '*') || has_namesake(c, host, dr->ns) ||
		    !meant_for(s, host))
			continue;
		char *fqdn = host_fqdn(host, dr->ns);
		if (!host_known(c, fqdn, NULL)) {
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("DestinationRule %s/%s has host '%s' (%s)", dr->ns,
			                       dr->name, host, fqdn));
			unknown_host_evidence(c, host, fqdn, &ev);
			findings_add(
			    f, check, dr, &ev,
			    "host %s is in no service registry: the rule applies to no traffic",
			    host);
		}
		free(fqdn);
	}
	if (!cluster_has_kind(c, "Sidecar", NULL))
		return;
	const struct kobj_list *scs = cluster_list(c, "Sidecar", s->ns);
	for (size_t i = 0; i < scs->n; i++) {
		json_t *egress = jpath(scs->v[i]->j, "spec.egress"), *e;
		size_t k;
		json_array_foreach(egress, k, e)
		{
			json_t *hosts = json_object_get(e, "hosts");
			for (size_t h = 0; h < json_array_size(hosts); h++) {
				const char *v = json_string_value(json_array_get(hosts, h));
				if (v)
					check_egress_host(c, s, scs->v[i], v, f);
			}
		}
	}
	/* Kubernetes Gateway API routes, where a snapshot holds them */
	static const char *const routes[] = {"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"};
	for (size_t r = 0; r < MM_ARRAY_LEN(routes); r++) {
		const struct kobj_list *l = cluster_list(c, routes[r], s->ns);
		for (size_t i = 0; i < l->n; i++) {
			json_t *rules = jpath(l->v[i]->j, "spec.rules"), *rule;
			size_t k;
			json_array_foreach(rules, k, rule)
			{
				json_t *refs = json_object_get(rule, "backendRefs"), *ref;
				size_t b;
				json_array_foreach(refs, b, ref)
				{
					const char *kind = jstr(ref, "kind"),
					           *name = jstr(ref, "name");
					const char *ns = jstr(ref, "namespace");
					if (!name || (kind && strcmp(kind, "Service") != 0))
						continue;
					ns = ns ? ns : l->v[i]->ns;
					if (cluster_get(c, "Service", ns, name))
						continue;
					struct strlist ev = {0};
					sl_take(
					    &ev,
					    xasprintf("%s %s/%s rules[%zu].backendRefs[%zu] names "
					              "Service %s/%s",
					              routes[r], l->v[i]->ns, l->v[i]->name, k, b,
					              ns, name));
					char *fqdn = xasprintf("%s.%s.svc.cluster.local", name, ns);
					unknown_host_evidence(c, name, fqdn, &ev);
					free(fqdn);
					findings_add(
					    f, check, l->v[i], &ev,
					    "backend %s/%s does not exist: its share of requests "
					    "gets 500",
					    ns, name);
					findings_rate(f, SEV_ERROR, NULL);
				}
			}
		}
	}
}

static const struct detector det_rule_host_unknown = {"rule-host-unknown", "rule-host-unknown",
                                                      rule_host_unknown};

/* ---- duplicates where one rule silently wins ---- */

/* Whether two objects' exportTo lists (missing: everywhere) are the same, as Istio compares them.
 */
static bool same_export(const struct kobj *a, const struct kobj *b)
{
	json_t *ea = jpath(a->j, "spec.exportTo"), *eb = jpath(b->j, "spec.exportTo");
	if (!json_array_size(ea) && !json_array_size(eb))
		return true;
	return json_equal(ea, eb);
}

/*
 * Whether two objects share a visibility scope, as istioctl analyze groups
 * them: both exported everywhere (no exportTo, or '*'), or both to a named
 * namespace ('.' is the object's own). A namespace-private rule next to a
 * public one is what that namespace prefers, not a clash.
 */
static bool everywhere(json_t *to)
{
	if (!json_array_size(to))
		return true;
	for (size_t i = 0; i < json_array_size(to); i++) {
		const char *x = json_string_value(json_array_get(to, i));
		if (x && strcmp(x, "*") == 0)
			return true;
	}
	return false;
}

static bool export_overlaps(const struct kobj *a, const struct kobj *b)
{
	json_t *ea = jpath(a->j, "spec.exportTo"), *eb = jpath(b->j, "spec.exportTo");
	bool wa = everywhere(ea), wb = everywhere(eb);
	if (wa || wb)
		return wa && wb;
	for (size_t i = 0; i < json_array_size(ea); i++) {
		const char *x = json_string_value(json_array_get(ea, i));
		const char *xn = x && strcmp(x, ".") == 0 ? a->ns : x;
		for (size_t k = 0; xn && k < json_array_size(eb); k++) {
			const char *y = json_string_value(json_array_get(eb, k));
			const char *yn = y && strcmp(y, ".") == 0 ? b->ns : y;
			if (yn && strcmp(xn, yn) == 0)
				return true;
		}
	}
	return false;
}

static bool vs_on_mesh(const struct kobj *vs)
{
	json_t *gws = jpath(vs->j, "spec.gateways");
	for (size_t i = 0; i < json_array_size(gws); i++) {
		const char *g = json_string_value(json_array_get(gws, i));
		if (g && strcmp(g, "mesh") == 0)
			return true;
	}
	return !json_array_size(gws);
}

/* One host of a mesh VirtualService, completed; sorted by host, then age. */
struct vs_host {
	char *host;
	const struct kobj *vs;
};

static int vs_host_cmp(const void *a, const void *b)
{
	const struct vs_host *x = a, *y = b;
	int d = strcasecmp(x->host, y->host);
	if (d)
		return d;
	return older(x->vs, y->vs) ? -1 : older(y->vs, x->vs) ? 1 : 0;
}

/*
 * Two VirtualServices bound to the mesh (sidecars) for the same host, seen
 * by the same namespaces: sidecars do not merge them, the older one is used
 * for that host and the other's routes are ignored. Gateways merge
 * VirtualServices of one host, so only the mesh is checked (as istioctl
 * analyze does). Hosts are sorted once, so the cost stays linear.
 */
static void vs_host_conflict(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-host-conflict";
	if (!need_kind(c, f, check, "VirtualService"))
		return;
	char *want = scoped_fqdn(s);
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	struct vs_host *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < vss->n; i++) {
		if (!vs_on_mesh(vss->v[i]))
			continue;
		json_t *hosts = jpath(vss->v[i]->j, "spec.hosts");
		for (size_t h = 0; h < json_array_size(hosts); h++) {
			const char *host = json_string_value(json_array_get(hosts, h));
			if (!host)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct vs_host){host_fqdn(host, vss->v[i]->ns), vss->v[i]};
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), vs_host_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct kobj *late = v[i].vs;
		if (want ? !host_matches(v[i].host, want) : !in_scope(s, late))
			continue;
		/* the oldest earlier rule of the same host that shares a namespace scope */
		const struct kobj *winner = NULL;
		for (size_t k = i; k-- > 0 && strcasecmp(v[k].host, v[i].host) == 0;)
			if (v[k].vs != late && export_overlaps(v[k].vs, late))
				winner = v[k].vs;
		if (!winner)
			continue;
		struct strlist ev = {0};
		sl_take(&ev,
		        xasprintf("VirtualServices %s/%s and %s/%s both define host %s for the "
		                  "mesh",
		                  winner->ns, winner->name, late->ns, late->name, v[i].host));
		sl_take(&ev, xasprintf("%s/%s is older, so sidecars take its routes for %s",
		                       winner->ns, winner->name, v[i].host));
		findings_add(
		    f, check, late, &ev,
		    "host %s is also defined by VirtualService %s/%s: sidecars ignore this "
		    "rule's routes for it",
		    v[i].host, winner->ns, winner->name);
		findings_rate(f, SEV_ERROR, "IST0109");
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].host);
	free(v);
	free(want);
}

static const struct detector det_vs_host_conflict = {"vs-host-conflict", "vs-host-conflict",
                                                     vs_host_conflict};

/*
 * Two DestinationRules for one host in one namespace are merged by istiod
 * when neither selects workloads and their exportTo is the same: subsets
 * are added by name, the first rule's top-level trafficPolicy stays. What
 * the later rule loses is reported: a subset name the earlier one defines,
 * and its trafficPolicy when the earlier rule has one.
 */
static void dr_host_duplicate(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dr-host-duplicate";
	if (!need_kind(c, f, check, "DestinationRule"))
		return;
	char *want = scoped_fqdn(s);
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", s->ns);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *late = drs->v[i];
		const char *host = jstr(late->j, "spec.host");
		if (!host || json_object_size(jpath(late->j, "spec.workloadSelector")))
			continue;
		char *full = host_fqdn(host, late->ns);
		if (want && !host_matches(full, want)) {
			free(full);
			continue;
		}
		struct strlist ev = {0};
		const struct kobj *first = NULL;
		bool policy_lost = false;
		const struct kobj_list *same = cluster_list(c, "DestinationRule", late->ns);
		for (size_t k = 0; k < same->n; k++) {
			const struct kobj *o = same->v[k];
			const char *oh = jstr(o->j, "spec.host");
			char *ofull = oh ? host_fqdn(oh, o->ns) : NULL;
			bool dup = o != late && ofull && strcasecmp(ofull, full) == 0 &&
			           older(o, late) &&
			           !json_object_size(jpath(o->j, "spec.workloadSelector")) &&
			           same_export(o, late);
			free(ofull);
			if (!dup)
				continue;
			json_t *subs = jpath(late->j, "spec.subsets");
			json_t *osubs = jpath(o->j, "spec.subsets");
			for (size_t a = 0; a < json_array_size(subs); a++) {
				const char *n = jstr(json_array_get(subs, a), "name");
				for (size_t b = 0; n && b < json_array_size(osubs); b++) {
					const char *on = jstr(json_array_get(osubs, b), "name");
					if (on && strcmp(n, on) == 0) {
						sl_take(
						    &ev,
						    xasprintf("subset %s is defined by the older "
						              "DestinationRule %s/%s too: its "
						              "definition is used, this one is "
						              "ignored",
						              n, o->ns, o->name));
						first = first ? first : o;
					}
				}
			}
			if (!policy_lost && jpath(late->j, "spec.trafficPolicy") &&
			    jpath(o->j, "spec.trafficPolicy")) {
				sl_take(&ev,
				        xasprintf("the older DestinationRule %s/%s has a top-level "
				                  "trafficPolicy, so this rule's trafficPolicy is "
				                  "ignored",
				                  o->ns, o->name));
				policy_lost = true;
				first = first ? first : o;
			}
		}
		if (first) {
			sl_take(&ev,
			        xasprintf("istiod merges DestinationRules for %s in namespace %s "
			                  "into one, keeping what the oldest defines",
			                  full, late->ns));
			findings_add(
			    f, check, late, &ev,
			    "DestinationRule %s/%s is for the same host %s: part of this rule "
			    "is ignored",
			    first->ns, first->name, full);
		}
		free(full);
	}
	free(want);
}

static const struct detector det_dr_host_duplicate = {"dr-host-duplicate", "dr-host-duplicate",
                                                      dr_host_duplicate};

/* A Gateway server host without its "namespace/" prefix. */
static const char *server_host(const char *h)
{
	const char *slash = strchr(h, '/');
	return slash ? slash + 1 : h;
}

/* Whether two Gateways pick the same workload: the same selector, or a pod that both select. */
static bool same_workload(struct cluster *c, const struct kobj *a, const struct kobj *b)
{
	json_t *sa = jpath(a->j, "spec.selector"), *sb = jpath(b->j, "spec.selector");
	if (json_equal(sa ? sa : json_null(), sb ? sb : json_null()))
		return true;
	if (!json_object_size(sa) || !json_object_size(sb))
		return false;
	struct kobj_list pods = cluster_select(c, "Pod", NULL, sa);
	bool both = false;
	for (size_t i = 0; i < pods.n && !both; i++)
		both = labels_match(sb, jpath(pods.v[i]->j, "metadata.labels"));
	free(pods.v);
	return both;
}

/* Whether a Gateway is in scope: in its namespace, or bound by a VirtualService of it. */
static bool gateway_wanted(struct cluster *c, const struct scope *s, const struct kobj *gw)
{
	if (in_scope(s, gw))
		return true;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		json_t *gws = jpath(vss->v[i]->j, "spec.gateways");
		for (size_t k = 0; k < json_array_size(gws); k++) {
			const char *g = json_string_value(json_array_get(gws, k));
			const char *slash = g ? strchr(g, '/') : NULL;
			if (!g)
				continue;
			if (slash ? (size_t)(slash - g) == strlen(gw->ns) &&
			                strncmp(g, gw->ns, (size_t)(slash - g)) == 0 &&
			                strcmp(slash + 1, gw->name) == 0
			          : strcmp(vss->v[i]->ns, gw->ns) == 0 && strcmp(g, gw->name) == 0)
				return true;
		}
	}
	return false;
}

/*
 * Two Gateways on one workload with a server for the same host and port:
 * Envoy gets one listener per port, and for one host there is one virtual
 * host (HTTP) or one filter chain (TLS), so the older Gateway's server wins.
 * A wildcard next to an exact host is not a conflict at run time (the most
 * specific name wins), although istioctl analyze reports it.
 */
static void gateway_server_conflict(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "gateway-server-conflict";
	if (!need_kind(c, f, check, "Gateway"))
		return;
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	for (size_t i = 0; i < gws->n; i++) {
		const struct kobj *late = gws->v[i];
		if (!jpath(late->j, "spec.servers") || !gateway_wanted(c, s, late))
			continue;
		struct strlist ev = {0};
		const struct kobj *first = NULL;
		for (size_t k = 0; k < gws->n; k++) {
			const struct kobj *o = gws->v[k];
			if (o == late || !older(o, late) || !same_workload(c, o, late))
				continue;
			json_t *ls = jpath(late->j, "spec.servers"),
			       *os = jpath(o->j, "spec.servers");
			for (size_t a = 0; a < json_array_size(ls); a++) {
				json_t *sa = json_array_get(ls, a);
				json_int_t pa = json_integer_value(jpath(sa, "port.number"));
				for (size_t b = 0; b < json_array_size(os); b++) {
					json_t *sb = json_array_get(os, b);
					if (json_integer_value(jpath(sb, "port.number")) != pa)
						continue;
					json_t *ha = json_object_get(sa, "hosts");
					json_t *hb = json_object_get(sb, "hosts");
					for (size_t x = 0; x < json_array_size(ha); x++)
						for (size_t y = 0; y < json_array_size(hb); y++) {
							const char *u = json_string_value(
							    json_array_get(ha, x));
							const char *v = json_string_value(
							    json_array_get(hb, y));
							if (!u || !v ||
							    strcasecmp(server_host(u),
							               server_host(v)) != 0)
								continue;
							sl_take(
							    &ev,
							    xasprintf(
							        "host %s port %lld: also served by "
							        "the older Gateway %s/%s on the "
							        "same workload",
							        server_host(u), (long long)pa,
							        o->ns, o->name));
							first = first ? first : o;
						}
				}
			}
		}
		if (first) {
			findings_add(
			    f, check, late, &ev,
			    "a server of this Gateway duplicates one of Gateway %s/%s (same "
			    "workload, host and port): the older one wins",
			    first->ns, first->name);
			findings_rate(f, SEV_ERROR, "IST0145");
		} else
			sl_free(&ev);
	}
}

static const struct detector det_gateway_server_conflict = {
    "gateway-server-conflict", "gateway-server-conflict", gateway_server_conflict};

/*
 * Two ServiceEntries in one namespace with the same host, seen by a common
 * namespace: the registry keeps one service per host and namespace, the
 * older entry's; the later one's ports, endpoints and resolution are not used.
 */
static void serviceentry_host_duplicate(struct cluster *c, const struct scope *s,
                                        struct findings *f)
{
	const char *check = "serviceentry-host-duplicate";
	if (!need_kind(c, f, check, "ServiceEntry"))
		return;
	char *want = scoped_fqdn(s);
	const struct kobj_list *ses = cluster_list(c, "ServiceEntry", s->ns);
	for (size_t i = 0; i < ses->n; i++) {
		const struct kobj *late = ses->v[i];
		json_t *hosts = jpath(late->j, "spec.hosts");
		const struct kobj_list *same = cluster_list(c, "ServiceEntry", late->ns);
		struct strlist ev = {0};
		const struct kobj *first = NULL;
		for (size_t h = 0; h < json_array_size(hosts); h++) {
			const char *host = json_string_value(json_array_get(hosts, h));
			if (!host ||
			    (want && strcasecmp(host, want) != 0 && strcmp(host, s->service)))
				continue;
			for (size_t k = 0; k < same->n; k++) {
				const struct kobj *o = same->v[k];
				json_t *oh = jpath(o->j, "spec.hosts");
				bool dup = false;
				for (size_t x = 0; x < json_array_size(oh) && !dup; x++) {
					const char *v = json_string_value(json_array_get(oh, x));
					dup = v && strcasecmp(v, host) == 0;
				}
				if (o == late || !dup || !older(o, late) ||
				    !export_overlaps(o, late) ||
				    json_object_size(jpath(o->j, "spec.workloadSelector")))
					continue;
				sl_take(
				    &ev,
				    xasprintf("host %s is also defined by the older ServiceEntry "
				              "%s/%s",
				              host, o->ns, o->name));
				first = first ? first : o;
				break;
			}
		}
		if (first) {
			sl_add(&ev,
			       "the registry keeps one service per host in a namespace: the older "
			       "entry's ports, endpoints and resolution");
			findings_add(
			    f, check, late, &ev,
			    "ServiceEntry %s/%s defines the same host: this entry is not used "
			    "for it",
			    first->ns, first->name);
		} else
			sl_free(&ev);
	}
	free(want);
}

static const struct detector det_serviceentry_host_duplicate = {
    "serviceentry-host-duplicate", "serviceentry-host-duplicate", serviceentry_host_duplicate};

/* ---- workload selectors ---- */

/* The kinds that select workloads by labels, where they keep the labels, and analyze's code. */
static const struct {
	const char *kind, *path, *code;
} selecting[] = {
    {"PeerAuthentication", "spec.selector.matchLabels", NULL},
    {"RequestAuthentication", "spec.selector.matchLabels", NULL},
    {"AuthorizationPolicy", "spec.selector.matchLabels", "IST0127"},
    {"Telemetry", "spec.selector.matchLabels", "IST0101"},
    {"Sidecar", "spec.workloadSelector.labels", "IST0101"},
    {"EnvoyFilter", "spec.workloadSelector.labels", NULL},
};

/* Whether the resource aims at Services or Gateways by reference rather than by labels. */
static bool targets_refs(const struct kobj *o)
{
	json_t *spec = json_object_get(o->j, "spec");
	return json_object_get(spec, "targetRef") ||
	       json_array_size(json_object_get(spec, "targetRefs"));
}

static void selector_no_workload(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "selector-no-workload";
	if (!need_kind(c, f, check, "Pod"))
		return;
	const char *root = mesh_root_namespace(c);
	for (size_t k = 0; k < MM_ARRAY_LEN(selecting); k++) {
		if (!cluster_has_kind(c, selecting[k].kind, NULL))
			continue;
		const struct kobj_list *l = cluster_list(c, selecting[k].kind, s->ns);
		for (size_t i = 0; i < l->n; i++) {
			const struct kobj *o = l->v[i];
			json_t *sel = jpath(o->j, selecting[k].path);
			if (!json_object_size(sel) || targets_refs(o) ||
			    !selector_meant_for(c, s, sel))
				continue;
			/* a policy of the root namespace selects in every namespace */
			bool everywhere = strcmp(o->ns, root) == 0 &&
			                  strcmp(selecting[k].kind, "Sidecar") != 0 &&
			                  strcmp(selecting[k].kind, "Telemetry") != 0;
			struct kobj_list pods =
			    cluster_select(c, "Pod", everywhere ? NULL : o->ns, sel);
			size_t n = pods.n;
			free(pods.v);
			if (n)
				continue;
			char *labels = json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS);
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("%s %s/%s selects %s", o->kind, o->ns, o->name,
			                       labels ? labels : "{}"));
			sl_take(&ev,
			        xasprintf("no pod %s has those labels",
			                  everywhere ? "in any namespace" : "in its namespace"));
			free(labels);
			findings_add(f, check, o, &ev,
			             "the selector matches no pod: the %s applies to "
			             "nothing",
			             o->kind);
			findings_rate(f, SEV_UNSET, selecting[k].code);
		}
	}
}

static const struct detector det_selector_no_workload = {
    "selector-no-workload", "selector-no-workload", selector_no_workload};

/*
 * Kinds where istiod applies one resource per workload: the oldest that
 * selects it, else the oldest namespace-wide one (analyze's codes for the
 * two cases). RequestAuthentication and AuthorizationPolicy are combined,
 * so several on one workload are fine.
 */
static const struct {
	const char *kind, *path, *code_selector, *code_namespace;
} exclusive[] = {
    {"PeerAuthentication", "spec.selector.matchLabels", NULL, NULL},
    {"Sidecar", "spec.workloadSelector.labels", "IST0110", "IST0111"},
    {"Telemetry", "spec.selector.matchLabels", "IST0159", "IST0160"},
};

static void workload_policy_conflict(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "workload-policy-conflict";
	if (!need_kind(c, f, check, "Pod"))
		return;
	for (size_t k = 0; k < MM_ARRAY_LEN(exclusive); k++) {
		if (!cluster_has_kind(c, exclusive[k].kind, NULL))
			continue;
		const struct kobj_list *l = cluster_list(c, exclusive[k].kind, s->ns);
		for (size_t i = 0; i < l->n; i++) {
			const struct kobj *late = l->v[i];
			if (targets_refs(late))
				continue;
			json_t *sel = jpath(late->j, exclusive[k].path);
			const struct kobj_list *same = cluster_list(c, exclusive[k].kind, late->ns);
			const struct kobj *first = NULL;
			const char *pod = NULL;
			for (size_t o = 0; o < same->n && !first; o++) {
				const struct kobj *x = same->v[o];
				json_t *xs = jpath(x->j, exclusive[k].path);
				if (x == late || !older(x, late) || targets_refs(x) ||
				    !json_object_size(xs) != !json_object_size(sel))
					continue;
				if (!json_object_size(sel)) {
					first = x;
					continue;
				}
				/* both select: a pod that both pick */
				struct kobj_list pods = cluster_select(c, "Pod", late->ns, sel);
				for (size_t p = 0; p < pods.n && !first; p++)
					if (labels_match(xs,
					                 jpath(pods.v[p]->j, "metadata.labels")) &&
					    (!s->pod || strcmp(s->pod, pods.v[p]->name) == 0))
						first = x, pod = pods.v[p]->name;
				free(pods.v);
			}
			if (!first)
				continue;
			struct strlist ev = {0};
			if (pod) {
				sl_take(&ev, xasprintf("%s %s/%s and %s/%s both select pod %s",
				                       late->kind, first->ns, first->name, late->ns,
				                       late->name, pod));
			} else {
				sl_take(&ev,
				        xasprintf("%s %s/%s and %s/%s both have no selector: both "
				                  "claim the whole namespace",
				                  late->kind, first->ns, first->name, late->ns,
				                  late->name));
			}
			sl_take(&ev,
			        xasprintf("istiod applies one %s per workload: the older %s/%s",
			                  late->kind, first->ns, first->name));
			findings_add(f, check, late, &ev,
			             "%s %s/%s applies to the same %s: this one is "
			             "ignored there",
			             late->kind, first->ns, first->name,
			             pod ? "workload" : "namespace");
			findings_rate(f, SEV_UNSET,
			              pod ? exclusive[k].code_selector
			                  : exclusive[k].code_namespace);
		}
	}
}

static const struct detector det_workload_policy_conflict = {
    "workload-policy-conflict", "workload-policy-conflict", workload_policy_conflict};

/* ---- exportTo ---- */

/* Whether a DestinationRule's host covers fqdn. */
static bool dr_names(const struct kobj *dr, const char *fqdn)
{
	const char *h = jstr(dr->j, "spec.host");
	char *full = h ? host_fqdn(h, dr->ns) : NULL;
	bool m = full && host_matches(full, fqdn);
	free(full);
	return m;
}

/* Whether ns exists: a Namespace object, or objects seen in it. */
static bool namespace_known(struct cluster *c, const char *ns)
{
	return cluster_get(c, "Namespace", "", ns) || sl_has(cluster_namespaces(c), ns);
}

static void check_export_value(struct cluster *c, const struct kobj *o, const char *v,
                               const char *field, struct findings *f)
{
	if (!*v || strcmp(v, ".") == 0 || strcmp(v, "*") == 0 || strcmp(v, "~") == 0 ||
	    namespace_known(c, v))
		return;
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("%s %s/%s %s lists '%s'", o->kind, o->ns, o->name, field, v));
	sl_take(&ev, xasprintf("there is no namespace %s", v));
	findings_add(f, "exportto-unknown-namespace", o, &ev,
	             "exportTo names namespace %s, which does not exist: no workload there sees "
	             "the %s",
	             v, o->kind);
}

static void exportto_unknown_namespace(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "exportto-unknown-namespace";
	if (!need_kind(c, f, check, "Namespace"))
		return;
	if (!cluster_list(c, "Namespace", NULL)->n) {
		findings_skip(f, check, "Namespace: no Namespace objects to compare with");
		return;
	}
	static const char *const kinds[] = {"VirtualService", "DestinationRule", "ServiceEntry"};
	/* a walk for one Service looks at the rules for its host, wherever they live */
	char *want = scoped_fqdn(s);
	for (size_t k = 0; k < MM_ARRAY_LEN(kinds); k++) {
		if (!cluster_has_kind(c, kinds[k], NULL))
			continue;
		const struct kobj_list *l = cluster_list(c, kinds[k], want ? NULL : s->ns);
		for (size_t i = 0; i < l->n; i++) {
			const struct kobj *o = l->v[i];
			if (want && !(k == 0   ? vs_names(o, want)
			              : k == 1 ? dr_names(o, want)
			                       : service_entry_covers(o, want)))
				continue;
			json_t *to = jpath(o->j, "spec.exportTo");
			for (size_t e = 0; e < json_array_size(to); e++) {
				const char *v = json_string_value(json_array_get(to, e));
				if (v)
					check_export_value(c, o, v, "spec.exportTo", f);
			}
		}
	}
	free(want);
	if (!cluster_has_kind(c, "Service", NULL))
		return;
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		if (s->service && strcmp(s->service, svcs->v[i]->name) != 0)
			continue;
		json_t *ann = jpath(svcs->v[i]->j, "metadata.annotations");
		const char *v =
		    json_string_value(json_object_get(ann, "networking.istio.io/exportTo"));
		if (!v)
			continue;
		char *copy = xstrdup(v), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			char *end = t + strlen(t);
			while (end > t && end[-1] == ' ')
				*--end = '\0';
			check_export_value(c, svcs->v[i], t,
			                   "annotation networking.istio.io/exportTo", f);
		}
		free(copy);
	}
}

static const struct detector det_exportto_unknown_namespace = {
    "exportto-unknown-namespace", "exportto-unknown-namespace", exportto_unknown_namespace};

/* ---- Service target ports ---- */

/*
 * Whether a container of the pod declares the port: by name for a named
 * targetPort, by number otherwise. The sidecar's own ports do not count.
 */
static bool pod_declares(const struct kobj *pod, json_t *tp)
{
	static const char *const lists[] = {"spec.containers", "spec.initContainers"};
	for (size_t l = 0; l < MM_ARRAY_LEN(lists); l++) {
		json_t *cs = jpath(pod->j, lists[l]), *ct;
		size_t i;
		json_array_foreach(cs, i, ct)
		{
			const char *cname = jstr(ct, "name");
			if (cname && strcmp(cname, "istio-proxy") == 0)
				continue;
			json_t *ports = json_object_get(ct, "ports"), *p;
			size_t k;
			json_array_foreach(ports, k, p)
			{
				if (json_is_string(tp) && jstr(p, "name") &&
				    strcmp(jstr(p, "name"), json_string_value(tp)) == 0)
					return true;
				if (json_is_integer(tp) &&
				    json_integer_value(json_object_get(p, "containerPort")) ==
				        json_integer_value(tp))
					return true;
			}
		}
	}
	return false;
}

/* The container port of the pod named like the Service port, with another number; or -1. */
static long namesake_port(const struct kobj *pod, const char *name, json_int_t number)
{
	json_t *cs = jpath(pod->j, "spec.containers"), *ct;
	size_t i;
	json_array_foreach(cs, i, ct)
	{
		json_t *ports = json_object_get(ct, "ports"), *p;
		size_t k;
		json_array_foreach(ports, k, p)
		{
			json_int_t n = json_integer_value(json_object_get(p, "containerPort"));
			if (name && jstr(p, "name") && strcmp(jstr(p, "name"), name) == 0 &&
			    n != number)
				return (long)n;
		}
	}
	return -1;
}

/* The targetPort of a Service port: a name, or a number (the port itself when unset). Borrowed. */
static json_t *target_of(json_t *port)
{
	json_t *tp = json_object_get(port, "targetPort");
	if (!tp || (json_is_string(tp) &&
	            strspn(json_string_value(tp), "0123456789") == strlen(json_string_value(tp))))
		tp = json_object_get(port, "port");
	return json_is_integer(tp) || json_is_string(tp) ? tp : NULL;
}

/*
 * The container ports declared in a namespace, as "#NUMBER" and
 * "NAME:NUMBER" keys: a cheap test of whether a numeric targetPort can show a
 * typo at all, before the Service's pods are selected. Kept for the last
 * namespace asked about.
 */
struct port_keys {
	char *ns;
	struct strlist keys;
};

static const struct strlist *namespace_ports(struct cluster *c, struct port_keys *pk,
                                             const char *ns)
{
	if (pk->ns && strcmp(pk->ns, ns) == 0)
		return &pk->keys;
	free(pk->ns);
	sl_free(&pk->keys);
	pk->ns = xstrdup(ns);
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	for (size_t i = 0; i < pods->n; i++) {
		json_t *cs = jpath(pods->v[i]->j, "spec.containers"), *ct;
		size_t k;
		json_array_foreach(cs, k, ct)
		{
			json_t *ports = json_object_get(ct, "ports"), *p;
			size_t q;
			json_array_foreach(ports, q, p)
			{
				long n =
				    (long)json_integer_value(json_object_get(p, "containerPort"));
				char *key = xasprintf("#%ld", n);
				if (!sl_has(&pk->keys, key))
					sl_take(&pk->keys, key);
				else
					free(key);
				if (jstr(p, "name")) {
					key = xasprintf("%s:%ld", jstr(p, "name"), n);
					if (!sl_has(&pk->keys, key))
						sl_take(&pk->keys, key);
					else
						free(key);
				}
			}
		}
	}
	return &pk->keys;
}

/* Whether some port of a numeric-target Service could be a typo, judging by the namespace's ports.
 */
static bool may_show_typo(const struct strlist *keys, json_t *ports)
{
	size_t n = json_array_size(ports);
	for (size_t i = 0; i < n; i++) {
		json_t *tp = target_of(json_array_get(ports, i));
		const char *pname = jstr(json_array_get(ports, i), "name");
		if (!tp || json_is_string(tp))
			return true;
		size_t plen = pname ? strlen(pname) : 0;
		for (size_t k = 0; pname && k < keys->n; k++)
			if (strncmp(keys->v[k], pname, plen) == 0 && keys->v[k][plen] == ':' &&
			    atol(keys->v[k] + plen + 1) != (long)json_integer_value(tp))
				return true;
	}
	/* several ports: the others must be declared somewhere for a mismatch to stand out */
	if (n < 2)
		return false;
	size_t declared = 0;
	for (size_t i = 0; i < n; i++) {
		char key[32];
		snprintf(key, sizeof key, "#%lld",
		         (long long)json_integer_value(target_of(json_array_get(ports, i))));
		declared += sl_has(keys, key);
	}
	return declared + 1 >= n && declared < n;
}

/*
 * A Service port whose target no container declares. A name must resolve
 * (Kubernetes leaves pods without it out of the endpoints); declaring a
 * number is optional in Kubernetes, so a number is reported only with a sign
 * of a typo: a container port carries the Service port's name with another
 * number, or the Service's other ports all match declared container ports.
 */
static void target_port_undeclared(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "service-target-port-undeclared";
	if (!need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	/* namespace by namespace, so that each one's container ports are collected once */
	struct strlist nss = {0};
	if (s->ns)
		sl_add(&nss, s->ns);
	else
		sl_copy(&nss, cluster_namespaces(c));
	struct port_keys pk = {0};
	for (size_t n = 0; n < nss.n; n++) {
		const struct kobj_list *svcs = cluster_list(c, "Service", nss.v[n]);
		for (size_t i = 0; i < svcs->n; i++) {
			const struct kobj *svc = svcs->v[i];
			if ((s->service && strcmp(s->service, svc->name) != 0) ||
			    namespace_exempt(c, svc->ns))
				continue;
			json_t *ports = jpath(svc->j, "spec.ports"), *port;
			if (!may_show_typo(namespace_ports(c, &pk, svc->ns), ports))
				continue;
			struct kobj_list pods = service_pods(c, svc);
			size_t k;
			json_array_foreach(ports, k, port)
			{
				json_t *tp = target_of(port);
				if (!tp)
					continue;
				const char *pname = jstr(port, "name");
				long number =
				    (long)json_integer_value(json_object_get(port, "port"));
				size_t lacking = 0, running = 0;
				const struct kobj *example = NULL;
				long renamed = -1;
				bool others_match = json_array_size(ports) > 1;
				for (size_t p = 0; p < pods.n; p++) {
					if (!pod_running(pods.v[p]))
						continue;
					running++;
					if (pod_declares(pods.v[p], tp))
						continue;
					lacking++;
					example = example ? example : pods.v[p];
					if (json_is_integer(tp) && renamed < 0)
						renamed = namesake_port(pods.v[p], pname,
						                        json_integer_value(tp));
					json_t *other;
					size_t o;
					json_array_foreach(ports, o, other)
					{
						json_t *ot = target_of(other);
						if (o != k && (!ot || !pod_declares(pods.v[p], ot)))
							others_match = false;
					}
				}
				if (!lacking ||
				    (json_is_integer(tp) && renamed < 0 && !others_match))
					continue;
				char *tps =
				    json_is_string(tp)
				        ? xstrdup(json_string_value(tp))
				        : xasprintf("%lld", (long long)json_integer_value(tp));
				struct strlist ev = {0};
				sl_take(
				    &ev,
				    xasprintf("Service %s/%s port %ld%s%s sends to targetPort %s",
				              svc->ns, svc->name, number, pname ? " " : "",
				              pname ? pname : "", tps));
				sl_take(&ev,
				        xasprintf(
				            "%zu of %zu running pods declare no container port %s "
				            "(for example %s)",
				            lacking, running, tps, example->name));
				if (json_is_string(tp)) {
					sl_add(
					    &ev,
					    "Kubernetes resolves a named targetPort from the pod's "
					    "container ports and leaves pods without it out of the "
					    "endpoints");
					findings_add(
					    f, check, svc, &ev,
					    "targetPort %s of port %ld is a name that no container "
					    "declares (%zu of %zu pods): those pods get no traffic "
					    "on it",
					    tps, number, lacking, running);
					findings_rate(f, SEV_WARNING, NULL);
				} else {
					if (renamed >= 0)
						sl_take(
						    &ev,
						    xasprintf("the container port named %s is %ld",
						              pname, renamed));
					else
						sl_add(&ev, "the Service's other ports all match "
						            "container ports");
					findings_add(
					    f, check, svc, &ev,
					    "targetPort %s of port %ld is not among the container "
					    "ports of "
					    "its pods: check that the application listens there",
					    tps, number);
				}
				free(tps);
			}
			free(pods.v);
		}
	}
	sl_free(&nss);
	free(pk.ns);
	sl_free(&pk.keys);
}

static const struct detector det_target_port_undeclared = {
    "service-target-port-undeclared", "service-target-port-undeclared", target_port_undeclared};

const struct detector *const detectors_references[] = {
    &det_destination_host_unknown,
    &det_rule_host_unknown,
    &det_vs_host_conflict,
    &det_dr_host_duplicate,
    &det_gateway_server_conflict,
    &det_serviceentry_host_duplicate,
    &det_selector_no_workload,
    &det_workload_policy_conflict,
    &det_exportto_unknown_namespace,
    &det_target_port_undeclared,
    NULL,
};
