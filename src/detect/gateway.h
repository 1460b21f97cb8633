/*
 * Gateways and the VirtualServices bound to them (detect/gateway.c), for the 404 probes.
 * Shared by detect/gateway.c (which defines them) and probes/gateway.c.
 */
#ifndef MM_GATEWAY_H
#define MM_GATEWAY_H

#include "cluster/cluster.h"

json_t *gw_server_for(const struct kobj *gw, const char *host, const char *vs_ns, json_t *after);
bool gw_vs_covers(const struct kobj *vs, const char *host);
bool gw_vs_binds(const struct kobj *vs, const struct kobj *gw);
bool gw_vs_mesh(const struct kobj *vs);
/* Whether an http route takes every request: no match, or a match on nothing but prefix "/". */
bool gw_route_takes_all(json_t *route);
/*
 * The pods a Gateway's selector picks, as istiod applies it: in every
 * namespace, or only the Gateway's own with PILOT_SCOPE_GATEWAY_TO_NAMESPACE.
 * Caller frees .v.
 */
struct kobj_list gw_pods(struct cluster *c, const struct kobj *gw);
const struct kobj *gw_host_service(struct cluster *c, const char *host, const char *ns);

#endif
