#include "report/report.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/render.h"
#include "walk/transcript.h"

#define WIDTH 78

const char *out_bold(const struct out *o)
{
	return o->color ? "\033[1m" : "";
}
const char *out_dim(const struct out *o)
{
	return o->color ? "\033[2m" : "";
}
const char *out_green(const struct out *o)
{
	return o->color ? "\033[1;32m" : "";
}
const char *out_yellow(const struct out *o)
{
	return o->color ? "\033[1;33m" : "";
}
const char *out_reset(const struct out *o)
{
	return o->color ? "\033[0m" : "";
}

/* Print a sanitised string into Markdown prose, where <name> would be read as HTML. */
static void put_md(FILE *fp, const char *s)
{
	char *c = sanitize(s ? s : "", false);
	for (const char *p = c; *p; p++) {
		if (*p == '<')
			fputs("&lt;", fp);
		else if (*p == '>')
			fputs("&gt;", fp);
		else
			fputc(*p, fp);
	}
	free(c);
}

void wrap(FILE *fp, const char *text, int indent, int width)
{
	wrap_hang(fp, text, indent, indent, width);
}

void wrap_hang(FILE *fp, const char *text, int indent, int hang, int width)
{
	char *t = sanitize(text ? text : "", true);
	for (char *para = t; para;) {
		char *nl = strchr(para, '\n');
		if (nl)
			*nl = '\0';
		int col = 0;
		bool any = false;
		for (char *w = strtok(para, " "); w; w = strtok(NULL, " ")) {
			int n = (int)strlen(w);
			if (!any) {
				fprintf(fp, "%*s%s", indent, "", w);
				col = indent + n;
			} else if (col + 1 + n > width) {
				fprintf(fp, "\n%*s%s", hang, "", w);
				col = hang + n;
			} else {
				fprintf(fp, " %s", w);
				col += 1 + n;
			}
			any = true;
		}
		fputc('\n', fp);
		para = nl ? nl + 1 : NULL;
	}
	free(t);
}

char *versions_text(const struct mm_diag *d)
{
	char *base;
	if (d->vmin && d->vmax && strcmp(d->vmin, d->vmax) == 0)
		base = xasprintf("Istio %s", d->vmin);
	else if (d->vmin && d->vmax)
		base = xasprintf("Istio %s to %s", d->vmin, d->vmax);
	else if (d->vmin)
		base = xasprintf("Istio %s and later", d->vmin);
	else if (d->vmax)
		base = xasprintf("Istio %s and earlier", d->vmax);
	else
		base = xstrdup("every Istio version");
	if (!d->vnote)
		return base;
	char *r = xasprintf("%s (%s)", base, d->vnote);
	free(base);
	return r;
}

/* What to write instead of the snippet's v1 Istio apiVersions before 1.22 (new string, or NULL). */
static char *older_api_text(const struct mm_diag *d)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t g = 0; d->snippet && g < MM_ARRAY_LEN(kb_v1_groups); g++) {
		char *older = older_api_for(d, kb_v1_groups[g]);
		if (older && snippet_uses_v1(d->snippet, kb_v1_groups[g]))
			sb_printf(&b, "%swrite %s instead of %s/v1", b.len ? "; " : "", older,
			          kb_v1_groups[g]);
		free(older);
	}
	return b.s;
}

