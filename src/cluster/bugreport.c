/* `istioctl bug-report` archives and their unpacked directories as a snapshot (see bugreport.h). */
#include "cluster/bugreport.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/yamljson.h"
#include "cluster/live.h"
#include "cluster/proxystatus.h"

/* One member kept for the model; name is relative to the archive's top folder. */
struct member {
	char *name, *full, *data; /* full: as the archive names it, for messages */
	size_t len;
};

struct br {
	const char *path; /* as given */
	char *clean;      /* path, fit for a terminal */
	struct member *v;
	size_t n, cap;
	size_t count;  /* members seen */
	int64_t total; /* bytes unpacked */
	char *refused; /* the first refusal: "member NAME: why" */
};

/* The folders and files right under the top folder. */
static const char *const tops[] = {"cluster", "proxies", "istio",    "analyze",
				   "operator", "cni",   "versions", "bug-report.log"};

/* The admin documents a proxy folder may hold, and the model's name of each. */
static const struct {
	const char *file, *doc;
} proxy_docs[] = {
	{"server_info", "server_info"},
	{"config_dump", "config_dump"},
	{"config_dump?include_eds", "config_dump"},
	{"clusters", "clusters"},
	{"clusters?format=json", "clusters"},
	{"stats/prometheus", "stats"},
	{"stats?format=json", "stats"},
};

static __attribute__((format(printf, 3, 4))) void refuse(struct br *b, const char *member,
							 const char *fmt, ...)
{
	if (b->refused)
		return;
	char *name = sanitize(member && *member ? member : "(no name)", false);
	va_list ap;
	va_start(ap, fmt);
	char *why;
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	b->refused = xasprintf("member %s: %s", name, why);
	free(why);
	free(name);
}

/* The name under the top folder ("bug-report/cluster/crs" -> "cluster/crs"). */
static const char *rel_name(const char *name)
{
	while (strncmp(name, "./", 2) == 0)
		name += 2;
	size_t k = strcspn(name, "/");
	for (size_t i = 0; i < MM_ARRAY_LEN(tops); i++)
		if (strlen(tops[i]) == k && strncmp(name, tops[i], k) == 0)
			return name;
	return name[k] ? name + k + 1 : "";
}

/* Why a member's name is refused, or NULL. */
static const char *name_problem(const char *name)
{
	if (!*name)
		return "a member without a name is refused";
	if (name[0] == '/')
		return "an absolute path is refused";
	if (strlen(name) > 4096)
		return "a name over 4096 bytes is refused";
	for (const char *p = name; *p;) {
		size_t k = strcspn(p, "/");
		if (k == 2 && p[0] == '.' && p[1] == '.')
			return "a path that leaves the archive (..) is refused";
		p += k;
		p += *p == '/';
	}
	return NULL;
}

/* proxies/NS/POD/FILE or istio/NS/POD/FILE: the parts, or false. */
static bool pod_file(const char *rel, const char *top, char **ns, char **pod, const char **file)
{
	size_t t = strlen(top);
	if (strncmp(rel, top, t) != 0 || rel[t] != '/')
		return false;
	const char *a = rel + t + 1, *s1 = strchr(a, '/');
	const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	if (!s1 || !s2 || !s2[1])
		return false;
	*ns = xstrndup(a, (size_t)(s1 - a));
	*pod = xstrndup(s1 + 1, (size_t)(s2 - s1 - 1));
	*file = s2 + 1;
	/* names that are no Kubernetes names never match a pod: not kept */
	if (is_dns1123_label(*ns) && is_dns1123_subdomain(*pod))
		return true;
	free(*ns);
	free(*pod);
	return false;
}

static const char *proxy_doc(const char *file)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(proxy_docs); i++)
		if (strcmp(proxy_docs[i].file, file) == 0)
			return proxy_docs[i].doc;
	return NULL;
}

