/* Short-lived port-forwards: istiod's syncz as proxy-status (see forward.h). */
#include "cluster/forward.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/envoy.h"
#include "cluster/exec.h"
#include "cluster/http.h"
#include "cluster/proxystatus.h"

/* One argument more (borrowed); the argv of a port-forward is short. */
static void arg(struct cmd *c, const char *s)
{
	if (c->n + 2 > MM_ARRAY_LEN(c->v))
		abort();
	c->v[c->n++] = s;
	c->v[c->n] = NULL;
}

struct exec_bg *forward_start(const struct live *l, const char *ns, const char *pod, int port,
			      char **url, char **why)
{
	*url = NULL;
	*why = NULL;
	if (!is_dns1123_label(ns) || !is_dns1123_subdomain(pod)) {
		char *n = sanitize(ns, false), *p = sanitize(pod, false);
		*why = xasprintf("invalid pod name '%s/%s'", n, p);
		free(n);
		free(p);
		return NULL;
	}
	char *target = xasprintf("pod/%s", pod), *remote = xasprintf(":%d", port);
	/* built here, not with live.c's helpers: live.c calls this file */
	struct cmd cmd = {.n = 0};
	const char *words[] = {"kubectl", "port-forward", "-n", ns, "--address", "127.0.0.1", target,
			       remote};
	for (size_t i = 0; i < MM_ARRAY_LEN(words); i++)
		arg(&cmd, words[i]);
	if (l->context) {
		arg(&cmd, "--context");
		arg(&cmd, l->context);
	}
	if (l->kubeconfig) {
		arg(&cmd, "--kubeconfig");
		arg(&cmd, l->kubeconfig);
	}
	char *err = NULL;
	struct exec_bg *bg = exec_bg_start(cmd.v, &err);
	/* kubectl prints "Forwarding from 127.0.0.1:PORT -> REMOTE" once it listens */
	char *line = bg ? exec_bg_wait_line(bg, "Forwarding from 127.0.0.1:", l->timeout_ms, &err)
			: NULL;
	const char *colon = line ? strstr(line, "127.0.0.1:") : NULL;
	long local = colon ? strtol(colon + 10, NULL, 10) : 0;
	if (local > 0 && local < 65536) {
		*url = xasprintf("http://127.0.0.1:%ld", local);
	} else {
		exec_bg_stop(bg);
		bg = NULL;
		*why = xasprintf("kubectl port-forward to %s/%s: %s", ns, pod,
				 err ? err : "no local port in its output");
	}
	free(err);
	free(line);
	free(remote);
	free(target);
	return bg;
}

/* One istiod's syncz: rows added to c, or false with *why. */
static bool one_syncz(const struct live *l, struct cluster *c, const char *ns, const char *pod,
		      char **why)
{
	char *url;
	struct exec_bg *bg = forward_start(l, ns, pod, ISTIOD_DEBUG_PORT, &url, why);
	if (!bg)
		return false;
	char *full = xasprintf("%s/debug/syncz", url);
	struct http_reply r;
	char *err = NULL;
	bool ok = http_get(full, l->timeout_ms, SYNCZ_CAP, &r, &err);
	exec_bg_stop(bg);
	struct proxy_status *rows = NULL;
	size_t n = 0;
	if (ok && !proxy_status_parse(r.body, &rows, &n, &err)) {
		char *clean = sanitize(err ? err : "?", false);
		free(err);
		err = xasprintf("not istiod's syncz: %s", clean);
		free(clean);
		ok = false;
	}
	/* the legacy syncz form does not name the istiod: the one asked */
	if (ok)
		cluster_take_proxy_status(c, rows, n, pod);
	else {
		*why = xasprintf("istiod %s/%s /debug/syncz: %s", ns, pod, err ? err : "?");
	}
	free(err);
	http_reply_free(&r);
	free(full);
	free(url);
	return ok;
}

bool forward_syncz(const struct live *l, struct cluster *c, char **reason)
{
	const char *ns = cluster_control_namespace(c);
	const char *why_pods;
	*reason = NULL;
	if (!cluster_has_kind(c, "Pod", &why_pods)) {
		*reason = xasprintf("istioctl not found on PATH, and istiod's pods cannot be listed "
				    "for its /debug/syncz: %s",
				    why_pods);
		return false;
	}
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	size_t tried = 0, read = 0;
	char *first = NULL;
	for (size_t i = 0; i < pods->n && tried < SYNCZ_MAX_ISTIODS; i++) {
		const struct kobj *p = pods->v[i];
		const char *app = jstr(p->j, "metadata.labels.app");
		const char *phase = jstr(p->j, "status.phase");
		if (!app || strcmp(app, "istiod") != 0 || (phase && strcmp(phase, "Running") != 0))
			continue;
		tried++;
		char *why = NULL;
		if (one_syncz(l, c, p->ns, p->name, &why))
			read++;
		else if (!first)
			first = why;
		else
			free(why);
	}
	if (read) {
		free(first);
		return true;
	}
	if (!tried)
		*reason = xasprintf("istioctl not found on PATH, and no running istiod pod in %s "
				    "to read /debug/syncz from",
				    ns);
	else
		*reason = xasprintf("istioctl not found on PATH, and %s", first);
	free(first);
	return false;
}

