/*
 * Checks of a knowledge base as a whole, after every file loaded: the
 * references between flows, nodes, diagnoses, help topics and probes, the
 * shape of each flow's graph (reachable, acyclic), the placeholders, and
 * the contents of diagnoses (versions, snippets).
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kb/kb.h"

static const char *const target_fields[] = {
	[TARGET_NODE] = "next", [TARGET_FLOW] = "flow", [TARGET_DIAGNOSIS] = "diagnosis"};

/* Each {name} in text must be a declared input of the flow. */
static void check_placeholders(const struct mm_flow *f, const char *text, const char *ptr,
			       struct mm_errors *errs)
{
	for (const char *p = text; text && (p = strchr(p, '{'));) {
		const char *end = strchr(p, '}');
		if (!end)
			break;
		char *name = xstrndup(p + 1, (size_t)(end - p - 1));
		if (is_mm_id(name) && !flow_input(f, name))
			kb_err_at(errs, f->src, ptr, false,
				  "placeholder '{%s}' names an input that flow '%s' does not declare",
				  name, f->id);
		free(name);
		p = end + 1;
	}
}

static void check_input_default(const struct mm_flow *f, size_t i, struct mm_errors *errs)
{
	const struct mm_input *in = &f->inputs[i];
	if (!in->def)
		return;
	char *why = input_value_error(in->type, in->def);
	bool ok = !why;
	free(why);
	if (!ok) {
		char *p = xasprintf("/inputs/%zu/default", i);
		kb_err_at(errs, f->src, p, false, "default '%s' is not a valid %s", in->def,
			  input_type_name(in->type));
		free(p);
	}
}

/* A derived input names an existing rule of its type, whose own inputs the flow declares. */
static void check_input_derive(const struct kb_probes *probes, const struct mm_flow *f, size_t i,
                               struct mm_errors *errs)
{
	const struct mm_input *in = &f->inputs[i];
	if (!in->derive)
		return;
	char *p = xasprintf("/inputs/%zu/derive", i);
	const char *const *inputs = NULL;
	enum mm_input_type type;
	if (!probes->derive_find || !probes->derive_find(in->derive, &inputs, &type)) {
		kb_err_at(errs, f->src, p, false, "no derivation rule '%s'", in->derive);
	} else if (type != in->type) {
		kb_err_at(errs, f->src, p, false, "rule '%s' names a %s, but input '%s' is a %s",
		          in->derive, input_type_name(type), in->name, input_type_name(in->type));
	} else {
		for (size_t k = 0; inputs[k]; k++)
			if (strcmp(inputs[k], in->name) == 0)
				kb_err_at(errs, f->src, p, false,
				          "rule '%s' reads input '%s' itself", in->derive,
				          in->name);
			else if (!flow_input(f, inputs[k]))
				kb_err_at(
				    errs, f->src, p, false,
				    "rule '%s' reads input '%s', which flow '%s' does not declare",
				    in->derive, inputs[k], f->id);
	}
	free(p);
}

static void resolve_choice(const struct mm_kb *kb, const struct mm_flow *f, struct mm_choice *ch,
			   const char *ptr, struct mm_errors *errs)
{
	char *p = xasprintf("%s/%s", ptr, target_fields[ch->kind]);
	switch (ch->kind) {
	case TARGET_NODE:
		ch->node = flow_node(f, ch->target);
		if (!ch->node)
			kb_err_at(errs, f->src, p, false, "no node '%s' in flow '%s'", ch->target,
				  f->id);
		break;
	case TARGET_FLOW:
		ch->flow = kb_flow(kb, ch->target);
		if (!ch->flow)
			kb_err_at(errs, f->src, p, false, "no flow '%s'", ch->target);
		else if (ch->flow == f)
			kb_err_at(errs, f->src, p, false, "flow '%s' hands over to itself", f->id);
		break;
	case TARGET_DIAGNOSIS:
		ch->diag = kb_diag(kb, ch->target);
		if (!ch->diag)
			kb_err_at(errs, f->src, p, false, "no diagnosis '%s'", ch->target);
		break;
	}
	free(p);
}