/* Whether the model reads the member (relative name). */
static bool wanted(const char *rel)
{
	if (strcmp(rel, "cluster/k8s-resources") == 0 || strcmp(rel, "cluster/crs") == 0 ||
	    strcmp(rel, "versions") == 0)
		return true;
	char *ns, *pod;
	const char *file;
	bool want = false;
	if (pod_file(rel, "proxies", &ns, &pod, &file)) {
		want = strcmp(file, "istio-proxy.log") == 0 || proxy_doc(file);
		free(ns);
		free(pod);
	} else if (pod_file(rel, "istio", &ns, &pod, &file)) {
		want = strcmp(file, "discovery.log") == 0 || strcmp(file, "debug/syncz") == 0 ||
		       strcmp(file, "debug/mesh") == 0;
		free(ns);
		free(pod);
	}
	return want;
}

static void keep(struct br *b, const char *rel, const char *full, char *data, size_t len)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n++] = (struct member){xstrdup(rel), xstrdup(full), data, len};
}

/* Count one more member; false (refused) past the limit. */
static bool count_member(struct br *b, const char *name)
{
	if (++b->count <= BR_MAX_MEMBERS)
		return true;
	refuse(b, name, "more than %d members: over the limit", BR_MAX_MEMBERS);
	return false;
}

/* Add n unpacked bytes; false (refused) past the limits. compressed < 0: not an archive. */
static bool count_bytes(struct br *b, const char *name, int64_t member, int64_t n,
			int64_t compressed)
{
	b->total += n;
	if (member > BR_MAX_MEMBER) {
		refuse(b, name, "over %" PRId64 " MiB unpacked: over the limit per member",
		       BR_MAX_MEMBER >> 20);
	} else if (b->total > BR_MAX_TOTAL) {
		refuse(b, name, "the archive unpacks to over %" PRId64 " MiB: over the limit",
		       BR_MAX_TOTAL >> 20);
	} else if (compressed >= 0 && b->total > BR_RATIO_FLOOR &&
		   b->total / BR_MAX_RATIO > (compressed ? compressed : 1)) {
		refuse(b, name,
		       "%" PRId64 " MiB unpacked from %" PRId64 " KiB: over %d times its size, a "
		       "decompression bomb",
		       b->total >> 20, compressed >> 10, BR_MAX_RATIO);
	} else {
		return true;
	}
	return false;
}

/* ---- reading an archive ---- */

static void read_archive(struct br *b, struct mm_errors *errs)
{
	struct archive *a = archive_read_new();
	/* the compressions bugreport_is knows, read in-process: _all would run lrzip, lzop, grzip... */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, b->path, 64 * 1024) != ARCHIVE_OK) {
		char *why = sanitize(archive_error_string(a) ? archive_error_string(a) : "?", false);
		errs_add(errs, b->clean, 0, 0, "cannot read the archive: %s", why);
		free(why);
		archive_read_free(a);
		return;
	}
	struct archive_entry *e;
	int r;
	char *buf = xcalloc(1, 64 * 1024);
	while (!b->refused && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			char *why = sanitize(archive_error_string(a) ? archive_error_string(a) : "?",
					     false);
			errs_add(errs, b->clean, 0, 0, "not a readable tar archive: %s", why);
			free(why);
			break;
		}
		const char *name = archive_entry_pathname(e);
		const char *problem = name ? name_problem(name) : "a member without a name is refused";
		if (!count_member(b, name))
			break;
		if (problem) {
			refuse(b, name, "%s", problem);
			break;
		}
		if (archive_entry_hardlink(e)) {
			char *to = sanitize(archive_entry_hardlink(e), false);
			refuse(b, name, "a hard link (to %s) is refused", to);
			free(to);
			break;
		}
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFLNK) {
			const char *t = archive_entry_symlink(e);
			char *to = sanitize(t ? t : "?", false);
			refuse(b, name, "a symbolic link (to %s) is refused", to);
			free(to);
			break;
		}
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG) {
			refuse(b, name, "not a regular file or folder: refused");
			break;
		}
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > BR_MAX_MEMBER) {
			refuse(b, name, "%" PRId64 " MiB: over the limit of %" PRId64 " MiB per member",
			       (int64_t)archive_entry_size(e) >> 20, BR_MAX_MEMBER >> 20);
			break;
		}
		const char *rel = rel_name(name);
		bool want = wanted(rel);
		struct sbuf data;
		sb_init(&data);
		int64_t got = 0;
		la_ssize_t k;
		while ((k = archive_read_data(a, buf, 64 * 1024)) > 0) {
			got += k;
			if (!count_bytes(b, name, got, k, archive_filter_bytes(a, -1)))
				break;
			if (want)
				sb_addn(&data, buf, (size_t)k);
		}
		if (k < 0 && !b->refused) {
			char *why = sanitize(archive_error_string(a) ? archive_error_string(a) : "?",
					     false);
			char *m = sanitize(name, false);
			errs_add(errs, b->clean, 0, 0, "member %s: cannot unpack: %s", m, why);
			free(m);
			free(why);
			sb_free(&data);
			break;
		}
		if (want && !b->refused) {
			size_t len = data.len;
			keep(b, rel, name, sb_steal(&data), len);
		}
		sb_free(&data);
	}
	free(buf);
	archive_read_free(a);
}

