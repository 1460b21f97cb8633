/*
 * The onboarding checklist's readiness report (onboard/onboard.h): text, Markdown
 * and JSON. An item nobody decided reads warn, "not checked".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onboard/onboard.h"

/* How an item reads in the report: an item still to ask is a warning. */
static enum ob_status shown_status(const struct ob_result *r)
{
	return r->status == OB_ASK ? OB_WARN : r->status;
}

/* The reason as the report gives it. New string. */
static char *shown_reason(const struct ob_result *r)
{
	if (r->status != OB_ASK)
		return xstrdup(r->reason ? r->reason : "");
	return xasprintf("not checked: %s; answer with --answer %s=CHOICE",
	                 r->reason ? r->reason : "not checked yet", r->id);
}

static void counts(const struct onboard *o, size_t n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (size_t i = 0; i < o->n; i++)
		n[shown_status(&o->v[i])]++;
}

/* A string for JSON: sanitised (which also makes it valid UTF-8), or null. */
static json_t *jclean(const char *s)
{
	if (!s)
		return json_null();
	char *c = sanitize(s, true);
	json_t *j = json_string(c);
	free(c);
	return j;
}

static void report_json(const struct out *out, const struct onboard *o)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < o->n; i++) {
		const struct ob_result *r = &o->v[i];
		json_t *evs = json_array(), *choices = json_array();
		for (size_t k = 0; k < r->evidence.n; k++)
			json_array_append_new(evs, jclean(r->evidence.v[k]));
		for (size_t k = 0; k < r->nchoices; k++)
			json_array_append_new(choices, json_string(r->choices[k].id));
		char *reason = shown_reason(r);
		enum ob_status st = shown_status(r);
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:s, s:o, s:s, s:o}", "id",
		              r->id, "title", r->title, "status", ob_status_name(st), "checked",
		              r->status != OB_ASK, "reason", jclean(reason), "evidence", evs, "fix",
		              jclean(st == OB_PASS ? NULL : r->fix), "help", r->help, "answered",
		              r->answered ? json_string(r->answered) : json_null(), "question",
		              r->question, "choices", choices));
		free(reason);
	}
	size_t n[3];
	counts(o, n);
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "namespace", jclean(o->ns),
	                      "service", jclean(o->service), "source", jclean(o->source), "items",
	                      arr, "summary", "pass", (json_int_t)n[0], "warn", (json_int_t)n[1],
	                      "fail", (json_int_t)n[2]);
	json_dumpf(j, out->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out->fp);
	json_decref(j);
}

/* Print a fix: prose wrapped, lines indented by four spaces kept as code. */
static void fix_text(FILE *fp, const char *fix, int indent, bool md)
{
	bool code = false;
	for (const char *p = fix; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		char *clean = sanitize(line, false);
		bool is_code = strncmp(line, "    ", 4) == 0;
		if (md && is_code != code)
			fprintf(fp, "%s\n", is_code ? "\n```" : "```\n");
		if (is_code)
			fprintf(fp, "%*s%s\n", md ? 0 : indent, "", clean + (md ? 4 : 0));
		else
			wrap(fp, clean, md ? 0 : indent, 80);
		code = is_code;
		free(clean);
		free(line);
		p += len;
		p += *p == '\n';
	}
	if (md && code)
		fputs("```\n", fp);
}

/* "Question: ...? (CHOICE: label; ...)" for an item still to ask. New string. */
static char *question_line(const struct ob_result *r)
{
	struct sbuf b;
	sb_init(&b);
	sb_printf(&b, "Question: %s (", r->question);
	for (size_t i = 0; i < r->nchoices; i++)
		sb_printf(&b, "%s%s: %s", i ? "; " : "", r->choices[i].id, r->choices[i].label);
	sb_add(&b, ")");
	return sb_steal(&b);
}

static const char *const marks[] = {"PASS", "WARN", "FAIL"};
static const char *const colors[] = {"\033[1;32m", "\033[1;33m", "\033[1;31m"};

