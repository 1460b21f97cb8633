#include "walk/transcript.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonpos.h"

static json_t *strlist_json(const struct strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

json_t *diag_json(const struct mm_diag *d)
{
	struct sbuf fix;
	sb_init(&fix);
	for (size_t i = 0; i < d->fix.n; i++)
		sb_printf(&fix, "%s%zu. %s", i ? "\n" : "", i + 1, d->fix.v[i]);
	json_t *o = json_pack("{s:s, s:s, s:s}", "id", d->id, "title", d->title, "fix",
			      fix.s ? fix.s : "");
	sb_free(&fix);
	json_object_set_new(o, "summary", json_string(d->summary));
	json_object_set_new(o, "cause", json_string(d->cause));
	json_object_set_new(o, "steps", strlist_json(&d->fix));
	json_object_set_new(o, "verify", strlist_json(&d->verify));
	if (d->snippet)
		json_object_set_new(o, "snippet", json_pack("{s:s, s:s}", "lang", d->snippet_lang,
							     "text", d->snippet));
	json_object_set_new(o, "help", strlist_json(&d->help));
	if (d->vmin || d->vmax || d->vnote || d->older_api.n) {
		json_t *v = json_object();
		if (d->vmin)
			json_object_set_new(v, "min", json_string(d->vmin));
		if (d->vmax)
			json_object_set_new(v, "max", json_string(d->vmax));
		if (d->vnote)
			json_object_set_new(v, "note", json_string(d->vnote));
		if (d->older_api.n)
			json_object_set_new(v, "older_api", strlist_json(&d->older_api));
		json_object_set_new(o, "versions", v);
	}
	return o;
}

/* What the cluster shows below the question a walk stopped at, and the answer that leads there. */
static json_t *likely_json(const struct walk *w)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w->likely.n; i++) {
		const struct lead *x = &w->likely.v[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "diagnosis", x->diagnosis, "resource",
				      x->resource, "message", x->message);
		json_t *answers = json_array();
		for (size_t k = 0; k < x->nchoices; k++) {
			char *ans = xasprintf("%s=%s", w->node->id, w->node->choices[x->choices[k]].id);
			json_array_append_new(answers, json_string(ans));
			free(ans);
		}
		json_object_set_new(o, "answers", answers);
		json_object_set_new(o, "evidence", strlist_json(&x->evidence));
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * A derived input as a step of the path (DESIGN.md's path entry, plus
 * "input", "rule" and "candidates"): node "input:NAME", the value as the
 * answer, "by": "probe" with "inferred": true, since the cluster named it
 * and nobody chose it. Replaying skips it: the value is in "inputs".
 */
static json_t *derived_json(const struct walk *w, const struct derived *d)
{
	const struct mm_input *in = flow_input(d->flow, d->input);
	char *node = xasprintf("input:%s", d->input);
	char *q = in && in->prompt ? xasprintf("Which %s? (%s)", d->input, in->prompt)
	                           : xasprintf("Which %s?", d->input);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "node", node, "question", q, "answer",
	                      d->value, "by", answer_by_name(d->by), "inferred", 1);
	free(q);
	free(node);
	(void)w;
	json_object_set_new(o, "evidence", strlist_json(&d->evidence));
	json_object_set_new(o, "flow", json_string(d->flow->id));
	json_object_set_new(o, "label", json_string(d->value));
	json_object_set_new(o, "input", json_string(d->input));
	json_object_set_new(o, "rule", json_string(d->rule));
	json_t *cands = json_array();
	for (size_t i = 0; i < d->others.n; i++)
		json_array_append_new(cands, json_pack("{s:s, s:s}", "value", d->others.v[i],
		                                       "evidence", d->others_ev.v[i]));
	json_object_set_new(o, "candidates", cands);
	return o;
}

