/*
 * Detectors of AuthorizationPolicy and RequestAuthentication mistakes that
 * the configuration alone shows: identities and providers that do not
 * exist, HTTP-only fields on TCP ports, identity rules facing callers
 * without sidecars, requestPrincipals without any token validation,
 * allow-nothing and mesh-wide policies. Which policies apply to a pod is
 * authz_policies_for's answer, the same as `meshmedic authz` uses.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/mesh.h"
#include "detect/authz.h"
#include "detect/detect.h"

#define KIND "AuthorizationPolicy"

/* Whether the policy applies to pod (authz_policies_for). */
static bool applies_to(struct cluster *c, const struct kobj *policy, const struct kobj *pod)
{
	struct kobj_list l = authz_policies_for(c, pod, NULL);
	bool found = false;
	for (size_t i = 0; i < l.n && !found; i++)
		found = l.v[i] == policy;
	free(l.v);
	return found;
}

/*
 * The pods a policy applies to, within the scope's namespace, service or
 * pod. With a service, its pods are the servers that enforce the policy
 * and the scope's pod is taken as a caller (the denied flow's {pod}).
 */
static struct kobj_list policy_pods(struct cluster *c, const struct scope *s, const struct kobj *policy)
{
	struct kobj_list out = {0}, cand = {0};
	const struct kobj *svc = s->service ? cluster_get(c, "Service", s->ns, s->service) : NULL;
	if (svc)
		cand = service_pods(c, svc);
	else {
		const struct kobj_list *all = cluster_list(c, "Pod", s->ns);
		cand.v = xcalloc(all->n + 1, sizeof *cand.v);
		for (size_t i = 0; i < all->n; i++)
			cand.v[cand.n++] = all->v[i];
	}
	out.v = xcalloc(cand.n + 1, sizeof *out.v);
	for (size_t i = 0; i < cand.n; i++)
		if ((svc || !s->pod || strcmp(cand.v[i]->name, s->pod) == 0) &&
		    applies_to(c, policy, cand.v[i]))
			out.v[out.n++] = cand.v[i];
	free(cand.v);
	return out;
}

/*
 * Whether a policy is worth looking at in the scope: one of the scope's
 * namespace (or, for a service or pod, one that applies to its pods; a
 * root-namespace policy then counts too).
 */
static bool policy_in_scope(struct cluster *c, const struct scope *s, const struct kobj *policy)
{
	if (!s->service && !s->pod)
		return in_scope(s, policy);
	struct kobj_list l = policy_pods(c, s, policy);
	bool yes = l.n > 0;
	free(l.v);
	return yes;
}

static bool has_wildcard(const char *v)
{
	return strchr(v, '*') != NULL;
}

static bool namespace_exists(struct cluster *c, const char *ns)
{
	const struct strlist *l = cluster_namespaces(c);
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], ns) == 0)
			return true;
	return false;
}

/* Whether the trust domain is the mesh's or one of its aliases. */
static bool trust_domain_known(struct cluster *c, const char *td, size_t n)
{
	const char *own = authz_trust_domain(c);
	if (strlen(own) == n && strncmp(own, td, n) == 0)
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(cluster_mesh_config(c), "trustDomainAliases"), i, a) {
		const char *s = json_string_value(a);
		if (s && strlen(s) == n && strncmp(s, td, n) == 0)
			return true;
	}
	return false;
}

/*
 * Whether some pod of ns runs as service account sa: meshmedic reads no
 * ServiceAccounts, and an identity is only ever carried by a running pod's
 * certificate. *known is false when the namespace's pods cannot be read.
 */
static bool service_account_used(struct cluster *c, const char *ns, const char *sa, bool *known)
{
	const char *why;
	*known = cluster_has_kind_in(c, "Pod", ns, &why);
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	for (size_t i = 0; i < pods->n; i++) {
		const char *p = jstr(pods->v[i]->j, "spec.serviceAccountName");
		if (strcmp(p && *p ? p : "default", sa) == 0)
			return true;
	}
	return false;
}