/* A node's probe must exist, read only declared inputs, and accept the node's choice ids. */
static void check_probe(const struct kb_probes *probes, const struct mm_flow *f,
			const struct mm_node *n, struct mm_errors *errs)
{
	char *p = xasprintf("%s/probe", n->ptr);
	const char *const *inputs = NULL;
	if (!probes->find(n->probe, &inputs))
		kb_err_at(errs, f->src, p, false, "no probe '%s'", n->probe);
	for (size_t i = 0; inputs && i < probes->ninputs && inputs[i]; i++)
		if (!flow_input(f, inputs[i]))
			kb_err_at(errs, f->src, p, false,
				  "probe '%s' reads input '%s', which flow '%s' does not declare",
				  n->probe, inputs[i], f->id);
	free(p);
	for (size_t i = 0; i < n->nchoices; i++) {
		const char *must;
		if (probes->choice_ok(n->probe, n->choices[i].id, &must))
			continue;
		p = xasprintf("%s/choices/%zu/id", n->ptr, i);
		kb_err_at(errs, f->src, p, false, "choice '%s' of a question probed by %s must be %s",
			  n->choices[i].id, n->probe, must);
		free(p);
	}
}

static void check_node(const struct mm_kb *kb, const struct kb_probes *probes, const struct mm_flow *f,
		       struct mm_node *n, struct mm_errors *errs)
{
	char *p;
	if (n->help && !kb_help(kb, n->help)) {
		p = xasprintf("%s/help", n->ptr);
		kb_err_at(errs, f->src, p, false, "no help topic '%s'", n->help);
		free(p);
	}
	if (n->probe)
		check_probe(probes, f, n, errs);
	p = xasprintf("%s/question", n->ptr);
	check_placeholders(f, n->question, p, errs);
	if (n->question[strlen(n->question) - 1] != '?')
		kb_err_at(errs, f->src, p, false, "the question of node '%s' does not end with '?'",
			  n->id);
	free(p);
	p = xasprintf("%s/detail", n->ptr);
	check_placeholders(f, n->detail, p, errs);
	free(p);
	for (size_t i = 0; i < n->nchoices; i++) {
		p = xasprintf("%s/choices/%zu", n->ptr, i);
		char *lp = xasprintf("%s/label", p);
		check_placeholders(f, n->choices[i].label, lp, errs);
		resolve_choice(kb, f, &n->choices[i], p, errs);
		free(lp);
		free(p);
	}
}

enum { WHITE, GREY, BLACK };

/* Depth-first search that reports the choice closing each cycle. */
static void node_dfs(const struct mm_flow *f, size_t i, unsigned char *color,
		     struct mm_errors *errs)
{
	color[i] = GREY;
	const struct mm_node *n = &f->nodes[i];
	for (size_t k = 0; k < n->nchoices; k++) {
		const struct mm_node *to = n->choices[k].node;
		if (!to)
			continue;
		size_t j = (size_t)(to - f->nodes);
		if (color[j] == GREY) {
			char *p = xasprintf("%s/choices/%zu/next", n->ptr, k);
			kb_err_at(errs, f->src, p, false,
				  "cycle: choice '%s' of node '%s' leads back to node '%s'",
				  n->choices[k].id, n->id, to->id);
			free(p);
		} else if (color[j] == WHITE) {
			node_dfs(f, j, color, errs);
		}
	}
	color[i] = BLACK;
}

static void check_graph(const struct mm_flow *f, struct mm_errors *errs)
{
	if (!f->start_node)
		return;
	unsigned char *color = xcalloc(f->nnodes, 1);
	node_dfs(f, (size_t)(f->start_node - f->nodes), color, errs);
	for (size_t i = 0; i < f->nnodes; i++)
		if (color[i] == WHITE) {
			char *p = xasprintf("%s/id", f->nodes[i].ptr);
			kb_err_at(errs, f->src, p, false, "node '%s' cannot be reached from start '%s'",
				  f->nodes[i].id, f->start);
			free(p);
		}
	free(color);
}

