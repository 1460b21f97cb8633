/*
 * Detectors of the crash flow: the sidecar and istio-init failing at start
 * (file descriptors, memory, image pulls, iptables, NET_ADMIN), health
 * probes under mutual TLS, and applications that start before their proxy.
 * Logs are read only where a container's status already points at trouble
 * (a restart, a failing init container), so `check` on a large live
 * cluster reads few of them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/yamljson.h"
#include "cluster/mesh.h"
#include "detect/detect.h"
#include "detect/workload.h"

/* Log signatures, matched case-insensitively. */
static const char *const fd_signs[] = {"fd_ != -1", "too many open files", NULL};
static const char *const rules_exist_signs[] = {"iptables-restore: line", "chain already exists",
                                                NULL};
static const char *const permission_signs[] = {"permission denied",
                                               "can't initialize iptables table",
                                               "operation not permitted", "you must be root", NULL};
/* Envoy asserting on a failed socket call: the process ran out of file descriptors. */
static void fd_assert(struct cluster *c, struct findings *f, const struct kobj *p, json_t *st)
{
	const char *last = jstr(st, "lastState.terminated.reason");
	/* a kill for memory leaves no assert to look for */
	if (workload_restarts(st) <= 0 || (last && strcmp(last, "OOMKilled") == 0))
		return;
	char *text = workload_check_log(c, f, "envoy-fd-limit", p, "istio-proxy", true);
	char *line = text ? workload_log_match(text, fd_signs, 0) : NULL;
	if (line) {
		struct strlist ev = {0};
		workload_restarts_line(&ev, p, "istio-proxy", st);
		sl_take(&ev, xasprintf("previous istio-proxy log: %s", line));
		findings_add(f, "envoy-fd-limit", p, &ev,
		             "Envoy in %s ran out of file descriptors and was restarted", p->name);
	}
	free(line);
	free(text);
}

static void envoy_fd(struct cluster *c, const struct scope *s, struct findings *f)
{
	workload_each_proxy(c, s, f, "envoy-fd-limit", fd_assert);
}

static const struct detector det_envoy_fd_limit = {"envoy-fd-limit", "envoy-fd-limit", envoy_fd};

static void oom_killed(struct cluster *c, struct findings *f, const struct kobj *p, json_t *st)
{
	const char *last = jstr(st, "lastState.terminated.reason");
	const char *now = jstr(st, "state.terminated.reason");
	if (!(last && strcmp(last, "OOMKilled") == 0) && !(now && strcmp(now, "OOMKilled") == 0))
		return;
	json_t *spec = workload_container_named(jpath(p->j, "spec.containers"), "istio-proxy");
	if (!spec)
		spec = workload_container_named(jpath(p->j, "spec.initContainers"), "istio-proxy");
	const char *limit = jstr(spec, "resources.limits.memory");
	struct strlist ev = {0};
	workload_restarts_line(&ev, p, "istio-proxy", st);
	sl_take(&ev, xasprintf("istio-proxy memory limit: %s", limit ? limit : "none set"));
	findings_add(f, "proxy-oom-killed", p, &ev,
	             "the sidecar of %s was killed for using too much memory", p->name);
}

static void proxy_oom(struct cluster *c, const struct scope *s, struct findings *f)
{
	workload_each_proxy(c, s, f, "proxy-oom-killed", oom_killed);
}

static const struct detector det_proxy_oom = {"proxy-oom-killed", "proxy-oom-killed", proxy_oom};

/* The injected containers, whose images come from the injector's settings. */
static const char *const injected[] = {"istio-init", "istio-validation", "istio-proxy"};

/* A container that waits because its image cannot be pulled. */
static bool pull_failing(json_t *st)
{
	static const char *const reasons[] = {"ErrImagePull", "ImagePullBackOff",
	                                      "InvalidImageName"};
	const char *w = jstr(st, "state.waiting.reason");
	for (size_t i = 0; w && i < MM_ARRAY_LEN(reasons); i++)
		if (strcmp(w, reasons[i]) == 0)
			return true;
	return false;
}

