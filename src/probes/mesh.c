/*
 * Probes of the 503 and injection flows. Each reads its inputs, looks at
 * the cluster model through cluster/mesh.h and the detectors, and picks one of its
 * node's choices with the evidence, or says why it cannot tell.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "cluster/mesh.h"
#include "probes/probe.h"

#define in probe_in
#define answer probe_answer
#define unknown probe_unknown
#define readable probe_readable
#define the_object probe_object

static const struct kobj *the_service(const struct probe_ctx *x, struct probe_result *r)
{
	return the_object(x, r, "Service", "service");
}

static const struct kobj *the_pod(const struct probe_ctx *x, struct probe_result *r)
{
	return the_object(x, r, "Pod", "pod");
}

static void control_plane(const struct probe_ctx *x, struct probe_result *r)
{
	const char *why;
	if (!cluster_has_kind(x->cluster, "Pod", &why)) {
		if (strstr(why, "orbidden"))
			answer(r, "forbidden", "reading pods: %s", why);
		else
			unknown(r, "Pods: %s", why);
		return;
	}
	struct findings f = {0};
	struct scope s = {0};
	detect_run(x->cluster, &s, "control-plane-unhealthy", &f);
	if (f.n) {
		for (size_t i = 0; i < f.n; i++)
			sl_copy(&r->evidence, &f.v[i].evidence);
		r->choice = xstrdup("unhealthy");
	} else {
		answer(r, "healthy", "every istiod pod in %s is Running and Ready",
		       cluster_control_namespace(x->cluster));
	}
	findings_free(&f);
}

static void service_headless_p(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (svc)
		answer(r, service_headless(svc) ? "yes" : "no", "Service %s/%s clusterIP %s", svc->ns,
		       svc->name, jstr(svc->j, "spec.clusterIP") ? jstr(svc->j, "spec.clusterIP") : "unset");
}

/* yes if every running pod behind the service has a sidecar, no if one lacks it. */
static void server_sidecar(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct kobj_list pods = service_pods(x->cluster, svc);
	size_t running = 0;
	for (size_t i = 0; i < pods.n; i++) {
		if (!pod_running(pods.v[i]))
			continue;
		running++;
		if (!pod_has_sidecar(pods.v[i])) {
			answer(r, "no", "pod %s/%s has no istio-proxy container", pods.v[i]->ns,
			       pods.v[i]->name);
			break;
		}
	}
	if (!r->choice && running)
		answer(r, "yes", "all %zu running pods of %s have an istio-proxy container", running,
		       svc->name);
	else if (!r->choice)
		unknown(r, "no running pod behind Service %s/%s", svc->ns, svc->name);
	free(pods.v);
}

/* The first numbered port of the service. */
static long first_port(const struct kobj *svc)
{
	return (long)json_integer_value(jpath(svc->j, "spec.ports.0.port"));
}

static void dr_tls(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	if (!readable(x, r, "DestinationRule", "DestinationRules"))
		return;
	char *fqdn = host_fqdn(svc->name, svc->ns);
	const char *client_ns = in(x, "namespace");
	const struct kobj *dr = dr_for_host(x->cluster, fqdn, client_ns);
	const char *mode = dr ? dr_tls_mode(dr, first_port(svc)) : NULL;
	if (!dr)
		answer(r, "unset", "no DestinationRule applies to %s", fqdn);
	else if (!mode)
		answer(r, "unset", "DestinationRule %s/%s sets no tls mode", dr->ns, dr->name);
	else
		answer(r, strcmp(mode, "ISTIO_MUTUAL") == 0 ? "istio-mutual" : "other",
		       "DestinationRule %s/%s sets tls mode %s", dr->ns, dr->name, mode);
	free(fqdn);
}

static void auto_mtls(const struct probe_ctx *x, struct probe_result *r)
{
	bool on = mesh_auto_mtls(x->cluster);
	/* an unreadable mesh key says why the default applies */
	const char *bad = cluster_mesh_config_problem(x->cluster);
	char *note = cluster_mesh_config(x->cluster) ? xstrdup("")
		     : bad ? xasprintf(" (the default: %s)", bad)
			   : xstrdup(" (no meshConfig found: the default)");
	answer(r, on ? "on" : "off", "meshConfig enableAutoMtls is %s%s", on ? "true" : "false",
	       note);
	free(note);
}

