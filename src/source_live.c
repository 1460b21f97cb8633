#include "source_live.h"

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
#include "envoy.h"
#include "exec.h"
#include "proxystatus.h"

/*
 * The kinds the live source reads: Kind, the resource kubectl get is given
 * (with its group where another API has the same plural, as Gateway API's
 * gateways does), and whether it is cluster-scoped. Never Secrets.
 */
#define LIVE_KINDS(X)                                                                            \
	X("Namespace", "namespaces", true)                                                       \
	X("Pod", "pods", false)                                                                  \
	X("Service", "services", false)                                                          \
	X("Endpoints", "endpoints", false)                                                       \
	X("Deployment", "deployments.apps", false)                                               \
	X("StatefulSet", "statefulsets.apps", false)                                             \
	X("DaemonSet", "daemonsets.apps", false)                                                 \
	X("ConfigMap", "configmaps", false)                                                      \
	X("Event", "events", false)                                                              \
	X("MutatingWebhookConfiguration",                                                        \
	  "mutatingwebhookconfigurations.admissionregistration.k8s.io", true)                    \
	X("VirtualService", "virtualservices.networking.istio.io", false)                        \
	X("DestinationRule", "destinationrules.networking.istio.io", false)                      \
	X("Gateway", "gateways.networking.istio.io", false)                                      \
	X("ServiceEntry", "serviceentries.networking.istio.io", false)                           \
	X("Sidecar", "sidecars.networking.istio.io", false)                                      \
	X("EnvoyFilter", "envoyfilters.networking.istio.io", false)                              \
	X("PeerAuthentication", "peerauthentications.security.istio.io", false)                  \
	X("AuthorizationPolicy", "authorizationpolicies.security.istio.io", false)               \
	X("RequestAuthentication", "requestauthentications.security.istio.io", false)            \
	X("Telemetry", "telemetries.telemetry.istio.io", false)

struct kind_info {
	const char *kind, *resource;
	bool cluster_scoped;
};

#define KIND_ENTRY(k, r, s) {k, r, s},
#define KIND_NAME(k, r, s) k,
static const struct kind_info kinds[] = {LIVE_KINDS(KIND_ENTRY)};
static const char *const kind_names[] = {LIVE_KINDS(KIND_NAME) NULL};

static const struct kind_info *kind_find(const char *kind)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
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

/* A kind read (or tried): reason is NULL if it was read. */
struct fetched {
	char *kind, *reason;
};

/* A log read (or tried), kept for the session. */
struct cached_log {
	char *key, *text, *reason;
};

struct live {
	struct cluster_source src;
	struct cluster *c; /* NULL for a snapshot */
	char *context, *kubeconfig, *ns;
	int timeout_ms;
	size_t out_cap;
	struct fetched *fetched;
	size_t nfetched;
	struct cached_log *logs;
	size_t nlogs;
	struct forward *forwards;
	size_t nforwards;
};

/* A kubectl port-forward to a sidecar's admin port, kept for the session. */
struct forward {
	char *key;  /* "NS/POD" */
	struct exec_bg *bg;
	char *url;  /* "http://127.0.0.1:PORT", or NULL if it failed */
	char *reason;
};

/* The sidecar's Envoy admin port. */
#define ENVOY_ADMIN_PORT 15000

/* ---- commands ---- */

#define STR_(x) #x
#define STR(x) STR_(x)

/* An argv under construction; the strings are borrowed. */
struct cmd {
	const char *v[24];
	size_t n;
};

static void arg(struct cmd *c, const char *s)
{
	if (c->n + 2 > MM_ARRAY_LEN(c->v))
		abort(); /* a programming error: commands here are short */
	c->v[c->n++] = s;
	c->v[c->n] = NULL;
}

static void cmd_start(struct cmd *c, const char *prog, const char *verb)
{
	c->n = 0;
	arg(c, prog);
	arg(c, verb);
}

