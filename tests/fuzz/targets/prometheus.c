/* Prometheus answers to the istio_requests_total query, as the 503 flag probe reads them. */
#include "cluster/cluster.h"
#include "cluster/prometheus.h"
#include "fuzz.h"

struct input {
	const uint8_t *data;
	size_t size;
};

/* Stands in for the HTTP fetch: cluster_memo keeps what it returns under the query's key. */
static json_t *answer(struct cluster *c, void *arg, char **reason)
{
	const struct input *in = arg;
	json_error_t je;
	json_t *j = json_loadb((const char *)in->data, in->size, 0, &je);
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *type = json_string_value(json_object_get(json_object_get(j, "data"), "resultType"));
	if (!j || !status || strcmp(status, "success") || !type || strcmp(type, "vector")) {
		json_decref(j);
		*reason = xstrdup("not a vector");
		return NULL;
	}
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster *c = cluster_new();
	cluster_set_prometheus(c, "http://127.0.0.1:9");
	struct input in = {data, size};
	const char *why;
	cluster_memo(c, "prometheus/default/reviews", answer, &in, &why);
	struct prom_tally t;
	char *reason = NULL;
	if (prom_requests(c, "default", "reviews", &t, &reason)) {
		for (size_t i = 0; i < t.n; i++)
			if (!(t.rows[i].requests >= 0 && t.rows[i].requests <= PROM_SAMPLE_MAX))
				abort(); /* the contract: a count, converted without undefined behaviour */
		prom_top_flags(&t, "503");
		prom_tally_free(&t);
	}
	free(reason);
	cluster_free(c);
	return 0;
}
