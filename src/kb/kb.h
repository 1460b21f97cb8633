/*
 * The knowledge base: flows (decision trees), diagnoses and help pages, as
 * loaded from JSON and Markdown files. Loading checks the shape of each file
 * (fields, types, ids); kb_check then checks the set as a whole (references,
 * reachability, cycles, placeholders, snippets). Every problem is reported
 * into a struct mm_errors with the file, line and column it concerns.
 *
 * All strings belong to the kb and live until kb_free.
 */
#ifndef MM_KB_H
#define MM_KB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

struct jpos;

/* One loaded file and where its values sit, for error positions. */
struct mm_src {
	char *path;
	struct jpos *pos;
	bool broken; /* it had load errors: whole-set checks skip what it defines */
};

struct mm_pos {
	int line, col;
};

enum mm_input_type { IN_NAMESPACE, IN_SERVICE, IN_POD, IN_HOST, IN_PORT, IN_STRING, IN_OBJECT };

/* What Tab offers for an input ("complete" of an input; by default from its type). */
enum mm_complete { CO_NONE, CO_NAMESPACE, CO_SERVICE, CO_POD, CO_GATEWAY, CO_HOST };

struct mm_input {
	char *name, *prompt, *def;
	/* "derive": the rule (probes/derive.h) that names the value from the cluster, or NULL */
	char *derive;
	enum mm_input_type type;
	enum mm_complete complete;
	bool required;
};

enum mm_target { TARGET_NODE, TARGET_FLOW, TARGET_DIAGNOSIS };

struct mm_node;
struct mm_flow;
struct mm_diag;

struct mm_choice {
	char *id, *label;
	char *no_inference; /* why the walk never infers this choice from causes below, or NULL */
	enum mm_target kind;
	char *target;
	/* resolved by kb_check; NULL until then or when the target is missing */
	const struct mm_node *node;
	const struct mm_flow *flow;
	const struct mm_diag *diag;
};

struct mm_node {
	char *id, *question, *detail, *help, *probe;
	char *no_inference; /* why the walk must not infer this answer from causes below, or NULL */
	struct mm_choice *choices;
	size_t nchoices;
	const struct mm_flow *flow;
	char *ptr; /* JSON Pointer of this node in its file */
};

struct mm_flow {
	char *id, *title, *description, *start;
	struct strlist symptoms;
	struct strlist synonyms; /* other words for the symptom, for search only */
	struct mm_input *inputs;
	size_t ninputs;
	struct mm_node *nodes;
	size_t nnodes;
	const struct mm_node *start_node;
	const struct mm_src *src;
	int layer;
};

struct mm_diag {
	char *id, *title, *summary, *cause;
	struct strlist fix, verify, help;
	char *snippet_lang, *snippet;
	char *vmin, *vmax, *vnote;
	/* versions.older_api: apiVersions to write instead of a v1 Istio API on older meshes */
	struct strlist older_api;
	/* what a finding of it means for traffic: "error", "warning" or "info" (default warning) */
	char *severity;
	/* the code istioctl analyze reports for the same condition ("IST0101"), or NULL */
	char *istio_code;
	const struct mm_src *src;
	char *ptr;
	int layer;
};

struct mm_help {
	char *topic, *title, *path;
	struct strlist see_also;
	struct mm_pos *see_also_pos; /* where each See also entry stands */
	int layer;
};

struct mm_kb {
	struct mm_flow **flows;
	size_t nflows;
	struct mm_diag **diags;
	size_t ndiags;
	struct mm_help **help;
	size_t nhelp;
	struct mm_src **srcs;
	size_t nsrcs;
	/* lint of a few files resolves what they reference in the built-in set */
	const struct mm_kb *fallback;
	int layer; /* files loaded now belong to this layer; a higher layer overrides */
};

struct mm_kb *kb_new(void);
void kb_free(struct mm_kb *kb);

/*
 * Load a file or a directory (read recursively): *.json files holding a
 * "diagnoses" array are diagnosis files, other *.json files are flows, *.md
 * files are help pages. Returns false if path cannot be read at all.
 */
bool kb_load_path(struct mm_kb *kb, const char *path, struct mm_errors *errs);

/* Load a data root: ROOT/flows and ROOT/help. */
void kb_load_root(struct mm_kb *kb, const char *root, struct mm_errors *errs);

/*
 * What kb_check knows of the probes, which live in a layer above the kb:
 * the probes layer provides it (probe_catalog, probes/probe.h).
 */
struct kb_probes {
	/* Whether the probe exists; if so *inputs lists the flow inputs it reads. */
	bool (*find)(const char *probe, const char *const **inputs);
	size_t ninputs; /* *inputs has at most this many entries, or ends with NULL */
	/* Whether id may be a choice of a node the probe answers; else *must says what. */
	bool (*choice_ok)(const char *probe, const char *id, const char **must);
	/*
	 * Whether a derivation rule ("derive" of an input) exists; if so *inputs
	 * (NULL-terminated) lists the flow inputs it reads and *type what it names.
	 * NULL: no rule is known.
	 */
	bool (*derive_find)(const char *rule, const char *const **inputs, enum mm_input_type *type);
};

/* Check the set as a whole (probes against the catalogue) and resolve references. */
void kb_check(struct mm_kb *kb, const struct kb_probes *probes, struct mm_errors *errs);

const struct mm_flow *kb_flow(const struct mm_kb *kb, const char *id);
const struct mm_diag *kb_diag(const struct mm_kb *kb, const char *id);
const struct mm_help *kb_help(const struct mm_kb *kb, const char *topic);
const struct mm_node *flow_node(const struct mm_flow *f, const char *id);
const struct mm_choice *node_choice(const struct mm_node *n, const char *id);
const struct mm_input *flow_input(const struct mm_flow *f, const char *name);

const char *input_type_name(enum mm_input_type t);
const char *input_complete_name(enum mm_complete k);

/* Check an input value against its type as Kubernetes names it; NULL if fine, else why not. */
char *input_value_error(enum mm_input_type type, const char *value);

/*
 * How well flow f matches the filter: -1 not at all, else a score (higher is
 * better; 0 for an empty filter, which every flow matches). Filter, id,
 * title, symptoms and synonyms are compared as words (case-insensitive):
 * a symptom standing whole in the filter (a pasted error message) counts
 * most, then the filter standing in a symptom (typing one), then the
 * filter's words found in it in any order. Codes and flags are whole words.
 * The symptoms and synonyms that match go into hits.
 */
int kb_flow_score(const struct mm_flow *f, const char *filter, struct strlist *hits);
bool kb_flow_matches(const struct mm_flow *f, const char *filter, struct strlist *hits);

/*
 * The flows that match filter, best first (equal scores in the kb's order),
 * into out (room for kb->nflows), their scores into scores (or NULL).
 */
size_t kb_flows_ranked(const struct mm_kb *kb, const char *filter, const struct mm_flow **out,
                       int *scores);

/* The Istio API groups that are served as v1 from Istio 1.22 on. */
extern const char *const kb_v1_groups[3];

/* Whether an apiVersion line of a snippet names GROUP/v1 exactly. */
bool snippet_uses_v1(const char *snippet, const char *group);

/* The older forms of GROUP that versions.older_api names, joined with " or " (new string, or NULL).
 */
char *older_api_for(const struct mm_diag *d, const char *group);

/* Report an error at a JSON Pointer of a loaded file (key=true: at the member's key). */
void kb_err_at(struct mm_errors *errs, const struct mm_src *src, const char *ptr, bool key,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The help page text without its title line; NULL with errno set if unreadable. */
char *help_body(const struct mm_help *h);

#endif
