/*
 * Opening the cluster state the command line names: a snapshot, or the live
 * cluster; then the HTTP sources given beside it (--envoy-admin, --prometheus).
 * Those two work without cluster state too: the model is then empty, and
 * every kind, log and proxy-status reads as not available, with the reason.
 */
#include <stdlib.h>
#include <string.h>

#include "session/sources.h"
#include "cluster/cluster.h"
#include "cluster/envoy.h"
#include "cluster/live.h"
#include "session/session.h"
#include "cluster/snapshot.h"

/* Why an empty model cannot tell: what every probe that reads the cluster says. */
#define NO_STATE "no cluster state (give --snapshot PATH or --live)"

/* The source of a model with no cluster state: nothing can be read, and it says why. */
static bool none_kind(void *ctx, struct cluster *c, const char *kind, char **reason)
{
	*reason = xstrdup(NO_STATE);
	return false;
}

static char *none_log(void *ctx, const char *ns, const char *pod, const char *container,
		      bool previous, char **reason)
{
	*reason = xasprintf("no log of %s/%s container %s: " NO_STATE, ns, pod, container);
	return NULL;
}

static bool none_proxy_status(void *ctx, struct cluster *c, char **reason)
{
	*reason = xstrdup("no proxy-status: " NO_STATE);
	return false;
}

/* Asked only when --envoy-admin is not given (that URL is tried first). */
static json_t *none_admin(void *ctx, const char *ns, const char *pod, const char *doc,
			  char **reason)
{
	*reason = xstrdup("no Envoy admin API: give --envoy-admin URL, --snapshot PATH or --live");
	return NULL;
}

static const struct cluster_source no_state = {.load_kind = none_kind,
					       .read_log = none_log,
					       .load_proxy_status = none_proxy_status,
					       .read_admin = none_admin};

/* The cluster state itself: NULL when the options name none (or on an error: *failed). */
static struct cluster *open_state(struct ctx *c, bool *failed)
{
	if (c->o.live && c->o.snapshot) {
		usage_error("--live and --snapshot exclude each other");
		*failed = true;
		return NULL;
	}
	if (c->o.live) {
		struct live_opts lo = {c->o.context, c->o.kubeconfig, c->o.timeout_s, 0,
				       c->o.ns ? c->o.ns : set_value(&c->o, "namespace"), false};
		char *err = NULL;
		struct cluster *cl = live_open(&lo, &err);
		if (!cl) {
			usage_error("--live: %s", err ? err : "cannot use the cluster");
			*failed = true;
		}
		free(err);
		return cl;
	}
	if (!c->o.snapshot)
		return NULL;
	struct mm_errors errs = {0};
	struct cluster *cl = snapshot_open(c->o.snapshot, &errs);
	if (!cl) {
		errs_print_first(&errs, stderr, NULL);
		*failed = true;
	}
	errs_free(&errs);
	return cl;
}

struct cluster *open_cluster_opt(struct ctx *c, bool *failed)
{
	*failed = false;
	struct cluster *cl = open_state(c, failed);
	if (*failed || (!cl && !c->o.envoy_admin && !c->o.prometheus))
		return cl;
	if (!cl) {
		cl = cluster_new();
		cluster_set_source(cl, &no_state);
	}
	if (c->o.envoy_admin)
		cluster_set_envoy_admin(cl, c->o.envoy_admin);
	cluster_set_prometheus(cl, c->o.prometheus);
	/* --timeout bounds each HTTP request as it bounds each kubectl call */
	if (c->o.timeout_s > 0)
		cluster_set_http_timeout(cl, 1000 * c->o.timeout_s);
	return cl;
}

struct cluster *open_cluster(struct ctx *c)
{
	bool failed;
	struct cluster *cl = open_cluster_opt(c, &failed);
	/* the HTTP sources answer a flow's questions; a command that needs the state needs more */
	if (cl && cluster_source(cl) == &no_state) {
		cluster_free(cl);
		cl = NULL;
	}
	if (!cl && !failed)
		usage_error("no cluster state: give --snapshot PATH or --live%s",
			    c->o.envoy_admin || c->o.prometheus
				    ? " (--envoy-admin and --prometheus only answer a flow's questions)"
				    : "");
	return cl;
}

bool cluster_unreadable(struct cluster *cl)
{
	const char *why;
	if (cl && live_over_limit(cl, &why)) {
		usage_error("--live: %s", why);
		return true;
	}
	if (!cl || !live_nothing_read(cl, &why))
		return false;
	usage_error("--live: nothing could be read from the cluster: %s", why);
	return true;
}
