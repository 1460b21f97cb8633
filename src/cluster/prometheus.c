#include "cluster/prometheus.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/http.h"
#include "base/util.h"

/* A Prometheus answer is one small vector; anything far larger is not one. */
#define PROM_CAP (16u * 1024 * 1024)

struct query {
	const char *ns, *service;
};

static json_t *load(struct cluster *c, void *arg, char **reason)
{
	const struct query *q = arg;
	char *promql = xasprintf(
		"sum by (response_code, response_flags) (increase(istio_requests_total{"
		"reporter=\"source\",destination_service_namespace=\"%s\","
		"destination_service_name=\"%s\"}[" PROM_WINDOW "]))",
		q->ns, q->service);
	char *esc = http_escape(promql), *base = xstrdup(cluster_prometheus(c));
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = '\0';
	char *url = xasprintf("%s/api/v1/query?query=%s", base, esc);
	struct http_reply r;
	json_t *j = NULL;
	if (http_get(url, cluster_http_timeout(c), PROM_CAP, &r, reason)) {
		json_error_t je;
		j = json_loadb(r.body, r.len, 0, &je);
		const char *status = json_string_value(json_object_get(j, "status"));
		const char *type = json_string_value(json_object_get(json_object_get(j, "data"),
								     "resultType"));
		if (!j || !status || strcmp(status, "success") != 0 || !type ||
		    strcmp(type, "vector") != 0) {
			*reason = xasprintf("Prometheus at %s: %s", base,
					    !j ? "the answer is not JSON" : "not a successful vector answer");
			json_decref(j);
			j = NULL;
		}
	} else {
		/* the error starts with the whole query URL: the base says enough */
		char *err = *reason;
		size_t len = strlen(url);
		const char *what = strncmp(err, url, len) == 0 && err[len] == ':' ? err + len + 2 : err;
		*reason = xasprintf("Prometheus at %s: %s", base, what);
		free(err);
	}
	http_reply_free(&r);
	free(url);
	free(esc);
	free(base);
	free(promql);
	return j;
}

static void copy_label(char *dst, size_t size, json_t *metric, const char *name, const char *def)
{
	const char *v = json_string_value(json_object_get(metric, name));
	snprintf(dst, size, "%s", v && *v ? v : def);
}

bool prom_requests(struct cluster *c, const char *ns, const char *service, struct prom_tally *out,
		   char **reason)
{
	memset(out, 0, sizeof(*out));
	if (!cluster_prometheus(c)) {
		*reason = xstrdup("no Prometheus given (--prometheus URL)");
		return false;
	}
	/* the names go into a PromQL string: only DNS-1123 names are let through */
	if (!is_dns1123_label(ns) || !is_dns1123_label(service)) {
		*reason = xstrdup("Prometheus: invalid namespace or service name");
		return false;
	}
	struct query q = {ns, service};
	char *key = xasprintf("prometheus/%s/%s", ns, service);
	const char *why = NULL;
	json_t *j = cluster_memo(c, key, load, &q, &why);
	free(key);
	if (!j) {
		*reason = xstrdup(why);
		return false;
	}
	json_t *result = json_object_get(json_object_get(j, "data"), "result"), *e;
	size_t i;
	out->rows = xcalloc(json_array_size(result) + 1, sizeof(*out->rows));
	const char *too_big = NULL;
	json_array_foreach(result, i, e)
	{
		struct prom_row *row = &out->rows[out->n];
		json_t *metric = json_object_get(e, "metric");
		const char *v = json_string_value(json_array_get(json_object_get(e, "value"), 1));
		char *end = NULL;
		double d = v ? strtod(v, &end) : 0;
		if (!v || end == v || !isfinite(d) || d < 0)
			continue;
		/* a count beyond what a double holds exactly is no count of requests */
		if (d > PROM_SAMPLE_MAX || out->total + d > PROM_SAMPLE_MAX) {
			too_big = v;
			break;
		}
		copy_label(row->code, sizeof(row->code), metric, "response_code", "?");
		copy_label(row->flags, sizeof(row->flags), metric, "response_flags", "-");
		row->requests = d;
		out->total += d;
		out->n++;
	}
	if (too_big) {
		char *clean = sanitize(too_big, false);
		*reason = xasprintf("Prometheus at %s: a sample of %s requests is beyond %.0f, no count",
				    cluster_prometheus(c), clean, PROM_SAMPLE_MAX);
		free(clean);
		prom_tally_free(out);
		return false;
	}
	return true;
}

void prom_tally_free(struct prom_tally *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

const struct prom_row *prom_top_flags(const struct prom_tally *t, const char *code)
{
	const struct prom_row *best = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->rows[i].code, code) == 0 && t->rows[i].requests > 0 &&
		    (!best || t->rows[i].requests > best->requests))
			best = &t->rows[i];
	return best;
}
