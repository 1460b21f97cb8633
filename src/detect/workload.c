/*
 * Pods, containers and their logs as the detectors read them (workload_*,
 * shared with startup.c and the probes of probes/workload.c), and the
 * detectors of a workload's traffic that the mesh handles differently: UDP,
 * long-lived TCP, DNS, the ingress gateway's Service, the proxy's own UID,
 * pods no Service selects.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/workload.h"
#include "cluster/mesh.h"
#include "base/yamljson.h"

/* How many lines count as "at start" in a log. */
#define START_LINES 30

/* Log signatures, matched case-insensitively. */
static const char *const net_signs[] = {"connection refused",
                                        "econnrefused",
                                        "no such host",
                                        "temporary failure in name resolution",
                                        "name or service not known",
                                        "could not resolve",
                                        "upstream connect error",
                                        "no healthy upstream",
                                        "503 service unavailable",
                                        NULL};

/* The first of the first max lines (0: all) with one of signs, as a new string; NULL if none. */
char *workload_log_match(const char *text, const char *const *signs, size_t max)
{
	size_t n = 0;
	for (const char *line = text; line && *line && (!max || n < max); n++) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *l = xstrndup(line, len);
		for (const char *const *s = signs; *s; s++)
			if (strcasestr(l, *s)) {
				/* long lines (stack traces, JSON) are cut for the evidence */
				if (len > 200)
					l[200] = '\0';
				return l;
			}
		free(l);
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

json_t *workload_status(const struct kobj *pod, const char *container)
{
	static const char *const lists[] = {"status.containerStatuses",
	                                    "status.initContainerStatuses"};
	for (size_t k = 0; k < MM_ARRAY_LEN(lists); k++) {
		json_t *sts = jpath(pod->j, lists[k]);
		for (size_t i = 0; i < json_array_size(sts); i++) {
			const char *n = jstr(json_array_get(sts, i), "name");
			if (n && strcmp(n, container) == 0)
				return json_array_get(sts, i);
		}
	}
	return NULL;
}

bool workload_is_app(const char *container)
{
	static const char *const istio[] = {"istio-proxy", "istio-init", "istio-validation"};
	for (size_t i = 0; i < MM_ARRAY_LEN(istio); i++)
		if (strcmp(container, istio[i]) == 0)
			return false;
	return true;
}

long workload_restarts(json_t *st)
{
	return (long)json_integer_value(json_object_get(st, "restartCount"));
}

/*
 * The first network error near the start of a container's log (the run
 * before the last restart when previous), or NULL; *why is set (new) when
 * the log could not be read.
 */
char *workload_net_error(struct cluster *c, const struct kobj *pod, const char *container,
                         bool previous, char **why)
{
	*why = NULL;
	char *text = cluster_log(c, pod->ns, pod->name, container, previous, why);
	if (!text)
		return NULL;
	char *line = workload_log_match(text, net_signs, START_LINES);
	free(text);
	return line;
}

/* A pod's proxy.istio.io/config annotation, parsed; NULL if absent. New reference. */
static json_t *pod_proxy_config(const struct kobj *pod)
{
	const char *y = json_string_value(
	    json_object_get(jpath(pod->j, "metadata.annotations"), "proxy.istio.io/config"));
	json_t *j = y ? yaml_first_doc(y) : NULL;
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* The injector's values (ConfigMap istio-sidecar-injector, key values, JSON); NULL if unknown. */
json_t *workload_injector_values(struct cluster *c)
{
	const struct kobj *cm =
	    cluster_get(c, "ConfigMap", cluster_control_namespace(c), "istio-sidecar-injector");
	const char *v = cm ? jstr(cm->j, "data.values") : NULL;
	return v ? json_loads(v, 0, NULL) : NULL;
}

/* A JSON true, or the string "true" (annotations and proxyMetadata carry strings). */
static bool truthy(json_t *v)
{
	return json_is_true(v) ||
	       (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0);
}

json_t *workload_container_named(json_t *list, const char *name)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *n = jstr(json_array_get(list, i), "name");
		if (n && strcmp(n, name) == 0)
			return json_array_get(list, i);
	}
	return NULL;
}

/*
 * Whether the pod's applications wait for the proxy: istio-proxy is a
 * native sidecar, or it carries the postStart hook that the injector adds
 * for holdApplicationUntilProxyStarts. Settings only act at injection, so a
 * setting without the hook means the pod was injected before it; ev (may be
 * NULL) says what was found.
 */
