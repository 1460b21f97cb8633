/* Envoy admin documents (server_info, stats, clusters, config_dump) as the probes read them. */
#include "cluster/envoy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0;
	}
	envoy_state(j);
	envoy_version(j);
	long long sum;
	char *bad = NULL;
	if (envoy_stat_sum(j, "|reviews.", "_overflow", &sum, &bad) && (sum < 0 || sum > ENVOY_COUNTER_MAX))
		abort(); /* the contract: never negative, never past the saturation point */
	free(bad);
	struct envoy_endpoints e;
	envoy_endpoints(j, "|reviews.", &e);
	struct envoy_header_limit h;
	envoy_header_limit(j, &h);
	json_decref(j);
	return 0;
}
