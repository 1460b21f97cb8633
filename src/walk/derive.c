/* Inputs the cluster can name (walk/derive.h). */
#include "walk/derive.h"

#include <stdlib.h>
#include <string.h>

#include "probes/derive.h"

/* The declaration of name that says how to derive it: the current flow's, else the first's. */
static const char *walk_in(void *ctx, const char *name)
{
	return walk_input(ctx, name);
}

/* Run the input's rule if every input it reads is known; false with *why if not. */
static bool candidates(const struct walk *w, struct cluster *c, const struct mm_input *in,
                       struct derive_result *r, char **why)
{
	const struct derive_rule *rule = derive_find(in->derive);
	memset(r, 0, sizeof(*r));
	if (!rule) {
		*why = xasprintf("no derivation rule '%s' in this build", in->derive);
		return false;
	}
	for (size_t i = 0; rule->inputs[i]; i++)
		if (!walk_input(w, rule->inputs[i])) {
			*why = xasprintf("%s needs input %s", rule->name, rule->inputs[i]);
			return false;
		}
	/* the rule only reads the walk's inputs */
	derive_run(rule, c, walk_in, (void *)w, r);
	if (r->n)
		return true;
	*why = xstrdup(r->reason);
	derive_result_free(r);
	return false;
}

bool walk_derive(struct walk *w, struct cluster *c, const char *name, char **why)
{
	char *reason = NULL;
	const struct mm_input *in = walk_derivable(w, name);
	struct derive_result r;
	bool set = false;
	if (kv_get(&w->inputs, name) || walk_input(w, name))
		reason = xstrdup("it is given");
	else if (!in)
		reason = xstrdup("its flow names no rule to derive it");
	else if (!c)
		reason = xstrdup("no cluster state loaded");
	else if (candidates(w, c, in, &r, &reason)) {
		struct derived d = {
		    .flow = w->flow, .input = xstrdup(name), .rule = xstrdup(in->derive)};
		d.at = w->nsteps;
		d.by = BY_PROBE;
		for (size_t i = 0; i < r.n; i++) {
			/* a name from the cluster reaches kubectl only once it is valid */
			char *bad = input_value_error(in->type, r.v[i].value), *err = NULL;
			if (!bad && !set && walk_set_input(w, name, r.v[i].value, &err)) {
				set = true;
				d.value = xstrdup(r.v[i].value);
				sl_take(&d.evidence, xasprintf("%s %s: %s", name, r.v[i].value,
				                               r.v[i].evidence));
			} else if (!bad && !err) {
				sl_add(&d.others, r.v[i].value);
				sl_add(&d.others_ev, r.v[i].evidence);
			}
			free(bad);
			free(err);
		}
		if (set) {
			const struct derive_rule *rule = derive_find(in->derive);
			sl_take(&d.evidence,
			        xasprintf("derived by rule %s (%s)%s", rule->name, rule->summary,
			                  d.others.n
			                      ? "; of several, the worst state first, then the "
			                        "most recently created, then by name"
			                      : ""));
			w->derived = xrealloc(w->derived, (w->nderived + 1) * sizeof(*w->derived));
			w->derived[w->nderived++] = d;
		} else {
			reason = xstrdup("no candidate is a valid name");
			free(d.input);
			free(d.rule);
			sl_free(&d.others);
			sl_free(&d.others_ev);
		}
		derive_result_free(&r);
	}
	if (why)
		*why = reason;
	else
		free(reason);
	return set;
}

void walk_derive_required(struct walk *w, struct cluster *c)
{
	const struct mm_flow *f = w->start_flow;
	for (size_t i = 0; i < f->ninputs; i++)
		if (f->inputs[i].required && f->inputs[i].derive)
			walk_derive(w, c, f->inputs[i].name, NULL);
}

/* Add to l the {names} of text that are ids. */
bool walk_derive_needed(struct walk *w, struct cluster *c)
{
	/* without a cluster the probe's note already says why nothing is read */
	if (!w->node || !c)
		return false;
	struct strlist need = {0};
	walk_node_needs(w, &need);
	bool set = false;
	for (size_t i = 0; i < need.n; i++) {
		/* tried once (the cluster does not change): from then on the walk may infer */
		if (walk_input(w, need.v[i]) || !walk_derivable(w, need.v[i]) ||
		    sl_has(&w->derive_tried, need.v[i]))
			continue;
		char *why = NULL;
		set |= walk_derive(w, c, need.v[i], &why);
		/* the probe's note quotes why (walk_probe_note) */
		sl_add(&w->derive_tried, need.v[i]);
		sl_add(&w->derive_why, why ? why : "");
		free(why);
	}
	sl_free(&need);
	return set;
}

void walk_auto_derive(struct walk *w, const struct answers *a, struct cluster *c)
{
	walk_derive_required(w, c);
	walk_auto(w, a, c);
	/* each pass sets an input or tries one for the first time, so this ends */
	while (!walk_done(w)) {
		bool deferred = w->infer_deferred;
		if (!walk_derive_needed(w, c) && !deferred)
			break;
		walk_auto(w, a, c);
	}
}

void walk_derive_names(const struct walk *w, struct cluster *c, const char *name,
                       struct strlist *out)
{
	const struct mm_input *in = walk_derivable(w, name);
	struct derive_result r;
	char *why = NULL;
	if (in && c && candidates(w, c, in, &r, &why)) {
		for (size_t i = 0; i < r.n; i++) {
			char *bad = input_value_error(in->type, r.v[i].value);
			if (!bad && !sl_has(out, r.v[i].value))
				sl_add(out, r.v[i].value);
			free(bad);
		}
		derive_result_free(&r);
	}
	free(why);
}

void walk_derive_replay(struct walk *w, const struct answers *a)
{
	for (size_t i = 0; a && i < a->nderived; i++) {
		const struct derived *r = &a->derived[i];
		const char *now = kv_get(&w->inputs, r->input);
		const struct mm_flow *f = w->kb && r->flow_id ? kb_flow(w->kb, r->flow_id) : NULL;
		bool known = false;
		for (size_t k = 0; k < w->nderived && !known; k++)
			known = strcmp(w->derived[k].input, r->input) == 0;
		/* only where the input still holds the recorded value: --set wins */
		if (known || !f || !now || strcmp(now, r->value) != 0)
			continue;
		struct derived d = {.flow = f,
		                    .input = xstrdup(r->input),
		                    .value = xstrdup(r->value),
		                    .rule = xstrdup(r->rule),
		                    .at = r->at,
		                    .by = BY_ANSWERS};
		sl_copy(&d.evidence, &r->evidence);
		sl_copy(&d.others, &r->others);
		sl_copy(&d.others_ev, &r->others_ev);
		w->derived = xrealloc(w->derived, (w->nderived + 1) * sizeof(*w->derived));
		w->derived[w->nderived++] = d;
	}
}