static void peer_auth(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	if (!readable(x, r, "PeerAuthentication", "PeerAuthentications"))
		return;
	struct kobj_list pods = service_pods(x->cluster, svc);
	for (size_t i = 0; i < pods.n && !r->choice; i++) {
		const struct kobj *pa = NULL;
		json_t *port = jpath(svc->j, "spec.ports.0.targetPort");
		long p = json_is_integer(port) ? (long)json_integer_value(port) : first_port(svc);
		const char *mode = peer_auth_mode(x->cluster, pods.v[i], p, &pa);
		char *who = pa ? kobj_ref(pa) : xstrdup("no PeerAuthentication: PERMISSIVE by default");
		answer(r, strcmp(mode, "STRICT") == 0 ? "strict" : "not-strict", "pod %s: mode %s (%s)",
		       pods.v[i]->name, mode, who);
		free(who);
	}
	if (!r->choice)
		unknown(r, "no pod behind Service %s/%s", svc->ns, svc->name);
	free(pods.v);
}

/* Whether some VirtualService routes the service's host to a subset; the first one found. */
static const char *routed_subset(struct cluster *c, const struct kobj *svc, const struct kobj **vs)
{
	char *fqdn = host_fqdn(svc->name, svc->ns);
	const struct kobj_list *vss = cluster_list(c, "VirtualService", NULL);
	const char *found = NULL;
	static const char *const kinds[] = {"spec.http", "spec.tcp", "spec.tls"};
	for (size_t i = 0; i < vss->n && !found; i++)
		for (size_t k = 0; k < MM_ARRAY_LEN(kinds) && !found; k++) {
			json_t *routes = jpath(vss->v[i]->j, kinds[k]);
			for (size_t j = 0; j < json_array_size(routes) && !found; j++) {
				json_t *rt = json_object_get(json_array_get(routes, j), "route");
				for (size_t d = 0; d < json_array_size(rt) && !found; d++) {
					json_t *dest = jpath(json_array_get(rt, d), "destination");
					const char *h = jstr(dest, "host"), *sub = jstr(dest, "subset");
					char *hf = h ? host_fqdn(h, vss->v[i]->ns) : NULL;
					if (hf && sub && strcmp(hf, fqdn) == 0)
						found = sub, *vs = vss->v[i];
					free(hf);
				}
			}
		}
	free(fqdn);
	return found;
}

static void subset_ref(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r), *vs = NULL;
	if (!svc)
		return;
	if (!readable(x, r, "VirtualService", "VirtualServices"))
		return;
	const char *sub = routed_subset(x->cluster, svc, &vs);
	if (sub)
		answer(r, "yes", "VirtualService %s/%s routes %s to subset %s", vs->ns, vs->name,
		       svc->name, sub);
	else
		answer(r, "no", "no VirtualService routes %s to a subset", svc->name);
}

/* Run one detector for the service and answer yes/no from whether it found something. */
static void by_detector(const struct probe_ctx *x, struct probe_result *r, const char *diagnosis,
			const char *if_found, const char *if_not, const char *clean)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct scope s = {svc->ns, svc->name, NULL};
	probe_by_detector(x, r, &s, diagnosis, if_found, if_not, clean);
}

static void subset_defined(const struct probe_ctx *x, struct probe_result *r)
{
	by_detector(x, r, "subset-undefined", "no", "yes",
		    "every subset that VirtualServices name for it is defined");
}

static void subset_pods(const struct probe_ctx *x, struct probe_result *r)
{
	by_detector(x, r, "subset-no-pods", "no", "yes", "every subset matches a running pod");
}

static void endpoints_ready(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = the_service(x, r);
	if (!svc)
		return;
	struct kobj_list pods = service_pods(x->cluster, svc);
	size_t ready = 0;
	for (size_t i = 0; i < pods.n; i++)
		ready += pod_ready(pods.v[i]);
	if (ready)
		answer(r, "yes", "%zu of %zu pods behind %s are Ready", ready, pods.n, svc->name);
	else
		answer(r, "no", "none of the %zu pods behind %s is Ready", pods.n, svc->name);
	free(pods.v);
}

