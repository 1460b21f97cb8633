#include "cluster/live_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "base/limits.h"
#include "cluster/envoy.h"
#include "cluster/exec.h"
#include "cluster/forward.h"
#include "cluster/proxystatus.h"

#define KIND_ENTRY(k, r, f, s) {k, r, f, s},
#define KIND_NAME(k, r, f, s) k,
const struct kind_info live_kind_table[LIVE_NKINDS] = {LIVE_KINDS(KIND_ENTRY)};
static const char *const kind_names[] = {LIVE_KINDS(KIND_NAME) NULL};

static const struct kind_info *kind_find(const char *kind)
{
	for (size_t i = 0; i < LIVE_NKINDS; i++)
		if (strcmp(live_kind_table[i].kind, kind) == 0)
			return &live_kind_table[i];
	return NULL;
}

const char *const *live_kinds(void)
{
	return kind_names;
}

const char *live_resource(const char *kind)
{
	const struct kind_info *ki = kind_find(kind);
	return ki ? ki->resource : NULL;
}

bool live_kind_cluster_scoped(const char *kind)
{
	const struct kind_info *ki = kind_find(kind);
	return ki && ki->cluster_scoped;
}

/* The sidecar's Envoy admin port. */
#define ENVOY_ADMIN_PORT 15000

/* ---- commands ---- */

#define STR_(x) #x
#define STR(x) STR_(x)

void lv_arg(struct cmd *c, const char *s)
{
	if (c->n + 2 > MM_ARRAY_LEN(c->v))
		abort(); /* a programming error: commands here are short */
	c->v[c->n++] = s;
	c->v[c->n] = NULL;
}

void lv_cmd_start(struct cmd *c, const char *prog, const char *verb)
{
	c->n = 0;
	lv_arg(c, prog);
	lv_arg(c, verb);
}

/*
 * --context and --kubeconfig, passed through to every command; kubectl's
 * own --request-timeout a little inside ours, so that it gives up first and
 * says why (refused, reset, no answer) before it is killed.
 */
void lv_cmd_finish(struct cmd *c, const struct live *l)
{
	if (l->context) {
		lv_arg(c, "--context");
		lv_arg(c, l->context);
	}
	if (l->kubeconfig) {
		lv_arg(c, "--kubeconfig");
		lv_arg(c, l->kubeconfig);
	}
	if (strcmp(c->v[0], "kubectl") == 0 &&
	    (strcmp(c->v[1], "get") == 0 || strcmp(c->v[1], "logs") == 0)) {
		int ms = l->timeout_ms >= 2000 ? l->timeout_ms - 1000 : l->timeout_ms * 3 / 4;
		if (ms % 1000 == 0)
			snprintf(c->rt, sizeof(c->rt), "--request-timeout=%ds", ms / 1000);
		else
			snprintf(c->rt, sizeof(c->rt), "--request-timeout=%dms", ms);
		lv_arg(c, c->rt);
	}
}

/* The end of a kubectl get: (-n NS | -A) when namespaced, -o json, then the common flags. */
static void get_scope_json(struct cmd *c, const struct live *l, bool namespaced, const char *ns)
{
	if (namespaced) {
		if (ns) {
			lv_arg(c, "-n");
			lv_arg(c, ns);
		} else {
			lv_arg(c, "-A");
		}
	}
	lv_arg(c, "-o");
	lv_arg(c, "json");
	lv_cmd_finish(c, l);
}

/* kubectl get RESOURCE (-A | -n NS) -o json */
void lv_cmd_get(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns)
{
	lv_cmd_get_as(c, l, ki, ns, false);
}

void lv_cmd_get_as(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns,
		   bool plain)
{
	lv_cmd_start(c, "kubectl", "get");
	lv_arg(c, plain && ki->fallback ? ki->fallback : ki->resource);
	get_scope_json(c, l, !ki->cluster_scoped, ns);
}

void lv_cmd_get_many(struct cmd *c, const struct live *l, const struct kind_info *const ks[],
		     size_t n, const char *ns)
{
	size_t len = 0;
	bool namespaced = false;
	c->list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(c->list + len, sizeof(c->list) - len, "%s%s", i ? "," : "",
				 ks[i]->resource);
		if (w < 0 || (size_t)w >= sizeof(c->list) - len)
			abort(); /* a programming error: the kinds are few and their names short */
		len += (size_t)w;
		namespaced |= !ks[i]->cluster_scoped;
	}
	lv_cmd_start(c, "kubectl", "get");
	lv_arg(c, c->list);
	get_scope_json(c, l, namespaced, ns);
}

