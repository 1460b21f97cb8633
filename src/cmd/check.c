/*
 * `check`: every detector over the cluster state, as findings rated by
 * severity (the detector's rating, else the diagnosis's, else warning) and
 * skipped checks. Exit status 1 when a finding reaches --fail-on.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "session/sources.h"
#include "detect/detect.h"
#include "cluster/live.h"
#include "report/render.h"

/* A finding with its rating resolved against the knowledge base. */
struct rated {
	const struct finding *f;
	enum severity sev;
	const char *code;
};

/* The rating of one finding: the detector's, else its diagnosis's, else warning. */
static struct rated rate(const struct mm_kb *kb, const struct finding *f)
{
	const struct mm_diag *d = kb_diag(kb, f->diagnosis);
	enum severity s = f->severity;
	if (s == SEV_UNSET)
		s = d && d->severity ? severity_parse(d->severity) : SEV_WARNING;
	const char *code = f->istio_code ? f->istio_code : d ? d->istio_code : NULL;
	return (struct rated){f, s, code};
}

static struct rated *rate_all(const struct mm_kb *kb, const struct findings *f)
{
	struct rated *each = xcalloc(f->n + 1, sizeof(*each)), *r = xcalloc(f->n + 1, sizeof(*r));
	for (size_t i = 0; i < f->n; i++)
		each[i] = rate(kb, &f->v[i]);
	size_t n = 0;
	/* worst first, each group in the detectors' order */
	for (int sev = SEV_ERROR; sev >= SEV_INFO; sev--)
		for (size_t i = 0; i < f->n; i++)
			if ((int)each[i].sev == sev)
				r[n++] = each[i];
	free(each);
	return r;
}

static void check_json(const struct out *o, const struct rated *r, size_t n,
                       const struct findings *f, struct cluster *cl)
{
	json_t *fs = json_array(), *sk = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct finding *x = r[i].f;
		json_t *ev = json_array();
		for (size_t k = 0; k < x->evidence.n; k++)
			json_array_append_new(ev, json_string(x->evidence.v[k]));
		json_t *one = json_pack("{s:s, s:s, s:s, s:o, s:s}", "diagnosis", x->diagnosis,
		                        "resource", x->resource, "message", x->message, "evidence",
		                        ev, "severity", severity_name(r[i].sev));
		if (r[i].code)
			json_object_set_new(one, "istio_code", json_string(r[i].code));
		/* the fix against the object found, or why none is rendered */
		struct fix_rendered fix;
		char *why;
		if (render_fix(cl, x, &fix, &why))
			json_object_set_new(one, "fix_rendered", fix_rendered_json(&fix));
		else
			json_object_set_new(one, "fix_not_rendered", json_string(why));
		fix_rendered_free(&fix);
		free(why);
		json_array_append_new(fs, one);
	}
	for (size_t i = 0; i < f->nskipped; i++)
		json_array_append_new(sk, json_pack("{s:s, s:s}", "check", f->skipped[i].check,
						    "reason", f->skipped[i].reason));
	json_t *j = json_pack("{s:o, s:o}", "findings", fs, "skipped", sk);
	json_dumpf(j, o->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', o->fp);
	json_decref(j);
}

/* Group headings and colours, by severity. */
static const struct {
	const char *heading, *color;
} groups[] = {
	[SEV_ERROR] = {"Errors", "\033[1;31m"},
	[SEV_WARNING] = {"Warnings", "\033[1;33m"},
	[SEV_INFO] = {"Info", "\033[1;36m"},
};

/* How many skipped checks give the same reason as skipped[i]. */
static size_t same_reason(const struct findings *f, size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < f->nskipped; j++)
		k += strcmp(f->skipped[j].reason, f->skipped[i].reason) == 0;
	return k;
}

/*
 * The skipped checks: one line each when all are wanted (--verbose, and
 * Markdown, a report kept), else those that share a reason fold into one
 * line where the reason first comes.
 */
static void skipped_text(FILE *fp, const struct findings *f, bool md, bool all)
{
	for (size_t i = 0; i < f->nskipped; i++) {
		const char *why = f->skipped[i].reason;
		size_t k = all ? 1 : same_reason(f, i);
		bool seen = false;
		for (size_t j = 0; k > 1 && j < i && !seen; j++)
			seen = strcmp(f->skipped[j].reason, why) == 0;
		if (seen)
			continue;
		if (k > 1)
			fprintf(fp, "  %zu checks skipped: ", k);
		else
			fprintf(fp, "%s%s: ", md ? "- " : "  ", f->skipped[i].check);
		fput_clean(fp, why, false);
		fputs(k > 1 ? " (--verbose lists them)\n" : "\n", fp);
	}
}

