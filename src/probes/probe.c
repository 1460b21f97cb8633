#include "probe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "detect.h"

/* Each family file exports one NULL-terminated array of its probes. */
extern const struct probe *const probes_mesh[], *const probes_gateway[], *const probes_routing[],
	*const probes_workload[], *const probes_protocol[], *const probes_logs[],
	*const probes_envoy[];

static const struct probe *const *const families[] = {
	probes_mesh,     probes_gateway, probes_routing, probes_workload,
	probes_protocol, probes_logs,    probes_envoy,
};

static const struct probe probe_istio_version, probe_findings;

#define MAX_PROBES 256

const struct probe *const *probe_all(void)
{
	static const struct probe *all[MAX_PROBES + 1];
	if (all[0])
		return all;
	size_t n = 0;
	all[n++] = &probe_istio_version;
	all[n++] = &probe_findings;
	for (size_t f = 0; f < MM_ARRAY_LEN(families); f++)
		for (const struct probe *const *p = families[f]; *p; p++)
			if (n < MAX_PROBES)
				all[n++] = *p;
	all[n] = NULL;
	return all;
}

const struct probe *probe_find(const char *name)
{
	for (const struct probe *const *p = probe_all(); *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

void probe_result_free(struct probe_result *r)
{
	free(r->choice);
	free(r->reason);
	sl_free(&r->evidence);
	r->choice = r->reason = NULL;
}

const char *probe_in(const struct probe_ctx *x, const char *name)
{
	return x->input(x->input_ctx, name);
}

void probe_answer(struct probe_result *r, const char *choice, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_take(&r->evidence, xvasprintf(fmt, ap));
	va_end(ap);
	free(r->choice);
	r->choice = xstrdup(choice);
}

void probe_unknown(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

bool probe_readable(const struct probe_ctx *x, struct probe_result *r, const char *kind,
		    const char *label)
{
	const char *why;
	if (cluster_has_kind(x->cluster, kind, &why))
		return true;
	probe_unknown(r, "%s: %s", label, why);
	return false;
}

const struct kobj *probe_object(const struct probe_ctx *x, struct probe_result *r,
				const char *kind, const char *input)
{
	const char *ns = probe_in(x, "namespace"), *name = probe_in(x, input);
	if (!name) {
		probe_unknown(r, "no %s given (--set %s=NAME)", input, input);
		return NULL;
	}
	if (!probe_readable(x, r, kind, kind))
		return NULL;
	const struct kobj *o = cluster_get(x->cluster, kind, ns ? ns : "default", name);
	if (!o)
		probe_unknown(r, "no %s %s in namespace %s", kind, name, ns ? ns : "default");
	return o;
}

void probe_by_detector(const struct probe_ctx *x, struct probe_result *r, const struct scope *s,
		       const char *diagnosis, const char *if_found, const char *if_not,
		       const char *clean)
{
	struct findings f = {0};
	detect_run(x->cluster, s, diagnosis, &f);
	if (f.nskipped && !f.n) {
		probe_unknown(r, "%s", f.skipped[0].reason);
	} else if (f.n) {
		r->choice = xstrdup(if_found);
		for (size_t i = 0; i < f.n; i++)
			sl_copy(&r->evidence, &f.v[i].evidence);
	} else {
		probe_answer(r, if_not, "%s", clean);
	}
	findings_free(&f);
}

bool probe_has_choice(const struct probe_ctx *x, const char *id)
{
	for (size_t i = 0; i < x->nchoices; i++)
		if (strcmp(x->choices[i], id) == 0)
			return true;
	return false;
}

/* A version like "1.9.2": digits separated by single dots. */
static bool version_like(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p == '.' && p != s && p[1] && p[1] != '.')))
			return false;
	return true;
}

bool probe_version_choice_valid(const char *id)
{
	if (strcmp(id, "any") == 0)
		return true;
	return (strncmp(id, "lt-", 3) == 0 || strncmp(id, "ge-", 3) == 0) && version_like(id + 3);
}

static void istio_version(const struct probe_ctx *x, struct probe_result *r)
{
	const char *v = cluster_istio_version(x->cluster);
	if (!v) {
		probe_unknown(r, "the Istio version is unknown (no istiod image tag, no meta.json)");
		return;
	}
	for (size_t i = 0; i < x->nchoices; i++) {
		const char *id = x->choices[i];
		bool take = strcmp(id, "any") == 0 ||
			    (strncmp(id, "lt-", 3) == 0 && version_cmp(v, id + 3) < 0) ||
			    (strncmp(id, "ge-", 3) == 0 && version_cmp(v, id + 3) >= 0);
		if (take) {
			probe_answer(r, id, "Istio %s", v);
			return;
		}
	}
	probe_unknown(r, "Istio %s matches none of this question's version ranges", v);
}

static const struct probe probe_istio_version = {
	"istio-version", {NULL}, "the Istio version against the node's lt-X/ge-X choices",
	istio_version};

/*
 * The generic "findings" probe: each choice id that names a diagnosis with a
 * detector is tried in order over the inputs' scope (namespace, service,
 * pod); the first that finds something is taken, else "none" when every
 * check could run. Lint checks the ids.
 */
static void findings_probe(const struct probe_ctx *x, struct probe_result *r)
{
	struct scope s = {probe_in(x, "namespace"), probe_in(x, "service"), probe_in(x, "pod")};
	const char *skipped = NULL;
	struct findings f = {0};
	for (size_t i = 0; i < x->nchoices && !r->choice; i++) {
		if (!detector_for(x->choices[i]))
			continue;
		detect_run(x->cluster, &s, x->choices[i], &f);
		if (f.n) {
			r->choice = xstrdup(x->choices[i]);
			for (size_t k = 0; k < f.n; k++)
				sl_copy(&r->evidence, &f.v[k].evidence);
		} else if (f.nskipped && !skipped) {
			skipped = xstrdup(f.skipped[0].reason);
		}
		findings_free(&f);
		memset(&f, 0, sizeof f);
	}
	if (!r->choice && skipped)
		probe_unknown(r, "%s", skipped);
	else if (!r->choice && probe_has_choice(x, "none"))
		probe_answer(r, "none", "no check found any of these causes%s%s",
			     s.ns ? " in namespace " : "", s.ns ? s.ns : "");
	else if (!r->choice)
		probe_unknown(r, "no check found any of these causes");
	free((char *)skipped);
}

bool probe_findings_choice_valid(const char *id)
{
	return strcmp(id, "none") == 0 || detector_for(id) != NULL;
}

static const struct probe probe_findings = {
	"findings", {NULL}, "the first choice (a diagnosis id) whose detector finds something",
	findings_probe};