/* kubectl logs POD -n NS -c CONTAINER [--previous] --tail N; the names are validated. */
void lv_cmd_logs(struct cmd *c, const struct live *l, const char *ns, const char *pod,
		     const char *container, bool previous)
{
	lv_cmd_start(c, "kubectl", "logs");
	lv_arg(c, pod);
	lv_arg(c, "-n");
	lv_arg(c, ns);
	lv_arg(c, "-c");
	lv_arg(c, container);
	if (previous)
		lv_arg(c, "--previous");
	lv_arg(c, "--tail");
	lv_arg(c, STR(LIVE_LOG_LINES));
	lv_cmd_finish(c, l);
}

static char *fatal_answer(const char *const argv[], const char *err, bool exited)
{
	(void)argv;
	(void)exited;
	return exec_fatal_cause(err);
}

void lv_run_cmds(struct live *l, size_t n, const struct cmd cmds[], struct exec_result res[])
{
	if (l->dead) {
		/* the cluster cannot be used: nothing more is started */
		for (size_t i = 0; i < n; i++) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].status = -1;
			res[i].out = xstrdup("");
			res[i].err = xstrdup("");
			res[i].error = xasprintf("%s: %s", EXEC_STOPPED, l->dead);
		}
		return;
	}
	const char *const **argvs = xcalloc(n ? n : 1, sizeof(*argvs));
	for (size_t i = 0; i < n; i++)
		argvs[i] = cmds[i].v;
	char *cause = NULL;
	exec_run_many_ff(n, argvs, l->timeout_ms, l->out_cap, res, fatal_answer, &cause);
	/* the cause was seen in stderr as it came: a command that ended on its own says it whole */
	for (size_t i = 0; cause && i < n; i++) {
		char *whole = !res[i].error && !res[i].timed_out ? exec_fatal_cause(res[i].err) : NULL;
		if (whole) {
			free(cause);
			cause = whole;
			break;
		}
	}
	if (cause && !l->dead)
		l->dead = cause;
	else
		free(cause);
	free(argvs);
}

char *lv_explain(const struct live *l, const struct cmd *cmd, const struct exec_result *r)
{
	if (r->error && l->dead && strncmp(r->error, EXEC_STOPPED, strlen(EXEC_STOPPED)) == 0)
		return xstrdup(l->dead);
	char *why = exec_explain(cmd->v, r, l->timeout_ms);
	/* the command that showed the cluster unusable says it as the others do */
	if (why && l->dead && r->err && !r->error) {
		char *cause = exec_fatal_cause(r->err);
		if (cause && strcmp(cause, l->dead) == 0 && strncmp(why, cause, strlen(cause)) != 0) {
			free(why);
			why = cause;
			cause = NULL;
		}
		free(cause);
	}
	return why;
}

static void note_read(struct live *l, const char *why)
{
	if (!why)
		l->read_any = true;
	else if (!l->first_failure && strncmp(why, CLUSTER_CANCELLED, strlen(CLUSTER_CANCELLED)) != 0)
		l->first_failure = xstrdup(why);
}

/* ---- options ---- */

/* A context name: conservative, as kubeconfigs name them (EKS ARNs, gke_p_z_c, user@cluster). */
static bool context_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:@/+-", s[i]))
			return false;
	return true;
}

