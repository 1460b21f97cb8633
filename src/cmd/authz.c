/*
 * `authz`: the AuthorizationPolicies evaluated for one request, from a pod
 * or a service account to a Service's pods (detect/authz.c decides). Pods
 * of the Service that get the same policies and mTLS are reported together.
 * Exit status 0 allowed (every workload), 1 denied (some workload), 2 error.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/mesh.h"
#include "cmd/cli.h"
#include "detect/authz.h"
#include "session/sources.h"

/* The caller, from --from. */
struct caller {
	const char *ns;
	char *sa;
	const struct kobj *pod; /* NULL for NS/SA */
	bool sidecar, ambient;
};

static bool request_valid(struct ctx *c);

/* One group of server pods evaluated alike. */
struct group {
	struct strlist pods;
	const struct kobj *pod; /* the first */
	struct kobj_list policies;
	struct strlist notes;
	const char *mtls;        /* what the server accepts: STRICT, PERMISSIVE, DISABLE, NONE */
	char *principal, *sni, *host;
	long svc_port, target_port;
	struct authz_request rq;
	struct authz_result res;
	bool sidecar, ambient; /* a proxy enforces the policies: its sidecar, or ztunnel */
	const char *blocked; /* the connection fails before any policy: why (static) */
};

static bool same_policies(const struct kobj_list *a, const struct kobj_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] != b->v[i])
			return false;
	return true;
}

static json_t *claims_json(const struct strlist *claims)
{
	if (!claims->n)
		return NULL;
	json_t *j = json_object();
	for (size_t i = 0; i < claims->n; i++) {
		const char *eq = strchr(claims->v[i], '=');
		char *name = xstrndup(claims->v[i], (size_t)(eq - claims->v[i]));
		json_t *old = json_object_get(j, name), *v = json_string(eq + 1);
		if (!v)
			v = json_string("");
		/* a claim given twice is a list (aud often is) */
		if (json_is_array(old))
			json_array_append_new(old, v);
		else if (old)
			json_object_set_new(j, name, json_pack("[O, o]", old, v));
		else
			json_object_set_new(j, name, v);
		free(name);
	}
	return j;
}

/*
 * Whether a pod without sidecar is in ambient mode (istio.io/dataplane-mode
 * on the pod, else on its namespace): ztunnel then gives it an identity and
 * enforces the policies' L4 fields.
 */
static bool ambient(struct cluster *cl, const struct kobj *pod)
{
	static const char key[] = "istio.io/dataplane-mode";
	if (pod_has_sidecar(pod))
		return false;
	const char *m = json_string_value(json_object_get(jpath(pod->j, "metadata.labels"), key));
	const struct kobj *ns = cluster_get(cl, "Namespace", "", pod->ns);
	if (!m && ns)
		m = json_string_value(json_object_get(jpath(ns->j, "metadata.labels"), key));
	return m && strcmp(m, "ambient") == 0;
}

/* --from POD (in -n) or NS/SA; false after printing why. */
static bool parse_caller(struct ctx *c, struct cluster *cl, struct caller *out)
{
	const char *from = c->o.from, *slash = strchr(from, '/');
	memset(out, 0, sizeof *out);
	if (slash) {
		char *ns = xstrndup(from, (size_t)(slash - from));
		bool ok = is_dns1123_label(ns) && is_dns1123_subdomain(slash + 1);
		if (!ok) {
			free(ns);
			usage_error("--from: '%s' is no NAMESPACE/SERVICEACCOUNT", from);
			return false;
		}
		const struct strlist *nss = cluster_namespaces(cl);
		for (size_t i = 0; i < nss->n; i++)
			if (strcmp(nss->v[i], ns) == 0)
				out->ns = nss->v[i];
		if (!out->ns) {
			usage_error("--from: no namespace '%s' in the cluster state", ns);
			free(ns);
			return false;
		}
		free(ns);
		out->sa = xstrdup(slash + 1);
		/* a service account alone: its workloads are taken to run sidecars */
		out->sidecar = true;
		return true;
	}
	if (!is_dns1123_subdomain(from)) {
		usage_error("--from: '%s' is no pod name (or NAMESPACE/SERVICEACCOUNT)", from);
		return false;
	}
	const char *ns = c->o.ns ? c->o.ns : "default";
	out->pod = cluster_get(cl, "Pod", ns, from);
	const char *why;
	if (!out->pod && !cluster_has_kind_in(cl, "Pod", ns, &why)) {
		usage_error("--from: the pods of namespace '%s' cannot be read: %s", ns, why);
		return false;
	}
	if (!out->pod) {
		usage_error("--from: no pod '%s' in namespace '%s'", from, ns);
		return false;
	}
	out->ns = out->pod->ns;
	const char *sa = jstr(out->pod->j, "spec.serviceAccountName");
	if (!sa)
		sa = jstr(out->pod->j, "spec.serviceAccount");
	out->sa = xstrdup(sa && *sa ? sa : "default");
	out->sidecar = pod_has_sidecar(out->pod);
	out->ambient = ambient(cl, out->pod);
	return true;
}

