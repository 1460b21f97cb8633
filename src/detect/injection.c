/* Detectors of sidecar injection: labels, revisions, webhooks, pods that opt out or predate it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "cluster/mesh.h"

/* Whether a namespaceSelector asks for label key=value (matchLabels or an In expression). */
static bool selector_wants(json_t *sel, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(json_object_get(sel, "matchLabels"), key));
	if (v && strcmp(v, value) == 0)
		return true;
	json_t *exprs = json_object_get(sel, "matchExpressions");
	for (size_t i = 0; i < json_array_size(exprs); i++) {
		json_t *e = json_array_get(exprs, i);
		const char *k = jstr(e, "key"), *op = jstr(e, "operator");
		if (!k || !op || strcmp(k, key) != 0 || strcmp(op, "In") != 0)
			continue;
		json_t *vals = json_object_get(e, "values");
		for (size_t j = 0; j < json_array_size(vals); j++)
			if (json_string_value(json_array_get(vals, j)) &&
			    strcmp(json_string_value(json_array_get(vals, j)), value) == 0)
				return true;
	}
	return false;
}

/* The sidecar injector webhook configuration whose selector (a field of the webhook) wants key=value. */
static const struct kobj *injector_by(struct cluster *c, const char *selector, const char *key,
                                      const char *value)
{
	const struct kobj_list *whs = cluster_list(c, "MutatingWebhookConfiguration", NULL);
	for (size_t i = 0; i < whs->n; i++) {
		json_t *hooks = jpath(whs->v[i]->j, "webhooks");
		for (size_t k = 0; k < json_array_size(hooks); k++) {
			json_t *h = json_array_get(hooks, k);
			const char *name = jstr(h, "name");
			if (name && strstr(name, "sidecar-injector") &&
			    selector_wants(json_object_get(h, selector), key, value))
				return whs->v[i];
		}
	}
	return NULL;
}

/* The webhook configuration that injects a namespace labelled key=value, or NULL. */
static const struct kobj *injector_for(struct cluster *c, const char *key, const char *value)
{
	return injector_by(c, "namespaceSelector", key, value);
}

/* The injector a namespace's label calls on; *label says which label it is. */
static const struct kobj *ns_injector(struct cluster *c, const char *inj, char **label)
{
	if (strncmp(inj, "rev:", 4) == 0) {
		*label = xasprintf("istio.io/rev=%s", inj + 4);
		return injector_for(c, "istio.io/rev", inj + 4);
	}
	*label = xstrdup("istio-injection=enabled");
	return injector_for(c, "istio-injection", "enabled");
}

static void revision_mismatch(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "injection-revision-mismatch";
	if (!need_kind(c, f, check, "Namespace") ||
	    !need_kind(c, f, check, "MutatingWebhookConfiguration"))
		return;
	const struct kobj_list *nss = cluster_list(c, "Namespace", NULL);
	for (size_t i = 0; i < nss->n; i++) {
		const struct kobj *ns = nss->v[i];
		char *inj = namespace_injection(ns), *label = NULL;
		if (inj && strcmp(inj, "disabled") != 0 && in_scope(s, ns) &&
		    !ns_injector(c, inj, &label)) {
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("namespace %s is labelled %s", ns->name, label));
			sl_take(&ev, xstrdup("no MutatingWebhookConfiguration injects namespaces with "
					     "that label"));
			findings_add(f, check, ns, &ev, "no control plane answers the label %s", label);
		}
		free(label);
		free(inj);
	}
}

const struct detector det_revision_mismatch = {"revision-mismatch", "injection-revision-mismatch",
					       revision_mismatch};

/* sidecar.istio.io/inject on a pod: the label wins over the annotation, as the injector reads it. */
static const char *inject_setting(const struct kobj *pod)
{
	json_t *ann = jpath(pod->j, "metadata.annotations"), *lab = jpath(pod->j, "metadata.labels");
	const char *v = json_string_value(json_object_get(lab, "sidecar.istio.io/inject"));
	return v ? v : json_string_value(json_object_get(ann, "sidecar.istio.io/inject"));
}

static bool opted_out(const struct kobj *pod)
{
	const char *v = inject_setting(pod);
	return v && strcasecmp(v, "false") == 0;
}

/* The webhook configuration that injects pods labelled key=value by objectSelector, or NULL. */
static const struct kobj *object_injector(struct cluster *c, const char *key, const char *value)
{
	return injector_by(c, "objectSelector", key, value);
}

