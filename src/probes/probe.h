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

#include "base/util.h"
#include "kb/kb.h"

struct cluster;
struct kobj;
struct scope;

/* Looks up the value of a flow input by name; NULL when unset. */
typedef const char *(*input_fn)(void *ctx, const char *name);

struct probe_ctx {
	struct cluster *cluster;
	input_fn input;
	void *input_ctx;
	const char *const *choices; /* the node's choice ids, in order */
	size_t nchoices;
};

struct probe_result {
	char *choice;             /* a choice id of the node, or NULL for unknown */
	char *reason;             /* why unknown */
	struct strlist evidence;  /* what the answer rests on */
	bool inferred;            /* the walk chose from the causes below the node (walk/infer.h) */
	bool deferred;            /* not inferred yet: an input it needs may still be derived */
	/* inputs the evidence names though nobody gave them: NAME=VALUE (pod: whose log showed it) */
	struct strlist named;
};

struct probe {
	const char *name;
	const char *inputs[4]; /* flow inputs it needs, NULL-terminated */
	const char *summary;
	void (*run)(const struct probe_ctx *ctx, struct probe_result *out);
};

/* A family file's table entry: PROBE("id", fn, "input", ..., NULL) defines probe_fn. */
#define PROBE(id, fn, ...) static const struct probe probe_##fn = {id, {__VA_ARGS__}, NULL, fn}
/* The same with a one-line summary of what the probe reads. */
#define PROBE_SUMMARY(id, fn, summary, ...)                                                        \
	static const struct probe probe_##fn = {id, {__VA_ARGS__}, summary, fn}

/*
 * Every probe, in families: each probes_*.c file exports one NULL-terminated
 * array, listed in probes/probe.c. Returns a NULL-terminated list (built once).
 */
const struct probe *probe_find(const char *name);
const struct probe *const *probe_all(void);

void probe_result_free(struct probe_result *r);

/* What probe functions share. */

/* A flow input by name; NULL when unset. */
const char *probe_in(const struct probe_ctx *x, const char *name);
/* Pick a choice, with one evidence line. */
void probe_answer(struct probe_result *r, const char *choice, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Cannot tell, and why (the last reason wins). */
void probe_unknown(struct probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether a kind can be read; if not, the reason says why, under label. */
bool probe_readable(const struct probe_ctx *x, struct probe_result *r, const char *kind,
		    const char *label);
/* The object of kind named by an input (in the "namespace" input), or NULL with the reason set. */
const struct kobj *probe_object(const struct probe_ctx *x, struct probe_result *r,
				const char *kind, const char *input);
/*
 * Run the detector of one diagnosis over scope and answer if_found (with
 * the findings' evidence) or if_not (with the line clean); unknown when the
 * check was skipped.
 */
void probe_by_detector(const struct probe_ctx *x, struct probe_result *r, const struct scope *s,
		       const char *diagnosis, const char *if_found, const char *if_not,
		       const char *clean);
/* Whether the node offers a choice id. */
bool probe_has_choice(const struct probe_ctx *x, const char *id);

/*
 * The generic "istio-version" probe: the node's choices are tried in order;
 * "lt-X" is taken when the Istio version is below X, "ge-X" when it is X or
 * later, and "any" always. Lint checks that the ids have this form.
 */
bool probe_version_choice_valid(const char *id);

/*
 * The generic "findings" probe: its choices are diagnosis ids that have a
 * detector (tried in order over the namespace/service/pod inputs) and "none".
 */
bool probe_findings_choice_valid(const char *id);

/* The probes as kb_check sees them (registry.c). */
extern const struct kb_probes probe_catalog;

#endif
