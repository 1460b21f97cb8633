/* Snapshot manifests (JSON or YAML, one or many documents) as --snapshot FILE reads them. */
#include "cluster/cluster.h"
#include "cluster/snapshot.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir, *p = fuzz_file(data, size, "manifest.yaml", &dir);
	struct mm_errors errs = {0};
	struct cluster *c = snapshot_open(p, &errs);
	/* the istio ConfigMap's mesh key is YAML inside a string: read as the detectors read it */
	if (c)
		cluster_mesh_config(c);
	cluster_free(c);
	errs_free(&errs);
	fuzz_rm(p, dir);
	return 0;
}