/* What is wrong with a principal "TD/ns/NS/sa/SA" (new string), or NULL. */
static char *principal_problem(struct cluster *c, const char *p)
{
	if (has_wildcard(p))
		return NULL;
	const char *ns = strstr(p, "/ns/"), *sa = ns ? strstr(ns + 4, "/sa/") : NULL;
	if (!ns || !sa)
		return xasprintf("'%s' is not of the form TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT", p);
	if (!trust_domain_known(c, p, (size_t)(ns - p)))
		return xasprintf("'%s' names trust domain '%.*s', but the mesh's is '%s'", p,
		                 (int)(ns - p), p, authz_trust_domain(c));
	char *nsname = xstrndup(ns + 4, (size_t)(sa - ns - 4));
	char *r = NULL;
	bool known;
	if (!namespace_exists(c, nsname))
		r = xasprintf("'%s' names namespace '%s', which does not exist", p, nsname);
	else if (!service_account_used(c, nsname, sa + 4, &known) && known)
		r = xasprintf("'%s' names service account '%s', which no pod of namespace %s runs as",
		              p, sa + 4, nsname);
	free(nsname);
	return r;
}

/* Every string of source field name in every rule's from, through fn(value, ctx). */
static void each_source(const struct kobj *policy, const char *field,
                        void (*fn)(const char *v, int rule, void *ctx), void *ctx)
{
	size_t r, f, k;
	json_t *rule, *from, *v;
	json_array_foreach(jpath(policy->j, "spec.rules"), r, rule)
		json_array_foreach(json_object_get(rule, "from"), f, from)
			json_array_foreach(jpath(from, field), k, v)
				if (json_string_value(v))
					fn(json_string_value(v), (int)r, ctx);
}

struct collect {
	struct cluster *c;
	struct strlist ev;
	bool ns_missing;
};

static void check_principal(const char *v, int rule, void *ctx)
{
	struct collect *k = ctx;
	char *why = principal_problem(k->c, v);
	if (why)
		sl_take(&k->ev, xasprintf("rule %d: %s", rule, why));
	free(why);
}

static void check_namespace(const char *v, int rule, void *ctx)
{
	struct collect *k = ctx;
	if (!has_wildcard(v) && !namespace_exists(k->c, v)) {
		sl_take(&k->ev, xasprintf("rule %d: namespace '%s' does not exist", rule, v));
		k->ns_missing = true;
	}
}

static void det_principal_unknown_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-principal-unknown", KIND) ||
	    !need_kind(c, out, "authz-principal-unknown", "Namespace"))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (!policy_in_scope(c, s, l->v[i]))
			continue;
		struct collect k = {.c = c};
		each_source(l->v[i], "source.principals", check_principal, &k);
		each_source(l->v[i], "source.notPrincipals", check_principal, &k);
		each_source(l->v[i], "source.namespaces", check_namespace, &k);
		each_source(l->v[i], "source.notNamespaces", check_namespace, &k);
		if (!k.ev.n)
			continue;
		findings_add(out, "authz-principal-unknown", l->v[i], &k.ev,
		             "AuthorizationPolicy %s/%s names identities no workload has, which never match",
		             l->v[i]->ns, l->v[i]->name);
		if (k.ns_missing)
			findings_rate(out, SEV_UNSET, "IST0101");
	}
}

/* The names of meshConfig.extensionProviders. */
static bool provider_declared(struct cluster *c, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(cluster_mesh_config(c), "extensionProviders"), i, p) {
		const char *n = jstr(p, "name");
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

static void det_custom_provider_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-custom-provider-unknown", KIND))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (authz_action_of(l->v[i]) != AUTHZ_CUSTOM || !policy_in_scope(c, s, l->v[i]))
			continue;
		const char *name = jstr(l->v[i]->j, "spec.provider.name");
		if (name && provider_declared(c, name))
			continue;
		struct strlist ev = {0};
		sl_take(&ev, name ? xasprintf("provider.name is '%s'", name)
		                  : xstrdup("the policy names no provider (spec.provider.name)"));
		size_t n = json_array_size(json_object_get(cluster_mesh_config(c), "extensionProviders"));
		sl_take(&ev, xasprintf("meshConfig declares %zu extension provider%s", n, n == 1 ? "" : "s"));
		findings_add(out, "authz-custom-provider-unknown", l->v[i], &ev,
		             "CUSTOM AuthorizationPolicy %s/%s names provider '%s', which meshConfig "
		             "extensionProviders does not declare: the proxy denies what it covers",
		             l->v[i]->ns, l->v[i]->name, name ? name : "");
	}
}

