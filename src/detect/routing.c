/*
 * Detectors of the routing flow: rules that are accepted but have no effect.
 * Each proves one cause from configuration alone (Services, pods,
 * VirtualServices, DestinationRules) and keeps quiet on what works as
 * written. Some helpers are shared with probes/routing.c: how Istio
 * classifies a Service port's protocol, and whether a VirtualService applies
 * to sidecars for a host.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/routing.h"
#include "cluster/mesh.h"

/* Protocol prefixes of port names and appProtocol values, and what a sidecar makes of them. */
static const struct {
	const char *name;
	bool http;
} protocols[] = {
	{"http", true},   {"http2", true},  {"grpc", true},   {"grpc-web", true},
	{"http_proxy", true}, {"kubernetes.io/h2c", true}, {"kubernetes.io/ws", true},
	{"tcp", false},   {"tls", false},   {"https", false}, {"mongo", false},
	{"mysql", false}, {"redis", false}, {"udp", false},   {"kubernetes.io/wss", false},
};

/* Ports Istio never sniffs: an unnamed one is plain TCP. */
static const long well_known_ports[] = {25, 53, 3306, 27017};

/* Whether istiod runs with outbound protocol sniffing turned off. */
static bool outbound_sniffing_off(struct cluster *c)
{
	const char *why;
	if (!cluster_has_kind(c, "Deployment", &why))
		return false;
	const struct kobj *d = cluster_get(c, "Deployment", cluster_control_namespace(c), "istiod");
	json_t *containers = d ? jpath(d->j, "spec.template.spec.containers") : NULL;
	for (size_t i = 0; i < json_array_size(containers); i++) {
		json_t *env = json_object_get(json_array_get(containers, i), "env");
		for (size_t k = 0; k < json_array_size(env); k++) {
			json_t *e = json_array_get(env, k);
			const char *n = jstr(e, "name"), *v = jstr(e, "value");
			if (n && v && strcmp(n, "PILOT_ENABLE_PROTOCOL_SNIFFING_FOR_OUTBOUND") == 0)
				return strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0;
		}
	}
	return false;
}

/*
 * How a client sidecar treats a Service port: "http" (HTTP rules apply),
 * "sniffed" (no declared protocol; HTTP is detected at run time), "opaque"
 * (plain TCP or TLS: HTTP rules never apply) or "udp" (not proxied). *why
 * is a new string saying what decided it.
 */
const char *routing_port_class(struct cluster *c, json_t *port, char **why)
{
	const char *name = jstr(port, "name"), *app = jstr(port, "appProtocol");
	const char *proto = jstr(port, "protocol"), *v = cluster_istio_version(c);
	long number = (long)json_integer_value(json_object_get(port, "port"));
	if (proto && strcmp(proto, "UDP") == 0) {
		*why = xasprintf("port %ld is UDP, which sidecars do not proxy", number);
		return "udp";
	}
	/* appProtocol (read since 1.6) wins over the name; the protocol is what precedes '-' */
	const char *unread = v && version_cmp(v, "1.6") < 0 ? app : NULL;
	if (unread)
		app = NULL;
	const char *decl = app ? app : name ? name : "";
	size_t len = strcspn(decl, "-");
	if (strncasecmp(decl, "grpc-web", 8) == 0)
		len = 8;
	for (size_t i = 0; i < MM_ARRAY_LEN(protocols); i++) {
		const char *p = protocols[i].name;
		if (strlen(p) == len && strncasecmp(decl, p, len) == 0) {
			*why = xasprintf("port %ld %s '%s' declares %s%s%s%s", number,
					 app ? "appProtocol" : "name", decl, p,
					 unread ? " (Istio reads appProtocol from 1.6 on, so '" : "",
					 unread ? unread : "", unread ? "' is ignored)" : "");
			return protocols[i].http ? "http" : "opaque";
		}
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(well_known_ports); i++)
		if (number == well_known_ports[i]) {
			*why = xasprintf("port %ld declares no protocol and is a well-known "
					 "non-HTTP port: Istio treats it as TCP", number);
			return "opaque";
		}
	char *what = *decl ? xasprintf("port %ld ('%s')", number, decl)
			   : xasprintf("port %ld (unnamed)", number);
	const char *cls = "opaque";
	if (v && version_cmp(v, "1.3") < 0)
		*why = xasprintf("%s declares no protocol: Istio %s treats it as TCP (protocol "
				 "sniffing came with 1.3)", what, v);
	else if (outbound_sniffing_off(c))
		*why = xasprintf("%s declares no protocol and istiod runs with "
				 "PILOT_ENABLE_PROTOCOL_SNIFFING_FOR_OUTBOUND=false: TCP", what);
	else
		*why = xasprintf("%s declares no protocol: the sidecar detects HTTP/1.1 and HTTP/2 "
				 "at run time", what), cls = "sniffed";
	free(what);
	return cls;
}

/* "a, b, c". New string. */
static char *joined(const struct strlist *l)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < l->n; i++)
		sb_printf(&b, "%s%s", i ? ", " : "", l->v[i]);
	return sb_steal(&b);
}

/* Whether a Service is in scope, and is the scoped service when one is given. */
static bool service_wanted(const struct scope *s, const struct kobj *svc)
{
	return in_scope(s, svc) && (!s->service || strcmp(svc->name, s->service) == 0);
}

/* Whether a VirtualService applies to sidecars: no gateways list, or one naming mesh. */
bool routing_vs_for_mesh(const struct kobj *vs)
{
	json_t *gws = jpath(vs->j, "spec.gateways");
	if (!json_array_size(gws))
		return true;
	for (size_t i = 0; i < json_array_size(gws); i++) {
		const char *g = json_string_value(json_array_get(gws, i));
		if (g && strcmp(g, "mesh") == 0)
			return true;
	}
	return false;
}

