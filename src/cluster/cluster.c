#include "cluster/cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster/envoy.h"
#include "cluster/proxystatus.h"
#include "base/limits.h"
#include "base/yamljson.h"

/* A string-keyed hash map with open addressing; the map owns its keys. */
struct hmap {
	char **keys;
	void **vals;
	size_t cap, n;
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void **hmap_slot(struct hmap *m, const char *key, bool create);

static void hmap_grow(struct hmap *m)
{
	struct hmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->keys = xcalloc(m->cap, sizeof(char *));
	m->vals = xcalloc(m->cap, sizeof(void *));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			*hmap_slot(m, old.keys[i], true) = old.vals[i];
			free(old.keys[i]);
		}
	free(old.keys);
	free(old.vals);
}

/* The value slot of key; NULL if absent and !create. */
static void **hmap_slot(struct hmap *m, const char *key, bool create)
{
	if (create && (m->n + 1) * 2 > m->cap)
		hmap_grow(m);
	if (!m->cap)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			if (!create)
				return NULL;
			m->keys[i] = xstrdup(key);
			m->n++;
			return &m->vals[i];
		}
		if (strcmp(m->keys[i], key) == 0)
			return &m->vals[i];
	}
}

static void hmap_free(struct hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			free(m->keys[i]);
			if (free_val)
				free_val(m->vals[i]);
		}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* A kind read in some namespaces only; the others are not known. */
struct partial {
	char *kind, *reason; /* why the rest is not known */
	struct strlist nss;  /* the namespaces read */
};

struct cluster {
	struct kobj **objs;
	size_t nobjs, cap;
	struct hmap by_id;    /* "kind/ns/name" -> struct kobj * */
	struct hmap lists;    /* "kind/ns", and "kind/" + "*" for all, -> struct kobj_list * */
	struct hmap unavail;  /* kind -> reason */
	struct partial *partial; /* kinds read in some namespaces only */
	size_t npartial;
	char *retry_reason;   /* why the last cancelled read failed (not remembered) */
	struct strlist loaded, files, namespaces;
	struct proxy_status *ps;
	size_t nps;
	bool ps_known;
	char *ps_reason;
	json_t *mesh;
	char *mesh_problem; /* why ConfigMap istio's mesh key could not be read, or NULL */
	const char *control_ns; /* found once: every detector and probe asks */
	bool mesh_done;
	char *version;
	char *version_note; /* where the version was read, or why it is unknown */
	bool version_done;
	char *snapshot_dir;
	const struct cluster_source *src;
	struct hmap docs;     /* cluster_memo: key -> struct doc * */
	char *envoy_admin, *prometheus;
	int http_timeout;
	/* logs and admin documents a source read at once (a bug-report archive), and what it is */
	struct hmap held_logs; /* "NS/POD/CONTAINER[/previous]" -> text */
	char *held_origin;
};

/* An Envoy admin document as read, or why it could not be. */
struct doc {
	json_t *j;
	char *reason;
};

static void doc_free(void *p)
{
	struct doc *d = p;
	json_decref(d->j);
	free(d->reason);
	free(d);
}

struct cluster *cluster_new(void)
{
	struct cluster *c = xcalloc(1, sizeof(struct cluster));
	c->http_timeout = 10000;
	return c;
}

static void list_free(void *p)
{
	struct kobj_list *l = p;
	free(l->v);
	free(l);
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nobjs; i++) {
		json_decref(c->objs[i]->j);
		free(c->objs[i]);
	}
	free(c->objs);
	hmap_free(&c->by_id, NULL);
	hmap_free(&c->lists, list_free);
	hmap_free(&c->unavail, free);
	free(c->retry_reason);
	sl_free(&c->loaded);
	for (size_t i = 0; i < c->npartial; i++) {
		free(c->partial[i].kind);
		free(c->partial[i].reason);
		sl_free(&c->partial[i].nss);
	}
	free(c->partial);
	sl_free(&c->files);
	sl_free(&c->namespaces);
	proxy_status_rows_free(c->ps, c->nps);
	free(c->ps_reason);
	json_decref(c->mesh);
	free(c->mesh_problem);
	free(c->version);
	free(c->version_note);
	free(c->snapshot_dir);
	hmap_free(&c->docs, doc_free);
	free(c->envoy_admin);
	free(c->prometheus);
	hmap_free(&c->held_logs, free);
	free(c->held_origin);
	if (c->src && c->src->free)
		c->src->free(c->src->ctx);
	free(c);
}