json_t *walk_to_json(const struct walk *w)
{
	json_t *root = json_object();
	json_object_set_new(root, "flow", json_string(w->start_flow->id));
	json_t *inputs = json_object();
	for (size_t i = 0; i < w->start_flow->ninputs; i++) {
		const char *v = walk_input(w, w->start_flow->inputs[i].name);
		if (v)
			json_object_set_new(inputs, w->start_flow->inputs[i].name, json_string(v));
	}
	for (size_t i = 0; i < w->inputs.n; i++)
		json_object_set_new(inputs, w->inputs.v[i].key, json_string(w->inputs.v[i].value));
	json_object_set_new(root, "inputs", inputs);
	/* inputs nobody gave that the evidence named (the pod whose log showed the flag) */
	json_t *named = json_object();
	for (size_t i = 0; i < w->named.n; i++)
		if (!walk_input(w, w->named.v[i].key))
			json_object_set_new(named, w->named.v[i].key, json_string(w->named.v[i].value));
	if (json_object_size(named))
		json_object_set_new(root, "named", named);
	else
		json_decref(named);
	json_object_set_new(root, "status",
			    json_string(walk_done(w) ? "diagnosed" : "undetermined"));
	json_t *path = json_array();
	size_t di = 0;
	for (size_t i = 0; i < w->nsteps; i++) {
		/* a derived input stands where the walk derived it */
		for (; di < w->nderived && w->derived[di].at <= i; di++)
			json_array_append_new(path, derived_json(w, &w->derived[di]));
		const struct step *s = &w->steps[i];
		char *q = walk_text(w, s->node->question);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "node", s->node->id, "question", q,
				      "answer", s->choice->id, "by", answer_by_name(s->by));
		free(q);
		if (s->inferred)
			json_object_set_new(o, "inferred", json_true());
		json_object_set_new(o, "evidence", strlist_json(&s->evidence));
		json_object_set_new(o, "flow", json_string(s->flow->id));
		char *label = walk_text(w, s->choice->label);
		json_object_set_new(o, "label", json_string(label));
		free(label);
		json_array_append_new(path, o);
	}
	for (; di < w->nderived; di++)
		json_array_append_new(path, derived_json(w, &w->derived[di]));
	json_object_set_new(root, "path", path);
	json_object_set_new(root, "diagnosis", w->diag ? diag_json(w->diag) : json_null());
	if (!walk_done(w)) {
		char *q = walk_text(w, w->node->question);
		json_t *choices = json_array();
		for (size_t i = 0; i < w->node->nchoices; i++)
			json_array_append_new(choices, json_string(w->node->choices[i].id));
		json_t *p = json_pack("{s:s, s:s, s:o}", "node", w->node->id, "question", q,
				      "choices", choices);
		free(q);
		json_object_set_new(p, "flow", json_string(w->flow->id));
		if (w->probe_note)
			json_object_set_new(p, "probe", json_pack("{s:s, s:o}", "reason", w->probe_note,
								  "evidence",
								  strlist_json(&w->probe_evidence)));
		json_object_set_new(root, "pending", p);
		if (w->likely.looked)
			json_object_set_new(root, "likely", likely_json(w));
	} else {
		json_object_set_new(root, "pending", json_null());
	}
	return root;
}

/* Report an error at a JSON Pointer of the answers file. */
static bool fail(struct mm_errors *errs, const char *path, const struct jpos *jp, const char *ptr,
		 const char *what)
{
	int line = 0, col = 0;
	jpos_nearest(jp, ptr, false, &line, &col);
	errs_add(errs, path, line, col, "%s", what);
	return false;
}

static bool load_inputs(json_t *j, const char *path, const struct jpos *jp, struct kvlist *inputs,
			struct mm_errors *errs)
{
	json_t *in = json_object_get(j, "inputs");
	if (!in)
		return true;
	if (!json_is_object(in))
		return fail(errs, path, jp, "/inputs", "'inputs' must be an object of strings");
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (!json_is_string(v)) {
			char *p = xasprintf("/inputs/%s", k);
			fail(errs, path, jp, p, "an input value must be a string");
			free(p);
			return false;
		}
		kv_set(inputs, k, json_string_value(v));
	}
	return true;
}

/* The strings of a JSON array into l (others skipped). */
static void strings_into(json_t *arr, struct strlist *l)
{
	for (size_t k = 0; k < json_array_size(arr); k++)
		if (json_is_string(json_array_get(arr, k)))
			sl_add(l, json_string_value(json_array_get(arr, k)));
}

