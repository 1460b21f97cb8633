/* Opening the cluster state the command line names: a snapshot, or the live cluster. */
#include "cli.h"
#include "cluster.h"
#include "source_snapshot.h"

struct cluster *open_cluster_opt(struct ctx *c, bool *failed)
{
	*failed = false;
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
		usage_error("no cluster state: give --snapshot PATH");
	return cl;
}