/* ---- reading the unpacked directory ---- */

static void read_dir(struct br *b, const char *dir, const char *rel, int depth,
		     struct mm_errors *errs)
{
	struct strlist names = {0};
	if (!list_dir(dir, &names)) {
		char *clean = sanitize(dir, false);
		errs_add(errs, clean, 0, 0, "cannot read: %s", strerror(errno));
		free(clean);
		return;
	}
	for (size_t i = 0; i < names.n && !b->refused; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		char *r = rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		struct stat st;
		if (!count_member(b, r)) {
		} else if (lstat(p, &st) != 0) {
			char *clean = sanitize(p, false);
			errs_add(errs, clean, 0, 0, "cannot read: %s", strerror(errno));
			free(clean);
		} else if (S_ISLNK(st.st_mode)) {
			refuse(b, r, "a symbolic link is refused");
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= 16)
				refuse(b, r, "folders nested over 16 deep are refused");
			else
				read_dir(b, p, r, depth + 1, errs);
		} else if (!S_ISREG(st.st_mode)) {
			refuse(b, r, "not a regular file or folder: refused");
		} else if (count_bytes(b, r, st.st_size, st.st_size, -1) && wanted(rel_name(r))) {
			size_t len;
			char *text = read_file(p, &len);
			if (!text) {
				char *clean = sanitize(p, false);
				errs_add(errs, clean, 0, 0, "cannot read: %s", strerror(errno));
				free(clean);
			} else if ((int64_t)len > BR_MAX_MEMBER) {
				refuse(b, r, "over %" PRId64 " MiB: over the limit per member",
				       BR_MAX_MEMBER >> 20);
				free(text);
			} else {
				keep(b, rel_name(r), r, text, len);
			}
		}
		free(r);
		free(p);
	}
	sl_free(&names);
}

/* ---- the model ---- */

struct loader {
	struct cluster *c;
	struct mm_errors *errs;
	const char *label;
	size_t objects;
};

static void add_object(struct loader *l, json_t *o, int line, int depth)
{
	const char *kind = jstr(o, "kind");
	json_t *items = json_object_get(o, "items");
	if (kind && str_ends_with(kind, "List") && json_is_array(items) && depth < 2) {
		char *item_kind = strcmp(kind, "List") ? xstrndup(kind, strlen(kind) - 4) : NULL;
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			if (item_kind && json_is_object(it) && !json_object_get(it, "kind"))
				json_object_set_new(it, "kind", json_string(item_kind));
			add_object(l, json_incref(it), line, depth + 1);
		}
		free(item_kind);
		json_decref(o);
		return;
	}
	if (!json_is_object(o) || !kind || !jstr(o, "metadata.name")) {
		errs_add(l->errs, l->label, line, 1, "not a Kubernetes object: it has no %s",
			 !json_is_object(o) || !kind ? "kind" : "metadata.name");
		json_decref(o);
		return;
	}
	/* an archive made with --full-secrets holds them; meshmedic never reads Secrets */
	if (strcmp(kind, "Secret") == 0) {
		json_decref(o);
		return;
	}
	l->objects++;
	cluster_add(l->c, o, l->label, line);
}

