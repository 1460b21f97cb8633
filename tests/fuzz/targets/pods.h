/* Shared by the snapshot and bugreport targets: a loaded cluster read as probes read it. */
#ifndef MM_FUZZ_PODS_H
#define MM_FUZZ_PODS_H

#include "cluster/cluster.h"

/* What probes ask a snapshot of each pod, as they ask it. */
static inline void fuzz_read_pods(struct cluster *c)
{
	static const char *const containers[] = {"istio-proxy", "discovery", "app"};
	static const char *const docs[] = {"server_info", "clusters", "stats", "config_dump"};
	const struct kobj_list *pods = cluster_list(c, "Pod", NULL);
	for (size_t i = 0; pods && i < pods->n && i < 16; i++) {
		const struct kobj *p = pods->v[i];
		for (size_t k = 0; k < MM_ARRAY_LEN(containers) * 2; k++) {
			char *reason = NULL;
			free(cluster_log(c, p->ns, p->name, containers[k / 2], k % 2, &reason));
			free(reason);
		}
		for (size_t k = 0; k < MM_ARRAY_LEN(docs); k++) {
			const char *why;
			cluster_envoy_doc(c, p->ns, p->name, docs[k], &why);
		}
	}
	const struct proxy_status *rows;
	size_t n;
	const char *why;
	cluster_proxy_status(c, &rows, &n, &why);
	cluster_mesh_config(c);
	cluster_istio_version(c);
	cluster_istio_version_note(c);
	cluster_control_namespace(c);
}

#endif
