/*
 * The table of every detector, in families: the first ones of the 503 and
 * injection flows by name, then one NULL-terminated array per later family
 * file. Only this file knows them all; a new family is a file plus a line.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

extern const struct detector det_control_plane, det_proxy_stale, det_proxy_not_connected,
    det_dr_tls_conflict, det_subset_undefined, det_subset_no_pods, det_headless_no_sidecar,
    det_cb_no_pending, det_ns_not_labeled, det_revision_mismatch, det_pod_opt_out, det_pod_predates,
    det_host_network, det_injector_unavailable, det_dr_mtls_disabled, det_mtls_auto_off;

/* The detectors of the 503 and injection flows. */
static const struct detector *const detectors_core[] = {
    &det_control_plane,       &det_proxy_stale,          &det_proxy_not_connected,
    &det_dr_tls_conflict,     &det_subset_undefined,     &det_subset_no_pods,
    &det_headless_no_sidecar, &det_cb_no_pending,        &det_ns_not_labeled,
    &det_revision_mismatch,   &det_pod_opt_out,          &det_pod_predates,
    &det_host_network,        &det_injector_unavailable, &det_dr_mtls_disabled,
    &det_mtls_auto_off,       NULL,
};

/* Each later family file exports one NULL-terminated array of its detectors. */
extern const struct detector *const detectors_gateway[],
    *const detectors_routing[], *const detectors_workload[], *const detectors_startup[],
                                                                 *const detectors_protocol[],
    *const detectors_references[], *const detectors_authz[];

static const struct detector *const *const families[] = {
    detectors_core,    detectors_gateway,  detectors_routing,
    detectors_startup, detectors_workload, detectors_protocol,
    detectors_references, detectors_authz,
};

#define MAX_DETECTORS 128

const struct detector *const *detector_all(void)
{
	static const struct detector *all[MAX_DETECTORS + 1];
	if (all[0])
		return all;
	size_t n = 0;
	for (size_t f = 0; f < MM_ARRAY_LEN(families); f++)
		for (const struct detector *const *d = families[f]; *d; d++)
			if (n < MAX_DETECTORS)
				all[n++] = *d;
	all[n] = NULL;
	return all;
}

const struct detector *detector_for(const char *diagnosis)
{
	for (const struct detector *const *d = detector_all(); *d; d++)
		if (strcmp((*d)->diagnosis, diagnosis) == 0)
			return *d;
	return NULL;
}

void detect_run(struct cluster *c, const struct scope *s, const char *diagnosis,
                struct findings *out)
{
	const struct scope *was = out->scope;
	out->scope = s;
	for (const struct detector *const *d = detector_all(); *d; d++)
		if (!diagnosis || strcmp((*d)->diagnosis, diagnosis) == 0)
			(*d)->run(c, s, out);
	out->scope = was;
	/* ConfigMap istio's mesh key there but unreadable: every check read the defaults instead */
	const char *mesh_why = diagnosis ? NULL : cluster_mesh_config_problem(c);
	if (mesh_why)
		findings_skip(out, "meshConfig", mesh_why);
	/* what was read in some namespaces only, one line per reason: nothing concluded from the rest */
	size_t n = diagnosis ? 0 : cluster_partial_count(c);
	bool *done = xcalloc(n ? n : 1, sizeof(*done));
	for (size_t i = 0; i < n; i++) {
		const char *why, *other;
		if (done[i])
			continue;
		struct sbuf kinds;
		sb_init(&kinds);
		sb_add(&kinds, cluster_partial_at(c, i, &why));
		for (size_t k = i + 1; k < n; k++) {
			const char *kind = cluster_partial_at(c, k, &other);
			if (!done[k] && strcmp(other, why) == 0) {
				done[k] = true;
				sb_add(&kinds, ", ");
				sb_add(&kinds, kind);
			}
		}
		char *check = xasprintf("partly read: %s", kinds.s);
		findings_skip(out, check, why);
		free(check);
		sb_free(&kinds);
	}
	free(done);
}