static void list_add(struct cluster *c, const char *key, const struct kobj *o)
{
	void **slot = hmap_slot(&c->lists, key, true);
	if (!*slot)
		*slot = xcalloc(1, sizeof(struct kobj_list));
	struct kobj_list *l = *slot;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = o;
}

/* Interned file names, so that objects can point at them. */
static const char *intern_file(struct cluster *c, const char *file)
{
	if (!file)
		return "";
	if (c->files.n && strcmp(c->files.v[c->files.n - 1], file) == 0)
		return c->files.v[c->files.n - 1];
	sl_add(&c->files, file);
	return c->files.v[c->files.n - 1];
}

/* The kind an object is indexed under: its own, or KIND_K8S_GATEWAY. */
static const char *model_kind(json_t *obj)
{
	const char *kind = jstr(obj, "kind"), *api = jstr(obj, "apiVersion");
	if (kind && strcmp(kind, "Gateway") == 0 && api &&
	    strncmp(api, "gateway.networking.k8s.io/", 26) == 0)
		return KIND_K8S_GATEWAY;
	return kind;
}

bool cluster_add(struct cluster *c, json_t *obj, const char *file, int line)
{
	const char *kind = model_kind(obj), *name = jstr(obj, "metadata.name");
	if (!kind || !name || !*kind || !*name) {
		json_decref(obj);
		return false;
	}
	const char *ns = jstr(obj, "metadata.namespace");
	if (!ns)
		ns = "";
	char *id = xasprintf("%s/%s/%s", kind, ns, name);
	if (c->nobjs >= mm_limits.objects && !hmap_slot(&c->by_id, id, false)) {
		free(id);
		json_decref(obj);
		return false;
	}
	void **slot = hmap_slot(&c->by_id, id, true);
	struct kobj *o;
	bool fresh = !*slot;
	if (!fresh) {
		/* the same object twice (two manifests): the later one wins */
		o = *slot;
		json_decref(o->j);
	} else {
		o = xcalloc(1, sizeof(*o));
		*slot = o;
		if (c->nobjs == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 256;
			c->objs = xrealloc(c->objs, c->cap * sizeof(*c->objs));
		}
		c->objs[c->nobjs++] = o;
	}
	o->j = obj;
	o->kind = kind;
	o->name = jstr(obj, "metadata.name");
	o->ns = jstr(obj, "metadata.namespace");
	if (!o->ns)
		o->ns = "";
	o->file = intern_file(c, file);
	o->line = line;
	if (fresh) {
		char *k = xasprintf("%s/%s", kind, ns), *all = xasprintf("%s/*", kind);
		list_add(c, k, o);
		list_add(c, all, o);
		free(k);
		free(all);
	}
	if (*ns && !sl_has(&c->namespaces, ns))
		sl_add(&c->namespaces, ns);
	if (strcmp(kind, "Namespace") == 0 && !sl_has(&c->namespaces, o->name))
		sl_add(&c->namespaces, o->name);
	free(id);
	return true;
}

size_t cluster_size(const struct cluster *c)
{
	return c->nobjs;
}

bool cluster_full(const struct cluster *c)
{
	return c->nobjs >= mm_limits.objects;
}

void cluster_mark_loaded(struct cluster *c, const char *kind)
{
	if (!sl_has(&c->loaded, kind))
		sl_add(&c->loaded, kind);
}

void cluster_mark_unavailable(struct cluster *c, const char *kind, const char *reason)
{
	void **slot = hmap_slot(&c->unavail, kind, true);
	free(*slot);
	*slot = xstrdup(reason);
}

static struct partial *partial_find(const struct cluster *c, const char *kind)
{
	for (size_t i = 0; i < c->npartial; i++)
		if (strcmp(c->partial[i].kind, kind) == 0)
			return &c->partial[i];
	return NULL;
}

