/*
 * How a check decides (a fail outranks a warn, which outranks a pass;
 * findings of the same weight add up; nothing raised leaves the item to be
 * asked) and what it reads of its scope: detectors and probes narrowed to
 * the namespace or the Service, annotations, the injector's values.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/yamljson.h"
#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "detect/detect.h"
#include "detect/routing.h"
#include "detect/workload.h"
#include "onboard/item.h"
#include "probes/probe.h"

const char *ob_status_name(enum ob_status s)
{
	static const char *const names[] = {"pass", "warn", "fail", "ask"};
	return (size_t)s < MM_ARRAY_LEN(names) ? names[s] : "ask";
}

/* ---- deciding ---- */

/* A status's weight: asking is below every decision. */
static int weight(enum ob_status s)
{
	return s == OB_ASK ? -1 : (int)s;
}

/*
 * Decide r at status with this reason and fix (NULL: none), unless it is
 * decided at a higher status already; at the same status the reasons and
 * fixes add up.
 */
void ob_raise(struct ob_result *r, enum ob_status status, const char *fix, const char *fmt,
                     ...)
{
	if (weight(status) < weight(r->status))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *reason = xvasprintf(fmt, ap);
	va_end(ap);
	if (status == r->status && r->reason && strstr(r->reason, reason)) {
		free(reason);
		return;
	}
	if (status == r->status && r->reason) {
		char *both = xasprintf("%s Also: %s", r->reason, reason);
		free(reason);
		reason = both;
		if (fix && r->fix && !strstr(r->fix, fix)) {
			char *f = xasprintf("%s\n%s", r->fix, fix);
			free(r->fix);
			r->fix = f;
		} else if (fix && !r->fix) {
			r->fix = xstrdup(fix);
		}
	} else {
		free(r->fix);
		r->fix = fix ? xstrdup(fix) : NULL;
	}
	free(r->reason);
	r->reason = reason;
	r->status = status;
}

/* Leave r to be asked, and say why. */
void ob_ask(struct ob_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
	r->status = OB_ASK;
}

/* Whether a kind can be read; if not, the item is left to be asked with the reason. */
bool ob_need(struct ob_ctx *x, struct ob_result *r, const char *kind)
{
	const char *why;
	if (cluster_has_kind(x->c, kind, &why))
		return true;
	ob_ask(r, "the cluster state has no readable %s (%s)", kind, why);
	return false;
}

void ob_ev(struct ob_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_take(&r->evidence, xvasprintf(fmt, ap));
	va_end(ap);
}

/* ---- scope ---- */

static bool pod_in_scope(const struct ob_ctx *x, const char *ns, const char *name)
{
	for (size_t i = 0; i < x->pods.n; i++)
		if (strcmp(x->pods.v[i]->ns, ns) == 0 && strcmp(x->pods.v[i]->name, name) == 0)
			return true;
	return false;
}

/*
 * Whether a finding's resource ("Kind/ns/name", or "Kind/name" when
 * cluster-scoped) is in scope: the namespace, and with --service its
 * Service and the pods it selects.
 */
static bool resource_in_scope(const struct ob_ctx *x, const char *res)
{
	const char *a = strchr(res, '/'), *b = a ? strchr(a + 1, '/') : NULL;
	if (!b)
		return true;
	char *ns = xstrndup(a + 1, (size_t)(b - a - 1));
	bool in = strcmp(ns, x->ns) == 0;
	if (in && x->service && strncmp(res, "Pod/", 4) == 0)
		in = pod_in_scope(x, ns, b + 1);
	else if (in && x->service && strncmp(res, "Service/", 8) == 0)
		in = strcmp(b + 1, x->service) == 0;
	free(ns);
	return in;
}

/*
 * Run the detector of a diagnosis over the scope; each finding in scope
 * goes to the evidence (its resource and message, then its lines).
 * Returns how many there were.
 */
size_t ob_detected(struct ob_ctx *x, struct ob_result *r, const char *diagnosis)
{
	struct findings f = {0};
	struct scope s = {x->ns, x->service, NULL};
	detect_run(x->c, &s, diagnosis, &f);
	size_t n = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (!resource_in_scope(x, f.v[i].resource))
			continue;
		n++;
		ob_ev(r, "%s: %s (%s)", f.v[i].resource, f.v[i].message, diagnosis);
		for (size_t k = 0; k < f.v[i].evidence.n; k++)
			ob_ev(r, "  %s", f.v[i].evidence.v[k]);
	}
	findings_free(&f);
	return n;
}

struct probe_inputs {
	const char *ns, *service, *pod;
};

static const char *probe_input(void *ctx, const char *name)
{
	const struct probe_inputs *in = ctx;
	return strcmp(name, "namespace") == 0 ? in->ns
	       : strcmp(name, "service") == 0 ? in->service
	       : strcmp(name, "pod") == 0     ? in->pod
	                                      : NULL;
}

/*
 * Ask a probe of the flows about one service or pod; its choice id (new
 * string), or NULL when it cannot tell. Its evidence goes to ev (may be NULL).
 */
char *ob_run_probe(struct ob_ctx *x, const char *name, const char *service, const char *pod,
                       struct strlist *ev)
{
	const struct probe *p = probe_find(name);
	struct probe_inputs in = {x->ns, service, pod};
	struct probe_ctx pc = {x->c, probe_input, &in, NULL, 0};
	struct probe_result res = {0};
	if (!p)
		return NULL;
	p->run(&pc, &res);
	if (ev && res.choice)
		for (size_t i = 0; i < res.evidence.n; i++)
			sl_add(ev, res.evidence.v[i]);
	char *choice = res.choice;
	res.choice = NULL;
	probe_result_free(&res);
	return choice;
}

/* The name of the scope, for reasons: "namespace shop" or "Service shop/cart". New string. */
char *ob_scope_name(const struct ob_ctx *x)
{
	return x->service ? xasprintf("Service %s/%s", x->ns, x->service)
	                  : xasprintf("namespace %s", x->ns);
}

const char *ob_annotation(const struct kobj *o, const char *key)
{
	return json_string_value(json_object_get(jpath(o->j, "metadata.annotations"), key));
}

/* A JSON true or "true". */
bool ob_truthy(json_t *v)
{
	return json_is_true(v) ||
	       (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0);
}

/* The sidecar injector's values (ConfigMap istio-sidecar-injector), new reference or NULL. */
json_t *ob_injector_values(struct cluster *c)
{
	const struct kobj *cm =
	    cluster_get(c, "ConfigMap", cluster_control_namespace(c), "istio-sidecar-injector");
	const char *v = cm ? jstr(cm->j, "data.values") : NULL;
	return v ? json_loads(v, 0, NULL) : NULL;
}

/* The container images of a pod, application containers only. */
void ob_each_app_image(const struct kobj *pod, void (*fn)(const char *image, void *arg),
                           void *arg)
{
	json_t *cs = jpath(pod->j, "spec.containers");
	for (size_t i = 0; i < json_array_size(cs); i++) {
		const char *name = jstr(json_array_get(cs, i), "name");
		const char *image = jstr(json_array_get(cs, i), "image");
		if (image && name && workload_is_app(name))
			fn(image, arg);
	}
}
