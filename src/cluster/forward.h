/*
 * Short-lived kubectl port-forwards, and what is read through them:
 * istiod's /debug/syncz (port 15014) as proxy-status where istioctl is not
 * installed, and the admin documents that `snapshot --envoy` records.
 * Each forward is started, read through and stopped by the caller; none
 * outlives it (exec_bg also ends them on a fatal signal). Private to
 * src/cluster.
 */
#ifndef MM_FORWARD_H
#define MM_FORWARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cluster/live_int.h"

/* istiod's monitoring and debug port. */
#define ISTIOD_DEBUG_PORT 15014
/* The sidecar's Envoy admin port. */
#define ENVOY_ADMIN_PORT 15000
/* syncz is read from at most this many istiod pods. */
#define SYNCZ_MAX_ISTIODS 4
/* A syncz answer larger than this is refused (64 MiB: 10,000s of proxies). */
#define SYNCZ_CAP ((size_t)64 << 20)

/*
 * kubectl port-forward -n NS --address 127.0.0.1 pod/POD :PORT: the
 * forward and its URL ("http://127.0.0.1:LOCAL"), or NULL with *why (new
 * string). The names are validated first. Stop it with exec_bg_stop.
 */
struct exec_bg *forward_start(const struct live *l, const char *ns, const char *pod, int port,
			      char **url, char **why);

/*
 * proxy-status from istiod's /debug/syncz: every running istiod pod of the
 * control-plane namespace (SYNCZ_MAX_ISTIODS at most), each through a
 * port-forward started and stopped here. Rows go into c; false with
 * *reason (new string) if no istiod could be read.
 */
bool forward_syncz(const struct live *l, struct cluster *c, char **reason);

/* snapshot --envoy: admin documents of at most this many proxies, this many at a time. */
#define FORWARD_ENVOY_PODS 100
#define FORWARD_ENVOY_AT_ONCE 4

/*
 * Record the admin documents (server_info, clusters, stats, config_dump)
 * of every running pod with an istio-proxy container in model (in ns, or
 * all), as dir/envoy/NS/POD/DOC.json, each written whole through a
 * temporary file; FORWARD_ENVOY_AT_ONCE port-forwards at a time, each
 * stopped before the next ones start. One progress line (progress may be
 * NULL). Returns the summary for meta.json ({"written", "pods",
 * "pods_skipped", "failed": {"NS/POD/DOC": why}}); false with *err (new
 * string) when a file cannot be written.
 */
bool forward_record_envoy(const struct live *l, struct cluster *model, const char *dir,
			  const char *ns, FILE *progress, json_t **summary, char **err);

#endif