void cluster_mark_partial(struct cluster *c, const char *kind, const char *const nss[],
			  const char *reason)
{
	struct partial *p = partial_find(c, kind);
	if (!p) {
		c->partial = xrealloc(c->partial, (c->npartial + 1) * sizeof(*c->partial));
		p = &c->partial[c->npartial++];
		memset(p, 0, sizeof(*p));
		p->kind = xstrdup(kind);
	}
	free(p->reason);
	p->reason = xstrdup(reason);
	sl_free(&p->nss);
	for (size_t i = 0; nss && nss[i]; i++)
		if (!sl_has(&p->nss, nss[i]))
			sl_add(&p->nss, nss[i]);
	cluster_mark_loaded(c, kind);
}

bool cluster_kind_partial(struct cluster *c, const char *kind, const char **reason)
{
	const struct partial *p = partial_find(c, kind);
	if (p && reason)
		*reason = p->reason;
	return p != NULL;
}

size_t cluster_partial_count(const struct cluster *c)
{
	return c->npartial;
}

const char *cluster_partial_at(const struct cluster *c, size_t i, const char **reason)
{
	if (i >= c->npartial)
		return NULL;
	if (reason)
		*reason = c->partial[i].reason;
	return c->partial[i].kind;
}

bool cluster_has_kind_in(struct cluster *c, const char *kind, const char *ns, const char **reason)
{
	if (!cluster_has_kind(c, kind, reason))
		return false;
	const struct partial *p = partial_find(c, kind);
	/* a cluster-scoped kind, or one read everywhere */
	if (!p || !ns || !*ns || sl_has(&p->nss, ns))
		return true;
	if (reason)
		*reason = p->reason;
	return false;
}

/*
 * Whether the source's failure why is a read the person cancelled: then it
 * is not remembered (the next look-up reads again), only handed to the caller.
 */
static bool cancelled(struct cluster *c, char *why, const char **reason)
{
	if (!why || strncmp(why, CLUSTER_CANCELLED, strlen(CLUSTER_CANCELLED)) != 0)
		return false;
	free(c->retry_reason);
	c->retry_reason = why;
	if (reason)
		*reason = why;
	return true;
}

bool cluster_has_kind(struct cluster *c, const char *kind, const char **reason)
{
	if (sl_has(&c->loaded, kind))
		return true;
	void **slot = hmap_slot(&c->unavail, kind, false);
	if (!slot && c->src && c->src->load_kind) {
		char *why = NULL;
		if (c->src->load_kind(c->src->ctx, c, kind, &why)) {
			cluster_mark_loaded(c, kind);
			free(why);
			return true;
		}
		if (cancelled(c, why, reason))
			return false;
		cluster_mark_unavailable(c, kind, why ? why : "could not be read");
		free(why);
		slot = hmap_slot(&c->unavail, kind, false);
	}
	if (reason)
		*reason = slot ? *slot : "not recorded";
	return false;
}

const struct kobj *cluster_get(struct cluster *c, const char *kind, const char *ns,
			       const char *name)
{
	cluster_has_kind(c, kind, NULL);
	char *id = xasprintf("%s/%s/%s", kind, ns ? ns : "", name);
	void **slot = hmap_slot(&c->by_id, id, false);
	free(id);
	return slot ? *slot : NULL;
}

const struct kobj_list *cluster_list(struct cluster *c, const char *kind, const char *ns)
{
	static const struct kobj_list empty;
	cluster_has_kind(c, kind, NULL);
	char *key = xasprintf("%s/%s", kind, ns ? ns : "*");
	void **slot = hmap_slot(&c->lists, key, false);
	free(key);
	return slot ? *slot : &empty;
}

struct kobj_list cluster_select(struct cluster *c, const char *kind, const char *ns,
				json_t *match_labels)
{
	struct kobj_list out = {0};
	const struct kobj_list *all = cluster_list(c, kind, ns);
	for (size_t i = 0; i < all->n; i++)
		if (labels_match(match_labels, jpath(all->v[i]->j, "metadata.labels"))) {
			if (out.n == out.cap) {
				out.cap = out.cap ? out.cap * 2 : 8;
				out.v = xrealloc(out.v, out.cap * sizeof(*out.v));
			}
			out.v[out.n++] = all->v[i];
		}
	return out;
}

const struct strlist *cluster_namespaces(struct cluster *c)
{
	cluster_has_kind(c, "Namespace", NULL);
	return &c->namespaces;
}

void cluster_set_source(struct cluster *c, const struct cluster_source *src)
{
	c->src = src;
}

const struct cluster_source *cluster_source(const struct cluster *c)
{
	return c->src;
}

