/* What run, tui and ask share around a walk (see session/session.h). */
#include "session/session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "walk/derive.h"
#include "walk/transcript.h"

/* NAME=VALUE into a new NAME and a pointer to VALUE. */
static char *split_kv(const char *s, const char **value)
{
	const char *eq = strchr(s, '=');
	*value = eq + 1;
	return xstrndup(s, (size_t)(eq - s));
}

int prepare(struct ctx *c, const char *flow_id, const char *answers_file, struct prepared *p)
{
	char *err = NULL;
	int rc = 2;
	p->answers_file = answers_file;
	if (answers_file) {
		struct mm_errors errs = {0};
		if (!answers_load(answers_file, &p->answers, &p->file_inputs, &p->file_flow, &errs)) {
			errs_print(&errs, stderr);
			errs_free(&errs);
			return 2;
		}
	}
	if (flow_id && p->file_flow && strcmp(flow_id, p->file_flow) != 0)
		return usage_error("%s is a walk of flow '%s', not '%s'", answers_file, p->file_flow,
				   flow_id);
	if (!flow_id)
		flow_id = p->file_flow;
	if (flow_id && !(p->flow = kb_flow(c->kb, flow_id)))
		return usage_error("no flow '%s' (see meshmedic list)", flow_id);
	for (size_t i = 0; i < c->o.answer.n; i++) {
		const char *value;
		char *node = split_kv(c->o.answer.v[i], &value);
		kv_set(&p->answers.user, node, value);
		free(node);
	}
	if (!answers_check(&p->answers.user, c->kb, &err))
		rc = usage_error("--answer: %s", err);
	else if (!answers_check(&p->answers.file, c->kb, &err))
		rc = usage_error("%s: %s", answers_file, err);
	else
		rc = -1;
	free(err);
	return rc;
}

void prepared_free(struct prepared *p)
{
	answers_free(&p->answers);
	kv_free(&p->file_inputs);
	free(p->file_flow);
	memset(p, 0, sizeof(*p));
}

const char *set_value(const struct opts *o, const char *name)
{
	const char *v = NULL;
	size_t n = strlen(name);
	for (size_t i = 0; i < o->sets.n; i++)
		if (strncmp(o->sets.v[i], name, n) == 0 && o->sets.v[i][n] == '=')
			v = o->sets.v[i] + n + 1;
	return v;
}

/* Set one input; on failure *err says where the value came from. */
static bool preset_one(struct walk *w, const char *from, const char *name, const char *value,
		       char **err)
{
	char *why = NULL;
	if (walk_set_input(w, name, value, &why))
		return true;
	*err = xasprintf("%s: %s", from, why);
	free(why);
	return false;
}

bool walk_preset(const struct opts *o, const struct kvlist *file_inputs, const char *file_name,
		 struct walk *w, char **err)
{
	for (size_t i = 0; i < file_inputs->n; i++)
		if (!preset_one(w, file_name ? file_name : "answers", file_inputs->v[i].key,
				file_inputs->v[i].value, err))
			return false;
	/* -n is the namespace input, unless --set says otherwise */
	if (o->ns && flow_input(w->start_flow, "namespace") &&
	    !preset_one(w, "-n", "namespace", o->ns, err))
		return false;
	for (size_t i = 0; i < o->sets.n; i++) {
		const char *value;
		char *name = split_kv(o->sets.v[i], &value);
		bool ok = preset_one(w, "--set", name, value, err);
		free(name);
		if (!ok)
			return false;
	}
	return true;
}

int preset_check(const struct ctx *c, const struct prepared *p, const struct mm_flow *f)
{
	struct walk w;
	char *err = NULL;
	walk_init(&w, c->kb, f);
	int rc = walk_preset(&c->o, &p->file_inputs, p->answers_file, &w, &err)
			 ? -1
			 : usage_error("%s", err);
	walk_free(&w);
	free(err);
	return rc;
}

