#include "cluster/mesh.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- access logging (Telemetry API and meshConfig) ---- */

/* Istio orders Telemetry resources by creation time, then by name. */
static bool created_before(const struct kobj *a, const struct kobj *b)
{
	const char *ta = jstr(a->j, "metadata.creationTimestamp");
	const char *tb = jstr(b->j, "metadata.creationTimestamp");
	int d = strcmp(ta ? ta : "", tb ? tb : "");
	return d < 0 || (d == 0 && strcmp(a->name, b->name) < 0);
}

/*
 * The Telemetry of ns that istiod applies: with labels NULL the oldest one
 * without a selector (namespace-wide), else the oldest whose selector
 * matches them. Resources with targetRefs aim at gateways and services, not
 * at sidecars by namespace, and are left out.
 */
static const struct kobj *telemetry_in(struct cluster *c, const char *ns, json_t *labels)
{
	const struct kobj_list *l = cluster_list(c, "Telemetry", ns);
	const struct kobj *best = NULL;
	for (size_t i = 0; i < l->n; i++) {
		json_t *spec = json_object_get(l->v[i]->j, "spec");
		json_t *sel = jpath(spec, "selector.matchLabels");
		if (json_object_get(spec, "targetRef") || json_object_get(spec, "targetRefs"))
			continue;
		bool fits = labels ? json_object_size(sel) && labels_match(sel, labels)
		                   : !json_object_size(sel);
		if (fits && (!best || created_before(l->v[i], best)))
			best = l->v[i];
	}
	return best;
}

/* The provider names an accessLogging entry lists. */
static void entry_providers(json_t *e, struct strlist *out)
{
	json_t *ps = json_object_get(e, "providers");
	for (size_t i = 0; i < json_array_size(ps); i++) {
		const char *n = jstr(json_array_get(ps, i), "name");
		if (n && !sl_has(out, n))
			sl_add(out, n);
	}
}

static void strings_of(json_t *arr, struct strlist *out)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (json_is_string(json_array_get(arr, i)))
			sl_add(out, json_string_value(json_array_get(arr, i)));
}

static bool mode_matches(json_t *e, unsigned mode)
{
	const char *m = jstr(e, "match.mode");
	if (!m || strcmp(m, "CLIENT_AND_SERVER") == 0)
		return true;
	return strcmp(m, mode == MESH_LOG_SERVER ? "SERVER" : "CLIENT") == 0;
}

/*
 * Whether an extension provider writes to the proxy's own output, which
 * kubectl logs shows; *where (borrowed) says where it writes. "envoy" is
 * built in (a file provider on /dev/stdout) unless meshConfig redefines it.
 */
static bool provider_to_log(json_t *mesh, const char *name, const char **where)
{
	json_t *eps = json_object_get(mesh, "extensionProviders"), *found = NULL;
	for (size_t i = 0; i < json_array_size(eps) && !found; i++) {
		const char *n = jstr(json_array_get(eps, i), "name");
		if (n && strcasecmp(n, name) == 0)
			found = json_array_get(eps, i);
	}
	if (!found && strcasecmp(name, "envoy") == 0) {
		*where = "/dev/stdout";
		return true;
	}
	json_t *file = json_object_get(found, "envoyFileAccessLog");
	if (!file) {
		*where = found ? "a collector, not the proxy's log" : "no provider of that name";
		return false;
	}
	/* the file provider's path defaults to standard output */
	const char *path = jstr(file, "path");
	*where = path && *path ? path : "/dev/stdout";
	return strcmp(*where, "/dev/stdout") == 0 || strcmp(*where, "/dev/stderr") == 0;
}

/* The providers that log one mode of a pod's traffic after the merge, and who set them. */
struct log_merge {
	struct strlist prov;         /* active provider names */
	const char *filter[16];      /* the filter expression of each, or NULL */
	const struct kobj *by[16];   /* the Telemetry that set each (NULL: defaultProviders) */
	const struct kobj *disabled; /* the last Telemetry that turned a provider off */
};

static void merge_set(struct log_merge *m, const char *name, const char *filter,
                      const struct kobj *by)
{
	size_t i = 0;
	while (i < m->prov.n && strcmp(m->prov.v[i], name) != 0)
		i++;
	if (i == m->prov.n) {
		if (i == MM_ARRAY_LEN(m->filter))
			return;
		sl_add(&m->prov, name);
	}
	m->filter[i] = filter;
	m->by[i] = by;
}