static void proxy_sync(const struct probe_ctx *x, struct probe_result *r)
{
	const char *pod = in(x, "pod"), *ns = in(x, "namespace"), *why;
	const struct proxy_status *rows;
	size_t n;
	if (!cluster_proxy_status(x->cluster, &rows, &n, &why)) {
		unknown(r, "%s%s", pod ? "" : "no pod given (--set pod=NAME), and ", why);
		return;
	}
	struct findings f = {0};
	/* without the caller: if no proxy of the whole mesh is behind, the caller's is not either */
	if (!pod) {
		struct scope all = {NULL, NULL, NULL};
		detect_run(x->cluster, &all, "proxy-config-stale", &f);
		if (!f.n && n)
			answer(r, "synced",
			       "no pod given, but every proxy istioctl proxy-status lists (%zu) is "
			       "SYNCED: the caller's is too",
			       n);
		else
			unknown(r, "no pod given (--set pod=NAME), and %s", n ? "some proxies are behind: which one calls?" : "proxy-status lists no proxy");
		findings_free(&f);
		return;
	}
	struct scope s = {ns, NULL, pod};
	detect_run(x->cluster, &s, "proxy-config-stale", &f);
	if (f.n) {
		r->choice = xstrdup("stale");
		sl_copy(&r->evidence, &f.v[0].evidence);
	} else {
		size_t i;
		for (i = 0; i < n && !(rows[i].ns && strcmp(rows[i].pod, pod) == 0 &&
					       strcmp(rows[i].ns, ns) == 0);
		     i++)
			;
		if (i < n)
			answer(r, "synced", "proxy-status %s.%s: no STALE or ERROR", pod, ns);
		else
			answer(r, "stale", "%s.%s is missing from istioctl proxy-status: it gets no "
					   "configuration", pod, ns);
	}
	findings_free(&f);
}

static void mixer_running(const struct probe_ctx *x, struct probe_result *r)
{
	const char *ns = cluster_control_namespace(x->cluster);
	const struct kobj *d = cluster_get(x->cluster, "Deployment", ns, "istio-policy");
	if (d && json_integer_value(jpath(d->j, "status.readyReplicas")) > 0)
		answer(r, "yes", "Deployment %s/istio-policy has ready replicas", ns);
	else
		answer(r, "no", "no ready Deployment istio-policy in %s", ns);
}

/* What state a pod that should have a sidecar is in. */
static void pod_state(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	json_t *inits = jpath(p->j, "status.initContainerStatuses");
	for (size_t i = 0; i < json_array_size(inits); i++) {
		json_t *st = json_array_get(inits, i);
		const char *name = jstr(st, "name");
		const char *reason = jstr(st, "state.waiting.reason");
		if (name && strcmp(name, "istio-init") == 0 && reason) {
			answer(r, "init-fails", "istio-init is waiting: %s", reason);
			return;
		}
	}
	if (!pod_has_sidecar(p))
		answer(r, "no-sidecar", "pod %s has no istio-proxy container", p->name);
	else
		unknown(r, "pod %s has an istio-proxy container", p->name);
}

static void host_network_p(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (p) {
		bool h = json_is_true(jpath(p->j, "spec.hostNetwork"));
		answer(r, h ? "yes" : "no", "spec.hostNetwork is %s", h ? "true" : "not set");
	}
}

static void opt_out(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r);
	if (!p)
		return;
	/* the key has dots, so it is looked up directly rather than through jpath */
	const char *a = json_string_value(
		json_object_get(jpath(p->j, "metadata.annotations"), "sidecar.istio.io/inject"));
	const char *l = json_string_value(
		json_object_get(jpath(p->j, "metadata.labels"), "sidecar.istio.io/inject"));
	bool out = (a && strcmp(a, "false") == 0) || (l && strcmp(l, "false") == 0);
	answer(r, out ? "yes" : "no", "sidecar.istio.io/inject: %s", a ? a : l ? l : "not set");
}

static void ns_label(const struct probe_ctx *x, struct probe_result *r)
{
	const char *name = in(x, "namespace");
	if (!readable(x, r, "Namespace", "Namespaces"))
		return;
	const struct kobj *ns = cluster_get(x->cluster, "Namespace", "", name);
	if (!ns) {
		unknown(r, "no namespace %s", name);
		return;
	}
	char *inj = namespace_injection(ns);
	/* labelling the control plane's or Kubernetes' own namespace for injection is never the fix */
	if (!inj && namespace_exempt(x->cluster, name))
		unknown(r,
		        "namespace %s belongs to %s, whose pods run without a sidecar by design: "
		        "nothing to inject there",
		        name, strcmp(name, cluster_control_namespace(x->cluster)) == 0
		                  ? "the Istio control plane"
		                  : "Kubernetes");
	else if (!inj)
		answer(r, "none", "namespace %s has neither istio-injection nor istio.io/rev", name);
	else if (strncmp(inj, "rev:", 4) == 0)
		answer(r, "rev", "namespace %s is labelled istio.io/rev=%s", name, inj + 4);
	else
		answer(r, inj, "namespace %s is labelled istio-injection=%s", name, inj);
	free(inj);
}

