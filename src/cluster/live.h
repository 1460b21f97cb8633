/*
 * The live source: the cluster model filled on demand by kubectl and
 * istioctl (through cluster/exec.h, so read-only verbs only, with a timeout and an
 * output cap on every process).
 *
 * A kind is read the first time a probe asks for it, with
 * `kubectl get RESOURCE -A -o json`, and never again in the session: the
 * cluster records it as loaded or unavailable (with the reason: forbidden,
 * unreachable, not installed, ...). live_prefetch reads several kinds at
 * once. Logs are read with `kubectl logs` and kept; proxy-status with
 * `istioctl proxy-status`. Secrets are never read.
 *
 * live_snapshot records the same state into a directory in the layout that
 * `--snapshot DIR` reads (see DESIGN.md): resources.json, proxy-status.txt,
 * logs/NS/POD/CONTAINER[.previous].log and meta.json:
 *   {"meshmedic": VERSION, "created": "2024-05-01T10:00:00Z",
 *    "context": NAME|null, "namespace": NS|null,
 *    "versions": {"kubectl": .., "kubernetes": .., "istioctl": .., "istio": ..},
 *    "loaded": [KIND, ...],
 *    "unavailable": {KIND|"proxy-status"|"kubectl version"|"istioctl version": REASON},
 *    "partial": {KIND: REASON},   (with a namespace: istio-system could not be read)
 *    "logs": {"written": N, "pods": N, "pods_skipped": N, "failed": {"NS/POD/CONTAINER": REASON}}}
 */
#ifndef MM_SOURCE_LIVE_H
#define MM_SOURCE_LIVE_H

#include <stddef.h>
#include <stdio.h>

#include "cluster/cluster.h"

struct live_opts {
	const char *context;    /* --context, or NULL */
	const char *kubeconfig; /* --kubeconfig, or NULL */
	int timeout_s;          /* per process; 0 means LIVE_DEFAULT_TIMEOUT_S */
	size_t out_cap;         /* bytes of stdout per process; 0 means LIVE_DEFAULT_OUT_CAP */
	/*
	 * The namespace asked about, or NULL. When listing a kind in every
	 * namespace is Forbidden, it is read in this namespace and in
	 * istio-system instead (users often may read only their own).
	 */
	const char *namespace;
	/* live_snapshot: also the proxies' admin documents (snapshot --envoy) */
	bool envoy;
};

#define LIVE_DEFAULT_TIMEOUT_S 10
#define LIVE_DEFAULT_OUT_CAP ((size_t)64 << 20)
/* kubectl logs --tail */
#define LIVE_LOG_LINES 2000
/* live_snapshot records logs of at most this many pods. */
#define LIVE_SNAPSHOT_LOG_PODS 200

/*
 * A cluster read through kubectl/istioctl. Nothing is run yet. NULL with
 * *err (new string) if an option is invalid: a context name outside
 * [A-Za-z0-9._:@/+-] or starting with '-', a kubeconfig that is not an
 * existing regular file or starts with '-', a negative timeout.
 */
struct cluster *live_open(const struct live_opts *o, char **err);

/*
 * Read the kinds of a NULL-terminated list that are not read yet, all at
 * once; each ends up loaded or unavailable as cluster_has_kind would leave
 * it. Does nothing on a cluster that live_open did not return.
 */
void live_prefetch(struct cluster *c, const char *const kinds[]);

/*
 * Whether the live cluster answered nothing at all: something was tried and
 * every read failed (unreachable, credentials refused, Forbidden on every
 * kind, errors, garbage); *reason (borrowed) says the first cause. False for
 * a cluster live_open did not return, or when nothing was tried yet.
 */
bool live_nothing_read(struct cluster *c, const char **reason);
/* Whether the cluster held more objects than the limit of objects per snapshot (*reason borrowed). */
bool live_over_limit(struct cluster *c, const char **reason);

/* Whether the live source reads kind as cluster-scoped. */
bool live_kind_cluster_scoped(const char *kind);

/* Every kind the live source can read (NULL-terminated). */
const char *const *live_kinds(void);

/* What kubectl get is given for a kind ("virtualservices.networking.istio.io"), or NULL. */
const char *live_resource(const char *kind);

/*
 * Record the cluster (or one namespace, plus istio-system, and the
 * cluster-scoped kinds) into dir, creating it if needed; one line per step on
 * progress (may be NULL). A step that fails is reported and recorded in
 * meta.json, not fatal. Returns 0, or -1 with *err (new string) if the
 * options are invalid, a file cannot be written, or nothing at all could be
 * read (then nothing is written).
 */
int live_snapshot(const struct live_opts *o, const char *dir, const char *ns, FILE *progress,
		  char **err);

#endif
