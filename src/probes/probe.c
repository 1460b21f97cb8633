#include "probes/probe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "detect/detect.h"

void probe_result_free(struct probe_result *r)
{
	free(r->choice);
	free(r->reason);
	sl_free(&r->evidence);
	sl_free(&r->named);
	r->choice = r->reason = NULL;
	r->inferred = false;
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
