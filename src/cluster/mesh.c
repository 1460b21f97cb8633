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

/*
 * Host names. Istio's wildcard is a leading '*': "*" covers every host and
 * "*.example.com" every host that ends in ".example.com", however many
 * labels come before it (istio/istio pkg/config/host/name.go). A narrower
 * wildcard ("*.a.example.com") is covered by a wider one.
 */
bool host_matches(const char *pattern, const char *fqdn)
{
	if (pattern[0] == '*')
		return str_ends_with(fqdn, pattern + 1);
	return strcmp(pattern, fqdn) == 0;
}

bool hosts_overlap(const char *a, const char *b)
{
	return host_matches(a, b) || host_matches(b, a);
}

bool host_more_specific(const char *a, const char *b)
{
	bool wa = a[0] == '*', wb = b[0] == '*';
	if (wa != wb)
		return !wa;
	return strlen(a) > strlen(b);
}

/* The namespace of a Service's FQDN "name.ns.svc.cluster.local", or NULL. New string. */
static char *fqdn_namespace(const char *fqdn)
{
	const char *dot = strchr(fqdn, '.');
	if (!dot || fqdn[0] == '*' || !str_ends_with(fqdn, ".svc.cluster.local"))
		return NULL;
	const char *end = strchr(dot + 1, '.');
	return xstrndup(dot + 1, (size_t)(end - dot - 1));
}

/* ---- exportTo ---- */

/* meshConfig's default exportTo for a kind (Istio honours "." and "*" there). */
static json_t *default_export(struct cluster *c, const char *kind)
{
	const char *key = strcmp(kind, "VirtualService") == 0    ? "defaultVirtualServiceExportTo"
	                  : strcmp(kind, "DestinationRule") == 0 ? "defaultDestinationRuleExportTo"
	                                                         : "defaultServiceExportTo";
	return json_object_get(cluster_mesh_config(c), key);
}

static bool list_has(json_t *arr, const char *v)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *e = json_string_value(json_array_get(arr, i));
		if (e && strcmp(e, v) == 0)
			return true;
	}
	return false;
}

bool mesh_exported_to(struct cluster *c, const struct kobj *o, const char *ns)
{
	json_t *to = jpath(o->j, "spec.exportTo");
	if (!json_array_size(to))
		to = default_export(c, o->kind);
	if (!json_array_size(to))
		return true;
	return list_has(to, "*") || list_has(to, ns) || (list_has(to, ".") && strcmp(o->ns, ns) == 0);
}

/* ---- DestinationRules ---- */

static bool dr_selects_workloads(const struct kobj *dr)
{
	return json_object_size(jpath(dr->j, "spec.workloadSelector.matchLabels")) > 0;
}

/*
 * Where a DestinationRule is visible, as istiod indexes it
 * (pilot/pkg/model/push_context.go, setDestinationRules): "local" rules are
 * what clients of the rule's own namespace look at first (no exportTo, or
 * one naming "*", "." or the namespace); "exported" ones are searched for
 * clients elsewhere, unless the rule is private only (exportTo "." or its
 * own namespace alone, or none while meshConfig defaults to "."). A rule
 * with a workloadSelector is private.
 */
static bool dr_local(const struct kobj *dr)
{
	json_t *to = jpath(dr->j, "spec.exportTo");
	return dr_selects_workloads(dr) || !json_array_size(to) || list_has(to, "*") ||
	       list_has(to, ".") || list_has(to, dr->ns);
}

static bool dr_private_only(struct cluster *c, const struct kobj *dr)
{
	json_t *to = jpath(dr->j, "spec.exportTo");
	if (dr_selects_workloads(dr))
		return true;
	if (!json_array_size(to))
		return list_has(default_export(c, "DestinationRule"), ".");
	const char *one = json_string_value(json_array_get(to, 0));
	return json_array_size(to) == 1 && one && (strcmp(one, ".") == 0 || strcmp(one, dr->ns) == 0);
}