/* Whether a VirtualService applies to sidecars calling fqdn (a host of it covers fqdn). */
bool routing_vs_covers(const struct kobj *vs, const char *fqdn)
{
	json_t *hosts = jpath(vs->j, "spec.hosts");
	bool covers = false;
	for (size_t k = 0; routing_vs_for_mesh(vs) && !covers && k < json_array_size(hosts); k++) {
		const char *h = json_string_value(json_array_get(hosts, k));
		char *full = h ? host_fqdn(h, vs->ns) : NULL;
		covers = full && host_matches(full, fqdn);
		free(full);
	}
	return covers;
}

/* Every route destination of a VirtualService (http, tcp and tls), as a new array. */
static json_t *vs_destinations(const struct kobj *vs)
{
	static const char *const sections[] = {"spec.http", "spec.tcp", "spec.tls"};
	json_t *all = json_array();
	for (size_t k = 0; k < MM_ARRAY_LEN(sections); k++) {
		json_t *rules = jpath(vs->j, sections[k]);
		size_t i;
		json_t *rule;
		json_array_foreach(rules, i, rule) {
			size_t d;
			json_t *wd;
			json_array_foreach(json_object_get(rule, "route"), d, wd)
				if (json_object_get(wd, "destination"))
					json_array_append(all, json_object_get(wd, "destination"));
		}
	}
	return all;
}

/* Whether the namespace injects sidecars or some pod of the Service has one. */
static bool service_in_mesh(struct cluster *c, const struct kobj *svc)
{
	const struct kobj *ns = cluster_get(c, "Namespace", "", svc->ns);
	char *inj = ns ? namespace_injection(ns) : NULL;
	bool in = inj && strcmp(inj, "disabled") != 0;
	free(inj);
	if (in)
		return true;
	struct kobj_list pods = service_pods(c, svc);
	for (size_t i = 0; i < pods.n && !in; i++)
		in = pod_has_sidecar(pods.v[i]);
	free(pods.v);
	return in;
}

/* Whether a Service is an alias for an outside DNS name (type ExternalName). */
static bool service_external(const struct kobj *svc)
{
	const char *t = jstr(svc->j, "spec.type");
	return t && strcmp(t, "ExternalName") == 0;
}

/* Whether some http rule of the VirtualService can match requests on a Service port. */
static bool http_rules_reach(json_t *vs, long port)
{
	size_t i;
	json_t *rule;
	json_array_foreach(jpath(vs, "spec.http"), i, rule) {
		json_t *matches = json_object_get(rule, "match");
		if (!json_array_size(matches))
			return true;
		size_t k;
		json_t *m;
		json_array_foreach(matches, k, m) {
			json_t *p = json_object_get(m, "port");
			if (!p || json_integer_value(p) == port)
				return true;
		}
	}
	return false;
}

/*
 * Whether HTTP rules can work on some port of the Service that the
 * VirtualService's http rules reach; the ports that cannot go to *ev.
 */
static bool http_capable(struct cluster *c, const struct kobj *vs, const struct kobj *svc,
			 struct strlist *ev)
{
	bool capable = false, reached = false;
	size_t i;
	json_t *port;
	json_array_foreach(jpath(svc->j, "spec.ports"), i, port) {
		long number = (long)json_integer_value(json_object_get(port, "port"));
		if (!http_rules_reach(vs->j, number))
			continue;
		reached = true;
		char *why;
		const char *cls = routing_port_class(c, port, &why);
		if (strcmp(cls, "http") == 0 || strcmp(cls, "sniffed") == 0)
			capable = true, free(why);
		else
			sl_take(ev, why);
	}
	return capable || !reached;
}

/* A Service named by a mesh VirtualService with http rules: report it if no port carries them. */
static void naming_one(struct cluster *c, const struct kobj *vs, const struct kobj *svc,
		       struct strlist *done, struct findings *f)
{
	char *ref = kobj_ref(svc);
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("VirtualService %s/%s has http rules for %s.%s", vs->ns, vs->name,
			       svc->name, svc->ns));
	if (!sl_has(done, ref) && (service_external(svc) || service_in_mesh(c, svc)) &&
	    !http_capable(c, vs, svc, &ev)) {
		sl_add(done, ref);
		findings_add(f, "service-port-naming", svc, &ev,
			     "the http rules of VirtualService %s/%s never apply: every port of %s "
			     "they could match is plain TCP to the sidecar",
			     vs->ns, vs->name, svc->name);
		/* the rules are accepted and ignored */
		findings_rate(f, SEV_ERROR, NULL);
	}
	sl_free(&ev);
	free(ref);
}

/*
 * The ports of one Service that break Istio's protocol selection, as
 * istiod reads them (appProtocol, else the name's prefix; UDP and the
 * well-known ports 25, 53, 3306 and 27017 aside):
 * - on an ExternalName Service, a port that is plain TCP or undeclared
 *   (IST0150, warning): it has no address of its own, so its outbound
 *   listener takes that port for every destination and sends what no other
 *   rule claims to the external name. A TLS port is told apart by SNI and
 *   an HTTP one by Host, so those are fine;
 * - on a Service of the mesh, a port that declares no protocol (IST0118,
 *   info): the sidecar sniffs it, and server-first protocols (the
 *   application speaks first) stall until the sniffing times out.
 */
