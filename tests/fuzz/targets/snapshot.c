/*
 * Snapshot directories as check/run --snapshot DIR reads them: the input is
 * the files of one directory (fuzz.h's "=== NAME" parts: resources.json,
 * meta.json, proxy-status.txt, logs/NS/POD/C.log, envoy/NS/POD/DOC.json, or
 * a bug-report's unpacked layout), written to a temp dir, loaded, and then
 * read as probes read them: every pod's logs and admin documents, the mesh
 * config, proxy-status and the version.
 */
#include "cluster/cluster.h"
#include "cluster/snapshot.h"
#include "fuzz.h"
#include "pods.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[FUZZ_MAX_PARTS];
	size_t n = fuzz_parts(data, size, parts);
	char *dir = fuzz_tmpdir();
	for (size_t i = 0; i < n; i++) {
		if (!fuzz_name_ok(parts[i].name, parts[i].name_len))
			continue;
		char *name = xstrndup(parts[i].name, parts[i].name_len);
		fuzz_write_at(dir, name, parts[i].data, parts[i].len);
		free(name);
	}
	struct mm_errors errs = {0};
	struct cluster *c = snapshot_open(dir, &errs);
	if (c)
		fuzz_read_pods(c);
	cluster_free(c);
	errs_free(&errs);
	fuzz_rm_tree(dir);
	return 0;
}