static void check_text(const struct out *o, const struct rated *r, size_t n,
                       const struct findings *f, bool md, bool verbose, struct cluster *cl)
{
	FILE *fp = o->fp;
	size_t count[SEV_ERROR + 1] = {0};
	if (md)
		fprintf(fp, "# meshmedic check\n");
	for (size_t i = 0; i < n; i++) {
		const struct finding *x = r[i].f;
		enum severity s = r[i].sev;
		if (!count[s]++) {
			if (md)
				fprintf(fp, "\n## %s\n\n", groups[s].heading);
			else
				fprintf(fp, "%s%s:\n", i ? "\n" : "", groups[s].heading);
		}
		if (md) {
			fprintf(fp, "- **%s** on `", x->diagnosis);
			fput_clean(fp, x->resource, false);
			fputs("`: ", fp);
		} else {
			fprintf(fp, "  %s%s%s  ", o->color ? groups[s].color : "", x->diagnosis,
				o->color ? "\033[0m" : "");
			fput_clean(fp, x->resource, false);
			if (r[i].code)
				fprintf(fp, "  (%s)", r[i].code);
			fputs("\n    ", fp);
		}
		fput_clean(fp, x->message, false);
		if (md && r[i].code)
			fprintf(fp, " (%s)", r[i].code);
		fputc('\n', fp);
		for (size_t k = 0; k < x->evidence.n; k++) {
			fputs(md ? "  - " : "      | ", fp);
			fput_clean(fp, x->evidence.v[k], false);
			fputc('\n', fp);
		}
		/* the kubectl line of the fix rendered for the object (JSON has the rest) */
		struct fix_rendered fix;
		char *why;
		if (render_fix(cl, x, &fix, &why)) {
			fputs(md ? "  - fix: `" : "    fix: ", fp);
			fput_clean(fp, fix.patch, false);
			fputs(md ? "`\n" : "\n", fp);
		}
		fix_rendered_free(&fix);
		free(why);
	}
	if (f->nskipped)
		fprintf(fp, md ? "\n## Skipped\n\n" : "%sskipped:\n", n ? "\n" : "");
	skipped_text(fp, f, md, md || verbose);
	fprintf(fp, "%s%zu finding%s", n || f->nskipped || md ? "\n" : "", n, n == 1 ? "" : "s");
	if (n)
		fprintf(fp, " (%zu error%s, %zu warning%s, %zu info); meshmedic explain ID tells the "
		            "cause and the fix",
		        count[SEV_ERROR], count[SEV_ERROR] == 1 ? "" : "s", count[SEV_WARNING],
		        count[SEV_WARNING] == 1 ? "" : "s", count[SEV_INFO]);
	fputc('\n', fp);
}

int cmd_check(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("check takes no arguments, not '%s' (use -n NAMESPACE)", argv[1]);
	enum severity fail_on = c->o.fail_on ? severity_parse(c->o.fail_on) : SEV_WARNING;
	if (fail_on == SEV_UNSET)
		return usage_error("--fail-on is error, warning or info, not '%s'", c->o.fail_on);
	struct cluster *cl = open_cluster(c);
	if (!cl)
		return 2;
	/* every detector reads most kinds: fetch them all at once rather than one by one */
	if (c->o.live)
		live_prefetch(cl, live_kinds());
	if (cluster_unreadable(cl)) {
		cluster_free(cl);
		return 2;
	}
	struct findings f = {0};
	struct scope s = {c->o.ns, NULL, NULL};
	detect_run(cl, &s, NULL, &f);
	struct rated *r = rate_all(c->kb, &f);
	if (c->out.fmt == FMT_JSON)
		check_json(&c->out, r, f.n, &f, cl);
	else
		check_text(&c->out, r, f.n, &f, c->out.fmt == FMT_MARKDOWN, c->o.verbose, cl);
	int rc = 0;
	for (size_t i = 0; i < f.n; i++)
		if (r[i].sev >= fail_on)
			rc = 1;
	free(r);
	findings_free(&f);
	cluster_free(cl);
	return rc;
}