/* NULL if path is fit for --kubeconfig, else why (new string). */
static char *kubeconfig_problem(const char *path)
{
	struct stat st;
	char *clean = sanitize(path, false);
	char *why = NULL;
	if (!*path || path[0] == '-')
		why = xasprintf("invalid --kubeconfig '%s': a file path must not start with '-'",
				clean);
	else if (stat(path, &st) != 0)
		why = xasprintf("--kubeconfig %s: %s", clean, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		why = xasprintf("--kubeconfig %s: not a regular file", clean);
	free(clean);
	return why;
}

struct live *live_new(const struct live_opts *o, char **err)
{
	if (o->context && !context_ok(o->context)) {
		char *clean = sanitize(o->context, false);
		*err = xasprintf("invalid --context '%s': use letters, digits and . _ : @ / + - "
				 "(not first)",
				 clean);
		free(clean);
		return NULL;
	}
	if (o->kubeconfig && (*err = kubeconfig_problem(o->kubeconfig)))
		return NULL;
	if (o->timeout_s < 0 || o->timeout_s > 24 * 3600) {
		*err = xasprintf("invalid timeout %d s", o->timeout_s);
		return NULL;
	}
	struct live *l = xcalloc(1, sizeof(*l));
	l->context = o->context ? xstrdup(o->context) : NULL;
	l->kubeconfig = o->kubeconfig ? xstrdup(o->kubeconfig) : NULL;
	l->ns = o->namespace && is_dns1123_label(o->namespace) ? xstrdup(o->namespace) : NULL;
	l->timeout_ms = 1000 * (o->timeout_s ? o->timeout_s : LIVE_DEFAULT_TIMEOUT_S);
	l->out_cap = o->out_cap ? o->out_cap : LIVE_DEFAULT_OUT_CAP;
	/* tests lower the object limit, to reach it without a million objects */
	const char *lim = getenv("MESHMEDIC_TEST_OBJECT_LIMIT");
	long v = lim ? strtol(lim, NULL, 10) : 0;
	if (v > 0 && (size_t)v < mm_limits.objects)
		mm_limits.objects = (size_t)v;
	return l;
}

void live_free(void *ctx)
{
	struct live *l = ctx;
	for (size_t i = 0; i < l->nforwards; i++) {
		exec_bg_stop(l->forwards[i].bg);
		free(l->forwards[i].key);
		free(l->forwards[i].url);
		free(l->forwards[i].reason);
	}
	free(l->forwards);
	for (size_t i = 0; i < l->nfetched; i++) {
		free(l->fetched[i].kind);
		free(l->fetched[i].reason);
	}
	free(l->fetched);
	for (size_t i = 0; i < l->nlogs; i++) {
		free(l->logs[i].key);
		free(l->logs[i].text);
		free(l->logs[i].reason);
	}
	free(l->logs);
	free(l->context);
	free(l->kubeconfig);
	free(l->ns);
	free(l->dead);
	free(l->over);
	free(l->first_failure);
	free(l);
}

/* ---- kinds ---- */

/*
 * The items of what kubectl get -o json printed, each with its kind (a new
 * array), or NULL with *reason.
 */
json_t *live_parse_items(const struct kind_info *ki, const struct cmd *cmd,
			   const struct exec_result *r, char **reason)
{
	char *what = exec_describe(cmd->v);
	json_error_t je;
	json_t *j = json_loadb(r->out, r->out_len, 0, &je);
	json_t *items = json_object_get(j, "items");
	json_t *out = NULL;
	if (!j) {
		char *msg = sanitize(je.text, false);
		*reason = xasprintf("malformed output: %s did not print JSON (line %d: %s)", what,
				    je.line, msg);
		free(msg);
	} else if (json_is_array(items)) {
		/* List items carry their kind; should one lack it, the list's kind says it */
		const char *lk = jstr(j, "kind");
		char *item_kind = lk && str_ends_with(lk, "List") && strcmp(lk, "List") != 0
					  ? xstrndup(lk, strlen(lk) - 4)
					  : xstrdup(ki->kind);
		out = json_array();
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			if (!json_is_object(it))
				continue;
			if (!json_is_string(json_object_get(it, "kind")))
				json_object_set_new(it, "kind", json_string(item_kind));
			json_array_append(out, it);
		}
		free(item_kind);
	} else if (json_is_object(j) && jstr(j, "kind") && jstr(j, "metadata.name")) {
		out = json_array();
		json_array_append(out, j);
	} else {
		*reason = xasprintf("malformed output: %s printed JSON that is not a List", what);
	}
	json_decref(j);
	free(what);
	return out;
}

/*
 * Add what one `kubectl get` listed. Past the limit of objects per snapshot
 * the cluster is refused whole (a check of part of it would conclude from
 * what was dropped): nothing more is read, and the front end exits 2.
 */
static void add_listed(struct live *l, struct cluster *c, json_t *items, const char *what)
{
	size_t k;
	json_t *it;
	json_array_foreach(items, k, it) {
		if (!cluster_add(c, json_incref(it), what, 0) && cluster_full(c) && !l->over) {
			l->over = xasprintf("the cluster has more than %zu objects (the limit of "
					    "objects per snapshot)",
					    mm_limits.objects);
			if (!l->dead)
				l->dead = xstrdup(l->over);
		}
	}
}

static struct fetched *fetched_find(struct live *l, const char *kind)
{
	for (size_t i = 0; i < l->nfetched; i++)
		if (strcmp(l->fetched[i].kind, kind) == 0)
			return &l->fetched[i];
	return NULL;
}

static void fetched_add(struct live *l, const char *kind, char *reason)
{
	l->fetched = xrealloc(l->fetched, (l->nfetched + 1) * sizeof(*l->fetched));
	l->fetched[l->nfetched++] = (struct fetched){xstrdup(kind), reason};
}

/* Add the items that one `kubectl get` printed; false with *reason if it failed. */
static bool add_items(struct live *l, struct cluster *c, const struct kind_info *ki,
		      const struct cmd *cmd, struct exec_result *res, char **reason)
{
	*reason = lv_explain(l, cmd, res);
	json_t *items = *reason ? NULL : live_parse_items(ki, cmd, res, reason);
	note_read(l, *reason);
	if (!items)
		return false;
	char *what = exec_describe(cmd->v);
	add_listed(l, c, items, what);
	free(what);
	json_decref(items);
	return true;
}

