/*
 * Fixes rendered against the objects a cluster holds: the offending object
 * corrected (its other fields kept), the kubectl line that makes exactly that
 * change (patch --type merge, or label/annotate), and a unified diff between
 * the two. A renderer per diagnosis decides the change; where the change is a
 * person's choice it renders nothing and says why.
 */
#ifndef MM_RENDER_H
#define MM_RENDER_H

#include <jansson.h>
#include <stdbool.h>

#include "cluster/cluster.h"
#include "detect/detect.h"
#include "walk/walk.h"

struct fix_rendered {
	char *kind, *ns, *name; /* the object changed ("" ns: cluster-scoped) */
	char *api_version;      /* the one the cluster serves for that kind */
	char *object;           /* the corrected object as YAML */
	char *patch;            /* the kubectl command line */
	char *diff;             /* unified diff, before -> after */
	json_t *merge_patch;    /* the RFC 7386 patch the command applies */
	char *note;             /* what the person may still tune, or NULL */
	/* the diagnosis the next step (note) clears, reported until it is done; static, or NULL */
	const char *follow_up;
};

/* Whether a renderer exists for the diagnosis. */
bool render_known(const char *diagnosis);

/* The fix of one finding on cluster c; false with *why (new string) when none is rendered. */
bool render_fix(struct cluster *c, const struct finding *f, struct fix_rendered *out, char **why);

/*
 * The fix of the diagnosis a walk reached, against what the diagnosis's
 * detector finds in the walk's scope (its namespace, service, pod inputs).
 */
bool render_walk_fix(struct cluster *c, const struct walk *w, struct fix_rendered *out,
		     char **why);

void fix_rendered_free(struct fix_rendered *r);
/* {kind, namespace, name, api_version, object, patch, diff, merge_patch[, note, follow_up]}; new reference. */
json_t *fix_rendered_json(const struct fix_rendered *r);

/* The building blocks, exported for the unit test. */
json_t *merge_patch_make(json_t *from, json_t *to);     /* new reference */
json_t *merge_patch_apply(json_t *target, json_t *patch); /* new reference */
char *yaml_of_json(json_t *j);                           /* block-style YAML; new string */
/* A unified diff of two texts (NULL: no difference) under the names a and b. New string. */
char *line_diff(const char *from, const char *to, const char *a, const char *b);
/* The apiVersion the cluster serves for an object written with given (new string). */
char *render_api_version(struct cluster *c, const char *given);

#endif