/* The HTTP-only fields a rule uses, as "to.operation.paths" etc. (appended to ev). */
static size_t http_fields(json_t *rule, int r, struct strlist *ev)
{
	static const char *const ops[] = {"methods", "notMethods", "paths", "notPaths", "hosts", "notHosts"};
	static const char *const srcs[] = {"requestPrincipals", "notRequestPrincipals"};
	size_t n = 0, i;
	json_t *x;
	json_array_foreach(json_object_get(rule, "to"), i, x)
		for (size_t k = 0; k < MM_ARRAY_LEN(ops); k++)
			if (json_array_size(jpath(x, "operation")
			                        ? json_object_get(jpath(x, "operation"), ops[k])
			                        : NULL)) {
				sl_take(ev, xasprintf("rule %d uses to.operation.%s", r, ops[k]));
				n++;
			}
	json_array_foreach(json_object_get(rule, "from"), i, x)
		for (size_t k = 0; k < MM_ARRAY_LEN(srcs); k++)
			if (json_array_size(json_object_get(jpath(x, "source"), srcs[k]))) {
				sl_take(ev, xasprintf("rule %d uses from.source.%s", r, srcs[k]));
				n++;
			}
	json_array_foreach(json_object_get(rule, "when"), i, x) {
		const char *key = jstr(x, "key");
		if (key && strncmp(key, "request.", 8) == 0) {
			sl_take(ev, xasprintf("rule %d uses the when key %s", r, key));
			n++;
		}
	}
	return n;
}

/* Whether the rule's ports (to.operation.ports) leave room for port (none: every port). */
static bool rule_covers_port(json_t *rule, long port)
{
	size_t i, k;
	json_t *x, *p;
	bool any = false;
	json_array_foreach(json_object_get(rule, "to"), i, x) {
		json_t *ports = json_object_get(jpath(x, "operation"), "ports");
		if (!json_array_size(ports))
			return true;
		json_array_foreach(ports, k, p) {
			any = true;
			const char *v = json_string_value(p);
			if (v && atol(v) == port)
				return true;
		}
	}
	return !any;
}

/* A TCP port of a Service that selects pod, as "svc:port (tcp)" with its workload port; 0 if none. */
static long tcp_port_of(struct cluster *c, const struct kobj *pod, char **what)
{
	const struct kobj_list *svcs = cluster_list(c, "Service", pod->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		json_t *sel = jpath(svcs->v[i]->j, "spec.selector");
		if (!json_object_size(sel) || !labels_match(sel, jpath(pod->j, "metadata.labels")))
			continue;
		size_t k;
		json_t *p;
		json_array_foreach(jpath(svcs->v[i]->j, "spec.ports"), k, p)
			if (strcmp(authz_port_protocol(p), "tcp") == 0) {
				long tp = authz_target_port(p, pod);
				*what = xasprintf("Service %s/%s port %lld (%s) is TCP", svcs->v[i]->ns,
				                  svcs->v[i]->name, (long long)json_integer_value(json_object_get(p, "port")),
				                  jstr(p, "name") ? jstr(p, "name") : "no name");
				return tp > 0 ? tp : (long)json_integer_value(json_object_get(p, "port"));
			}
	}
	return 0;
}

static void det_http_on_tcp_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-http-fields-on-tcp", KIND) ||
	    !need_kind(c, out, "authz-http-fields-on-tcp", "Service"))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (!s->service && !s->pod && !in_scope(s, l->v[i]))
			continue;
		struct scope wide = *s;
		if (!s->service && !s->pod)
			wide.ns = l->v[i]->ns;
		struct kobj_list pods = policy_pods(c, &wide, l->v[i]);
		struct strlist ev = {0};
		for (size_t p = 0; p < pods.n && !ev.n; p++) {
			char *what = NULL;
			long port = tcp_port_of(c, pods.v[p], &what);
			size_t r;
			json_t *rule;
			json_array_foreach(jpath(l->v[i]->j, "spec.rules"), r, rule)
				if (port && rule_covers_port(rule, port))
					http_fields(rule, (int)r, &ev);
			if (ev.n) {
				sl_take(&ev, xasprintf("%s, and the policy applies to its pod %s", what,
				                       pods.v[p]->name));
				sl_add(&ev, authz_action_of(l->v[i]) == AUTHZ_ALLOW
				                ? "ALLOW: such a rule is dropped whole on TCP, so it allows nothing"
				                : "DENY/CUSTOM/AUDIT: the HTTP fields are dropped on TCP, so the "
				                  "rule matches more connections");
			}
			free(what);
		}
		free(pods.v);
		if (ev.n)
			findings_add(out, "authz-http-fields-on-tcp", l->v[i], &ev,
			             "AuthorizationPolicy %s/%s uses HTTP-only fields on a TCP port",
			             l->v[i]->ns, l->v[i]->name);
		else
			sl_free(&ev);
	}
}

