/*
 * Opening the cluster state that the options name: --snapshot PATH, --live
 * (with --context, --kubeconfig, --timeout), --envoy-admin and --prometheus.
 */
#ifndef MM_SOURCES_H
#define MM_SOURCES_H

#include <stdbool.h>

#include "session/options.h"

struct cluster;
/*
 * The cluster state the options name (--snapshot PATH or --live), or NULL
 * when there is none; on an error prints it and sets *failed.
 */
struct cluster *open_cluster_opt(struct ctx *c, bool *failed);
/*
 * Whether a live cluster answered nothing at all (live_nothing_read): then
 * one line on stderr says why, and the command exits 2 rather than report
 * on a cluster it never saw.
 */
bool cluster_unreadable(struct cluster *cl);
/* The same where a cluster is required: NULL (after printing why) means exit 2. */
struct cluster *open_cluster(struct ctx *c);

#endif