/* --context and --kubeconfig, passed through to every command. */
static void cmd_finish(struct cmd *c, const struct live *l)
{
	if (l->context) {
		arg(c, "--context");
		arg(c, l->context);
	}
	if (l->kubeconfig) {
		arg(c, "--kubeconfig");
		arg(c, l->kubeconfig);
	}
}

/* kubectl get RESOURCE (-A | -n NS) -o json */
static void cmd_get(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns)
{
	cmd_start(c, "kubectl", "get");
	arg(c, ki->resource);
	if (!ki->cluster_scoped) {
		if (ns) {
			arg(c, "-n");
			arg(c, ns);
		} else {
			arg(c, "-A");
		}
	}
	arg(c, "-o");
	arg(c, "json");
	cmd_finish(c, l);
}

/* kubectl logs POD -n NS -c CONTAINER [--previous] --tail N; the names are validated. */
static void cmd_logs(struct cmd *c, const struct live *l, const char *ns, const char *pod,
		     const char *container, bool previous)
{
	cmd_start(c, "kubectl", "logs");
	arg(c, pod);
	arg(c, "-n");
	arg(c, ns);
	arg(c, "-c");
	arg(c, container);
	if (previous)
		arg(c, "--previous");
	arg(c, "--tail");
	arg(c, STR(LIVE_LOG_LINES));
	cmd_finish(c, l);
}

/* Run commands concurrently; res[i] is for cmds[i]. */
static void run_cmds(const struct live *l, size_t n, const struct cmd cmds[],
		     struct exec_result res[])
{
	const char *const **argvs = xcalloc(n ? n : 1, sizeof(*argvs));
	for (size_t i = 0; i < n; i++)
		argvs[i] = cmds[i].v;
	exec_run_many(n, argvs, l->timeout_ms, l->out_cap, res);
	free(argvs);
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

static struct live *live_new(const struct live_opts *o, char **err)
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
	return l;
}

static void live_free(void *ctx)
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
	free(l);
}

/* ---- kinds ---- */

/*
 * The items of what kubectl get -o json printed, each with its kind (a new
 * array), or NULL with *reason.
 */
static json_t *parse_items(const struct kind_info *ki, const struct cmd *cmd,
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
	*reason = exec_explain(cmd->v, res, l->timeout_ms);
	json_t *items = *reason ? NULL : parse_items(ki, cmd, res, reason);
	if (!items)
		return false;
	char *what = exec_describe(cmd->v);
	size_t k;
	json_t *it;
	json_array_foreach(items, k, it)
		cluster_add(c, json_incref(it), what, 0);
	free(what);
	json_decref(items);
	return true;
}

/*
 * A namespaced kind that may not be listed in every namespace: read it in
 * the namespace asked about (if any, and unless only the control plane's
 * objects are used) and in istio-system. NULL if all could be read, else
 * why (new string).
 */
static char *fetch_in_namespaces(struct live *l, struct cluster *c, const struct kind_info *ki,
                                 bool control_only)
{
	const char *nss[2];
	size_t n = 0;
	if (l->ns && !control_only && strcmp(l->ns, "istio-system") != 0)
		nss[n++] = l->ns;
	nss[n++] = "istio-system";
	struct cmd cmds[2];
	struct exec_result res[2];
	for (size_t i = 0; i < n; i++)
		cmd_get(&cmds[i], l, ki, nss[i]);
	run_cmds(l, n, cmds, res);
	char *why = NULL;
	for (size_t i = 0; i < n; i++) {
		char *r = NULL;
		if (!add_items(l, c, ki, &cmds[i], &res[i], &r) && !why)
			why = r;
		else
			free(r);
		exec_result_free(&res[i]);
	}
	return why;
}

