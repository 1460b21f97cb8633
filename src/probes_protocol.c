/*
 * Probes of the 426, 431, headers and sync flows.
 */
#include "probe.h"

const struct probe *const probes_protocol[] = {
	NULL,
};
