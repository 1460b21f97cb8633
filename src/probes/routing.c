/*
 * Probes of the routing flow: rules that have no effect. Most ask one
 * detector of detect/routing.c about the service in question; the others
 * read what the rule for the service says (its retries, weights, outlier
 * detection, pending-request limit) or whether the calling pod can see it.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/routing.h"
#include "cluster/mesh.h"
#include "probes/probe.h"

static const struct kobj *the_service(const struct probe_ctx *x, struct probe_result *r)
{
	return probe_object(x, r, "Service", "service");
}

/* Run a detector over the service and answer if_found or if_not. */
static void service_detector(const struct probe_ctx *x, struct probe_result *r,
			     const char *diagnosis, const char *if_found, const char *if_not,
			     const char *clean)
{
	const struct kobj *svc = the_service(x, r);
	struct scope s = {svc ? svc->ns : NULL, svc ? svc->name : NULL, NULL};
	if (svc)
		probe_by_detector(x, r, &s, diagnosis, if_found, if_not, clean);
}

/* The DestinationRule that applies to the service for callers in its namespace, or NULL. */
static const struct kobj *service_dr(const struct probe_ctx *x, const struct kobj *svc)
{
	char *fqdn = host_fqdn(svc->name, svc->ns);
	const struct kobj *dr = dr_for_host(x->cluster, fqdn, svc->ns);
	free(fqdn);
	return dr;
}

static bool exported(struct cluster *c, const struct kobj *o, const char *ns);

/* The first VirtualService for sidecars in namespace ns whose hosts cover fqdn, or NULL. */
static const struct kobj *mesh_vs(struct cluster *c, const char *fqdn, const char *ns)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < vss->n; i++)
		if (routing_vs_covers(vss->v[i], fqdn) && exported(c, vss->v[i], ns))
			return vss->v[i];
	return NULL;
}

/* The diagnoses that reveal which kind of rule misbehaves, most specific first. */
static const struct {
	const char *diagnosis, *kind;
} kind_of[] = {
	{"gateway-vs-ignores-subset", "ingress"},
	{"dr-subset-policy-inactive", "subset-policy"},
	{"headless-lb-policy-ignored", "load-balancer"},
	{"locality-lb-no-outlier-detection", "locality"},
	{"mixed-protocol-port", "routing"},
	{"service-port-naming", "routing"},
	{"rule-host-wrong-namespace", "routing"},
	{"subset-undefined", "routing"},
};

/* Features of the rules for a service, and the kind of rule each belongs to. */
static const struct {
	const char *kind, *where, *field;
} features[] = {
	{"routing", "vs", "spec.http"},
	{"routing", "vs", "spec.tcp"},
	{"retries", "vs", "spec.http.0.retries"},
	{"circuit-breaker", "dr", "spec.trafficPolicy.connectionPool"},
	{"locality", "dr", "spec.trafficPolicy.loadBalancer.localityLbSetting"},
	{"load-balancer", "dr", "spec.trafficPolicy.loadBalancer.consistentHash"},
	{"load-balancer", "dr", "spec.trafficPolicy.loadBalancer.simple"},
};

/*
 * With no finding to go by, the kind of rule can still be read when the
 * rules for the service configure only one kind of thing.
 */
static void kind_from_features(const struct probe_ctx *x, struct probe_result *r,
			       const struct kobj *svc)
{
	char *fqdn = host_fqdn(svc->name, svc->ns);
	const struct kobj *vs = mesh_vs(x->cluster, fqdn, svc->ns), *dr = service_dr(x, svc);
	struct strlist kinds = {0}, fields = {0};
	for (size_t i = 0; i < MM_ARRAY_LEN(features); i++) {
		const struct kobj *o = strcmp(features[i].where, "vs") == 0 ? vs : dr;
		if (o && jpath(o->j, features[i].field) && !sl_has(&kinds, features[i].kind)) {
			sl_add(&kinds, features[i].kind);
			sl_add(&fields, features[i].field);
		}
	}
	/* retries sit inside http rules: they are the more specific kind */
	size_t n = kinds.n - (sl_has(&kinds, "retries") && sl_has(&kinds, "routing"));
	if (n == 1)
		probe_answer(r, kinds.v[kinds.n - 1], "the only kind of rule configured for %s: %s",
			     fqdn, fields.v[fields.n - 1]);
	else
		probe_unknown(r, "no check found a cause for %s, and its rules configure %s", fqdn,
			      n ? "several kinds of behaviour" : "nothing this flow knows");
	sl_free(&kinds);
	sl_free(&fields);
	free(fqdn);
}

