/*
 * Probes of the crash and connectivity flows: pods, containers and their logs.
 */
#include "probe.h"

const struct probe *const probes_workload[] = {
	NULL,
};
