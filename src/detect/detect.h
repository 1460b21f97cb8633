/*
 * Detectors find causes in the cluster model. Each is a const table entry
 * naming the diagnosis it proves and a function that appends findings on
 * the exact resource, with evidence. `check` runs them all; probes call the
 * same functions for one service or pod, so a flow and `check` agree.
 */
#ifndef MM_DETECT_H
#define MM_DETECT_H

#include "cluster/cluster.h"

/* How bad a finding is; the names are those of check's JSON and --fail-on. */
enum severity { SEV_UNSET, SEV_INFO, SEV_WARNING, SEV_ERROR };

struct finding {
	char *diagnosis, *resource, *message;
	struct strlist evidence;
	/* SEV_UNSET and NULL: the diagnosis's own (kb); a detector sets them where it knows better */
	enum severity severity;
	const char *istio_code; /* static string, "IST0101" */
};

struct skipped {
	char *check, *reason;
};

struct findings {
	struct finding *v;
	size_t n, cap;
	struct skipped *skipped;
	size_t nskipped;
	/* the scope detect_run was given: need_kind asks about its namespace */
	const struct scope *scope;
};

/* Where to look: a namespace (NULL: all), and optionally one service or pod in it. */
struct scope {
	const char *ns, *service, *pod;
};

struct detector {
	const char *name;
	const char *diagnosis;
	void (*run)(struct cluster *c, const struct scope *s, struct findings *out);
};

/* Add a finding on an object (its "Kind/ns/name"); takes the evidence lines. */
void findings_add(struct findings *f, const char *diagnosis, const struct kobj *on,
		  struct strlist *evidence, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same on a resource named by string, for objects that are missing. */
void findings_add_at(struct findings *f, const char *diagnosis, const char *resource,
		     struct strlist *evidence, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A check that could not run (a kind unavailable): recorded once per check. */
void findings_skip(struct findings *f, const char *check, const char *reason);
void findings_free(struct findings *f);
/* Rate the finding just added: its severity, and istioctl analyze's code (NULL: the diagnosis's). */
void findings_rate(struct findings *f, enum severity sev, const char *istio_code);

/* "error", "warning", "info" (NULL for SEV_UNSET), and back (SEV_UNSET if unknown). */
const char *severity_name(enum severity s);
enum severity severity_parse(const char *name);

/*
 * Whether a kind is readable (in the scope's namespace, when the kind was
 * read in some namespaces only); if not, the check is recorded as skipped.
 */
bool need_kind(struct cluster *c, struct findings *f, const char *check, const char *kind);
/* The same in namespace ns: for a check that concludes from what is there (the control plane). */
bool need_kind_in(struct cluster *c, struct findings *f, const char *check, const char *kind,
		  const char *ns);

/*
 * Whether kind can be read in the mesh's root namespace, where a rule
 * applies to every namespace (a mesh-wide PeerAuthentication): for a check
 * that concludes from the rules there; if not, the check is skipped.
 */
bool need_root_kind(struct cluster *c, struct findings *f, const char *check, const char *kind);

/* Whether an object is in the scope's namespace; detectors narrow to its service or pod themselves. */
bool in_scope(const struct scope *s, const struct kobj *o);

const struct detector *const *detector_all(void);
const struct detector *detector_for(const char *diagnosis);

/* Run every detector (or the one for diagnosis) in scope. */
void detect_run(struct cluster *c, const struct scope *s, const char *diagnosis,
		struct findings *out);

/* Namespaces Istio never injects or polices (kube-system, the control plane). */
bool namespace_exempt(struct cluster *c, const char *ns);

#endif
