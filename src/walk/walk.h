/*
 * The walk: a state machine over a flow. It holds the current node, the
 * steps taken so far (each with its answer, who gave it and the evidence),
 * and the flow inputs. Every front end (batch, line, TUI) drives the same
 * walk; a transcript is this state serialised (see walk/transcript.h).
 *
 * The walk borrows the kb, which must outlive it.
 */
#ifndef MM_WALK_H
#define MM_WALK_H

#include <stdbool.h>
#include <stddef.h>

#include "kb/kb.h"
#include "probes/probe.h"
#include "base/util.h"
#include "walk/infer.h"

enum answer_by { BY_USER, BY_PROBE, BY_ANSWERS };
const char *answer_by_name(enum answer_by by);

struct step {
	const struct mm_flow *flow;
	const struct mm_node *node;
	const struct mm_choice *choice;
	enum answer_by by;
	bool inferred; /* by a probe that read the causes below the node, not the direct evidence */
	struct strlist evidence;
};

struct kv {
	char *key, *value;
};

struct kvlist {
	struct kv *v;
	size_t n, cap;
};
void kv_set(struct kvlist *l, const char *key, const char *value);
const char *kv_get(const struct kvlist *l, const char *key);
void kv_free(struct kvlist *l);

/*
 * An input the walk named from the cluster (walk/derive.h) because nobody
 * gave it: the rule, the pick's evidence and the other candidates.
 */
struct derived {
	const struct mm_flow *flow; /* the flow whose declaration names the rule */
	char *input, *value, *rule;
	struct strlist evidence;          /* why the pick is a candidate, and the pick rule */
	struct strlist others, others_ev; /* the other candidates and their evidence, in order */
	size_t at;                        /* how many steps had been taken when it was derived */
	/* BY_PROBE when this walk derived it, BY_ANSWERS when a replayed transcript recorded it */
	enum answer_by by;
	char *flow_id; /* of a recorded one, until the walk resolves flow */
};

struct walk {
	const struct mm_kb *kb;
	const struct mm_flow *start_flow;
	const struct mm_flow *flow;  /* the flow of the current node */
	const struct mm_node *node;  /* NULL once a diagnosis is reached */
	const struct mm_diag *diag;
	struct step *steps;
	size_t nsteps, cap;
	struct kvlist inputs;
	/* inputs nobody gave that a probe's evidence named: shown in texts, never probed with */
	struct kvlist named;
	/* what the last probe said about the current node when it could not decide */
	char *probe_note;
	struct strlist probe_evidence;
	/* where a walk stopped: the causes the cluster shows below the question (walk_likely) */
	struct leads likely;
	const struct mm_node *likely_node; /* the node likely was computed at, or NULL */
	/* inputs whose derivation was tried (walk/derive.h): inference waits for the others */
	struct strlist derive_tried, derive_why; /* the same index: why it failed, or "" */
	bool infer_deferred; /* the last probe left inference to after derivation */
	/* the inputs derived from the cluster, in the order they were */
	struct derived *derived;
	size_t nderived;
	/* the namespace a Service's DNS name (service=NAME.NS...) set: a later namespace must agree */
	char *fqdn_ns;
};

void walk_init(struct walk *w, const struct mm_kb *kb, const struct mm_flow *flow);
void walk_free(struct walk *w);

/*
 * Set an input after checking the value against its declared type. A
 * Service given by its DNS name (NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local)
 * sets the service to NAME and the namespace to NS, refused when another
 * namespace was given.
 */
bool walk_set_input(struct walk *w, const char *name, const char *value, char **err);

/* The input's value, its default, or NULL. */
const char *walk_input(const struct walk *w, const char *name);

/* Take a choice at the current node; false with *err if it is not one. */
bool walk_answer(struct walk *w, const char *choice, enum answer_by by,
		 const struct strlist *evidence, char **err);

/* Go back so that step i (0-based) is asked again; later steps are dropped. */
void walk_back(struct walk *w, size_t i);

bool walk_done(const struct walk *w);

/* text with every {input} replaced by its value, or <input> when unset. */
char *walk_text(const struct walk *w, const char *text);


/*
 * Answers given ahead of time: by the person on the command line (--answer)
 * or from a file (--answers). Keys are NODE or FLOW:NODE.
 */
struct recorded_evidence {
	char *key;
	struct strlist lines;
	bool inferred; /* the step was inferred when it was recorded */
};

struct answers {
	struct kvlist user, file;
	/* the evidence a replayed transcript recorded for its answers, by the same keys */
	struct recorded_evidence *evidence;
	size_t nevidence;
	/* the derived inputs a replayed transcript recorded (walk/derive.h) */
	struct derived *derived;
	size_t nderived;
	/* the inputs a replayed transcript's evidence named ("named"), for its texts */
	struct kvlist named;
};
/* Free what a derived record holds. */
void derived_clear(struct derived *d);
void answers_add_evidence(struct answers *a, const char *key, const struct strlist *lines);
/* The recorded step of key was inferred (a replay marks it so too). */
void answers_mark_inferred(struct answers *a, const char *key);
void answers_free(struct answers *a);

/* Check that every key names a node of some flow and every value one of its choices. */
bool answers_check(const struct kvlist *answers, const struct mm_kb *kb, char **err);

/*
 * Advance without a person: take prepared answers, then probes (when a
 * cluster is loaded), until a diagnosis or a question nobody can answer.
 */
void walk_auto(struct walk *w, const struct answers *a, struct cluster *cluster);

/* The causes the cluster shows below the current node, and a Forbidden read, into w->likely. */
void walk_likely(struct walk *w, struct cluster *cluster);

/* Ask the current node's probe; true if it chose (the choice is taken). */
bool walk_probe(struct walk *w, struct cluster *cluster);

/*
 * walk_probe in two halves, for a front end that runs the probe in the
 * background and lets the person confirm the answer (the TUI).
 * walk_probe_run only reads the walk, so it may run on another thread while
 * the walk is left alone; it fills r (zeroed first) with a choice, or with
 * the reason there is none (no reason: the node has no probe). Where the
 * probe cannot tell, the causes below the node may decide (walk/infer.h):
 * r->inferred says so; the leads looked at go to *keep (when not NULL).
 * An input the node needs that may still be derived comes first: then
 * nothing is inferred and r->deferred says so. Free r with
 * probe_result_free. walk_probe_note keeps r's reason and evidence as what
 * the probe said about the current node, as walk_probe does when it cannot
 * decide.
 */
void walk_probe_run(const struct walk *w, struct cluster *cluster, struct probe_result *r,
                    struct leads *keep);

/* The declaration of input name if the walk's flow (or the one it started in) says how to derive it, else NULL. */
const struct mm_input *walk_derivable(const struct walk *w, const char *name);

/* The inputs the current node needs (its probe's, and its question's {placeholders}), into need. */
void walk_node_needs(const struct walk *w, struct strlist *need);
void walk_probe_note(struct walk *w, const struct probe_result *r);
/* Keep the inputs r's evidence names (a pod whose log showed the answer) for the texts. */
void walk_probe_named(struct walk *w, const struct probe_result *r);

/*
 * The prepared answer for the current node, as walk_auto takes it: --answer
 * first (*by BY_USER), then the file (BY_ANSWERS, with the evidence it
 * recorded or NULL). NULL if there is none.
 */
const char *walk_prepared(const struct walk *w, const struct answers *a, enum answer_by *by,
			  const struct strlist **evidence);

#endif
