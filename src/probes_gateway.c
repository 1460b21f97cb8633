/*
 * Probes of the 404 flow: Gateways and VirtualServices bound to them.
 */
#include "probe.h"

const struct probe *const probes_gateway[] = {
	NULL,
};