static void pod_sees_rules(const struct probe_ctx *x, struct probe_result *r);
static void pending_limit(const struct probe_ctx *x, struct probe_result *r);

/* Probes of later questions whose answer also tells the kind of rule. */
static const struct {
	void (*run)(const struct probe_ctx *x, struct probe_result *r);
	const char *choice, *kind;
} telling[] = {
	{pending_limit, "unset", "circuit-breaker"},
	{pod_sees_rules, "hidden", "routing"},
};

/* Which kind of rule has no effect: from a detector's finding, or from what is configured. */
static void rule_kind(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct scope s = {svc->ns, svc->name, NULL};
	for (size_t i = 0; i < MM_ARRAY_LEN(kind_of) && !r->choice; i++) {
		struct findings f = {0};
		detect_run(x->cluster, &s, kind_of[i].diagnosis, &f);
		if (f.n) {
			probe_answer(r, kind_of[i].kind, "%s: %s", kind_of[i].diagnosis,
				     f.v[0].message);
			sl_copy(&r->evidence, &f.v[0].evidence);
		}
		findings_free(&f);
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(telling) && !r->choice; i++) {
		struct probe_result t = {0};
		telling[i].run(x, &t);
		if (t.choice && strcmp(t.choice, telling[i].choice) == 0) {
			r->choice = xstrdup(telling[i].kind);
			sl_copy(&r->evidence, &t.evidence);
		}
		probe_result_free(&t);
	}
	if (!r->choice && probe_readable(x, r, "VirtualService", "VirtualServices") &&
	    probe_readable(x, r, "DestinationRule", "DestinationRules"))
		kind_from_features(x, r, svc);
}

/* How Istio treats the service's ports: HTTP, detected at run time, or plain TCP. */
static void port_protocol(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct scope s = {svc->ns, svc->name, NULL};
	struct findings f = {0};
	detect_run(x->cluster, &s, "mixed-protocol-port", &f);
	if (f.n) {
		probe_answer(r, "mixed", "%s", f.v[0].message);
		sl_copy(&r->evidence, &f.v[0].evidence);
	}
	findings_free(&f);
	/* the best class among the ports decides: one HTTP port is enough for HTTP rules */
	static const char *const order[] = {"http", "sniffed", "opaque", "udp"};
	json_t *ports = jpath(svc->j, "spec.ports");
	for (size_t o = 0; o < MM_ARRAY_LEN(order) && !r->choice; o++)
		for (size_t i = 0; i < json_array_size(ports); i++) {
			char *why;
			json_t *port = json_array_get(ports, i);
			const char *cls = routing_port_class(x->cluster, port, &why);
			if (strcmp(cls, order[o]) == 0)
				probe_answer(r, strcmp(cls, "udp") == 0 ? "opaque" : cls,
					     "Service %s: %s", svc->name, why);
			free(why);
		}
	if (!r->choice)
		probe_unknown(r, "Service %s/%s declares no ports", svc->ns, svc->name);
}

/* Whether the VirtualServices for fqdn route TCP or TLS only (no http routes). */
static bool only_stream_routes(struct cluster *c, const char *fqdn)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	bool stream = false;
	for (size_t i = 0; i < vss->n; i++) {
		if (!routing_vs_covers(vss->v[i], fqdn))
			continue;
		if (json_array_size(jpath(vss->v[i]->j, "spec.http")))
			return false;
		stream |= json_array_size(jpath(vss->v[i]->j, "spec.tcp")) ||
		          json_array_size(jpath(vss->v[i]->j, "spec.tls"));
	}
	return stream;
}