/* Whether flow from can reach flow target through hand-overs. */
static bool reaches(const struct mm_flow *from, const struct mm_flow *target, int depth)
{
	if (from == target)
		return true;
	if (depth > 32)
		return false;
	for (size_t i = 0; i < from->nnodes; i++)
		for (size_t k = 0; k < from->nodes[i].nchoices; k++) {
			const struct mm_flow *to = from->nodes[i].choices[k].flow;
			if (to && to != from && reaches(to, target, depth + 1))
				return true;
		}
	return false;
}

/* Flow hand-overs must not loop, or a batch walk could go round for ever. */
static void check_handovers(const struct mm_flow *f, struct mm_errors *errs)
{
	for (size_t i = 0; i < f->nnodes; i++)
		for (size_t k = 0; k < f->nodes[i].nchoices; k++) {
			const struct mm_choice *ch = &f->nodes[i].choices[k];
			if (!ch->flow || ch->flow == f || !reaches(ch->flow, f, 0))
				continue;
			char *p = xasprintf("%s/choices/%zu/flow", f->nodes[i].ptr, k);
			kb_err_at(errs, f->src, p, false,
				  "cycle: hand-over to flow '%s' leads back to flow '%s'", ch->flow->id,
				  f->id);
			free(p);
		}
}

static bool version_ok(const char *v)
{
	int parts = 0;
	for (const char *p = v; *p;) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		parts++;
		if (*p == '.')
			p++;
		else if (*p)
			return false;
	}
	return parts >= 1 && parts <= 3 && v[strlen(v) - 1] != '.';
}

/* Parse every document of a YAML text; the problem and its line on failure. */
static bool yaml_parses(const char *text, char **problem, size_t *line)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool ok = true;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			*problem = xstrdup(parser.problem ? parser.problem : "parse error");
			*line = parser.problem_mark.line + 1;
			ok = false;
			break;
		}
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return ok;
}

/* A v1 Istio apiVersion in a snippet needs versions.older_api for meshes before 1.22. */
static void check_older_api(const struct mm_diag *d, struct mm_errors *errs)
{
	static const char *const hint[] = {"networking.istio.io/v1beta1",
	                                   "security.istio.io/v1beta1",
	                                   "telemetry.istio.io/v1alpha1"};
	char *p;
	for (size_t i = 0; i < d->older_api.n; i++) {
		const char *a = d->older_api.v[i], *slash = strchr(a, '/');
		bool ok = false;
		for (size_t g = 0; slash && g < MM_ARRAY_LEN(kb_v1_groups) && !ok; g++)
			ok = (size_t)(slash - a) == strlen(kb_v1_groups[g]) &&
			     strncmp(a, kb_v1_groups[g], (size_t)(slash - a)) == 0 &&
			     (strncmp(slash, "/v1alpha", 8) == 0 ||
			      strncmp(slash, "/v1beta", 7) == 0);
		if (!ok) {
			p = xasprintf("%s/versions/older_api/%zu", d->ptr, i);
			kb_err_at(
			    errs, d->src, p, false,
			    "versions.older_api: '%s' is not an older Istio apiVersion such as "
			    "networking.istio.io/v1beta1",
			    a);
			free(p);
		}
	}
	/* a diagnosis of 1.22 and later only has no older meshes to serve */
	if (!d->snippet || (d->vmin && version_ok(d->vmin) && version_cmp(d->vmin, "1.22") >= 0))
		return;
	for (size_t g = 0; g < MM_ARRAY_LEN(kb_v1_groups); g++) {
		char *older = older_api_for(d, kb_v1_groups[g]);
		if (!older && snippet_uses_v1(d->snippet, kb_v1_groups[g])) {
			p = xasprintf("%s/snippet/text", d->ptr);
			kb_err_at(
			    errs, d->src, p, false,
			    "snippet uses %s/v1, which Istio serves from 1.22 on: name the "
			    "apiVersion for older meshes in versions.older_api (for example %s)",
			    kb_v1_groups[g], hint[g]);
			free(p);
		}
		free(older);
	}
}

