/*
 * Pods, containers and their logs as the crash and connectivity checks read them (detect/workload.c).
 * Shared by detect/workload.c (which defines them) and probes/workload.c.
 */
#ifndef MM_WORKLOAD_H
#define MM_WORKLOAD_H

#include "cluster/cluster.h"

json_t *workload_status(const struct kobj *pod, const char *container);
bool workload_is_app(const char *container);
bool workload_init_failing(json_t *st);
char *workload_net_error(struct cluster *c, const struct kobj *pod, const char *container,
			 bool previous, char **why);
bool workload_app_held(struct cluster *c, const struct kobj *pod, struct strlist *ev);
char *workload_port_protocol(json_t *port);
const struct kobj *workload_citadel(struct cluster *c);
const char *workload_dns_capture(struct cluster *c, const struct kobj *pod);

#endif