static void naming_ports(struct cluster *c, const struct scope *s, const struct kobj *svc,
                         struct findings *f)
{
	bool external = service_external(svc);
	if (!external && !service_in_mesh(c, svc))
		return;
	/*
	 * An undeclared port is a convention (info), not the cause of a symptom:
	 * a flow asking about one service (s->service) reads the port itself
	 * (probe port-protocol), and inference must not take it for a cause.
	 */
	if (!external && s->service)
		return;
	struct strlist ev = {0};
	size_t i;
	json_t *port;
	json_array_foreach(jpath(svc->j, "spec.ports"), i, port) {
		char *why;
		const char *cls = routing_port_class(c, port, &why);
		const char *decl = jstr(port, "appProtocol") ? jstr(port, "appProtocol")
		                                              : jstr(port, "name");
		bool tls = decl && (strncasecmp(decl, "tls", 3) == 0 || strncasecmp(decl, "https", 5) == 0);
		if (strcmp(cls, "sniffed") == 0 || (external && strcmp(cls, "opaque") == 0 && !tls))
			sl_take(&ev, why);
		else
			free(why);
	}
	if (!ev.n)
		return;
	if (external) {
		sl_take(&ev, xasprintf("Service %s/%s is ExternalName (%s): it has no cluster IP, so "
		                       "sidecars listen on such a port for every destination",
		                       svc->ns, svc->name,
		                       jstr(svc->j, "spec.externalName") ? jstr(svc->j, "spec.externalName")
		                                                          : "no externalName"));
		findings_add(f, "service-port-naming", svc, &ev,
		             "TCP traffic of every sidecar on the ports of ExternalName Service %s that "
		             "no other rule claims goes to its external name: name them http-... or "
		             "tls-..., or use a ServiceEntry",
		             svc->name);
		findings_rate(f, SEV_WARNING, "IST0150");
	} else {
		findings_add(f, "service-port-naming", svc, &ev,
		             "Service %s has ports without a declared protocol (name prefix or "
		             "appProtocol): the sidecar has to guess it",
		             svc->name);
		findings_rate(f, SEV_INFO, "IST0118");
	}
}

static void port_naming(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "service-port-naming";
	if (!need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	const char *why;
	bool vs_known = cluster_has_kind(c, "VirtualService", &why);
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	struct strlist done = {0};
	for (size_t i = 0; vs_known && i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		size_t k;
		json_t *h;
		bool l7 = routing_vs_for_mesh(vs) && json_array_size(jpath(vs->j, "spec.http"));
		json_array_foreach(l7 ? jpath(vs->j, "spec.hosts") : NULL, k, h) {
			const char *host = json_string_value(h);
			char *fqdn = host ? host_fqdn(host, vs->ns) : NULL;
			const struct kobj *svc = fqdn ? service_of_host(c, fqdn) : NULL;
			if (svc && service_wanted(s, svc) && !namespace_exempt(c, svc->ns))
				naming_one(c, vs, svc, &done, f);
			free(fqdn);
		}
	}
	if (!vs_known)
		findings_skip(f, check, "VirtualService: cannot tell which http rules are ignored");
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		char *ref = kobj_ref(svcs->v[i]);
		if (service_wanted(s, svcs->v[i]) && !namespace_exempt(c, svcs->v[i]->ns) &&
		    !sl_has(&done, ref))
			naming_ports(c, s, svcs->v[i], f);
		free(ref);
	}
	sl_free(&done);
}

static const struct detector det_port_naming = {"service-port-naming", "service-port-naming",
					 port_naming};

/* The container port a Service port reaches on a pod (a named targetPort is looked up). */
static long container_port(json_t *port, const struct kobj *pod)
{
	json_t *t = json_object_get(port, "targetPort");
	if (json_is_integer(t))
		return (long)json_integer_value(t);
	if (!json_is_string(t))
		return (long)json_integer_value(json_object_get(port, "port"));
	size_t i, k;
	json_t *ctr, *cp;
	json_array_foreach(jpath(pod->j, "spec.containers"), i, ctr)
		json_array_foreach(json_object_get(ctr, "ports"), k, cp) {
			const char *n = jstr(cp, "name");
			json_t *number = json_object_get(cp, "containerPort");
			if (n && strcmp(n, json_string_value(t)) == 0)
				return (long)json_integer_value(number);
		}
	return -1;
}

/* One Service port that reaches a container port of a shared pod, with its class. */
struct port_decl {
	const struct kobj *svc;
	json_t *port;
	const char *cls;
	char *why;
};

/* The declaration of a container port by one Service, if it has one that is explicit. */
static bool declares(struct cluster *c, const struct kobj *svc, const struct kobj *pod, long cport,
		     struct port_decl *out)
{
	size_t i;
	json_t *port;
	json_array_foreach(jpath(svc->j, "spec.ports"), i, port) {
		if (container_port(port, pod) != cport)
			continue;
		char *why;
		const char *cls = routing_port_class(c, port, &why);
		if (strcmp(cls, "http") == 0 || strcmp(cls, "opaque") == 0) {
			*out = (struct port_decl){svc, port, cls, why};
			return true;
		}
		free(why);
	}
	return false;
}

/* A running pod that both Services select, or NULL. */
static const struct kobj *shared_pod(struct cluster *c, const struct kobj *a, const struct kobj *b)
{
	json_t *sel = jpath(b->j, "spec.selector");
	if (!json_object_size(sel))
		return NULL;
	struct kobj_list pods = service_pods(c, a);
	const struct kobj *shared = NULL;
	for (size_t i = 0; i < pods.n && !shared; i++) {
		json_t *labels = jpath(pods.v[i]->j, "metadata.labels");
		if (pod_running(pods.v[i]) && labels_match(sel, labels))
			shared = pods.v[i];
	}
	free(pods.v);
	return shared;
}