void cluster_set_snapshot_dir(struct cluster *c, const char *dir)
{
	free(c->snapshot_dir);
	c->snapshot_dir = dir ? xstrdup(dir) : NULL;
}

const char *cluster_snapshot_dir(const struct cluster *c)
{
	return c->snapshot_dir;
}

/* Why a part of the snapshot could not be read, in words: a missing file was not recorded. */
static char *snapshot_missing(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return xstrdup("not recorded in the snapshot");
	return xasprintf("in the snapshot but unreadable: %s", read_strerror(err));
}

char *cluster_log(struct cluster *c, const char *ns, const char *pod, const char *container,
		  bool previous, char **reason)
{
	if (c->src && c->src->read_log)
		return c->src->read_log(c->src->ctx, ns, pod, container, previous, reason);
	if (c->held_origin) {
		char *key = xasprintf("%s/%s/%s%s", ns, pod, container, previous ? "/previous" : "");
		void **slot = hmap_slot(&c->held_logs, key, false);
		free(key);
		if (slot)
			return xstrdup(*slot);
		*reason = xasprintf("no %slog of %s/%s container %s in %s", previous ? "previous " : "",
				    ns, pod, container, c->held_origin);
		return NULL;
	}
	if (!c->snapshot_dir) {
		*reason = xstrdup("no container logs in this snapshot (manifests only)");
		return NULL;
	}
	char *path = xasprintf("%s/logs/%s/%s/%s%s.log", c->snapshot_dir, ns, pod, container,
			       previous ? ".previous" : "");
	char *text = read_file(path, NULL);
	if (!text) {
		char *why = snapshot_missing(errno);
		*reason = xasprintf("no %slog of %s/%s container %s: %s", previous ? "previous " : "",
				    ns, pod, container, why);
		free(why);
	}
	free(path);
	return text;
}

/* A document from the snapshot's envoy/NS/POD/DOC.json. */
static json_t *snapshot_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
			    char **reason)
{
	if (c->held_origin) {
		*reason = xasprintf("no Envoy %s of %s/%s in %s", doc, ns, pod, c->held_origin);
		return NULL;
	}
	if (!c->snapshot_dir) {
		*reason = xstrdup("no Envoy admin documents in this snapshot (manifests only)");
		return NULL;
	}
	char *path = xasprintf("%s/envoy/%s/%s/%s.json", c->snapshot_dir, ns, pod, doc);
	json_error_t je;
	json_t *j = NULL;
	char *text = read_file(path, NULL);
	if (!text) {
		char *why = snapshot_missing(errno);
		*reason = xasprintf("no Envoy %s of %s/%s: %s", doc, ns, pod, why);
		free(why);
	} else if (!(j = json_loads(text, 0, &je)))
		*reason = xasprintf("%s:%d:%d: %s", path, je.line, je.column, je.text);
	free(text);
	free(path);
	return j;
}

json_t *cluster_memo(struct cluster *c, const char *key, cluster_loader load, void *arg,
		     const char **reason)
{
	void **slot = hmap_slot(&c->docs, key, true);
	if (!*slot) {
		struct doc *d = xcalloc(1, sizeof(*d));
		d->j = load(c, arg, &d->reason);
		if (!d->j && !d->reason)
			d->reason = xstrdup("unknown");
		*slot = d;
	}
	struct doc *d = *slot;
	if (!d->j && reason)
		*reason = d->reason;
	return d->j;
}

struct doc_ref {
	const char *ns, *pod, *doc;
};

static json_t *load_envoy_doc(struct cluster *c, void *arg, char **reason)
{
	const struct doc_ref *r = arg;
	if (!envoy_doc_known(r->doc)) {
		*reason = xasprintf("no Envoy admin document '%s'", r->doc);
		return NULL;
	}
	if (c->envoy_admin)
		return envoy_fetch(c->envoy_admin, r->doc, c->http_timeout, reason);
	if (c->src && c->src->read_admin)
		return c->src->read_admin(c->src->ctx, r->ns, r->pod, r->doc, reason);
	return snapshot_doc(c, r->ns, r->pod, r->doc, reason);
}

json_t *cluster_envoy_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
			  const char **reason)
{
	struct doc_ref r = {ns, pod, doc};
	char *key = xasprintf("envoy/%s/%s/%s", ns, pod, doc);
	json_t *j = cluster_memo(c, key, load_envoy_doc, &r, reason);
	free(key);
	return j;
}

