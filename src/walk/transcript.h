/*
 * A transcript is a walk serialised to JSON, in the shape of
 * `run --format json` (DESIGN.md): flow, inputs, status, path, diagnosis,
 * pending. Loading one back gives the answers that replay the session;
 * a plain {"answers": {"NODE": "CHOICE"}, "inputs": {...}} works too.
 */
#ifndef MM_TRANSCRIPT_H
#define MM_TRANSCRIPT_H

#include <jansson.h>

#include "walk/walk.h"

/* New reference. */
json_t *walk_to_json(const struct walk *w);

/*
 * A diagnosis as JSON: id, title, fix (the steps as one numbered string, as
 * DESIGN.md has it), summary, cause, steps, verify, help, snippet, versions.
 * The same shape for `run` and `explain`. New reference.
 */
json_t *diag_json(const struct mm_diag *d);

/*
 * Read an answers file (or "-" for stdin) into answers->file and inputs.
 * On failure returns false and adds one error naming the file and line.
 */
bool answers_load(const char *path, struct answers *a, struct kvlist *inputs,
		  char **flow_id, struct mm_errors *errs);

#endif