/* Report one container port that Service a declares as HTTP and Service b as TCP. */
static void mixed_pair(struct cluster *c, const struct kobj *a, const struct kobj *b,
		       struct findings *f)
{
	const struct kobj *pod = shared_pod(c, a, b);
	size_t i;
	json_t *port;
	bool reported = false;
	json_array_foreach(pod ? jpath(a->j, "spec.ports") : NULL, i, port) {
		long cport = container_port(port, pod);
		struct port_decl da, db;
		if (reported || cport < 0 || !declares(c, a, pod, cport, &da))
			continue;
		if (declares(c, b, pod, cport, &db)) {
			reported = strcmp(da.cls, "http") == 0 && strcmp(db.cls, "opaque") == 0;
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("Service %s/%s: %s", a->ns, a->name, da.why));
			sl_take(&ev, xasprintf("Service %s/%s: %s", b->ns, b->name, db.why));
			sl_take(&ev, xasprintf("both reach container port %ld of pod %s", cport,
					       pod->name));
			if (reported)
				findings_add(f, "mixed-protocol-port", a, &ev,
					     "container port %ld is declared HTTP by %s and TCP by "
					     "%s: its listener can speak only one of them",
					     cport, a->name, b->name);
			sl_free(&ev);
			free(db.why);
		}
		free(da.why);
	}
}

/* Whether some port of the Service is of a class ("http", "opaque"). */
static bool has_class(struct cluster *c, const struct kobj *svc, const char *cls)
{
	bool has = false;
	size_t i;
	json_t *port;
	json_array_foreach(jpath(svc->j, "spec.ports"), i, port) {
		char *why;
		const char *got = routing_port_class(c, port, &why);
		has = has || strcmp(got, cls) == 0;
		free(why);
	}
	return has;
}

/* Pairs of Services of one namespace: an HTTP port on one side, a TCP port on the other. */
static void mixed_in(struct cluster *c, const struct scope *s, const char *ns, struct findings *f)
{
	const struct kobj_list *svcs = cluster_list(c, "Service", ns);
	bool *opaque = xcalloc(svcs->n + 1, sizeof(*opaque));
	for (size_t i = 0; i < svcs->n; i++)
		opaque[i] = has_class(c, svcs->v[i], "opaque");
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *a = svcs->v[i];
		bool http = has_class(c, a, "http");
		for (size_t k = 0; http && k < svcs->n; k++) {
			const struct kobj *b = svcs->v[k];
			/* the pair is in scope when either side is the scoped service */
			bool scoped = !s->service || strcmp(a->name, s->service) == 0 ||
				      strcmp(b->name, s->service) == 0;
			if (i != k && opaque[k] && scoped)
				mixed_pair(c, a, b, f);
		}
	}
	free(opaque);
}

static void mixed_protocol(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "mixed-protocol-port";
	if (!need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	const struct strlist *nss = cluster_namespaces(c);
	for (size_t i = 0; i < nss->n; i++)
		if ((!s->ns || strcmp(s->ns, nss->v[i]) == 0) && !namespace_exempt(c, nss->v[i]))
			mixed_in(c, s, nss->v[i], f);
}

static const struct detector det_mixed_protocol = {"mixed-protocol-port", "mixed-protocol-port",
					    mixed_protocol};

/* Whether some VirtualService routes to the subset of a host (a DR host pattern). */
static bool subset_routed(struct cluster *c, const char *pattern, const char *subset)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	bool routed = false;
	for (size_t i = 0; i < vss->n && !routed; i++) {
		json_t *dests = vs_destinations(vss->v[i]);
		size_t k;
		json_t *d;
		json_array_foreach(dests, k, d) {
			const char *h = jstr(d, "host"), *sub = jstr(d, "subset");
			if (!h || !sub || strcmp(sub, subset) != 0)
				continue;
			char *fqdn = host_fqdn(h, vss->v[i]->ns);
			routed = routed || host_matches(pattern, fqdn);
			free(fqdn);
		}
		json_decref(dests);
	}
	return routed;
}

/* Whether a DestinationRule is in scope: itself, or the Service its host names. */
static bool dr_wanted(struct cluster *c, const struct scope *s, const struct kobj *dr,
		      const char *fqdn)
{
	const struct kobj *svc = service_of_host(c, fqdn);
	if (s->service)
		return svc && service_wanted(s, svc);
	return in_scope(s, dr) || (svc && in_scope(s, svc));
}

/* A check of one DestinationRule, given its host's FQDN and the Service it names (or NULL). */
typedef void dr_check(struct cluster *c, const struct kobj *dr, const char *fqdn,
		      const struct kobj *svc, struct findings *f);

/* Run a check on every DestinationRule in scope. */
static void each_dr(struct cluster *c, const struct scope *s, struct findings *f, dr_check *fn)
{
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++) {
		const char *host = jstr(drs->v[i]->j, "spec.host");
		char *fqdn = host ? host_fqdn(host, drs->v[i]->ns) : NULL;
		if (fqdn && dr_wanted(c, s, drs->v[i], fqdn))
			fn(c, drs->v[i], fqdn, service_of_host(c, fqdn), f);
		free(fqdn);
	}
}

/* The keys of a JSON object, comma-separated. New string. */
static char *keys_of(json_t *obj)
{
	struct strlist keys = {0};
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
		sl_add(&keys, key);
	char *list = joined(&keys);
	sl_free(&keys);
	return list;
}

/* Each subset of a DR with its own traffic policy must receive traffic from some route. */
static void subset_policy_dr(struct cluster *c, const struct kobj *dr, const char *fqdn,
			     const struct kobj *svc, struct findings *f)
{
	(void)svc;
	size_t k;
	json_t *sub;
	json_array_foreach(jpath(dr->j, "spec.subsets"), k, sub) {
		json_t *tp = json_object_get(sub, "trafficPolicy");
		const char *name = jstr(sub, "name");
		if (!name || !json_object_size(tp) || subset_routed(c, fqdn, name))
			continue;
		char *keys = keys_of(tp);
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("DestinationRule %s/%s: subset %s sets trafficPolicy (%s)",
				       dr->ns, dr->name, name, keys));
		sl_take(&ev, xasprintf("no VirtualService routes to subset %s of %s", name, fqdn));
		findings_add(f, "dr-subset-policy-inactive", dr, &ev,
			     "the traffic policy of subset %s never applies: no route sends "
			     "traffic to that subset", name);
		free(keys);
	}
}