/* Whether an exported rule reaches clients of ns: no exportTo, "*", or ns named. */
static bool dr_reaches(const struct kobj *dr, const char *ns)
{
	json_t *to = jpath(dr->j, "spec.exportTo");
	return !json_array_size(to) || list_has(to, "*") || list_has(to, ns);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The exportTo entries sorted and joined, to compare two rules'. New string. */
static char *export_key(const struct kobj *dr)
{
	json_t *to = jpath(dr->j, "spec.exportTo");
	struct strlist l = {0};
	for (size_t i = 0; i < json_array_size(to); i++)
		if (json_is_string(json_array_get(to, i)))
			sl_add(&l, json_string_value(json_array_get(to, i)));
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(char *), cmp_str);
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < l.n; i++)
		sb_printf(&b, "%s,", l.v[i]);
	sl_free(&l);
	return sb_steal(&b);
}

/* Istio orders rules by creation time, then by name (sortConfigByCreationTime). */
static int created_cmp(const struct kobj *a, const struct kobj *b)
{
	const char *ta = jstr(a->j, "metadata.creationTimestamp");
	const char *tb = jstr(b->j, "metadata.creationTimestamp");
	int d = strcmp(ta ? ta : "", tb ? tb : "");
	if (d)
		return d;
	d = strcmp(a->name, b->name);
	return d ? d : strcmp(a->ns, b->ns);
}

char *dr_host(const struct kobj *dr)
{
	const char *h = jstr(dr->j, "spec.host");
	return h ? host_fqdn(h, dr->ns) : NULL;
}

enum dr_pool { POOL_LOCAL, POOL_ROOT_PRIVATE, POOL_EXPORTED };

static bool in_pool(struct cluster *c, const struct kobj *dr, enum dr_pool pool)
{
	/* rules with a workloadSelector apply to the pods they select only; not to a namespace */
	if (dr_selects_workloads(dr))
		return false;
	switch (pool) {
	case POOL_LOCAL:
		return dr_local(dr);
	case POOL_ROOT_PRIVATE:
		return dr_private_only(c, dr);
	default:
		return !dr_private_only(c, dr);
	}
}

/*
 * One step of the lookup: the most specific host among the pool's rules that
 * covers fqdn (MostSpecificHostMatch: the exact host, else the longest
 * wildcard); then, for exported pools, only the rules with that host that
 * reach client_ns. Those are merged as istiod merges rules for one host in
 * one namespace (pilot/pkg/model/destination_rule.go): the oldest first;
 * later rules without a workloadSelector and (since Istio 1.24,
 * ENABLE_ENHANCED_DESTINATIONRULE_MERGE) with the same exportTo join it.
 */
static bool dr_step(struct cluster *c, const char *ns, enum dr_pool pool, const char *fqdn,
                    const char *client_ns, struct dr_set *out)
{
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", ns);
	char *best = NULL;
	for (size_t i = 0; i < drs->n; i++) {
		if (!in_pool(c, drs->v[i], pool))
			continue;
		char *h = dr_host(drs->v[i]);
		if (h && host_matches(h, fqdn) && (!best || host_more_specific(h, best))) {
			free(best);
			best = h;
		} else
			free(h);
	}
	if (!best)
		return false;
	const struct kobj *cand[MESH_DR_MAX];
	size_t n = 0;
	for (size_t i = 0; i < drs->n && n < MESH_DR_MAX; i++) {
		if (!in_pool(c, drs->v[i], pool) ||
		    (pool == POOL_EXPORTED && !dr_reaches(drs->v[i], client_ns)))
			continue;
		char *h = dr_host(drs->v[i]);
		if (h && strcmp(h, best) == 0)
			cand[n++] = drs->v[i];
		free(h);
	}
	free(best);
	if (!n)
		return false;
	/* insertion sort: a handful of rules at most */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && created_cmp(cand[k], cand[k - 1]) < 0; k--) {
			const struct kobj *t = cand[k];
			cand[k] = cand[k - 1];
			cand[k - 1] = t;
		}
	char *key = export_key(cand[0]);
	out->v[0] = cand[0];
	out->n = 1;
	for (size_t i = 1; i < n; i++) {
		char *k = export_key(cand[i]);
		if (strcmp(k, key) == 0)
			out->v[out->n++] = cand[i];
		free(k);
	}
	free(key);
	return true;
}