static void print_json(const struct out *o, json_t *j)
{
	json_dumpf(j, o->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', o->fp);
}

static void md_code(FILE *fp, const char *lang, const char *text)
{
	fprintf(fp, "```%s\n", lang ? lang : "");
	fput_clean(fp, text, true);
	if (!*text || text[strlen(text) - 1] != '\n')
		fputc('\n', fp);
	fputs("```\n", fp);
}

/* The fix rendered for the cluster, when the walk had one: what, or why nothing. */
struct fix_view {
	bool cluster;
	bool rendered;
	struct fix_rendered fix;
	char *why;
};

static void put_block(FILE *fp, const char *text, int indent)
{
	char *s = sanitize(text, true);
	for (char *l = s; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		fprintf(fp, "%*s%s\n", indent, "", l);
		l = nl ? nl + 1 : NULL;
	}
	free(s);
}

static void fix_text(const struct out *o, const struct fix_view *v)
{
	FILE *fp = o->fp;
	if (!v || !v->cluster)
		return;
	fprintf(fp, "\n%sFix for this cluster%s", out_bold(o), out_reset(o));
	if (!v->rendered) {
		fputc('\n', fp);
		char *line = xasprintf("Not rendered: %s.", v->why);
		wrap(fp, line, 2, WIDTH);
		free(line);
		return;
	}
	const struct fix_rendered *f = &v->fix;
	fprintf(fp, " (%s ", f->kind);
	fput_clean(fp, f->ns, false);
	fputs(*f->ns ? "/" : "", fp);
	fput_clean(fp, f->name, false);
	fputs(", ", fp);
	fput_clean(fp, f->api_version, false);
	fputs(")\n", fp);
	if (f->note) {
		char *line = xasprintf("Note: %s.", f->note);
		wrap(fp, line, 2, WIDTH);
		free(line);
	}
	fputs("  Apply:\n", fp);
	put_block(fp, f->patch, 4);
	fputs("  Or the whole object, corrected:\n", fp);
	put_block(fp, f->object, 4);
	fputs("  The change:\n", fp);
	put_block(fp, f->diff ? f->diff : "", 4);
}

static void fix_markdown(FILE *fp, const struct fix_view *v, const char *heading)
{
	if (!v || !v->cluster)
		return;
	fprintf(fp, "\n%s# Fix for this cluster\n\n", heading);
	if (!v->rendered) {
		fputs("Not rendered: ", fp);
		put_md(fp, v->why);
		fputs(".\n", fp);
		return;
	}
	const struct fix_rendered *f = &v->fix;
	fprintf(fp, "`%s ", f->kind);
	fput_clean(fp, f->ns, false);
	fputs(*f->ns ? "/" : "", fp);
	fput_clean(fp, f->name, false);
	fputs("` (`", fp);
	fput_clean(fp, f->api_version, false);
	fputs("`)", fp);
	if (f->note) {
		fputs(". Note: ", fp);
		put_md(fp, f->note);
	}
	fputs(".\n\n", fp);
	md_code(fp, "sh", f->patch);
	fputc('\n', fp);
	md_code(fp, "yaml", f->object);
	fputc('\n', fp);
	md_code(fp, "diff", f->diff ? f->diff : "");
}

static void diag_text(const struct out *o, const struct mm_diag *d, const struct fix_view *fv)
{
	FILE *fp = o->fp;
	fprintf(fp, "%sDIAGNOSIS%s  %s%s%s\n", out_green(o), out_reset(o), out_bold(o), d->id,
		out_reset(o));
	wrap(fp, d->title, 2, WIDTH);
	fprintf(fp, "\n%sWhat goes wrong%s\n", out_bold(o), out_reset(o));
	wrap(fp, d->summary, 2, WIDTH);
	fprintf(fp, "\n%sWhy%s\n", out_bold(o), out_reset(o));
	wrap(fp, d->cause, 2, WIDTH);
	fprintf(fp, "\n%sFix%s\n", out_bold(o), out_reset(o));
	for (size_t i = 0; i < d->fix.n; i++) {
		char *line = xasprintf("%zu. %s", i + 1, d->fix.v[i]);
		wrap_hang(fp, line, 2, 5, WIDTH);
		free(line);
	}
	if (d->snippet) {
		fprintf(fp, "\n%sSnippet%s (%s)\n", out_bold(o), out_reset(o), d->snippet_lang);
		char *s = sanitize(d->snippet, true);
		for (char *l = s; l && *l;) {
			char *nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			fprintf(fp, "    %s\n", l);
			l = nl ? nl + 1 : NULL;
		}
		free(s);
		char *older = older_api_text(d);
		if (older) {
			char *line = xasprintf(
			    "Before Istio 1.22: %s (the fields shown are the same).", older);
			wrap_hang(fp, line, 2, 4, WIDTH);
			free(line);
		}
		free(older);
	}
	fix_text(o, fv);
	fprintf(fp, "\n%sVerify%s\n", out_bold(o), out_reset(o));
	for (size_t i = 0; i < d->verify.n; i++) {
		char *line = xasprintf("- %s", d->verify.v[i]);
		wrap_hang(fp, line, 2, 4, WIDTH);
		free(line);
	}
	char *v = versions_text(d);
	fprintf(fp, "\n%sApplies to%s\n", out_bold(o), out_reset(o));
	wrap(fp, v, 2, WIDTH);
	free(v);
	if (d->help.n) {
		fprintf(fp, "\n%sSee%s ", out_bold(o), out_reset(o));
		for (size_t i = 0; i < d->help.n; i++)
			fprintf(fp, "%smeshmedic help %s", i ? ", " : "", d->help.v[i]);
		fputc('\n', fp);
	}
}

static void diag_markdown(FILE *fp, const struct mm_diag *d, const char *heading,
			  const struct fix_view *fv)
{
	fprintf(fp, "%s Diagnosis: `%s` — ", heading, d->id);
	put_md(fp, d->title);
	fprintf(fp, "\n\n**What goes wrong.** ");
	put_md(fp, d->summary);
	fprintf(fp, "\n\n**Why.** ");
	put_md(fp, d->cause);
	fprintf(fp, "\n\n**Fix**\n\n");
	for (size_t i = 0; i < d->fix.n; i++) {
		fprintf(fp, "%zu. ", i + 1);
		put_md(fp, d->fix.v[i]);
		fputc('\n', fp);
	}
	if (d->snippet) {
		fputc('\n', fp);
		md_code(fp, d->snippet_lang, d->snippet);
		char *older = older_api_text(d);
		if (older) {
			fprintf(fp, "\n**Before Istio 1.22:** ");
			put_md(fp, older);
			fprintf(fp, " (the fields shown are the same).\n");
		}
		free(older);
	}
	fix_markdown(fp, fv, heading);
	fprintf(fp, "\n**Verify**\n\n");
	for (size_t i = 0; i < d->verify.n; i++) {
		fputs("- ", fp);
		put_md(fp, d->verify.v[i]);
		fputc('\n', fp);
	}
	char *v = versions_text(d);
	fprintf(fp, "\n**Applies to:** %s\n", v);
	free(v);
	for (size_t i = 0; i < d->help.n; i++)
		fprintf(fp, "%s`meshmedic help %s`", i ? ", " : "\n**See:** ", d->help.v[i]);
	if (d->help.n)
		fputc('\n', fp);
}

void report_diag(const struct out *o, const struct mm_diag *d)
{
	if (o->fmt == FMT_JSON) {
		json_t *j = diag_json(d);
		print_json(o, j);
		json_decref(j);
	} else if (o->fmt == FMT_MARKDOWN) {
		diag_markdown(o->fp, d, "#", NULL);
	} else {
		diag_text(o, d, NULL);
	}
}

void report_answer(const struct out *o, const struct walk *w, size_t i, size_t max_evidence)
{
	FILE *fp = o->fp;
	const struct step *s = &w->steps[i];
	char *l = walk_text(w, s->choice->label);
	fprintf(fp, "    -> %s%s%s  ", out_bold(o), s->choice->id, out_reset(o));
	fput_clean(fp, l, false);
	fprintf(fp, "  %s[%s%s]%s\n", out_dim(o), answer_by_name(s->by),
		s->inferred ? ", inferred" : "", out_reset(o));
	for (size_t k = 0; k < s->evidence.n && k < max_evidence; k++) {
		fprintf(fp, "       %s|%s ", out_dim(o), out_reset(o));
		fput_clean(fp, s->evidence.v[k], false);
		fputc('\n', fp);
	}
	if (s->evidence.n > max_evidence)
		fprintf(fp, "       %s| ... %zu more (why %zu)%s\n", out_dim(o),
			s->evidence.n - max_evidence, i + 1, out_reset(o));
	if (s->choice->kind == TARGET_FLOW) {
		fprintf(fp, "    %s=> flow %s:%s ", out_dim(o), s->choice->flow->id, out_reset(o));
		fput_clean(fp, s->choice->flow->title, false);
		fputc('\n', fp);
	}
	free(l);
}

/* "N. question" wrapped under its number. */
static void numbered_question(FILE *fp, const struct walk *w, const struct mm_node *n, size_t num)
{
	char *q = walk_text(w, n->question);
	char *line = xasprintf("%zu. %s", num, q);
	wrap_hang(fp, line, num < 10 ? 1 : 0, 4, WIDTH);
	free(q);
	free(line);
}

void report_step(const struct out *o, const struct walk *w, size_t i, size_t max_evidence)
{
	numbered_question(o->fp, w, w->steps[i].node, i + 1);
	report_answer(o, w, i, max_evidence);
}

void report_question(const struct out *o, const struct walk *w, size_t num)
{
	FILE *fp = o->fp;
	int indent = num ? 4 : 2;
	if (num) {
		fputs(out_bold(o), fp);
		numbered_question(fp, w, w->node, num);
		fputs(out_reset(o), fp);
	} else {
		char *q = walk_text(w, w->node->question);
		wrap(fp, q, 2, WIDTH);
		free(q);
	}
	if (w->node->detail) {
		char *d = walk_text(w, w->node->detail);
		fputs(out_dim(o), fp);
		wrap(fp, d, indent, WIDTH);
		fputs(out_reset(o), fp);
		free(d);
	}
	if (w->probe_note && num) {
		char *note = xasprintf("probe %s: %s", w->node->probe, w->probe_note);
		fputs(out_dim(o), fp);
		wrap_hang(fp, note, indent, indent + 2, WIDTH);
		fputs(out_reset(o), fp);
		free(note);
	} else if (w->probe_note) {
		/* one line in the batch report: scripts grep it */
		fprintf(fp, "  %sprobe %s: ", out_dim(o), w->node->probe);
		fput_clean(fp, w->probe_note, false);
		fprintf(fp, "%s\n", out_reset(o));
	}
	for (size_t i = 0; i < w->node->nchoices; i++) {
		char *l = walk_text(w, w->node->choices[i].label);
		if (num)
			fprintf(fp, "  %2zu) %s%-12s%s ", i + 1, out_bold(o), w->node->choices[i].id,
				out_reset(o));
		else
			fprintf(fp, "    %-14s ", w->node->choices[i].id);
		fput_clean(fp, l, false);
		fputc('\n', fp);
		free(l);
	}
}

/* The causes the cluster shows below the question a walk stopped at, and the answer to each. */
static void likely_text(const struct out *o, const struct walk *w, const char *resume_cmd)
{
	FILE *fp = o->fp;
	if (w->likely.n)
		fprintf(fp, "\n%sWhat the cluster shows below this question:%s\n", out_bold(o),
			out_reset(o));
	for (size_t i = 0; i < w->likely.n; i++) {
		const struct lead *x = &w->likely.v[i];
		char *line = xasprintf("%s on %s: %s", x->diagnosis, x->resource, x->message);
		fputs("  - ", fp);
		fput_clean(fp, line, false);
		fputc('\n', fp);
		free(line);
		for (size_t k = 0; k < x->nchoices; k++) {
			fprintf(fp, "    %s", out_dim(o));
			if (resume_cmd)
				fprintf(fp, "%s ", resume_cmd);
			fprintf(fp, "--answer %s=%s%s\n", w->node->id, w->node->choices[x->choices[k]].id,
				out_reset(o));
		}
		if (!x->nchoices && strcmp(x->diagnosis, FORBIDDEN_DIAGNOSIS) == 0)
			fprintf(fp, "    %smeshmedic explain %s%s\n", out_dim(o), x->diagnosis, out_reset(o));
	}
}

void report_derived(const struct out *o, const struct derived *d)
{
	FILE *fp = o->fp;
	fprintf(fp, "%sderived:%s %s=", out_dim(o), out_reset(o), d->input);
	fput_clean(fp, d->value, false);
	fprintf(fp, "  %s[%s]%s\n", out_dim(o), d->rule, out_reset(o));
	for (size_t k = 0; k < d->evidence.n; k++) {
		fprintf(fp, "       %s|%s ", out_dim(o), out_reset(o));
		fput_clean(fp, d->evidence.v[k], false);
		fputc('\n', fp);
	}
	for (size_t k = 0; k < d->others.n; k++) {
		fprintf(fp, "       %s| also:%s ", out_dim(o), out_reset(o));
		char *line = xasprintf("%s: %s", d->others.v[k], d->others_ev.v[k]);
		fput_clean(fp, line, false);
		free(line);
		fputc('\n', fp);
	}
}

static void walk_text_out(const struct out *o, const struct walk *w, const char *resume_cmd,
			  const struct fix_view *fv)
{
	FILE *fp = o->fp;
	fprintf(fp, "%s%s%s: ", out_bold(o), w->start_flow->id, out_reset(o));
	fput_clean(fp, w->start_flow->title, false);
	fputc('\n', fp);
	struct sbuf in;
	sb_init(&in);
	for (size_t i = 0; i < w->start_flow->ninputs; i++) {
		const char *v = walk_input(w, w->start_flow->inputs[i].name);
		if (v)
			sb_printf(&in, "%s%s=%s", in.len ? "  " : "", w->start_flow->inputs[i].name, v);
	}
	if (in.len) {
		fprintf(fp, "%sinputs:%s ", out_dim(o), out_reset(o));
		fput_clean(fp, in.s, false);
		fputc('\n', fp);
	}
	sb_free(&in);
	for (size_t i = 0; i < w->nderived; i++)
		report_derived(o, &w->derived[i]);
	fputc('\n', fp);
	for (size_t i = 0; i < w->nsteps; i++)
		report_step(o, w, i, SIZE_MAX);
	if (w->nsteps)
		fputc('\n', fp);
	if (walk_done(w)) {
		diag_text(o, w->diag, fv);
		return;
	}
	fprintf(fp, "%sUNDETERMINED%s  the walk stopped at %s:%s, which nobody answered\n",
		out_yellow(o), out_reset(o), w->flow->id, w->node->id);
	report_question(o, w, 0);
	likely_text(o, w, resume_cmd);
	if (resume_cmd)
		fprintf(fp, "\nContinue with: %s --answer %s=CHOICE\n", resume_cmd, w->node->id);
}

static void walk_markdown(const struct out *o, const struct walk *w, const struct fix_view *fv)
{
	FILE *fp = o->fp;
	fprintf(fp, "# meshmedic: %s — ", w->start_flow->id);
	put_md(fp, w->start_flow->title);
	fputs("\n\n", fp);
	bool any = false;
	for (size_t i = 0; i < w->start_flow->ninputs; i++) {
		const char *v = walk_input(w, w->start_flow->inputs[i].name);
		if (!v)
			continue;
		fprintf(fp, "%s`%s=", any ? ", " : "**Inputs:** ", w->start_flow->inputs[i].name);
		put_md(fp, v);
		fputc('`', fp);
		any = true;
	}
	fprintf(fp, "%s**Status:** %s\n\n", any ? "  \n" : "",
	        walk_done(w) ? "diagnosed" : "undetermined");
	/* inputs the cluster named: which rule, why, and what else it found */
	for (size_t i = 0; i < w->nderived; i++) {
		const struct derived *d = &w->derived[i];
		fprintf(fp, "- derived `%s=", d->input);
		put_md(fp, d->value);
		fprintf(fp, "` (rule `%s`)\n", d->rule);
		for (size_t k = 0; k < d->evidence.n; k++) {
			fputs("  - evidence: ", fp);
			put_md(fp, d->evidence.v[k]);
			fputc('\n', fp);
		}
		for (size_t k = 0; k < d->others.n; k++) {
			fputs("  - also a candidate: ", fp);
			put_md(fp, d->others.v[k]);
			fputs(": ", fp);
			put_md(fp, d->others_ev.v[k]);
			fputc('\n', fp);
		}
	}
	fprintf(fp, "%s## Path\n\n", w->nderived ? "\n" : "");
	if (!w->nsteps)
		fputs("(no question answered)\n", fp);
	for (size_t i = 0; i < w->nsteps; i++) {
		const struct step *s = &w->steps[i];
		char *q = walk_text(w, s->node->question), *l = walk_text(w, s->choice->label);
		fprintf(fp, "%zu. ", i + 1);
		put_md(fp, q);
		fprintf(fp, "  \n   **%s**: ", s->choice->id);
		put_md(fp, l);
		fprintf(fp, " *(%s%s)*\n", answer_by_name(s->by), s->inferred ? ", inferred" : "");
		if (s->choice->kind == TARGET_FLOW)
			fprintf(fp, "   - hands over to flow `%s`\n", s->choice->flow->id);
		for (size_t k = 0; k < s->evidence.n; k++) {
			fputs("   - evidence: ", fp);
			put_md(fp, s->evidence.v[k]);
			fputc('\n', fp);
		}
		free(q);
		free(l);
	}
	fputc('\n', fp);
	if (walk_done(w)) {
		diag_markdown(fp, w->diag, "##", fv);
		return;
	}
	char *q = walk_text(w, w->node->question);
	fprintf(fp, "## Undetermined\n\nThe walk stopped at `%s:%s`: ", w->flow->id, w->node->id);
	put_md(fp, q);
	fputs("\n\n", fp);
	free(q);
	for (size_t i = 0; i < w->node->nchoices; i++) {
		char *l = walk_text(w, w->node->choices[i].label);
		fprintf(fp, "- `%s`: ", w->node->choices[i].id);
		put_md(fp, l);
		fputc('\n', fp);
		free(l);
	}
	if (w->likely.n)
		fputs("\n### What the cluster shows below this question\n\n", fp);
	for (size_t i = 0; i < w->likely.n; i++) {
		const struct lead *x = &w->likely.v[i];
		fprintf(fp, "- `%s` on `", x->diagnosis);
		put_md(fp, x->resource);
		fputs("`: ", fp);
		put_md(fp, x->message);
		for (size_t k = 0; k < x->nchoices; k++)
			fprintf(fp, "%s`--answer %s=%s`", k ? ", " : " (", w->node->id,
				w->node->choices[x->choices[k]].id);
		fputs(x->nchoices ? ")\n" : "\n", fp);
	}
}

void report_walk(const struct out *o, const struct walk *w, const char *resume_cmd)
{
	report_walk_on(o, w, resume_cmd, NULL);
}

void report_walk_on(const struct out *o, const struct walk *w, const char *resume_cmd,
		    struct cluster *c)
{
	struct fix_view fv = {0};
	fv.cluster = c && walk_done(w);
	if (fv.cluster)
		fv.rendered = render_walk_fix(c, w, &fv.fix, &fv.why);
	if (o->fmt == FMT_JSON) {
		json_t *j = walk_to_json(w);
		json_t *dj = json_object_get(j, "diagnosis");
		if (fv.cluster && json_is_object(dj))
			json_object_set_new(dj, fv.rendered ? "fix_rendered" : "fix_not_rendered",
			                    fv.rendered ? fix_rendered_json(&fv.fix)
			                                : json_string(fv.why));
		/* each likely cause with the command that continues the walk towards it */
		json_t *likely = json_object_get(j, "likely");
		for (size_t i = 0; resume_cmd && i < json_array_size(likely); i++) {
			json_t *x = json_array_get(likely, i);
			json_t *answers = json_object_get(x, "answers");
			if (!json_array_size(answers))
				continue;
			char *cmd = xasprintf("%s --answer %s", resume_cmd,
					      json_string_value(json_array_get(answers, 0)));
			json_object_set_new(x, "command", json_string(cmd));
			free(cmd);
		}
		print_json(o, j);
		json_decref(j);
	} else if (o->fmt == FMT_MARKDOWN) {
		walk_markdown(o, w, &fv);
	} else {
		walk_text_out(o, w, resume_cmd, &fv);
	}
	fix_rendered_free(&fv.fix);
	free(fv.why);
}

void report_list(const struct out *o, const struct mm_kb *kb)
{
	if (o->fmt == FMT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < kb->nflows; i++) {
			const struct mm_flow *f = kb->flows[i];
			json_t *sy = json_array();
			for (size_t k = 0; k < f->symptoms.n; k++)
				json_array_append_new(sy, json_string(f->symptoms.v[k]));
			json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "id", f->id, "title",
							   f->title, "symptoms", sy));
		}
		print_json(o, a);
		json_decref(a);
		return;
	}
	for (size_t i = 0; i < kb->nflows; i++) {
		const struct mm_flow *f = kb->flows[i];
		if (o->fmt == FMT_MARKDOWN) {
			fprintf(o->fp, "- `%s`: ", f->id);
			fput_clean(o->fp, f->title, false);
			fputc('\n', o->fp);
			continue;
		}
		fprintf(o->fp, "%s%-14s%s ", out_bold(o), f->id, out_reset(o));
		fput_clean(o->fp, f->title, false);
		fputc('\n', o->fp);
		struct sbuf sy;
		sb_init(&sy);
		for (size_t k = 0; k < f->symptoms.n; k++)
			sb_printf(&sy, "%s%s", k ? ", " : "", f->symptoms.v[k]);
		if (sy.len) {
			fputs(out_dim(o), o->fp);
			wrap(o->fp, sy.s, 15, WIDTH);
			fputs(out_reset(o), o->fp);
		}
		sb_free(&sy);
	}
}