static void subset_policy(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dr-subset-policy-inactive";
	if (need_kind(c, f, check, "DestinationRule") && need_kind(c, f, check, "VirtualService"))
		each_dr(c, s, f, subset_policy_dr);
}

static const struct detector det_subset_policy = {"dr-subset-policy-inactive",
						  "dr-subset-policy-inactive", subset_policy};

/* The subsets that the first mesh VirtualService for an FQDN routes it to. */
static const struct kobj *mesh_subsets(struct cluster *c, const char *fqdn, struct strlist *subsets)
{
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < vss->n && !subsets->n; i++) {
		bool mesh = routing_vs_covers(vss->v[i], fqdn);
		json_t *dests = mesh ? vs_destinations(vss->v[i]) : NULL;
		size_t k;
		json_t *d;
		json_array_foreach(dests, k, d) {
			const char *h = jstr(d, "host"), *sub = jstr(d, "subset");
			char *hf = h && sub ? host_fqdn(h, vss->v[i]->ns) : NULL;
			if (hf && strcmp(hf, fqdn) == 0 && !sl_has(subsets, sub))
				sl_add(subsets, sub);
			free(hf);
		}
		json_decref(dests);
		if (subsets->n)
			return vss->v[i];
	}
	return NULL;
}

/* One gateway-only VirtualService: its destinations without subset that the mesh splits. */
static void gateway_vs(struct cluster *c, const struct scope *s, const struct kobj *gw,
		       struct findings *f)
{
	json_t *dests = vs_destinations(gw);
	struct strlist seen = {0};
	size_t k;
	json_t *d;
	json_array_foreach(dests, k, d) {
		const char *h = jstr(d, "host");
		if (!h || jstr(d, "subset"))
			continue;
		char *fqdn = host_fqdn(h, gw->ns);
		const struct kobj *svc = service_of_host(c, fqdn), *mesh = NULL;
		bool wanted = s->service ? svc && service_wanted(s, svc)
					 : in_scope(s, gw) || (svc && in_scope(s, svc));
		struct strlist subs = {0};
		if (wanted && !sl_has(&seen, fqdn))
			mesh = mesh_subsets(c, fqdn, &subs);
		char *subsets = mesh ? joined(&subs) : NULL;
		sl_free(&subs);
		if (subsets) {
			sl_add(&seen, fqdn);
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("VirtualService %s/%s is bound to gateways only "
					       "and routes %s without a subset", gw->ns, gw->name,
					       fqdn));
			sl_take(&ev, xasprintf("VirtualService %s/%s (mesh) routes %s to subsets "
					       "%s", mesh->ns, mesh->name, fqdn, subsets));
			findings_add(f, "gateway-vs-ignores-subset", gw, &ev,
				     "requests through the gateway reach every version of %s: the "
				     "subset routing of %s/%s applies only inside the mesh",
				     svc ? svc->name : fqdn, mesh->ns, mesh->name);
		}
		free(subsets);
		free(fqdn);
	}
	sl_free(&seen);
	json_decref(dests);
}

static void gateway_subset(struct cluster *c, const struct scope *s, struct findings *f)
{
	if (!need_kind(c, f, "gateway-vs-ignores-subset", "VirtualService"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < vss->n; i++)
		if (!routing_vs_for_mesh(vss->v[i]))
			gateway_vs(c, s, vss->v[i], f);
}

static const struct detector det_gateway_subset = {"gateway-vs-ignores-subset",
						   "gateway-vs-ignores-subset", gateway_subset};

/* Add a trafficPolicy and its port-level settings to out. Returns the new count. */
static size_t add_policy(json_t *tp, json_t **out, size_t n, size_t max)
{
	if (!json_is_object(tp))
		return n;
	if (n < max)
		out[n++] = tp;
	size_t i;
	json_t *pl;
	json_array_foreach(json_object_get(tp, "portLevelSettings"), i, pl)
		if (n < max)
			out[n++] = pl;
	return n;
}

/* Every traffic policy of a DestinationRule: top level, per subset, and their port levels. */
static size_t dr_policies(const struct kobj *dr, json_t **out, size_t max)
{
	size_t n = add_policy(jpath(dr->j, "spec.trafficPolicy"), out, 0, max);
	size_t i;
	json_t *sub;
	json_array_foreach(jpath(dr->j, "spec.subsets"), i, sub)
		n = add_policy(json_object_get(sub, "trafficPolicy"), out, n, max);
	return n;
}

#define MAX_POLICIES 64

/* The first policy of the DR with a field (for example "outlierDetection"), or NULL. */
static json_t *dr_policy_with(const struct kobj *dr, const char *field)
{
	json_t *pol[MAX_POLICIES];
	size_t n = dr_policies(dr, pol, MAX_POLICIES);
	for (size_t i = 0; i < n; i++)
		if (json_object_get(pol[i], field))
			return pol[i];
	return NULL;
}

/*
 * Whether a localityLbSetting relies on failover, which Istio programs only
 * when outlier detection is configured: failover or failoverPriority, or an
 * enabled setting without distribute weights.
 */
static bool locality_needs_outlier(json_t *lls)
{
	if (!json_is_object(lls) || json_is_false(json_object_get(lls, "enabled")))
		return false;
	return json_array_size(json_object_get(lls, "failover")) ||
	       json_array_size(json_object_get(lls, "failoverPriority")) ||
	       !json_object_get(lls, "distribute");
}

/* What a locality setting asks for, for evidence. */
static const char *locality_kind(json_t *lls)
{
	if (json_array_size(json_object_get(lls, "failover")))
		return "failover";
	if (json_array_size(json_object_get(lls, "failoverPriority")))
		return "failoverPriority";
	return "locality-prioritised load balancing";
}

/* A locality setting of the DR that needs outlier detection, or NULL. */
static json_t *dr_locality(const struct kobj *dr)
{
	json_t *pol[MAX_POLICIES];
	size_t n = dr_policies(dr, pol, MAX_POLICIES);
	for (size_t i = 0; i < n; i++) {
		json_t *lls = jpath(pol[i], "loadBalancer.localityLbSetting");
		if (locality_needs_outlier(lls))
			return lls;
	}
	return NULL;
}

static void add_no_outlier(struct findings *f, const struct kobj *on, const char *source,
			   json_t *lls, const char *host)
{
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("%s: localityLbSetting with %s for %s", source, locality_kind(lls),
			       host));
	sl_take(&ev, xasprintf("no outlierDetection in the DestinationRule for %s", host));
	findings_add(f, "locality-lb-no-outlier-detection", on, &ev,
		     "locality failover for %s never happens: without outlierDetection no endpoint "
		     "is ever seen as unhealthy, so Istio does not program the failover",
		     host);
}