/* The namespace of the service behind a host: a Kubernetes name's, else its ServiceEntry's. New. */
static char *service_namespace(struct cluster *c, const char *fqdn)
{
	char *ns = fqdn_namespace(fqdn);
	if (ns)
		return ns;
	const struct kobj_list *ses = cluster_list(c, "ServiceEntry", NULL);
	for (size_t i = 0; i < ses->n; i++)
		if (list_has(jpath(ses->v[i]->j, "spec.hosts"), fqdn))
			return xstrdup(ses->v[i]->ns);
	return NULL;
}

bool dr_lookup(struct cluster *c, const char *fqdn, const char *client_ns, struct dr_set *out)
{
	/* pilot/pkg/model/push_context.go, destinationRule(): client namespace, service namespace, root */
	const char *root = mesh_root_namespace(c);
	memset(out, 0, sizeof(*out));
	if (!client_ns)
		client_ns = "";
	bool found = strcmp(client_ns, root) != 0
	                 ? dr_step(c, client_ns, POOL_LOCAL, fqdn, client_ns, out)
	                 : dr_step(c, root, POOL_ROOT_PRIVATE, fqdn, client_ns, out);
	char *svc_ns = found ? NULL : service_namespace(c, fqdn);
	if (!found && svc_ns)
		found = dr_step(c, svc_ns, POOL_EXPORTED, fqdn, client_ns, out);
	if (!found)
		found = dr_step(c, root, POOL_EXPORTED, fqdn, client_ns, out);
	free(svc_ns);
	return found;
}

const struct kobj *dr_for_host(struct cluster *c, const char *fqdn, const char *client_ns)
{
	struct dr_set set;
	/* callers that name no client ask for the host's own namespace */
	char *ns = client_ns ? NULL : fqdn_namespace(fqdn);
	bool found = dr_lookup(c, fqdn, client_ns ? client_ns : ns, &set);
	free(ns);
	return found ? set.v[0] : NULL;
}

json_t *dr_set_policy(const struct dr_set *set, const struct kobj **owner)
{
	for (size_t i = 0; i < set->n; i++) {
		json_t *p = jpath(set->v[i]->j, "spec.trafficPolicy");
		if (json_is_object(p)) {
			if (owner)
				*owner = set->v[i];
			return p;
		}
	}
	if (owner)
		*owner = NULL;
	return NULL;
}

json_t *dr_set_subset(const struct dr_set *set, const char *name, const struct kobj **owner)
{
	for (size_t i = 0; i < set->n; i++) {
		json_t *subsets = jpath(set->v[i]->j, "spec.subsets");
		for (size_t k = 0; k < json_array_size(subsets); k++) {
			const char *n = jstr(json_array_get(subsets, k), "name");
			if (n && strcmp(n, name) == 0) {
				if (owner)
					*owner = set->v[i];
				return json_array_get(subsets, k);
			}
		}
	}
	return NULL;
}

/*
 * The tls block a traffic policy gives a port. A portLevelSettings entry for
 * the port replaces the policy's own settings, tls included, and does not
 * inherit them (selectTrafficPolicyComponents in
 * pilot/pkg/networking/core/cluster_traffic_policy.go). *has_port says
 * whether such an entry exists.
 */
