/*
 * Detectors of the crash and connectivity flows: pods, containers and their logs.
 */
#include "detect.h"

const struct detector *const detectors_workload[] = {
	NULL,
};
