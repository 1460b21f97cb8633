/* Help pages as the loader (and lint) read them, then their body as `help TOPIC` shows it. */
#include "kb/kb.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir, *p = fuzz_file(data, size, "fuzz-page.md", &dir);
	struct mm_kb *kb = kb_new();
	struct mm_errors errs = {0};
	kb_load_path(kb, p, &errs);
	const struct mm_help *h = kb_help(kb, "fuzz-page");
	if (h) {
		char *body = help_body(h);
		char *clean = body ? sanitize(body, true) : NULL;
		free(clean);
		free(body);
	}
	kb_free(kb);
	errs_free(&errs);
	fuzz_rm(p, dir);
	return 0;
}