bool workload_app_held(struct cluster *c, const struct kobj *pod, struct strlist *ev)
{
	json_t *native = workload_container_named(jpath(pod->j, "spec.initContainers"), "istio-proxy");
	const char *policy = native ? jstr(native, "restartPolicy") : NULL;
	if (policy && strcmp(policy, "Always") == 0) {
		if (ev)
			sl_add(ev, "istio-proxy runs as a native sidecar (init container with "
			           "restartPolicy Always): it starts before the application");
		return true;
	}
	json_t *proxy = workload_container_named(jpath(pod->j, "spec.containers"), "istio-proxy");
	json_t *cmd = jpath(proxy, "lifecycle.postStart.exec.command");
	for (size_t i = 0; i < json_array_size(cmd); i++) {
		const char *arg = json_string_value(json_array_get(cmd, i));
		if (arg && strcmp(arg, "wait") == 0) {
			if (ev)
				sl_add(ev, "istio-proxy has the postStart hook 'pilot-agent wait' "
				           "(holdApplicationUntilProxyStarts)");
			return true;
		}
	}
	if (!ev)
		return false;
	json_t *ann = pod_proxy_config(pod), *vals = workload_injector_values(c);
	const char *set =
	    truthy(json_object_get(ann, "holdApplicationUntilProxyStarts"))
	        ? "the pod's proxy.istio.io/config annotation"
	    : truthy(jpath(cluster_mesh_config(c), "defaultConfig.holdApplicationUntilProxyStarts"))
	        ? "meshConfig.defaultConfig"
	    : truthy(jpath(vals, "global.proxy.holdApplicationUntilProxyStarts"))
	        ? "the injector values (global.proxy)"
	        : NULL;
	if (set)
		sl_take(ev,
		        xasprintf("holdApplicationUntilProxyStarts is set in %s, but istio-proxy "
		                  "has no 'pilot-agent wait' hook: the pod was injected before "
		                  "the setting and must be restarted",
		                  set));
	else
		sl_add(ev, "holdApplicationUntilProxyStarts is not set (pod annotation, "
		           "meshConfig.defaultConfig or injector values), and istio-proxy is not a "
		           "native sidecar");
	json_decref(ann);
	json_decref(vals);
	return false;
}