static json_t *policy_tls(json_t *policy, long port, bool *has_port)
{
	json_t *pls = json_object_get(policy, "portLevelSettings");
	*has_port = false;
	for (size_t i = 0; port > 0 && i < json_array_size(pls); i++) {
		json_t *s = json_array_get(pls, i);
		if (json_integer_value(jpath(s, "port.number")) == port) {
			*has_port = true;
			return json_object_get(s, "tls");
		}
	}
	return json_object_get(policy, "tls");
}

const char *dr_tls_mode(const struct kobj *dr, long port)
{
	bool has_port;
	return jstr(policy_tls(jpath(dr->j, "spec.trafficPolicy"), port, &has_port), "mode");
}

/* Whether a tls block is mutual TLS with Istio's own certificates (MUTUAL with the files of old releases). */
static bool istio_certs(json_t *tls)
{
	const char *m = jstr(tls, "mode"), *cert = jstr(tls, "clientCertificate");
	if (m && strcmp(m, "ISTIO_MUTUAL") == 0)
		return true;
	return m && strcmp(m, "MUTUAL") == 0 && cert &&
	       (strncmp(cert, "/etc/certs/", 11) == 0 || strncmp(cert, "/etc/istio/", 11) == 0);
}

void mesh_client_tls(struct cluster *c, const struct dr_set *set, const char *subset, long svc_port,
                     const struct kobj *pod, long target_port, struct client_tls *out)
{
	memset(out, 0, sizeof(*out));
	const struct kobj *owner = NULL;
	json_t *tls = NULL;
	bool has_port;
	if (set && set->n) {
		json_t *policy = dr_set_policy(set, &owner);
		tls = policy_tls(policy, svc_port, &has_port);
		/* a subset's own policy overrides the rule's (MergeTrafficPolicy) */
		const struct kobj *sowner = NULL;
		json_t *sub = subset ? dr_set_subset(set, subset, &sowner) : NULL;
		json_t *sp = json_object_get(sub, "trafficPolicy");
		if (json_is_object(sp)) {
			json_t *st = policy_tls(sp, svc_port, &has_port);
			if (st || has_port) {
				tls = st;
				owner = sowner;
			}
		}
		out->dr = owner ? owner : set->v[0];
	}
	const char *mode = jstr(tls, "mode");
	if (mode) {
		out->mode = mode;
		out->istio_certs = istio_certs(tls);
		return;
	}
	out->automatic = true;
	if (!mesh_auto_mtls(c)) {
		out->mode = "DISABLE";
		return;
	}
	/*
	 * Auto mTLS (pilot/pkg/xds/endpoints/mtls_checker.go): mutual TLS to an
	 * endpoint whose pod has a sidecar (tlsMode label "istio") unless a
	 * PeerAuthentication disables it there; plain text to every other one.
	 */
	const char *tls_label = json_string_value(
	    json_object_get(jpath(pod->j, "metadata.labels"), "security.istio.io/tlsMode"));
	bool mesh_pod = pod_has_sidecar(pod) && !(tls_label && strcmp(tls_label, "disabled") == 0);
	bool mutual = mesh_pod && strcmp(peer_auth_mode(c, pod, target_port, NULL), "DISABLE") != 0;
	out->mode = mutual ? "ISTIO_MUTUAL" : "DISABLE";
	out->istio_certs = mutual;
}

const char *mesh_server_mtls(struct cluster *c, const struct kobj *pod, long target_port,
                             const struct kobj **why)
{
	if (why)
		*why = NULL;
	if (!pod_has_sidecar(pod))
		return "NONE";
	return peer_auth_mode(c, pod, target_port, why);
}