static void image_pull(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "sidecar-image-pull-failure";
	if (!need_kind(c, f, check, "Pod"))
		return;
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		for (size_t k = 0; k < MM_ARRAY_LEN(injected); k++) {
			json_t *st = workload_status(p, injected[k]);
			if (!pull_failing(st))
				continue;
			const char *msg = jstr(st, "state.waiting.message");
			json_t *spec = workload_container_named(jpath(p->j, "spec.initContainers"),
			                                        injected[k]);
			if (!spec)
				spec = workload_container_named(jpath(p->j, "spec.containers"),
				                                injected[k]);
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("pod %s/%s: %s waits with %s", p->ns, p->name,
			                       injected[k], jstr(st, "state.waiting.reason")));
			sl_take(&ev, xasprintf("image %s", jstr(spec, "image") ? jstr(spec, "image")
			                                                       : "unknown"));
			if (msg)
				sl_take(&ev, xasprintf("%.200s", msg));
			findings_add(f, check, p, &ev, "the sidecar image of %s cannot be pulled",
			             p->name);
			break;
		}
	}
	free(pods.v);
}

static const struct detector det_image_pull = {"sidecar-image-pull-failure",
                                               "sidecar-image-pull-failure", image_pull};

/* Whether the CNI node agent is installed, as an evidence line. New string. */
static char *cni_line(struct cluster *c)
{
	const char *why;
	if (!cluster_has_kind(c, "DaemonSet", &why))
		return xasprintf(
		    "whether the Istio CNI plugin is installed is unknown (DaemonSets: %s)", why);
	const struct kobj_list *ds = cluster_list(c, "DaemonSet", NULL);
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->v[i]->name, "istio-cni-node") == 0)
			return xasprintf(
			    "the Istio CNI plugin is installed (DaemonSet %s/istio-cni-node), "
			    "yet this pod was injected with istio-init",
			    ds->v[i]->ns);
	return xstrdup("the Istio CNI plugin is not installed (no DaemonSet istio-cni-node)");
}

/* Whether istio-init's status shows it failing (now, or before its last restart). */
bool workload_init_failing(json_t *st)
{
	json_t *code = jpath(st, "state.terminated.exitCode");
	json_t *last = jpath(st, "lastState.terminated.exitCode");
	return jpath(st, "state.waiting.reason") ||
	       (json_is_integer(code) && json_integer_value(code) != 0) ||
	       (workload_restarts(st) > 0 && json_is_integer(last) &&
	        json_integer_value(last) != 0);
}

/*
 * The log of the last failed run of istio-init: the current one while it
 * waits to be restarted, else the one before; NULL with the reason skipped.
 */
static char *init_log(struct cluster *c, struct findings *f, const char *check,
                      const struct kobj *pod, json_t *st)
{
	char *why = NULL;
	char *text = cluster_log(c, pod->ns, pod->name, "istio-init", false, &why);
	if (!text && workload_restarts(st) > 0) {
		free(why);
		why = NULL;
		text = cluster_log(c, pod->ns, pod->name, "istio-init", true, &why);
	}
	if (!text)
		findings_skip(f, check, why);
	free(why);
	return text;
}

/*
 * Failing istio-init containers whose log shows the cause want: rules that
 * already exist (a re-run), or a lack of privileges.
 */
static void init_failures(struct cluster *c, const struct scope *s, struct findings *f,
                          const char *want)
{
	bool exist = strcmp(want, "istio-init-not-reentrant") == 0;
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		json_t *st = workload_status(p, "istio-init");
		/* an image that cannot be pulled never ran, so there is no log to read */
		bool ran = st && workload_init_failing(st) && !pull_failing(st);
		char *text = ran ? init_log(c, f, want, p, st) : NULL;
		char *line =
		    text ? workload_log_match(text, exist ? rules_exist_signs : permission_signs, 0)
		         : NULL;
		free(text);
		if (!line)
			continue;
		const char *waiting = jstr(st, "state.waiting.reason");
		struct strlist ev = {0};
		sl_take(&ev,
		        xasprintf("pod %s/%s: istio-init %s, restart count %ld", p->ns, p->name,
		                  waiting ? waiting : "failed", workload_restarts(st)));
		sl_take(&ev, xasprintf("istio-init log: %s", line));
		if (!exist)
			sl_take(&ev, cni_line(c));
		findings_add(f, want, p, &ev,
		             exist
		                 ? "istio-init of %s was run again and found its own iptables rules"
		                 : "istio-init of %s may not change iptables (NET_ADMIN/NET_RAW)",
		             p->name);
		free(line);
	}
	free(pods.v);
}