/* --to SERVICE[.NS][:PORT]: the Service and its port; false after printing why. */
static bool parse_target(struct ctx *c, struct cluster *cl, const struct kobj **svc, json_t **port)
{
	char *t = xstrdup(c->o.to), *colon = strchr(t, ':'), *dot;
	const char *want = NULL;
	if (colon) {
		*colon = '\0';
		want = colon + 1;
	}
	const char *ns = c->o.ns ? c->o.ns : "default";
	if ((dot = strchr(t, '.'))) {
		*dot = '\0';
		ns = dot + 1;
	}
	if (!is_dns1123_label(t) || !is_dns1123_label(ns) || (want && !*want)) {
		usage_error("--to: '%s' is no SERVICE[.NAMESPACE][:PORT]", c->o.to);
		free(t);
		return false;
	}
	*svc = cluster_get(cl, "Service", ns, t);
	const char *why;
	if (!*svc && !cluster_has_kind_in(cl, "Service", ns, &why)) {
		usage_error("--to: the Services of namespace '%s' cannot be read: %s", ns, why);
		free(t);
		return false;
	}
	if (!*svc) {
		usage_error("--to: no Service '%s' in namespace '%s'", t, ns);
		free(t);
		return false;
	}
	json_t *ports = jpath((*svc)->j, "spec.ports");
	*port = NULL;
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) {
		char *num = xasprintf("%lld", (long long)json_integer_value(json_object_get(p, "port")));
		const char *name = jstr(p, "name");
		if (want ? strcmp(num, want) == 0 || (name && strcmp(name, want) == 0)
		         : json_array_size(ports) == 1)
			*port = p;
		free(num);
	}
	if (!*port && want)
		usage_error("--to: Service %s/%s has no port '%s'", (*svc)->ns, (*svc)->name, want);
	else if (!*port)
		usage_error("--to: Service %s/%s has %zu ports: give SERVICE:PORT", (*svc)->ns,
		            (*svc)->name, json_array_size(ports));
	free(t);
	return *port != NULL;
}

