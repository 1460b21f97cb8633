#include "cluster/snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/jsonpos.h"
#include "base/limits.h"
#include "cluster/exec.h"
#include "cluster/proxystatus.h"
#include "base/yamljson.h"

/* The kinds probes read: in a snapshot, a kind with no object means there is none. */
static const char *const known_kinds[] = {
	"Namespace",      "Pod",           "Service",       "Endpoints",
	"Deployment",     "StatefulSet",   "DaemonSet",     "ConfigMap",
	"MutatingWebhookConfiguration",    "Event",         "VirtualService",
	"DestinationRule", "Gateway",      "PeerAuthentication", "ServiceEntry",
	"Sidecar",        "EnvoyFilter",   "AuthorizationPolicy", "RequestAuthentication",
	"Telemetry",
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
	cluster_mark_proxy_status(c, NULL);
	for (size_t i = 0; i < n; i++)
		cluster_add_proxy_status(c, &rows[i]);
	proxy_status_rows_free(rows, n);
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
		json_decref(m);
	}
	free(text);
	free(path);
}

struct cluster *snapshot_open(const char *path, struct mm_errors *errs)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		errs_add(errs, path, 0, 0, "cannot read snapshot: %s", strerror(errno));
		return NULL;
	}
	size_t before = errs->n;
	struct cluster *c = cluster_new();
	char *resources = xasprintf("%s/resources.json", path);
	if (S_ISDIR(st.st_mode) && stat(resources, &st) == 0) {
		/* a snapshot directory */
		cluster_set_snapshot_dir(c, path);
		load_manifest(c, resources, errs);
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
	} else if (S_ISDIR(st.st_mode)) {
		load_dir(c, path, errs, 0);
		cluster_mark_proxy_status(c, "manifests only: no proxy-status");
	} else {
		load_manifest(c, path, errs);
		cluster_mark_proxy_status(c, "manifests only: no proxy-status");
	}
	free(resources);
	for (size_t i = 0; i < MM_ARRAY_LEN(known_kinds); i++) {
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
