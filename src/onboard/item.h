/*
 * What the checklist's items (items.c) and the checklist (onboard.c) share:
 * what a check reads (struct ob_ctx), the item table, and the ways a check
 * decides its result (context.c). Private to src/onboard.
 */
#ifndef MM_ONBOARD_ITEM_H
#define MM_ONBOARD_ITEM_H

#include <jansson.h>
#include <stdbool.h>

#include "cluster/cluster.h"
#include "onboard/onboard.h"

/* What a check reads: the cluster and what is in scope. */
struct ob_ctx {
	struct cluster *c;
	const char *ns, *service;
	const struct kobj *svc; /* the Service named by --service, or NULL */
	struct kobj_list pods;  /* the pods in scope (the Service's, or the namespace's) */
	struct kobj_list svcs;  /* the Services in scope */
};

struct ob_item {
	const char *id, *title, *help, *question;
	const struct ob_choice *choices;
	size_t nchoices;
	void (*check)(struct ob_ctx *x, struct ob_result *r);
};

/* Every item, in the checklist's order (items.c). */
extern const struct ob_item ob_items[];
extern const size_t ob_nitems;

/*
 * Decide r at status with this reason and fix (NULL: none), unless it is
 * decided at a higher status already; at the same status the reasons and
 * fixes add up.
 */
void ob_raise(struct ob_result *r, enum ob_status status, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Leave r to be asked, and say why. */
void ob_ask(struct ob_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether a kind can be read; if not, the item is left to be asked with the reason. */
bool ob_need(struct ob_ctx *x, struct ob_result *r, const char *kind);
/* One evidence line. */
void ob_ev(struct ob_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Run the detector of a diagnosis over the scope; each finding in scope
 * goes to the evidence (its resource and message, then its lines).
 * Returns how many there were.
 */
size_t ob_detected(struct ob_ctx *x, struct ob_result *r, const char *diagnosis);
/*
 * Ask a probe of the flows about one service or pod; its choice id (new
 * string), or NULL when it cannot tell. Its evidence goes to ev (may be NULL).
 */
char *ob_run_probe(struct ob_ctx *x, const char *name, const char *service, const char *pod,
                   struct strlist *ev);
/* The name of the scope, for reasons: "namespace shop" or "Service shop/cart". New string. */
char *ob_scope_name(const struct ob_ctx *x);
/* An annotation of an object, or NULL. */
const char *ob_annotation(const struct kobj *o, const char *key);
/* A JSON true or "true". */
bool ob_truthy(json_t *v);
/* The sidecar injector's values (ConfigMap istio-sidecar-injector), new reference or NULL. */
json_t *ob_injector_values(struct cluster *c);
/* The container images of a pod, application containers only. */
void ob_each_app_image(const struct kobj *pod, void (*fn)(const char *image, void *arg), void *arg);

#endif