static void merge_drop(struct log_merge *m, const char *name, const struct kobj *by)
{
	for (size_t i = 0; i < m->prov.n; i++)
		if (strcmp(m->prov.v[i], name) == 0) {
			free(m->prov.v[i]);
			m->prov.n--;
			memmove(&m->prov.v[i], &m->prov.v[i + 1], (m->prov.n - i) * sizeof(char *));
			memmove(&m->filter[i], &m->filter[i + 1], (m->prov.n - i) * sizeof(char *));
			memmove(&m->by[i], &m->by[i + 1], (m->prov.n - i) * sizeof(void *));
			break;
		}
	m->disabled = by;
}

/* The filter expression the last entry naming provider gives it, as Istio keeps it. */
static const char *provider_filter(const struct kobj *const *lv, size_t n, const char *provider)
{
	const char *f = NULL;
	for (size_t k = 0; k < n; k++) {
		json_t *al = jpath(lv[k]->j, "spec.accessLogging"), *e;
		size_t i;
		json_array_foreach(al, i, e)
		{
			struct strlist names = {0};
			entry_providers(e, &names);
			if (sl_has(&names, provider))
				f = jstr(e, "filter.expression");
			sl_free(&names);
		}
	}
	return f;
}

/*
 * Istio's merge of the accessLogging lists (root, namespace, workload, in
 * that order): the last level that names providers sets which are in
 * scope; an entry without providers inherits the previous entry's (first
 * meshConfig defaultProviders); disabled drops a provider; match.mode
 * limits an entry to outbound or inbound traffic.
 */
static void merge_logs(const struct kobj *const *lv, size_t n, json_t *mesh, unsigned mode,
                       struct log_merge *m)
{
	struct strlist defaults = {0}, scope = {0};
	strings_of(jpath(mesh, "defaultProviders.accessLogging"), &defaults);
	sl_copy(&scope, &defaults);
	for (size_t k = 0; k < n; k++) {
		struct strlist names = {0};
		json_t *al = jpath(lv[k]->j, "spec.accessLogging"), *e;
		size_t i;
		json_array_foreach(al, i, e) entry_providers(e, &names);
		if (names.n) {
			sl_free(&scope);
			scope = names;
		} else
			sl_free(&names);
	}
	struct strlist parent = {0};
	sl_copy(&parent, &defaults);
	if (!n)
		for (size_t i = 0; i < defaults.n; i++)
			merge_set(m, defaults.v[i], NULL, NULL);
	for (size_t k = 0; k < n; k++) {
		json_t *al = jpath(lv[k]->j, "spec.accessLogging"), *e;
		size_t i;
		json_array_foreach(al, i, e)
		{
			struct strlist names = {0};
			entry_providers(e, &names);
			if (!names.n)
				sl_copy(&names, &parent);
			if (json_is_true(json_object_get(e, "disabled")) && mode_matches(e, mode))
				m->disabled = lv[k];
			sl_free(&parent);
			sl_copy(&parent, &names);
			for (size_t p = 0; p < names.n; p++) {
				if (!sl_has(&scope, names.v[p]) || !mode_matches(e, mode))
					continue;
				if (json_is_true(json_object_get(e, "disabled")))
					merge_drop(m, names.v[p], lv[k]);
				else
					merge_set(m, names.v[p], provider_filter(lv, n, names.v[p]),
					          lv[k]);
			}
			sl_free(&names);
		}
	}
	sl_free(&parent);
	sl_free(&scope);
	sl_free(&defaults);
}

/* "Telemetry/ns/name", or the mesh's default providers. New string. */
static char *setter(const struct kobj *by)
{
	return by ? kobj_ref(by) : xstrdup("meshConfig defaultProviders.accessLogging");
}