static void yaml_doc(void *ctx, json_t *doc, int line)
{
	if (json_is_null(doc)) {
		json_decref(doc);
		return;
	}
	add_object(ctx, doc, line, 0);
}

/* "ARCHIVE(MEMBER)" for a member of an archive, as binutils name them; the path in a directory. */
static char *member_label(const struct br *b, bool dir, const char *rel)
{
	char *m = sanitize(rel, false);
	char *label = dir ? xasprintf("%s/%s", b->clean, m) : xasprintf("%s(%s)", b->clean, m);
	free(m);
	return label;
}

static const struct member *find(const struct br *b, const char *rel)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].name, rel) == 0)
			return &b->v[i];
	return NULL;
}

/* istio-proxy.log: the current run, and the previous one bug-report appends after a restart. */
#define BR_PREV_HEAD "========= Previous log present (appended at the end) =========\n\n"
#define BR_PREV_SEP "\n\n========= Previous log =========\n\n"

static void add_log(struct cluster *c, const char *ns, const char *pod, const char *container,
		    const struct member *m)
{
	const char *text = m->data;
	size_t len = m->len;
	size_t head = strlen(BR_PREV_HEAD);
	if (len >= head && memcmp(text, BR_PREV_HEAD, head) == 0) {
		const char *sep = strstr(text + head, BR_PREV_SEP);
		if (sep) {
			cluster_add_log(c, ns, pod, container, false, text + head,
					(size_t)(sep - text) - head);
			const char *prev = sep + strlen(BR_PREV_SEP);
			cluster_add_log(c, ns, pod, container, true, prev,
					len - (size_t)(prev - text));
			return;
		}
	}
	cluster_add_log(c, ns, pod, container, false, text, len);
}

static void add_doc(struct cluster *c, const char *ns, const char *pod, const char *doc,
		    const char *label, const struct member *m)
{
	size_t skip = strspn(m->data, " \t\r\n");
	json_t *j = NULL;
	char *why = NULL;
	if (strcmp(doc, "clusters") == 0 && m->data[skip] != '{') {
		j = bugreport_clusters_json(m->data);
	} else if (strcmp(doc, "stats") == 0 && m->data[skip] != '{') {
		j = bugreport_stats_json(m->data);
	} else {
		json_error_t je;
		j = json_loadb(m->data, m->len, 0, &je);
		if (!json_is_object(j)) {
			char *t = sanitize(j ? "JSON that is no object" : je.text, false);
			why = xasprintf("%s:%d: not Envoy's %s: %s", label, j ? 1 : je.line, doc, t);
			free(t);
			json_decref(j);
			j = NULL;
		}
	}
	cluster_add_envoy_doc(c, ns, pod, doc, j, why);
	free(why);
}

static void add_syncz(struct cluster *c, const char *pod, const char *label,
		      const struct member *m, struct mm_errors *errs)
{
	struct proxy_status *rows = NULL;
	size_t n = 0;
	char *err = NULL;
	if (!proxy_status_parse(m->data, &rows, &n, &err)) {
		errs_add(errs, label, 1, 1, "not istiod's /debug/syncz: %s", err ? err : "?");
		free(err);
		return;
	}
	/* the archive says which istiod answered: its folder */
	cluster_take_proxy_status(c, rows, n, pod);
}