/* port-protocol for a routing rule: an opaque port whose rules are TCP or TLS routes is right. */
static void rule_port_protocol(const struct probe_ctx *x, struct probe_result *r)
{
	port_protocol(x, r);
	const struct kobj *svc = r->choice && strcmp(r->choice, "opaque") == 0
	                             ? cluster_get(x->cluster, "Service", probe_in(x, "namespace"),
	                                           probe_in(x, "service"))
	                             : NULL;
	char *fqdn = svc ? host_fqdn(svc->name, svc->ns) : NULL;
	if (fqdn && only_stream_routes(x->cluster, fqdn)) {
		free(r->choice);
		r->choice = NULL;
		probe_unknown(r, "the port of %s is TCP and its VirtualServices route TCP or TLS "
		                 "only (spec.tcp, spec.tls), which is what such a port takes",
		              svc->name);
	}
	free(fqdn);
}

/* yes where the headless Service's load-balancer policy is ignored, no for a cluster IP. */
static void headless_lb_p(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	if (!service_headless(svc)) {
		probe_answer(r, "no", "Service %s/%s clusterIP %s", svc->ns, svc->name,
		             jstr(svc->j, "spec.clusterIP") ? jstr(svc->j, "spec.clusterIP") : "unset");
		return;
	}
	struct scope s = {svc->ns, svc->name, NULL};
	struct findings f = {0};
	detect_run(x->cluster, &s, "headless-lb-policy-ignored", &f);
	if (f.n) {
		probe_answer(r, "yes", "%s", f.v[0].message);
		sl_copy(&r->evidence, &f.v[0].evidence);
	} else if (f.nskipped)
		probe_unknown(r, "%s", f.skipped[0].reason);
	else
		probe_unknown(r, "Service %s/%s is headless (clusterIP None), but no policy of its "
		                 "DestinationRule is one a headless Service ignores",
		              svc->ns, svc->name);
	findings_free(&f);
}

static void rule_host(const struct probe_ctx *x, struct probe_result *r)
{
	service_detector(x, r, "rule-host-wrong-namespace", "wrong", "ok",
			 "no rule names the service by a short name from another namespace");
}

/* Whether exportTo (or meshConfig's default for the kind) lets namespace ns see a rule. */
static bool exported(struct cluster *c, const struct kobj *o, const char *ns)
{
	return mesh_exported_to(c, o, ns);
}

/* Why the pod receives no VirtualService for fqdn (new string), or NULL when it gets one. */
static char *vs_hidden(struct cluster *c, const struct kobj *pod, const struct kobj *sc,
		       const char *fqdn)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	char *why = NULL;
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		char *now = NULL;
		if (!routing_vs_covers(vs, fqdn))
			continue;
		if (!exported(c, vs, pod->ns))
			now = xasprintf("VirtualService %s/%s for %s is not exported to namespace "
					"%s (exportTo)", vs->ns, vs->name, fqdn, pod->ns);
		else if (sc && !sidecar_imports(sc, pod->ns, vs->ns, fqdn))
			now = xasprintf("Sidecar %s/%s does not import namespace %s, which holds "
					"VirtualService %s", sc->ns, sc->name, vs->ns, vs->name);
		free(why);
		why = now;
		if (!now)
			break;
	}
	return why;
}

/* Why the pod cannot see the rules for fqdn (new string), or NULL when it can. */
static char *hidden_because(struct cluster *c, const struct kobj *pod, const struct kobj *svc,
			    const char *fqdn)
{
	const struct kobj *sc = sidecar_for_pod(c, pod);
	if (sc && !sidecar_imports(sc, pod->ns, svc->ns, fqdn))
		return xasprintf("Sidecar %s/%s applies to pod %s and its egress hosts do not "
				 "import %s: calls leave through the passthrough cluster, past "
				 "every rule", sc->ns, sc->name, pod->name, fqdn);
	char *why = vs_hidden(c, pod, sc, fqdn);
	if (why)
		return why;
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const struct kobj *dr = drs->v[i];
		const char *h = jstr(dr->j, "spec.host");
		char *full = h ? host_fqdn(h, dr->ns) : NULL;
		bool names = full && strcmp(full, fqdn) == 0;
		free(full);
		if (names && !dr_for_host(c, fqdn, pod->ns))
			return xasprintf("DestinationRule %s/%s for %s is not exported to "
					 "namespace %s (exportTo)",
					 dr->ns, dr->name, fqdn, pod->ns);
	}
	return NULL;
}