char *workload_port_protocol(json_t *port)
{
	const char *p = jstr(port, "appProtocol"), *name = jstr(port, "name");
	if (!p && !name)
		return NULL;
	if (!p)
		p = name;
	size_t n = strcspn(p, "-");
	char *out = xstrndup(p, n);
	for (char *q = out; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return out;
}

/* The legacy Citadel deployment of Istio 1.4 and older, if it runs with replicas. */
const struct kobj *workload_citadel(struct cluster *c)
{
	const struct kobj_list *deps = cluster_list(c, "Deployment", cluster_control_namespace(c));
	for (size_t i = 0; i < deps->n; i++) {
		const struct kobj *d = deps->v[i];
		const char *istio = jstr(d->j, "metadata.labels.istio");
		json_t *replicas = jpath(d->j, "spec.replicas");
		bool citadel = strcmp(d->name, "istio-citadel") == 0 ||
		               (istio && strcmp(istio, "citadel") == 0);
		/* scaling it to zero is the documented way out, so that is not a finding */
		if (citadel && (!replicas || json_integer_value(replicas) > 0))
			return d;
	}
	return NULL;
}

/*
 * Where DNS capture is switched on for a pod ("pod env", "pod annotation",
 * "meshConfig"), or NULL when off. The most specific setting wins.
 */
const char *workload_dns_capture(struct cluster *c, const struct kobj *pod)
{
	static const char key[] = "ISTIO_META_DNS_CAPTURE";
	json_t *env =
	    jpath(workload_container_named(jpath(pod->j, "spec.containers"), "istio-proxy"), "env");
	for (size_t i = 0; i < json_array_size(env); i++) {
		const char *n = jstr(json_array_get(env, i), "name");
		if (n && strcmp(n, key) == 0)
			return truthy(json_object_get(json_array_get(env, i), "value")) ? "pod env"
			                                                                : NULL;
	}
	json_t *ann = pod_proxy_config(pod);
	json_t *v = json_object_get(json_object_get(ann, "proxyMetadata"), key);
	const char *where = NULL;
	if (v)
		where = truthy(v) ? "pod annotation" : NULL;
	else if (truthy(json_object_get(
	             jpath(cluster_mesh_config(c), "defaultConfig.proxyMetadata"), key)))
		where = "meshConfig";
	json_decref(ann);
	return where;
}

static void list_push(struct kobj_list *l, const struct kobj *o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = o;
}

/* Pods in scope that run a sidecar, outside the namespaces Istio leaves alone. Caller frees .v. */
struct kobj_list workload_mesh_pods(struct cluster *c, const struct scope *s)
{
	struct kobj_list out = {0}, owned = {0};
	const struct kobj_list *all = NULL;
	if (s->service) {
		const struct kobj *svc =
		    cluster_get(c, "Service", s->ns ? s->ns : "default", s->service);
		if (svc)
			owned = service_pods(c, svc);
		all = &owned;
	} else {
		all = cluster_list(c, "Pod", s->ns);
	}
	for (size_t i = 0; i < all->n; i++) {
		const struct kobj *p = all->v[i];
		if (pod_has_sidecar(p) && !namespace_exempt(c, p->ns) &&
		    !(s->pod && strcmp(s->pod, p->name) != 0))
			list_push(&out, p);
	}
	free(owned.v);
	return out;
}

/* Read a log for a check; NULL with the reason recorded as skipped. */
char *workload_check_log(struct cluster *c, struct findings *f, const char *check,
                       const struct kobj *pod, const char *container, bool previous)
{
	char *why = NULL;
	char *text = cluster_log(c, pod->ns, pod->name, container, previous, &why);
	if (!text)
		findings_skip(f, check, why);
	free(why);
	return text;
}

void workload_restarts_line(struct strlist *ev, const struct kobj *p, const char *container,
                          json_t *st)
{
	const char *reason = jstr(st, "lastState.terminated.reason");
	json_t *code = jpath(st, "lastState.terminated.exitCode");
	char *exit = json_is_integer(code) ? xasprintf("%lld", json_integer_value(code))
	                                   : xstrdup("unknown");
	sl_take(ev, xasprintf("pod %s/%s: container %s restart count %ld (last exit: %s, code %s)",
	                      p->ns, p->name, container, workload_restarts(st), reason ? reason : "unknown",
	                      exit));
	free(exit);
}

/* Run fn on the istio-proxy status of every pod in scope that has a sidecar. */
void workload_each_proxy(struct cluster *c, const struct scope *s, struct findings *f, const char *check,
           void (*fn)(struct cluster *, struct findings *, const struct kobj *, json_t *))
{
	if (!need_kind(c, f, check, "Pod"))
		return;
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++)
		fn(c, f, pods.v[i], workload_status(pods.v[i], "istio-proxy"));
	free(pods.v);
}

/* The Services in scope, outside exempt namespaces; with pods that run a sidecar. */
static bool mesh_service(struct cluster *c, const struct scope *s, const struct kobj *svc,
                         size_t *sidecars)
{
	if (namespace_exempt(c, svc->ns) || (s->service && strcmp(s->service, svc->name) != 0))
		return false;
	struct kobj_list pods = service_pods(c, svc);
	*sidecars = 0;
	for (size_t i = 0; i < pods.n; i++)
		*sidecars += pod_has_sidecar(pods.v[i]) && pod_running(pods.v[i]);
	free(pods.v);
	return *sidecars > 0;
}

static void non_tcp(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "non-tcp-protocol";
	if (!need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *svc = svcs->v[i];
		json_t *ports = jpath(svc->j, "spec.ports");
		struct strlist ev = {0};
		for (size_t k = 0; k < json_array_size(ports); k++) {
			json_t *pt = json_array_get(ports, k);
			const char *proto = jstr(pt, "protocol");
			if (proto && (strcmp(proto, "UDP") == 0 || strcmp(proto, "SCTP") == 0))
				sl_take(&ev,
				        xasprintf("Service %s/%s port %lld (%s) is %s", svc->ns,
				                  svc->name, json_integer_value(jpath(pt, "port")),
				                  jstr(pt, "name") ? jstr(pt, "name") : "unnamed",
				                  proto));
		}
		size_t sidecars;
		if (ev.n && mesh_service(c, s, svc, &sidecars)) {
			sl_take(&ev,
			        xasprintf("%zu running pods behind it have an istio-proxy sidecar, "
			                  "which only handles TCP",
			                  sidecars));
			findings_add(
			    f, check, svc, &ev,
			    "the non-TCP traffic of %s passes the mesh unseen and uncontrolled",
			    svc->name);
		}
		sl_free(&ev);
	}
}

