/*
 * EnvoyFilters and header limits (detect/protocol.c), for the 431 and headers probes.
 * Shared by detect/protocol.c (which defines them) and probes/protocol.c.
 */
#ifndef MM_PROTOCOL_H
#define MM_PROTOCOL_H

#include "cluster/cluster.h"

bool ef_applies(struct cluster *c, const struct kobj *ef, const struct kobj *pod);
json_t *ef_find(const struct kobj *ef, const char *key, const char *context);
const char *proxy_context(const struct kobj *pod, bool inbound);
long headers_kb(json_t *v);
long headers_kb_max(struct cluster *c);

#endif
