/* Commands that show the knowledge base: list, explain, graph, help. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"

/* Print a JSON value (taking the reference) and a newline. */
static void dump_json(struct ctx *c, json_t *j)
{
	json_dumpf(j, c->out.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', c->out.fp);
	json_decref(j);
}

int cmd_list(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("list takes no arguments, not '%s'", argv[1]);
	report_list(&c->out, c->kb);
	return 0;
}

int cmd_explain(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("explain takes one ID, not '%s' as well", argv[2]);
	if (argc == 2) {
		const struct mm_diag *d = kb_diag(c->kb, argv[1]);
		if (!d)
			return usage_error("no diagnosis '%s' (meshmedic explain lists them)", argv[1]);
		report_diag(&c->out, d);
		return 0;
	}
	if (c->out.fmt == FMT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < c->kb->ndiags; i++)
			json_array_append_new(a, json_pack("{s:s, s:s}", "id", c->kb->diags[i]->id,
							   "title", c->kb->diags[i]->title));
		dump_json(c, a);
		return 0;
	}
	for (size_t i = 0; i < c->kb->ndiags; i++) {
		const struct mm_diag *d = c->kb->diags[i];
		char *t = sanitize(d->title, false);
		if (c->out.fmt == FMT_MARKDOWN)
			fprintf(c->out.fp, "- `%s`: %s\n", d->id, t);
		else
			fprintf(c->out.fp, "%-34s %s\n", d->id, t);
		free(t);
	}
	return 0;
}

int cmd_graph(struct ctx *c, int argc, char **argv)
{
	if (argc != 2)
		return usage_error(argc < 2 ? "graph needs a FLOW (see meshmedic list)"
					    : "graph takes one FLOW");
	const struct mm_flow *f = kb_flow(c->kb, argv[1]);
	if (!f)
		return usage_error("no flow '%s' (see meshmedic list)", argv[1]);
	report_graph(c->out.fp, f);
	return 0;
}

int cmd_help(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("help takes one TOPIC, not '%s' as well", argv[2]);
	if (argc < 2 && c->out.fmt == FMT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < c->kb->nhelp; i++)
			json_array_append_new(a, json_pack("{s:s, s:s}", "topic", c->kb->help[i]->topic,
							   "title", c->kb->help[i]->title));
		dump_json(c, a);
		return 0;
	}
	if (argc < 2) {
		for (size_t i = 0; i < c->kb->nhelp; i++) {
			char *t = sanitize(c->kb->help[i]->title, false);
			fprintf(c->out.fp, "%-24s %s\n", c->kb->help[i]->topic, t);
			free(t);
		}
		return 0;
	}
	const struct mm_help *h = kb_help(c->kb, argv[1]);
	if (!h)
		return usage_error("no help topic '%s' (meshmedic help lists them)", argv[1]);
	char *body = help_body(h);
	if (!body)
		return usage_error("%s: cannot read: %s", h->path, strerror(errno));
	if (c->out.fmt == FMT_JSON) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "topic", h->topic, "title", h->title, "text",
				      body);
		dump_json(c, j);
		free(body);
		return 0;
	}
	char *t = sanitize(h->title, false), *b = sanitize(body, true);
	fprintf(c->out.fp, "%s%s%s\n\n%s", out_bold(&c->out), t, out_reset(&c->out), b);
	free(t);
	free(b);
	free(body);
	return 0;
}