static void init_not_reentrant(struct cluster *c, const struct scope *s, struct findings *f)
{
	if (need_kind(c, f, "istio-init-not-reentrant", "Pod"))
		init_failures(c, s, f, "istio-init-not-reentrant");
}

static const struct detector det_init_not_reentrant = {
    "istio-init-not-reentrant", "istio-init-not-reentrant", init_not_reentrant};

/* A FailedCreate event whose message shows a policy refusing istio-init's capabilities. */
static bool forbids_istio_init(const struct kobj *e)
{
	static const char *const refusal[] = {"forbidden", "podsecurity", "pod security policy",
	                                      "securitycontextconstraints"};
	static const char *const istio[] = {"net_admin", "net_raw", "istio-init"};
	const char *reason = jstr(e->j, "reason"), *msg = jstr(e->j, "message");
	if (!reason || strcmp(reason, "FailedCreate") != 0 || !msg)
		return false;
	bool refused = false, ours = false;
	for (size_t i = 0; i < MM_ARRAY_LEN(refusal); i++)
		refused = refused || strcasestr(msg, refusal[i]);
	for (size_t i = 0; i < MM_ARRAY_LEN(istio); i++)
		ours = ours || strcasestr(msg, istio[i]);
	return refused && ours;
}

static void init_no_net_admin(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "istio-init-no-net-admin";
	if (!need_kind(c, f, check, "Pod"))
		return;
	init_failures(c, s, f, check);
	const char *why;
	/* a refused pod leaves only the event on its owner behind */
	if (s->service || !cluster_has_kind(c, "Event", &why))
		return;
	const struct kobj_list *evs = cluster_list(c, "Event", s->ns);
	for (size_t i = 0; i < evs->n; i++) {
		const struct kobj *e = evs->v[i];
		const char *kind = jstr(e->j, "involvedObject.kind");
		const char *name = jstr(e->j, "involvedObject.name");
		if (!kind || !name || !forbids_istio_init(e) || namespace_exempt(c, e->ns) ||
		    (s->pod && strcmp(s->pod, name) != 0))
			continue;
		struct strlist ev = {0};
		char *msg = xstrndup(jstr(e->j, "message"), 300);
		sl_take(&ev,
		        xasprintf("event FailedCreate on %s %s/%s: %s", kind, e->ns, name, msg));
		sl_take(&ev, cni_line(c));
		char *res = xasprintf("%s/%s/%s", kind, e->ns, name);
		findings_add_at(f, check, res, &ev,
		                "a security policy refuses the pods of %s because of istio-init",
		                name);
		free(res);
		free(msg);
	}
}

static const struct detector det_init_no_net_admin = {"istio-init-no-net-admin",
                                                      "istio-init-no-net-admin", init_no_net_admin};

/* The message of a Warning event on the pod with this reason and prefix, or NULL. */
static const char *pod_event(struct cluster *c, const struct kobj *pod, const char *reason,
                             const char *prefix)
{
	const char *why;
	if (!cluster_has_kind(c, "Event", &why))
		return NULL;
	const struct kobj_list *evs = cluster_list(c, "Event", pod->ns);
	for (size_t i = 0; i < evs->n; i++) {
		json_t *e = evs->v[i]->j;
		const char *k = jstr(e, "involvedObject.kind"), *n = jstr(e, "involvedObject.name");
		const char *r = jstr(e, "reason"), *m = jstr(e, "message");
		if (k && n && r && m && strcmp(k, "Pod") == 0 && strcmp(n, pod->name) == 0 &&
		    strcmp(r, reason) == 0 && strncasecmp(m, prefix, strlen(prefix)) == 0)
			return m;
	}
	return NULL;
}

/* A probe's port as a number: numeric, or a named port of the container; 0 if unknown. */
static long probe_port(json_t *container, json_t *port)
{
	if (json_is_integer(port))
		return (long)json_integer_value(port);
	const char *name = json_string_value(port);
	json_t *ports = json_object_get(container, "ports");
	for (size_t i = 0; name && i < json_array_size(ports); i++) {
		const char *n = jstr(json_array_get(ports, i), "name");
		if (n && strcmp(n, name) == 0)
			return (long)json_integer_value(
			    jpath(json_array_get(ports, i), "containerPort"));
	}
	return name ? strtol(name, NULL, 10) : 0;
}