/* yes/no from the revision-mismatch detector, scoped to the namespace. */
static void webhook(const struct probe_ctx *x, struct probe_result *r)
{
	struct findings f = {0};
	struct scope s = {in(x, "namespace"), NULL, NULL};
	detect_run(x->cluster, &s, "injection-revision-mismatch", &f);
	if (f.nskipped && !f.n)
		unknown(r, "%s", f.skipped[0].reason);
	else if (f.n) {
		r->choice = xstrdup("no");
		sl_copy(&r->evidence, &f.v[0].evidence);
	} else
		answer(r, "yes", "a MutatingWebhookConfiguration injects namespace %s", s.ns);
	findings_free(&f);
}

/*
 * A pod older than the injection webhook was created before Istio could
 * inject it. A younger one may still predate the namespace label, which
 * leaves no trace in the cluster: that is for the person to say.
 */
static void pod_age(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *p = the_pod(x, r), *hook = NULL;
	if (!p)
		return;
	const struct kobj_list *whs = cluster_list(x->cluster, "MutatingWebhookConfiguration", NULL);
	for (size_t i = 0; i < whs->n && !hook; i++)
		if (strstr(whs->v[i]->name, "sidecar-injector") || strstr(whs->v[i]->name, "revision-tag"))
			hook = whs->v[i];
	const char *born = jstr(p->j, "metadata.creationTimestamp");
	const char *installed = hook ? jstr(hook->j, "metadata.creationTimestamp") : NULL;
	/* RFC 3339 UTC timestamps of one format compare as strings */
	if (born && installed && strcmp(born, installed) < 0)
		answer(r, "yes", "pod created %s, before the injector %s (%s)", born, hook->name,
		       installed);
	else
		unknown(r, "the pod is younger than the injector webhook; whether the namespace was "
			   "labelled after it started is not recorded");
}

/* yes/no from the detector of one mTLS clash, scoped to the walk's service. */
static void service_clash(const struct probe_ctx *x, struct probe_result *r, const char *diagnosis,
                          const char *clean)
{
	const struct kobj *svc = the_service(x, r);
	struct scope s = {svc ? svc->ns : NULL, svc ? svc->name : NULL, NULL};
	if (svc)
		probe_by_detector(x, r, &s, diagnosis, "yes", "no", clean);
}

static void server_mtls_disabled(const struct probe_ctx *x, struct probe_result *r)
{
	service_clash(x, r, "dr-mtls-to-disabled-server",
	              "no PeerAuthentication turns mutual TLS off for the pods of the service");
}

static void auto_off_no_rule(const struct probe_ctx *x, struct probe_result *r)
{
	service_clash(x, r, "mtls-auto-off-no-rule",
	              "a DestinationRule applies to the service, or its pods accept plain text");
}

PROBE("control-plane", control_plane, NULL);
PROBE("service-headless", service_headless_p, "namespace", "service", NULL);
PROBE("server-sidecar", server_sidecar, "namespace", "service", NULL);
PROBE("dr-tls-mode", dr_tls, "namespace", "service", NULL);
PROBE("auto-mtls", auto_mtls, NULL);
PROBE("peer-auth-strict", peer_auth, "namespace", "service", NULL);
PROBE("server-mtls-disabled", server_mtls_disabled, "namespace", "service", NULL);
PROBE("auto-off-no-rule", auto_off_no_rule, "namespace", "service", NULL);
PROBE("vs-subset-ref", subset_ref, "namespace", "service", NULL);
PROBE("subset-defined", subset_defined, "namespace", "service", NULL);
PROBE("subset-pods", subset_pods, "namespace", "service", NULL);
PROBE("service-endpoints", endpoints_ready, "namespace", "service", NULL);
PROBE("proxy-sync", proxy_sync, "namespace", "pod", NULL);
PROBE("mixer-running", mixer_running, NULL);
PROBE("pod-state", pod_state, "namespace", "pod", NULL);
PROBE("host-network", host_network_p, "namespace", "pod", NULL);
PROBE("pod-opt-out", opt_out, "namespace", "pod", NULL);
PROBE("namespace-injection", ns_label, "namespace", NULL);
PROBE("injection-webhook", webhook, "namespace", NULL);
PROBE("pod-age", pod_age, "namespace", "pod", NULL);

const struct probe *const probes_mesh[] = {
	&probe_control_plane,
	&probe_service_headless_p,
	&probe_server_sidecar,
	&probe_dr_tls,
	&probe_auto_mtls,
	&probe_peer_auth,
	&probe_server_mtls_disabled,
	&probe_auto_off_no_rule,
	&probe_subset_ref,
	&probe_subset_defined,
	&probe_subset_pods,
	&probe_endpoints_ready,
	&probe_proxy_sync,
	&probe_mixer_running,
	&probe_pod_state,
	&probe_host_network_p,
	&probe_opt_out,
	&probe_ns_label,
	&probe_webhook,
	&probe_pod_age,
	NULL,
};