/* debug/mesh as ConfigMap istio, where the resources hold none (what cluster_mesh_config reads). */
static void add_mesh(struct cluster *c, const char *ns, const char *label, const struct member *m)
{
	if (cluster_get(c, "ConfigMap", ns, "istio"))
		return;
	json_t *cm = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s%}}", "apiVersion", "v1", "kind",
			       "ConfigMap", "metadata", "name", "istio", "namespace", ns, "data",
			       "mesh", m->data, m->len);
	if (cm)
		cluster_add(c, cm, label, 1);
}

/*
 * versions: istiod's version after "control plane revisions/versions", as
 * Go prints a MeshInfo (Version:"1.22.3") or as kr/pretty did (Version:1.9.1).
 */
static void set_version(struct cluster *c, const struct member *m)
{
	const char *p = strstr(m->data, "control plane revisions/versions");
	p = p ? strstr(p, "Version:") : NULL;
	if (!p)
		return;
	p += strlen("Version:");
	p += *p == '"';
	size_t n = strspn(p, "0123456789.");
	if (n && n < 32 && p[0] != '.') {
		char *v = xstrndup(p, n + strspn(p + n, "abcdefghijklmnopqrstuvwxyz0123456789.-+"));
		cluster_set_istio_version(c, v);
		free(v);
	}
}

static bool istio_kind(const char *kind)
{
	const char *res = live_resource(kind);
	return res && strstr(res, ".istio.io");
}

static void mark_kinds(struct cluster *c, bool have_crs)
{
	for (const char *const *k = live_kinds(); *k; k++) {
		const char *why;
		if (cluster_has_kind(c, *k, &why) || strcmp(why, "not recorded") != 0)
			continue;
		bool none = cluster_list(c, *k, NULL)->n == 0;
		if (istio_kind(*k) && !have_crs)
			cluster_mark_unavailable(c, *k, "no cluster/crs in the bug-report archive");
		else if (none && (strcmp(*k, "Namespace") == 0 ||
				  strcmp(*k, "MutatingWebhookConfiguration") == 0))
			/* bug-report recorded them only from Istio 1.12 or so */
			cluster_mark_unavailable(c, *k,
						 "not in the bug-report archive's cluster/k8s-resources "
						 "(older istioctl releases did not record them)");
		else
			cluster_mark_loaded(c, *k);
	}
}

static struct cluster *build(struct br *b, bool dir, struct mm_errors *errs)
{
	const struct member *res = find(b, "cluster/k8s-resources");
	if (!res) {
		errs_add(errs, b->clean, 0, 0,
			 "not an istioctl bug-report %s: it has no cluster/k8s-resources",
			 dir ? "directory" : "archive");
		return NULL;
	}
	size_t before = errs->n;
	struct cluster *c = cluster_new();
	char *origin = xasprintf("the bug-report %s %s", dir ? "directory" : "archive", b->clean);
	cluster_hold_files(c, origin);
	free(origin);
	/* files, not a live cluster: what every log is read from */
	cluster_set_snapshot_dir(c, b->path);
	const struct member *crs = find(b, "cluster/crs");
	const struct member *rs[] = {res, crs};
	for (size_t i = 0; i < 2; i++) {
		if (!rs[i])
			continue;
		char *label = member_label(b, dir, rs[i]->full);
		struct loader l = {c, errs, label, 0};
		yaml_to_json(label, rs[i]->data, rs[i]->len, yaml_doc, &l, errs);
		free(label);
	}
	bool syncz = false;
	for (size_t i = 0; i < b->n; i++) {
		const struct member *m = &b->v[i];
		char *ns, *pod, *label = member_label(b, dir, m->full);
		const char *file, *doc;
		if (pod_file(m->name, "proxies", &ns, &pod, &file)) {
			if (strcmp(file, "istio-proxy.log") == 0)
				add_log(c, ns, pod, "istio-proxy", m);
			else if ((doc = proxy_doc(file)))
				add_doc(c, ns, pod, doc, label, m);
			free(ns);
			free(pod);
		} else if (pod_file(m->name, "istio", &ns, &pod, &file)) {
			if (strcmp(file, "discovery.log") == 0)
				add_log(c, ns, pod, "discovery", m);
			else if (strcmp(file, "debug/mesh") == 0)
				add_mesh(c, ns, label, m);
			else if (strcmp(file, "debug/syncz") == 0) {
				add_syncz(c, pod, label, m, errs);
				syncz = true;
			}
			free(ns);
			free(pod);
		}
		free(label);
	}
	const struct member *versions = find(b, "versions");
	if (versions)
		set_version(c, versions);
	if (!syncz)
		cluster_mark_proxy_status(c, "no istiod debug/syncz in the bug-report archive");
	mark_kinds(c, crs != NULL);
	if (errs->n > before) {
		cluster_free(c);
		return NULL;
	}
	return c;
}

