/*
 * Probes that read a sidecar's Envoy admin API (through the cluster model:
 * a snapshot's envoy/ documents, a port-forward, or --envoy-admin): whether
 * the proxy is LIVE, whether it counts overflows for a service, the health
 * of the service's endpoints, and the request header limit. With
 * --envoy-admin the port answers even when no pod is named.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/envoy.h"
#include "cluster/mesh.h"
#include "probes/probe.h"

/* The Envoy the questions are about: the "pod" input, or the port --envoy-admin names. */
static const char *envoy_of(const struct probe_ctx *x)
{
	const char *pod = probe_in(x, "pod");
	return pod ? pod : "the --envoy-admin port";
}

/* The admin document of that Envoy, or NULL with the reason set. */
static json_t *pod_doc(const struct probe_ctx *x, struct probe_result *r, const char *doc)
{
	const char *ns = probe_in(x, "namespace"), *pod = probe_in(x, "pod"), *why = NULL;
	if (!pod && !cluster_envoy_admin(x->cluster)) {
		probe_unknown(r, "no pod given (--set pod=NAME) whose Envoy to ask");
		return NULL;
	}
	/* with --envoy-admin the pod only names the document: that port answers for any */
	json_t *j = cluster_envoy_doc(x->cluster, ns ? ns : "default", pod ? pod : "-", doc, &why);
	if (!j)
		probe_unknown(r, "Envoy admin %s of %s: %s", doc, envoy_of(x), why);
	return j;
}

/* "|reviews.default.svc.cluster.local": how the service's outbound clusters end their names. */
static char *cluster_needle(const struct probe_ctx *x, struct probe_result *r)
{
	const char *svc = probe_in(x, "service"), *ns = probe_in(x, "namespace");
	if (!svc) {
		probe_unknown(r, "no service given (--set service=NAME)");
		return NULL;
	}
	char *fqdn = host_fqdn(svc, ns ? ns : "default"), *needle = xasprintf("|%s", fqdn);
	free(fqdn);
	return needle;
}

static void envoy_live(const struct probe_ctx *x, struct probe_result *r)
{
	json_t *info = pod_doc(x, r, "server_info");
	if (!info)
		return;
	const char *state = envoy_state(info);
	if (!state)
		probe_unknown(r, "server_info of %s has no state", envoy_of(x));
	else
		probe_answer(r, strcmp(state, "LIVE") == 0 ? "live" : "not-live",
			     "Envoy of %s: server_info state %s", envoy_of(x), state);
	/* the build tells which Envoy release's behaviour and admin API to expect */
	if (state && envoy_version(info))
		sl_take(&r->evidence,
		        xasprintf("Envoy of %s: version %s", envoy_of(x), envoy_version(info)));
}

/* The overflow counters that a tripped circuit breaker raises, per upstream cluster. */
static const char *const overflow_stats[] = {".upstream_rq_pending_overflow",
					     ".upstream_cx_overflow", ".upstream_rq_retry_overflow"};

static void envoy_overflow(const struct probe_ctx *x, struct probe_result *r)
{
	char *needle = cluster_needle(x, r);
	json_t *stats = needle ? pod_doc(x, r, "stats") : NULL;
	if (!stats) {
		free(needle);
		return;
	}
	long long total = 0;
	bool seen = false;
	char *bad = NULL;
	for (size_t i = 0; i < MM_ARRAY_LEN(overflow_stats); i++) {
		long long n;
		if (!envoy_stat_sum(stats, needle, overflow_stats[i], &n, &bad))
			continue;
		seen = true;
		/* each sum is at most ENVOY_COUNTER_MAX: three of them fit */
		total += n;
		if (n)
			sl_take(&r->evidence, xasprintf("Envoy of %s: %s%lld x %s for %s",
							envoy_of(x),
							n == ENVOY_COUNTER_MAX ? "at least " : "", n,
							overflow_stats[i] + 1, needle + 1));
	}
	if (bad) {
		probe_unknown(r, "the stats of the Envoy of %s: %s", envoy_of(x), bad);
		free(bad);
	} else if (!seen)
		probe_unknown(r, "the Envoy of %s has no cluster for %s", envoy_of(x),
			      needle + 1);
	else if (total)
		r->choice = xstrdup("yes");
	else
		probe_answer(r, "no", "Envoy of %s: no overflow counted for %s", envoy_of(x),
			     needle + 1);
	free(needle);
}

static void envoy_endpoints_p(const struct probe_ctx *x, struct probe_result *r)
{
	char *needle = cluster_needle(x, r);
	json_t *clusters = needle ? pod_doc(x, r, "clusters") : NULL;
	if (!clusters) {
		free(needle);
		return;
	}
	struct envoy_endpoints e;
	envoy_endpoints(clusters, needle, &e);
	if (!e.clusters)
		probe_unknown(r, "the Envoy of %s has no cluster for %s", envoy_of(x),
			      needle + 1);
	else
		probe_answer(r, e.healthy ? "healthy" : "unhealthy",
			     "Envoy of %s: %zu of %zu endpoints of %s healthy, %zu ejected by outlier "
			     "detection",
			     envoy_of(x), e.healthy, e.total, needle + 1, e.ejected);
	free(needle);
}

/* Envoy's default request header limit, KiB. */
#define ENVOY_DEFAULT_HEADERS_KB 60

static void envoy_header_limit_p(const struct probe_ctx *x, struct probe_result *r)
{
	json_t *dump = pod_doc(x, r, "config_dump");
	if (!dump)
		return;
	struct envoy_header_limit h;
	envoy_header_limit(dump, &h);
	if (!h.managers)
		probe_unknown(r, "no HTTP connection manager in the config dump of %s",
			      envoy_of(x));
	else if (!h.set || h.max_kb == ENVOY_DEFAULT_HEADERS_KB)
		probe_answer(r, "default",
			     "Envoy of %s: %zu HTTP listeners, none sets max_request_headers_kb "
			     "above the %d KiB default",
			     envoy_of(x), h.managers, ENVOY_DEFAULT_HEADERS_KB);
	else
		probe_answer(r, h.max_kb > ENVOY_DEFAULT_HEADERS_KB ? "raised" : "lowered",
			     "Envoy of %s: max_request_headers_kb %ld to %ld KiB on %zu of %zu HTTP "
			     "listeners",
			     envoy_of(x), h.min_kb, h.max_kb, h.set, h.managers);
}

PROBE("envoy-live", envoy_live, "namespace", "pod", NULL);
PROBE("envoy-overflow", envoy_overflow, "namespace", "service", "pod", NULL);
PROBE("envoy-endpoints", envoy_endpoints_p, "namespace", "service", "pod", NULL);
PROBE("envoy-header-limit", envoy_header_limit_p, "namespace", "pod", NULL);

const struct probe *const probes_envoy[] = {
	&probe_envoy_live, &probe_envoy_overflow, &probe_envoy_endpoints_p, &probe_envoy_header_limit_p,
	NULL,
};
