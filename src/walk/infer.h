/*
 * Evidence first: where a node's probe cannot read the direct evidence (no
 * log, no admin API, no Prometheus), the walk looks below the node. Each
 * choice leads to some diagnoses; the detectors of those diagnoses run over
 * the walk's scope (its namespace, service and pod inputs), and each
 * finding is a lead that names the choices through which its diagnosis is
 * reachable. Causes under exactly one choice make that choice an inferred
 * answer; causes under several are hints, and the question is asked.
 *
 * A kind the detectors may not read (Forbidden) is a lead too: it offers
 * kube-permission-denied, with the verb and resource to ask for, from any
 * question of any flow.
 */
#ifndef MM_INFER_H
#define MM_INFER_H

#include <stdbool.h>
#include <stddef.h>

#include "kb/kb.h"
#include "probes/probe.h"

struct cluster;

/* The diagnosis kube-permission-denied, which a Forbidden read offers from any question. */
#define FORBIDDEN_DIAGNOSIS "kube-permission-denied"

/* One cause the cluster shows below a node. */
struct lead {
	char *diagnosis, *resource, *message;
	struct strlist evidence;
	size_t *choices; /* the node's choices (indexes) through which the diagnosis is reached */
	size_t nchoices;
	bool about; /* it names the walk's service or pod (else it is only a hint) */
	bool info;  /* rated info (a convention, a latent risk): a hint, never an answer */
};

struct leads {
	struct lead *v;
	size_t n;
	bool looked; /* a cluster was there to look at (else nothing is known) */
};

void leads_free(struct leads *l);
/* A lead to kube-permission-denied: check (a probe or detector) was refused with reason. */
void leads_add_forbidden(struct leads *l, const char *check, const char *reason);

/* Whether diagnosis id is reachable from node n through its choice i (following nodes and flows).
 */
bool node_reaches(const struct mm_node *n, size_t i, const char *diagnosis);

/*
 * Where the detectors look: the walk's namespace, service and pod inputs
 * (each may be NULL), and the flow set that rates their findings (NULL: none
 * is taken for info).
 */
struct lead_scope {
	const char *ns, *service, *pod;
	const struct mm_kb *kb;
};

/* The leads below node n (none when the node forbids inference). */
void node_leads(const struct mm_node *n, const struct lead_scope *s, struct cluster *c,
                struct leads *out);

/*
 * After node n's probe could not tell (r has no choice): take the one
 * choice the leads l (node_leads of n) point to, marked inferred, with the
 * findings as its evidence and the probe's reason; or add the leads to r's
 * evidence as hints when they point to several choices.
 */
void node_infer(const struct mm_node *n, const struct leads *l, struct probe_result *r);

#endif
