/* Opening the cluster state the command line names: a snapshot, or the live cluster. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "source_live.h"
#include "source_snapshot.h"

/* The value of --set NAME=VALUE (the last one), or NULL. */
static const char *set_value(const struct ctx *c, const char *name)
{
	const char *v = NULL;
	size_t n = strlen(name);
	for (size_t i = 0; i < c->o.sets.n; i++)
		if (strncmp(c->o.sets.v[i], name, n) == 0 && c->o.sets.v[i][n] == '=')
			v = c->o.sets.v[i] + n + 1;
	return v;
}

struct cluster *open_cluster_opt(struct ctx *c, bool *failed)
{
	*failed = false;
	if (c->o.live && c->o.snapshot) {
		usage_error("--live and --snapshot exclude each other");
		*failed = true;
		return NULL;
	}
	if (c->o.live) {
		struct live_opts lo = {c->o.context, c->o.kubeconfig, c->o.timeout_s, 0,
				       c->o.ns ? c->o.ns : set_value(c, "namespace")};
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
