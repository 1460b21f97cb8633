#include "cluster/mesh.h"

#include <stdlib.h>
#include <string.h>

struct kobj_list service_pods(struct cluster *c, const struct kobj *svc)
{
	json_t *sel = jpath(svc->j, "spec.selector");
	struct kobj_list none = {0};
	/* a Service without a selector has hand-made endpoints, not pods */
	if (!json_is_object(sel) || json_object_size(sel) == 0)
		return none;
	return cluster_select(c, "Pod", svc->ns, sel);
}

static bool has_container(json_t *list, const char *name)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *n = jstr(json_array_get(list, i), "name");
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

bool pod_has_sidecar(const struct kobj *pod)
{
	/* native sidecars (Istio 1.19+ on Kubernetes 1.28+) sit among the init containers */
	return has_container(jpath(pod->j, "spec.containers"), "istio-proxy") ||
	       has_container(jpath(pod->j, "spec.initContainers"), "istio-proxy");
}

bool pod_running(const struct kobj *pod)
{
	const char *phase = jstr(pod->j, "status.phase");
	return phase && strcmp(phase, "Running") == 0 && !jpath(pod->j, "metadata.deletionTimestamp");
}

bool pod_ready(const struct kobj *pod)
{
	if (!pod_running(pod))
		return false;
	json_t *conds = jpath(pod->j, "status.conditions");
	for (size_t i = 0; i < json_array_size(conds); i++) {
		json_t *cd = json_array_get(conds, i);
		const char *type = jstr(cd, "type"), *st = jstr(cd, "status");
		if (type && strcmp(type, "Ready") == 0)
			return st && strcmp(st, "True") == 0;
	}
	return false;
}

bool service_headless(const struct kobj *svc)
{
	const char *ip = jstr(svc->j, "spec.clusterIP");
	return ip && strcmp(ip, "None") == 0;
}

char *host_fqdn(const char *host, const char *ns)
{
	/* Istio completes only names without a dot; "reviews.default" stays as written */
	if (strchr(host, '*') || strchr(host, '.'))
		return xstrdup(host);
	return xasprintf("%s.%s.svc.cluster.local", host, ns);
}

const struct kobj *service_of_host(struct cluster *c, const char *fqdn)
{
	static const char suffix[] = ".svc.cluster.local";
	if (strchr(fqdn, '*') || !str_ends_with(fqdn, suffix))
		return NULL;
	char *head = xstrndup(fqdn, strlen(fqdn) - strlen(suffix));
	char *dot = strchr(head, '.');
	const struct kobj *svc = NULL;
	if (dot && !strchr(dot + 1, '.')) {
		*dot = '\0';
		svc = cluster_get(c, "Service", dot + 1, head);
	}
	free(head);
	return svc;
}

bool host_matches(const char *pattern, const char *fqdn)
{
	if (strcmp(pattern, "*") == 0)
		return true;
	if (strncmp(pattern, "*.", 2) == 0)
		return str_ends_with(fqdn, pattern + 1);
	return strcmp(pattern, fqdn) == 0;
}

/* Whether an object's exportTo lets namespace ns see it. */
static bool exported_to(const struct kobj *o, const char *ns)
{
	json_t *to = jpath(o->j, "spec.exportTo");
	if (!json_is_array(to) || json_array_size(to) == 0)
		return true;
	for (size_t i = 0; i < json_array_size(to); i++) {
		const char *v = json_string_value(json_array_get(to, i));
		if (v && (strcmp(v, "*") == 0 || strcmp(v, ns) == 0 ||
			  (strcmp(v, ".") == 0 && strcmp(o->ns, ns) == 0)))
			return true;
	}
	return false;
}

/* The best DR in one namespace: an exact host, else the longest matching wildcard. */
static const struct kobj *dr_in_ns(struct cluster *c, const char *ns, const char *fqdn,
				   const char *client_ns)
{
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", ns);
	const struct kobj *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < drs->n; i++) {
		const char *h = jstr(drs->v[i]->j, "spec.host");
		if (!h || !exported_to(drs->v[i], client_ns))
			continue;
		char *full = host_fqdn(h, drs->v[i]->ns);
		if (host_matches(full, fqdn)) {
			size_t len = strchr(full, '*') ? strlen(full) : (size_t)-1;
			if (!best || len > best_len)
				best = drs->v[i], best_len = len;
		}
		free(full);
	}
	return best;
}