/* Without the caller: visible when every pod with a sidecar sees the rules, else unknown. */
static void every_caller_sees(const struct probe_ctx *x, struct probe_result *r,
                              const struct kobj *svc)
{
	if (!probe_readable(x, r, "Pod", "Pods") ||
	    !probe_readable(x, r, "VirtualService", "VirtualServices") ||
	    !probe_readable(x, r, "DestinationRule", "DestinationRules") ||
	    !probe_readable(x, r, "Sidecar", "Sidecars"))
		return;
	char *fqdn = host_fqdn(svc->name, svc->ns), *why = NULL;
	const struct kobj_list *pods = cluster_list(x->cluster, "Pod", NULL);
	size_t callers = 0;
	for (size_t i = 0; i < pods->n && !why; i++)
		if (pod_has_sidecar(pods->v[i]) && ++callers)
			why = hidden_because(x->cluster, pods->v[i], svc, fqdn);
	if (why)
		probe_unknown(r, "no pod given (--set pod=NAME), and some pods do not see the rules: %s",
		              why);
	else if (callers)
		probe_answer(r, "visible",
		             "no pod given, but every pod with a sidecar (%zu) sees the Service and "
		             "the rules for %s: the caller does too",
		             callers, fqdn);
	else
		probe_unknown(r, "no pod given (--set pod=NAME), and no pod runs a sidecar");
	free(why);
	free(fqdn);
}

/* Whether the calling pod receives the rules for the service (exportTo, Sidecar scope). */
static void pod_sees_rules(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (svc && !probe_in(x, "pod")) {
		every_caller_sees(x, r, svc);
		return;
	}
	const struct kobj *pod = svc ? probe_object(x, r, "Pod", "pod") : NULL;
	if (!pod || !probe_readable(x, r, "VirtualService", "VirtualServices") ||
	    !probe_readable(x, r, "DestinationRule", "DestinationRules") ||
	    !probe_readable(x, r, "Sidecar", "Sidecars"))
		return;
	char *fqdn = host_fqdn(svc->name, svc->ns);
	char *why = hidden_because(x->cluster, pod, svc, fqdn);
	if (why)
		probe_answer(r, "hidden", "%s", why);
	else
		probe_answer(r, "visible", "pod %s sees the Service and the rules for %s (exportTo "
					   "and Sidecar scope allow them)", pod->name, fqdn);
	free(why);
	free(fqdn);
}

static void gateway_subset(const struct probe_ctx *x, struct probe_result *r)
{
	service_detector(x, r, "gateway-vs-ignores-subset", "yes", "no",
			 "no gateway VirtualService skips a subset that the mesh routes use");
}

static void subset_policy_routed(const struct probe_ctx *x, struct probe_result *r)
{
	service_detector(x, r, "dr-subset-policy-inactive", "no", "yes",
			 "every subset with its own traffic policy receives traffic from a route");
}

/* The connection pool of a DR: top level, else the first subset that sets one. */
static json_t *dr_pool(const struct kobj *dr, const char **where)
{
	json_t *pool = jpath(dr->j, "spec.trafficPolicy.connectionPool");
	json_t *subsets = jpath(dr->j, "spec.subsets");
	*where = "trafficPolicy";
	for (size_t i = 0; !pool && i < json_array_size(subsets); i++) {
		pool = jpath(json_array_get(subsets, i), "trafficPolicy.connectionPool");
		*where = jstr(json_array_get(subsets, i), "name");
	}
	return pool;
}