/* What a kind's first read left to do: read it again by its plain name, or namespace by namespace. */
struct retry {
	const struct kind_info *ki;
	char *reason;        /* of the first read; NULL once read */
	bool plain;          /* the fallback name */
	size_t first, count; /* its commands in the second round */
	const char *nss[2];
};

static bool is_cancelled(const struct exec_result *r)
{
	return r->error && strcmp(r->error, EXEC_CANCELLED) == 0;
}

/*
 * A kind read namespace by namespace after "across all namespaces" was
 * Forbidden: what was read is kept, and the kind is partial, naming what
 * could not be read and the permission to ask for. The control plane's
 * ConfigMaps are all that is used of them: istio-system is enough.
 */
static void settle_namespaces(struct live *l, struct cluster *c, struct retry *t,
			      const struct cmd cmds[], struct exec_result res[])
{
	const char *read[3] = {NULL, NULL, NULL};
	size_t nread = 0;
	char *fail = NULL;
	for (size_t i = 0; i < t->count; i++) {
		char *why = NULL;
		if (add_items(l, c, t->ki, &cmds[t->first + i], &res[t->first + i], &why))
			read[nread++] = t->nss[i];
		else if (!fail)
			fail = why;
		else
			free(why);
	}
	bool control_only = strcmp(t->ki->kind, "ConfigMap") == 0;
	if (nread == t->count || (control_only && nread)) {
		/* every namespace used could be read */
		free(t->reason);
		t->reason = NULL;
	} else if (nread) {
		char *what = xasprintf("read in namespace %s only; %s", read[0], fail);
		free(t->reason);
		t->reason = NULL;
		cluster_mark_partial(c, t->ki->kind, read, what);
		free(what);
	} else if (fail) {
		/* the namespace's own refusal names the permission to ask for there */
		free(t->reason);
		t->reason = fail;
		fail = NULL;
	}
	free(fail);
}

/*
 * The kind a line of kubectl's stderr refuses ("Error from server
 * (Forbidden): virtualservices.networking.istio.io is forbidden: ..."),
 * among ks, or SIZE_MAX.
 */
static size_t refused_kind(const char *line, size_t len, const struct kind_info *const ks[],
			   size_t n)
{
	static const char head[] = "Error from server (Forbidden): ";
	if (len < sizeof(head) || strncmp(line, head, sizeof(head) - 1) != 0)
		return SIZE_MAX;
	const char *name = line + sizeof(head) - 1;
	const char *end = memchr(name, ' ', len - (size_t)(name - line));
	if (!end || (size_t)(line + len - end) < 14 || strncmp(end, " is forbidden:", 14) != 0)
		return SIZE_MAX;
	size_t nl = (size_t)(end - name);
	for (size_t i = 0; i < n; i++) {
		/* kubectl names it plural.group: the resource without its version */
		const char *r = ks[i]->resource, *dot = strchr(r, '.');
		const char *group = ks[i]->fallback ? strchr(ks[i]->fallback, '.') : dot;
		size_t pl = dot ? (size_t)(dot - r) : strlen(r);
		size_t gl = group ? strlen(group) : 0;
		if (nl == pl + gl && strncmp(name, r, pl) == 0 && (!gl || memcmp(name + pl, group, gl) == 0))
			return i;
	}
	return SIZE_MAX;
}

/*
 * Split what one `kubectl get A,B,... -A -o json` for n kinds printed:
 * kubectl prints one List of what it could read and a line on stderr for
 * each kind it may not list. res[i] becomes kind i's own answer: its items
 * added (read[i]), or its refusal as if it had been read alone. False when
 * the answer cannot be told apart by kind (an unknown resource type, a
 * server error, garbage): then each kind is read on its own.
 */
static bool split_answer(struct live *l, struct cluster *c, const struct kind_info *const ks[],
			 size_t n, const struct cmd *cmd, const struct exec_result *r,
			 struct exec_result res[], bool read[])
{
	bool ok = !r->error && !r->timed_out && !r->truncated && !r->signal;
	size_t nrefused = 0;
	const char *lines[LIVE_NKINDS] = {NULL};
	size_t lens[LIVE_NKINDS] = {0};
	/* exit 0 is every kind read, whatever kubectl warned of (an aggregated API down, say) */
	for (const char *p = r->status ? r->err : NULL; ok && p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		size_t k = len ? refused_kind(p, len, ks, n) : SIZE_MAX;
		if (k != SIZE_MAX && !lines[k]) {
			lines[k] = p;
			lens[k] = len;
			nrefused++;
		} else if (len && strncmp(p, "Warning:", 8) != 0) {
			ok = false; /* a line that is not one kind's refusal */
		}
		p = e ? e + 1 : p + len;
	}
	/* exit 0 with no refusal, or exit 1 with only refusals */
	ok = ok && (r->status == 0 ? nrefused == 0 : r->status == 1 && nrefused > 0);
	char *why = NULL;
	json_t *items = ok ? live_parse_items(ks[0], cmd, r, &why) : NULL;
	free(why);
	if (!items)
		return false;
	char *what = exec_describe(cmd->v);
	add_listed(l, c, items, what);
	free(what);
	json_decref(items);
	for (size_t i = 0; i < n; i++) {
		read[i] = !lines[i];
		memset(&res[i], 0, sizeof(res[i]));
		res[i].status = lines[i] ? 1 : 0;
		res[i].out = xstrdup("");
		res[i].err = lines[i] ? xstrndup(lines[i], lens[i]) : xstrdup("");
		if (read[i])
			note_read(l, NULL);
	}
	return true;
}