bool mtls_clash(const struct client_tls *client, const char *server)
{
	if (strcmp(server, "STRICT") == 0)
		return !client->istio_certs;
	if (strcmp(server, "DISABLE") == 0 || strcmp(server, "NONE") == 0)
		return client->istio_certs;
	return false;
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

/* ---- PeerAuthentication ---- */

static const char *pa_level_mode(json_t *mtls)
{
	const char *m = jstr(mtls, "mode");
	return m && strcmp(m, "UNSET") != 0 ? m : NULL;
}

/*
 * ComposePeerAuthentication (pilot/pkg/security/authn/policy_applier.go):
 * the mesh policy (no selector, root namespace), the namespace policy (no
 * selector, the pod's namespace) and the workload policy (a selector that
 * matches, the pod's namespace; never the root's) are each the oldest of
 * their kind; the mode starts PERMISSIVE and each level that sets one
 * (UNSET inherits) overrides it, in that order. Only the workload policy's
 * portLevelMtls counts, keyed by the container port; UNSET there inherits.
 */
const char *peer_auth_mode(struct cluster *c, const struct kobj *pod, long port,
			   const struct kobj **why)
{
	json_t *labels = jpath(pod->j, "metadata.labels");
	const char *root = mesh_root_namespace(c);
	const struct kobj *workload = NULL, *nsw = NULL, *mesh = NULL;
	const char *nss[] = {pod->ns, strcmp(pod->ns, root) != 0 ? root : NULL};
	for (size_t n = 0; n < MM_ARRAY_LEN(nss) && nss[n]; n++) {
		const struct kobj_list *l = cluster_list(c, "PeerAuthentication", nss[n]);
		for (size_t i = 0; i < l->n; i++) {
			const struct kobj *pa = l->v[i];
			json_t *sel = jpath(pa->j, "spec.selector.matchLabels");
			const struct kobj **slot;
			if (!json_object_size(sel))
				slot = strcmp(pa->ns, root) == 0 ? &mesh : &nsw;
			else if (strcmp(pa->ns, root) != 0 && labels_match(sel, labels))
				slot = &workload;
			else
				continue;
			if (!*slot || created_cmp(pa, *slot) < 0)
				*slot = pa;
		}
	}
	const char *mode = "PERMISSIVE";
	const struct kobj *by = NULL;
	const struct kobj *chain[] = {mesh, nsw, workload};
	for (size_t i = 0; i < MM_ARRAY_LEN(chain); i++) {
		const char *m = chain[i] ? pa_level_mode(jpath(chain[i]->j, "spec.mtls")) : NULL;
		if (m)
			mode = m, by = chain[i];
	}
	json_t *pl = workload ? jpath(workload->j, "spec.portLevelMtls") : NULL;
	char key[24];
	snprintf(key, sizeof key, "%ld", port);
	json_t *entry = json_object_get(pl, key);
	if (entry) {
		const char *m = pa_level_mode(entry);
		if (m)
			mode = m;
		by = workload;
	}
	if (why)
		*why = by;
	return mode;
}

/* ---- Sidecar resources and ServiceEntries ---- */

const struct kobj *sidecar_for_pod(struct cluster *c, const struct kobj *pod)
{
	/* the oldest Sidecar selecting the pod, else its namespace's default, else the root's */
	const char *nss[] = {pod->ns, mesh_root_namespace(c)};
	for (size_t n = 0; n < MM_ARRAY_LEN(nss); n++) {
		const struct kobj_list *scs = cluster_list(c, "Sidecar", nss[n]);
		const struct kobj *whole = NULL, *own = NULL;
		for (size_t i = 0; i < scs->n; i++) {
			json_t *sel = jpath(scs->v[i]->j, "spec.workloadSelector.labels");
			if (!json_object_size(sel)) {
				if (!whole || created_cmp(scs->v[i], whole) < 0)
					whole = scs->v[i];
			} else if (n == 0 && labels_match(sel, jpath(pod->j, "metadata.labels"))) {
				if (!own || created_cmp(scs->v[i], own) < 0)
					own = scs->v[i];
			}
		}
		if (own)
			return own;
		if (whole)
			return whole;
	}
	return NULL;
}

bool sidecar_imports(const struct kobj *sc, const char *pod_ns, const char *ns, const char *fqdn)
{
	/* egress hosts are "namespace/dnsName": "*" any namespace, "." the Sidecar's; "~" none */
	json_t *egress = jpath(sc->j, "spec.egress");
	bool in = !json_array_size(egress);
	for (size_t e = 0; !in && e < json_array_size(egress); e++) {
		json_t *hosts = json_object_get(json_array_get(egress, e), "hosts");
		for (size_t i = 0; !in && i < json_array_size(hosts); i++) {
			const char *h = json_string_value(json_array_get(hosts, i));
			const char *slash = h ? strchr(h, '/') : NULL;
			if (!slash)
				continue;
			char *from = xstrndup(h, (size_t)(slash - h));
			in = (strcmp(from, "*") == 0 || strcmp(from, ns) == 0 ||
			      (strcmp(from, ".") == 0 && strcmp(ns, pod_ns) == 0)) &&
			     host_matches(slash + 1, fqdn);
			free(from);
		}
	}
	return in;
}

bool service_entry_covers(const struct kobj *se, const char *fqdn)
{
	json_t *hosts = jpath(se->j, "spec.hosts");
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const char *h = json_string_value(json_array_get(hosts, i));
		if (!h)
			continue;
		char *full = host_fqdn(h, se->ns);
		bool m = host_matches(h, fqdn) || host_matches(full, fqdn) || strcasecmp(h, fqdn) == 0;
		free(full);
		if (m)
			return true;
	}
	return false;
}

