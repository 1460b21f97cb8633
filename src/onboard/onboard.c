/*
 * The onboarding checklist: its items (items.c) checked one at a time
 * against the cluster state, answered by the person where the cluster
 * cannot tell, and the exit status of the whole. The readiness report is
 * report.c.
 */
#include "onboard/item.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/cluster.h"
#include "detect/detect.h"
#include "cluster/mesh.h"
#include "probes/probe.h"
#include "detect/routing.h"
#include "detect/workload.h"
#include "base/yamljson.h"

/* ---- the checklist ---- */

static void result_clear(struct ob_result *r)
{
	free(r->reason);
	free(r->fix);
	sl_free(&r->evidence);
	r->reason = r->fix = NULL;
	r->status = OB_ASK;
	r->answered = NULL;
}

void onboard_init(struct onboard *o, const char *ns, const char *service)
{
	memset(o, 0, sizeof(*o));
	o->ns = xstrdup(ns);
	o->service = service ? xstrdup(service) : NULL;
	o->n = ob_nitems;
	o->v = xcalloc(o->n, sizeof(*o->v));
	for (size_t i = 0; i < o->n; i++) {
		const struct ob_item *it = &ob_items[i];
		o->v[i] = (struct ob_result){.item = it,
		                             .id = it->id,
		                             .title = it->title,
		                             .help = it->help,
		                             .question = it->question,
		                             .choices = it->choices,
		                             .nchoices = it->nchoices,
		                             .status = OB_ASK};
	}
}

void onboard_free(struct onboard *o)
{
	for (size_t i = 0; i < o->n; i++)
		result_clear(&o->v[i]);
	free(o->v);
	free(o->ns);
	free(o->service);
	free(o->source);
	memset(o, 0, sizeof(*o));
}

/* The scope of a check: the Service (when named) and the pods and Services it covers. */
static bool ctx_open(struct ob_ctx *x, const struct onboard *o, struct cluster *c,
                     struct ob_result *r)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	x->ns = o->ns;
	x->service = o->service;
	if (!c) {
		ob_ask(r, "no cluster state (give --snapshot PATH or --live)");
		return false;
	}
	const char *why;
	if (cluster_has_kind(c, "Namespace", &why) && !cluster_get(c, "Namespace", "", o->ns)) {
		ob_ask(r, "namespace %s is not in the cluster state", o->ns);
		return false;
	}
	const struct kobj_list *svcs =
	    cluster_has_kind(c, "Service", &why) ? cluster_list(c, "Service", o->ns) : NULL;
	if (o->service) {
		x->svc = cluster_get(c, "Service", o->ns, o->service);
		if (svcs && !x->svc) {
			ob_ask(r, "no Service %s in namespace %s", o->service, o->ns);
			return false;
		}
	}
	if (x->svc) {
		x->pods = service_pods(c, x->svc);
		x->svcs.v = xcalloc(1, sizeof(*x->svcs.v));
		x->svcs.v[x->svcs.n++] = x->svc;
		return true;
	}
	const struct kobj_list *pods =
	    cluster_has_kind(c, "Pod", &why) ? cluster_list(c, "Pod", o->ns) : NULL;
	const struct kobj_list *from[] = {pods, svcs};
	struct kobj_list *to[] = {&x->pods, &x->svcs};
	for (size_t k = 0; k < MM_ARRAY_LEN(from); k++) {
		size_t n = from[k] ? from[k]->n : 0;
		to[k]->v = xcalloc(n + 1, sizeof(*to[k]->v));
		for (size_t i = 0; i < n; i++)
			to[k]->v[to[k]->n++] = from[k]->v[i];
	}
	return true;
}

/* The fix with the namespace in place of the word NAMESPACE. */
static void fill_namespace(struct ob_result *r, const char *ns)
{
	if (!r->fix || !strstr(r->fix, "NAMESPACE"))
		return;
	struct sbuf b;
	sb_init(&b);
	for (const char *p = r->fix, *at; *p; p = at + 9) {
		at = strstr(p, "NAMESPACE");
		if (!at) {
			sb_add(&b, p);
			break;
		}
		sb_addn(&b, p, (size_t)(at - p));
		sb_add(&b, ns);
	}
	free(r->fix);
	r->fix = sb_steal(&b);
}

void onboard_check(struct onboard *o, size_t i, struct cluster *c)
{
	if (i >= o->n)
		return;
	struct ob_result *r = &o->v[i];
	struct ob_ctx x;
	result_clear(r);
	if (ctx_open(&x, o, c, r))
		r->item->check(&x, r);
	free(x.pods.v);
	free(x.svcs.v);
	if (r->status == OB_ASK && !r->reason)
		r->reason = xstrdup("the cluster state does not show it");
	if (r->status == OB_PASS) {
		free(r->fix);
		r->fix = NULL;
	}
	fill_namespace(r, o->ns);
}

int onboard_find(const struct onboard *o, const char *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* "a, b, c": the ids of the items, or of an item's choices. New string. */
static char *id_list(const struct onboard *o, const struct ob_result *r)
{
	struct sbuf b;
	sb_init(&b);
	size_t n = r ? r->nchoices : o->n;
	for (size_t i = 0; i < n; i++)
		sb_printf(&b, "%s%s", i ? ", " : "", r ? r->choices[i].id : o->v[i].id);
	return sb_steal(&b);
}

bool onboard_answer(struct onboard *o, const char *id, const char *choice, char **err)
{
	int i = onboard_find(o, id);
	char *ids = id_list(o, i < 0 ? NULL : &o->v[i]);
	if (i < 0) {
		*err = xasprintf("no checklist item '%s' (items: %s)", id, ids);
		free(ids);
		return false;
	}
	struct ob_result *r = &o->v[i];
	const struct ob_choice *ch = NULL;
	for (size_t k = 0; k < r->nchoices && !ch; k++)
		if (strcmp(r->choices[k].id, choice) == 0)
			ch = &r->choices[k];
	if (!ch) {
		*err = xasprintf("item %s has no choice '%s' (choices: %s)", id, choice, ids);
		free(ids);
		return false;
	}
	free(ids);
	free(r->reason);
	free(r->fix);
	r->status = ch->status;
	r->reason = xstrdup(ch->reason);
	r->fix = ch->fix ? xstrdup(ch->fix) : NULL;
	r->answered = ch->id;
	fill_namespace(r, o->ns);
	return true;
}

bool onboard_apply(struct onboard *o, const struct strlist *answers, int only, char **err)
{
	for (size_t i = 0; i < answers->n; i++) {
		const char *a = answers->v[i], *eq = strchr(a, '=');
		if (!eq) {
			*err = xasprintf("--answer takes ITEM=CHOICE, not '%s'", a);
			return false;
		}
		char *id = xstrndup(a, (size_t)(eq - a));
		int at = onboard_find(o, id);
		bool ok =
		    (only >= 0 && at >= 0 && at != only) || onboard_answer(o, id, eq + 1, err);
		free(id);
		if (!ok)
			return false;
	}
	return true;
}

int onboard_exit_status(const struct onboard *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].status == OB_FAIL)
			return 1;
	return 0;
}