/* A kind of a group that timed out or was stopped or cancelled: the group's end, as its own. */
static void share_end(const struct exec_result *r, struct exec_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = r->status;
	res->signal = r->signal;
	res->timed_out = r->timed_out;
	res->out = xstrdup("");
	res->err = xstrdup(r->err ? r->err : "");
	res->error = r->error ? xstrdup(r->error) : NULL;
}

/*
 * How many `kubectl get` read the kinds together, concurrently. Starting
 * kubectl costs more than its answer on a busy machine, while one process
 * asks the server for its kinds one after another: on 1,000 pods, 20
 * processes took 4x one `kubectl get pods`, 4 groups 1.8x, 2 groups 1.35x,
 * one about 1x (bench/live.sh on a loaded 2-core machine).
 */
#define LIVE_GET_GROUPS 1

/*
 * The first read of n kinds across all namespaces: in LIVE_GET_GROUPS
 * combined commands, each kind of a group whose answer cannot be split read
 * again on its own (all of those at once). res[i] is kind i's answer;
 * read[i] says its items were added already.
 */
static void read_kinds(struct live *l, struct cluster *c, const struct kind_info *const ks[],
		       size_t n, const struct cmd cmds[], struct exec_result res[], bool read[])
{
	size_t g = n < 2 ? 0 : n < LIVE_GET_GROUPS ? 1 : LIVE_GET_GROUPS;
	struct cmd *gc = xcalloc(g ? g : 1, sizeof(*gc));
	struct exec_result *gr = xcalloc(g ? g : 1, sizeof(*gr));
	bool *alone = xcalloc(n ? n : 1, sizeof(*alone));
	for (size_t k = 0; k < g; k++)
		lv_cmd_get_many(&gc[k], l, ks + k * n / g, (k + 1) * n / g - k * n / g, NULL);
	if (g)
		lv_run_cmds(l, g, gc, gr);
	for (size_t k = 0; k < g; k++) {
		size_t a = k * n / g, b = (k + 1) * n / g;
		bool ended = gr[k].timed_out || is_cancelled(&gr[k]) ||
			     (gr[k].error && strncmp(gr[k].error, EXEC_STOPPED, strlen(EXEC_STOPPED)) == 0);
		/* a timeout is every kind's: reading them again would cost another --timeout */
		for (size_t i = a; ended && i < b; i++)
			share_end(&gr[k], &res[i]);
		if (!ended && !split_answer(l, c, ks + a, b - a, &gc[k], &gr[k], res + a, read + a))
			for (size_t i = a; i < b; i++)
				alone[i] = true;
		exec_result_free(&gr[k]);
	}
	if (!g)
		for (size_t i = 0; i < n; i++)
			alone[i] = true;
	size_t m = 0;
	struct cmd *ac = xcalloc(n ? n : 1, sizeof(*ac));
	struct exec_result *ar = xcalloc(n ? n : 1, sizeof(*ar));
	for (size_t i = 0; i < n; i++)
		if (alone[i])
			ac[m++] = cmds[i];
	/* the copies' argv still point into cmds[i]'s buffers, which outlive them */
	if (m)
		lv_run_cmds(l, m, ac, ar);
	for (size_t i = 0, j = 0; i < n; i++)
		if (alone[i])
			res[i] = ar[j++];
	free(ar);
	free(ac);
	free(alone);
	free(gr);
	free(gc);
}

/*
 * Read n kinds at once into the cluster, recording each as fetched (with the
 * reason if not). A second round, all at once too, reads by the plain name
 * what the cluster lacks in the version asked for, and namespace by namespace
 * (the one asked about and istio-system) what may not be listed everywhere.
 */