/* ---- the entry points ---- */

/* The folder of a directory in the bug-report layout (itself, or its bug-report/), or NULL. */
static bool dir_is_bugreport(const char *path)
{
	static const char *const probes[] = {"%s/cluster/k8s-resources",
					     "%s/bug-report/cluster/k8s-resources"};
	char *snap = xasprintf("%s/resources.json", path);
	struct stat st;
	bool is = false;
	if (stat(snap, &st) != 0)
		for (size_t i = 0; i < MM_ARRAY_LEN(probes) && !is; i++) {
			char *p = xasprintf(probes[i], path);
			is = stat(p, &st) == 0 && S_ISREG(st.st_mode);
			free(p);
		}
	free(snap);
	return is;
}

bool bugreport_is(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return dir_is_bugreport(path);
	if (!S_ISREG(st.st_mode))
		return false;
	unsigned char h[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return true; /* gzip */
	if (n >= 6 && memcmp(h, "\xfd" "7zXZ", 5) == 0)
		return true; /* xz */
	if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
		return true; /* zstd */
	if (n >= 3 && memcmp(h, "BZh", 3) == 0)
		return true; /* bzip2 */
	return n >= 262 && memcmp(h + 257, "ustar", 5) == 0; /* tar */
}

struct cluster *bugreport_open(const char *path, struct mm_errors *errs)
{
	struct stat st;
	struct br b = {.path = path, .clean = sanitize(path, false)};
	bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (dir)
		read_dir(&b, path, NULL, 0, errs);
	else
		read_archive(&b, errs);
	struct cluster *c = NULL;
	if (b.refused)
		errs_add(errs, b.clean, 0, 0, "%s", b.refused);
	else if (!errs->n)
		c = build(&b, dir, errs);
	for (size_t i = 0; i < b.n; i++) {
		free(b.v[i].name);
		free(b.v[i].full);
		free(b.v[i].data);
	}
	free(b.v);
	free(b.refused);
	free(b.clean);
	return c;
}

/* ---- admin documents in other forms ---- */

static json_t *cluster_entry(json_t *statuses, json_t *index, const char *name, size_t n)
{
	char *key = xstrndup(name, n);
	json_t *cl = json_object_get(index, key);
	if (!cl) {
		cl = json_pack("{s:s, s:[]}", "name", key, "host_statuses");
		json_array_append_new(statuses, cl);
		json_object_set(index, key, cl);
	}
	free(key);
	return cl;
}

/*
 * Lines "CLUSTER::HOST:PORT::health_flags::FLAGS" (and others of the
 * cluster, which only name it). FLAGS is "healthy" or "/failed_active_hc
 * /failed_outlier_check/failed_eds_health/..."; a host may be "[::1]:80",
 * so the cluster ends at the first "::" and the flags follow the last.
 */
json_t *bugreport_clusters_json(const char *text)
{
	json_t *statuses = json_array(), *index = json_object();
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);
		p += n + (p[n] == '\n');
		char *sep = strstr(line, "::");
		if (sep && sep != line) {
			json_t *cl = cluster_entry(statuses, index, line, (size_t)(sep - line));
			char *host = sep + 2;
			char *tag = strstr(host, "::health_flags::");
			if (tag && tag != host) {
				*tag = '\0';
				const char *flags = tag + strlen("::health_flags::");
				const char *eds = strstr(flags, "failed_eds_health")     ? "UNHEALTHY"
						  : strstr(flags, "degraded_eds_health") ? "DEGRADED"
											 : "HEALTHY";
				char *colon = strrchr(host, ':');
				json_t *addr = json_pack("{s:s%}", "address", host,
							 colon ? (size_t)(colon - host) : strlen(host));
				if (colon)
					json_object_set_new(addr, "port_value",
							    json_integer(strtol(colon + 1, NULL, 10)));
				json_t *h = json_pack(
					"{s:{s:o}, s:{s:s, s:b, s:b}}", "address", "socket_address", addr,
					"health_status", "eds_health_status", eds, "failed_outlier_check",
					strstr(flags, "failed_outlier_check") != NULL,
					"failed_active_health_check", strstr(flags, "failed_active_hc") != NULL);
				json_array_append_new(json_object_get(cl, "host_statuses"), h);
			}
		}
		free(line);
	}
	json_decref(index);
	return json_pack("{s:o}", "cluster_statuses", statuses);
}

