/*
 * Onboarding: the checklist for bringing a namespace (or the workload
 * behind one Service) into the mesh. Each item is checked from the cluster
 * model where it can be, and otherwise asked: its question and choices
 * decide it. Every item ends pass, warn or fail with the reason, the
 * evidence and the fix. The same checklist drives `onboard --batch`, the
 * TUI's checklist screen and `ask onboard`; front ends only present it.
 */
#ifndef MM_ONBOARD_H
#define MM_ONBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "report/report.h"
#include "base/util.h"

struct cluster;

/* OB_ASK: not decided yet; the cluster could not tell and nobody answered. */
enum ob_status { OB_PASS, OB_WARN, OB_FAIL, OB_ASK };
/* "pass", "warn", "fail", "ask" */
const char *ob_status_name(enum ob_status s);

/* How a person can answer an item the cluster could not decide. */
struct ob_choice {
	const char *id;      /* what --answer ITEM=CHOICE and the prompts take: "yes", "no" */
	const char *label;   /* as a prompt shows it */
	enum ob_status status;
	const char *reason;  /* the reason the report gives for this answer */
	const char *fix;     /* what to do after this answer; NULL when it passes */
};

struct ob_item; /* the checklist's table entry (onboard/onboard.c) */

struct ob_result {
	const struct ob_item *item;
	/* the item's, borrowed from its table entry */
	const char *id, *title, *help;  /* help: a topic of `meshmedic help` */
	const char *question;           /* asked when the cluster cannot tell ('?' at the end) */
	const struct ob_choice *choices;
	size_t nchoices;
	/* the outcome */
	enum ob_status status;
	char *reason;                   /* why this status, one sentence */
	struct strlist evidence;        /* what in the cluster shows it ("Kind/ns/name: ...") */
	char *fix;                      /* what to do, or NULL on pass */
	const char *answered;           /* the choice id a person gave, or NULL */
};

struct onboard {
	char *ns, *service;   /* service NULL: the whole namespace */
	char *source;         /* where the cluster state came from, for the report; may be NULL */
	struct ob_result *v;  /* one per checklist item, in the table's order */
	size_t n;
};

void onboard_init(struct onboard *o, const char *ns, const char *service);
void onboard_free(struct onboard *o);

/*
 * Check item i from the cluster (NULL: no cluster state, the item is asked).
 * Reading a live cluster may take seconds; the TUI calls it off the screen
 * thread. An item the cluster cannot decide is left OB_ASK with the reason.
 */
void onboard_check(struct onboard *o, size_t i, struct cluster *c);

/* The index of item id, or -1. */
int onboard_find(const struct onboard *o, const char *id);

/* Decide item id by a person's choice; false with *err (new string) if there is no such item or choice. */
bool onboard_answer(struct onboard *o, const char *id, const char *choice, char **err);

/*
 * Apply answers "ITEM=CHOICE" (--answer) to every item, or to item only
 * (-1: all); false with *err (new string) at the first unknown item or choice.
 */
bool onboard_apply(struct onboard *o, const struct strlist *answers, int only, char **err);

/* 0 when no item fails, 1 otherwise (the exit status of onboard --batch). */
int onboard_exit_status(const struct onboard *o);

/* The readiness report in out's format (text, markdown, json). */
void onboard_report(const struct out *out, const struct onboard *o);

#endif
