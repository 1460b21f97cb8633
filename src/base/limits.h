/*
 * The limits on hostile input: every number that bounds what a file, a
 * document or an answer from outside may make meshmedic do. They are stated
 * once here (and in meshmedic.1, LIMITS), each error that hits one names it.
 *
 * mm_limits holds the values in force; only tests lower them, to reach a
 * limit without a gigabyte of input.
 */
#ifndef MM_LIMITS_H
#define MM_LIMITS_H

#include <stddef.h>

/* The defaults. */
#define MM_LIMIT_FILE_SIZE (256u * 1024 * 1024) /* bytes of one file read whole */
#define MM_LIMIT_YAML_ALIASES 10000              /* aliases in one YAML document */
#define MM_LIMIT_YAML_EXPANSION 1000000          /* nodes aliases add in one YAML text */
#define MM_LIMIT_YAML_NODES 10000000             /* nodes of one YAML document, aliases expanded */
#define MM_LIMIT_DEPTH 2048                      /* nesting of a JSON or YAML value (jansson's own) */
#define MM_LIMIT_OBJECTS 1000000                 /* Kubernetes objects in one snapshot */
#define MM_LIMIT_LINE (256u * 1024)              /* bytes of one line of a help page, proxy-status, log */

struct mm_limits {
	size_t file_size;
	size_t yaml_aliases;
	size_t yaml_expansion;
	size_t yaml_nodes;
	size_t depth;
	size_t objects;
	size_t line;
};

extern struct mm_limits mm_limits;

#endif