/* Read n kinds at once into the cluster, recording each as fetched (with the reason if not). */
static void fetch_kinds(struct live *l, struct cluster *c, const struct kind_info *const ks[],
			size_t n)
{
	struct cmd *cmds = xcalloc(n ? n : 1, sizeof(*cmds));
	struct exec_result *res = xcalloc(n ? n : 1, sizeof(*res));
	for (size_t i = 0; i < n; i++)
		cmd_get(&cmds[i], l, ks[i], NULL);
	run_cmds(l, n, cmds, res);
	for (size_t i = 0; i < n; i++) {
		char *reason = NULL;
		/* a cancelled fetch is not recorded: the kind is read again when asked */
		if (res[i].error && strcmp(res[i].error, EXEC_CANCELLED) == 0) {
			exec_result_free(&res[i]);
			continue;
		}
		add_items(l, c, ks[i], &cmds[i], &res[i], &reason);
		exec_result_free(&res[i]);
		/* only the control plane's ConfigMaps are used: a Role in istio-system is enough */
		bool control_only = strcmp(ks[i]->kind, "ConfigMap") == 0;
		if (reason && (l->ns || control_only) && !ks[i]->cluster_scoped &&
		    strncmp(reason, "forbidden", 9) == 0) {
			char *again = fetch_in_namespaces(l, c, ks[i], control_only);
			if (!again) {
				free(reason);
				reason = NULL;
			}
			free(again);
		}
		fetched_add(l, ks[i]->kind, reason);
	}
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
static bool log_names_ok(const char *ns, const char *pod, const char *container)
{
	return is_dns1123_label(ns) && is_dns1123_subdomain(pod) && is_dns1123_label(container);
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
	if (cl) {
		free(key);
	} else {
		struct cmd cmd;
		struct exec_result r;
		cmd_logs(&cmd, l, ns, pod, container, previous);
		exec_run(cmd.v, l->timeout_ms, l->out_cap, &r);
		char *why = exec_explain(cmd.v, &r, l->timeout_ms);
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
static bool parse_proxy_status(const char *text, struct proxy_status **rows, size_t *n,
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
	cmd_start(&cmd, "istioctl", "proxy-status");
	cmd_finish(&cmd, l);
	exec_run(cmd.v, l->timeout_ms, l->out_cap, &r);
	*reason = exec_explain(cmd.v, &r, l->timeout_ms);
	struct proxy_status *rows;
	size_t n;
	bool ok = !*reason && parse_proxy_status(r.out, &rows, &n, reason);
	if (ok) {
		cluster_mark_proxy_status(c, NULL);
		for (size_t i = 0; i < n; i++)
			cluster_add_proxy_status(c, &rows[i]);
		proxy_status_rows_free(rows, n);
	}
	exec_result_free(&r);
	return ok;
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
	cmd_start(&cmd, "kubectl", "port-forward");
	arg(&cmd, "-n");
	arg(&cmd, ns);
	arg(&cmd, "--address");
	arg(&cmd, "127.0.0.1");
	arg(&cmd, target);
	arg(&cmd, ":" STR(ENVOY_ADMIN_PORT));
	cmd_finish(&cmd, l);
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
					 .free = live_free};
	l->c = cluster_new();
	cluster_set_source(l->c, &l->src);
	cluster_set_http_timeout(l->c, l->timeout_ms);
	return l->c;
}

/* ---- snapshot ---- */

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
		char *why = exec_explain(cmds[n]->v, res[n], s->l->timeout_ms);
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

static void snap_proxy_status(struct snap *s, const struct cmd *cmd, const struct exec_result *r)
{
	char *why = exec_explain(cmd->v, r, s->l->timeout_ms);
	struct proxy_status *rows;
	size_t n;
	/* only what the snapshot reader will accept is written */
	if (!why && parse_proxy_status(r->out, &rows, &n, &why)) {
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
				if (!name || !log_names_ok(pod->ns, pod->name, name))
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
			cmd_logs(&cmds[i], s->l, j->ns, j->pod, j->container, j->previous);
		}
		run_cmds(s->l, m, cmds, res);
		for (size_t i = 0; i < m; i++) {
			const struct log_job *j = &jobs[at + i];
			char *rel = xasprintf("logs/%s/%s/%s%s.log", j->ns, j->pod, j->container,
					      j->previous ? ".previous" : "");
			char *why = exec_explain(cmds[i].v, &res[i], s->l->timeout_ms);
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
	enum { NK = MM_ARRAY_LEN(kinds) };
	struct cmd cmds[2 * NK + 3];
	struct exec_result res[2 * NK + 3];
	size_t main_i[NK], extra_i[NK], n = 0;
	bool extra_ns = ns && strcmp(ns, "istio-system") != 0;
	for (size_t k = 0; k < NK; k++) {
		main_i[k] = n;
		cmd_get(&cmds[n++], s->l, &kinds[k], ns);
		extra_i[k] = SIZE_MAX;
		if (extra_ns && !kinds[k].cluster_scoped) {
			extra_i[k] = n;
			cmd_get(&cmds[n++], s->l, &kinds[k], "istio-system");
		}
	}
	size_t kv = n, iv = n + 1, ps = n + 2;
	cmd_start(&cmds[kv], "kubectl", "version");
	cmd_start(&cmds[iv], "istioctl", "version");
	cmd_start(&cmds[ps], "istioctl", "proxy-status");
	for (size_t i = kv; i < kv + 2; i++) {
		arg(&cmds[i], "-o");
		arg(&cmds[i], "json");
	}
	for (size_t i = kv; i < kv + 3; i++)
		cmd_finish(&cmds[i], s->l);
	n += 3;
	say(s, "reading %zu kinds (%s%s%s), versions and proxy-status", (size_t)NK,
	    ns ? "namespace " : "all namespaces", ns ? ns : "", extra_ns ? " and istio-system" : "");
	run_cmds(s->l, n, cmds, res);
	size_t objects = 0;
	for (size_t k = 0; k < NK; k++) {
		size_t m = main_i[k], x = extra_i[k];
		char *why = exec_explain(cmds[m].v, &res[m], s->l->timeout_ms);
		json_t *items = why ? NULL : parse_items(&kinds[k], &cmds[m], &res[m], &why);
		if (!items) {
			snap_unavailable(s, kinds[k].kind, why);
			say(s, "%s: unavailable: %s", kinds[k].kind, why);
			if (!*first_failure)
				*first_failure = why;
			else
				free(why);
			continue;
		}
		size_t count = snap_add(s, items);
		if (x != SIZE_MAX) {
			why = exec_explain(cmds[x].v, &res[x], s->l->timeout_ms);
			items = why ? NULL : parse_items(&kinds[k], &cmds[x], &res[x], &why);
			if (items) {
				count += snap_add(s, items);
			} else {
				char *p = xasprintf("istio-system: %s", why);
				json_object_set_new(s->partial, kinds[k].kind, json_string(p));
				free(p);
			}
		}
		objects += count;
		json_array_append_new(loaded, json_string(kinds[k].kind));
		if (why)
			say(s, "%s: %zu object%s (not in istio-system: %s)", kinds[k].kind, count,
			    count == 1 ? "" : "s", why);
		else
			say(s, "%s: %zu object%s", kinds[k].kind, count, count == 1 ? "" : "s");
		free(why);
	}
	if (json_array_size(loaded)) {
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
	snap_logs(&s);
	json_t *list = json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind", "List", "items",
				 s.items);
	snap_write(&s, "resources.json", NULL, 0, list);
	json_decref(list);
	json_t *meta = json_pack("{s:s, s:s, s:s?, s:s?, s:O, s:O, s:O, s:O, s:O}", "meshmedic",
				 PACKAGE_VERSION, "created", created_at, "context", l->context,
				 "namespace", ns, "versions", s.versions, "loaded", loaded,
				 "unavailable", s.unavailable, "partial", s.partial, "logs",
				 s.logs);
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
	free(s.err);
	live_free(l);
	return rc;
}
