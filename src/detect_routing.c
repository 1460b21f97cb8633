/*
 * Detectors of the routing flow: rules that have no effect.
 */
#include "detect.h"

const struct detector *const detectors_routing[] = {
	NULL,
};
