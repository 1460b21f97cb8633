/* Detectors of sidecar injection: labels, revisions, webhooks, pods that opt out or predate it. */
#include <stdlib.h>
#include <string.h>

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

/* The webhook configuration that injects a namespace labelled key=value, or NULL. */
static const struct kobj *injector_for(struct cluster *c, const char *key, const char *value)
{
	const struct kobj_list *whs = cluster_list(c, "MutatingWebhookConfiguration", NULL);
	for (size_t i = 0; i < whs->n; i++) {
		json_t *hooks = jpath(whs->v[i]->j, "webhooks");
		for (size_t k = 0; k < json_array_size(hooks); k++) {
			json_t *h = json_array_get(hooks, k);
			const char *name = jstr(h, "name");
			if (name && strstr(name, "sidecar-injector") &&
			    selector_wants(json_object_get(h, "namespaceSelector"), key, value))
				return whs->v[i];
		}
	}
	return NULL;
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

static bool opted_out(const struct kobj *pod)
{
	json_t *ann = jpath(pod->j, "metadata.annotations"), *lab = jpath(pod->j, "metadata.labels");
	const char *v1 = json_string_value(json_object_get(ann, "sidecar.istio.io/inject"));
	const char *v2 = json_string_value(json_object_get(lab, "sidecar.istio.io/inject"));
	return (v1 && strcmp(v1, "false") == 0) || (v2 && strcmp(v2, "false") == 0);
}

/*
 * Pods without a sidecar in namespaces that ask for injection, each put
 * down to its cause: hostNetwork, an opt-out, or having been created
 * before injection worked.
 */
static void missing_sidecars(struct cluster *c, const struct scope *s, struct findings *f,
			     const char *want)
{
	if (!need_kind(c, f, want, "Namespace") || !need_kind(c, f, want, "Pod"))
		return;
	const struct kobj_list *nss = cluster_list(c, "Namespace", NULL);
	for (size_t i = 0; i < nss->n; i++) {
		const struct kobj *ns = nss->v[i];
		char *inj = namespace_injection(ns), *label = NULL;
		const struct kobj *hook = inj && strcmp(inj, "disabled") ? ns_injector(c, inj, &label)
									 : NULL;
		if (!hook || !in_scope(s, ns) || namespace_exempt(c, ns->name)) {
			free(inj);
			free(label);
			continue;
		}
		const struct kobj_list *pods = cluster_list(c, "Pod", ns->name);
		for (size_t k = 0; k < pods->n; k++) {
			const struct kobj *p = pods->v[k];
			if (pod_has_sidecar(p) || (s->pod && strcmp(s->pod, p->name)) ||
			    !jpath(p->j, "spec.containers"))
				continue;
			bool host = json_is_true(jpath(p->j, "spec.hostNetwork"));
			const char *why = host ? "host-network-pod"
				: opted_out(p) ? "pod-injection-disabled" : "pod-predates-injection";
			if (strcmp(why, want) != 0)
				continue;
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("namespace %s is labelled %s", ns->name, label));
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
		}
		free(inj);
		free(label);
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

/* A namespace asked about by name that has no injection label while its pods lack sidecars. */
static void ns_not_labeled(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "namespace-not-labeled";
	if (!s->ns || namespace_exempt(c, s->ns) || !need_kind(c, f, check, "Namespace") ||
	    !need_kind(c, f, check, "Pod"))
		return;
	const struct kobj *ns = cluster_get(c, "Namespace", "", s->ns);
	char *inj = ns ? namespace_injection(ns) : NULL;
	const struct kobj_list *pods = cluster_list(c, "Pod", s->ns);
	size_t bare = 0;
	for (size_t i = 0; i < pods->n; i++)
		bare += !pod_has_sidecar(pods->v[i]) && !json_is_true(jpath(pods->v[i]->j, "spec.hostNetwork"));
	if (ns && (!inj || strcmp(inj, "disabled") == 0) && bare) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("namespace %s has %s", s->ns,
				       inj ? "istio-injection=disabled" : "no istio-injection or istio.io/rev label"));
		sl_take(&ev, xasprintf("%zu of its %zu pods have no istio-proxy", bare, pods->n));
		findings_add(f, check, ns, &ev, "namespace %s does not ask for sidecar injection", s->ns);
	}
	free(inj);
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