void cluster_hold_files(struct cluster *c, const char *origin)
{
	free(c->held_origin);
	c->held_origin = xstrdup(origin);
}

void cluster_add_log(struct cluster *c, const char *ns, const char *pod, const char *container,
		     bool previous, const char *text, size_t len)
{
	char *key = xasprintf("%s/%s/%s%s", ns, pod, container, previous ? "/previous" : "");
	void **slot = hmap_slot(&c->held_logs, key, true);
	free(key);
	free(*slot);
	*slot = xstrndup(text, len);
}

void cluster_add_envoy_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
			   json_t *j, const char *reason)
{
	char *key = xasprintf("envoy/%s/%s/%s", ns, pod, doc);
	void **slot = hmap_slot(&c->docs, key, true);
	free(key);
	if (*slot)
		doc_free(*slot);
	struct doc *d = xcalloc(1, sizeof(*d));
	d->j = j;
	d->reason = j ? NULL : xstrdup(reason ? reason : "unknown");
	*slot = d;
}

void cluster_set_envoy_admin(struct cluster *c, const char *url)
{
	free(c->envoy_admin);
	c->envoy_admin = url ? xstrdup(url) : NULL;
}

const char *cluster_envoy_admin(const struct cluster *c)
{
	return c->envoy_admin;
}

void cluster_set_prometheus(struct cluster *c, const char *url)
{
	free(c->prometheus);
	c->prometheus = url ? xstrdup(url) : NULL;
}

const char *cluster_prometheus(const struct cluster *c)
{
	return c->prometheus;
}

void cluster_set_http_timeout(struct cluster *c, int ms)
{
	c->http_timeout = ms;
}

int cluster_http_timeout(const struct cluster *c)
{
	return c->http_timeout;
}

bool cluster_proxy_status(struct cluster *c, const struct proxy_status **rows, size_t *n,
			  const char **reason)
{
	if (!c->ps_known && !c->ps_reason && c->src && c->src->load_proxy_status) {
		char *why = NULL;
		if (c->src->load_proxy_status(c->src->ctx, c, &why))
			c->ps_known = true;
		else if (cancelled(c, why, reason))
			return false;
		else
			c->ps_reason = why ? why : xstrdup("istioctl proxy-status failed");
	}
	if (!c->ps_known) {
		if (reason)
			*reason = c->ps_reason ? c->ps_reason : "no proxy-status in this snapshot";
		return false;
	}
	*rows = c->ps;
	*n = c->nps;
	return true;
}

static char *dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void cluster_take_proxy_status(struct cluster *c, struct proxy_status *rows, size_t n,
                               const char *istiod)
{
	cluster_mark_proxy_status(c, NULL);
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].istiod && istiod)
			rows[i].istiod = xstrdup(istiod);
		cluster_add_proxy_status(c, &rows[i]);
	}
	proxy_status_rows_free(rows, n);
}

void cluster_add_proxy_status(struct cluster *c, const struct proxy_status *row)
{
	c->ps = xrealloc(c->ps, (c->nps + 1) * sizeof(*c->ps));
	c->ps[c->nps++] = (struct proxy_status){
		dup_opt(row->pod), dup_opt(row->ns),     dup_opt(row->cds),    dup_opt(row->lds),
		dup_opt(row->eds), dup_opt(row->rds),    dup_opt(row->ecds),   dup_opt(row->istiod),
		dup_opt(row->version)};
	c->ps_known = true;
}

void cluster_mark_proxy_status(struct cluster *c, const char *unavailable_reason)
{
	if (!unavailable_reason) {
		c->ps_known = true;
		return;
	}
	free(c->ps_reason);
	c->ps_reason = xstrdup(unavailable_reason);
}

const char *cluster_control_namespace(struct cluster *c)
{
	static const char *const sel[][2] = {{"app", "istiod"}, {"istio", "pilot"}};
	if (c->control_ns)
		return c->control_ns;
	const struct kobj_list *deps = cluster_list(c, "Deployment", NULL);
	for (size_t i = 0; i < deps->n && !c->control_ns; i++)
		for (size_t k = 0; k < MM_ARRAY_LEN(sel) && !c->control_ns; k++) {
			json_t *labels = jpath(deps->v[i]->j, "metadata.labels");
			const char *v = json_string_value(json_object_get(labels, sel[k][0]));
			if (v && strcmp(v, sel[k][1]) == 0)
				c->control_ns = deps->v[i]->ns;
		}
	if (!c->control_ns)
		c->control_ns = "istio-system";
	return c->control_ns;
}