/* Whether a pod is in the mesh without a sidecar: ambient mode redirects its traffic to ztunnel. */
static bool pod_ambient(const struct kobj *pod)
{
	const char *v = json_string_value(json_object_get(jpath(pod->j, "metadata.annotations"),
	                                      "ambient.istio.io/redirection"));
	return v && strcmp(v, "enabled") == 0;
}

/* Whether a pod asks for a sidecar itself (sidecar.istio.io/inject=true, or an istio.io/rev label). */
static bool opted_in(const struct kobj *pod)
{
	const char *v = inject_setting(pod);
	return (v && strcasecmp(v, "true") == 0) ||
	       json_object_get(jpath(pod->j, "metadata.labels"), "istio.io/rev");
}

/*
 * The injector that should have given a pod its sidecar, and the label that
 * asks for it (*label, new): its namespace's label, or, in a namespace
 * without one, the pod's own sidecar.istio.io/inject=true or istio.io/rev
 * that an objectSelector webhook answers. NULL if nothing asks.
 */
static const struct kobj *pod_injector(struct cluster *c, const struct kobj *pod, const char *inj,
                                       char **label)
{
	*label = NULL;
	if (inj && strcmp(inj, "disabled") != 0)
		return ns_injector(c, inj, label);
	if (inj || !opted_in(pod))
		return NULL;
	const char *rev = json_string_value(json_object_get(jpath(pod->j, "metadata.labels"), "istio.io/rev"));
	const struct kobj *hook = rev ? object_injector(c, "istio.io/rev", rev)
	                              : object_injector(c, "sidecar.istio.io/inject", "true");
	if (hook)
		*label = rev ? xasprintf("pod label istio.io/rev=%s", rev)
		             : xstrdup("pod label sidecar.istio.io/inject=true");
	return hook;
}

/*
 * Pods without a sidecar that their namespace's label, or their own label,
 * asks an existing injector for, each put down to its cause: hostNetwork,
 * an opt-out, or having been created before injection worked (istioctl
 * analyze's PodMissingProxy, IST0103). Ambient pods need no sidecar.
 */
static void missing_sidecars(struct cluster *c, const struct scope *s, struct findings *f,
			     const char *want)
{
	if (!need_kind(c, f, want, "Namespace") || !need_kind(c, f, want, "Pod"))
		return;
	const struct kobj_list *nss = cluster_list(c, "Namespace", NULL);
	for (size_t i = 0; i < nss->n; i++) {
		const struct kobj *ns = nss->v[i];
		if (!in_scope(s, ns) || namespace_exempt(c, ns->name))
			continue;
		char *inj = namespace_injection(ns);
		bool ns_asks = inj && strcmp(inj, "disabled") != 0;
		char *label = NULL;
		/* a labelled namespace with no injector behind it is injection-revision-mismatch */
		const struct kobj *hook = ns_asks ? ns_injector(c, inj, &label) : NULL;
		free(label);
		if (ns_asks && !hook) {
			free(inj);
			continue;
		}
		const struct kobj_list *pods = cluster_list(c, "Pod", ns->name);
		for (size_t k = 0; k < pods->n; k++) {
			const struct kobj *p = pods->v[k];
			if (pod_has_sidecar(p) || pod_ambient(p) || (s->pod && strcmp(s->pod, p->name)) ||
			    !jpath(p->j, "spec.containers"))
				continue;
			if (!pod_injector(c, p, inj, &label))
				continue;
			bool host = json_is_true(jpath(p->j, "spec.hostNetwork"));
			const char *why = host ? "host-network-pod"
				: opted_out(p) ? "pod-injection-disabled" : "pod-predates-injection";
			if (strcmp(why, want) != 0) {
				free(label);
				continue;
			}
			struct strlist ev = {0};
			if (ns_asks)
				sl_take(&ev, xasprintf("namespace %s is labelled %s", ns->name, label));
			else
				sl_take(&ev, xasprintf("namespace %s has no injection label; pod %s asks "
				                       "for a sidecar with its %s",
				                       ns->name, p->name, label + 4));
			sl_take(&ev, xasprintf("pod %s has no istio-proxy container", p->name));
			if (host)
				sl_take(&ev, xstrdup("spec.hostNetwork: true"));
			else if (opted_out(p))
				sl_take(&ev, xstrdup("sidecar.istio.io/inject: \"false\""));
			else
				sl_take(&ev, xasprintf("created %s",
						       jstr(p->j, "metadata.creationTimestamp")
							       ? jstr(p->j, "metadata.creationTimestamp")
							       : "at an unknown time"));
			findings_add(f, want, p, &ev, "pod %s runs without a sidecar", p->name);
			if (strcmp(want, "pod-predates-injection") == 0)
				findings_rate(f, SEV_UNSET, "IST0103");
			free(label);
		}
		free(inj);
	}
}