static void fetch_kinds(struct live *l, struct cluster *c, const struct kind_info *const ks[],
			size_t n)
{
	struct cmd *cmds = xcalloc(n ? n : 1, sizeof(*cmds));
	struct exec_result *res = xcalloc(n ? n : 1, sizeof(*res));
	struct retry *t = xcalloc(n ? n : 1, sizeof(*t));
	bool *read = xcalloc(n ? n : 1, sizeof(*read));
	for (size_t i = 0; i < n; i++)
		lv_cmd_get(&cmds[i], l, ks[i], NULL);
	read_kinds(l, c, ks, n, cmds, res, read);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		t[i].ki = ks[i];
		/* a cancelled fetch is not recorded: the kind is read again when asked */
		if (is_cancelled(&res[i])) {
			t[i].ki = NULL;
			continue;
		}
		char *reason = NULL;
		if (!read[i])
			add_items(l, c, ks[i], &cmds[i], &res[i], &reason);
		t[i].reason = reason;
		bool control_only = strcmp(ks[i]->kind, "ConfigMap") == 0;
		if (reason && ks[i]->fallback && strncmp(reason, "not found: ", 11) == 0) {
			t[i].plain = true;
			t[i].count = 1;
		} else if (reason && (l->ns || control_only) && !ks[i]->cluster_scoped &&
			   strncmp(reason, "forbidden", 9) == 0) {
			if (l->ns && !control_only && strcmp(l->ns, "istio-system") != 0)
				t[i].nss[t[i].count++] = l->ns;
			t[i].nss[t[i].count++] = "istio-system";
		}
		t[i].first = m;
		m += t[i].count;
	}
	struct cmd *again = xcalloc(m ? m : 1, sizeof(*again));
	struct exec_result *ares = xcalloc(m ? m : 1, sizeof(*ares));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; t[i].ki && k < t[i].count; k++)
			lv_cmd_get_as(&again[t[i].first + k], l, ks[i],
				      t[i].plain ? NULL : t[i].nss[k], t[i].plain);
	if (m)
		lv_run_cmds(l, m, again, ares);
	for (size_t i = 0; i < n; i++) {
		exec_result_free(&res[i]);
		if (!t[i].ki)
			continue;
		if (t[i].plain && !is_cancelled(&ares[t[i].first])) {
			char *why = NULL;
			/* either way the plain name's answer is the one to keep */
			add_items(l, c, ks[i], &again[t[i].first], &ares[t[i].first], &why);
			free(t[i].reason);
			t[i].reason = why;
		} else if (t[i].count) {
			settle_namespaces(l, c, &t[i], again, ares);
		}
		for (size_t k = 0; k < t[i].count; k++)
			exec_result_free(&ares[t[i].first + k]);
		fetched_add(l, ks[i]->kind, t[i].reason);
	}
	free(ares);
	free(again);
	free(read);
	free(t);
	free(res);
	free(cmds);
}

static bool live_load_kind(void *ctx, struct cluster *c, const char *kind, char **reason)
{
	struct live *l = ctx;
	struct fetched *f = fetched_find(l, kind);
	if (!f) {
		const struct kind_info *ki = kind_find(kind);
		if (!ki) {
			*reason = strcmp(kind, "Secret") == 0
					  ? xstrdup("Secrets are never read")
					  : xasprintf("the live source does not read %s", kind);
			return false;
		}
		fetch_kinds(l, c, &ki, 1);
		if (!(f = fetched_find(l, kind))) {
			*reason = xasprintf("%s: reading %s was stopped", CLUSTER_CANCELLED, kind);
			return false;
		}
	}
	if (f->reason) {
		*reason = xstrdup(f->reason);
		return false;
	}
	return true;
}

void live_prefetch(struct cluster *c, const char *const want[])
{
	const struct cluster_source *src = cluster_source(c);
	if (!src || src->free != live_free)
		return;
	struct live *l = src->ctx;
	size_t n = 0;
	while (want[n])
		n++;
	const struct kind_info **ks = xcalloc(n ? n : 1, sizeof(*ks));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kind_info *ki = kind_find(want[i]);
		bool dup = false;
		for (size_t k = 0; k < m && ki; k++)
			dup |= ks[k] == ki;
		if (ki && !dup && !fetched_find(l, ki->kind))
			ks[m++] = ki;
	}
	fetch_kinds(l, c, ks, m);
	for (size_t i = 0; i < m; i++) {
		const struct fetched *f = fetched_find(l, ks[i]->kind);
		if (!f)
			continue;
		if (f->reason)
			cluster_mark_unavailable(c, f->kind, f->reason);
		else
			cluster_mark_loaded(c, f->kind);
	}
	free(ks);
}

/* ---- logs and proxy-status ---- */

/* Whether the names may go into argv and paths. */
bool live_log_names_ok(const char *ns, const char *pod, const char *container)
{
	return is_dns1123_label(ns) && is_dns1123_subdomain(pod) && is_dns1123_label(container);
}