/* The request the server pod's proxy sees from the caller. */
static void build_request(struct ctx *c, struct cluster *cl, const struct caller *who,
                          const struct kobj *svc, json_t *port, const char *proto, json_t *claims,
                          struct group *g)
{
	long svc_port = (long)json_integer_value(json_object_get(port, "port"));
	g->svc_port = svc_port;
	g->target_port = authz_target_port(port, g->pod);
	if (g->target_port < 0)
		g->target_port = svc_port;
	g->sidecar = pod_has_sidecar(g->pod);
	g->ambient = ambient(cl, g->pod);
	g->mtls = g->ambient ? "ztunnel" : mesh_server_mtls(cl, g->pod, g->target_port, NULL);
	char *fqdn = host_fqdn(svc->name, svc->ns);
	struct client_tls tls = {0};
	if (who->sidecar) {
		struct dr_set set = {0};
		dr_lookup(cl, fqdn, who->ns, &set);
		mesh_client_tls(cl, &set, NULL, svc_port, g->pod, g->target_port, &tls);
	}
	/* without the caller's sidecar, or where it sends plain text, there is no peer identity */
	/* ztunnel's HBONE is mutual TLS with the workload's identity */
	if ((who->sidecar && tls.istio_certs) || (who->ambient && (g->sidecar || g->ambient)) ||
	    (who->sidecar && g->ambient)) {
		g->principal = xasprintf("%s/ns/%s/sa/%s", authz_trust_domain(cl), who->ns, who->sa);
		g->sni = xasprintf("outbound_.%ld_._.%s", svc_port, fqdn);
	}
	if (g->ambient && !g->principal &&
	    strcmp(peer_auth_mode(cl, g->pod, g->target_port, NULL), "STRICT") == 0)
		g->blocked = "the server is in ambient mode, its PeerAuthentication is STRICT and the "
		             "caller sends plain text: ztunnel refuses the connection before any "
		             "AuthorizationPolicy is read";
	else if (!g->sidecar)
		;
	else if (strcmp(g->mtls, "STRICT") == 0 && !g->principal)
		g->blocked = "the server's sidecar requires mutual TLS (PeerAuthentication STRICT) and "
		             "the caller sends plain text: the connection is refused before any "
		             "AuthorizationPolicy is read";
	else if (strcmp(g->mtls, "DISABLE") == 0 && g->principal)
		g->blocked = "the caller sends Istio mutual TLS to a port whose PeerAuthentication "
		             "DISABLEs it: the connection fails before any AuthorizationPolicy is read";
	const char *h = NULL;
	for (size_t i = 0; i < c->o.headers.n; i++)
		if (strncasecmp(c->o.headers.v[i], "host=", 5) == 0)
			h = c->o.headers.v[i] + 5;
	if (h)
		g->host = xstrdup(h);
	else {
		bool same = strcmp(who->ns, svc->ns) == 0;
		char *base = same ? xstrdup(svc->name) : xasprintf("%s.%s", svc->name, svc->ns);
		g->host = svc_port == 80 ? base : xasprintf("%s:%ld", base, svc_port);
		if (g->host != base)
			free(base);
	}
	struct authz_request *rq = &g->rq;
	/* ztunnel reads no HTTP: it enforces a policy as a sidecar does on a TCP port */
	rq->http = strcmp(proto, "tcp") != 0 && !g->ambient;
	rq->principal = g->principal;
	rq->source_ip = who->pod ? jstr(who->pod->j, "status.podIP") : NULL;
	rq->dest_ip = jstr(g->pod->j, "status.podIP");
	rq->port = g->target_port;
	rq->sni = g->sni;
	rq->host = rq->http ? g->host : NULL;
	rq->method = rq->http ? (c->o.method ? c->o.method : "GET") : NULL;
	rq->path = rq->http ? (c->o.path ? c->o.path : "/") : NULL;
	rq->headers = rq->http ? &c->o.headers : NULL;
	rq->claims = rq->http ? claims : NULL;
	free(fqdn);
}

static const char *decision(const struct group *g)
{
	if (g->blocked)
		return "deny";
	return !(g->sidecar || g->ambient) || g->res.allowed ? "allow" : "deny";
}

static json_t *policy_json(const struct group *g)
{
	const struct authz_verdict *v = g->res.decided;
	if (g->blocked || !(g->sidecar || g->ambient) || !v)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:i}", "namespace", v->policy->ns, "name", v->policy->name,
	                 "action", authz_action_name(v->action), "rule", g->res.rule);
}

static const char *reason(const struct group *g)
{
	if (g->blocked)
		return g->blocked;
	if (!g->sidecar && !g->ambient)
		return "the server pod has no sidecar, so no AuthorizationPolicy is enforced on it";
	return g->res.reason;
}

static json_t *policies_json(const struct group *g)
{
	json_t *a = json_array();
	for (size_t i = 0; i < g->res.n; i++) {
		const struct authz_verdict *v = &g->res.v[i];
		json_t *p = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "namespace", v->policy->ns,
		                      "name", v->policy->name, "action", authz_action_name(v->action),
		                      "dry_run", v->dry_run, "matched", v->rule >= 0, "why", v->why);
		json_object_set_new(p, "rule", v->rule >= 0 ? json_integer(v->rule) : json_null());
		if (v->provider)
			json_object_set_new(p, "provider", json_string(v->provider));
		json_array_append_new(a, p);
	}
	return a;
}

