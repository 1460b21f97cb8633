#include "walk/infer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "detect/detect.h"

void leads_free(struct leads *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].diagnosis);
		free(l->v[i].resource);
		free(l->v[i].message);
		sl_free(&l->v[i].evidence);
		free(l->v[i].choices);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The nodes seen by one search, so that a loop through flows ends. */
struct seen {
	const struct mm_node **v;
	size_t n;
};

/* Every diagnosis reachable through choice ch, each once, into out. */
static void collect(const struct mm_choice *ch, struct strlist *out, struct seen *s)
{
	if (ch->kind == TARGET_DIAGNOSIS) {
		if (ch->diag && !sl_has(out, ch->diag->id))
			sl_add(out, ch->diag->id);
		return;
	}
	const struct mm_node *n = ch->kind == TARGET_NODE ? ch->node
				  : ch->flow		  ? ch->flow->start_node
							  : NULL;
	if (!n)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == n)
			return;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = n;
	for (size_t i = 0; i < n->nchoices; i++)
		collect(&n->choices[i], out, s);
}

/* The diagnoses reachable through choice i of n. */
static void choice_reach(const struct mm_node *n, size_t i, struct strlist *out)
{
	struct seen s = {0};
	if (i < n->nchoices)
		collect(&n->choices[i], out, &s);
	free(s.v);
}

bool node_reaches(const struct mm_node *n, size_t i, const char *diagnosis)
{
	struct strlist r = {0};
	choice_reach(n, i, &r);
	bool found = sl_has(&r, diagnosis);
	sl_free(&r);
	return found;
}

static struct lead *lead_add(struct leads *l, const char *diagnosis, const char *resource,
                             const char *message)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	struct lead *x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	x->diagnosis = xstrdup(diagnosis);
	x->resource = xstrdup(resource);
	x->message = xstrdup(message);
	return x;
}

void leads_add_forbidden(struct leads *l, const char *check, const char *reason)
{
	/* detectors and probes say "Kind: forbidden: ..."; the kind is what could not be read */
	const char *colon = strstr(reason, ": forbidden");
	char *kind = colon ? xstrndup(reason, (size_t)(colon - reason)) : xstrdup(check);
	struct lead *x = lead_add(l, FORBIDDEN_DIAGNOSIS, kind, reason);
	sl_take(&x->evidence, xasprintf("%s could not run: %s", check, reason));
	free(kind);
}

/* A check that could not read a kind because the credentials may not: kube-permission-denied. */
static void forbidden_lead(struct leads *l, const char *check, const char *reason)
{
	if (!strstr(reason, "forbidden"))
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].diagnosis, FORBIDDEN_DIAGNOSIS) == 0 &&
		    strcmp(l->v[i].message, reason) == 0)
			return;
	leads_add_forbidden(l, check, reason);
}

static bool lead_about(struct cluster *c, const struct lead *x, const struct lead_scope *ls);

/* Whether a finding is rated info: by its detector, else by its diagnosis. */
static bool lead_info(const struct mm_kb *kb, const struct finding *f)
{
	if (f->severity != SEV_UNSET)
		return f->severity == SEV_INFO;
	const struct mm_diag *d = kb ? kb_diag(kb, f->diagnosis) : NULL;
	return d && d->severity && strcmp(d->severity, "info") == 0;
}