static const struct detector det_non_tcp = {"non-tcp-protocol", "non-tcp-protocol", non_tcp};

/* A declared protocol that carries opaque, typically long-lived TCP connections. */
static bool long_tcp_protocol(const char *proto)
{
	static const char *const opaque[] = {"tcp", "tls", "mongo", "mysql", "redis"};
	for (size_t i = 0; proto && i < MM_ARRAY_LEN(opaque); i++)
		if (strcmp(proto, opaque[i]) == 0)
			return true;
	return false;
}

/* The Istio version, or NULL with the check recorded as skipped. */
static const char *need_version(struct cluster *c, struct findings *f, const char *check)
{
	const char *v = cluster_istio_version(c);
	char *why = v ? NULL : xasprintf("the Istio version is unknown: %s",
	                                 cluster_istio_version_note(c));
	if (why)
		findings_skip(f, check, why);
	free(why);
	return v;
}

static void cert_rotation(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "tcp-drop-on-cert-rotation";
	const char *v = need_version(c, f, check);
	if (!v || version_cmp(v, "1.5") >= 0 || !need_kind(c, f, check, "Deployment") ||
	    !need_kind(c, f, check, "Service") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj *citadel = workload_citadel(c);
	if (!citadel)
		return;
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *svc = svcs->v[i];
		json_t *ports = jpath(svc->j, "spec.ports");
		char *tcp = NULL;
		for (size_t k = 0; k < json_array_size(ports) && !tcp; k++) {
			char *proto = workload_port_protocol(json_array_get(ports, k));
			if (long_tcp_protocol(proto))
				tcp = xasprintf(
				    "port %lld is declared %s",
				    json_integer_value(jpath(json_array_get(ports, k), "port")),
				    proto);
			free(proto);
		}
		size_t sidecars;
		if (tcp && mesh_service(c, s, svc, &sidecars)) {
			struct strlist ev = {0};
			sl_take(&ev,
			        xasprintf("Istio %s with Deployment %s/%s: certificates are files "
			                  "that Envoy reloads by restarting",
			                  v, citadel->ns, citadel->name));
			sl_take(&ev, xasprintf("Service %s/%s: %s", svc->ns, svc->name, tcp));
			sl_take(&ev,
			        xasprintf("%zu running pods behind it have a sidecar", sidecars));
			findings_add(
			    f, check, svc, &ev,
			    "long-lived TCP connections to %s drop when certificates rotate",
			    svc->name);
		}
		free(tcp);
	}
}

static const struct detector det_cert_rotation = {"tcp-drop-on-cert-rotation",
                                                  "tcp-drop-on-cert-rotation", cert_rotation};

/* Images among a pod's containers that are Alpine-based (musl libc), as an evidence line. */
static void alpine_line(const struct kobj *p, struct strlist *ev)
{
	json_t *ctrs = jpath(p->j, "spec.containers");
	for (size_t i = 0; i < json_array_size(ctrs); i++) {
		const char *img = jstr(json_array_get(ctrs, i), "image");
		if (img && strcasestr(img, "alpine"))
			sl_take(ev, xasprintf("pod %s: image %s is Alpine-based (musl resolver)",
			                      p->name, img));
	}
}

static void dns_proxy(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "dns-proxy-client-incompatible";
	const char *v = need_version(c, f, check);
	/* the DNS proxy came with 1.8; 1.9.2 fixed the answers that musl and c-ares reject */
	if (!v || version_cmp(v, "1.8") < 0 || version_cmp(v, "1.9.2") >= 0 ||
	    !need_kind(c, f, check, "Pod"))
		return;
	bool mesh =
	    truthy(json_object_get(jpath(cluster_mesh_config(c), "defaultConfig.proxyMetadata"),
	                           "ISTIO_META_DNS_CAPTURE"));
	const struct kobj *cm = cluster_get(c, "ConfigMap", cluster_control_namespace(c), "istio");
	struct kobj_list pods = workload_mesh_pods(c, s);
	struct strlist mev = {0};
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		const char *where = workload_dns_capture(c, p);
		if (!where)
			continue;
		if (mesh && strcmp(where, "meshConfig") == 0) {
			alpine_line(p, &mev);
			continue;
		}
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("Istio %s: DNS proxy answers before the 1.9.2 fix", v));
		sl_take(&ev, xasprintf("pod %s/%s: ISTIO_META_DNS_CAPTURE=true (%s)", p->ns,
		                       p->name, where));
		alpine_line(p, &ev);
		findings_add(f, check, p, &ev, "name lookups in %s go through the early DNS proxy",
		             p->name);
	}
	if (mesh && cm) {
		sl_take(&mev, xasprintf("Istio %s: DNS proxy answers before the 1.9.2 fix", v));
		sl_add(&mev,
		       "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE is true: "
		       "every sidecar answers DNS");
		findings_add(f, check, cm, &mev,
		             "the whole mesh resolves names through the early DNS "
		             "proxy");
	}
	sl_free(&mev);
	free(pods.v);
}