static bool uses_identity(const struct kobj *policy)
{
	size_t r, f;
	json_t *rule, *from;
	json_array_foreach(jpath(policy->j, "spec.rules"), r, rule)
		json_array_foreach(json_object_get(rule, "from"), f, from)
			if (json_array_size(jpath(from, "source.principals")) ||
			    json_array_size(jpath(from, "source.namespaces")) ||
			    json_array_size(jpath(from, "source.serviceAccounts")))
				return true;
	return false;
}

static void det_no_identity_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-caller-no-identity", KIND) ||
	    !need_kind(c, out, "authz-caller-no-identity", "Pod"))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (authz_action_of(l->v[i]) != AUTHZ_ALLOW || !uses_identity(l->v[i]) ||
		    (!s->service && !s->pod && !in_scope(s, l->v[i])))
			continue;
		struct scope wide = *s;
		if (!s->service && !s->pod)
			wide.ns = l->v[i]->ns;
		struct kobj_list pods = policy_pods(c, &wide, l->v[i]);
		const struct kobj *server = NULL;
		for (size_t p = 0; p < pods.n && !server; p++)
			if (pod_has_sidecar(pods.v[p]) &&
			    strcmp(mesh_server_mtls(c, pods.v[p], 0, NULL), "STRICT") != 0)
				server = pods.v[p];
		free(pods.v);
		if (!server)
			continue;
		/* callers without a sidecar in the server's namespace, the likeliest ones */
		const struct kobj_list *nsp = cluster_list(c, "Pod", server->ns);
		struct strlist ev = {0};
		for (size_t p = 0; p < nsp->n; p++)
			if (!pod_has_sidecar(nsp->v[p]) && pod_running(nsp->v[p]))
				sl_take(&ev, xasprintf("pod %s/%s runs without a sidecar: its requests are plain "
				                       "text, with no identity", nsp->v[p]->ns, nsp->v[p]->name));
		if (!ev.n)
			continue;
		sl_take(&ev, xasprintf("the policy allows by principals or namespaces, and %s accepts "
		                       "plain text (mTLS %s)", server->name,
		                       mesh_server_mtls(c, server, 0, NULL)));
		findings_add(out, "authz-caller-no-identity", l->v[i], &ev,
		             "AuthorizationPolicy %s/%s allows by identity, but callers without a sidecar "
		             "have none",
		             l->v[i]->ns, l->v[i]->name);
		/* the configuration shows a likely caller, not that it calls: one step below the diagnosis */
		findings_rate(out, SEV_WARNING, NULL);
	}
}

/* Whether a RequestAuthentication applies to the pod (root namespace or its own, selector matching). */
static bool jwt_rule_for(struct cluster *c, const struct kobj *pod)
{
	const char *nss[] = {mesh_root_namespace(c), pod->ns};
	for (size_t n = 0; n < 2; n++) {
		const struct kobj_list *l = cluster_list(c, "RequestAuthentication", nss[n]);
		for (size_t i = 0; i < l->n; i++) {
			json_t *sel = jpath(l->v[i]->j, "spec.selector.matchLabels");
			if (!json_object_size(sel) || labels_match(sel, jpath(pod->j, "metadata.labels")))
				return true;
		}
	}
	return false;
}

static bool uses_request_principals(const struct kobj *policy)
{
	struct strlist ev = {0};
	size_t r, n = 0;
	json_t *rule;
	json_array_foreach(jpath(policy->j, "spec.rules"), r, rule) {
		struct strlist one = {0};
		http_fields(rule, (int)r, &one);
		for (size_t k = 0; k < one.n; k++)
			n += strstr(one.v[k], "equestPrincipals") || strstr(one.v[k], "request.auth.");
		sl_free(&one);
	}
	sl_free(&ev);
	return n > 0;
}