json_t *cluster_mesh_config(struct cluster *c)
{
	if (c->mesh_done)
		return c->mesh;
	c->mesh_done = true;
	const struct kobj *cm = cluster_get(c, "ConfigMap", cluster_control_namespace(c), "istio");
	const char *mesh = cm ? jstr(cm->j, "data.mesh") : NULL;
	if (!mesh)
		return NULL;
	struct mm_errors errs = {0};
	c->mesh = yaml_first_doc_err("", mesh, &errs);
	/* unreadable is not absent: the reason names the ConfigMap, and where in the key */
	char *why = NULL;
	if (errs.n) {
		char *text = sanitize(errs.v[0].text, false);
		why = xasprintf("line %d, column %d: %s", errs.v[0].line, errs.v[0].col, text);
		free(text);
	} else if (c->mesh && !json_is_object(c->mesh)) {
		why = xasprintf("a %s, not a mapping", json_is_array(c->mesh) ? "list" : "scalar");
	} else if (!c->mesh) {
		why = xstrdup("no YAML document");
	}
	if (why) {
		json_decref(c->mesh);
		c->mesh = NULL;
		c->mesh_problem = xasprintf("ConfigMap %s/istio: data.mesh is unreadable (%s); "
					    "meshConfig taken as Istio's defaults",
					    cm->ns, why);
		free(why);
	}
	errs_free(&errs);
	return c->mesh;
}

const char *cluster_mesh_config_problem(struct cluster *c)
{
	cluster_mesh_config(c);
	return c->mesh_problem;
}

void cluster_set_istio_version(struct cluster *c, const char *version)
{
	free(c->version);
	c->version = dup_opt(version);
	free(c->version_note);
	c->version_note = version ? xstrdup("recorded with the snapshot (meta.json)") : NULL;
	c->version_done = true;
}

char *image_version(const char *image)
{
	const char *colon = image ? strrchr(image, ':') : NULL;
	if (!colon || colon[1] < '0' || colon[1] > '9')
		return NULL;
	size_t n = strspn(colon + 1, "0123456789.");
	return xstrndup(colon + 1, n);
}

/* Whether an image is istiod's (pilot) or the sidecar's (proxyv2). */
static bool image_is(const char *image, const char *name)
{
	char *slash = xasprintf("/%s:", name), *bare = xasprintf("%s:", name);
	bool is = image && (strstr(image, slash) || strncmp(image, bare, strlen(bare)) == 0);
	free(slash);
	free(bare);
	return is;
}

/*
 * The version in the tag of the first image named name among the containers
 * of objects of kind in ns (NULL: all); *image (borrowed) says which image.
 */
static char *version_of_images(struct cluster *c, const char *kind, const char *ns,
                               const char *path, const char *name, const char **image)
{
	const struct kobj_list *l = cluster_list(c, kind, ns);
	for (size_t i = 0; i < l->n; i++) {
		json_t *containers = jpath(l->v[i]->j, path);
		for (size_t k = 0; k < json_array_size(containers); k++) {
			const char *img = jstr(json_array_get(containers, k), "image");
			char *v = image_is(img, name) ? image_version(img) : NULL;
			if (v) {
				*image = img;
				return v;
			}
		}
	}
	return NULL;
}

/* Whether s starts as a version does ("1.20.3", "1.20.3-distroless"). */
static bool is_version(const char *s)
{
	return s && s[0] >= '0' && s[0] <= '9' && strchr(s, '.');
}

