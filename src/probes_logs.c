/*
 * Probes that read Envoy's access logs (response flags, protocol, codes).
 */
#include "probe.h"

const struct probe *const probes_logs[] = {
	NULL,
};
