/*
 * `meshmedic snapshot -o DIR`: the live cluster recorded for offline use,
 * in the layout --snapshot reads (resources.json, proxy-status.txt, logs/,
 * envoy/, meta.json), each file written whole through a temporary one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "base/limits.h"
#include "cluster/forward.h"
#include "cluster/live_int.h"
#include "cluster/proxystatus.h"

/* mkdir -p path; *created says whether path itself was made now. */
static bool mkdir_p(const char *path, bool *created, char **err)
{
	char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	bool ok = true;
	for (char *s = p + 1; ok; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) == 0)
			*created = true;
		else if (errno == EEXIST)
			*created = false;
		else
			ok = false;
		*s = c;
		if (!c)
			break;
	}
	struct stat st;
	if (ok && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
		errno = ENOTDIR;
		ok = false;
	}
	if (!ok)
		*err = xasprintf("cannot create directory %s: %s", path, strerror(errno));
	free(p);
	return ok;
}

struct snap {
	struct live *l;
	const char *dir;
	FILE *progress;
	json_t *items;         /* every object, for resources.json */
	struct cluster *model; /* the same objects: pods to log, the Istio version */
	json_t *unavailable, *partial, *versions, *logs;
	char *context;         /* kubectl's current context, when --context is not given */
	char *err;             /* the first write error */
};

/* One progress line. */
__attribute__((format(printf, 2, 3))) static void say(struct snap *s, const char *fmt, ...)
{
	if (!s->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("snapshot: ", s->progress);
	vfprintf(s->progress, fmt, ap);
	fputc('\n', s->progress);
	fflush(s->progress);
	va_end(ap);
}

/* Write dir/rel (making its folders) through a temporary file; false with s->err set. */
static bool snap_write(struct snap *s, const char *rel, const char *data, size_t len, json_t *j)
{
	if (s->err)
		return false;
	char *path = xasprintf("%s/%s", s->dir, rel);
	char *tmp = xasprintf("%s.tmp", path);
	char *slash = strrchr(path, '/');
	bool created, ok = true;
	*slash = '\0';
	ok = mkdir_p(path, &created, &s->err);
	*slash = '/';
	if (ok) {
		FILE *fp = fopen(tmp, "w");
		ok = fp != NULL;
		if (ok && j)
			ok = json_dumpf(j, fp, JSON_INDENT(2)) == 0 && fputc('\n', fp) != EOF;
		else if (ok)
			ok = fwrite(data, 1, len, fp) == len;
		if (fp && fclose(fp) != 0)
			ok = false;
		if (ok && rename(tmp, path) != 0)
			ok = false;
		if (!ok) {
			s->err = xasprintf("cannot write %s: %s", path, strerror(errno));
			unlink(tmp);
		}
	}
	free(tmp);
	free(path);
	return ok;
}

static void snap_unavailable(struct snap *s, const char *what, const char *reason)
{
	json_object_set_new(s->unavailable, what, json_string(reason));
}

/* Add the objects of one kubectl get to the snapshot; how many. */
static size_t snap_add(struct snap *s, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_array_append(s->items, it);
		cluster_add(s->model, json_incref(it), "", 0);
	}
	size_t n = json_array_size(items);
	json_decref(items);
	return n;
}

