/*
 * What the access-log format compiler (format.c) hands the line matcher
 * (match.c): a format as a list of tokens (TEXT) or of keys (JSON). Private
 * to src/logs; the rest of the program sees logs/accesslog.h.
 */
#ifndef MM_LOGS_FORMAT_H
#define MM_LOGS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#define VEC __m128i
#define VEC_SET(c) _mm_set1_epi8(c)
#else
#define VEC char
#define VEC_SET(c) (c)
#endif

#include "logs/accesslog.h"

/* What a value must look like. */
enum kind { K_ANY, K_TOKEN, K_NUM, K_CODE, K_FLAGS, K_PROTO };

/* One piece of a TEXT format: a literal, or an operator's value. */
struct tok {
	const char *lit; /* NULL for an operator */
	size_t len;
	int field;
	enum kind kind;
	uint64_t word, mask; /* the first 8 bytes of the literal, to compare them at once */
	VEC first;           /* its first byte, 16 times */
	bool quote_or_space; /* it starts with one: a token before it ends at the first of them */
};

/* A JSON key and the field its operator fills. */
struct jkey {
	char *key;
	size_t len;
	int field;
	enum kind kind;
};

struct al_format {
	const char *name;
	bool json;
	char *text; /* the literals point into it */
	struct tok *t;
	size_t n;
	struct jkey *keys;
	size_t nkeys;
};

void format_free(struct al_format *f);

#endif
