/* Flows and diagnoses as lint reads them: one JSON file into the knowledge base, then checked. */
#include "kb/kb.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir, *p = fuzz_file(data, size, "flow.json", &dir);
	struct mm_kb *kb = kb_new();
	struct mm_errors errs = {0};
	kb_load_path(kb, p, &errs);
	kb_free(kb);
	errs_free(&errs);
	fuzz_rm(p, dir);
	return 0;
}