static json_t *strings_json(const struct strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static void print_json(struct ctx *c, const struct caller *who, const struct kobj *svc,
                       const char *proto, struct group *gs, size_t n, size_t lead)
{
	json_t *ws = json_array();
	for (size_t i = 0; i < n; i++) {
		struct group *g = &gs[i];
		json_t *w = json_pack("{s:o, s:s, s:o, s:s, s:b, s:s, s:o, s:o}", "pods",
		                      strings_json(&g->pods), "decision", decision(g), "policy",
		                      policy_json(g), "reason", reason(g), "sidecar", g->sidecar, "mtls",
		                      g->mtls, "policies", policies_json(g), "notes",
		                      strings_json(&g->notes));
		if (g->res.custom)
			json_object_set_new(w, "custom",
			                    json_pack("{s:s, s:s, s:s?}", "namespace",
			                              g->res.custom->policy->ns, "name",
			                              g->res.custom->policy->name, "provider",
			                              g->res.custom->provider));
		json_array_append_new(ws, w);
	}
	const struct group *g = &gs[lead];
	json_t *rq = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:I, s:I, s:s, s:s?}", "from_namespace", who->ns,
	                       "from_pod", who->pod ? who->pod->name : NULL, "service_account",
	                       who->sa, "to_namespace", svc->ns, "to", svc->name, "port", (json_int_t)g->svc_port,
	                       "workload_port", (json_int_t)g->target_port, "protocol", proto, "principal", g->principal);
	if (g->rq.http)
		json_object_update_missing_new(rq, json_pack("{s:s, s:s, s:s}", "method", g->rq.method,
		                                            "path", g->rq.path, "host", g->rq.host));
	json_t *j = json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "decision", decision(g), "policy",
	                      policy_json(g), "reason", reason(g), "request", rq, "workloads", ws,
	                      "policies", policies_json(g));
	json_dumpf(j, c->out.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', c->out.fp);
	json_decref(j);
}

static void put(FILE *fp, const char *s)
{
	fput_clean(fp, s, false);
}

/* printf, sanitised: names and values from the cluster state reach the terminal clean. */
__attribute__((format(printf, 2, 3))) static void putf(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = xvasprintf(fmt, ap);
	va_end(ap);
	fput_clean(fp, t, false);
	free(t);
}