/* The kubectl and istioctl versions, and Istio's. */
static void snap_versions(struct snap *s, const struct cmd *kc, const struct exec_result *kr,
			  const struct cmd *ic, const struct exec_result *ir)
{
	json_t *k = json_loadb(kr->out, kr->out_len, 0, NULL);
	json_t *i = json_loadb(ir->out, ir->out_len, 0, NULL);
	const char *v[4] = {jstr(k, "clientVersion.gitVersion"),
			    jstr(k, "serverVersion.gitVersion"), jstr(i, "clientVersion.version"),
			    NULL};
	static const char *const keys[] = {"kubectl", "kubernetes", "istioctl", "istio"};
	size_t idx;
	json_t *mv;
	json_array_foreach(json_object_get(i, "meshVersion"), idx, mv) {
		const char *comp = jstr(mv, "Component");
		if (!v[3] && comp && (strcmp(comp, "pilot") == 0 || strcmp(comp, "istiod") == 0))
			v[3] = jstr(mv, "Info.version");
	}
	if (!v[3])
		v[3] = cluster_istio_version(s->model);
	for (size_t n = 0; n < 4; n++)
		if (v[n])
			json_object_set_new(s->versions, keys[n], json_string(v[n]));
	const struct cmd *cmds[] = {kc, ic};
	const struct exec_result *res[] = {kr, ir};
	static const char *const names[] = {"kubectl version", "istioctl version"};
	for (size_t n = 0; n < 2; n++) {
		char *why = lv_explain(s->l, cmds[n], res[n]);
		if (why) {
			snap_unavailable(s, names[n], why);
			say(s, "%s: %s", names[n], why);
		}
		free(why);
	}
	char *line[4];
	for (size_t n = 0; n < 4; n++)
		line[n] = sanitize(v[n] ? v[n] : "?", false);
	say(s, "versions: kubectl %s, Kubernetes %s, istioctl %s, Istio %s", line[0], line[1],
	    line[2], line[3]);
	for (size_t n = 0; n < 4; n++)
		free(line[n]);
	json_decref(k);
	json_decref(i);
}

/*
 * No istioctl: the sync state from istiod's /debug/syncz through a
 * port-forward (forward.c), written as proxy-status.txt in the table form
 * the snapshot reader takes back; false with *why.
 */
static bool snap_syncz(struct snap *s, char **why)
{
	const struct proxy_status *rows;
	size_t n;
	const char *reason = NULL;
	if (!forward_syncz(s->l, s->model, why))
		return false;
	if (!cluster_proxy_status(s->model, &rows, &n, &reason)) {
		*why = xstrdup(reason ? reason : "no rows from /debug/syncz");
		return false;
	}
	char *text = proxy_status_format(rows, n);
	bool ok = snap_write(s, "proxy-status.txt", text, strlen(text), NULL);
	free(text);
	if (ok)
		say(s, "proxy-status: %zu proxies (from istiod's /debug/syncz: istioctl not found)", n);
	return ok;
}

static void snap_proxy_status(struct snap *s, const struct cmd *cmd, const struct exec_result *r)
{
	char *why = NULL;
	if (r->not_found) {
		if (snap_syncz(s, &why) || s->err)
			return;
		snap_unavailable(s, "proxy-status", why);
		say(s, "proxy-status: unavailable: %s", why);
		free(why);
		return;
	}
	why = lv_explain(s->l, cmd, r);
	struct proxy_status *rows;
	size_t n;
	/* only what the snapshot reader will accept is written */
	if (!why && live_parse_proxy_status(r->out, &rows, &n, &why)) {
		proxy_status_rows_free(rows, n);
		if (snap_write(s, "proxy-status.txt", r->out, r->out_len, NULL))
			say(s, "proxy-status: %zu proxies", n);
		return;
	}
	snap_unavailable(s, "proxy-status", why);
	say(s, "proxy-status: unavailable: %s", why);
	free(why);
}

struct log_job {
	const char *ns, *pod, *container;
	bool previous;
};

static bool crashing(json_t *st)
{
	const char *waiting = jstr(st, "state.waiting.reason");
	json_t *code = jpath(st, "state.terminated.exitCode");
	return json_integer_value(jpath(st, "restartCount")) > 0 ||
	       (waiting && strcmp(waiting, "CrashLoopBackOff") == 0) ||
	       (json_is_integer(code) && json_integer_value(code) != 0);
}