/* The verdict for one mode. */
static enum mesh_log logging_mode(struct cluster *c, const struct kobj *const *lv, size_t n,
                                  unsigned mode, char **why)
{
	json_t *mesh = cluster_mesh_config(c);
	if (!n && !json_array_size(jpath(mesh, "defaultProviders.accessLogging"))) {
		const char *file = jstr(mesh, "accessLogFile"), *reason;
		if (file && *file) {
			bool out =
			    strcmp(file, "/dev/stdout") == 0 || strcmp(file, "/dev/stderr") == 0;
			*why = xasprintf(out ? "meshConfig accessLogFile is %s"
			                     : "meshConfig accessLogFile is %s, a file inside the "
			                       "container, not its log",
			                 file);
			return out ? MESH_LOG_ON : MESH_LOG_OFF;
		}
		struct sbuf b;
		sb_init(&b);
		if (!cluster_has_kind(c, "ConfigMap", &reason))
			sb_printf(&b, "meshConfig cannot be read (%s)", reason);
		else
			sb_add(&b, "no meshConfig accessLogFile");
		if (!cluster_has_kind(c, "Telemetry", &reason))
			sb_printf(&b, ", Telemetry cannot be read (%s)", reason);
		else
			sb_add(&b, ", no Telemetry accessLogging");
		*why = sb_steal(&b);
		return MESH_LOG_UNSET;
	}
	struct log_merge m = {0};
	merge_logs(lv, n, mesh, mode, &m);
	enum mesh_log v = MESH_LOG_OFF;
	const char *where = NULL;
	size_t pick = 0;
	for (size_t i = 0; i < m.prov.n; i++) {
		const char *w;
		if (!provider_to_log(mesh, m.prov.v[i], &w))
			continue;
		enum mesh_log here = m.filter[i] ? MESH_LOG_FILTERED : MESH_LOG_ON;
		if (v == MESH_LOG_OFF || here == MESH_LOG_ON) {
			v = here;
			where = w;
			pick = i;
		}
	}
	const char *side = mode == MESH_LOG_SERVER ? "inbound" : "outbound";
	const struct kobj *last = n ? lv[n - 1] : NULL;
	char *by = setter(v != MESH_LOG_OFF ? m.by[pick]
	                  : m.prov.n        ? m.by[0]
	                  : m.disabled      ? m.disabled
	                                    : last);
	if (v == MESH_LOG_ON)
		*why = xasprintf("%s logs %s requests with provider %s (%s)", by, side,
		                 m.prov.v[pick], where);
	else if (v == MESH_LOG_FILTERED)
		*why = xasprintf("%s logs only the %s requests that match '%s'", by, side,
		                 m.filter[pick]);
	else if (m.prov.n) {
		const char *w;
		provider_to_log(mesh, m.prov.v[0], &w);
		*why = xasprintf("%s sends %s access logs to provider %s: %s", by, side,
		                 m.prov.v[0], w);
	} else if (m.disabled)
		*why = xasprintf("%s turns %s access logging off", by, side);
	else
		*why = xasprintf("%s names no access log provider for %s requests, and meshConfig "
		                 "defaultProviders.accessLogging none",
		                 by, side);
	free(by);
	sl_free(&m.prov);
	return v;
}

enum mesh_log mesh_access_logging(struct cluster *c, const struct kobj *pod, unsigned modes,
                                  char **why)
{
	const struct kobj *lv[3];
	size_t n = 0;
	if (cluster_has_kind(c, "Telemetry", NULL)) {
		const char *root = mesh_root_namespace(c);
		const struct kobj *t[3] = {
		    telemetry_in(c, root, NULL),
		    strcmp(pod->ns, root) != 0 ? telemetry_in(c, pod->ns, NULL) : NULL,
		    telemetry_in(c, pod->ns, jpath(pod->j, "metadata.labels"))};
		/* a level counts only when its Telemetry configures access logging at all */
		for (size_t i = 0; i < 3; i++)
			if (t[i] && json_array_size(jpath(t[i]->j, "spec.accessLogging")))
				lv[n++] = t[i];
	}
	enum mesh_log worst = MESH_LOG_ON;
	*why = NULL;
	for (unsigned mode = MESH_LOG_CLIENT; mode <= MESH_LOG_SERVER; mode <<= 1) {
		if (!(modes & mode))
			continue;
		char *w;
		enum mesh_log v = logging_mode(c, lv, n, mode, &w);
		/* ON < FILTERED < UNSET, OFF: the weakest mode speaks for the pod */
		if (!*why || (v != MESH_LOG_ON && (worst == MESH_LOG_ON ||
		                                   (worst == MESH_LOG_FILTERED && v != worst)))) {
			free(*why);
			*why = w;
			worst = v;
		} else
			free(w);
	}
	if (!*why)
		*why = xstrdup("no traffic direction asked about");
	return worst;
}