/* A derived input of a transcript's path (step i) into a->derived; incomplete ones are dropped. */
static void load_derived(json_t *s, size_t i, struct answers *a)
{
	const char *input = json_string_value(json_object_get(s, "input"));
	const char *value = json_string_value(json_object_get(s, "answer"));
	const char *rule = json_string_value(json_object_get(s, "rule"));
	const char *flow = json_string_value(json_object_get(s, "flow"));
	if (!input || !value || !rule || !flow)
		return;
	struct derived d = {.input = xstrdup(input),
	                    .value = xstrdup(value),
	                    .rule = xstrdup(rule),
	                    .flow_id = xstrdup(flow),
	                    .by = BY_ANSWERS};
	/* the steps before it: the entries before it, less the derived ones */
	d.at = i - a->nderived;
	strings_into(json_object_get(s, "evidence"), &d.evidence);
	json_t *cands = json_object_get(s, "candidates");
	for (size_t k = 0; k < json_array_size(cands); k++) {
		json_t *c = json_array_get(cands, k);
		const char *v = json_string_value(json_object_get(c, "value"));
		const char *e = json_string_value(json_object_get(c, "evidence"));
		if (v && e) {
			sl_add(&d.others, v);
			sl_add(&d.others_ev, e);
		}
	}
	a->derived = xrealloc(a->derived, (a->nderived + 1) * sizeof(*a->derived));
	a->derived[a->nderived++] = d;
}

bool answers_load(const char *path, struct answers *a, struct kvlist *inputs, char **flow_id,
		  struct mm_errors *errs)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		errs_add(errs, path, 0, 0, "cannot read answers: %s", read_strerror(errno));
		return false;
	}
	json_t *j = json_parse_text(path, text, len, errs);
	if (!j) {
		free(text);
		return false;
	}
	struct jpos *jp = jpos_build(text, len);
	free(text);
	bool ok = true;
	json_t *answers = json_object_get(j, "answers"), *path_a = json_object_get(j, "path");
	if (!json_is_object(j)) {
		ok = fail(errs, path, jp, "", "an answers file is a JSON object");
	} else if (answers) {
		const char *k;
		json_t *v;
		if (!json_is_object(answers))
			ok = fail(errs, path, jp, "/answers", "'answers' must map NODE to CHOICE");
		json_object_foreach(answers, k, v) {
			if (!ok)
				break;
			if (!json_is_string(v)) {
				char *p = xasprintf("/answers/%s", k);
				ok = fail(errs, path, jp, p, "an answer must be a choice id (a string)");
				free(p);
			} else {
				kv_set(&a->file, k, json_string_value(v));
			}
		}
	} else if (json_is_array(path_a)) {
		/* a transcript: the answers are the steps of its path */
		for (size_t i = 0; ok && i < json_array_size(path_a); i++) {
			json_t *s = json_array_get(path_a, i);
			/* a derived input is no answer ("inputs" has its value); keep its record */
			if (json_is_string(json_object_get(s, "input"))) {
				load_derived(s, i, a);
				continue;
			}
			const char *node = json_string_value(json_object_get(s, "node"));
			const char *ans = json_string_value(json_object_get(s, "answer"));
			const char *fl = json_string_value(json_object_get(s, "flow"));
			if (!node || !ans) {
				char *p = xasprintf("/path/%zu", i);
				ok = fail(errs, path, jp, p, "a path step needs 'node' and 'answer' strings");
				free(p);
				continue;
			}
			char *key = fl ? xasprintf("%s:%s", fl, node) : xstrdup(node);
			kv_set(&a->file, key, ans);
			/* the evidence travels with the answer, so a replay keeps the record */
			json_t *ev = json_object_get(s, "evidence");
			struct strlist lines = {0};
			for (size_t k = 0; k < json_array_size(ev); k++)
				if (json_is_string(json_array_get(ev, k)))
					sl_add(&lines, json_string_value(json_array_get(ev, k)));
			if (lines.n)
				answers_add_evidence(a, key, &lines);
			if (json_is_true(json_object_get(s, "inferred")))
				answers_mark_inferred(a, key);
			sl_free(&lines);
			free(key);
		}
	} else {
		ok = fail(errs, path, jp, "",
			  "an answers file has an 'answers' object or a transcript's 'path' array");
	}
	if (ok)
		ok = load_inputs(j, path, jp, inputs, errs);
	/* what the recorded evidence named: only shown, so values of another type are dropped */
	const char *nk;
	json_t *nv;
	json_t *named = json_object_get(j, "named");
	if (ok && json_is_object(named))
		json_object_foreach(named, nk, nv)
			if (json_is_string(nv))
				kv_set(&a->named, nk, json_string_value(nv));
	const char *fid = json_string_value(json_object_get(j, "flow"));
	if (ok && fid && flow_id)
		*flow_id = xstrdup(fid);
	jpos_free(jp);
	json_decref(j);
	return ok;
}
