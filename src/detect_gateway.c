/*
 * Detectors of the 404 flow: Gateways and VirtualServices bound to them.
 */
#include "detect.h"

const struct detector *const detectors_gateway[] = {
	NULL,
};
