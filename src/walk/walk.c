#include "walk/walk.h"

#include <stdlib.h>
#include <string.h>

static const char *const by_names[] = {[BY_USER] = "user", [BY_PROBE] = "probe",
				       [BY_ANSWERS] = "answers"};

const char *answer_by_name(enum answer_by by)
{
	return by_names[by];
}

void kv_set(struct kvlist *l, const char *key, const char *value)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0) {
			free(l->v[i].value);
			l->v[i].value = xstrdup(value);
			return;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct kv){xstrdup(key), xstrdup(value)};
}

const char *kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

void kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void walk_init(struct walk *w, const struct mm_kb *kb, const struct mm_flow *flow)
{
	memset(w, 0, sizeof(*w));
	w->kb = kb;
	w->start_flow = w->flow = flow;
	w->node = flow->start_node;
}

static void clear_probe_note(struct walk *w)
{
	free(w->probe_note);
	w->probe_note = NULL;
	sl_free(&w->probe_evidence);
	leads_free(&w->likely);
	w->likely_node = NULL;
}

void derived_clear(struct derived *d)
{
	free(d->input);
	free(d->value);
	free(d->rule);
	free(d->flow_id);
	sl_free(&d->evidence);
	sl_free(&d->others);
	sl_free(&d->others_ev);
}

void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->nsteps; i++)
		sl_free(&w->steps[i].evidence);
	free(w->steps);
	kv_free(&w->inputs);
	kv_free(&w->named);
	clear_probe_note(w);
	for (size_t i = 0; i < w->nderived; i++)
		derived_clear(&w->derived[i]);
	free(w->derived);
	sl_free(&w->derive_tried);
	sl_free(&w->derive_why);
	free(w->fqdn_ns);
	memset(w, 0, sizeof(*w));
}

/* The input declared by f or by a flow it hands over to. */
static const struct mm_input *flow_input_reachable(const struct mm_flow *f, const char *name,
						   int depth)
{
	const struct mm_input *in = flow_input(f, name);
	for (size_t i = 0; !in && depth < 16 && i < f->nnodes; i++)
		for (size_t k = 0; !in && k < f->nodes[i].nchoices; k++)
			if (f->nodes[i].choices[k].flow)
				in = flow_input_reachable(f->nodes[i].choices[k].flow, name, depth + 1);
	return in;
}

/* service=NAME.NS...: the service NAME in namespace NS, unless another namespace was given. */
static bool set_service_fqdn(struct walk *w, const char *name, const char *value, const char *svc,
                             const char *ns, char **err)
{
	const char *had = kv_get(&w->inputs, "namespace");
	char *clash = NULL;
	if (!flow_input_reachable(w->start_flow, "namespace", 0))
		clash = xasprintf("flow '%s' has no namespace input", w->start_flow->id);
	else if (had && strcmp(had, ns) != 0)
		clash = xasprintf("namespace '%s' was given", had);
	if (clash) {
		char *shown = sanitize(value, false);
		*err = xasprintf("input %s='%s' names namespace '%s', but %s", name, shown, ns, clash);
		free(shown);
		free(clash);
		return false;
	}
	kv_set(&w->inputs, "namespace", ns);
	kv_set(&w->inputs, name, svc);
	free(w->fqdn_ns);
	w->fqdn_ns = xstrdup(ns);
	return true;
}

