/*
 * Detectors of the 426, 431, headers and sync flows.
 */
#include "detect.h"

const struct detector *const detectors_protocol[] = {
	NULL,
};