static void item_text(const struct out *out, const struct ob_result *r)
{
	FILE *fp = out->fp;
	enum ob_status st = shown_status(r);
	fprintf(fp, "%s[%s]%s %s (%s)%s\n", out->color ? colors[st] : "", marks[st],
	        out_reset(out), r->title, r->id,
	        r->status == OB_ASK ? "  not checked"
	        : r->answered       ? "  answered"
	                            : "");
	char *reason = shown_reason(r), *clean = sanitize(reason, false);
	wrap(fp, clean, 7, 80);
	free(clean);
	free(reason);
	for (size_t k = 0; k < r->evidence.n; k++) {
		fputs("       | ", fp);
		fput_clean(fp, r->evidence.v[k], false);
		fputc('\n', fp);
	}
	if (r->status == OB_ASK) {
		char *q = question_line(r);
		wrap_hang(fp, q, 7, 9, 80);
		free(q);
	}
	if (r->fix && st != OB_PASS) {
		fputs("       Fix:\n", fp);
		fix_text(fp, r->fix, 9, false);
	}
	fprintf(fp, "       See: meshmedic help %s\n\n", r->help);
}

static void item_markdown(FILE *fp, const struct ob_result *r)
{
	enum ob_status st = shown_status(r);
	fprintf(fp, "## %s: %s (`%s`)\n\n", marks[st], r->title, r->id);
	if (r->answered)
		fprintf(fp, "Answered: `%s`. ", r->answered);
	char *reason = shown_reason(r);
	fput_clean(fp, reason, false);
	free(reason);
	fputs("\n\n", fp);
	/* evidence lines indented under a finding become a nested list */
	for (size_t k = 0; k < r->evidence.n; k++) {
		size_t in = strspn(r->evidence.v[k], " ");
		fprintf(fp, "%*s- `", in ? 2 : 0, "");
		fput_clean(fp, r->evidence.v[k] + in, false);
		fputs("`\n", fp);
	}
	if (r->evidence.n)
		fputc('\n', fp);
	if (r->status == OB_ASK) {
		char *q = question_line(r);
		fprintf(fp, "%s\n\n", q);
		free(q);
	}
	if (r->fix && st != OB_PASS) {
		fputs("**Fix:**\n\n", fp);
		fix_text(fp, r->fix, 0, true);
		fputc('\n', fp);
	}
	fprintf(fp, "See: `meshmedic help %s`\n\n", r->help);
}

static void report_text(const struct out *out, const struct onboard *o, bool md)
{
	FILE *fp = out->fp;
	size_t n[3];
	counts(o, n);
	char *ns = sanitize(o->ns, false), *svc = o->service ? sanitize(o->service, false) : NULL;
	char *src = o->source ? sanitize(o->source, false) : NULL;
	if (md) {
		fprintf(fp, "# Onboarding checklist: namespace `%s`\n\n", ns);
		fprintf(fp, "- Service: %s%s%s\n- Cluster state: %s\n\n", svc ? "`" : "",
		        svc ? svc : "every Service of the namespace", svc ? "`" : "",
		        src ? src : "none");
		fputs("| Item | Status |\n|---|---|\n", fp);
		for (size_t i = 0; i < o->n; i++)
			fprintf(fp, "| %s (`%s`) | %s |\n", o->v[i].title, o->v[i].id,
			        ob_status_name(shown_status(&o->v[i])));
		fputc('\n', fp);
	} else {
		fprintf(fp, "Onboarding checklist: namespace %s, %s%s\nCluster state: %s\n\n", ns,
		        svc ? "Service " : "every Service", svc ? svc : "", src ? src : "none");
	}
	for (size_t i = 0; i < o->n; i++) {
		if (md)
			item_markdown(fp, &o->v[i]);
		else
			item_text(out, &o->v[i]);
	}
	fprintf(fp, "%s%zu pass, %zu warn, %zu fail\n", md ? "**Summary:** " : "", n[0], n[1],
	        n[2]);
	free(ns);
	free(svc);
	free(src);
}

void onboard_report(const struct out *out, const struct onboard *o)
{
	if (out->fmt == FMT_JSON)
		report_json(out, o);
	else
		report_text(out, o, out->fmt == FMT_MARKDOWN);
}