bool walk_set_input(struct walk *w, const char *name, const char *value, char **err)
{
	const struct mm_input *in = flow_input_reachable(w->start_flow, name, 0);
	if (!in) {
		struct sbuf b;
		sb_init(&b);
		for (size_t i = 0; i < w->start_flow->ninputs; i++)
			sb_printf(&b, "%s%s", i ? ", " : "", w->start_flow->inputs[i].name);
		*err = xasprintf("flow '%s' has no input '%s' (inputs: %s)", w->start_flow->id, name,
				 b.len ? b.s : "none");
		sb_free(&b);
		return false;
	}
	char *svc, *ns;
	if (in->type == IN_SERVICE && service_fqdn_split(value, &svc, &ns)) {
		bool ok = set_service_fqdn(w, name, value, svc, ns, err);
		free(svc);
		free(ns);
		return ok;
	}
	if (in->type == IN_NAMESPACE && w->fqdn_ns && strcmp(value, w->fqdn_ns) != 0) {
		char *shown = sanitize(value, false);
		*err = xasprintf("input %s='%s' conflicts with the Service's DNS name, which names "
		                 "namespace '%s'",
		                 name, shown, w->fqdn_ns);
		free(shown);
		return false;
	}
	char *why = input_value_error(in->type, value);
	if (why) {
		char *shown = sanitize(value, false);
		*err = xasprintf("input %s='%s' %s", name, shown, why);
		free(shown);
		free(why);
		return false;
	}
	kv_set(&w->inputs, name, value);
	return true;
}

const char *walk_input(const struct walk *w, const char *name)
{
	const char *v = kv_get(&w->inputs, name);
	if (v)
		return v;
	const struct mm_input *a = flow_input(w->start_flow, name), *b = flow_input(w->flow, name);
	if (a && a->def)
		return a->def;
	return b ? b->def : NULL;
}

/* The choices of a node, "a, b, c". New string. */
static char *choice_list(const struct mm_node *n)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < n->nchoices; i++)
		sb_printf(&b, "%s%s", i ? ", " : "", n->choices[i].id);
	return sb_steal(&b);
}

bool walk_answer(struct walk *w, const char *choice, enum answer_by by,
		 const struct strlist *evidence, char **err)
{
	if (!w->node) {
		*err = xstrdup("the walk has already reached a diagnosis");
		return false;
	}
	const struct mm_choice *ch = node_choice(w->node, choice);
	if (!ch) {
		char *shown = sanitize(choice, false), *choices = choice_list(w->node);
		*err = xasprintf("'%s' is not a choice of node '%s:%s' (choices: %s)", shown,
				 w->flow->id, w->node->id, choices);
		free(shown);
		free(choices);
		return false;
	}
	if (w->nsteps == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->steps = xrealloc(w->steps, w->cap * sizeof(*w->steps));
	}
	struct step *s = &w->steps[w->nsteps++];
	memset(s, 0, sizeof(*s));
	s->flow = w->flow;
	s->node = w->node;
	s->choice = ch;
	s->by = by;
	if (evidence)
		sl_copy(&s->evidence, evidence);
	clear_probe_note(w);
	switch (ch->kind) {
	case TARGET_NODE:
		w->node = ch->node;
		break;
	case TARGET_FLOW:
		w->flow = ch->flow;
		w->node = ch->flow->start_node;
		break;
	case TARGET_DIAGNOSIS:
		w->node = NULL;
		w->diag = ch->diag;
		break;
	}
	return true;
}

void walk_back(struct walk *w, size_t i)
{
	if (i >= w->nsteps)
		return;
	w->flow = w->steps[i].flow;
	w->node = w->steps[i].node;
	w->diag = NULL;
	for (size_t k = i; k < w->nsteps; k++)
		sl_free(&w->steps[k].evidence);
	w->nsteps = i;
	clear_probe_note(w);
}

bool walk_done(const struct walk *w)
{
	return w->node == NULL;
}

char *walk_text(const struct walk *w, const char *text)
{
	struct sbuf b;
	sb_init(&b);
	const char *p = text ? text : "";
	while (*p) {
		const char *open = strchr(p, '{');
		const char *close = open ? strchr(open, '}') : NULL;
		if (!close) {
			sb_add(&b, p);
			break;
		}
		sb_addn(&b, p, (size_t)(open - p));
		char *name = xstrndup(open + 1, (size_t)(close - open - 1));
		const char *v = is_mm_id(name) ? walk_input(w, name) : NULL;
		if (!v && is_mm_id(name))
			v = kv_get(&w->named, name);
		if (v)
			sb_add(&b, v);
		else if (is_mm_id(name))
			sb_printf(&b, "<%s>", name);
		else
			sb_addn(&b, open, (size_t)(close - open + 1));
		free(name);
		p = close + 1;
	}
	return sb_steal(&b);
}