/* Whether the DR's connection pool limits pending requests next to maxConnections. */
static void pending_limit(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc || !probe_readable(x, r, "DestinationRule", "DestinationRules"))
		return;
	const struct kobj *dr = service_dr(x, svc);
	const char *where = NULL;
	json_t *pool = dr ? dr_pool(dr, &where) : NULL;
	bool queue = pool && jpath(pool, "tcp.maxConnections") &&
		     !jpath(pool, "http.http1MaxPendingRequests");
	if (!pool)
		probe_answer(r, "missing", "no DestinationRule with a connectionPool applies to "
					   "%s.%s", svc->name, svc->ns);
	else if (queue)
		probe_answer(r, "unset", "DestinationRule %s/%s (%s): tcp.maxConnections without "
					 "http.http1MaxPendingRequests", dr->ns, dr->name, where);
	else
		probe_answer(r, "set", "DestinationRule %s/%s (%s) limits pending requests or sets "
				       "no maxConnections", dr->ns, dr->name, where);
}

/* Whether the DR for the service configures outlierDetection, or needs none (distribute only). */
static void dr_outlier(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc || !probe_readable(x, r, "DestinationRule", "DestinationRules"))
		return;
	const struct kobj *dr = service_dr(x, svc);
	json_t *lls = dr ? jpath(dr->j, "spec.trafficPolicy.loadBalancer.localityLbSetting") : NULL;
	char *text = dr ? json_dumps(jpath(dr->j, "spec"), JSON_COMPACT) : NULL;
	if (!dr)
		probe_answer(r, "no", "no DestinationRule applies to %s.%s", svc->name, svc->ns);
	else if (text && strstr(text, "\"outlierDetection\""))
		probe_answer(r, "yes", "DestinationRule %s/%s configures outlierDetection", dr->ns,
			     dr->name);
	else if (json_object_get(lls, "distribute") &&
		 !json_array_size(json_object_get(lls, "failover")))
		probe_answer(r, "distribute", "DestinationRule %s/%s sets weighted distribution "
					      "only", dr->ns, dr->name);
	else
		probe_answer(r, "no", "DestinationRule %s/%s has no outlierDetection", dr->ns,
			     dr->name);
	free(text);
}

/* Whether some Service selects the calling pod (Istio learns its locality from that). */
static void client_service(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *pod = probe_object(x, r, "Pod", "pod");
	if (!pod || !probe_readable(x, r, "Service", "Services"))
		return;
	const struct kobj_list *svcs = cluster_list(x->cluster, "Service", pod->ns);
	json_t *labels = jpath(pod->j, "metadata.labels");
	for (size_t i = 0; i < svcs->n && !r->choice; i++) {
		json_t *sel = jpath(svcs->v[i]->j, "spec.selector");
		if (json_object_size(sel) && labels_match(sel, labels))
			probe_answer(r, "yes", "Service %s/%s selects pod %s", svcs->v[i]->ns,
				     svcs->v[i]->name, pod->name);
	}
	if (!r->choice)
		probe_answer(r, "no", "no Service in namespace %s selects pod %s", pod->ns,
			     pod->name);
}

/*
 * The service, with its FQDN (new string in *fqdn) and the VirtualService for
 * sidecars that covers it (*vs, or NULL); NULL with the reason set if unknown.
 */
static const struct kobj *service_vs(const struct probe_ctx *x, struct probe_result *r,
				     char **fqdn, const struct kobj **vs)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc || !probe_readable(x, r, "VirtualService", "VirtualServices"))
		return NULL;
	*fqdn = host_fqdn(svc->name, svc->ns);
	*vs = mesh_vs(x->cluster, *fqdn, svc->ns);
	return svc;
}

