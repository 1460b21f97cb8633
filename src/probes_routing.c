/*
 * Probes of the routing flow: rules that have no effect.
 */
#include "probe.h"

const struct probe *const probes_routing[] = {
	NULL,
};
