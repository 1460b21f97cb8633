/*
 * What the front ends that walk a flow (run, tui, ask) share around the
 * walk: the answers and inputs the command line and an --answers file give,
 * the names an input completes to, where session state is kept, and saving
 * a transcript. Front-end code, not engine: it knows the options.
 */
#ifndef MM_SESSION_H
#define MM_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "session/options.h"
#include "walk/walk.h"

struct prepared {
	const struct mm_flow *flow;  /* named on the command line or by the answers file, or NULL */
	struct answers answers;      /* --answer (user) and --answers (file) */
	struct kvlist file_inputs;   /* the answers file's inputs */
	char *file_flow;             /* the flow the answers file is a walk of */
	const char *answers_file;
};

/*
 * Load --answers and --answer and check them against the kb; resolve
 * flow_id (or the file's flow). Returns -1 when fine, else the exit status
 * (2) after printing one line. Free p with prepared_free either way.
 */
int prepare(struct ctx *c, const char *flow_id, const char *answers_file, struct prepared *p);
void prepared_free(struct prepared *p);

/* The value of --set NAME=VALUE (the last one), or NULL. */
const char *set_value(const struct opts *o, const char *name);

/*
 * Set w's inputs from the answers file, then -n (the namespace input), then
 * --set. False with *err (new string, naming where the bad value came from).
 */
bool walk_preset(const struct opts *o, const struct kvlist *file_inputs, const char *file_name,
		 struct walk *w, char **err);

/* The same check before a session opens: -1 when fine, else 2 after printing why. */
int preset_check(const struct ctx *c, const struct prepared *p, const struct mm_flow *f);

/* Whether every required input of the walk's flow is set; else *missing names the first. */
bool walk_inputs_complete(const struct walk *w, const struct mm_input **missing);

/* What names_read reads for hosts: those of VirtualServices, Gateways and Services. */
#define HOSTS_KIND "host"

/*
 * What an input completes to ("complete" of the input): a kind of object
 * ("Namespace", "Service", "Pod", "Gateway"), HOSTS_KIND, or NULL.
 */
const char *input_kind(const struct mm_input *in);
/* Whether its names come from every namespace (namespaces, Gateways, hosts), not the input's one. */
bool input_cluster_wide(const struct mm_input *in);

/*
 * The names of a kind in ns (all namespaces for "Namespace"; Gateways as
 * NAMESPACE/NAME from all of them; HOSTS_KIND: hosts), sorted, each once.
 */
void names_read(struct cluster *c, const char *kind, const char *ns, struct strlist *out);

/*
 * The names input in of flow f completes to: first the candidates its
 * derivation rule finds over the values given (the pick first), then the
 * rest of names_read's.
 */
void input_names(struct cluster *c, const struct mm_flow *f, const struct kvlist *given,
                 const struct mm_input *in, const char *ns, struct strlist *out);

/* "snapshot NAME", "live CONTEXT", "no cluster": where the session reads the cluster. New string. */
char *session_source_label(const struct ctx *c);

/* $XDG_STATE_HOME/meshmedic/FILE (by default ~/.local/state/...), or NULL. New string. */
char *state_path(const char *file);
/* mkdir -p for the directory of path, mode 0700 for what it creates. */
bool make_parents(const char *path);

/* base, base-2, base-3 ...: the first for which no file with one of the suffixes exists. */
char *free_name(const char *base, const char *const suffixes[]);
/* Write a new file (never over an existing one, mode 0644); false with *err (new string). */
bool write_new(const char *path, void (*print)(FILE *fp, void *arg), void *arg, char **err);
/*
 * Save the walk as NAME.md and NAME.json (NAME.md or NAME.json typed in
 * full names the pair). *msg (new string) says what was written or why not.
 * With a cluster (may be NULL) a diagnosis carries its fix rendered for it,
 * as `run` prints it.
 */
struct cluster;
bool save_walk(const struct walk *w, struct cluster *cluster, const char *name, char **msg);

#endif