static const struct detector det_dns_proxy = {"dns-proxy-client-incompatible",
                                              "dns-proxy-client-incompatible", dns_proxy};

/* Whether a Service fronts Istio ingress gateway pods (by its selector). */
static bool gateway_service(const struct kobj *svc)
{
	const char *istio = jstr(svc->j, "spec.selector.istio");
	return istio && strcmp(istio, "ingressgateway") == 0;
}

static void ingress_address(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "ingress-no-external-address";
	if (!need_kind(c, f, check, "Service"))
		return;
	const struct kobj_list *svcs = cluster_list(c, "Service", s->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct kobj *svc = svcs->v[i];
		const char *type = jstr(svc->j, "spec.type");
		json_t *lb = jpath(svc->j, "status.loadBalancer");
		/* a status without ingress addresses is what kubectl shows as <pending> */
		if (!gateway_service(svc) || !type || strcmp(type, "LoadBalancer") != 0 ||
		    !json_is_object(lb) || json_array_size(json_object_get(lb, "ingress")) > 0 ||
		    (s->service && strcmp(s->service, svc->name) != 0))
			continue;
		struct strlist ev = {0};
		sl_take(&ev,
		        xasprintf("Service %s/%s is type LoadBalancer and has no external address "
		                  "(EXTERNAL-IP <pending>)",
		                  svc->ns, svc->name));
		findings_add(f, check, svc, &ev,
		             "no load balancer was provisioned for the ingress gateway %s",
		             svc->name);
	}
}

static const struct detector det_ingress_address = {"ingress-no-external-address",
                                                    "ingress-no-external-address", ingress_address};

/* The UID and GID the sidecar runs as: istio-proxy's securityContext, else Istio's 1337. */
static void proxy_ids(const struct kobj *pod, long long *uid, long long *gid)
{
	json_t *proxy = workload_container_named(jpath(pod->j, "spec.containers"), "istio-proxy");
	if (!proxy)
		proxy = workload_container_named(jpath(pod->j, "spec.initContainers"), "istio-proxy");
	json_t *u = jpath(proxy, "securityContext.runAsUser");
	json_t *g = jpath(proxy, "securityContext.runAsGroup");
	*uid = json_is_integer(u) ? json_integer_value(u) : 1337;
	*gid = json_is_integer(g) ? json_integer_value(g) : 1337;
}

/* A container's id setting (runAsUser, runAsGroup): its own, else the pod's; where says which. */
static bool effective_id(const struct kobj *pod, json_t *ctr, const char *field, long long *id,
                         const char **where)
{
	json_t *own = json_object_get(json_object_get(ctr, "securityContext"), field);
	json_t *pod_level = json_object_get(jpath(pod->j, "spec.securityContext"), field);
	json_t *v = json_is_integer(own) ? own : pod_level;
	if (!json_is_integer(v))
		return false;
	*id = json_integer_value(v);
	*where = v == own ? "container securityContext" : "pod securityContext";
	return true;
}

/*
 * Application containers (not init containers, where running as the proxy
 * is the documented way past the CNI start race) whose user or group is the
 * sidecar's: istio-init's rules let that owner's packets out uncaptured.
 */
