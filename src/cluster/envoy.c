#include "cluster/envoy.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/http.h"

/* Each document and the admin path that serves it as JSON. */
static const struct {
	const char *doc, *path;
} docs[] = {
	{"server_info", "/server_info"},
	{"clusters", "/clusters?format=json"},
	{"stats", "/stats?format=json"},
	{"config_dump", "/config_dump"},
};

/* Admin answers can be large (config_dump of a big mesh), but not unbounded. */
#define ENVOY_DOC_CAP (256u * 1024 * 1024)

static const char *doc_path(const char *doc)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(docs); i++)
		if (strcmp(docs[i].doc, doc) == 0)
			return docs[i].path;
	return NULL;
}

bool envoy_doc_known(const char *doc)
{
	return doc_path(doc) != NULL;
}

json_t *envoy_fetch(const char *base_url, const char *doc, int timeout_ms, char **reason)
{
	const char *path = doc_path(doc);
	if (!path) {
		*reason = xasprintf("no Envoy admin document '%s'", doc);
		return NULL;
	}
	size_t n = strlen(base_url);
	while (n && base_url[n - 1] == '/')
		n--;
	char *url = xasprintf("%.*s%s", (int)n, base_url, path);
	struct http_reply r;
	char *err = NULL;
	json_t *j = NULL;
	if (http_get(url, timeout_ms, ENVOY_DOC_CAP, &r, &err)) {
		json_error_t je;
		j = json_loadb(r.body, r.len, 0, &je);
		if (!j || !json_is_object(j)) {
			char *clean = sanitize(url, false);
			*reason = xasprintf("%s: not a JSON object (%s)", clean,
					    j ? "another JSON value" : je.text);
			free(clean);
			json_decref(j);
			j = NULL;
		}
	} else {
		*reason = err;
	}
	http_reply_free(&r);
	free(url);
	return j;
}

const char *envoy_state(json_t *server_info)
{
	return json_string_value(json_object_get(server_info, "state"));
}

const char *envoy_version(json_t *server_info)
{
	return json_string_value(json_object_get(server_info, "version"));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool envoy_stat_sum(json_t *stats, const char *needle, const char *suffix, long long *sum,
		    char **bad)
{
	json_t *list = json_object_get(stats, "stats");
	bool found = false;
	*sum = 0;
	size_t i;
	json_t *st;
	json_array_foreach(list, i, st)
	{
		const char *name = json_string_value(json_object_get(st, "name"));
		json_t *v = json_object_get(st, "value");
		if (!name || !json_is_integer(v) || !strstr(name, needle) || !ends_with(name, suffix))
			continue;
		json_int_t n = json_integer_value(v);
		if (n < 0) {
			if (!*bad) {
				char *clean = sanitize(name, false);
				*bad = xasprintf("Envoy counter %s is negative (%lld): not a counter",
						 clean, (long long)n);
				free(clean);
			}
			continue;
		}
		/* counters come from outside: saturate instead of overflowing */
		*sum = n >= ENVOY_COUNTER_MAX - *sum ? ENVOY_COUNTER_MAX : *sum + n;
		found = true;
	}
	return found;
}

void envoy_endpoints(json_t *clusters, const char *needle, struct envoy_endpoints *out)
{
	memset(out, 0, sizeof(*out));
	size_t i, k;
	json_t *cl, *host;
	json_array_foreach(json_object_get(clusters, "cluster_statuses"), i, cl)
	{
		const char *name = json_string_value(json_object_get(cl, "name"));
		if (!name || !strstr(name, needle))
			continue;
		out->clusters++;
		json_array_foreach(json_object_get(cl, "host_statuses"), k, host)
		{
			json_t *h = json_object_get(host, "health_status");
			const char *eds = json_string_value(json_object_get(h, "eds_health_status"));
			bool ejected = json_is_true(json_object_get(h, "failed_outlier_check"));
			bool failed = json_is_true(json_object_get(h, "failed_active_health_check"));
			out->total++;
			out->ejected += ejected;
			if ((!eds || strcmp(eds, "HEALTHY") == 0) && !ejected && !failed)
				out->healthy++;
		}
	}
}

/* Walk every object of a config dump for HTTP connection managers. */
static void find_hcm(json_t *j, struct envoy_header_limit *out)
{
	if (json_is_object(j)) {
		const char *type = json_string_value(json_object_get(j, "@type"));
		if (type && strstr(type, "http_connection_manager.v3.HttpConnectionManager")) {
			out->managers++;
			json_t *kb = json_object_get(j, "max_request_headers_kb");
			if (json_is_integer(kb)) {
				long v = (long)json_integer_value(kb);
				out->min_kb = out->set && out->min_kb < v ? out->min_kb : v;
				out->max_kb = out->max_kb > v ? out->max_kb : v;
				out->set++;
			}
		}
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v)
			find_hcm(v, out);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			find_hcm(v, out);
	}
}

void envoy_header_limit(json_t *config_dump, struct envoy_header_limit *out)
{
	memset(out, 0, sizeof(*out));
	find_hcm(config_dump, out);
}