/* Whether a comma-separated port list (an annotation) names port. */
static bool port_listed(const char *list, long port)
{
	for (const char *p = list; p && *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end != p && v == port)
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Whether the sidecar leaves inbound traffic to port alone (the capture annotations). */
static bool inbound_excluded(const struct kobj *pod, long port)
{
	json_t *ann = jpath(pod->j, "metadata.annotations");
	const char *ex =
	    json_string_value(json_object_get(ann, "traffic.sidecar.istio.io/excludeInboundPorts"));
	const char *in =
	    json_string_value(json_object_get(ann, "traffic.sidecar.istio.io/includeInboundPorts"));
	return port_listed(ex, port) || (in && strcmp(in, "*") != 0 && !port_listed(in, port));
}

/* Why a pod's HTTP probes were not rewritten, as an evidence line. New string. */
static char *rewrite_line(struct cluster *c, const struct kobj *pod)
{
	const char *a = json_string_value(json_object_get(
	    jpath(pod->j, "metadata.annotations"), "sidecar.istio.io/rewriteAppHTTPProbers"));
	if (a && strcmp(a, "false") == 0)
		return xstrdup("annotation sidecar.istio.io/rewriteAppHTTPProbers: \"false\"");
	json_t *vals = workload_injector_values(c);
	json_t *g = jpath(vals, "sidecarInjectorWebhook.rewriteAppHTTPProbe");
	char *line =
	    json_is_false(g)
	        ? xstrdup("injector values: sidecarInjectorWebhook.rewriteAppHTTPProbe is false")
	        : xstrdup("the probe was not rewritten at injection (no /app-health/ path)");
	json_decref(vals);
	return line;
}

struct probe_kind {
	const char *field, *event; /* the container's probe field; the event it causes */
	bool restarts;             /* failing restarts the container (else: not Ready) */
};

static const struct probe_kind probe_kinds[] = {
    {"livenessProbe", "Liveness probe failed", true},
    {"startupProbe", "Startup probe failed", true},
    {"readinessProbe", "Readiness probe failed", false},
};

/* Evidence that a probe of this kind fails for the container, as a new string, or NULL. */
static char *probe_failing(struct cluster *c, const struct kobj *pod, const char *container,
                           const struct probe_kind *k)
{
	json_t *st = workload_status(pod, container);
	const char *ev = pod_event(c, pod, "Unhealthy", k->event);
	if (ev)
		return xasprintf("event Unhealthy: %.200s", ev);
	if (k->restarts && workload_restarts(st) > 0)
		return xasprintf("container %s restart count %ld", container,
		                 workload_restarts(st));
	if (!k->restarts && st && !json_is_true(json_object_get(st, "ready")))
		return xasprintf("container %s is not Ready", container);
	return NULL;
}

/* One container's failing HTTP probe on a STRICT port that Istio did not rewrite; adds a finding.
 */
static bool probe_under_mtls(struct cluster *c, const struct kobj *p, json_t *ctr,
                             struct findings *f)
{
	const char *name = jstr(ctr, "name");
	for (size_t k = 0; name && k < MM_ARRAY_LEN(probe_kinds); k++) {
		json_t *get = jpath(json_object_get(ctr, probe_kinds[k].field), "httpGet");
		const char *path = jstr(get, "path");
		long port = get ? probe_port(ctr, json_object_get(get, "port")) : 0;
		if (port <= 0 || (path && strncmp(path, "/app-health/", 12) == 0) ||
		    inbound_excluded(p, port))
			continue;
		const struct kobj *pa = NULL;
		const char *mode = peer_auth_mode(c, p, port, &pa);
		char *failing =
		    strcmp(mode, "STRICT") == 0 ? probe_failing(c, p, name, &probe_kinds[k]) : NULL;
		if (!failing)
			continue;
		struct strlist ev = {0};
		char *who = pa ? kobj_ref(pa) : xstrdup("mesh default");
		sl_take(&ev, xasprintf("container %s: %s HTTP GET :%ld%s", name,
		                       probe_kinds[k].field, port, path ? path : "/"));
		sl_take(&ev, xasprintf("port %ld requires STRICT mutual TLS (%s)", port, who));
		sl_take(&ev, rewrite_line(c, p));
		sl_take(&ev, failing);
		findings_add(f, "probe-fails-under-mtls", p, &ev,
		             "kubelet's %s of %s cannot pass the sidecar's mutual TLS",
		             probe_kinds[k].field, p->name);
		free(who);
		return true;
	}
	return false;
}

static void probe_mtls(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "probe-fails-under-mtls";
	if (!need_kind(c, f, check, "Pod") || !need_kind(c, f, check, "PeerAuthentication") ||
	    !need_root_kind(c, f, check, "PeerAuthentication"))
		return;
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++) {
		json_t *ctrs = jpath(pods.v[i]->j, "spec.containers");
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			const char *n = jstr(json_array_get(ctrs, k), "name");
			if (n && workload_is_app(n) &&
			    probe_under_mtls(c, pods.v[i], json_array_get(ctrs, k), f))
				break;
		}
	}
	free(pods.v);
}