const struct kobj *dr_for_host(struct cluster *c, const char *fqdn, const char *client_ns)
{
	/* the host's namespace is the part after the service name in name.ns.svc.cluster.local */
	char *host_ns = NULL;
	const char *dot = strchr(fqdn, '.');
	if (dot && str_ends_with(fqdn, ".svc.cluster.local")) {
		const char *end = strchr(dot + 1, '.');
		host_ns = xstrndup(dot + 1, (size_t)(end - dot - 1));
	}
	const char *order[] = {client_ns, host_ns, mesh_root_namespace(c)};
	const struct kobj *dr = NULL;
	for (size_t i = 0; i < MM_ARRAY_LEN(order) && !dr; i++)
		if (order[i])
			dr = dr_in_ns(c, order[i], fqdn, client_ns ? client_ns : order[i]);
	free(host_ns);
	return dr;
}

const char *dr_tls_mode(const struct kobj *dr, long port)
{
	json_t *pls = jpath(dr->j, "spec.trafficPolicy.portLevelSettings");
	for (size_t i = 0; port > 0 && i < json_array_size(pls); i++) {
		json_t *s = json_array_get(pls, i);
		if (json_integer_value(jpath(s, "port.number")) == port && jstr(s, "tls.mode"))
			return jstr(s, "tls.mode");
	}
	return jstr(dr->j, "spec.trafficPolicy.tls.mode");
}

bool mesh_auto_mtls(struct cluster *c)
{
	json_t *v = json_object_get(cluster_mesh_config(c), "enableAutoMtls");
	return !json_is_false(v);
}

const char *mesh_root_namespace(struct cluster *c)
{
	const char *r = json_string_value(json_object_get(cluster_mesh_config(c), "rootNamespace"));
	return r ? r : cluster_control_namespace(c);
}

/* The mode a policy sets for a port: port-level first; NULL for UNSET (inherit). */
static const char *pa_mode(const struct kobj *pa, long port)
{
	json_t *pl = jpath(pa->j, "spec.portLevelMtls");
	char key[24];
	snprintf(key, sizeof key, "%ld", port);
	const char *m = jstr(json_object_get(pl, key), "mode");
	if (!m)
		m = jstr(pa->j, "spec.mtls.mode");
	return m && strcmp(m, "UNSET") != 0 ? m : NULL;
}

const char *peer_auth_mode(struct cluster *c, const struct kobj *pod, long port,
			   const struct kobj **why)
{
	json_t *labels = jpath(pod->j, "metadata.labels");
	const struct kobj_list *own = cluster_list(c, "PeerAuthentication", pod->ns);
	const struct kobj *workload = NULL, *nsw = NULL, *root = NULL;
	for (size_t i = 0; i < own->n; i++) {
		json_t *sel = jpath(own->v[i]->j, "spec.selector.matchLabels");
		if (sel && json_object_size(sel) && labels_match(sel, labels))
			workload = workload ? workload : own->v[i];
		else if (!sel || !json_object_size(sel))
			nsw = nsw ? nsw : own->v[i];
	}
	const struct kobj_list *rl = cluster_list(c, "PeerAuthentication", mesh_root_namespace(c));
	for (size_t i = 0; i < rl->n && !root; i++) {
		json_t *sel = jpath(rl->v[i]->j, "spec.selector.matchLabels");
		if (!sel || !json_object_size(sel))
			root = rl->v[i];
	}
	/* the most specific policy that says something wins; UNSET inherits from the next */
	const struct kobj *chain[] = {workload, nsw, root};
	for (size_t i = 0; i < MM_ARRAY_LEN(chain); i++) {
		const char *m = chain[i] ? pa_mode(chain[i], port) : NULL;
		if (m) {
			if (why)
				*why = chain[i];
			return m;
		}
	}
	if (why)
		*why = NULL;
	return "PERMISSIVE";
}

char *kobj_ref(const struct kobj *o)
{
	return *o->ns ? xasprintf("%s/%s/%s", o->kind, o->ns, o->name)
		      : xasprintf("%s/%s", o->kind, o->name);
}

char *namespace_injection(const struct kobj *ns)
{
	json_t *labels = jpath(ns->j, "metadata.labels");
	const char *inj = json_string_value(json_object_get(labels, "istio-injection"));
	const char *rev = json_string_value(json_object_get(labels, "istio.io/rev"));
	/* istio-injection wins over istio.io/rev when both are set */
	if (inj)
		return xstrdup(strcmp(inj, "enabled") == 0 ? "enabled" : "disabled");
	if (rev)
		return xasprintf("rev:%s", rev);
	return NULL;
}