static void print_text(struct ctx *c, const struct caller *who, const struct kobj *svc,
                       const char *proto, struct group *gs, size_t n, size_t lead, bool md)
{
	FILE *fp = c->out.fp;
	const struct group *g0 = &gs[lead];
	if (md)
		fputs("# meshmedic authz\n\n", fp);
	fputs(md ? "Request: " : "request: ", fp);
	if (who->pod)
		fprintf(fp, "pod %s/%s", who->pod->ns, who->pod->name);
	else
		fprintf(fp, "service account %s/%s", who->ns, who->sa);
	fprintf(fp, " -> Service %s/%s port %ld", svc->ns, svc->name, g0->svc_port);
	if (g0->target_port != g0->svc_port)
		fprintf(fp, " (workload port %ld)", g0->target_port);
	fprintf(fp, ", %s", strcmp(proto, "sniffed") == 0 ? "protocol sniffed, taken as HTTP" : proto);
	if (g0->rq.http) {
		fputs(", ", fp);
		put(fp, g0->rq.method);
		fputc(' ', fp);
		put(fp, g0->rq.path);
		fputs(" host ", fp);
		put(fp, g0->rq.host);
	}
	fputc('\n', fp);
	fputs(md ? "\ncaller identity: " : "caller identity: ", fp);
	putf(fp, "%s",
	        g0->principal ? g0->principal
	                      : who->sidecar ? "none (its sidecar sends plain text)"
	                                     : "none (no sidecar: plain text)");
	fputc('\n', fp);
	size_t pods = 0, denied = 0;
	for (size_t i = 0; i < n; i++) {
		pods += gs[i].pods.n;
		denied += strcmp(decision(&gs[i]), "deny") == 0 ? gs[i].pods.n : 0;
	}
	/* pods that answer differently: the request fails only when it reaches some of them */
	if (denied && denied < pods)
		fprintf(fp, "%sdenied by %zu of %zu pods: requests fail or pass depending on the pod "
		            "the Service sends them to\n", md ? "\n" : "", denied, pods);
	for (size_t i = 0; i < n; i++) {
		struct group *g = &gs[i];
		bool deny = strcmp(decision(g), "deny") == 0;
		fprintf(fp, md ? "\n## %s: " : "\n%s: ", deny ? "DENIED" : "ALLOWED");
		for (size_t k = 0; k < g->pods.n; k++)
			putf(fp, "%s%s", k ? ", " : "", g->pods.v[k]);
		if (g->ambient)
			fputs(" (ambient: ztunnel)\n", fp);
		else
			fprintf(fp, " (%s, mTLS %s)\n", g->sidecar ? "sidecar" : "no sidecar", g->mtls);
		fputs(md ? "\n" : "  ", fp);
		put(fp, reason(g));
		fputc('\n', fp);
		if (g->res.custom) {
			fputs(md ? "\n" : "  ", fp);
			putf(fp, "first the CUSTOM policy %s/%s sends the request to provider '%s', which may deny it",
			     g->res.custom->policy->ns, g->res.custom->policy->name,
			     g->res.custom->provider ? g->res.custom->provider : "");
			fputc('\n', fp);
		}
		if (g->res.n)
			fputs(md ? "\n| policy | action | result | why |\n|---|---|---|---|\n"
			         : "  policies:\n", fp);
		for (size_t k = 0; k < g->res.n; k++) {
			const struct authz_verdict *v = &g->res.v[k];
			const char *res = v->rule >= 0 ? (v->dry_run ? "matches (dry-run)" : "matches")
			                               : (v->dry_run ? "no match (dry-run)" : "no match");
			if (md)
				putf(fp, "| %s/%s | %s | %s | ", v->policy->ns, v->policy->name,
				        authz_action_name(v->action), res);
			else
				putf(fp, "    %-6s %s/%s: %s: ", authz_action_name(v->action),
				        v->policy->ns, v->policy->name, res);
			put(fp, v->why);
			fputs(md ? " |\n" : "\n", fp);
		}
		if (g->notes.n && md)
			fputc('\n', fp);
		for (size_t k = 0; k < g->notes.n; k++) {
			fputs(md ? "- note: " : "  note: ", fp);
			put(fp, g->notes.v[k]);
			fputc('\n', fp);
		}
	}
}

/* Whether s is an HTTP token (RFC 9110: a method, a header name). */
static bool is_token(const char *s, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch && strchr(extra, ch))))
			return false;
	}
	return true;
}

/* No control characters (a tab is allowed), as in a header value or a request path. */
static bool is_printable(const char *s, bool tab)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < ' ' && !(tab && *p == '\t')) || *p == 0x7f)
			return false;
	return true;
}

/* The request's parts from the command line, checked before anything is read. */
static bool request_valid(struct ctx *c)
{
	const char *m = c->o.method, *p = c->o.path;
	if (m && !is_token(m, strlen(m)))
		return usage_error("--method: '%s' is no HTTP method", m), false;
	if (p && (p[0] != '/' || !is_printable(p, false) || strchr(p, ' ')))
		return usage_error("--path: '%s' is no request path (it starts with / and has no "
		                   "spaces or control characters)", p), false;
	for (size_t i = 0; i < c->o.headers.n; i++) {
		const char *h = c->o.headers.v[i], *eq = strchr(h, '=');
		if (!is_token(h, (size_t)(eq - h)) || !is_printable(eq + 1, true))
			return usage_error("--header: '%s' is no NAME=VALUE of an HTTP header", h), false;
	}
	for (size_t i = 0; i < c->o.claims.n; i++)
		if (!is_printable(c->o.claims.v[i], false))
			return usage_error("--claim: '%s' has control characters", c->o.claims.v[i]), false;
	return true;
}