/* Which retry policy the sidecar uses for the service's HTTP routes. */
static void vs_retries(const struct probe_ctx *x, struct probe_result *r)
{
	char *fqdn;
	const struct kobj *vs;
	if (!service_vs(x, r, &fqdn, &vs))
		return;
	json_t *http = vs ? jpath(vs->j, "spec.http") : NULL;
	json_t *mesh = jpath(cluster_mesh_config(x->cluster), "defaultHttpRetryPolicy.attempts");
	bool mesh_off = json_is_integer(mesh) && json_integer_value(mesh) == 0;
	size_t custom = 0, off = 0, plain = 0;
	for (size_t i = 0; i < json_array_size(http); i++) {
		json_t *a = jpath(json_array_get(http, i), "retries.attempts");
		if (!jpath(json_array_get(http, i), "retries"))
			plain++;
		else if (json_is_integer(a) && json_integer_value(a) == 0)
			off++;
		else
			custom++;
	}
	const char *where = vs ? "an http route sets no retries" : "no VirtualService for the host";
	if ((!vs || plain) && !mesh_off)
		probe_answer(r, "default", "%s: Istio's default retries apply (2 more attempts on "
					   "connection failures and refused streams)", where);
	else if (custom)
		probe_answer(r, "custom", "VirtualService %s/%s sets retries on %zu http route(s)",
			     vs->ns, vs->name, custom);
	else
		probe_answer(r, "disabled", "%s turns retries off (attempts 0)",
			     off ? "the VirtualService" : "meshConfig defaultHttpRetryPolicy");
	free(fqdn);
}

/* "no" when no route of the service splits traffic; a split needs the person's answer. */
static void vs_weighted(const struct probe_ctx *x, struct probe_result *r)
{
	char *fqdn;
	const struct kobj *vs;
	if (!service_vs(x, r, &fqdn, &vs))
		return;
	static const char *const sections[] = {"spec.http", "spec.tcp", "spec.tls"};
	size_t split = 0;
	for (size_t k = 0; vs && k < MM_ARRAY_LEN(sections); k++) {
		json_t *rules = jpath(vs->j, sections[k]);
		for (size_t i = 0; i < json_array_size(rules); i++) {
			json_t *dests = json_object_get(json_array_get(rules, i), "route");
			split += json_array_size(dests) > 1;
		}
	}
	if (split)
		probe_unknown(r, "VirtualService %s/%s splits traffic in %zu route(s); how many "
				 "requests were counted is for you to say",
			      vs->ns, vs->name, split);
	else if (vs)
		probe_answer(r, "no", "VirtualService %s/%s splits no traffic by weight", vs->ns,
			     vs->name);
	else
		probe_answer(r, "no", "no VirtualService for %s: nothing is split by weight", fqdn);
	free(fqdn);
}

PROBE("rule-kind", rule_kind, "namespace", "service", "pod", NULL);
PROBE("port-protocol", port_protocol, "namespace", "service", NULL);
PROBE("rule-port-protocol", rule_port_protocol, "namespace", "service", NULL);
PROBE("headless-lb", headless_lb_p, "namespace", "service", NULL);
PROBE("rule-host", rule_host, "namespace", "service", NULL);
PROBE("rule-visible", pod_sees_rules, "namespace", "service", "pod", NULL);
PROBE("gateway-subset", gateway_subset, "namespace", "service", NULL);
PROBE("subset-policy-routed", subset_policy_routed, "namespace", "service", NULL);
PROBE("pending-limit", pending_limit, "namespace", "service", NULL);
PROBE("dr-outlier", dr_outlier, "namespace", "service", NULL);
PROBE("client-service", client_service, "namespace", "pod", NULL);
PROBE("vs-retries", vs_retries, "namespace", "service", NULL);
PROBE("vs-weighted", vs_weighted, "namespace", "service", NULL);

const struct probe *const probes_routing[] = {
	&probe_rule_kind,      &probe_port_protocol, &probe_rule_host,
	&probe_pod_sees_rules, &probe_gateway_subset, &probe_subset_policy_routed,
	&probe_pending_limit,  &probe_dr_outlier,    &probe_client_service,
	&probe_vs_retries,     &probe_vs_weighted,   &probe_rule_port_protocol,
	&probe_headless_lb_p,  NULL,
};
