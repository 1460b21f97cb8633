/*
 * Derivation rules: where a flow input that nobody gave (a pod, a service,
 * a gateway) can be read from the cluster model. A flow names one rule per
 * input ("derive" in its input declaration); a rule reads the inputs it
 * lists and returns every candidate with a one-line evidence and a rank,
 * and derive_sort orders them so that the first is the pick. Like probes,
 * rules only read the model.
 */
#ifndef MM_DERIVE_H
#define MM_DERIVE_H

#include <stddef.h>

#include "kb/kb.h"
#include "probes/probe.h"

struct cluster;

struct derive_cand {
	char *value;    /* the input's value: a pod or service name, "ns/name" of a gateway */
	char *evidence; /* one line: why this is a candidate, and its state */
	int rank;       /* the higher, the worse its state: the pick is the worst */
	char *created;  /* metadata.creationTimestamp (RFC 3339), "" when unknown */
};

struct derive_result {
	struct derive_cand *v;
	size_t n, cap;
	char *reason; /* why there is none, when n is 0 */
};

struct derive_rule {
	const char *name;
	enum mm_input_type type; /* what it names */
	const char *inputs[3];   /* the flow inputs it reads, NULL-terminated */
	const char *summary;
	void (*run)(struct cluster *c, input_fn in, void *ctx, struct derive_result *out);
};

/* The rule of that name, or NULL. */
const struct derive_rule *derive_find(const char *name);
/* Every rule, NULL-terminated. */
const struct derive_rule *const *derive_all(void);

/* Run rule over the model: the candidates in pick order, or none and the reason. */
void derive_run(const struct derive_rule *rule, struct cluster *c, input_fn in, void *ctx,
                struct derive_result *out);

/* The pick rule: the worst state first, then the most recently created, then by name. */
void derive_sort(struct derive_result *r);

/* Add a candidate (copies the strings; created may be NULL). */
void derive_add(struct derive_result *r, const char *value, int rank, const char *created,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void derive_result_free(struct derive_result *r);

/*
 * A pod's state as the pick rule ranks it, with a few words for the
 * evidence (new string in *words): 4 a container waits in a crash or pull
 * back-off or exited with an error, 3 the pod is not running (Pending,
 * Failed), 2 running but not Ready, 1 Ready after restarts, 0 Running and
 * Ready.
 */
int derive_pod_state(const struct kobj *pod, char **words);

#endif