/* The logs worth keeping: istio-proxy, istiod's discovery, and crashing containers. */
static size_t pick_logs(struct snap *s, struct log_job **jobs, size_t *pods_skipped)
{
	const struct kobj_list *pods = cluster_list(s->model, "Pod", NULL);
	size_t n = 0, pods_logged = 0;
	*jobs = NULL;
	*pods_skipped = 0;
	for (size_t p = 0; p < pods->n; p++) {
		const struct kobj *pod = pods->v[p];
		const char *app = jstr(pod->j, "metadata.labels.app");
		bool istiod = app && strcmp(app, "istiod") == 0;
		size_t before = n;
		for (int init = 0; init < 2; init++) {
			json_t *sts = jpath(pod->j, init ? "status.initContainerStatuses"
							 : "status.containerStatuses");
			size_t i;
			json_t *st;
			json_array_foreach(sts, i, st) {
				const char *name = jstr(st, "name");
				if (!name || !live_log_names_ok(pod->ns, pod->name, name))
					continue;
				bool want = strcmp(name, "istio-proxy") == 0 || crashing(st) ||
					    (istiod && strcmp(name, "discovery") == 0);
				bool restarted = json_integer_value(jpath(st, "restartCount")) > 0;
				bool never_ran = jpath(st, "state.waiting") && !restarted;
				for (int prev = 0; want && prev < 2; prev++) {
					if (prev ? !restarted : never_ran)
						continue;
					*jobs = xrealloc(*jobs, (n + 1) * sizeof(**jobs));
					(*jobs)[n++] =
						(struct log_job){pod->ns, pod->name, name, prev};
				}
			}
		}
		if (n > before && pods_logged == LIVE_SNAPSHOT_LOG_PODS) {
			n = before;
			++*pods_skipped;
		} else if (n > before) {
			pods_logged++;
		}
	}
	return n;
}

static void snap_logs(struct snap *s)
{
	struct log_job *jobs;
	size_t skipped, written = 0, failed = 0;
	size_t n = pick_logs(s, &jobs, &skipped);
	json_t *fails = json_object();
	struct strlist pods = {0};
	/* a few at a time, so that only so many logs are held at once */
	enum { CHUNK = 4 * EXEC_PARALLEL };
	struct cmd cmds[CHUNK];
	struct exec_result res[CHUNK];
	for (size_t at = 0; at < n && !s->err; at += CHUNK) {
		size_t m = n - at < CHUNK ? n - at : CHUNK;
		for (size_t i = 0; i < m; i++) {
			const struct log_job *j = &jobs[at + i];
			lv_cmd_logs(&cmds[i], s->l, j->ns, j->pod, j->container, j->previous);
		}
		lv_run_cmds(s->l, m, cmds, res);
		for (size_t i = 0; i < m; i++) {
			const struct log_job *j = &jobs[at + i];
			char *rel = xasprintf("logs/%s/%s/%s%s.log", j->ns, j->pod, j->container,
					      j->previous ? ".previous" : "");
			char *why = lv_explain(s->l, &cmds[i], &res[i]);
			if (why) {
				char *key = xstrndup(rel + 5, strlen(rel) - 9);
				json_object_set_new(fails, key, json_string(why));
				free(key);
				failed++;
			} else if (snap_write(s, rel, res[i].out, res[i].out_len, NULL)) {
				char *pod = xasprintf("%s/%s", j->ns, j->pod);
				if (!sl_has(&pods, pod))
					sl_add(&pods, pod);
				free(pod);
				written++;
			}
			free(why);
			free(rel);
			exec_result_free(&res[i]);
		}
	}
	json_object_set_new(s->logs, "written", json_integer((json_int_t)written));
	json_object_set_new(s->logs, "pods", json_integer((json_int_t)pods.n));
	json_object_set_new(s->logs, "pods_skipped", json_integer((json_int_t)skipped));
	json_object_set_new(s->logs, "failed", fails);
	say(s, "logs: %zu written from %zu pods, %zu failed, %zu pods over the limit of %d skipped",
	    written, pods.n, failed, skipped, LIVE_SNAPSHOT_LOG_PODS);
	sl_free(&pods);
	free(jobs);
}

