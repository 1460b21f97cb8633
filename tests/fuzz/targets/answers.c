/* Transcripts and answers files as --answers FILE reads them. */
#include "walk/transcript.h"
#include "walk/walk.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir, *p = fuzz_file(data, size, "answers.json", &dir);
	struct answers a;
	memset(&a, 0, sizeof(a));
	struct kvlist inputs = {0};
	char *flow = NULL;
	struct mm_errors errs = {0};
	answers_load(p, &a, &inputs, &flow, &errs);
	answers_free(&a);
	kv_free(&inputs);
	free(flow);
	errs_free(&errs);
	fuzz_rm(p, dir);
	return 0;
}
