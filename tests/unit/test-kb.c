/* Loading and checking flow sets: the test set loads clean, problems carry positions. */
#include <unistd.h>

#include "detect/detect.h"
#include "kb/kb.h"
#include "probes/probe.h"
#include "tap.h"

static char scratch[] = "/tmp/meshmedic-kb.XXXXXX";

static char *write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", scratch, name);
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static struct mm_kb *mini(struct mm_errors *errs)
{
	struct mm_kb *kb = kb_new();
	char *root = xasprintf("%s/tests/data/mini", top_srcdir());
	kb_load_root(kb, root, errs);
	kb_check(kb, &probe_catalog, errs);
	free(root);
	return kb;
}

/* Lint one flow text on top of the test set; returns the first error formatted, or NULL. */
static char *lint_one(const char *text, size_t *count)
{
	struct mm_errors ignored = {0}, errs = {0};
	struct mm_kb *base = mini(&ignored), *kb = kb_new();
	kb->fallback = base;
	char *path = write_file("f.json", text);
	kb_load_path(kb, path, &errs);
	kb_check(kb, &probe_catalog, &errs);
	errs_sort(&errs);
	/* every error, one per line, with the scratch directory cut off */
	struct sbuf all;
	sb_init(&all);
	for (size_t i = 0; i < errs.n; i++) {
		char *line = err_format(&errs.v[i]);
		char *at = strstr(line, "f.json");
		sb_printf(&all, "%s%s", i ? "\n" : "", at ? at : line);
		free(line);
	}
	char *r = errs.n ? sb_steal(&all) : NULL;
	sb_free(&all);
	*count = errs.n;
	errs_free(&errs);
	errs_free(&ignored);
	kb_free(kb);
	kb_free(base);
	unlink(path);
	free(path);
	return r;
}

static const char head[] = "{\"id\": \"t\", \"title\": \"T\", \"symptoms\": [],\n";

static void lint_is(const char *body, const char *want, const char *name)
{
	char *text = xasprintf("%s%s", head, body);
	size_t n;
	char *got = lint_one(text, &n);
	is_str(got, want, "%s", name);
	free(got);
	free(text);
}

int main(void)
{
	if (!mkdtemp(scratch))
		return 99;
	struct mm_errors errs = {0};
	struct mm_kb *kb = mini(&errs);
	ok(errs.n == 0, "the test flow set loads and checks clean");
	errs_print(&errs, stdout);
	ok(kb->nflows == 2 && kb->ndiags == 4 && kb->nhelp == 2, "2 flows, 4 diagnoses, 2 help pages");
	const struct mm_flow *door = kb_flow(kb, "door");
	ok(door && door->start_node && strcmp(door->start_node->id, "locked") == 0,
	   "the start node is resolved");
	const struct mm_node *hinge = door ? flow_node(door, "hinge") : NULL;
	const struct mm_choice *no = hinge ? node_choice(hinge, "no") : NULL;
	ok(no && no->kind == TARGET_FLOW && no->flow == kb_flow(kb, "window"),
	   "a hand-over is resolved to its flow");
	const struct mm_diag *nk = kb_diag(kb, "no-key");
	ok(nk && nk->fix.n == 2 && nk->snippet && strcmp(nk->vmin, "1.5") == 0,
	   "a diagnosis keeps its steps, snippet and versions");
	const struct mm_help *h = kb_help(kb, "doors");
	ok(h && strcmp(h->title, "Doors") == 0 && h->see_also.n == 1, "help title and See also");
	char *body = h ? help_body(h) : NULL;
	ok(body && strncmp(body, "Doors open", 10) == 0, "help body starts after the title");
	free(body);
	ok(kb_flow(kb, "nope") == NULL && kb_diag(kb, "nope") == NULL, "unknown ids are not found");

	/* a higher layer replaces a flow of the same id */
	kb->layer = 1;
	char *path = write_file("door.json",
				"{\"id\": \"door\", \"title\": \"Replaced\", \"symptoms\": [],"
				" \"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q?\","
				" \"choices\": [{\"id\": \"x\", \"label\": \"X\", \"diagnosis\": \"no-key\"}]}]}");
	kb_load_path(kb, path, &errs);
	ok(errs.n == 0 && strcmp(kb_flow(kb, "door")->title, "Replaced") == 0 && kb->nflows == 2,
	   "--flows overrides a built-in flow by id");
	unlink(path);
	free(path);
	kb_free(kb);
	errs_free(&errs);

	lint_is("\"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q?\", \"choices\": "
		"[{\"id\": \"x\", \"label\": \"X\", \"diagnosis\": \"no-key\"}]}]}",
		NULL, "a minimal flow is clean");
	lint_is("\"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q?\", \"choices\": "
		"[{\"id\": \"x\", \"label\": \"X\", \"next\": \"b\"}]}]}",
		"f.json:2:101: no node 'b' in flow 't'", "a missing next node");
	lint_is("\"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q?\", \"choices\": "
		"[{\"id\": \"x\", \"label\": \"X\", \"next\": \"a\"}]}]}",
		"f.json:2:101: cycle: choice 'x' of node 'a' leads back to node 'a'", "a self loop");
	lint_is("\"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q {pod}?\", \"choices\": "
		"[{\"id\": \"x\", \"label\": \"X\", \"flow\": \"window\"}]}]}",
		"f.json:2:49: placeholder '{pod}' names an input that flow 't' does not declare",
		"an undeclared placeholder");
	lint_is("\"start\": \"a\", \"nodes\": [{\"id\": \"a\", \"question\": \"Q?\", \"probe\": \"psychic\","
		" \"choices\": [{\"id\": \"x\", \"label\": \"X\", \"diagnosis\": \"no-key\"}]}]}",
		"f.json:2:64: no probe 'psychic'", "an unknown probe");
	lint_is("\"start\": \"a\", \"nodes\": []}",
		"f.json:2:24: flow 't' has no nodes", /* and no echo about the start node */
		"a flow without nodes");
	size_t n;
	char *got = lint_one("{\"id\": 5}", &n);
	ok(got && strstr(got, "f.json:1:8: 'id' of a flow must be a string") && n == 5,
	   "wrong types and missing fields are all reported (%zu)", n);
	free(got);
	got = lint_one("{\"id\": \"x\",\n \"id\": \"y\"}", &n);
	ok(got && strncmp(got, "f.json:2:", 9) == 0 && strstr(got, "duplicate object key"),
	   "duplicate keys are invalid JSON with a position");
	free(got);
	/* every detector proves a diagnosis the shipped set explains; every probe is used */
	struct mm_kb *real = kb_new();
	char *root = xasprintf("%s", top_srcdir());
	kb_load_root(real, root, &errs);
	kb_check(real, &probe_catalog, &errs);
	ok(errs.n == 0, "the shipped set loads clean");
	for (const struct detector *const *d = detector_all(); *d; d++)
		ok(kb_diag(real, (*d)->diagnosis) != NULL, "detector %s: diagnosis %s exists", (*d)->name,
		   (*d)->diagnosis);
	for (const struct probe *const *p = probe_all(); *p; p++) {
		bool used = false;
		for (size_t i = 0; i < real->nflows && !used; i++)
			for (size_t k = 0; k < real->flows[i]->nnodes && !used; k++)
				used = real->flows[i]->nodes[k].probe &&
				       strcmp(real->flows[i]->nodes[k].probe, (*p)->name) == 0;
		ok(used, "probe %s is used by a flow", (*p)->name);
	}
	errs_free(&errs);
	free(root);
	kb_free(real);
	rmdir(scratch);
	return done_testing();
}