/* Read every kind (in ns and istio-system, or everywhere), versions and proxy-status at once. */
static size_t snap_read(struct snap *s, const char *ns, json_t *loaded, char **first_failure)
{
	enum { NK = LIVE_NKINDS };
	struct cmd cmds[2 * NK + 4];
	struct exec_result res[2 * NK + 4];
	size_t main_i[NK], extra_i[NK], n = 0;
	bool extra_ns = ns && strcmp(ns, "istio-system") != 0;
	for (size_t k = 0; k < NK; k++) {
		main_i[k] = n;
		lv_cmd_get(&cmds[n++], s->l, &live_kind_table[k], ns);
		extra_i[k] = SIZE_MAX;
		if (extra_ns && !live_kind_table[k].cluster_scoped) {
			extra_i[k] = n;
			lv_cmd_get(&cmds[n++], s->l, &live_kind_table[k], "istio-system");
		}
	}
	size_t kv = n, iv = n + 1, ps = n + 2, cc = n + 3;
	lv_cmd_start(&cmds[kv], "kubectl", "version");
	lv_cmd_start(&cmds[iv], "istioctl", "version");
	lv_cmd_start(&cmds[ps], "istioctl", "proxy-status");
	/* the context used, for meta.json, when --context does not say it */
	lv_cmd_start(&cmds[cc], "kubectl", "config");
	lv_arg(&cmds[cc], "current-context");
	for (size_t i = kv; i < kv + 2; i++) {
		lv_arg(&cmds[i], "-o");
		lv_arg(&cmds[i], "json");
	}
	for (size_t i = kv; i < kv + 4; i++)
		lv_cmd_finish(&cmds[i], s->l);
	n += s->l->context ? 3 : 4;
	say(s, "reading %zu kinds (%s%s%s), versions and proxy-status", (size_t)NK,
	    ns ? "namespace " : "all namespaces", ns ? ns : "", extra_ns ? " and istio-system" : "");
	lv_run_cmds(s->l, n, cmds, res);
	if (!s->l->context && n > cc && res[cc].status == 0 && res[cc].out) {
		size_t len = strcspn(res[cc].out, "\r\n");
		free(s->context);
		s->context = len ? xstrndup(res[cc].out, len) : NULL;
	}
	/* what the cluster lacks in the version asked for is read again by its plain name */
	struct cmd again[2 * NK];
	size_t at[2 * NK], nre = 0;
	for (size_t k = 0; k < NK; k++)
		for (int w = 0; w < 2 && live_kind_table[k].fallback; w++) {
			size_t i = w ? extra_i[k] : main_i[k];
			char *why = i == SIZE_MAX ? NULL : lv_explain(s->l, &cmds[i], &res[i]);
			if (why && strncmp(why, "not found: ", 11) == 0) {
				at[nre] = i;
				lv_cmd_get_as(&again[nre++], s->l, &live_kind_table[k],
					      w ? "istio-system" : ns, true);
			}
			free(why);
		}
	if (nre) {
		struct exec_result ares[2 * NK];
		lv_run_cmds(s->l, nre, again, ares);
		for (size_t j = 0; j < nre; j++) {
			exec_result_free(&res[at[j]]);
			res[at[j]] = ares[j];
			cmds[at[j]] = again[j];
			/* the argv points into the command's own buffer: fix it up after the copy */
			for (size_t a = 0; a < cmds[at[j]].n; a++)
				if (again[j].v[a] == again[j].rt)
					cmds[at[j]].v[a] = cmds[at[j]].rt;
		}
	}
	size_t objects = 0;
	for (size_t k = 0; k < NK; k++) {
		size_t m = main_i[k], x = extra_i[k];
		char *why = lv_explain(s->l, &cmds[m], &res[m]);
		json_t *items = why ? NULL : live_parse_items(&live_kind_table[k], &cmds[m], &res[m], &why);
		if (!items) {
			snap_unavailable(s, live_kind_table[k].kind, why);
			say(s, "%s: unavailable: %s", live_kind_table[k].kind, why);
			if (!*first_failure)
				*first_failure = why;
			else
				free(why);
			continue;
		}
		size_t count = snap_add(s, items);
		if (x != SIZE_MAX) {
			why = lv_explain(s->l, &cmds[x], &res[x]);
			items = why ? NULL : live_parse_items(&live_kind_table[k], &cmds[x], &res[x], &why);
			if (items) {
				count += snap_add(s, items);
			} else {
				char *p = xasprintf("istio-system: %s", why);
				json_object_set_new(s->partial, live_kind_table[k].kind, json_string(p));
				free(p);
			}
		}
		objects += count;
		json_array_append_new(loaded, json_string(live_kind_table[k].kind));
		cluster_mark_loaded(s->model, live_kind_table[k].kind);
		if (why)
			say(s, "%s: %zu object%s (not in istio-system: %s)", live_kind_table[k].kind, count,
			    count == 1 ? "" : "s", why);
		else
			say(s, "%s: %zu object%s", live_kind_table[k].kind, count, count == 1 ? "" : "s");
		free(why);
	}
	/* over the object limit nothing is written (live_snapshot refuses the cluster) */
	if (json_array_size(loaded) && json_array_size(s->items) <= mm_limits.objects) {
		snap_versions(s, &cmds[kv], &res[kv], &cmds[iv], &res[iv]);
		snap_proxy_status(s, &cmds[ps], &res[ps]);
	}
	for (size_t i = 0; i < n; i++)
		exec_result_free(&res[i]);
	return objects;
}