static void det_rp_no_jwt_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-request-principals-no-jwt", KIND) ||
	    !need_kind(c, out, "authz-request-principals-no-jwt", "RequestAuthentication"))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (!uses_request_principals(l->v[i]) || (!s->service && !s->pod && !in_scope(s, l->v[i])))
			continue;
		struct scope wide = *s;
		if (!s->service && !s->pod)
			wide.ns = l->v[i]->ns;
		struct kobj_list pods = policy_pods(c, &wide, l->v[i]);
		struct strlist ev = {0};
		for (size_t p = 0; p < pods.n; p++)
			if (!jwt_rule_for(c, pods.v[p]))
				sl_take(&ev, xasprintf("no RequestAuthentication applies to pod %s/%s",
				                       pods.v[p]->ns, pods.v[p]->name));
		free(pods.v);
		if (ev.n)
			findings_add(out, "authz-request-principals-no-jwt", l->v[i], &ev,
			             "AuthorizationPolicy %s/%s matches requestPrincipals, but no token is "
			             "validated for its workloads",
			             l->v[i]->ns, l->v[i]->name);
	}
}

static void det_allow_nothing_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-allow-nothing", KIND))
		return;
	const struct kobj_list *l = cluster_list(c, KIND, NULL);
	for (size_t i = 0; i < l->n; i++) {
		const struct kobj *p = l->v[i];
		if (authz_action_of(p) != AUTHZ_ALLOW || json_array_size(jpath(p->j, "spec.rules")) ||
		    !policy_in_scope(c, s, p))
			continue;
		struct strlist ev = {0};
		sl_add(&ev, "an ALLOW policy without rules: it matches no request");
		sl_take(&ev, xasprintf("%s other ALLOW policies of its workloads decide what gets through",
		                       jpath(p->j, "spec.selector") ? "only the" : "for the whole namespace, only the"));
		findings_add(out, "authz-allow-nothing", p, &ev,
		             "AuthorizationPolicy %s/%s allows nothing: requests no other ALLOW policy "
		             "matches are denied",
		             p->ns, p->name);
	}
}

static void det_root_policy_run(struct cluster *c, const struct scope *s, struct findings *out)
{
	if (!need_kind(c, out, "authz-root-namespace-policy", KIND))
		return;
	const char *root = mesh_root_namespace(c);
	const struct kobj_list *l = cluster_list(c, KIND, root);
	for (size_t i = 0; i < l->n; i++) {
		const struct kobj *p = l->v[i];
		if (json_object_size(jpath(p->j, "spec.selector")) || json_array_size(jpath(p->j, "spec.targetRefs")) ||
		    json_object_size(jpath(p->j, "spec.targetRef")))
			continue;
		if ((s->service || s->pod) && !policy_in_scope(c, s, p))
			continue;
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("namespace %s is the mesh's root namespace, and the policy has no "
		                       "selector", root));
		sl_take(&ev, xasprintf("action %s applies to every workload of the mesh",
		                       authz_action_name(authz_action_of(p))));
		findings_add(out, "authz-root-namespace-policy", p, &ev,
		             "AuthorizationPolicy %s/%s applies to every workload of the mesh", p->ns,
		             p->name);
	}
}

static const struct detector det_principal_unknown = {"authz-principal-unknown",
                                                      "authz-principal-unknown",
                                                      det_principal_unknown_run};
static const struct detector det_custom_provider = {
    "authz-custom-provider-unknown", "authz-custom-provider-unknown", det_custom_provider_run};
static const struct detector det_http_on_tcp = {"authz-http-fields-on-tcp",
                                                "authz-http-fields-on-tcp", det_http_on_tcp_run};
static const struct detector det_no_identity = {"authz-caller-no-identity",
                                                "authz-caller-no-identity", det_no_identity_run};
static const struct detector det_rp_no_jwt = {
    "authz-request-principals-no-jwt", "authz-request-principals-no-jwt", det_rp_no_jwt_run};
static const struct detector det_allow_nothing = {"authz-allow-nothing", "authz-allow-nothing",
                                                  det_allow_nothing_run};
static const struct detector det_root_policy = {
    "authz-root-namespace-policy", "authz-root-namespace-policy", det_root_policy_run};

const struct detector *const detectors_authz[] = {
    &det_principal_unknown, &det_custom_provider, &det_http_on_tcp, &det_no_identity,
    &det_rp_no_jwt,         &det_allow_nothing,   &det_root_policy, NULL,
};
