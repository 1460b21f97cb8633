/*
 * Services, ports and VirtualServices as the routing checks read them (detect/routing.c).
 * Shared by detect/routing.c (which defines them) and probes/routing.c.
 */
#ifndef MM_ROUTING_H
#define MM_ROUTING_H

#include "cluster/cluster.h"

const char *routing_port_class(struct cluster *c, json_t *port, char **why);
bool routing_vs_for_mesh(const struct kobj *vs);
bool routing_vs_covers(const struct kobj *vs, const char *fqdn);

#endif