static void group_free(struct group *g)
{
	sl_free(&g->pods);
	sl_free(&g->notes);
	free(g->policies.v);
	free(g->principal);
	free(g->sni);
	free(g->host);
	authz_result_free(&g->res);
}

int cmd_authz(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("authz takes no arguments, not '%s' (use --from and --to)", argv[1]);
	if (!c->o.from || !c->o.to)
		return usage_error("authz needs --from POD|NAMESPACE/SERVICEACCOUNT and --to SERVICE[:PORT]");
	if (!request_valid(c))
		return 2;
	struct cluster *cl = open_cluster(c);
	if (!cl)
		return 2;
	const char *why;
	if (cluster_unreadable(cl)) {
		cluster_free(cl);
		return 2;
	}
	if (!cluster_has_kind(cl, "AuthorizationPolicy", &why)) {
		usage_error("AuthorizationPolicies cannot be read: %s", why);
		cluster_free(cl);
		return 2;
	}
	struct caller who;
	const struct kobj *svc;
	json_t *port;
	if (!parse_caller(c, cl, &who) || !parse_target(c, cl, &svc, &port)) {
		free(who.sa);
		cluster_free(cl);
		return 2;
	}
	struct kobj_list pods = service_pods(cl, svc);
	if (!pods.n) {
		usage_error("--to: Service %s/%s selects no pod: there is no workload to evaluate",
		            svc->ns, svc->name);
		free(pods.v);
		free(who.sa);
		cluster_free(cl);
		return 2;
	}
	const char *proto = authz_port_protocol(port);
	json_t *claims = claims_json(&c->o.claims);
	struct group *gs = xcalloc(pods.n, sizeof *gs);
	size_t n = 0;
	for (size_t i = 0; i < pods.n; i++) {
		struct strlist notes = {0};
		struct kobj_list pl = authz_policies_for(cl, pods.v[i], &notes);
		struct group tmp = {.pod = pods.v[i]};
		struct group *g = NULL;
		for (size_t k = 0; k < n && !g; k++)
			if (same_policies(&gs[k].policies, &pl) &&
			    pod_has_sidecar(gs[k].pod) == pod_has_sidecar(pods.v[i]) &&
			    strcmp(gs[k].mtls, mesh_server_mtls(cl, pods.v[i],
			                                        authz_target_port(port, pods.v[i]), NULL)) == 0)
				g = &gs[k];
		if (g) {
			sl_add(&g->pods, pods.v[i]->name);
			free(pl.v);
			sl_free(&notes);
			continue;
		}
		g = &gs[n++];
		*g = tmp;
		g->policies = pl;
		g->notes = notes;
		sl_add(&g->pods, pods.v[i]->name);
		build_request(c, cl, &who, svc, port, proto, claims, g);
		authz_evaluate(cl, g->policies.v, g->policies.n, &g->rq, &g->res);
		if (g->ambient)
			sl_add(&g->notes, "the pod is in ambient mode: ztunnel enforces the policies that "
			                  "select it, without HTTP, as a sidecar does on a TCP port (Istio "
			                  "ambient L4 policy); policies bound to a waypoint by targetRefs "
			                  "are not evaluated");
		else if (strcmp(proto, "sniffed") == 0)
			sl_add(&g->notes, "the port declares no protocol (name or appProtocol): the proxy "
			                  "sniffs it, and this request is taken as HTTP");
		if (!who.pod)
			sl_add(&g->notes, "the caller is a service account, not a pod: it is taken to "
			                  "run a sidecar, and its address is unknown (ipBlocks cannot match)");
	}
	/* the group reported first at the top: the first denied one */
	size_t lead = 0;
	for (size_t i = n; i-- > 0;)
		if (strcmp(decision(&gs[i]), "deny") == 0)
			lead = i;
	if (c->out.fmt == FMT_JSON)
		print_json(c, &who, svc, proto, gs, n, lead);
	else
		print_text(c, &who, svc, proto, gs, n, lead, c->out.fmt == FMT_MARKDOWN);
	int rc = strcmp(decision(&gs[lead]), "deny") == 0 ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		group_free(&gs[i]);
	free(gs);
	json_decref(claims);
	free(pods.v);
	free(who.sa);
	cluster_free(cl);
	return rc;
}
