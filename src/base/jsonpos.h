/*
 * Where each value of a JSON text starts. jansson tells the position of a
 * syntax error but not where a valid value sits, and lint must name the
 * line and column of the field it complains about. jpos_build scans a text
 * that jansson has already accepted and records, for every value, its JSON
 * Pointer (RFC 6901, "/nodes/3/choices/0/next") with the position of the
 * value and, for object members, of the key.
 */
#ifndef MM_JSONPOS_H
#define MM_JSONPOS_H

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>

struct jpos;

/* NULL if the text is not valid JSON (call it after jansson accepted it). */
struct jpos *jpos_build(const char *text, size_t len);
void jpos_free(struct jpos *jp);

/* Position of the value at ptr; for an object member, key=true gives its key's. */
bool jpos_find(const struct jpos *jp, const char *ptr, bool key, int *line, int *col);

/*
 * Like jpos_find, but when ptr is absent walks up to the nearest recorded
 * ancestor, so an error about a missing field points at the object.
 */
void jpos_nearest(const struct jpos *jp, const char *ptr, bool key, int *line, int *col);

/*
 * Parse a JSON text with jansson (duplicate keys refused). On a syntax error
 * add one error to errs, at the start of the token jansson stopped at
 * (jansson itself points at the token's last character), and return NULL.
 */
struct mm_errors;
json_t *json_parse_text(const char *path, const char *text, size_t len, struct mm_errors *errs);

/* ptr + "/" + key, with the key escaped as RFC 6901 wants. New string. */
char *jptr_join(const char *ptr, const char *key);

#endif