void answers_free(struct answers *a)
{
	kv_free(&a->user);
	kv_free(&a->file);
	kv_free(&a->named);
	for (size_t i = 0; i < a->nevidence; i++) {
		free(a->evidence[i].key);
		sl_free(&a->evidence[i].lines);
	}
	free(a->evidence);
	a->evidence = NULL;
	a->nevidence = 0;
	for (size_t i = 0; i < a->nderived; i++)
		derived_clear(&a->derived[i]);
	free(a->derived);
	a->derived = NULL;
	a->nderived = 0;
}

void answers_add_evidence(struct answers *a, const char *key, const struct strlist *lines)
{
	a->evidence = xrealloc(a->evidence, (a->nevidence + 1) * sizeof(*a->evidence));
	struct recorded_evidence *e = &a->evidence[a->nevidence++];
	e->key = xstrdup(key);
	memset(&e->lines, 0, sizeof(e->lines));
	e->inferred = false;
	sl_copy(&e->lines, lines);
}

void answers_mark_inferred(struct answers *a, const char *key)
{
	for (size_t i = 0; i < a->nevidence; i++)
		if (strcmp(a->evidence[i].key, key) == 0) {
			a->evidence[i].inferred = true;
			return;
		}
	struct strlist none = {0};
	answers_add_evidence(a, key, &none);
	a->evidence[a->nevidence - 1].inferred = true;
}

/* What the file recorded for the current node (its evidence, whether inferred), or NULL. */
static const struct recorded_evidence *record(const struct answers *a, const struct walk *w)
{
	char *key = xasprintf("%s:%s", w->flow->id, w->node->id);
	const struct recorded_evidence *r = NULL;
	for (size_t i = 0; i < a->nevidence && !r; i++)
		if (strcmp(a->evidence[i].key, key) == 0 || strcmp(a->evidence[i].key, w->node->id) == 0)
			r = &a->evidence[i];
	free(key);
	return r;
}

static const struct strlist *recorded(const struct answers *a, const struct walk *w)
{
	const struct recorded_evidence *r = record(a, w);
	return r && r->lines.n ? &r->lines : NULL;
}


/* NULL if some node the key names has the choice; else what is wrong. New string. */
static char *answer_problem(const struct mm_kb *kb, const char *key, const char *choice)
{
	const struct mm_node *seen = NULL;
	const char *colon = strchr(key, ':');
	if (colon) {
		char *fid = xstrndup(key, (size_t)(colon - key));
		const struct mm_flow *f = kb_flow(kb, fid);
		char *r = NULL;
		if (!f)
			r = xasprintf("no flow '%s' (in '%s')", fid, key);
		else if (!(seen = flow_node(f, colon + 1)))
			r = xasprintf("flow '%s' has no node '%s'", fid, colon + 1);
		free(fid);
		if (r)
			return r;
		if (node_choice(seen, choice))
			return NULL;
	} else {
		/* a bare NODE may exist in several flows; the choice must fit one of them */
		for (size_t k = 0; k < kb->nflows; k++) {
			const struct mm_node *n = flow_node(kb->flows[k], key);
			if (n && node_choice(n, choice))
				return NULL;
			if (n && !seen)
				seen = n;
		}
		if (!seen)
			return xasprintf("no node '%s' in any flow", key);
	}
	char *choices = choice_list(seen);
	char *r = xasprintf("'%s' is not a choice of node '%s' (choices: %s)", choice, key, choices);
	free(choices);
	return r;
}

bool answers_check(const struct kvlist *l, const struct mm_kb *kb, char **err)
{
	for (size_t i = 0; i < l->n; i++) {
		char *why = answer_problem(kb, l->v[i].key, l->v[i].value);
		if (why) {
			*err = sanitize(why, false);
			free(why);
			return false;
		}
	}
	return true;
}

/* A prepared answer for the current node: FLOW:NODE first, then NODE. */
static const char *prepared(const struct kvlist *l, const struct walk *w)
{
	char *key = xasprintf("%s:%s", w->flow->id, w->node->id);
	const char *v = kv_get(l, key);
	free(key);
	if (!v)
		v = kv_get(l, w->node->id);
	return v && node_choice(w->node, v) ? v : NULL;
}

