/*
 * YAML to JSON: every document of a YAML text as a jansson value, with the
 * line it starts on. Plain scalars are typed as YAML's core schema says
 * (null, true/false, integers, floats); quoted scalars stay strings.
 */
#ifndef MM_YAMLJSON_H
#define MM_YAMLJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct mm_errors;

/* Called for each document (taking the reference); line is 1-based. */
typedef void (*yaml_doc_fn)(void *ctx, json_t *doc, int line);

/*
 * Parse text (named path in messages). On a syntax error adds one error with
 * its line and column and returns false; documents before it were delivered.
 */
bool yaml_to_json(const char *path, const char *text, size_t len, yaml_doc_fn fn, void *ctx,
		  struct mm_errors *errs);

/*
 * The first document of a YAML text, or NULL (e.g. meshConfig). New reference.
 * The limits of base/limits.h hold here too; yaml_first_doc_err says which
 * one (or the syntax error) in errs, naming path.
 */
json_t *yaml_first_doc(const char *text);
json_t *yaml_first_doc_err(const char *path, const char *text, struct mm_errors *errs);

#endif
