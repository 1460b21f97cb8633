#include "cluster/snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/jsonpos.h"
#include "cluster/bugreport.h"
#include "base/limits.h"
#include "cluster/exec.h"
#include "cluster/live.h"
#include "cluster/proxystatus.h"
#include "base/yamljson.h"

/* The kinds probes read: in a snapshot, a kind with no object means there is none. */
static const char *const known_kinds[] = {
	"Namespace",      "Pod",           "Service",       "Endpoints",
	"Deployment",     "StatefulSet",   "DaemonSet",     "ConfigMap",
	"MutatingWebhookConfiguration",    "Event",         "VirtualService",
	"DestinationRule", "Gateway",      "PeerAuthentication", "ServiceEntry",
	"Sidecar",        "EnvoyFilter",   "AuthorizationPolicy", "RequestAuthentication",
	"Telemetry",      KIND_K8S_GATEWAY,
};

struct loader {
	struct cluster *c;
	struct mm_errors *errs;
	const char *path;
	/* a JSON text, indexed for positions only when an error needs one */
	const char *text;
	size_t len;
	struct jpos *pos;
	bool full; /* mm_limits.objects reached: said once */
};

/* Where ptr sits in a JSON file (building the index on first use); line stays for YAML. */
static void where(struct loader *l, const char *ptr, int *line, int *col)
{
	*col = 1;
	if (!l->text)
		return;
	if (!l->pos)
		l->pos = jpos_build(l->text, l->len);
	jpos_nearest(l->pos, ptr, false, line, col);
}

/* Add one object, or each item of a List; ptr is its JSON Pointer (for lines). */
static void add_object(struct loader *l, json_t *o, const char *ptr, int line)
{
	int col = 1;
	if (!json_is_object(o) || !jstr(o, "kind") || !jstr(o, "metadata.name"))
		where(l, ptr, &line, &col);
	if (!json_is_object(o)) {
		errs_add(l->errs, l->path, line, col, "a Kubernetes object must be a JSON/YAML mapping");
		json_decref(o);
		return;
	}
	const char *kind = jstr(o, "kind");
	json_t *items = json_object_get(o, "items");
	if (kind && str_ends_with(kind, "List") && json_is_array(items)) {
		/* "PodList" items may lack their kind; the list's name gives it */
		char *item_kind = strcmp(kind, "List") ? xstrndup(kind, strlen(kind) - 4) : NULL;
		for (size_t i = 0; i < json_array_size(items); i++) {
			json_t *it = json_array_get(items, i);
			if (item_kind && json_is_object(it) && !json_object_get(it, "kind"))
				json_object_set_new(it, "kind", json_string(item_kind));
			char *p = xasprintf("%s/items/%zu", ptr, i);
			add_object(l, json_incref(it), p, line);
			free(p);
		}
		free(item_kind);
		json_decref(o);
		return;
	}
	if (!kind || !jstr(o, "metadata.name")) {
		errs_add(l->errs, l->path, line, col, "not a Kubernetes object: it has no %s",
			 kind ? "metadata.name" : "kind");
		json_decref(o);
		return;
	}
	if (!cluster_add(l->c, o, l->path, line) && cluster_full(l->c) && !l->full) {
		l->full = true;
		errs_add(l->errs, l->path, line, col, "the snapshot has more than %zu objects",
			 mm_limits.objects);
	}
}

static void yaml_doc(void *ctx, json_t *doc, int line)
{
	add_object(ctx, doc, "", line);
}

static void load_manifest(struct cluster *c, const char *path, struct mm_errors *errs)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		errs_add(errs, path, 0, 0, "cannot read: %s", read_strerror(errno));
		return;
	}
	struct loader l = {c, errs, path, NULL, 0, NULL, false};
	size_t skip = strspn(text, " \t\r\n");
	if (text[skip] == '{' || text[skip] == '[') {
		json_t *j = json_parse_text(path, text, len, errs);
		if (j) {
			l.text = text;
			l.len = len;
			if (json_is_array(j)) {
				for (size_t i = 0; i < json_array_size(j); i++) {
					char *p = xasprintf("/%zu", i);
					add_object(&l, json_incref(json_array_get(j, i)), p, 1);
					free(p);
				}
				json_decref(j);
			} else {
				add_object(&l, j, "", 1);
			}
			jpos_free(l.pos);
		}
	} else {
		yaml_to_json(path, text, len, yaml_doc, &l, errs);
	}
	free(text);
}

static bool is_manifest(const char *name)
{
	return str_ends_with(name, ".json") || str_ends_with(name, ".yaml") ||
	       str_ends_with(name, ".yml");
}

static void load_dir(struct cluster *c, const char *dir, struct mm_errors *errs, int depth)
{
	struct strlist names = {0};
	if (!list_dir(dir, &names)) {
		errs_add(errs, dir, 0, 0, "cannot read: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8)
			load_dir(c, p, errs, depth + 1);
		else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && is_manifest(names.v[i]))
			load_manifest(c, p, errs);
		free(p);
	}
	sl_free(&names);
}

/* proxy-status.txt: parsed rows, or an error naming the file. */
static void snapshot_add_proxy_status(struct cluster *c, const char *path, const char *text,
				      struct mm_errors *errs)
{
	struct proxy_status *rows = NULL;
	size_t n = 0;
	char *err = NULL;
	if (!proxy_status_parse(text, &rows, &n, &err)) {
		errs_add(errs, path, 1, 1, "not istioctl proxy-status output: %s", err ? err : "?");
		free(err);
		return;
	}
	cluster_take_proxy_status(c, rows, n, NULL);
}

/*
 * A snapshot of one namespace (meta.json "namespace") holds its namespaced
 * kinds there and in istio-system only, or there only where "partial" says
 * istio-system could not be read: each is partial, so nothing is concluded
 * from what was not recorded.
 */
