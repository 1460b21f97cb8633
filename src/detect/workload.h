/*
 * Pods, containers and their logs as the crash and connectivity checks read them
 * (detect/workload.c). Shared by detect/workload.c (which defines them) and probes/workload.c.
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

/* What the detectors of startup.c take from workload.c. */
/* Read a log for a check; NULL with the reason recorded as skipped. */
char *workload_check_log(struct cluster *c, struct findings *f, const char *check,
                         const struct kobj *pod, const char *container, bool previous);
json_t *workload_container_named(json_t *list, const char *name);
/* Run fn on the istio-proxy status of every pod in scope that has a sidecar. */
void workload_each_proxy(struct cluster *c, const struct scope *s, struct findings *f,
                         const char *check,
                         void (*fn)(struct cluster *, struct findings *, const struct kobj *,
                                    json_t *));
/* The injector's values (ConfigMap istio-sidecar-injector, key values, JSON); NULL if unknown. */
json_t *workload_injector_values(struct cluster *c);
/* The first of the first max lines (0: all) with one of signs, as a new string; NULL if none. */
char *workload_log_match(const char *text, const char *const *signs, size_t max);
/* Pods in scope that run a sidecar, outside the namespaces Istio leaves alone. Caller frees .v. */
struct kobj_list workload_mesh_pods(struct cluster *c, const struct scope *s);
long workload_restarts(json_t *st);
void workload_restarts_line(struct strlist *ev, const struct kobj *p, const char *container,
                            json_t *st);

#endif