/* meshConfig's locality setting for the one Service in scope (the DR sets none of its own). */
static void mesh_locality(struct cluster *c, const struct scope *s, struct findings *f)
{
	json_t *lls = json_object_get(cluster_mesh_config(c), "localityLbSetting");
	const struct kobj *svc = s->service ? cluster_get(c, "Service", s->ns ? s->ns : "default",
							  s->service) : NULL;
	if (!svc || !locality_needs_outlier(lls) || service_headless(svc))
		return;
	char *fqdn = host_fqdn(svc->name, svc->ns);
	const struct kobj *dr = dr_for_host(c, fqdn, svc->ns);
	if (!dr || (!jpath(dr->j, "spec.trafficPolicy.loadBalancer.localityLbSetting") &&
		    !dr_policy_with(dr, "outlierDetection")))
		add_no_outlier(f, dr ? dr : svc, "meshConfig", lls, fqdn);
	free(fqdn);
}

/* A DR whose own locality setting needs outlier detection that it lacks. */
static void locality_dr(struct cluster *c, const struct kobj *dr, const char *fqdn,
			const struct kobj *svc, struct findings *f)
{
	(void)c;
	json_t *lls = dr_locality(dr);
	/* a headless service ignores locality anyway: headless-lb-policy-ignored says so */
	if (!lls || (svc && service_headless(svc)) || dr_policy_with(dr, "outlierDetection"))
		return;
	char *src = xasprintf("DestinationRule %s/%s", dr->ns, dr->name);
	add_no_outlier(f, dr, src, lls, fqdn);
	free(src);
}

static void locality_outlier(struct cluster *c, const struct scope *s, struct findings *f)
{
	if (!need_kind(c, f, "locality-lb-no-outlier-detection", "DestinationRule"))
		return;
	each_dr(c, s, f, locality_dr);
	mesh_locality(c, s, f);
}

static const struct detector det_locality_outlier = {"locality-lb-no-outlier-detection",
					      "locality-lb-no-outlier-detection", locality_outlier};

/* The load-balancer setting of a policy that a passthrough cluster ignores, or NULL. */
static const char *lb_setting(json_t *policy)
{
	json_t *lb = json_object_get(policy, "loadBalancer");
	const char *simple = jstr(lb, "simple");
	if (json_object_get(lb, "consistentHash"))
		return "consistentHash";
	if (json_object_get(lb, "localityLbSetting"))
		return "localityLbSetting";
	/* PASSTHROUGH asks for what a headless service does anyway */
	if (simple && strcmp(simple, "PASSTHROUGH") != 0)
		return simple;
	return NULL;
}

/* A DR with a load-balancer setting for a headless Service. */
static void headless_dr(struct cluster *c, const struct kobj *dr, const char *fqdn,
			const struct kobj *svc, struct findings *f)
{
	(void)c, (void)fqdn;
	json_t *pol[MAX_POLICIES];
	size_t n = svc && service_headless(svc) ? dr_policies(dr, pol, MAX_POLICIES) : 0;
	const char *what = NULL;
	for (size_t k = 0; k < n && !what; k++)
		what = lb_setting(pol[k]);
	if (!what)
		return;
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("Service %s/%s is headless (clusterIP None)", svc->ns, svc->name));
	sl_take(&ev, xasprintf("DestinationRule %s/%s sets loadBalancer %s", dr->ns, dr->name,
			       what));
	findings_add(f, "headless-lb-policy-ignored", dr, &ev,
		     "loadBalancer %s has no effect: calls to the headless %s go to the address "
		     "the client resolved, without load balancing",
		     what, svc->name);
}

static void headless_lb(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "headless-lb-policy-ignored";
	if (need_kind(c, f, check, "DestinationRule") && need_kind(c, f, check, "Service"))
		each_dr(c, s, f, headless_dr);
}

static const struct detector det_headless_lb = {"headless-lb-policy-ignored",
						"headless-lb-policy-ignored", headless_lb};

/* Whether a ServiceEntry declares the host. */
static bool service_entry_for(struct cluster *c, const char *fqdn)
{
	return cluster_has_kind(c, "ServiceEntry", NULL) && mesh_service_entry(c, fqdn, NULL);
}

/*
 * The namespaces other than the rule's that hold a Service called name,
 * comma-separated; NULL if none, or if neither the rule nor those Services
 * are in scope. New string.
 */