static void load_meta_partial(struct cluster *c, json_t *m)
{
	const char *ns = jstr(m, "namespace");
	size_t i;
	json_t *k;
	json_t *partial = json_object_get(m, "partial");
	json_array_foreach(json_object_get(m, "loaded"), i, k) {
		const char *kind = json_string_value(k);
		const char *res = kind ? live_resource(kind) : NULL;
		const char *why = jstr(partial, kind ? kind : "");
		if (!res || (!ns && !why) || live_kind_cluster_scoped(kind))
			continue;
		const char *nss[] = {ns, why ? NULL : "istio-system", NULL};
		char *reason = why ? xasprintf("the snapshot recorded namespace %s only (%s)",
					       ns ? ns : "?", why)
				   : xasprintf("the snapshot recorded namespaces %s and istio-system only", ns);
		cluster_mark_partial(c, kind, ns ? nss : nss + 2, reason);
		free(reason);
	}
}

/* meta.json: the Istio version, and the kinds that could not be recorded. */
static void load_meta(struct cluster *c, const char *dir, struct mm_errors *errs)
{
	char *path = xasprintf("%s/meta.json", dir);
	size_t len;
	char *text = read_file(path, &len);
	if (text) {
		json_t *m = json_parse_text(path, text, len, errs);
		const char *v = jstr(m, "versions.istio");
		if (v)
			cluster_set_istio_version(c, v);
		const char *k;
		json_t *why;
		/* "proxy-status" there says why proxy-status.txt is missing; the rest are kinds */
		json_object_foreach(json_object_get(m, "unavailable"), k, why) {
			if (json_is_string(why) && strcmp(k, "proxy-status") == 0) {
				cluster_mark_proxy_status(c, json_string_value(why));
			} else if (json_is_string(why)) {
				/* a recorded Forbidden says what to ask for, as it does live */
				char *said = exec_forbidden(json_string_value(why));
				cluster_mark_unavailable(c, k, said ? said : json_string_value(why));
				free(said);
			}
		}
		load_meta_partial(c, m);
		json_decref(m);
	}
	free(text);
	free(path);
}

/* Whether dir holds name (a file or a folder). */
static bool has_part(const char *dir, const char *name)
{
	struct stat st;
	char *p = xasprintf("%s/%s", dir, name);
	bool has = stat(p, &st) == 0;
	free(p);
	return has;
}

/* A snapshot directory's parts other than resources.json. */
static bool snapshot_parts(const char *dir)
{
	static const char *const parts[] = {"proxy-status.txt", "meta.json", "logs", "envoy"};
	for (size_t i = 0; i < MM_ARRAY_LEN(parts); i++)
		if (has_part(dir, parts[i]))
			return true;
	return false;
}

/* proxy-status.txt and meta.json of a snapshot directory. */
static void load_parts(struct cluster *c, const char *path, struct mm_errors *errs)
{
	cluster_set_snapshot_dir(c, path);
	char *ps = xasprintf("%s/proxy-status.txt", path);
	char *text = read_file(ps, NULL);
	if (!text && errno == EFBIG)
		errs_add(errs, ps, 0, 0, "cannot read: %s", read_strerror(errno));
	else if (!text)
		cluster_mark_proxy_status(c, "no proxy-status.txt in the snapshot");
	else
		snapshot_add_proxy_status(c, ps, text, errs);
	free(text);
	free(ps);
	/* after proxy-status: a reason meta.json recorded replaces the generic one */
	load_meta(c, path, errs);
}

struct cluster *snapshot_open(const char *path, struct mm_errors *errs)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		errs_add(errs, path, 0, 0, "cannot read snapshot: %s", strerror(errno));
		return NULL;
	}
	/* an istioctl bug-report archive, or the directory it unpacks to */
	if (bugreport_is(path))
		return bugreport_open(path, errs);
	size_t before = errs->n;
	struct cluster *c = cluster_new();
	char *resources = xasprintf("%s/resources.json", path);
	bool dir = S_ISDIR(st.st_mode), partial = false;
	if (dir && stat(resources, &st) == 0) {
		/* a snapshot directory */
		load_manifest(c, resources, errs);
		load_parts(c, path, errs);
	} else if (dir && snapshot_parts(path)) {
		/* a snapshot directory without resources.json: no kind was recorded */
		load_parts(c, path, errs);
		partial = true;
	} else if (dir) {
		load_dir(c, path, errs, 0);
		cluster_mark_proxy_status(c, "manifests only: no proxy-status");
	} else {
		load_manifest(c, path, errs);
		cluster_mark_proxy_status(c, "manifests only: no proxy-status");
	}
	free(resources);
	/* nothing to read is an input error, not a healthy cluster */
	if (errs->n == before && !partial && cluster_size(c) == 0)
		errs_add(errs, path, 0, 0,
		         dir ? "no Kubernetes objects: the directory holds no resources.json, "
		               "proxy-status.txt or *.yaml, *.yml, *.json manifests"
		             : "no Kubernetes objects in the file");
	for (size_t i = 0; i < MM_ARRAY_LEN(known_kinds) && partial; i++)
		cluster_mark_unavailable(c, known_kinds[i],
		                         "not recorded: the snapshot has no resources.json");
	for (size_t i = 0; i < MM_ARRAY_LEN(known_kinds) && !partial; i++) {
		const char *why;
		/* a kind meta.json marks unavailable stays so */
		if (!cluster_has_kind(c, known_kinds[i], &why) && strcmp(why, "not recorded") == 0)
			cluster_mark_loaded(c, known_kinds[i]);
	}
	if (errs->n > before) {
		cluster_free(c);
		return NULL;
	}
	return c;
}