/* The version most proxy-status rows report, or NULL with *why (new strings). */
static char *version_of_proxy_status(struct cluster *c, char **why)
{
	const struct proxy_status *rows;
	size_t n, best = 0, known = 0;
	const char *reason = NULL, *v = NULL;
	if (!cluster_proxy_status(c, &rows, &n, &reason)) {
		*why = xasprintf("proxy-status: %s", reason ? reason : "unavailable");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].version || !is_version(rows[i].version))
			continue;
		known++;
		size_t same = 0;
		for (size_t k = 0; k < n; k++)
			same += rows[k].version && strcmp(rows[k].version, rows[i].version) == 0;
		if (same > best)
			best = same, v = rows[i].version;
	}
	if (!v) {
		*why = xstrdup(n ? "proxy-status: no row shows a version" : "proxy-status: no proxies");
		return NULL;
	}
	*why = xasprintf("from proxy-status (%zu of %zu proxies report it)", best, known);
	return xstrndup(v, strspn(v, "0123456789."));
}

/*
 * The Istio version from what shows it, most telling first: istiod's image
 * (Deployment, then Pod, in the control-plane namespace, then anywhere),
 * what the source says of the control plane (`istioctl version`, live),
 * the version column of proxy-status, then the sidecars' proxyv2 image,
 * which follows the control plane it was injected by. When none shows it,
 * the note says what each said.
 */
const char *cluster_istio_version(struct cluster *c)
{
	if (c->version_done)
		return c->version;
	c->version_done = true;
	static const struct {
		const char *kind, *path, *image, *what;
		bool control_ns;
	} sources[] = {
	    {"Deployment", "spec.template.spec.containers", "pilot", "istiod's Deployment", true},
	    {"Pod", "spec.containers", "pilot", "istiod's pod", true},
	    {"Pod", "spec.containers", "pilot", "an istiod pod", false},
	    {"Pod", "spec.containers", "proxyv2", "a sidecar's image", false},
	};
	const char *image = NULL;
	char *said[2] = {NULL, NULL};
	for (size_t i = 0; i < MM_ARRAY_LEN(sources) && !c->version; i++) {
		if (strcmp(sources[i].image, "proxyv2") == 0) {
			/* before the sidecars' images: the control plane's own word, then the proxies' */
			const struct cluster_source *src = c->src;
			if (src && src->istio_version) {
				char *r = NULL;
				c->version = src->istio_version(src->ctx, &r);
				if (c->version && is_version(c->version)) {
					c->version[strspn(c->version, "0123456789.")] = '\0';
					c->version_note = xstrdup("from istioctl version (the control plane's pilot)");
					free(r);
					break;
				}
				free(c->version);
				c->version = NULL;
				said[0] = xasprintf("istioctl version: %s", r ? r : "no pilot version");
				free(r);
			}
			c->version = version_of_proxy_status(c, &said[1]);
			if (c->version) {
				c->version_note = said[1];
				said[1] = NULL;
				break;
			}
		}
		const char *ns = sources[i].control_ns ? cluster_control_namespace(c) : NULL;
		c->version = version_of_images(c, sources[i].kind, ns, sources[i].path,
		                               sources[i].image, &image);
		if (c->version)
			c->version_note = xasprintf("from %s (%s)", sources[i].what, image);
	}
	if (!c->version)
		c->version_note = xasprintf("no meta.json version, no istiod or istio-proxy image "
		                            "with a version tag (pilot:1.22.3, proxyv2:1.22.3)%s%s%s%s",
		                            said[0] ? "; " : "", said[0] ? said[0] : "",
		                            said[1] ? "; " : "", said[1] ? said[1] : "");
	free(said[0]);
	free(said[1]);
	return c->version;
}

const char *cluster_istio_version_note(struct cluster *c)
{
	cluster_istio_version(c);
	return c->version_note;
}

json_t *jpath(json_t *j, const char *dotted)
{
	const char *p = dotted;
	while (j && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (json_is_array(j)) {
			char *end;
			char *part = xstrndup(p, n);
			unsigned long idx = strtoul(part, &end, 10);
			j = *end ? NULL : json_array_get(j, idx);
			free(part);
		} else {
			j = json_object_getn(j, p, n);
		}
		p = dot ? dot + 1 : p + n;
	}
	return j;
}

const char *jstr(json_t *j, const char *dotted)
{
	return json_string_value(jpath(j, dotted));
}

bool labels_match(json_t *selector, json_t *labels)
{
	if (!json_is_object(selector) || json_object_size(selector) == 0)
		return json_is_object(selector); /* an empty selector selects everything */
	const char *k;
	json_t *v;
	json_object_foreach(selector, k, v) {
		const char *have = json_string_value(json_object_get(labels, k));
		if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
			return false;
	}
	return true;
}