static void pod_opt_out(struct cluster *c, const struct scope *s, struct findings *f)
{
	missing_sidecars(c, s, f, "pod-injection-disabled");
}

static void host_network(struct cluster *c, const struct scope *s, struct findings *f)
{
	missing_sidecars(c, s, f, "host-network-pod");
}

static void pod_predates(struct cluster *c, const struct scope *s, struct findings *f)
{
	missing_sidecars(c, s, f, "pod-predates-injection");
}

const struct detector det_pod_opt_out = {"pod-opt-out", "pod-injection-disabled", pod_opt_out};
const struct detector det_host_network = {"host-network", "host-network-pod", host_network};
const struct detector det_pod_predates = {"pod-predates", "pod-predates-injection", pod_predates};

/* Whether a namespace's pods are meant to be outside sidecar injection by its own labels. */
static bool ns_out_by_choice(const struct kobj *ns)
{
	const char *mode = json_string_value(
	    json_object_get(jpath(ns->j, "metadata.labels"), "istio.io/dataplane-mode"));
	return mode && strcmp(mode, "ambient") == 0;
}

/*
 * The Services that mesh configuration names: VirtualService hosts and
 * destinations, DestinationRule hosts (as "ns/name"). Someone wrote rules
 * for them, so they are meant to be in the mesh.
 */
static void mesh_targets(struct cluster *c, struct strlist *out)
{
	const char *why;
	static const char *const kinds[] = {"VirtualService", "DestinationRule"};
	for (size_t k = 0; k < MM_ARRAY_LEN(kinds); k++) {
		if (!cluster_has_kind(c, kinds[k], &why))
			continue;
		const struct kobj_list *l = cluster_list(c, kinds[k], NULL);
		for (size_t i = 0; i < l->n; i++) {
			json_t *hosts = json_array();
			if (jpath(l->v[i]->j, "spec.host"))
				json_array_append(hosts, jpath(l->v[i]->j, "spec.host"));
			json_array_extend(hosts, jpath(l->v[i]->j, "spec.hosts"));
			static const char *const sections[] = {"spec.http", "spec.tcp", "spec.tls"};
			for (size_t sct = 0; sct < MM_ARRAY_LEN(sections); sct++) {
				json_t *rules = jpath(l->v[i]->j, sections[sct]);
				for (size_t r = 0; r < json_array_size(rules); r++) {
					json_t *route = json_object_get(json_array_get(rules, r), "route");
					for (size_t d = 0; d < json_array_size(route); d++)
						if (jpath(json_array_get(route, d), "destination.host"))
							json_array_append(hosts, jpath(json_array_get(route, d),
							                               "destination.host"));
				}
			}
			for (size_t h = 0; h < json_array_size(hosts); h++) {
				const char *host = json_string_value(json_array_get(hosts, h));
				char *fqdn = host ? host_fqdn(host, l->v[i]->ns) : NULL;
				const struct kobj *svc = fqdn ? service_of_host(c, fqdn) : NULL;
				char *ref = svc ? xasprintf("%s/%s", svc->ns, svc->name) : NULL;
				if (ref && !sl_has(out, ref))
					sl_add(out, ref);
				free(ref);
				free(fqdn);
			}
			json_decref(hosts);
		}
	}
}

/* The first Service of ns that mesh configuration names and that selects pod, or NULL. */
static const struct kobj *targeted_service(struct cluster *c, const struct strlist *targets,
                                           const struct kobj *pod)
{
	const struct kobj_list *svcs = cluster_list(c, "Service", pod->ns);
	for (size_t i = 0; i < svcs->n; i++) {
		json_t *sel = jpath(svcs->v[i]->j, "spec.selector");
		char *ref = xasprintf("%s/%s", svcs->v[i]->ns, svcs->v[i]->name);
		bool hit = json_object_size(sel) && sl_has(targets, ref) &&
		           labels_match(sel, jpath(pod->j, "metadata.labels"));
		free(ref);
		if (hit)
			return svcs->v[i];
	}
	return NULL;
}

/*
 * A namespace without an injection label whose pods lack sidecars, when
 * that is a mistake rather than a choice. Asked about by name (-n), any
 * such namespace is reported. Over the whole cluster, istioctl analyze
 * (IST0102, info) names every unlabelled namespace; this is narrower, to
 * keep namespaces that are outside the mesh on purpose quiet: a finding
 * only where pods run without a sidecar and either other pods of the
 * namespace run with one that they did not ask for by themselves (it was in
 * the mesh: the label was removed or lost), or a VirtualService or
 * DestinationRule names the Service of such a pod (rules written for a
 * workload the mesh does not hold). istio-injection=disabled, ambient
 * namespaces and system namespaces never count.
 */