void node_leads(const struct mm_node *n, const struct lead_scope *ls, struct cluster *c,
                struct leads *out)
{
	memset(out, 0, sizeof(*out));
	out->looked = c != NULL;
	if (!n || !c || n->no_inference)
		return;
	/* what each choice leads to, once; a choice that must not be inferred leads nowhere here */
	struct strlist all = {0}, *reach = xcalloc(n->nchoices, sizeof(*reach));
	for (size_t i = 0; i < n->nchoices; i++) {
		if (!n->choices[i].no_inference)
			choice_reach(n, i, &reach[i]);
		for (size_t k = 0; k < reach[i].n; k++)
			if (!sl_has(&all, reach[i].v[k]))
				sl_add(&all, reach[i].v[k]);
	}
	struct scope sc = {ls->ns, ls->service, ls->pod};
	for (size_t d = 0; d < all.n; d++) {
		if (!detector_for(all.v[d]))
			continue;
		struct findings f = {0};
		detect_run(c, &sc, all.v[d], &f);
		for (size_t k = 0; k < f.n; k++) {
			struct lead *x =
			    lead_add(out, f.v[k].diagnosis, f.v[k].resource, f.v[k].message);
			sl_copy(&x->evidence, &f.v[k].evidence);
			x->choices = xcalloc(n->nchoices, sizeof(*x->choices));
			for (size_t i = 0; i < n->nchoices; i++)
				if (sl_has(&reach[i], all.v[d]))
					x->choices[x->nchoices++] = i;
			x->about = lead_about(c, x, ls);
			x->info = lead_info(ls->kb, &f.v[k]);
		}
		for (size_t k = 0; k < f.nskipped; k++)
			forbidden_lead(out, f.skipped[k].check, f.skipped[k].reason);
		findings_free(&f);
	}
	for (size_t i = 0; i < n->nchoices; i++)
		sl_free(&reach[i]);
	free(reach);
	sl_free(&all);
}

/* Whether text names name as a whole word (a pod name may go on: "cart-v1-..."). */
static bool names(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
		bool start = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
		bool end = !isalnum((unsigned char)p[n]);
		if (start && end)
			return true;
	}
	return false;
}

static bool covers(const char *host, const char *ns, const char *fqdn)
{
	char *full = host ? host_fqdn(host, ns) : NULL;
	bool hit = full && host_matches(full, fqdn);
	free(full);
	return hit;
}

/* Whether a rule is for fqdn: a DestinationRule's host, a VirtualService's hosts or destinations. */
static bool rule_covers(const struct kobj *rule, const char *fqdn)
{
	static const char *const kinds[] = {"http", "tcp", "tls"};
	json_t *spec = json_object_get(rule->j, "spec"), *h, *route, *dst;
	size_t i, k;
	if (covers(json_string_value(json_object_get(spec, "host")), rule->ns, fqdn))
		return true;
	json_array_foreach (json_object_get(spec, "hosts"), i, h) {
		if (covers(json_string_value(h), rule->ns, fqdn))
			return true;
	}
	for (size_t t = 0; t < MM_ARRAY_LEN(kinds); t++) {
		json_array_foreach (json_object_get(spec, kinds[t]), i, route) {
			json_array_foreach (json_object_get(route, "route"), k, dst) {
				const char *to = json_string_value(jpath(dst, "destination.host"));
				if (covers(to, rule->ns, fqdn))
					return true;
			}
		}
	}
	return false;
}

/*
 * Whether the walk's Service is the one a finding's resource stands for, as
 * the mesh model sees it: 1 for the Service itself, a pod it selects, a rule
 * for its host; 0 for another Service, or a pod of its namespace it does not
 * select; -1 where the model cannot tell
 * (another kind, an object gone, a rule for another host).
 */