/* A DOT string literal: quotes and backslashes escaped, text sanitised. */
static void dot_str(FILE *fp, const char *s)
{
	char *c = sanitize(s, true);
	fputc('"', fp);
	for (const char *p = c; *p; p++) {
		if (*p == '\n') {
			fputs("\\n", fp);
			continue;
		}
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p == '\t' ? ' ' : *p, fp);
	}
	fputc('"', fp);
	free(c);
}

void report_graph(FILE *fp, const struct mm_flow *f)
{
	fputs("digraph ", fp);
	dot_str(fp, f->id);
	fputs(" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=9];\n  label=",
	      fp);
	dot_str(fp, f->title);
	fputs(";\n  labelloc=t;\n", fp);
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct mm_node *n = &f->nodes[i];
		char *id = xasprintf("node:%s", n->id);
		fputs("  ", fp);
		dot_str(fp, id);
		fputs(" [shape=box, style=rounded", fp);
		if (n == f->start_node)
			fputs(", penwidth=2", fp);
		fputs(", label=", fp);
		char *label = n->probe ? xasprintf("%s\n[probe: %s]", n->question, n->probe)
				       : xstrdup(n->question);
		dot_str(fp, label);
		fputs("];\n", fp);
		free(label);
		free(id);
	}
	/* each diagnosis and hand-over once, however many choices lead there */
	struct strlist seen = {0};
	for (size_t i = 0; i < f->nnodes; i++)
		for (size_t k = 0; k < f->nodes[i].nchoices; k++) {
			const struct mm_choice *ch = &f->nodes[i].choices[k];
			if (ch->kind == TARGET_NODE)
				continue;
			char *id = xasprintf("%s:%s", ch->kind == TARGET_FLOW ? "flow" : "diagnosis",
					     ch->target);
			if (!sl_has(&seen, id)) {
				sl_add(&seen, id);
				fputs("  ", fp);
				dot_str(fp, id);
				if (ch->kind == TARGET_FLOW) {
					fputs(" [shape=cds, style=filled, fillcolor=\"#dde8f7\", label=", fp);
					char *l = xasprintf("flow %s", ch->target);
					dot_str(fp, l);
					free(l);
				} else {
					fputs(" [shape=note, style=filled, fillcolor=\"#f8d7d3\", label=", fp);
					char *l = ch->diag ? xasprintf("%s\n%s", ch->target, ch->diag->title)
							   : xstrdup(ch->target);
					dot_str(fp, l);
					free(l);
				}
				fputs("];\n", fp);
			}
			free(id);
		}
	sl_free(&seen);
	for (size_t i = 0; i < f->nnodes; i++)
		for (size_t k = 0; k < f->nodes[i].nchoices; k++) {
			const struct mm_choice *ch = &f->nodes[i].choices[k];
			char *from = xasprintf("node:%s", f->nodes[i].id);
			static const char *const prefix[] = {[TARGET_NODE] = "node",
							     [TARGET_FLOW] = "flow",
							     [TARGET_DIAGNOSIS] = "diagnosis"};
			char *to = xasprintf("%s:%s", prefix[ch->kind], ch->target);
			fputs("  ", fp);
			dot_str(fp, from);
			fputs(" -> ", fp);
			dot_str(fp, to);
			fputs(" [label=", fp);
			dot_str(fp, ch->id);
			fputs("];\n", fp);
			free(from);
			free(to);
		}
	fputs("}\n", fp);
}