static void ns_not_labeled(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "namespace-not-labeled";
	if ((s->ns && namespace_exempt(c, s->ns)) || !need_kind(c, f, check, "Namespace") ||
	    !need_kind(c, f, check, "Pod"))
		return;
	struct strlist targets = {0};
	const char *why;
	if (!s->ns && cluster_has_kind(c, "Service", &why))
		mesh_targets(c, &targets);
	const struct kobj_list *nss = cluster_list(c, "Namespace", NULL);
	for (size_t n = 0; n < nss->n; n++) {
		const struct kobj *ns = nss->v[n];
		if ((s->ns && strcmp(ns->name, s->ns) != 0) || namespace_exempt(c, ns->name) ||
		    (!s->ns && ns_out_by_choice(ns)))
			continue;
		char *inj = namespace_injection(ns);
		if (inj && (strcmp(inj, "disabled") != 0 || !s->ns)) {
			free(inj);
			continue;
		}
		const struct kobj_list *pods = cluster_list(c, "Pod", ns->name);
		size_t bare = 0, meshed = 0;
		const struct kobj *first_bare = NULL, *first_meshed = NULL, *svc = NULL;
		for (size_t i = 0; i < pods->n; i++) {
			const struct kobj *p = pods->v[i];
			if (json_is_true(jpath(p->j, "spec.hostNetwork")) || pod_ambient(p) ||
			    (!s->ns && (!pod_running(p) || opted_out(p))))
				continue;
			if (pod_has_sidecar(p)) {
				/* a pod that asked for its sidecar itself says nothing of the namespace */
				if (!opted_in(p) && !meshed++)
					first_meshed = p;
				continue;
			}
			if (!bare++)
				first_bare = p;
			if (!svc && targets.n)
				svc = targeted_service(c, &targets, p);
		}
		if (bare && (s->ns || meshed || svc)) {
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("namespace %s has %s", ns->name,
			                       inj ? "istio-injection=disabled"
			                           : "no istio-injection or istio.io/rev label"));
			sl_take(&ev, xasprintf("%zu of its %zu pods have no istio-proxy (%s)", bare,
			                       pods->n, first_bare->name));
			if (meshed && !s->ns)
				sl_take(&ev, xasprintf("%zu pod(s) of the namespace run with a sidecar "
				                       "they did not ask for themselves (%s): the "
				                       "namespace was in the mesh",
				                       meshed, first_meshed->name));
			if (svc && !s->ns)
				sl_take(&ev, xasprintf("Service %s selects pod %s and is named by a "
				                       "VirtualService or DestinationRule",
				                       svc->name, first_bare->name));
			findings_add(f, check, ns, &ev,
			             "namespace %s does not ask for sidecar injection", ns->name);
			/* a namespace half in the mesh breaks calls; rules for bare pods are a risk */
			if (!s->ns)
				findings_rate(f, meshed ? SEV_WARNING : SEV_INFO, "IST0102");
		}
		free(inj);
	}
	sl_free(&targets);
}

const struct detector det_ns_not_labeled = {"ns-not-labeled", "namespace-not-labeled",
					    ns_not_labeled};

/* Injection webhooks exist but nothing behind them is ready to answer. */
static void injector_unavailable(struct cluster *c, const struct scope *s, struct findings *f)
{
	(void)s;
	const char *check = "injector-unavailable";
	if (!need_kind(c, f, check, "MutatingWebhookConfiguration") || !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj *hook = injector_for(c, "istio-injection", "enabled");
	if (!hook)
		return;
	const char *cns = cluster_control_namespace(c);
	const struct kobj_list *pods = cluster_list(c, "Pod", cns);
	size_t ready = 0, istiod = 0;
	for (size_t i = 0; i < pods->n; i++) {
		const char *app = jstr(pods->v[i]->j, "metadata.labels.app");
		if (app && strcmp(app, "istiod") == 0) {
			istiod++;
			ready += pod_ready(pods->v[i]);
		}
	}
	if (ready)
		return;
	struct strlist ev = {0};
	sl_take(&ev, xasprintf("MutatingWebhookConfiguration %s sends pods to istiod", hook->name));
	sl_take(&ev, xasprintf("%zu istiod pods in %s, none Ready", istiod, cns));
	findings_add(f, check, hook, &ev, "the sidecar injector has no ready istiod behind it");
}

const struct detector det_injector_unavailable = {"injector-unavailable", "injector-unavailable",
						  injector_unavailable};