static char *namesakes(struct cluster *c, const char *name, const struct kobj *rule,
		       const struct scope *s)
{
	const struct kobj_list *svcs = cluster_list(c, "Service", NULL);
	struct strlist where = {0};
	bool wanted = !s->service && in_scope(s, rule);
	for (size_t i = 0; i < svcs->n; i++)
		if (strcmp(svcs->v[i]->name, name) == 0 && strcmp(svcs->v[i]->ns, rule->ns) != 0) {
			sl_add(&where, svcs->v[i]->ns);
			wanted = wanted || service_wanted(s, svcs->v[i]);
		}
	char *list = where.n && wanted ? joined(&where) : NULL;
	sl_free(&where);
	return list;
}

/*
 * One short host of a rule: it names the Service in the rule's own
 * namespace; report it when no such Service or ServiceEntry exists there
 * but a Service of that name lives elsewhere.
 */
static void short_host(struct cluster *c, const struct scope *s, const struct kobj *rule,
		       const char *host, const char *field, struct findings *f)
{
	if (strchr(host, '.') || strchr(host, '*') || cluster_get(c, "Service", rule->ns, host))
		return;
	char *fqdn = host_fqdn(host, rule->ns);
	char *where = service_entry_for(c, fqdn) ? NULL : namesakes(c, host, rule, s);
	if (where) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("%s %s/%s: %s '%s' means %s", rule->kind, rule->ns,
				       rule->name, field, host, fqdn));
		sl_take(&ev, xasprintf("no Service %s in namespace %s; Service %s exists in: %s",
				       host, rule->ns, host, where));
		findings_add(f, "rule-host-wrong-namespace", rule, &ev,
			     "the rule describes %s, which does not exist; use the full name "
			     "%s.NAMESPACE.svc.cluster.local of the Service you mean", fqdn, host);
		/* istioctl analyze reports a DestinationRule host that names no service */
		if (strcmp(rule->kind, "DestinationRule") == 0)
			findings_rate(f, SEV_UNSET, "IST0174");
	}
	free(where);
	free(fqdn);
}

static void wrong_namespace(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "rule-host-wrong-namespace";
	if (!need_kind(c, f, check, "Service") || !need_kind(c, f, check, "VirtualService") ||
	    !need_kind(c, f, check, "DestinationRule"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < vss->n; i++) {
		size_t k;
		json_t *h;
		bool mesh = routing_vs_for_mesh(vss->v[i]);
		json_t *hosts = mesh ? jpath(vss->v[i]->j, "spec.hosts") : NULL;
		json_array_foreach(hosts, k, h)
			if (json_string_value(h))
				short_host(c, s, vss->v[i], json_string_value(h), "host", f);
	}
	const struct kobj_list *drs = cluster_list(c, "DestinationRule", NULL);
	for (size_t i = 0; i < drs->n; i++)
		if (jstr(drs->v[i]->j, "spec.host"))
			short_host(c, s, drs->v[i], jstr(drs->v[i]->j, "spec.host"), "host", f);
}

static const struct detector det_wrong_namespace = {"rule-host-wrong-namespace",
						    "rule-host-wrong-namespace", wrong_namespace};

/* Whether a host of a rule's (a short name completed in ns) is the scoped service's. */
static bool host_wanted(struct cluster *c, const struct scope *s, const char *host, const char *ns)
{
	if (!s->service)
		return true;
	char *fqdn = host_fqdn(host, ns);
	const struct kobj *svc = service_of_host(c, fqdn);
	free(fqdn);
	return svc && service_wanted(s, svc);
}

/* One mirror destination: evidence when its subset is defined by no DestinationRule. */
static void mirror_one(struct cluster *c, const struct scope *s, const struct kobj *vs,
                       json_t *dest, size_t route, struct strlist *ev)
{
	const char *host = jstr(dest, "host"), *subset = jstr(dest, "subset");
	if (!host || !subset || !host_wanted(c, s, host, vs->ns))
		return;
	char *fqdn = host_fqdn(host, vs->ns);
	/* the client's namespace picks the rules (merged): for a mirror, the sidecars that read the VS */
	struct dr_set set;
	const struct kobj *dr = dr_lookup(c, fqdn, vs->ns, &set) ? set.v[0] : NULL;
	if (!dr || !dr_set_subset(&set, subset, NULL)) {
		sl_take(ev, xasprintf("http[%zu] mirrors to %s subset %s", route, host, subset));
		sl_take(ev, dr ? xasprintf("DestinationRule %s/%s for %s defines no subset %s",
		                           dr->ns, dr->name, fqdn, subset)
		               : xasprintf("no DestinationRule applies to %s", fqdn));
	}
	free(fqdn);
}

/*
 * VirtualServices that mirror (http[].mirror, or the mirrors list of
 * Istio 1.22 and later) to a subset no DestinationRule defines: the mirror
 * cluster does not exist, so Envoy drops every copy while the real requests
 * go through unharmed. Nobody notices until the shadow service is found
 * idle. istioctl analyze reports the single mirror as IST0101.
 */
static void mirror_subset(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "mirror-subset-undefined";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, "DestinationRule"))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->service ? NULL : s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		if (namespace_exempt(c, vs->ns) && strcmp(vs->ns, cluster_control_namespace(c)) != 0)
			continue;
		struct strlist ev = {0};
		size_t r;
		json_t *rule;
		json_array_foreach(jpath(vs->j, "spec.http"), r, rule) {
			json_t *m = json_object_get(rule, "mirror");
			if (m)
				mirror_one(c, s, vs, m, r, &ev);
			size_t k;
			json_t *one;
			json_array_foreach(json_object_get(rule, "mirrors"), k, one)
				mirror_one(c, s, vs, json_object_get(one, "destination"), r, &ev);
		}
		if (!ev.n)
			continue;
		findings_add(f, check, vs, &ev,
		             "VirtualService %s mirrors traffic to a subset that no DestinationRule "
		             "defines: every mirrored request is dropped",
		             vs->name);
		findings_rate(f, SEV_WARNING, "IST0101");
	}
}