/* Whether a pod object names the container (or init container). */
static bool pod_has_container(json_t *pod, const char *name)
{
	static const char *const lists[] = {"spec.containers", "spec.initContainers",
					    "spec.ephemeralContainers"};
	for (size_t k = 0; k < MM_ARRAY_LEN(lists); k++) {
		size_t i;
		json_t *ct;
		json_array_foreach(jpath(pod, lists[k]), i, ct) {
			const char *n = jstr(ct, "name");
			if (n && strcmp(n, name) == 0)
				return true;
		}
	}
	return false;
}

/* NULL if the names may go into argv and paths, else why (new string). */
static char *log_names_problem(const char *ns, const char *pod, const char *container)
{
	const char *bad = NULL, *what = NULL;
	if (!is_dns1123_label(ns))
		bad = ns, what = "namespace";
	else if (!is_dns1123_subdomain(pod))
		bad = pod, what = "pod";
	else if (!is_dns1123_label(container))
		bad = container, what = "container";
	if (!bad)
		return NULL;
	char *clean = sanitize(bad, false);
	char *why = xasprintf("invalid %s name '%s'", what, clean);
	free(clean);
	return why;
}

static char *live_read_log(void *ctx, const char *ns, const char *pod, const char *container,
			   bool previous, char **reason)
{
	struct live *l = ctx;
	if ((*reason = log_names_problem(ns, pod, container)))
		return NULL;
	char *key = xasprintf("%s/%s/%s%s", ns, pod, container, previous ? "/previous" : "");
	struct cached_log *cl = NULL;
	for (size_t i = 0; i < l->nlogs && !cl; i++)
		if (strcmp(l->logs[i].key, key) == 0)
			cl = &l->logs[i];
	/* a pod read without that container (out of the mesh: no istio-proxy) has no such log */
	const struct fetched *pods = fetched_find(l, "Pod");
	const struct kobj *po = pods && !pods->reason ? cluster_get(l->c, "Pod", ns, pod) : NULL;
	if (!cl && po && !pod_has_container(po->j, container)) {
		free(key);
		*reason = xasprintf("not found: pod %s/%s has no container %s%s", ns, pod, container,
				    strcmp(container, "istio-proxy") == 0 ? " (it is not in the mesh)" : "");
		return NULL;
	}
	if (cl) {
		free(key);
	} else {
		struct cmd cmd;
		struct exec_result r;
		lv_cmd_logs(&cmd, l, ns, pod, container, previous);
		lv_run_cmds(l, 1, &cmd, &r);
		char *why = lv_explain(l, &cmd, &r);
		note_read(l, why);
		/* a cancelled read is not cached: the next probe reads the log again */
		if (r.error && strcmp(r.error, EXEC_CANCELLED) == 0) {
			exec_result_free(&r);
			free(key);
			*reason = why;
			return NULL;
		}
		l->logs = xrealloc(l->logs, (l->nlogs + 1) * sizeof(*l->logs));
		cl = &l->logs[l->nlogs++];
		*cl = (struct cached_log){key, why ? NULL : xstrdup(r.out), why};
		exec_result_free(&r);
	}
	if (cl->reason) {
		*reason = xstrdup(cl->reason);
		return NULL;
	}
	*reason = NULL;
	return xstrdup(cl->text);
}

/* Rows of istioctl proxy-status output, or false with *reason. */
bool live_parse_proxy_status(const char *text, struct proxy_status **rows, size_t *n,
			       char **reason)
{
	char *err = NULL;
	*rows = NULL;
	*n = 0;
	if (proxy_status_parse(text, rows, n, &err))
		return true;
	char *clean = sanitize(err ? err : "unrecognised table", false);
	*reason = xasprintf("malformed output: istioctl proxy-status: %s", clean);
	free(clean);
	free(err);
	return false;
}

static bool live_load_proxy_status(void *ctx, struct cluster *c, char **reason)
{
	struct live *l = ctx;
	struct cmd cmd;
	struct exec_result r;
	lv_cmd_start(&cmd, "istioctl", "proxy-status");
	lv_cmd_finish(&cmd, l);
	lv_run_cmds(l, 1, &cmd, &r);
	/* no istioctl: the same sync state from istiod's /debug/syncz (forward.c) */
	if (r.not_found) {
		exec_result_free(&r);
		return forward_syncz(l, c, reason);
	}
	*reason = lv_explain(l, &cmd, &r);
	struct proxy_status *rows;
	size_t n;
	bool ok = !*reason && live_parse_proxy_status(r.out, &rows, &n, reason);
	if (ok)
		cluster_take_proxy_status(c, rows, n, NULL);
	exec_result_free(&r);
	return ok;
}