static int about_service(struct cluster *c, const char *resource, const struct lead_scope *ls)
{
	char *kind = xstrdup(resource), *ns = strchr(kind, '/'), *name = ns ? strchr(ns + 1, '/') : NULL;
	int about = -1;
	const struct kobj *svc = ls->ns ? cluster_get(c, "Service", ls->ns, ls->service) : NULL;
	if (!name || !svc) {
		free(kind);
		return -1;
	}
	*ns++ = '\0';
	*name++ = '\0';
	const struct kobj *o = cluster_get(c, kind, ns, name);
	char *fqdn = host_fqdn(svc->name, svc->ns);
	if (o && o == svc)
		about = 1;
	else if (o && strcmp(kind, "Pod") == 0 && strcmp(o->ns, svc->ns) == 0) {
		struct kobj_list pods = service_pods(c, svc);
		about = 0;
		for (size_t i = 0; i < pods.n; i++)
			about |= pods.v[i] == o;
		/* a 503 walk's pod input is the caller: its own faults are the walk's too */
		about |= ls->pod && strcmp(o->name, ls->pod) == 0 && strcmp(o->ns, ls->ns) == 0;
		free(pods.v);
	} else if (o && strcmp(kind, "Service") == 0)
		about = 0;
	/* a rule that misses the host may be the very fault (a short name in the wrong namespace) */
	else if (o && (strcmp(kind, "DestinationRule") == 0 || strcmp(kind, "VirtualService") == 0))
		about = rule_covers(o, fqdn) ? 1 : -1;
	free(fqdn);
	free(kind);
	return about;
}

/*
 * Whether a finding is about the walk's subject: some detectors look at the
 * whole namespace, and a cause of another service must not answer for this
 * one. The mesh model decides where it can; else the finding must name the
 * subject (a pod name may go on: "cart-v1-...").
 */
static bool lead_about(struct cluster *c, const struct lead *x, const struct lead_scope *ls)
{
	/* the service a walk is about; a pod where there is none (a 503 walk's pod is a caller) */
	const char *subject = ls->service ? ls->service : ls->pod;
	if (!subject)
		return true;
	int model = ls->service ? about_service(c, x->resource, ls) : -1;
	if (model >= 0)
		return model;
	if (names(x->resource, subject) || names(x->message, subject))
		return true;
	for (size_t i = 0; i < x->evidence.n; i++)
		if (names(x->evidence.v[i], subject))
			return true;
	return false;
}

/* The one choice every lead about the subject points to alone, or -1 (none, or several). */
static long single_choice(const struct leads *l)
{
	long only = -1;
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; l->v[i].about && !l->v[i].info && k < l->v[i].nchoices; k++) {
			long c = (long)l->v[i].choices[k];
			if (only >= 0 && only != c)
				return -1;
			only = c;
		}
	return only;
}

static void lead_line(struct strlist *ev, const char *prefix, const struct lead *x)
{
	sl_take(ev, xasprintf("%s%s on %s: %s", prefix, x->diagnosis, x->resource, x->message));
}

void node_infer(const struct mm_node *n, const struct leads *leads, struct probe_result *r)
{
	if (r->choice || !n)
		return;
	const struct leads l = *leads;
	long one = single_choice(&l);
	if (one >= 0) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("inferred: the cluster shows a cause only under this answer "
		                       "(the probe could not read the direct evidence: %s)",
		                       r->reason ? r->reason : "no reason given"));
		for (size_t i = 0; i < l.n; i++) {
			if (!l.v[i].nchoices || !l.v[i].about)
				continue;
			lead_line(&ev, "", &l.v[i]);
			for (size_t k = 0; k < l.v[i].evidence.n; k++)
				sl_take(&ev, xasprintf("  %s", l.v[i].evidence.v[k]));
		}
		sl_free(&r->evidence);
		r->evidence = ev;
		r->choice = xstrdup(n->choices[one].id);
		r->inferred = true;
	} else {
		/* several answers have causes under them (or only Forbidden reads): hints, and ask
		 */
		for (size_t i = 0; i < l.n; i++) {
			struct sbuf b;
			sb_init(&b);
			for (size_t k = 0; k < l.v[i].nchoices; k++)
				sb_printf(&b, "%s%s", k ? ", " : "",
				          n->choices[l.v[i].choices[k]].id);
			char *prefix = b.len ? xasprintf("hint (under %s%s): ", b.s,
			                                 l.v[i].about ? "" : ", elsewhere in scope")
			                     : xstrdup("hint (any question): ");
			lead_line(&r->evidence, prefix, &l.v[i]);
			free(prefix);
			sb_free(&b);
		}
	}
}