static const struct detector det_mirror_subset = {"mirror-subset-undefined",
                                                  "mirror-subset-undefined", mirror_subset};

/*
 * Whether a listener hostname and a VirtualService host have a host in
 * common. No hostname means every host; "*.example.com" takes any name
 * below example.com (not example.com itself), and so does a VS wildcard.
 */
static bool listener_meets(const char *hostname, const char *host)
{
	if (!hostname || strcmp(host, "*") == 0)
		return true;
	return host_matches(hostname, host) || host_matches(host, hostname);
}

/* A "gateways" entry as "ns/name" (new string), NULL for mesh. */
static char *gateway_ref(const char *ref, const char *vs_ns)
{
	if (strcmp(ref, "mesh") == 0)
		return NULL;
	const char *slash = strchr(ref, '/');
	if (!slash)
		return xasprintf("%s/%s", vs_ns, ref);
	if (slash == ref + 1 && ref[0] == '.')
		return xasprintf("%s%s", vs_ns, slash);
	return xstrdup(ref);
}

/* The listener hostnames of a Gateway API Gateway, for evidence. New string. */
static char *listener_hosts(const struct kobj *gw)
{
	struct strlist l = {0};
	size_t i;
	json_t *ln;
	json_array_foreach(jpath(gw->j, "spec.listeners"), i, ln) {
		char *one = xasprintf("%s:%lld %s", jstr(ln, "name") ? jstr(ln, "name") : "?",
		                      json_integer_value(json_object_get(ln, "port")),
		                      jstr(ln, "hostname") ? jstr(ln, "hostname") : "(any host)");
		sl_take(&l, one);
	}
	char *s = joined(&l);
	sl_free(&l);
	return s;
}

/*
 * VirtualServices bound to a Kubernetes Gateway (gateway.networking.k8s.io,
 * which Istio accepts in a VirtualService's gateways list) none of whose
 * hosts any listener hostname of that Gateway covers: Istio binds a
 * VirtualService to a gateway listener only for the hosts they share, so
 * these routes are never served there, and the host gets 404.
 */
static void k8s_gateway_hosts(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "vs-k8s-gateway-host-mismatch";
	if (!need_kind(c, f, check, "VirtualService") || !need_kind(c, f, check, KIND_K8S_GATEWAY))
		return;
	const struct kobj_list *vss = cluster_list(c, "VirtualService", s->service ? NULL : s->ns);
	for (size_t i = 0; i < vss->n; i++) {
		const struct kobj *vs = vss->v[i];
		json_t *hosts = jpath(vs->j, "spec.hosts");
		bool wanted = !s->service;
		for (size_t h = 0; !wanted && h < json_array_size(hosts); h++)
			wanted = json_string_value(json_array_get(hosts, h)) &&
			         host_wanted(c, s, json_string_value(json_array_get(hosts, h)), vs->ns);
		size_t g;
		json_t *ref;
		json_array_foreach(wanted ? jpath(vs->j, "spec.gateways") : NULL, g, ref) {
			char *full = json_string_value(ref) ? gateway_ref(json_string_value(ref), vs->ns)
			                                    : NULL;
			char *slash = full ? strchr(full, '/') : NULL;
			const struct kobj *gw = NULL;
			if (slash) {
				*slash = '\0';
				gw = cluster_get(c, KIND_K8S_GATEWAY, full, slash + 1);
			}
			free(full);
			if (!gw)
				continue;
			bool meets = false;
			json_t *lns = jpath(gw->j, "spec.listeners");
			for (size_t h = 0; !meets && h < json_array_size(hosts); h++) {
				const char *vh = json_string_value(json_array_get(hosts, h));
				char *fq = vh ? (strchr(vh, '.') || strchr(vh, '*') ? xstrdup(vh)
				                                                    : host_fqdn(vh, vs->ns))
				              : NULL;
				for (size_t l = 0; fq && !meets && l < json_array_size(lns); l++)
					meets = listener_meets(jstr(json_array_get(lns, l), "hostname"), fq);
				free(fq);
			}
			if (meets || !json_array_size(lns))
				continue;
			struct strlist ev = {0};
			char *lh = listener_hosts(gw);
			char *vh = json_dumps(hosts, JSON_COMPACT);
			sl_take(&ev, xasprintf("VirtualService %s/%s is bound to Gateway %s/%s "
			                       "(gateway.networking.k8s.io)",
			                       vs->ns, vs->name, gw->ns, gw->name));
			sl_take(&ev, xasprintf("its listeners: %s", lh));
			sl_take(&ev, xasprintf("the VirtualService's hosts: %s", vh ? vh : "none"));
			findings_add(f, check, vs, &ev,
			             "no host of VirtualService %s is served by a listener of Kubernetes "
			             "Gateway %s/%s: its routes never apply there (404)",
			             vs->name, gw->ns, gw->name);
			findings_rate(f, SEV_ERROR, NULL);
			free(lh);
			free(vh);
		}
	}
}

static const struct detector det_k8s_gateway_hosts = {"vs-k8s-gateway-host-mismatch",
                                                      "vs-k8s-gateway-host-mismatch",
                                                      k8s_gateway_hosts};

const struct detector *const detectors_routing[] = {
	&det_port_naming,  &det_mixed_protocol,   &det_subset_policy, &det_gateway_subset,
	&det_locality_outlier, &det_headless_lb, &det_wrong_namespace, &det_mirror_subset,
	&det_k8s_gateway_hosts, NULL,
};