static const char *probe_input(void *ctx, const char *name)
{
	return walk_input(ctx, name);
}

static void placeholders(const char *text, struct strlist *l)
{
	for (const char *p = text ? strchr(text, '{') : NULL; p; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');
		if (!end)
			break;
		char *name = xstrndup(p + 1, (size_t)(end - p - 1));
		if (is_mm_id(name) && !sl_has(l, name))
			sl_take(l, name);
		else
			free(name);
	}
}

void walk_node_needs(const struct walk *w, struct strlist *need)
{
	if (!w->node)
		return;
	const struct probe *p = w->node->probe ? probe_find(w->node->probe) : NULL;
	for (size_t i = 0; p && i < MM_ARRAY_LEN(p->inputs) && p->inputs[i]; i++)
		if (!sl_has(need, p->inputs[i]))
			sl_add(need, p->inputs[i]);
	placeholders(w->node->question, need);
}

const struct mm_input *walk_derivable(const struct walk *w, const char *name)
{
	const struct mm_input *in = flow_input(w->flow, name);
	if (!in || !in->derive)
		in = flow_input(w->start_flow, name);
	return in && in->derive ? in : NULL;
}

/* Whether an input the node needs is unset, declared derivable, and not tried yet. */
static bool derive_pending(const struct walk *w)
{
	struct strlist need = {0};
	bool pending = false;
	walk_node_needs(w, &need);
	for (size_t i = 0; i < need.n && !pending; i++)
		pending = walk_derivable(w, need.v[i]) && !walk_input(w, need.v[i]) &&
		          !sl_has(&w->derive_tried, need.v[i]);
	sl_free(&need);
	return pending;
}

void walk_probe_run(const struct walk *w, struct cluster *cluster, struct probe_result *r,
                    struct leads *keep)
{
	memset(r, 0, sizeof(*r));
	if (!w->node || !w->node->probe)
		return;
	const struct probe *p = probe_find(w->node->probe);
	if (!p) {
		r->reason = xasprintf("no probe '%s' in this build", w->node->probe);
		return;
	}
	if (!cluster) {
		r->reason = xstrdup("no cluster state loaded (use --snapshot or --live)");
		return;
	}
	const char **ids = xmalloc((w->node->nchoices + 1) * sizeof *ids);
	for (size_t i = 0; i < w->node->nchoices; i++)
		ids[i] = w->node->choices[i].id;
	/* probe_input only reads the walk */
	struct probe_ctx ctx = {cluster, probe_input, (void *)w, ids, w->node->nchoices};
	p->run(&ctx, r);
	free(ids);
	if (!r->choice && !r->reason)
		r->reason = xstrdup("the probe could not tell");
	if (r->choice)
		return;
	/* derive, probe, infer: the direct evidence an input may still give comes first */
	if (derive_pending(w)) {
		r->deferred = true;
		return;
	}
	struct lead_scope ls = {walk_input(w, "namespace"), walk_input(w, "service"),
				walk_input(w, "pod"), w->kb};
	struct leads l;
	node_leads(w->node, &ls, cluster, &l);
	node_infer(w->node, &l, r);
	if (keep)
		*keep = l;
	else
		leads_free(&l);
}

void walk_probe_note(struct walk *w, const struct probe_result *r)
{
	clear_probe_note(w);
	if (!r->reason)
		return;
	w->probe_note = xstrdup(r->reason);
	sl_copy(&w->probe_evidence, &r->evidence);
	/* why an input the question needs is still unset */
	struct strlist need = {0};
	walk_node_needs(w, &need);
	for (size_t i = 0; i < w->derive_tried.n; i++)
		if (*w->derive_why.v[i] && sl_has(&need, w->derive_tried.v[i]) &&
		    !walk_input(w, w->derive_tried.v[i]))
			sl_take(&w->probe_evidence, xasprintf("input %s could not be derived: %s",
			                                      w->derive_tried.v[i], w->derive_why.v[i]));
	sl_free(&need);
}

