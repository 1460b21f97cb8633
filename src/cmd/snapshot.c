/* `snapshot -o DIR`: record the live cluster's state, read-only, for --snapshot. */
#include <stdlib.h>

#include "cmd/cli.h"
#include "cluster/live.h"

int cmd_snapshot(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("snapshot takes no arguments, not '%s' (use -o DIR)", argv[1]);
	if (!c->o.output)
		return usage_error("snapshot needs -o DIR");
	struct live_opts lo = {c->o.context, c->o.kubeconfig, c->o.timeout_s, 0, NULL, c->o.envoy};
	char *err = NULL;
	int rc = live_snapshot(&lo, c->o.output, c->o.ns, stderr, &err);
	if (rc != 0) {
		usage_error("snapshot: %s", err ? err : "nothing could be read");
		rc = 2;
	}
	free(err);
	return rc;
}