static char *utc_now(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

int live_snapshot(const struct live_opts *o, const char *dir, const char *ns, FILE *progress,
		  char **err)
{
	*err = NULL;
	if (ns && !is_dns1123_label(ns)) {
		char *clean = sanitize(ns, false);
		*err = xasprintf("invalid namespace name '%s'", clean);
		free(clean);
		return -1;
	}
	struct live *l = live_new(o, err);
	if (!l)
		return -1;
	bool created = false;
	if (!mkdir_p(dir, &created, err)) {
		live_free(l);
		return -1;
	}
	struct snap s = {.l = l, .dir = dir, .progress = progress};
	s.items = json_array();
	s.model = cluster_new();
	s.unavailable = json_object();
	s.partial = json_object();
	s.versions = json_object();
	s.logs = json_object();
	json_t *loaded = json_array();
	char *first_failure = NULL;
	char *created_at = utc_now();
	size_t objects = snap_read(&s, ns, loaded, &first_failure);
	int rc = -1;
	if (!json_array_size(loaded)) {
		*err = xasprintf("nothing could be read: %s", first_failure);
		if (created)
			rmdir(dir);
		goto out;
	}
	if (json_array_size(s.items) > mm_limits.objects) {
		*err = xasprintf("the cluster has more than %zu objects (the limit of objects per "
				 "snapshot): nothing written",
				 mm_limits.objects);
		if (created)
			rmdir(dir);
		goto out;
	}
	snap_logs(&s);
	/* --envoy: the admin documents, through port-forwards (forward.c) */
	json_t *envoy = NULL;
	if (o->envoy && !s.err && !forward_record_envoy(l, s.model, dir, ns, progress, &envoy, &s.err))
		json_decref(envoy), envoy = NULL;
	json_t *list = json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind", "List", "items",
				 s.items);
	snap_write(&s, "resources.json", NULL, 0, list);
	json_decref(list);
	json_t *meta = json_pack("{s:s, s:s, s:s?, s:s?, s:O, s:O, s:O, s:O, s:O}", "meshmedic",
				 PACKAGE_VERSION, "created", created_at, "context", l->context ? l->context : s.context,
				 "namespace", ns, "versions", s.versions, "loaded", loaded,
				 "unavailable", s.unavailable, "partial", s.partial, "logs",
				 s.logs);
	if (envoy)
		json_object_set_new(meta, "envoy", envoy);
	snap_write(&s, "meta.json", NULL, 0, meta);
	json_decref(meta);
	if (s.err) {
		*err = s.err;
		s.err = NULL;
		goto out;
	}
	say(&s, "wrote %s: %zu objects of %zu kinds, %zu unavailable", dir, objects,
	    json_array_size(loaded), json_object_size(s.unavailable));
	rc = 0;
out:
	free(created_at);
	free(first_failure);
	json_decref(loaded);
	json_decref(s.items);
	json_decref(s.unavailable);
	json_decref(s.partial);
	json_decref(s.versions);
	json_decref(s.logs);
	cluster_free(s.model);
	free(s.context);
	free(s.err);
	live_free(l);
	return rc;
}
