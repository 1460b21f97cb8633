/* The derivation rules' pick: ranks of pod states, the order of candidates, a rule over a model. */
#include <jansson.h>

#include "cluster/cluster.h"
#include "probes/derive.h"
#include "tap.h"

/* A pod object from JSON text (the cluster takes it when added). */
static json_t *pod_json(const char *name, const char *created, const char *status)
{
	char *text =
	    xasprintf("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"%s\", \"namespace\": "
	              "\"shop\", \"creationTimestamp\": \"%s\"}, \"spec\": {\"containers\": "
	              "[{\"name\": \"app\"}]}, \"status\": %s}",
	              name, created, status);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	return j;
}

#define READY                                                                                      \
	"\"phase\": \"Running\", \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]"
#define NOT_READY                                                                                  \
	"\"phase\": \"Running\", \"conditions\": [{\"type\": \"Ready\", \"status\": \"False\"}]"

static const char *const states[] = {
    "{" READY ", \"containerStatuses\": [{\"name\": \"app\", \"restartCount\": 0}]}",
    "{" READY ", \"containerStatuses\": [{\"name\": \"app\", \"restartCount\": 2}]}",
    "{" NOT_READY ", \"containerStatuses\": [{\"name\": \"app\", \"restartCount\": 0}]}",
    "{\"phase\": \"Pending\"}",
    "{" NOT_READY ", \"containerStatuses\": [{\"name\": \"app\", \"restartCount\": 7, \"state\": "
    "{\"waiting\": {\"reason\": \"CrashLoopBackOff\"}}}]}",
};

static int rank_of(const char *status, char **words)
{
	json_t *j = pod_json("p", "2024-01-01T00:00:00Z", status);
	struct kobj o = {"Pod", "shop", "p", j, "", 0};
	int r = derive_pod_state(&o, words);
	json_decref(j);
	return r;
}

static const char *in_shop(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "namespace") == 0 ? "shop" : NULL;
}

int main(void)
{
	for (int i = 0; i < 5; i++) {
		char *words;
		int rank = rank_of(states[i], &words);
		ok(rank == i, "pod state %d ranks %d (%s)", i, i, words);
		free(words);
	}
	char *words;
	rank_of(states[4], &words);
	is_str(words, "app CrashLoopBackOff, 7 restarts",
	       "a back-off names its container and restarts");
	free(words);

	struct derive_result r = {0};
	derive_add(&r, "old-crash", 4, "2024-01-01T00:00:00Z", "x");
	derive_add(&r, "ready", 0, "2024-06-01T00:00:00Z", "x");
	derive_add(&r, "new-crash", 4, "2024-03-01T00:00:00Z", "x");
	derive_add(&r, "b-unknown-time", 4, NULL, "x");
	derive_add(&r, "a-unknown-time", 4, NULL, "x");
	derive_sort(&r);
	is_str(r.v[0].value, "new-crash", "the worst state first, the most recent of those");
	is_str(r.v[1].value, "old-crash", "then the older one");
	is_str(r.v[2].value, "a-unknown-time", "an unknown time after known ones, by name");
	is_str(r.v[3].value, "b-unknown-time", "names break the last tie");
	is_str(r.v[4].value, "ready", "a healthy pod comes last, however new");
	derive_result_free(&r);

	/* failing-pods over a model: the crash is picked, the finished job's pod left out */
	struct cluster *c = cluster_new();
	cluster_add(c, pod_json("web-1", "2024-05-01T00:00:00Z", states[2]), "", 0);
	cluster_add(c, pod_json("web-2", "2024-02-01T00:00:00Z", states[4]), "", 0);
	cluster_add(c, pod_json("fine-1", "2024-02-01T00:00:00Z", states[0]), "", 0);
	cluster_add(c, pod_json("job-1", "2024-02-01T00:00:00Z", "{\"phase\": \"Succeeded\"}"), "",
	            0);
	cluster_mark_loaded(c, "Pod");
	derive_run(derive_find("failing-pods"), c, in_shop, NULL, &r);
	ok(r.n == 2, "failing-pods finds the two failing pods (%zu)", r.n);
	if (r.n == 2) {
		is_str(r.v[0].value, "web-2", "the pod in CrashLoopBackOff is the pick");
		is_str(r.v[1].value, "web-1", "the pod not Ready is listed after it");
	}
	derive_result_free(&r);
	derive_run(derive_find("pods-without-sidecar"), c, in_shop, NULL, &r);
	ok(r.n == 4 && strcmp(r.v[0].value, "web-2") == 0,
	   "pods-without-sidecar: every pod lacks istio-proxy, the worst first");
	derive_result_free(&r);
	derive_run(derive_find("service-pods"), c, in_shop, NULL, &r);
	ok(r.n == 0 && r.reason && strstr(r.reason, "service"),
	   "a rule without its input says which one is missing (%s)", r.reason);
	derive_result_free(&r);
	cluster_free(c);
	ok(derive_find("no-such-rule") == NULL, "an unknown rule is not found");
	return done_testing();
}