const struct kobj *mesh_service_entry(struct cluster *c, const char *host, const char *client_ns)
{
	const struct kobj_list *ses = cluster_list(c, "ServiceEntry", NULL);
	for (size_t i = 0; i < ses->n; i++)
		if ((!client_ns || mesh_exported_to(c, ses->v[i], client_ns)) &&
		    service_entry_covers(ses->v[i], host))
			return ses->v[i];
	return NULL;
}

/* ---- subsets ---- */

/*
 * The value istiod gives an endpoint for a topology label
 * (pilot/pkg/serviceregistry/kube/controller: the node's region, zone and
 * subzone, the node's name, the pod's or namespace's network), or NULL when
 * the model cannot tell (no Node object, the cluster's id).
 */
static const char *topology_value(struct cluster *c, const struct kobj *pod, const char *key)
{
	const char *node_name = jstr(pod->j, "spec.nodeName");
	const struct kobj *node = node_name ? cluster_get(c, "Node", "", node_name) : NULL;
	json_t *nl = node ? jpath(node->j, "metadata.labels") : NULL;
	if (strcmp(key, "topology.istio.io/network") == 0) {
		const char *v = json_string_value(json_object_get(jpath(pod->j, "metadata.labels"), key));
		const struct kobj *ns = v ? NULL : cluster_get(c, "Namespace", "", pod->ns);
		return v ? v : ns ? json_string_value(json_object_get(jpath(ns->j, "metadata.labels"), key)) : NULL;
	}
	if (strcmp(key, "kubernetes.io/hostname") == 0)
		return node_name;
	if (strcmp(key, "topology.istio.io/cluster") == 0)
		return NULL;
	return json_string_value(json_object_get(nl, key));
}

bool topology_label(const char *key)
{
	return strncmp(key, "topology.kubernetes.io/", 23) == 0 ||
	       strncmp(key, "topology.istio.io/", 18) == 0;
}

bool subset_selects_pod(struct cluster *c, json_t *labels, const struct kobj *pod)
{
	json_t *pl = jpath(pod->j, "metadata.labels");
	const char *key;
	json_t *want;
	json_object_foreach(labels, key, want)
	{
		const char *w = json_string_value(want);
		const char *have = json_string_value(json_object_get(pl, key));
		if (!have && topology_label(key)) {
			have = topology_value(c, pod, key);
			/* the endpoint's value is unknown here: no reason to say it differs */
			if (!have)
				continue;
		}
		if (!w || !have || strcmp(w, have) != 0)
			return false;
	}
	return true;
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