static const struct detector det_probe_mtls = {"probe-fails-under-mtls", "probe-fails-under-mtls",
                                               probe_mtls};

/*
 * Applications that fail at start because the proxy is not ready: with
 * exited, those that restarted with network errors in the previous run's
 * first lines; else those still in their first run with such errors in its
 * first lines. Pods whose applications wait for the proxy are fine.
 */
static void start_race(struct cluster *c, const struct scope *s, struct findings *f, bool exited)
{
	const char *check = exited ? "app-exits-before-proxy-ready" : "sidecar-not-ready-at-start";
	if (!need_kind(c, f, check, "Pod"))
		return;
	/* current logs of healthy containers: files in a snapshot, one process each when live */
	if (!exited && !s->pod && !cluster_snapshot_dir(c)) {
		findings_skip(f, check,
		              "reading every application log of a live cluster is too slow: "
		              "run the crash flow for one pod (--set pod=NAME)");
		return;
	}
	struct kobj_list pods = workload_mesh_pods(c, s);
	for (size_t i = 0; i < pods.n; i++) {
		const struct kobj *p = pods.v[i];
		json_t *ctrs = jpath(p->j, "spec.containers");
		for (size_t k = 0; k < json_array_size(ctrs); k++) {
			const char *n = jstr(json_array_get(ctrs, k), "name");
			json_t *st = n && workload_is_app(n) ? workload_status(p, n) : NULL;
			if (!st || (workload_restarts(st) > 0) != exited)
				continue;
			char *why = NULL, *line = workload_net_error(c, p, n, exited, &why);
			/* a missing current log is the rule in snapshots, so only noted when asked
			 */
			if (why && (exited || s->pod))
				findings_skip(f, check, why);
			struct strlist ev = {0};
			if (line && !workload_app_held(c, p, &ev)) {
				struct strlist all = {0};
				if (exited)
					workload_restarts_line(&all, p, n, st);
				sl_take(&all, xasprintf("%s log of %s, near its start: %s",
				                        exited ? "previous" : "current", n, line));
				for (size_t e = 0; e < ev.n; e++)
					sl_add(&all, ev.v[e]);
				findings_add(f, check, p, &all,
				             exited
				                 ? "%s exits at start: it found no network before "
				                   "its sidecar was ready"
				                 : "%s calls out before its sidecar is ready",
				             n);
			}
			sl_free(&ev);
			free(line);
			free(why);
		}
	}
	free(pods.v);
}

static void app_exits(struct cluster *c, const struct scope *s, struct findings *f)
{
	start_race(c, s, f, true);
}

static void not_ready_at_start(struct cluster *c, const struct scope *s, struct findings *f)
{
	start_race(c, s, f, false);
}

static const struct detector det_app_exits = {"app-exits-before-proxy-ready",
                                              "app-exits-before-proxy-ready", app_exits};
static const struct detector det_not_ready_at_start = {
    "sidecar-not-ready-at-start", "sidecar-not-ready-at-start", not_ready_at_start};

/* clang-format off */
const struct detector *const detectors_startup[] = {
	&det_envoy_fd_limit,
	&det_proxy_oom,
	&det_image_pull,
	&det_init_not_reentrant,
	&det_init_no_net_admin,
	&det_probe_mtls,
	&det_app_exits,
	&det_not_ready_at_start,
	NULL,
};
/* clang-format on */