/* The value of label key in "{a="x",b="y"}" (escapes undone), or NULL. New string. */
static char *label_value(const char *labels, size_t n, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = labels; p + k + 2 < labels + n; p++) {
		if ((p == labels || p[-1] == '{' || p[-1] == ',') && strncmp(p, key, k) == 0 &&
		    p[k] == '=' && p[k + 1] == '"') {
			struct sbuf b;
			sb_init(&b);
			for (const char *q = p + k + 2; q < labels + n && *q != '"'; q++) {
				if (*q == '\\' && q + 1 < labels + n)
					q++, sb_addc(&b, *q == 'n' ? '\n' : *q);
				else
					sb_addc(&b, *q);
			}
			return sb_steal(&b);
		}
	}
	return NULL;
}

/*
 * Prometheus text: "NAME{LABELS} VALUE". Envoy names a cluster's stat
 * "cluster.NAME.STAT" and exports it as envoy_cluster_STAT{cluster_name="NAME"};
 * that is undone, so the probes find the counters they look for. Other
 * series keep their Prometheus name; non-integer values are left out.
 */
json_t *bugreport_stats_json(const char *text)
{
	json_t *stats = json_array();
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		const char *line = p, *end = p + n;
		p += n + (p[n] == '\n');
		if (!n || *line == '#')
			continue;
		size_t name_len = strcspn(line, "{ ");
		if (name_len > (size_t)(end - line))
			continue;
		const char *labels = line + name_len, *value = labels;
		size_t labels_len = 0;
		if (*labels == '{') {
			const char *close = memchr(labels, '}', (size_t)(end - labels));
			if (!close)
				continue;
			labels_len = (size_t)(close - labels) + 1;
			value = close + 1;
		}
		char *v = xstrndup(value, (size_t)(end - value));
		char *vend;
		long long val = strtoll(v, &vend, 10);
		bool integer = vend != v && strspn(vend, " \t\r") == strlen(vend);
		free(v);
		if (!integer)
			continue;
		char *name = xstrndup(line, name_len);
		char *cluster = labels_len ? label_value(labels, labels_len, "cluster_name") : NULL;
		char *native = cluster && strncmp(name, "envoy_cluster_", 14) == 0
				       ? xasprintf("cluster.%s.%s", cluster, name + 14)
				       : xstrdup(name);
		json_array_append_new(stats, json_pack("{s:s, s:I}", "name", native, "value",
						       (json_int_t)val));
		free(native);
		free(cluster);
		free(name);
	}
	return json_pack("{s:o}", "stats", stats);
}