/* ---- snapshot --envoy ---- */

static const char *const envoy_docs[] = {"server_info", "clusters", "stats", "config_dump"};

/* mkdir -p of the folder path names; false with errno set. */
static bool make_dirs(const char *path)
{
	char *p = xstrdup(path);
	bool ok = true;
	for (char *s = p + 1; ok && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ok = mkdir(p, 0755) == 0 || errno == EEXIST;
		*s = '/';
	}
	ok = ok && (mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
	return ok;
}

/* dir/rel written whole through rel.tmp; false with *err. */
static bool write_json(const char *dir, const char *rel, json_t *j, char **err)
{
	char *path = xasprintf("%s/%s", dir, rel), *tmp = xasprintf("%s.tmp", path);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	bool ok = make_dirs(path);
	*slash = '/';
	FILE *fp = ok ? fopen(tmp, "w") : NULL;
	ok = fp && json_dumpf(j, fp, JSON_INDENT(1)) == 0 && fputc('\n', fp) != EOF;
	if (fp && fclose(fp) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
	return ok;
}

static bool has_proxy(json_t *pod)
{
	static const char *const lists[] = {"spec.containers", "spec.initContainers"};
	for (size_t k = 0; k < MM_ARRAY_LEN(lists); k++) {
		size_t i;
		json_t *ctr;
		json_array_foreach(jpath(pod, lists[k]), i, ctr) {
			const char *n = jstr(ctr, "name");
			if (n && strcmp(n, "istio-proxy") == 0)
				return true;
		}
	}
	return false;
}

bool forward_record_envoy(const struct live *l, struct cluster *model, const char *dir,
			  const char *ns, FILE *progress, json_t **summary, char **err)
{
	const struct kobj_list *pods = cluster_list(model, "Pod", ns);
	const struct kobj **pick = xcalloc(pods->n ? pods->n : 1, sizeof(*pick));
	size_t n = 0, skipped = 0, written = 0, with_docs = 0;
	for (size_t i = 0; i < pods->n; i++) {
		const char *phase = jstr(pods->v[i]->j, "status.phase");
		if (!has_proxy(pods->v[i]->j) || (phase && strcmp(phase, "Running") != 0) ||
		    !is_dns1123_label(pods->v[i]->ns) || !is_dns1123_subdomain(pods->v[i]->name))
			continue;
		if (n == FORWARD_ENVOY_PODS)
			skipped++;
		else
			pick[n++] = pods->v[i];
	}
	json_t *failed = json_object();
	bool ok = true;
	for (size_t at = 0; at < n && ok; at += FORWARD_ENVOY_AT_ONCE) {
		size_t m = n - at < FORWARD_ENVOY_AT_ONCE ? n - at : FORWARD_ENVOY_AT_ONCE;
		struct exec_bg *bg[FORWARD_ENVOY_AT_ONCE];
		char *url[FORWARD_ENVOY_AT_ONCE], *why[FORWARD_ENVOY_AT_ONCE];
		for (size_t k = 0; k < m; k++)
			bg[k] = forward_start(l, pick[at + k]->ns, pick[at + k]->name, ENVOY_ADMIN_PORT,
					      &url[k], &why[k]);
		for (size_t k = 0; k < m; k++) {
			const struct kobj *p = pick[at + k];
			size_t docs = 0;
			for (size_t d = 0; d < MM_ARRAY_LEN(envoy_docs); d++) {
				char *key = xasprintf("%s/%s/%s", p->ns, p->name, envoy_docs[d]);
				char *reason = NULL;
				json_t *j = bg[k] ? envoy_fetch(url[k], envoy_docs[d], l->timeout_ms,
								&reason)
						  : NULL;
				if (j) {
					char *rel = xasprintf("envoy/%s.json", key);
					ok = ok && write_json(dir, rel, j, err);
					docs += ok;
					free(rel);
				} else {
					char *clean = sanitize(bg[k] ? reason : why[k], false);
					json_object_set_new(failed, key, json_string(clean));
					free(clean);
				}
				json_decref(j);
				free(reason);
				free(key);
			}
			written += docs;
			with_docs += docs > 0;
		}
		for (size_t k = 0; k < m; k++) {
			exec_bg_stop(bg[k]);
			free(url[k]);
			free(why[k]);
		}
	}
	free(pick);
	if (progress) {
		fprintf(progress,
			"snapshot: envoy: %zu admin documents from %zu proxies, %zu failed, %zu "
			"proxies over the limit of %d skipped\n",
			written, with_docs, json_object_size(failed), skipped, FORWARD_ENVOY_PODS);
		fflush(progress);
	}
	*summary = json_pack("{s:I, s:I, s:I, s:o}", "written", (json_int_t)written, "pods",
			     (json_int_t)with_docs, "pods_skipped", (json_int_t)skipped, "failed",
			     failed);
	return ok;
}
