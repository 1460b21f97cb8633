/*
 * Probes answer a flow's question from the cluster model. A probe is a const
 * table entry: its name (as flows refer to it), the flow inputs it reads, and
 * the function that decides. It returns one of the node's choice ids with
 * evidence lines, or unknown with the reason, and never spawns a process: it
 * only reads the model that a source filled.
 */
#ifndef MM_PROBE_H
#define MM_PROBE_H

#include <stdbool.h>

#include "util.h"

struct cluster;

/* Looks up the value of a flow input by name; NULL when unset. */
typedef const char *(*input_fn)(void *ctx, const char *name);

struct probe_ctx {
	struct cluster *cluster;
	input_fn input;
	void *input_ctx;
};

struct probe_result {
	char *choice;             /* a choice id of the node, or NULL for unknown */
	char *reason;             /* why unknown */
	struct strlist evidence;  /* what the answer rests on */
};

struct probe {
	const char *name;
	const char *inputs[4]; /* flow inputs it needs, NULL-terminated */
	const char *summary;
	void (*run)(const struct probe_ctx *ctx, struct probe_result *out);
};

const struct probe *probe_find(const char *name);
const struct probe *const *probe_all(void);

void probe_result_free(struct probe_result *r);

#endif
