/* istioctl proxy-status output, in every format it has had (the parser tells them apart). */
#include "cluster/cluster.h"
#include "cluster/proxystatus.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct proxy_status *rows = NULL;
	size_t n = 0;
	char *err = NULL;
	if (proxy_status_parse(text, &rows, &n, &err)) {
		for (size_t i = 0; i < n; i++)
			proxy_status_worst(&rows[i]);
		proxy_status_rows_free(rows, n);
	}
	free(err);
	free(text);
	return 0;
}