static void check_diag(const struct mm_kb *kb, const struct mm_diag *d, struct mm_errors *errs)
{
	char *p;
	for (size_t i = 0; i < d->help.n; i++)
		if (!kb_help(kb, d->help.v[i])) {
			p = xasprintf("%s/help/%zu", d->ptr, i);
			kb_err_at(errs, d->src, p, false, "no help topic '%s'", d->help.v[i]);
			free(p);
		}
	const char *vs[] = {d->vmin, d->vmax}, *vn[] = {"min", "max"};
	for (size_t i = 0; i < 2; i++)
		if (vs[i] && !version_ok(vs[i])) {
			p = xasprintf("%s/versions/%s", d->ptr, vn[i]);
			kb_err_at(errs, d->src, p, false,
				  "version '%s' is not of the form 1, 1.9 or 1.9.2", vs[i]);
			free(p);
		}
	if (d->vmin && d->vmax && version_ok(d->vmin) && version_ok(d->vmax) &&
	    version_cmp(d->vmin, d->vmax) > 0) {
		p = xasprintf("%s/versions/max", d->ptr);
		kb_err_at(errs, d->src, p, false, "versions: max %s is before min %s", d->vmax, d->vmin);
		free(p);
	}
	check_older_api(d, errs);
	if (!d->snippet_lang)
		return;
	static const char *const langs[] = {"yaml", "shell", "text"};
	size_t l;
	for (l = 0; l < MM_ARRAY_LEN(langs) && strcmp(langs[l], d->snippet_lang) != 0; l++)
		;
	if (l == MM_ARRAY_LEN(langs)) {
		p = xasprintf("%s/snippet/lang", d->ptr);
		kb_err_at(errs, d->src, p, false, "snippet lang '%s' is not yaml, shell or text",
			  d->snippet_lang);
		free(p);
	}
	char *problem;
	size_t line;
	if (l == 0 && !yaml_parses(d->snippet, &problem, &line)) {
		p = xasprintf("%s/snippet/text", d->ptr);
		kb_err_at(errs, d->src, p, false, "snippet is not valid YAML: %s (snippet line %zu)",
			  problem, line);
		free(problem);
		free(p);
	}
}

void kb_check(struct mm_kb *kb, const struct kb_probes *probes, struct mm_errors *errs)
{
	for (size_t i = 0; i < kb->nflows; i++) {
		struct mm_flow *f = kb->flows[i];
		f->start_node = flow_node(f, f->start);
		if (f->src->broken) {
			/* resolve what can be, report nothing that the load errors explain */
			struct mm_errors quiet = {0};
			for (size_t k = 0; k < f->nnodes; k++)
				check_node(kb, probes, f, &f->nodes[k], &quiet);
			errs_free(&quiet);
			continue;
		}
		if (!f->start_node)
			kb_err_at(errs, f->src, "/start", false, "start node '%s' is not a node of flow '%s'",
				  f->start, f->id);
		for (size_t k = 0; k < f->ninputs; k++) {
			check_input_default(f, k, errs);
			check_input_derive(probes, f, k, errs);
		}
		for (size_t k = 0; k < f->nnodes; k++)
			check_node(kb, probes, f, &f->nodes[k], errs);
		check_graph(f, errs);
	}
	for (size_t i = 0; i < kb->nflows; i++)
		if (!kb->flows[i]->src->broken)
			check_handovers(kb->flows[i], errs);
	for (size_t i = 0; i < kb->ndiags; i++)
		check_diag(kb, kb->diags[i], errs);
	for (size_t i = 0; i < kb->nhelp; i++) {
		const struct mm_help *h = kb->help[i];
		for (size_t k = 0; k < h->see_also.n; k++)
			if (!kb_help(kb, h->see_also.v[k]))
				errs_add(errs, h->path, h->see_also_pos[k].line, h->see_also_pos[k].col,
					 "'See also' names help topic '%s', which does not exist",
					 h->see_also.v[k]);
	}
}