static void proxy_uid(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "app-runs-as-proxy-uid";
	if (!need_kind(c, f, check, "Pod"))
		return;
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		long long uid, gid;
		proxy_ids(p, &uid, &gid);
		json_t *ctrs = jpath(p->j, "spec.containers");
		struct strlist ev = {0};
		const char *first = NULL;
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			json_t *ctr = json_array_get(ctrs, k);
			const char *n = jstr(ctr, "name"), *where;
			long long id;
			if (!n || !workload_is_app(n))
				continue;
			if (effective_id(p, ctr, "runAsUser", &id, &where) && id == uid) {
				sl_take(&ev,
				        xasprintf("pod %s/%s: container %s runs as user %lld (%s), "
				                  "the sidecar's own user",
				                  p->ns, p->name, n, id, where));
				first = first ? first : n;
			}
			if (effective_id(p, ctr, "runAsGroup", &id, &where) && id == gid) {
				sl_take(&ev, xasprintf(
				                 "pod %s/%s: container %s runs as group %lld (%s), "
				                 "the sidecar's own group",
				                 p->ns, p->name, n, id, where));
				first = first ? first : n;
			}
		}
		if (ev.n) {
			sl_take(&ev,
			        xasprintf("istio-init leaves packets of user %lld and group %lld "
			                  "out of the redirect to Envoy",
			                  uid, gid));
			findings_add(f, check, p, &ev,
			             "the outbound traffic of %s in %s bypasses its sidecar", first,
			             p->name);
		}
		sl_free(&ev);
	}
	free(pods.v);
}

static const struct detector det_proxy_uid = {"app-runs-as-proxy-uid", "app-runs-as-proxy-uid",
                                              proxy_uid};

/* Pods that finish (Jobs, completed or failed pods) need no Service. */
static bool pod_finishes(const struct kobj *p)
{
	const char *phase = jstr(p->j, "status.phase");
	if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
		return true;
	json_t *owners = jpath(p->j, "metadata.ownerReferences");
	for (size_t i = 0; i < json_array_size(owners); i++) {
		const char *kind = jstr(json_array_get(owners, i), "kind");
		if (kind && strcmp(kind, "Job") == 0)
			return true;
	}
	return false;
}

/* The first Service in the pod's namespace whose selector matches it, or NULL. */
static const struct kobj *selecting_service(struct cluster *c, const struct kobj *p)
{
	const struct kobj_list *svcs = cluster_list(c, "Service", p->ns);
	json_t *labels = jpath(p->j, "metadata.labels");
	for (size_t i = 0; i < svcs->n; i++) {
		json_t *sel = jpath(svcs->v[i]->j, "spec.selector");
		if (json_object_size(sel) && labels_match(sel, labels))
			return svcs->v[i];
	}
	return NULL;
}

/*
 * Running pods with a sidecar that no Service selects. Up to Istio 1.19
 * istiod builds a proxy's inbound side from the Services of its pod, so
 * such a proxy knows none of its ports; 1.20 dropped that requirement.
 */
static void no_service(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "pod-without-service";
	const char *v = need_version(c, f, check);
	if (!v || version_cmp(v, "1.20") >= 0 || !need_kind(c, f, check, "Pod") ||
	    !need_kind(c, f, check, "Service"))
		return;
	/* a walk's "service" that no Service is: the workload of that app label is meant */
	const char *app = s->service && !cluster_get(c, "Service", s->ns ? s->ns : "default",
	                                             s->service)
	                      ? s->service
	                      : NULL;
	struct scope wide = {s->ns ? s->ns : "default", NULL, s->pod};
	struct kobj_list pods = workload_mesh_pods(c, app ? &wide : s);
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		if (!pod_running(p) || pod_finishes(p) || selecting_service(c, p))
			continue;
		const char *label = app ? json_string_value(jpath(p->j, "metadata.labels.app")) : NULL;
		if (app && !(label && strcmp(label, app) == 0))
			continue;
		json_t *labels = jpath(p->j, "metadata.labels");
		char *shown = json_object_size(labels)
		                  ? json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS)
		                  : xstrdup("none");
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("pod %s/%s runs a sidecar; its labels %s match the selector "
		                       "of no Service in namespace %s",
		                       p->ns, p->name, shown, p->ns));
		sl_take(&ev, xasprintf("Istio %s: istiod builds a sidecar's inbound configuration "
		                       "from the Services that select its pod",
		                       v));
		findings_add(f, check, p, &ev,
		             "no Service selects %s: the mesh knows none of its ports", p->name);
		free(shown);
	}
	free(pods.v);
}

static const struct detector det_no_service = {"pod-without-service", "pod-without-service",
                                               no_service};

/* clang-format off */
const struct detector *const detectors_workload[] = {
	&det_non_tcp,
	&det_cert_rotation,
	&det_dns_proxy,
	&det_ingress_address,
	&det_proxy_uid,
	&det_no_service,
	NULL,
};
/* clang-format on */