bool walk_inputs_complete(const struct walk *w, const struct mm_input **missing)
{
	const struct mm_flow *f = w->start_flow;
	for (size_t i = 0; i < f->ninputs; i++)
		if (f->inputs[i].required && !walk_input(w, f->inputs[i].name)) {
			*missing = &f->inputs[i];
			return false;
		}
	return true;
}

/* What each completion kind reads: a Kubernetes kind, or HOSTS_KIND; in every namespace or one. */
static const struct {
	const char *kind;
	bool cluster_wide;
} complete_kinds[] = {
    [CO_NONE] = {NULL, false},          [CO_NAMESPACE] = {"Namespace", true},
    [CO_SERVICE] = {"Service", false},  [CO_POD] = {"Pod", false},
    [CO_GATEWAY] = {"Gateway", true},   [CO_HOST] = {HOSTS_KIND, true},
};

const char *input_kind(const struct mm_input *in)
{
	return complete_kinds[in->complete].kind;
}

bool input_cluster_wide(const struct mm_input *in)
{
	return complete_kinds[in->complete].cluster_wide;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add h (a Gateway's "NS/HOST" loses its "NS/") when it is a valid host not yet in out. */
static void add_host(struct strlist *out, const char *h)
{
	const char *slash = h ? strchr(h, '/') : NULL;
	if (slash)
		h = slash + 1;
	if (h && is_dns_host(h) && !sl_has(out, h))
		sl_add(out, h);
}

/* The hosts of VirtualServices and Gateway servers, then every Service's DNS name. */
static void hosts_read(struct cluster *c, struct strlist *out)
{
	const struct kobj_list *l = cluster_list(c, "VirtualService", NULL);
	for (size_t i = 0; i < l->n; i++) {
		size_t k;
		json_t *h;
		json_array_foreach(jpath(l->v[i]->j, "spec.hosts"), k, h)
			add_host(out, json_string_value(h));
	}
	l = cluster_list(c, "Gateway", NULL);
	for (size_t i = 0; i < l->n; i++) {
		size_t k, m;
		json_t *srv, *h;
		json_array_foreach(jpath(l->v[i]->j, "spec.servers"), k, srv)
			json_array_foreach(json_object_get(srv, "hosts"), m, h)
				add_host(out, json_string_value(h));
	}
	l = cluster_list(c, "Service", NULL);
	for (size_t i = 0; i < l->n; i++) {
		char *fqdn = xasprintf("%s.%s.svc." MM_CLUSTER_DOMAIN, l->v[i]->name, l->v[i]->ns);
		add_host(out, fqdn);
		free(fqdn);
	}
}

void names_read(struct cluster *c, const char *kind, const char *ns, struct strlist *out)
{
	if (strcmp(kind, "Namespace") == 0) {
		sl_copy(out, cluster_namespaces(c));
	} else if (strcmp(kind, HOSTS_KIND) == 0) {
		hosts_read(c, out);
	} else if (strcmp(kind, "Gateway") == 0) {
		/* a Gateway is named across namespaces, as a VirtualService's gateways list does */
		const struct kobj_list *l = cluster_list(c, kind, NULL);
		for (size_t i = 0; i < l->n; i++) {
			char *ref = xasprintf("%s/%s", l->v[i]->ns, l->v[i]->name);
			if (is_object_ref(ref) && !sl_has(out, ref))
				sl_add(out, ref);
			free(ref);
		}
	} else {
		const struct kobj_list *l = cluster_list(c, kind, ns);
		for (size_t i = 0; i < l->n; i++)
			if (!sl_has(out, l->v[i]->name))
				sl_add(out, l->v[i]->name);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(char *), cmp_str);
}

void input_names(struct cluster *c, const struct mm_flow *f, const struct kvlist *given,
                 const struct mm_input *in, const char *ns, struct strlist *out)
{
	const char *kind = input_kind(in);
	if (in->derive && c) {
		struct walk w;
		walk_init(&w, NULL, f);
		for (size_t i = 0; i < given->n; i++) {
			char *err = NULL;
			/* a value the rule cannot use is left out, as the walk would refuse it */
			if (strcmp(given->v[i].key, in->name) != 0)
				walk_set_input(&w, given->v[i].key, given->v[i].value, &err);
			free(err);
		}
		walk_derive_names(&w, c, in->name, out);
		walk_free(&w);
	}
	if (!kind)
		return;
	struct strlist rest = {0};
	names_read(c, kind, ns, &rest);
	for (size_t i = 0; i < rest.n; i++)
		if (!sl_has(out, rest.v[i]))
			sl_add(out, rest.v[i]);
	sl_free(&rest);
}

char *state_path(const char *file)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	/* the XDG spec: a relative path is to be ignored */
	if (xdg && *xdg == '/')
		return xasprintf("%s/meshmedic/%s", xdg, file);
	if (home && *home)
		return xasprintf("%s/.local/state/meshmedic/%s", home, file);
	return NULL;
}

bool make_parents(const char *path)
{
	char *dir = xstrdup(path);
	bool ok = true;
	for (char *p = dir + 1; ok && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			ok = false;
		*p = '/';
	}
	free(dir);
	return ok;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *free_name(const char *base, const char *const suffixes[])
{
	for (int n = 1;; n++) {
		char *name = n == 1 ? xstrdup(base) : xasprintf("%s-%d", base, n);
		bool taken = false;
		for (size_t i = 0; suffixes[i] && !taken; i++) {
			char *p = xasprintf("%s%s", name, suffixes[i]);
			taken = exists(p);
			free(p);
		}
		if (!taken)
			return name;
		free(name);
	}
}

bool write_new(const char *path, void (*print)(FILE *fp, void *arg), void *arg, char **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!fp) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	print(fp, arg);
	if (fclose(fp) != 0) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

struct walk_out {
	const struct walk *w;
	enum out_format fmt;
	struct cluster *cluster;
};

static void print_walk(FILE *fp, void *arg)
{
	const struct walk_out *wo = arg;
	struct out o = {fp, wo->fmt, false};
	report_walk_on(&o, wo->w, NULL, wo->cluster);
}

bool save_walk(const struct walk *w, struct cluster *cluster, const char *name, char **msg)
{
	char *base = xstrdup(name);
	if (str_ends_with(base, ".md"))
		base[strlen(base) - 3] = '\0';
	else if (str_ends_with(base, ".json"))
		base[strlen(base) - 5] = '\0';
	char *md = xasprintf("%s.md", base), *js = xasprintf("%s.json", base);
	struct walk_out m = {w, FMT_MARKDOWN, cluster}, j = {w, FMT_JSON, cluster};
	bool ok = false;
	*msg = NULL;
	if (!*base)
		*msg = xstrdup("not saved");
	else if (exists(md) || exists(js))
		*msg = xasprintf("%s exists: choose another name", exists(md) ? md : js);
	else if (write_new(md, print_walk, &m, msg) && write_new(js, print_walk, &j, msg)) {
		*msg = xasprintf("Saved %s and .json (replays with --answers)", md);
		ok = true;
	}
	free(js);
	free(md);
	free(base);
	return ok;
}

char *session_source_label(const struct ctx *c)
{
	if (c->o.live)
		return xasprintf("live%s%s", c->o.context ? " " : "",
				 c->o.context ? c->o.context : "");
	if (!c->o.snapshot)
		return xstrdup("no cluster");
	/* the last two parts of the path: "demo/snapshot", "snapshots/healthy" */
	char *p = xstrdup(c->o.snapshot);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	const char *base = p;
	for (int parts = 0; n-- > 0;)
		if (p[n] == '/' && ++parts == 2) {
			base = p + n + 1;
			break;
		}
	char *s = xasprintf("snapshot %s", base);
	free(p);
	return s;
}