/* Keep NAME=VALUE as named when the flow has that input, unset, and the value is valid for it. */
static void keep_named(struct walk *w, const char *name, const char *value)
{
	const struct mm_input *in = flow_input_reachable(w->start_flow, name, 0);
	char *why = in ? input_value_error(in->type, value) : NULL;
	if (in && !why && !walk_input(w, name))
		kv_set(&w->named, name, value);
	free(why);
}

void walk_probe_named(struct walk *w, const struct probe_result *r)
{
	for (size_t i = 0; i < r->named.n; i++) {
		const char *eq = strchr(r->named.v[i], '=');
		if (!eq)
			continue;
		char *name = xstrndup(r->named.v[i], (size_t)(eq - r->named.v[i]));
		keep_named(w, name, eq + 1);
		free(name);
	}
}

bool walk_probe(struct walk *w, struct cluster *cluster)
{
	struct probe_result r;
	struct leads l = {0};
	walk_probe_run(w, cluster, &r, &l);
	char *err = NULL;
	const struct mm_node *at = w->node;
	bool taken = r.choice && walk_answer(w, r.choice, BY_PROBE, &r.evidence, &err);
	if (taken)
		walk_probe_named(w, &r);
	w->infer_deferred = !taken && r.deferred;
	if (taken) {
		w->steps[w->nsteps - 1].inferred = r.inferred;
		leads_free(&l);
	} else {
		if (err) {
			free(r.reason);
			r.reason = err;
		}
		walk_probe_note(w, &r);
		/* what the walk stopped on: the leads it looked at, kept for walk_likely */
		if (!r.deferred && w->node == at && l.looked) {
			w->likely = l;
			w->likely_node = at;
		} else
			leads_free(&l);
	}
	probe_result_free(&r);
	return taken;
}

const char *walk_prepared(const struct walk *w, const struct answers *a, enum answer_by *by,
			  const struct strlist **evidence)
{
	const char *v = NULL;
	*evidence = NULL;
	if (!a || !w->node)
		return NULL;
	if ((v = prepared(&a->user, w))) {
		*by = BY_USER;
	} else if ((v = prepared(&a->file, w))) {
		*by = BY_ANSWERS;
		*evidence = recorded(a, w);
	}
	return v;
}

void walk_auto(struct walk *w, const struct answers *a, struct cluster *cluster)
{
	for (size_t i = 0; a && i < a->named.n; i++)
		keep_named(w, a->named.v[i].key, a->named.v[i].value);
	while (!walk_done(w)) {
		char *err = NULL;
		enum answer_by by;
		const struct strlist *ev;
		const char *v = walk_prepared(w, a, &by, &ev);
		const struct recorded_evidence *rec = v && by == BY_ANSWERS ? record(a, w) : NULL;
		if (v) {
			/* a replayed step keeps whether it was inferred */
			if (walk_answer(w, v, by, ev, &err))
				w->steps[w->nsteps - 1].inferred = rec && rec->inferred;
		} else if (!walk_probe(w, cluster)) {
			/* a deferred inference comes back after derivation (walk_auto_derive) */
			if (!w->infer_deferred)
				walk_likely(w, cluster);
			return;
		}
		free(err);
	}
}

void walk_likely(struct walk *w, struct cluster *cluster)
{
	/* the leads the stopping probe looked at stand; else look now */
	if (w->likely_node != w->node || !w->node) {
		leads_free(&w->likely);
		struct lead_scope ls = {walk_input(w, "namespace"), walk_input(w, "service"),
					walk_input(w, "pod"), w->kb};
		node_leads(w->node, &ls, cluster, &w->likely);
		w->likely_node = w->node;
	}
	/* the node's own probe may have been refused too */
	if (w->probe_note && strstr(w->probe_note, "forbidden")) {
		bool seen = false;
		for (size_t i = 0; i < w->likely.n; i++)
			seen |= strcmp(w->likely.v[i].diagnosis, FORBIDDEN_DIAGNOSIS) == 0;
		if (!seen)
			leads_add_forbidden(&w->likely, w->node->probe, w->probe_note);
	}
}
