#include "detect/detect.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/mesh.h"

static void add_v(struct findings *f, const char *diagnosis, char *resource,
		  struct strlist *evidence, const char *fmt, va_list ap)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	struct finding *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->diagnosis = xstrdup(diagnosis);
	x->resource = resource;
	x->message = xvasprintf(fmt, ap);
	if (evidence) {
		x->evidence = *evidence;
		memset(evidence, 0, sizeof(*evidence));
	}
}

void findings_add(struct findings *f, const char *diagnosis, const struct kobj *on,
		  struct strlist *evidence, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(f, diagnosis, kobj_ref(on), evidence, fmt, ap);
	va_end(ap);
}

void findings_add_at(struct findings *f, const char *diagnosis, const char *resource,
		     struct strlist *evidence, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(f, diagnosis, xstrdup(resource), evidence, fmt, ap);
	va_end(ap);
}

void findings_rate(struct findings *f, enum severity sev, const char *istio_code)
{
	if (!f->n)
		return;
	f->v[f->n - 1].severity = sev;
	f->v[f->n - 1].istio_code = istio_code;
}

static const char *const severity_names[] = {NULL, "info", "warning", "error"};

const char *severity_name(enum severity s)
{
	return (unsigned)s < MM_ARRAY_LEN(severity_names) ? severity_names[s] : NULL;
}

enum severity severity_parse(const char *name)
{
	for (size_t i = 1; name && i < MM_ARRAY_LEN(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0)
			return (enum severity)i;
	return SEV_UNSET;
}

void findings_skip(struct findings *f, const char *check, const char *reason)
{
	for (size_t i = 0; i < f->nskipped; i++)
		if (strcmp(f->skipped[i].check, check) == 0)
			return;
	f->skipped = xrealloc(f->skipped, (f->nskipped + 1) * sizeof(*f->skipped));
	f->skipped[f->nskipped++] = (struct skipped){xstrdup(check), xstrdup(reason)};
}

void findings_free(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].diagnosis);
		free(f->v[i].resource);
		free(f->v[i].message);
		sl_free(&f->v[i].evidence);
	}
	free(f->v);
	for (size_t i = 0; i < f->nskipped; i++) {
		free(f->skipped[i].check);
		free(f->skipped[i].reason);
	}
	free(f->skipped);
	memset(f, 0, sizeof(*f));
}

bool need_kind_in(struct cluster *c, struct findings *f, const char *check, const char *kind,
		  const char *ns)
{
	const char *why;
	if (cluster_has_kind_in(c, kind, ns, &why))
		return true;
	char *r = cluster_kind_partial(c, kind, NULL) && ns ? xasprintf("%s in %s: %s", kind, ns, why)
							    : xasprintf("%s: %s", kind, why);
	findings_skip(f, check, r);
	free(r);
	return false;
}

bool need_kind(struct cluster *c, struct findings *f, const char *check, const char *kind)
{
	return need_kind_in(c, f, check, kind, f->scope ? f->scope->ns : NULL);
}

bool need_root_kind(struct cluster *c, struct findings *f, const char *check, const char *kind)
{
	return need_kind_in(c, f, check, kind, mesh_root_namespace(c));
}

bool in_scope(const struct scope *s, const struct kobj *o)
{
	if (s->ns && *o->ns && strcmp(s->ns, o->ns) != 0)
		return false;
	if (s->ns && !*o->ns && strcmp(o->kind, "Namespace") == 0 && strcmp(o->name, s->ns) != 0)
		return false;
	return true;
}

bool namespace_exempt(struct cluster *c, const char *ns)
{
	static const char *const fixed[] = {"kube-system", "kube-public", "kube-node-lease",
					    "local-path-storage"};
	for (size_t i = 0; i < MM_ARRAY_LEN(fixed); i++)
		if (strcmp(ns, fixed[i]) == 0)
			return true;
	return strcmp(ns, cluster_control_namespace(c)) == 0;
}
