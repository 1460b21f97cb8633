/*
 * The cluster model: what probes and detectors know of a cluster. Sources
 * fill it (snapshot files, or kubectl/istioctl for a live cluster); probes
 * and detectors only read it and never start a process.
 *
 * Objects are indexed by kind, namespace and name. A kind that could not be
 * read (Forbidden, not in the snapshot) is marked unavailable with the
 * reason, so a check can say why it was skipped instead of finding nothing.
 *
 * Ownership: the cluster owns every object, string and json_t it holds;
 * lookups return borrowed pointers valid until cluster_free.
 */
#ifndef MM_CLUSTER_H
#define MM_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

/*
 * The model's kind for a Gateway of the Kubernetes Gateway API (group
 * gateway.networking.k8s.io), the name kubectl takes for it: Istio's own
 * Gateway keeps "Gateway", so the two never meet under one namespace/name.
 */
#define KIND_K8S_GATEWAY "Gateway.gateway.networking.k8s.io"

/* One Kubernetes object. */
struct kobj {
	const char *kind; /* "Pod", "VirtualService", ..., KIND_K8S_GATEWAY */
	const char *ns;   /* "" for cluster-scoped objects */
	const char *name;
	json_t *j;        /* the whole object */
	const char *file; /* where it was read from, for messages (may be "") */
	int line;
};

struct kobj_list {
	const struct kobj **v;
	size_t n, cap;
};

/* One row of istioctl proxy-status. */
struct proxy_status {
	char *pod, *ns;         /* from "NAME.NAMESPACE" */
	char *cds, *lds, *eds, *rds, *ecds; /* "SYNCED", "STALE", "NOT SENT", "ERROR", "IGNORED", or NULL */
	char *istiod, *version;
};

struct cluster;

/* A source that can read more on demand (the live one); NULL for snapshots. */
#define CLUSTER_CANCELLED "cancelled"

struct cluster_source {
	void *ctx;
	/*
	 * Fill every object of kind (all namespaces); false with *reason on
	 * failure. A reason that starts with CLUSTER_CANCELLED (the person
	 * cancelled the read) is not remembered: the next look-up asks again.
	 */
	bool (*load_kind)(void *ctx, struct cluster *c, const char *kind, char **reason);
	/* A container's log, current or previous; NULL with *reason on failure. */
	char *(*read_log)(void *ctx, const char *ns, const char *pod, const char *container,
			  bool previous, char **reason);
	/* istioctl proxy-status rows; a CLUSTER_CANCELLED reason is not remembered either. */
	bool (*load_proxy_status)(void *ctx, struct cluster *c, char **reason);
	/* An Envoy admin document of a pod's sidecar (cluster/envoy.h); NULL with *reason on failure. */
	json_t *(*read_admin)(void *ctx, const char *ns, const char *pod, const char *doc,
			      char **reason);
	/* The control plane's Istio version as the source tells it (istioctl version); NULL with *reason. */
	char *(*istio_version)(void *ctx, char **reason);
	void (*free)(void *ctx);
};

struct cluster *cluster_new(void);
void cluster_free(struct cluster *c);

/*
 * Add an object (the cluster takes the reference). Returns false if it has
 * no kind/name, or if it is new and the cluster already holds
 * mm_limits.objects objects (cluster_full then says so).
 */
bool cluster_add(struct cluster *c, json_t *obj, const char *file, int line);
/* Whether the cluster holds as many objects as base/limits.h allows. */
bool cluster_full(const struct cluster *c);

/* How many objects the model holds. */
size_t cluster_size(const struct cluster *c);

/* Say that a kind has been read (so an empty list means none, not unknown). */
void cluster_mark_loaded(struct cluster *c, const char *kind);
/* Say that a kind could not be read, and why. */
void cluster_mark_unavailable(struct cluster *c, const char *kind, const char *reason);

/*
 * Say that a kind could be read in the namespaces of a NULL-terminated list
 * only (a namespace-scoped user, a snapshot of one namespace), and why the
 * others are not known. The kind counts as loaded: cluster_has_kind is true,
 * and cluster_has_kind_in tells the namespaces apart.
 */
void cluster_mark_partial(struct cluster *c, const char *kind, const char *const nss[],
			  const char *reason);
/* Whether a kind is known in namespace ns (NULL or "": anywhere it was read); false with *reason. */
bool cluster_has_kind_in(struct cluster *c, const char *kind, const char *ns, const char **reason);
/* Whether a kind was read in some namespaces only; *reason (borrowed) says why. */
bool cluster_kind_partial(struct cluster *c, const char *kind, const char **reason);
/* The partly read kinds: how many, and the i-th (NULL past the end) with its reason. */
size_t cluster_partial_count(const struct cluster *c);
const char *cluster_partial_at(const struct cluster *c, size_t i, const char **reason);
/*
 * Whether a kind can be relied on: true if loaded (reading it through the
 * source on first use); false with *reason (borrowed) if not.
 */
bool cluster_has_kind(struct cluster *c, const char *kind, const char **reason);

/* One object, or NULL. */
const struct kobj *cluster_get(struct cluster *c, const char *kind, const char *ns,
			       const char *name);

