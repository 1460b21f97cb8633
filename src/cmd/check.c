/* `check`: every detector over the cluster state, as findings and skipped checks. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "session/sources.h"
#include "detect/detect.h"
#include "cluster/live.h"

static void check_json(const struct out *o, const struct findings *f)
{
	json_t *fs = json_array(), *sk = json_array();
	for (size_t i = 0; i < f->n; i++) {
		json_t *ev = json_array();
		for (size_t k = 0; k < f->v[i].evidence.n; k++)
			json_array_append_new(ev, json_string(f->v[i].evidence.v[k]));
		json_array_append_new(fs, json_pack("{s:s, s:s, s:s, s:o}", "diagnosis",
						    f->v[i].diagnosis, "resource", f->v[i].resource,
						    "message", f->v[i].message, "evidence", ev));
	}
	for (size_t i = 0; i < f->nskipped; i++)
		json_array_append_new(sk, json_pack("{s:s, s:s}", "check", f->skipped[i].check,
						    "reason", f->skipped[i].reason));
	json_t *j = json_pack("{s:o, s:o}", "findings", fs, "skipped", sk);
	json_dumpf(j, o->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', o->fp);
	json_decref(j);
}

static void check_text(const struct out *o, const struct findings *f, bool md)
{
	FILE *fp = o->fp;
	if (md)
		fprintf(fp, "# meshmedic check\n\n");
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];
		if (md) {
			fprintf(fp, "- **%s** on `", x->diagnosis);
			fput_clean(fp, x->resource, false);
			fputs("`: ", fp);
		} else {
			fprintf(fp, "%s%s%s  ", o->color ? "\033[1;31m" : "", x->diagnosis,
				o->color ? "\033[0m" : "");
			fput_clean(fp, x->resource, false);
			fputs("\n  ", fp);
		}
		fput_clean(fp, x->message, false);
		fputc('\n', fp);
		for (size_t k = 0; k < x->evidence.n; k++) {
			fputs(md ? "  - " : "    | ", fp);
			fput_clean(fp, x->evidence.v[k], false);
			fputc('\n', fp);
		}
	}
	if (f->nskipped)
		fprintf(fp, "%sskipped:\n", f->n ? "\n" : "");
	for (size_t i = 0; i < f->nskipped; i++) {
		fprintf(fp, "%s%s: ", md ? "- " : "  ", f->skipped[i].check);
		fput_clean(fp, f->skipped[i].reason, false);
		fputc('\n', fp);
	}
	fprintf(fp, "%s%zu finding%s%s\n", f->n || f->nskipped ? "\n" : "", f->n, f->n == 1 ? "" : "s",
		f->n ? "; meshmedic explain ID tells the cause and the fix" : "");
}

int cmd_check(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("check takes no arguments, not '%s' (use -n NAMESPACE)", argv[1]);
	struct cluster *cl = open_cluster(c);
	if (!cl)
		return 2;
	/* every detector reads most kinds: fetch them all at once rather than one by one */
	if (c->o.live)
		live_prefetch(cl, live_kinds());
	struct findings f = {0};
	struct scope s = {c->o.ns, NULL, NULL};
	detect_run(cl, &s, NULL, &f);
	if (c->out.fmt == FMT_JSON)
		check_json(&c->out, &f);
	else
		check_text(&c->out, &f, c->out.fmt == FMT_MARKDOWN);
	int rc = f.n ? 1 : 0;
	findings_free(&f);
	cluster_free(cl);
	return rc;
}
