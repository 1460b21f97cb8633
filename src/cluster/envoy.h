/*
 * The Envoy admin API of a sidecar: which documents meshmedic reads, where
 * they are fetched from, and what probes read in them (is the proxy LIVE,
 * the health of a cluster's endpoints, a counter, a listener setting).
 *
 * Documents: "server_info", "clusters", "stats", "config_dump". A snapshot
 * holds them as envoy/NS/POD/DOC.json; live, they come from the admin port
 * (15000) through kubectl port-forward, or from --envoy-admin URL.
 */
#ifndef MM_ENVOY_H
#define MM_ENVOY_H

#include <jansson.h>
#include <stdbool.h>

#include "base/util.h"

/* Whether doc is one of the documents meshmedic reads. */
bool envoy_doc_known(const char *doc);

/* GET a document from an admin base URL ("http://127.0.0.1:15000"); parsed, or NULL with *reason. */
json_t *envoy_fetch(const char *base_url, const char *doc, int timeout_ms, char **reason);


/* server_info's state: "LIVE", "DRAINING", "PRE_INITIALIZING", "INITIALIZING", or NULL. */
const char *envoy_state(json_t *server_info);
/* server_info's build version ("SHA/1.30.2/Clean/RELEASE/BoringSSL"), or NULL. */
const char *envoy_version(json_t *server_info);

/*
 * The sum of every counter whose name contains needle and ends with suffix;
 * false if none exists. The sum saturates at ENVOY_COUNTER_MAX (it never
 * wraps); a counter that is negative is no Envoy counter: *bad (a new string,
 * else left NULL) says so, and the caller must not conclude from the sum.
 */
#define ENVOY_COUNTER_MAX (1LL << 53)
bool envoy_stat_sum(json_t *stats, const char *needle, const char *suffix, long long *sum,
		    char **bad);

/* Endpoints of the clusters whose name contains needle: how many, healthy, ejected by outlier detection. */
struct envoy_endpoints {
	size_t clusters, total, healthy, ejected;
};
void envoy_endpoints(json_t *clusters, const char *needle, struct envoy_endpoints *out);

/* max_request_headers_kb of every HTTP connection manager in a config dump (0 when unset: 60 KiB). */
struct envoy_header_limit {
	size_t managers; /* HTTP connection managers seen */
	long min_kb, max_kb; /* of those that set it; 0 if none does */
	size_t set;     /* how many set it */
};
void envoy_header_limit(json_t *config_dump, struct envoy_header_limit *out);

#endif
