#include "probe.h"

#include <stdlib.h>
#include <string.h>

extern const struct probe probe_control_plane, probe_service_headless_p, probe_server_sidecar,
	probe_dr_tls, probe_auto_mtls, probe_peer_auth, probe_version_headless, probe_version_mixer,
	probe_subset_ref, probe_subset_defined, probe_subset_pods, probe_endpoints_ready,
	probe_proxy_sync, probe_mixer_running, probe_pod_state, probe_host_network_p, probe_opt_out,
	probe_ns_label, probe_webhook, probe_pod_age;

/* Every probe; a family adds its entries here, and flows name them by .name. */
static const struct probe *const probes[] = {
	&probe_control_plane,  &probe_service_headless_p, &probe_server_sidecar, &probe_dr_tls,
	&probe_auto_mtls,      &probe_peer_auth,          &probe_version_headless,
	&probe_version_mixer,  &probe_subset_ref,         &probe_subset_defined,
	&probe_subset_pods,    &probe_endpoints_ready,    &probe_proxy_sync,
	&probe_mixer_running,  &probe_pod_state,          &probe_host_network_p,
	&probe_opt_out,        &probe_ns_label,           &probe_webhook,
	&probe_pod_age,
	NULL,
};

const struct probe *const *probe_all(void)
{
	return probes;
}

const struct probe *probe_find(const char *name)
{
	for (const struct probe *const *p = probes; *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

void probe_result_free(struct probe_result *r)
{
	free(r->choice);
	free(r->reason);
	sl_free(&r->evidence);
	r->choice = r->reason = NULL;
}