/* Every object of a kind, in one namespace or all (ns NULL). Borrowed list. */
const struct kobj_list *cluster_list(struct cluster *c, const char *kind, const char *ns);

/* Objects of kind in ns whose labels match the selector (a map of labels). Caller frees .v. */
struct kobj_list cluster_select(struct cluster *c, const char *kind, const char *ns,
				json_t *match_labels);

/* Every namespace name seen (from Namespace objects, or from any object). */
const struct strlist *cluster_namespaces(struct cluster *c);

void cluster_set_source(struct cluster *c, const struct cluster_source *src);
const struct cluster_source *cluster_source(const struct cluster *c);
void cluster_set_snapshot_dir(struct cluster *c, const char *dir);
const char *cluster_snapshot_dir(const struct cluster *c);

/* A container log (current, or the previous one after a restart). New string, or NULL with *reason. */
char *cluster_log(struct cluster *c, const char *ns, const char *pod, const char *container,
		  bool previous, char **reason);

/*
 * An Envoy admin document ("server_info", "clusters", "stats", "config_dump")
 * of a pod's sidecar, read once per session: from the --envoy-admin URL when
 * one is set, else the source (live: port-forward), else the snapshot's
 * envoy/NS/POD/DOC.json. Borrowed; NULL with *reason (borrowed) if unknown.
 */
json_t *cluster_envoy_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
			  const char **reason);
/*
 * A JSON document read once per session under key (a Prometheus answer, an
 * admin document): load is called the first time only, and its result or
 * its reason kept. Borrowed; NULL with *reason (borrowed) if it failed.
 */
typedef json_t *(*cluster_loader)(struct cluster *c, void *arg, char **reason);
json_t *cluster_memo(struct cluster *c, const char *key, cluster_loader load, void *arg,
		     const char **reason);

/*
 * Logs and admin documents held in memory, read at once by a source that is
 * no directory (a bug-report archive): origin ("bug-report archive X.tar.gz")
 * names it when something is not there. cluster_log and cluster_envoy_doc
 * then answer from what was added, and never from files.
 */
void cluster_hold_files(struct cluster *c, const char *origin);
void cluster_add_log(struct cluster *c, const char *ns, const char *pod, const char *container,
		     bool previous, const char *text, size_t len);
/* A document, or (j NULL) why there is none; the cluster takes j. An --envoy-admin URL is not asked then. */
void cluster_add_envoy_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
			   json_t *j, const char *reason);

/* Where the admin API of the pod asked about answers (--envoy-admin URL), or NULL. */
void cluster_set_envoy_admin(struct cluster *c, const char *url);
/* That URL, or NULL: a probe may then ask the port without a pod name. */
const char *cluster_envoy_admin(const struct cluster *c);
/* A Prometheus base URL (--prometheus), or NULL. */
void cluster_set_prometheus(struct cluster *c, const char *url);
const char *cluster_prometheus(const struct cluster *c);
/* The timeout of each HTTP request (admin API, Prometheus), ms. */
void cluster_set_http_timeout(struct cluster *c, int ms);
int cluster_http_timeout(const struct cluster *c);

/* proxy-status rows; false with *reason if unknown. */
bool cluster_proxy_status(struct cluster *c, const struct proxy_status **rows, size_t *n,
			  const char **reason);
void cluster_add_proxy_status(struct cluster *c, const struct proxy_status *row);
/*
 * The parsed proxy-status rows of a source, taken (and freed): proxy-status
 * is known from then on; a row that names no istiod gets istiod (may be NULL).
 */
void cluster_take_proxy_status(struct cluster *c, struct proxy_status *rows, size_t n,
                               const char *istiod);
void cluster_mark_proxy_status(struct cluster *c, const char *unavailable_reason);

/* meshConfig: the YAML of ConfigMap istio (data.mesh) in the control-plane namespace, as JSON. */
json_t *cluster_mesh_config(struct cluster *c);
/* Why that key is there but unreadable (invalid YAML, over a limit, not a mapping), else NULL. Borrowed. */
const char *cluster_mesh_config_problem(struct cluster *c);

/* The version in an image tag: "docker.io/istio/pilot:1.22.3-distroless" -> "1.22.3". New string or NULL. */
char *image_version(const char *image);

/*
 * The Istio version ("1.22.3"), from meta.json, istiod's image tag,
 * `istioctl version` (live), the version column of proxy-status or the
 * sidecars' image tag; NULL if unknown.
 */
const char *cluster_istio_version(struct cluster *c);
/* Where that version was read ("from istiod's pod (IMAGE)"), or why it is unknown. Borrowed. */
const char *cluster_istio_version_note(struct cluster *c);
void cluster_set_istio_version(struct cluster *c, const char *version);

/* The namespace istiod runs in ("istio-system" unless found elsewhere). */
const char *cluster_control_namespace(struct cluster *c);

/* Helpers over JSON objects. */
json_t *jpath(json_t *j, const char *dotted); /* "spec.trafficPolicy.tls.mode"; borrowed */
const char *jstr(json_t *j, const char *dotted);
bool labels_match(json_t *selector, json_t *labels); /* every selector pair is in labels */

#endif
