/* `lint`: check flows, diagnoses and help pages, reporting FILE:LINE:COLUMN lines. */
#include <stdlib.h>

#include "cmd/cli.h"
#include "base/datadir.h"
#include "probes/probe.h"

int cmd_lint(struct ctx *c, int argc, char **argv)
{
	struct mm_errors errs = {0};
	struct mm_kb *kb = kb_new(), *builtin = NULL;
	char *root = data_root();
	if (argc > 1) {
		/* the files named are checked; the built-in set only resolves their references */
		struct mm_errors ignored = {0};
		builtin = kb_new();
		kb_load_root(builtin, root, &ignored);
		kb_check(builtin, &probe_catalog, &ignored);
		errs_free(&ignored);
		kb->fallback = builtin;
		for (int i = 1; i < argc; i++)
			kb_load_path(kb, argv[i], &errs);
	} else {
		kb_load_root(kb, root, &errs);
		for (size_t i = 0; i < c->o.flows_dirs.n; i++) {
			kb->layer = 1;
			kb_load_path(kb, c->o.flows_dirs.v[i], &errs);
		}
	}
	free(root);
	kb_check(kb, &probe_catalog, &errs);
	errs_sort(&errs);
	errs_print(&errs, stderr);
	int rc = errs.n ? 2 : 0;
	if (!errs.n)
		fprintf(c->out.fp, "%zu flows, %zu diagnoses, %zu help pages: no problems\n", kb->nflows,
			kb->ndiags, kb->nhelp);
	errs_free(&errs);
	kb_free(kb);
	kb_free(builtin);
	return rc;
}