/* The control plane's version from `istioctl version -o json`: its pilot (istiod) component's. */
static char *live_istio_version(void *ctx, char **reason)
{
	struct live *l = ctx;
	struct cmd cmd;
	struct exec_result r;
	lv_cmd_start(&cmd, "istioctl", "version");
	lv_arg(&cmd, "-o");
	lv_arg(&cmd, "json");
	lv_cmd_finish(&cmd, l);
	lv_run_cmds(l, 1, &cmd, &r);
	char *v = NULL;
	*reason = lv_explain(l, &cmd, &r);
	json_t *j = *reason ? NULL : json_loadb(r.out, r.out_len, 0, NULL);
	size_t i;
	json_t *mv;
	json_array_foreach(json_object_get(j, "meshVersion"), i, mv) {
		const char *comp = jstr(mv, "Component"), *ver = jstr(mv, "Info.version");
		if (!v && comp && ver && (strcmp(comp, "pilot") == 0 || strcmp(comp, "istiod") == 0))
			v = sanitize(ver, false);
	}
	if (!*reason && !v)
		*reason = xstrdup(j ? "no pilot (istiod) component in its meshVersion"
				    : "malformed output: it did not print JSON");
	json_decref(j);
	exec_result_free(&r);
	return v;
}

/* The admin port of a pod's sidecar, forwarded to a local port that kubectl picks. */
static struct forward *forward_to(struct live *l, const char *ns, const char *pod)
{
	char *key = xasprintf("%s/%s", ns, pod);
	for (size_t i = 0; i < l->nforwards; i++)
		if (strcmp(l->forwards[i].key, key) == 0) {
			free(key);
			return &l->forwards[i];
		}
	l->forwards = xrealloc(l->forwards, (l->nforwards + 1) * sizeof(*l->forwards));
	struct forward *f = &l->forwards[l->nforwards++];
	*f = (struct forward){.key = key};
	char *target = xasprintf("pod/%s", pod);
	struct cmd cmd;
	lv_cmd_start(&cmd, "kubectl", "port-forward");
	lv_arg(&cmd, "-n");
	lv_arg(&cmd, ns);
	lv_arg(&cmd, "--address");
	lv_arg(&cmd, "127.0.0.1");
	lv_arg(&cmd, target);
	lv_arg(&cmd, ":" STR(ENVOY_ADMIN_PORT));
	lv_cmd_finish(&cmd, l);
	char *why = NULL;
	f->bg = exec_bg_start(cmd.v, &why);
	/* kubectl prints "Forwarding from 127.0.0.1:PORT -> 15000" once it listens */
	char *line = f->bg ? exec_bg_wait_line(f->bg, "Forwarding from 127.0.0.1:", l->timeout_ms,
					       &why)
			   : NULL;
	const char *colon = line ? strstr(line, "127.0.0.1:") : NULL;
	long port = colon ? strtol(colon + 10, NULL, 10) : 0;
	if (port > 0 && port < 65536) {
		f->url = xasprintf("http://127.0.0.1:%ld", port);
	} else {
		exec_bg_stop(f->bg);
		f->bg = NULL;
		f->reason = xasprintf("kubectl port-forward to %s/%s: %s", ns, pod,
				      why ? why : "no local port in its output");
	}
	free(why);
	free(line);
	free(target);
	return f;
}

static json_t *live_read_admin(void *ctx, const char *ns, const char *pod, const char *doc,
			       char **reason)
{
	struct live *l = ctx;
	if ((*reason = log_names_problem(ns, pod, "istio-proxy")))
		return NULL;
	struct forward *f = forward_to(l, ns, pod);
	if (!f->url) {
		*reason = xstrdup(f->reason);
		return NULL;
	}
	return envoy_fetch(f->url, doc, l->timeout_ms, reason);
}

bool live_over_limit(struct cluster *c, const char **reason)
{
	const struct cluster_source *src = c ? cluster_source(c) : NULL;
	if (!src || src->free != live_free || !((const struct live *)src->ctx)->over)
		return false;
	*reason = ((const struct live *)src->ctx)->over;
	return true;
}

bool live_nothing_read(struct cluster *c, const char **reason)
{
	const struct cluster_source *src = c ? cluster_source(c) : NULL;
	if (!src || src->free != live_free)
		return false;
	const struct live *l = src->ctx;
	if (l->read_any || (!l->dead && !l->first_failure))
		return false;
	*reason = l->dead ? l->dead : l->first_failure;
	return true;
}

struct cluster *live_open(const struct live_opts *o, char **err)
{
	struct live *l = live_new(o, err);
	if (!l)
		return NULL;
	l->src = (struct cluster_source){.ctx = l,
					 .load_kind = live_load_kind,
					 .read_log = live_read_log,
					 .load_proxy_status = live_load_proxy_status,
					 .read_admin = live_read_admin,
					 .istio_version = live_istio_version,
					 .free = live_free};
	l->c = cluster_new();
	cluster_set_source(l->c, &l->src);
	cluster_set_http_timeout(l->c, l->timeout_ms);
	return l->c;
}
