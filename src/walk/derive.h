/*
 * Inputs the cluster can name: when a flow input is unset and its
 * declaration names a derivation rule (probes/derive.h) whose own inputs
 * are known, the walk sets it to the rule's pick and records it in
 * w->derived (the rule, the evidence, the other candidates), which the
 * transcript and the reports show as a step of the path. A value the person
 * gave (--set, the form, an answers file) is never replaced.
 */
#ifndef MM_WALK_DERIVE_H
#define MM_WALK_DERIVE_H

#include "walk/walk.h"

/*
 * Derive input name if it is unset and derivable. True if it was set; else
 * *why (new string, when not NULL) says why not.
 */
bool walk_derive(struct walk *w, struct cluster *c, const char *name, char **why);

/* Derive every required input of the walk's flow that is unset. */
void walk_derive_required(struct walk *w, struct cluster *c);

/*
 * Derive the unset inputs the current node needs (its probe's inputs and
 * the {placeholders} of its question), each tried once per walk. True if one
 * was set; w->derive_tried and derive_why record each try and why it failed,
 * which the probe's note then quotes.
 */
bool walk_derive_needed(struct walk *w, struct cluster *c);

/*
 * walk_auto, deriving on the way: the required inputs first, then, each
 * time the walk stops, what the question needs, and on.
 */
void walk_auto_derive(struct walk *w, const struct answers *a, struct cluster *c);

/*
 * Restore the derivations a replayed transcript recorded (a->derived), where
 * the walk's input still holds the recorded value, so the replay shows them
 * where they stood, by "answers".
 */
void walk_derive_replay(struct walk *w, const struct answers *a);

/* The candidates of a derivable input (the pick first), valid names only; none if not derivable. */
void walk_derive_names(const struct walk *w, struct cluster *c, const char *name,
                       struct strlist *out);

#endif
