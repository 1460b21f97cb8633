/* Opening the cluster state the command line names: a snapshot, or the live cluster. */
#include <stdlib.h>

#include "cli.h"
#include "cluster.h"
#include "source_live.h"
#include "source_snapshot.h"

struct cluster *open_cluster_opt(struct ctx *c, bool *failed)
{
	*failed = false;
	if (c->o.live && c->o.snapshot) {
		usage_error("--live and --snapshot exclude each other");
		*failed = true;
		return NULL;
	}
	if (c->o.live) {
		struct live_opts lo = {c->o.context, c->o.kubeconfig, c->o.timeout_s, 0};
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

struct cluster *open_cluster(struct ctx *c)
{
	bool failed;
	struct cluster *cl = open_cluster_opt(c, &failed);
	if (!cl && !failed)
		usage_error("no cluster state: give --snapshot PATH or --live");
	return cl;
}
