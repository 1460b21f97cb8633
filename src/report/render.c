#include "report/render.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/mesh.h"

/* ---- RFC 7386 merge patches ---- */

json_t *merge_patch_make(json_t *from, json_t *to)
{
	if (!json_is_object(from) || !json_is_object(to))
		return json_deep_copy(to);
	json_t *p = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(from, k, v)
		if (!json_object_get(to, k))
			json_object_set_new(p, k, json_null());
	json_object_foreach(to, k, v) {
		json_t *old = json_object_get(from, k);
		if (old && json_equal(old, v))
			continue;
		if (json_is_object(old) && json_is_object(v))
			json_object_set_new(p, k, merge_patch_make(old, v));
		else
			json_object_set_new(p, k, json_deep_copy(v));
	}
	return p;
}

json_t *merge_patch_apply(json_t *target, json_t *patch)
{
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *r = json_is_object(target) ? json_deep_copy(target) : json_object();
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(r, k);
			continue;
		}
		json_object_set_new(r, k, merge_patch_apply(json_object_get(r, k), v));
	}
	return r;
}

/* ---- YAML ---- */

/* Whether a plain scalar would be read back as something else than this string. */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {"true",  "false", "null", "yes", "no", "on",
	                                    "off",   "y",     "n",    "~",   ".inf", "-.inf",
	                                    ".nan"};
	if (!*s || isspace((unsigned char)*s) || isspace((unsigned char)s[strlen(s) - 1]))
		return true;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", *s))
		return true;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || (*p == ':' && (p[1] == ' ' || !p[1])) ||
		    (*p == '#' && p > s && p[-1] == ' '))
			return true;
	for (size_t i = 0; i < MM_ARRAY_LEN(words); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	/* anything that reads as a number (1, 0x1f, 1e3, 1.5, 010) */
	char *end;
	(void)strtod(s, &end);
	if (!*end)
		return true;
	(void)strtol(s, &end, 0);
	return !*end;
}

static void yaml_scalar(struct sbuf *b, json_t *v)
{
	if (json_is_string(v) && !needs_quotes(json_string_value(v))) {
		sb_add(b, json_string_value(v));
		return;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY);
	sb_add(b, s ? s : "null");
	free(s);
}

static bool yaml_leaf(json_t *v)
{
	return !(json_is_object(v) && json_object_size(v)) && !(json_is_array(v) && json_array_size(v));
}

static void yaml_value(struct sbuf *b, json_t *v, int indent);

static void yaml_leaf_value(struct sbuf *b, json_t *v)
{
	if (json_is_object(v))
		sb_add(b, "{}");
	else if (json_is_array(v))
		sb_add(b, "[]");
	else
		yaml_scalar(b, v);
}

/* The members of an object; the first one's indentation already written when first_inline. */
static void yaml_members(struct sbuf *b, json_t *o, int indent, bool first_inline)
{
	const char *k;
	json_t *v;
	bool first = true;
	json_object_foreach(o, k, v) {
		if (!(first && first_inline))
			sb_printf(b, "%*s", indent, "");
		first = false;
		json_t *key = json_string(k);
		yaml_scalar(b, key);
		json_decref(key);
		sb_addc(b, ':');
		if (yaml_leaf(v)) {
			sb_addc(b, ' ');
			yaml_leaf_value(b, v);
			sb_addc(b, '\n');
		} else {
			sb_addc(b, '\n');
			/* list items sit at the key's indentation, as kubectl writes them */
			yaml_value(b, v, json_is_array(v) ? indent : indent + 2);
		}
	}
}

static void yaml_value(struct sbuf *b, json_t *v, int indent)
{
	if (json_is_object(v) && json_object_size(v)) {
		yaml_members(b, v, indent, false);
		return;
	}
	if (!json_is_array(v) || !json_array_size(v)) {
		sb_printf(b, "%*s", indent, "");
		yaml_leaf_value(b, v);
		sb_addc(b, '\n');
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it) {
		sb_printf(b, "%*s- ", indent, "");
		if (yaml_leaf(it)) {
			yaml_leaf_value(b, it);
			sb_addc(b, '\n');
		} else if (json_is_object(it)) {
			yaml_members(b, it, indent + 2, true);
		} else {
			sb_addc(b, '\n');
			yaml_value(b, it, indent + 2);
		}
	}
}

char *yaml_of_json(json_t *j)
{
	struct sbuf b;
	sb_init(&b);
	yaml_value(&b, j, 0);
	return sb_steal(&b);
}

/* ---- unified diff (longest common subsequence of lines) ---- */

struct lines {
	const char **v;
	size_t *len;
	size_t n;
};

static struct lines split_lines(const char *s)
{
	struct lines l = {0};
	size_t cap = 0;
	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (l.n == cap) {
			cap = cap ? cap * 2 : 64;
			l.v = xrealloc(l.v, cap * sizeof(*l.v));
			l.len = xrealloc(l.len, cap * sizeof(*l.len));
		}
		l.v[l.n] = p;
		l.len[l.n++] = n;
		p = nl ? nl + 1 : p + n;
	}
	return l;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->v[i], b->v[j], a->len[i]);
}

/* One edit of the script: ' ' kept, '-' removed (from a), '+' added (from b). */
struct edit {
	char op;
	size_t i, j; /* line in a (kept, removed), in b (kept, added) */
};

#define CONTEXT 3
/* The largest table the diff builds (lines of a times lines of b). */
#define DIFF_CELLS ((size_t)16 * 1024 * 1024)

char *line_diff(const char *from, const char *to, const char *an, const char *bn)
{
	struct lines a = split_lines(from), b = split_lines(to);
	struct edit *e = xcalloc(a.n + b.n + 1, sizeof(*e));
	size_t ne = 0;
	if ((a.n + 1) * (b.n + 1) <= DIFF_CELLS) {
		/* len[i][j]: the longest common subsequence of a[i..] and b[j..] */
		size_t w = b.n + 1;
		unsigned *len = xcalloc((a.n + 1) * w, sizeof(*len));
		for (size_t i = a.n; i-- > 0;)
			for (size_t j = b.n; j-- > 0;)
				len[i * w + j] = line_eq(&a, i, &b, j)
				                     ? len[(i + 1) * w + j + 1] + 1
				                     : (len[(i + 1) * w + j] >= len[i * w + j + 1]
				                            ? len[(i + 1) * w + j]
				                            : len[i * w + j + 1]);
		size_t i = 0, j = 0;
		while (i < a.n || j < b.n) {
			if (i < a.n && j < b.n && line_eq(&a, i, &b, j))
				e[ne++] = (struct edit){' ', i++, j++};
			else if (i < a.n && (j == b.n || len[(i + 1) * w + j] >= len[i * w + j + 1]))
				e[ne++] = (struct edit){'-', i++, j};
			else
				e[ne++] = (struct edit){'+', i, j++};
		}
		free(len);
	} else {
		/* too large to compare line by line: the whole text replaced */
		for (size_t i = 0; i < a.n; i++)
			e[ne++] = (struct edit){'-', i, 0};
		for (size_t j = 0; j < b.n; j++)
			e[ne++] = (struct edit){'+', a.n, j};
	}
	struct sbuf out;
	sb_init(&out);
	for (size_t k = 0; k < ne;) {
		if (e[k].op == ' ') {
			k++;
			continue;
		}
		/* a hunk: CONTEXT kept lines around changes less than 2*CONTEXT apart */
		size_t start = k >= CONTEXT ? k - CONTEXT : 0, end = k;
		for (;;) {
			while (end < ne && e[end].op != ' ')
				end++;
			size_t run = end;
			while (run < ne && e[run].op == ' ')
				run++;
			if (run < ne && run - end <= 2 * CONTEXT)
				end = run;
			else {
				end = end + CONTEXT < ne ? end + CONTEXT : ne;
				break;
			}
		}
		if (!out.len)
			sb_printf(&out, "--- %s\n+++ %s\n", an, bn);
		size_t na = 0, nb = 0;
		for (size_t x = start; x < end; x++) {
			na += e[x].op != '+';
			nb += e[x].op != '-';
		}
		size_t sa = e[start].i + (na ? 1 : 0), sbn = e[start].j + (nb ? 1 : 0);
		sb_printf(&out, "@@ -%zu,%zu +%zu,%zu @@\n", sa, na, sbn, nb);
		for (size_t x = start; x < end; x++) {
			sb_addc(&out, e[x].op);
			if (e[x].op == '+')
				sb_addn(&out, b.v[e[x].j], b.len[e[x].j]);
			else
				sb_addn(&out, a.v[e[x].i], a.len[e[x].i]);
			sb_addc(&out, '\n');
		}
		k = end;
	}
	free(e);
	free(a.v);
	free(a.len);
	free(b.v);
	free(b.len);
	return out.len ? sb_steal(&out) : (sb_free(&out), NULL);
}

/* ---- apiVersion ---- */

/* Istio's API groups, and the version served before v1 came (Istio 1.22). */
static const struct {
	const char *group, *before_v1;
} istio_groups[] = {
	{"networking.istio.io", "v1beta1"},
	{"security.istio.io", "v1beta1"},
	{"telemetry.istio.io", "v1alpha1"},
};

char *render_api_version(struct cluster *c, const char *given)
{
	const char *slash = given ? strchr(given, '/') : NULL;
	const char *v = cluster_istio_version(c);
	for (size_t g = 0; slash && v && g < MM_ARRAY_LEN(istio_groups); g++) {
		size_t n = strlen(istio_groups[g].group);
		if ((size_t)(slash - given) != n || strncmp(given, istio_groups[g].group, n))
			continue;
		/* v1 of these groups is served from Istio 1.22 on */
		return xasprintf("%s/%s", istio_groups[g].group,
		                 version_cmp(v, "1.22") >= 0 ? "v1" : istio_groups[g].before_v1);
	}
	return xstrdup(given ? given : "v1");
}

/* ---- the renderers ---- */

struct rctx {
	struct cluster *c;
	const struct finding *f;
	const struct kobj *target; /* the object changed (the finding's unless retargeted) */
	json_t *obj;               /* its cleaned copy, which the renderer changes */
	char *note;
	const char *follow_up;
};

/* The object without what the server sets (status, uid, ...), as a person would apply it. */
static json_t *clean_copy(const struct kobj *o)
{
	static const char *const server_meta[] = {"managedFields", "resourceVersion", "uid",
	                                          "creationTimestamp", "generation", "selfLink"};
	json_t *j = json_deep_copy(o->j);
	json_object_del(j, "status");
	json_t *md = json_object_get(j, "metadata");
	for (size_t i = 0; i < MM_ARRAY_LEN(server_meta); i++)
		json_object_del(md, server_meta[i]);
	json_t *ann = json_object_get(md, "annotations");
	json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
	if (json_is_object(ann) && !json_object_size(ann))
		json_object_del(md, "annotations");
	return j;
}

static void retarget(struct rctx *x, const struct kobj *o)
{
	x->target = o;
	json_decref(x->obj);
	x->obj = clean_copy(o);
}

static bool nope(char **why, const char *fmt, const char *arg)
{
	*why = xasprintf(fmt, arg ? arg : "");
	return false;
}

/* The word after marker in the finding's message (new string), or NULL. */
static char *word_after(const char *msg, const char *marker)
{
	const char *p = msg ? strstr(msg, marker) : NULL;
	if (!p)
		return NULL;
	p += strlen(marker);
	size_t n = strcspn(p, " ,:;()");
	return n ? xstrndup(p, n) : NULL;
}

/* Levenshtein distance of two short names (capped at 64 characters). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return 99;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

/* The one candidate within 2 edits of name (a likely typo), or NULL if none or several. */
static const char *closest(const char *name, const struct strlist *cands)
{
	const char *best = NULL;
	size_t bestd = 3;
	bool tie = false;
	for (size_t i = 0; i < cands->n; i++) {
		size_t d = edit_distance(name, cands->v[i]);
		if (d == 0)
			continue;
		if (d < bestd) {
			best = cands->v[i];
			bestd = d;
			tie = false;
		} else if (d == bestd) {
			tie = true;
		}
	}
	return tie ? NULL : best;
}

/* Replace every string element of arr equal to from by to; how many were replaced. */
static size_t array_replace(json_t *arr, const char *from, const char *to)
{
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), from)) {
			json_array_set_new(arr, i, json_string(to));
			n++;
		}
	return n;
}

/* Every string at key "host" under j (recursively) equal to from becomes to. */
static size_t replace_hosts(json_t *j, const char *key, const char *from, const char *to)
{
	size_t n = 0;
	if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			n += replace_hosts(v, key, from, to);
	} else if (json_is_object(j)) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(j, tmp, k, v) {
			if (!strcmp(k, key) && json_is_string(v) && !strcmp(json_string_value(v), from)) {
				json_object_set_new(j, k, json_string(to));
				n++;
			} else {
				n += replace_hosts(v, key, from, to);
			}
		}
	}
	return n;
}

/* Namespaces in the model, as a list. */
static const struct strlist *namespaces(struct rctx *x)
{
	return cluster_namespaces(x->c);
}

/* Service names of a namespace. */
static void service_names(struct rctx *x, const char *ns, struct strlist *out)
{
	const struct kobj_list *l = cluster_list(x->c, "Service", ns);
	for (size_t i = 0; l && i < l->n; i++)
		sl_add(out, l->v[i]->name);
}

static json_t *obj_at(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(j, key, v);
	}
	return v;
}

/* namespace-not-labeled: the namespace asks for injection (the revision label if istiod has one). */
static bool r_namespace_label(struct rctx *x, char **why)
{
	(void)why;
	json_t *labels = obj_at(obj_at(x->obj, "metadata"), "labels");
	json_object_set_new(labels, "istio-injection", json_string("enabled"));
	x->note = xasprintf("pods already running get their sidecar when restarted: kubectl rollout "
	                    "restart deployment -n %s", x->target->name);
	/* until then meshmedic reports those pods as older than the label */
	x->follow_up = "pod-predates-injection";
	return true;
}

/* Set tls.mode where it is set to from (the rule's policy, its ports, its subsets). */
static size_t set_tls_modes(json_t *policy, const char *from, const char *to)
{
	size_t n = 0;
	json_t *tls = json_object_get(policy, "tls");
	const char *mode = jstr(tls, "mode");
	if (mode && !strcmp(mode, from)) {
		json_object_set_new(tls, "mode", json_string(to));
		n++;
	}
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(policy, "portLevelSettings"), i, p)
		n += set_tls_modes(p, from, to);
	return n;
}

static size_t set_rule_tls(json_t *spec, const char *from, const char *to)
{
	size_t n = set_tls_modes(json_object_get(spec, "trafficPolicy"), from, to), i;
	json_t *s;
	json_array_foreach(json_object_get(spec, "subsets"), i, s)
		n += set_tls_modes(json_object_get(s, "trafficPolicy"), from, to);
	return n;
}

/* dr-tls-conflict: a rule for one host that sends plain text to pods requiring mTLS sends Istio's. */
static bool r_dr_tls(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	const char *host = jstr(spec, "host");
	if (host && strchr(host, '*'))
		return nope(why, "the rule covers every host of %s: changing its TLS would change "
		                 "other services too, so narrowing it is a choice", host);
	if (!x->f->message || !strstr(x->f->message, "plain text"))
		return nope(why, "the servers have no sidecar to accept mutual TLS: whether to inject "
		                 "them or exempt their host is a choice%s", NULL);
	if (set_rule_tls(spec, "DISABLE", "ISTIO_MUTUAL"))
		return true;
	/* no mode at all: with auto mTLS off the rule itself must ask for Istio's */
	json_t *tp = obj_at(spec, "trafficPolicy");
	if (jpath(tp, "tls.mode"))
		return nope(why, "the rule's tls.mode is neither DISABLE nor unset: which TLS its "
		                 "clients should use is a choice%s", NULL);
	json_object_set_new(obj_at(tp, "tls"), "mode", json_string("ISTIO_MUTUAL"));
	return true;
}

/* dr-mtls-to-disabled-server: the clients send plain text, as the servers expect. */
static bool r_dr_mtls_disabled(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	if (!set_rule_tls(spec, "ISTIO_MUTUAL", "DISABLE"))
		return nope(why, "the rule sets no tls.mode ISTIO_MUTUAL to correct%s", NULL);
	x->note = xstrdup("or turn mutual TLS back on at the server (PeerAuthentication) and leave "
	                  "this rule as it was");
	return true;
}

/* exportTo: the misspelt namespace becomes the one meant, or is dropped if others remain. */
static bool r_exportto(struct rctx *x, char **why)
{
	char *bad = word_after(x->f->message, "names namespace ");
	if (!bad)
		return nope(why, "the finding does not name the namespace%s", NULL);
	const char *meant = closest(bad, namespaces(x));
	bool ok = false;
	if (!strcmp(x->target->kind, "Service")) {
		json_t *ann = obj_at(obj_at(x->obj, "metadata"), "annotations");
		/* the key has dots: not a path for jstr */
		const char *list = json_string_value(json_object_get(ann, "networking.istio.io/exportTo"));
		if (list && meant) {
			struct sbuf b;
			sb_init(&b);
			char *copy = xstrdup(list), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				while (*t == ' ')
					t++;
				sb_printf(&b, "%s%s", b.len ? "," : "", strcmp(t, bad) ? t : meant);
			}
			free(copy);
			json_object_set_new(ann, "networking.istio.io/exportTo", json_string(b.s));
			sb_free(&b);
			ok = true;
		}
	} else {
		json_t *arr = json_object_get(json_object_get(x->obj, "spec"), "exportTo");
		if (meant)
			ok = array_replace(arr, bad, meant) > 0;
		else if (json_array_size(arr) > 1) {
			size_t i;
			json_t *v;
			json_array_foreach(arr, i, v)
				if (json_is_string(v) && !strcmp(json_string_value(v), bad)) {
					json_array_remove(arr, i);
					ok = true;
					break;
				}
		}
	}
	if (!ok) {
		*why = xasprintf("no existing namespace is a likely spelling of %s: which namespaces "
		                 "should see the object is a choice", bad);
		free(bad);
		return false;
	}
	free(bad);
	return true;
}

/* A host name's Service part and namespace ("cart", "cart.shop", "cart.shop.svc.cluster.local"). */
static void host_parts(const char *host, const char *defns, char **svc, char **ns)
{
	const char *dot = strchr(host, '.');
	*svc = dot ? xstrndup(host, (size_t)(dot - host)) : xstrdup(host);
	if (!dot) {
		*ns = xstrdup(defns);
		return;
	}
	const char *rest = dot + 1, *d2 = strchr(rest, '.');
	*ns = d2 ? xstrndup(rest, (size_t)(d2 - rest)) : xstrdup(rest);
}

/* A typo in a destination or rule host: the one Service name within two edits takes its place. */
static bool fix_host_typo(struct rctx *x, const char *bad, const char *key, char **why)
{
	char *svc, *ns;
	host_parts(bad, x->target->ns, &svc, &ns);
	struct strlist names = {0};
	service_names(x, ns, &names);
	const char *meant = closest(svc, &names);
	bool ok = false;
	/* "svc.ns" is taken as written, not as the Service: its full name is meant */
	if (strchr(bad, '.') && !str_ends_with(bad, ".svc.cluster.local") && sl_has(&names, svc)) {
		char *fqdn = xasprintf("%s.%s.svc.cluster.local", svc, ns);
		ok = replace_hosts(json_object_get(x->obj, "spec"), key, bad, fqdn) > 0;
		free(fqdn);
	} else if (meant) {
		char *fixed = xasprintf("%s%s", meant, bad + strlen(svc));
		ok = replace_hosts(json_object_get(x->obj, "spec"), key, bad, fixed) > 0;
		free(fixed);
	}
	if (!ok)
		*why = xasprintf("no Service of namespace %s is a likely spelling of %s: which service "
		                 "was meant is a choice", ns, svc);
	sl_free(&names);
	free(svc);
	free(ns);
	return ok;
}

static bool r_destination_host(struct rctx *x, char **why)
{
	char *bad = word_after(x->f->message, "destination ");
	if (!bad)
		bad = word_after(x->f->message, "mirror host ");
	if (!bad)
		return nope(why, "the finding does not name the host%s", NULL);
	bool ok = fix_host_typo(x, bad, "host", why);
	free(bad);
	return ok;
}

/* A Sidecar egress host "ns/host" whose namespace is misspelt: the one namespace within two edits. */
static bool sidecar_egress_typo(struct rctx *x, char **why)
{
	char *bad = word_after(x->f->message, "egress host ");
	const char *slash = bad ? strchr(bad, '/') : NULL;
	if (!slash || !strstr(x->f->message, "names a namespace that does not exist")) {
		*why = xasprintf("no Service is a likely spelling of egress host %s: which one was "
		                 "meant is a choice", bad ? bad : "(unnamed)");
		free(bad);
		return false;
	}
	char *ns = xstrndup(bad, (size_t)(slash - bad));
	const char *meant = closest(ns, namespaces(x));
	size_t n = 0;
	if (meant) {
		char *fixed = xasprintf("%s%s", meant, slash);
		size_t i;
		json_t *e;
		json_array_foreach(jpath(x->obj, "spec.egress"), i, e)
			n += array_replace(json_object_get(e, "hosts"), bad, fixed);
		free(fixed);
	}
	if (!n)
		*why = xasprintf("no existing namespace is a likely spelling of %s: which one was "
		                 "meant is a choice", ns);
	free(ns);
	free(bad);
	return n > 0;
}

static bool r_rule_host(struct rctx *x, char **why)
{
	if (!strcmp(x->target->kind, "Sidecar"))
		return sidecar_egress_typo(x, why);
	if (strcmp(x->target->kind, "DestinationRule"))
		return nope(why, "a %s names its hosts in a form this fix does not rewrite",
		            x->target->kind);
	char *bad = word_after(x->f->message, "host ");
	if (!bad)
		return nope(why, "the finding does not name the host%s", NULL);
	bool ok = fix_host_typo(x, bad, "host", why);
	free(bad);
	return ok;
}

/* rule-host-wrong-namespace: the short name resolved in the rule's namespace; the one Service elsewhere. */
static bool r_rule_wrong_ns(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	const char *host = jstr(spec, "host");
	if (!host)
		return nope(why, "the rule has no host%s", NULL);
	char *svc, *ns;
	host_parts(host, x->target->ns, &svc, &ns);
	const struct kobj_list *all = cluster_list(x->c, "Service", NULL);
	const struct kobj *only = NULL;
	size_t n = 0;
	for (size_t i = 0; all && i < all->n; i++)
		if (!strcmp(all->v[i]->name, svc) && strcmp(all->v[i]->ns, ns)) {
			only = all->v[i];
			n++;
		}
	bool ok = n == 1;
	if (ok) {
		char *fqdn = xasprintf("%s.%s.svc.cluster.local", svc, only->ns);
		json_object_set_new(spec, "host", json_string(fqdn));
		free(fqdn);
	} else {
		*why = xasprintf("%s Service named %s exists in another namespace: which one was meant "
		                 "is a choice", n ? "more than one" : "no", svc);
	}
	free(svc);
	free(ns);
	return ok;
}

/* A Gateway's hosts (the "ns/" prefix dropped). */
static void gateway_hosts(const struct kobj *gw, struct strlist *out)
{
	size_t i, k;
	json_t *s, *h;
	json_array_foreach(jpath(gw->j, "spec.servers"), i, s)
		json_array_foreach(json_object_get(s, "hosts"), k, h) {
			const char *v = json_string_value(h);
			const char *slash = v ? strchr(v, '/') : NULL;
			if (v && !sl_has(out, slash ? slash + 1 : v))
				sl_add(out, slash ? slash + 1 : v);
		}
}

/* Whether a host pattern ("*.example.com", "*") covers host. */
static bool host_covers(const char *pattern, const char *host)
{
	if (!strcmp(pattern, "*") || !strcmp(pattern, host))
		return true;
	if (pattern[0] == '*' && pattern[1] == '.') {
		size_t pl = strlen(pattern + 1), hl = strlen(host);
		return hl > pl && !strcmp(host + hl - pl, pattern + 1);
	}
	return false;
}

/* "ns/name" of a gateway reference, resolved against the VirtualService's namespace. */
static const struct kobj *gateway_ref(struct rctx *x, const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (!slash)
		return cluster_get(x->c, "Gateway", x->target->ns, ref);
	char *ns = xstrndup(ref, (size_t)(slash - ref));
	const struct kobj *g = cluster_get(x->c, "Gateway", ns, slash + 1);
	free(ns);
	return g;
}

static char *gateway_name_for(const struct kobj *vs, const struct kobj *gw)
{
	return strcmp(vs->ns, gw->ns) ? xasprintf("%s/%s", gw->ns, gw->name) : xstrdup(gw->name);
}

/* vs-not-bound-to-gateway: the Gateway that serves its hosts joins (or replaces the missing one). */
static bool r_vs_not_bound(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	json_t *gws = json_object_get(spec, "gateways");
	const struct kobj *gw = NULL;
	char *named = word_after(x->f->message, "not bound to Gateway ");
	if (named) {
		gw = gateway_ref(x, named);
		free(named);
	} else {
		/* the one Gateway whose hosts cover a host of this VirtualService */
		const struct kobj_list *all = cluster_list(x->c, "Gateway", NULL);
		size_t n = 0;
		for (size_t i = 0; all && i < all->n; i++) {
			struct strlist hs = {0};
			gateway_hosts(all->v[i], &hs);
			bool covers = false;
			size_t k;
			json_t *h;
			json_array_foreach(json_object_get(spec, "hosts"), k, h)
				for (size_t m = 0; json_is_string(h) && m < hs.n && !covers; m++)
					covers = host_covers(hs.v[m], json_string_value(h));
			sl_free(&hs);
			if (covers) {
				gw = all->v[i];
				n++;
			}
		}
		if (n != 1)
			gw = NULL;
	}
	if (!gw)
		return nope(why, "no single Gateway serves the hosts of this VirtualService: which one "
		                 "it should bind to is a choice%s", NULL);
	char *ref = gateway_name_for(x->target, gw);
	if (!json_is_array(gws)) {
		gws = json_array();
		json_object_set_new(spec, "gateways", gws);
	}
	/* a name that resolves to no Gateway is the one meant */
	size_t i;
	json_t *v;
	bool replaced = false;
	json_array_foreach(gws, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "mesh") &&
		    !gateway_ref(x, json_string_value(v))) {
			json_array_set_new(gws, i, json_string(ref));
			replaced = true;
			break;
		}
	if (!replaced)
		json_array_append_new(gws, json_string(ref));
	free(ref);
	return true;
}

/* vs-missing-mesh-gateway: "mesh" joins the gateways, so sidecars apply the rule too. */
static bool r_vs_mesh(struct rctx *x, char **why)
{
	json_t *gws = jpath(x->obj, "spec.gateways");
	if (!json_is_array(gws))
		return nope(why, "the VirtualService lists no gateways%s", NULL);
	json_array_append_new(gws, json_string("mesh"));
	return true;
}

/* gateway-host-mismatch: the VirtualService also answers for the Gateway's one host. */
static bool r_gateway_host(struct rctx *x, char **why)
{
	char *named = word_after(x->f->message, "of its Gateway ");
	const struct kobj *gw = named ? gateway_ref(x, named) : NULL;
	free(named);
	if (!gw)
		return nope(why, "the Gateway the finding names is not in the model%s", NULL);
	struct strlist hs = {0};
	gateway_hosts(gw, &hs);
	bool ok = hs.n == 1, listed = false;
	size_t i;
	json_t *h;
	json_array_foreach(jpath(x->obj, "spec.hosts"), i, h)
		listed = listed || (ok && json_is_string(h) && !strcmp(json_string_value(h), hs.v[0]));
	if (listed) {
		/* the host matches; the Gateway admits it from another namespace only */
		*why = xasprintf("Gateway %s/%s admits host %s from another namespace only: moving "
		                 "the VirtualService or widening the Gateway is a choice",
		                 gw->ns, gw->name, hs.v[0]);
		ok = false;
	} else if (ok)
		json_array_append_new(jpath(x->obj, "spec.hosts"), json_string(hs.v[0]));
	else
		*why = xasprintf("Gateway %s/%s serves %zu hosts: which of them the VirtualService "
		                 "should answer for is a choice", gw->ns, gw->name, hs.n);
	sl_free(&hs);
	return ok;
}

/* gateway-selector-no-workload: the selector of Istio's ingress gateway pods, where some run. */
static bool r_gateway_selector(struct rctx *x, char **why)
{
	/* a selector written for an egress gateway is not corrected into an ingress one */
	const char *k;
	json_t *v;
	json_object_foreach(jpath(x->obj, "spec.selector"), k, v)
		if (json_is_string(v) && strstr(json_string_value(v), "egress"))
			return nope(why, "the Gateway selects an egress gateway (%s): which egress "
			                 "pods should serve it is a choice", json_string_value(v));
	json_t *sel = json_pack("{s:s}", "istio", "ingressgateway");
	const struct kobj_list *pods = cluster_list(x->c, "Pod", NULL);
	size_t n = 0;
	for (size_t i = 0; pods && i < pods->n; i++)
		n += labels_match(sel, jpath(pods->v[i]->j, "metadata.labels"));
	if (!n) {
		json_decref(sel);
		return nope(why, "no pod carries istio=ingressgateway: which gateway pods should serve "
		                 "the Gateway is a choice%s", NULL);
	}
	json_t *spec = json_object_get(x->obj, "spec");
	if (json_equal(json_object_get(spec, "selector"), sel)) {
		json_decref(sel);
		return nope(why, "the Gateway already selects istio=ingressgateway, yet those pods do "
		                 "not take it (not running, or in another namespace while istiod "
		                 "scopes Gateways to their own): moving the Gateway or running a "
		                 "gateway in %s is a choice", x->target->ns);
	}
	json_object_set_new(spec, "selector", sel);
	return true;
}

/* The connection pools of a rule (its policy, its subsets') lacking a pending limit. */
static size_t add_pending_limits(json_t *policy)
{
	json_t *tcp = jpath(policy, "connectionPool.tcp");
	json_t *mc = json_object_get(tcp, "maxConnections");
	if (!json_is_integer(mc) || jpath(policy, "connectionPool.http.http1MaxPendingRequests"))
		return 0;
	json_t *http = obj_at(json_object_get(policy, "connectionPool"), "http");
	json_object_set_new(http, "http1MaxPendingRequests", json_integer(json_integer_value(mc)));
	return 1;
}

static bool r_pending_limit(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	size_t n = add_pending_limits(json_object_get(spec, "trafficPolicy")), i;
	json_t *s;
	json_array_foreach(json_object_get(spec, "subsets"), i, s)
		n += add_pending_limits(json_object_get(s, "trafficPolicy"));
	if (!n)
		return nope(why, "no connection pool of the rule sets maxConnections alone%s", NULL);
	x->note = xstrdup("http1MaxPendingRequests is set to maxConnections: tune it to how many "
	                  "requests may wait per calling pod");
	return true;
}

static bool r_outlier(struct rctx *x, char **why)
{
	(void)why;
	json_t *tp = obj_at(json_object_get(x->obj, "spec"), "trafficPolicy");
	json_object_set_new(tp, "outlierDetection",
	                    json_pack("{s:i, s:s, s:s}", "consecutive5xxErrors", 5, "interval",
	                              "10s", "baseEjectionTime", "30s"));
	x->note = xstrdup("tune consecutive5xxErrors, interval and baseEjectionTime to how quickly "
	                  "endpoints should be ejected");
	return true;
}

/* headless-lb-policy-ignored: the consistentHash that cannot apply goes. */
static size_t drop_hash(json_t *policy)
{
	json_t *lb = json_object_get(policy, "loadBalancer");
	if (!json_object_get(lb, "consistentHash"))
		return 0;
	json_object_del(lb, "consistentHash");
	if (!json_object_size(lb))
		json_object_del(policy, "loadBalancer");
	return 1;
}

static bool r_headless_hash(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	size_t n = drop_hash(json_object_get(spec, "trafficPolicy")), i;
	json_t *s, *p;
	json_array_foreach(jpath(spec, "trafficPolicy.portLevelSettings"), i, p)
		n += drop_hash(p);
	json_array_foreach(json_object_get(spec, "subsets"), i, s)
		n += drop_hash(json_object_get(s, "trafficPolicy"));
	if (!n)
		return nope(why, "the rule sets no consistentHash%s", NULL);
	x->note = xstrdup("to keep sessions on one pod, the client must pick it: a headless Service "
	                  "has no load balancing to hash");
	return true;
}

/* The DestinationRule for a host (a short name resolved in namespace defns), or NULL. */
static const struct kobj *rule_for(struct rctx *x, const char *host, const char *defns)
{
	char *svc, *ns;
	host_parts(host, defns, &svc, &ns);
	const struct kobj_list *drs = cluster_list(x->c, "DestinationRule", NULL);
	const struct kobj *dr = NULL;
	for (size_t i = 0; drs && i < drs->n && !dr; i++) {
		const char *h = jstr(drs->v[i]->j, "spec.host");
		char *hs, *hn;
		if (!h)
			continue;
		host_parts(h, drs->v[i]->ns, &hs, &hn);
		if (!strcmp(hs, svc) && !strcmp(hn, ns))
			dr = drs->v[i];
		free(hs);
		free(hn);
	}
	free(svc);
	free(ns);
	return dr;
}

/*
 * The rule for host (short names resolved in defns) gains subset, selected by the one label key its other
 * subsets use, if pods carry that label; x is retargeted to the rule.
 */
static bool subset_add(struct rctx *x, const char *host, const char *defns, const char *subset,
		       char **why)
{
	const struct kobj *dr = rule_for(x, host, defns);
	if (!dr)
		return nope(why, "no DestinationRule exists for %s: writing one, and choosing its "
		                 "subsets, is for a person", host);
	if (x->target != dr) {
		if (!strcmp(x->target->kind, "DestinationRule"))
			return nope(why, "the subsets belong to more than one DestinationRule: %s",
			            "correct them one at a time");
		retarget(x, dr);
	}
	json_t *subs = jpath(x->obj, "spec.subsets");
	const char *key = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(subs, i, s) {
		const char *name = jstr(s, "name");
		if (name && !strcmp(name, subset))
			return true; /* added for an earlier reference */
		json_t *l = json_object_get(s, "labels");
		const char *k = json_object_size(l) == 1 ? json_object_iter_key(json_object_iter(l)) : NULL;
		if (!k || (key && strcmp(key, k))) {
			*why = xasprintf("the subsets of %s/%s do not all select by one label: how subset "
			                 "%s should select its pods is a choice", dr->ns, dr->name, subset);
			return false;
		}
		key = k;
	}
	if (!key) {
		*why = xasprintf("%s/%s has no subsets to follow: how subset %s should select its "
		                 "pods is a choice", dr->ns, dr->name, subset);
		return false;
	}
	json_t *sel = json_pack("{s:s}", key, subset);
	const struct kobj_list *pods = cluster_list(x->c, "Pod", dr->ns);
	size_t n = 0;
	for (size_t p = 0; pods && p < pods->n; p++)
		n += labels_match(sel, jpath(pods->v[p]->j, "metadata.labels"));
	if (!n) {
		*why = xasprintf("no pod of %s carries %s=%s: deploy that version first, or route to "
		                 "a subset that exists (a choice)", dr->ns, key, subset);
		json_decref(sel);
		return false;
	}
	json_array_append_new(subs, json_pack("{s:s, s:o}", "name", subset, "labels", sel));
	return true;
}

/* subset-undefined: the existing rule for the host gains the subset, labelled as its others are. */
static bool r_subset_undefined(struct rctx *x, char **why)
{
	char *subset = word_after(x->f->message, "subset ");
	char *host = word_after(x->f->message, " of ");
	bool ok = subset && host ? subset_add(x, host, x->target->ns, subset, why)
	                         : nope(why, "the finding does not name the subset and host%s", NULL);
	free(subset);
	free(host);
	return ok;
}

/* mirror-subset-undefined: each mirrored subset that no rule defines is added to its rule. */
static bool r_mirror_subset(struct rctx *x, char **why)
{
	const struct kobj *vs = x->target;
	struct strlist hosts = {0}, subsets = {0};
	size_t i, k;
	json_t *h, *m;
	json_array_foreach(jpath(vs->j, "spec.http"), i, h) {
		json_t *one = json_object_get(h, "mirror");
		if (jstr(one, "subset")) {
			sl_add(&hosts, jstr(one, "host") ? jstr(one, "host") : "");
			sl_add(&subsets, jstr(one, "subset"));
		}
		json_array_foreach(json_object_get(h, "mirrors"), k, m) {
			json_t *d = json_object_get(m, "destination");
			if (jstr(d, "subset")) {
				sl_add(&hosts, jstr(d, "host") ? jstr(d, "host") : "");
				sl_add(&subsets, jstr(d, "subset"));
			}
		}
	}
	bool ok = hosts.n > 0;
	for (i = 0; ok && i < hosts.n; i++) {
		const struct kobj *dr = rule_for(x, hosts.v[i], vs->ns);
		bool defined = false;
		json_array_foreach(dr ? jpath(dr->j, "spec.subsets") : NULL, k, m)
			defined = defined || !strcmp(jstr(m, "name") ? jstr(m, "name") : "", subsets.v[i]);
		if (!defined)
			ok = subset_add(x, hosts.v[i], vs->ns, subsets.v[i], why);
	}
	if (!hosts.n)
		*why = xstrdup("the VirtualService mirrors to no subset");
	sl_free(&hosts);
	sl_free(&subsets);
	return ok;
}

/* service-port-naming where http rules meet a port named tcp-: the port is named http-. */
static bool r_port_naming(struct rctx *x, char **why)
{
	if (!x->f->message || !strstr(x->f->message, "http rules"))
		return nope(why, "which protocol the port speaks is for its owner to declare (name "
		                 "prefix or appProtocol)%s", NULL);
	size_t i, n = 0;
	json_t *p, *ports = jpath(x->obj, "spec.ports");
	json_array_foreach(ports, i, p) {
		const char *name = jstr(p, "name");
		const char *ap = jstr(p, "appProtocol");
		if (ap && !strcmp(ap, "tcp")) {
			json_object_set_new(p, "appProtocol", json_string("http"));
			n++;
		} else if (!name && !ap) {
			/* unnamed: the name declares it (versions before 1.3 do not sniff) */
			char *named = json_array_size(ports) == 1
			                  ? xstrdup("http")
			                  : xasprintf("http-%lld",
			                              (long long)json_integer_value(json_object_get(p, "port")));
			json_object_set_new(p, "name", json_string(named));
			free(named);
			n++;
		} else if (name && !strncmp(name, "tcp", 3) && (!name[3] || name[3] == '-')) {
			/* a name prefix wins over appProtocol before Istio 1.6 reads the latter */
			char *renamed = xasprintf("http%s", name + 3);
			json_object_set_new(p, "name", json_string(renamed));
			free(renamed);
			n++;
		}
	}
	if (!n)
		return nope(why, "no port is declared TCP by its name or appProtocol%s", NULL);
	x->note = xstrdup("only if the port speaks HTTP; if it is plain TCP, the VirtualService "
	                  "needs tcp rules instead");
	return true;
}

/* The container ports of a pod, its sidecar's left out. */
static void container_ports(const struct kobj *pod, json_t *out)
{
	size_t i, k;
	json_t *ct, *p;
	json_array_foreach(jpath(pod->j, "spec.containers"), i, ct) {
		const char *name = jstr(ct, "name");
		if (name && !strcmp(name, "istio-proxy"))
			continue;
		json_array_foreach(json_object_get(ct, "ports"), k, p)
			json_array_append(out, p);
	}
}

/*
 * service-target-port-undeclared: the port sends to the container port its pods
 * declare under the Service port's name, or to their only container port.
 */
static bool r_target_port(struct rctx *x, char **why)
{
	char *port = word_after(x->f->message, " of port ");
	json_t *spec = json_object_get(x->obj, "spec");
	json_t *sel = json_object_get(spec, "selector");
	if (!port || !json_object_size(sel)) {
		free(port);
		return nope(why, "the finding names no port of a Service with a selector%s", NULL);
	}
	struct kobj_list pods = cluster_select(x->c, "Pod", x->target->ns, sel);
	json_t *cports = json_array();
	if (pods.n)
		container_ports(pods.v[0], cports);
	/* every pod must declare the same ports for one answer to fit them all */
	bool same = pods.n > 0;
	for (size_t i = 1; same && i < pods.n; i++) {
		json_t *other = json_array();
		container_ports(pods.v[i], other);
		same = json_equal(other, cports);
		json_decref(other);
	}
	free(pods.v);
	json_t *sp = NULL, *p;
	size_t i;
	json_array_foreach(json_object_get(spec, "ports"), i, p)
		if (json_integer_value(json_object_get(p, "port")) == strtoll(port, NULL, 10))
			sp = p;
	free(port);
	json_t *to = NULL;
	const char *spname = sp ? jstr(sp, "name") : NULL;
	json_array_foreach(same ? cports : NULL, i, p) {
		const char *n = jstr(p, "name");
		if (spname && n && !strcmp(n, spname))
			to = p;
	}
	/* the only container port, unless another Service port already sends there */
	if (!to && same && json_array_size(cports) == 1) {
		json_t *only = json_array_get(cports, 0), *q;
		size_t k;
		to = only;
		json_array_foreach(json_object_get(spec, "ports"), k, q) {
			json_t *tp = json_object_get(q, "targetPort");
			if (q != sp && (json_equal(tp, json_object_get(only, "containerPort")) ||
			                (json_is_string(tp) && jstr(only, "name") &&
			                 !strcmp(json_string_value(tp), jstr(only, "name")))))
				to = NULL;
		}
	}
	bool ok = sp && to;
	if (ok) {
		json_t *was = json_object_get(sp, "targetPort");
		const char *name = jstr(to, "name");
		json_object_set_new(sp, "targetPort", json_is_string(was) && name
		                                          ? json_string(name)
		                                          : json_deep_copy(json_object_get(to, "containerPort")));
		x->note = xstrdup("check that the application listens on that container port");
	} else {
		*why = xstrdup("its pods declare no single container port that the Service port should "
		               "send to: which port the application listens on is for its owner to say");
	}
	json_decref(cports);
	return ok;
}

/* selector-no-workload: a one-label selector whose value is a typo of one that pods carry. */
static bool r_selector_typo(struct rctx *x, char **why)
{
	json_t *spec = json_object_get(x->obj, "spec");
	json_t *sel = json_object_get(json_object_get(spec, "selector"), "matchLabels");
	if (!sel)
		sel = json_object_get(json_object_get(spec, "workloadSelector"), "labels");
	if (json_object_size(sel) != 1)
		return nope(why, "the selector names %s: which pods it should select is a choice",
		            json_object_size(sel) ? "several labels" : "no labels");
	const char *key = json_object_iter_key(json_object_iter(sel));
	const char *val = json_string_value(json_object_iter_value(json_object_iter(sel)));
	struct strlist vals = {0};
	const struct kobj_list *pods = cluster_list(x->c, "Pod", x->target->ns);
	for (size_t i = 0; pods && i < pods->n; i++) {
		const char *v = json_string_value(jpath(pods->v[i]->j, "metadata.labels") ?
		                                  json_object_get(jpath(pods->v[i]->j, "metadata.labels"), key) : NULL);
		if (v && !sl_has(&vals, v))
			sl_add(&vals, v);
	}
	const char *meant = val ? closest(val, &vals) : NULL;
	bool ok = meant != NULL;
	if (ok)
		json_object_set_new(sel, key, json_string(meant));
	else
		*why = xasprintf("no pod of %s carries a likely spelling of %s=%s: which pods the "
		                 "selector should match is a choice", x->target->ns, key, val ? val : "");
	sl_free(&vals);
	return ok;
}

typedef bool (*renderer)(struct rctx *x, char **why);

static const struct {
	const char *diagnosis;
	renderer fn;
} renderers[] = {
	{"namespace-not-labeled", r_namespace_label},
	{"dr-tls-conflict", r_dr_tls},
	{"dr-mtls-to-disabled-server", r_dr_mtls_disabled},
	{"exportto-unknown-namespace", r_exportto},
	{"destination-host-unknown", r_destination_host},
	{"rule-host-unknown", r_rule_host},
	{"rule-host-wrong-namespace", r_rule_wrong_ns},
	{"vs-not-bound-to-gateway", r_vs_not_bound},
	{"vs-missing-mesh-gateway", r_vs_mesh},
	{"gateway-host-mismatch", r_gateway_host},
	{"gateway-selector-no-workload", r_gateway_selector},
	{"circuit-breaker-no-pending-limit", r_pending_limit},
	{"locality-lb-no-outlier-detection", r_outlier},
	{"headless-lb-policy-ignored", r_headless_hash},
	{"subset-undefined", r_subset_undefined},
	{"mirror-subset-undefined", r_mirror_subset},
	{"service-target-port-undeclared", r_target_port},
	{"selector-no-workload", r_selector_typo},
	{"service-port-naming", r_port_naming},
};

/* Why no fix is rendered, for the diagnoses whose fix is no change to the object found. */
#define WHY_POD "the change goes into the workload's pod template or is a restart, and only " \
                "pods created after it have it"
#define WHY_CONTROL "the fix is in the control plane (istiod, its webhook or its revision), " \
                    "not a field of the object found"
#define WHY_NEW "the fix is a new object, which the template shows"
#define WHY_TWO "two objects claim the same thing: which to keep, or how to merge them, is " \
                "a choice"
static const struct {
	const char *diagnosis, *why;
} why_not[] = {
	{"pod-injection-disabled", WHY_POD},
	{"pod-predates-injection", "the pod needs a restart: kubectl rollout restart its "
	                           "workload"},
	{"proxy-config-stale", WHY_CONTROL},
	{"proxy-config-drift", WHY_POD},
	{"proxy-not-connected", WHY_CONTROL},
	{"proxy-oom-killed", WHY_POD},
	{"envoy-fd-limit", WHY_POD},
	{"sidecar-image-pull-failure", WHY_POD},
	{"sidecar-not-ready-at-start", WHY_POD},
	{"app-exits-before-proxy-ready", WHY_POD},
	{"app-runs-as-proxy-uid", WHY_POD},
	{"istio-init-no-net-admin", WHY_POD},
	{"istio-init-not-reentrant", WHY_POD},
	{"host-network-pod", WHY_POD},
	{"probe-fails-under-mtls", WHY_POD},
	{"dns-proxy-client-incompatible", WHY_POD},
	{"control-plane-unhealthy", WHY_CONTROL},
	{"injector-unavailable", WHY_CONTROL},
	{"pilot-config-conflict", WHY_CONTROL},
	{"injection-revision-mismatch", "which revision the namespace should use is a choice"},
	{"pod-without-service", WHY_NEW},
	{"mtls-auto-off-no-rule", WHY_NEW},
	{"headless-no-sidecar-mtls", WHY_NEW},
	{"vs-host-conflict", WHY_TWO},
	{"dr-host-duplicate", WHY_TWO},
	{"serviceentry-host-duplicate", WHY_TWO},
	{"workload-policy-conflict", WHY_TWO},
	{"gateway-server-conflict", WHY_TWO},
	{"shared-cert-http2-reuse", "which Gateway keeps the certificate, or which gets its own, "
	                            "is a choice"},
	{"vs-match-order-shadowed", "which route should come first is a choice"},
	{"vs-no-default-route", "which destination should take the requests no route matches is "
	                        "a choice"},
	{"subset-no-pods", "deploying that version or dropping the subset is a choice"},
	{"dr-subset-policy-inactive", "routing to the subset or dropping its policy is a choice"},
	{"gateway-vs-ignores-subset", "which subsets the gateway's routes should use is a choice"},
	{"mixed-protocol-port", "which protocol the container port speaks is for its owner to say"},
	{"non-tcp-protocol", "the traffic is not TCP: it cannot be brought into the mesh by a "
	                     "field"},
	{"tcp-drop-on-cert-rotation", "the client must reconnect: the fix is in the application"},
	{"request-headers-too-large", "which header limit to allow is a choice"},
	{"ingress-no-external-address", "the load balancer comes from the cloud provider, not a "
	                                "field of the Service"},
	{"vs-k8s-gateway-host-mismatch", "which listener hostname the VirtualService should answer "
	                                 "for is a choice"},
};

static const char *why_not_for(const char *diagnosis)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(why_not); i++)
		if (!strcmp(why_not[i].diagnosis, diagnosis))
			return why_not[i].why;
	return "the fix of this diagnosis is no change to one field of an object found (a "
	       "restart, a new object or a choice): the template shows it";
}

static renderer renderer_for(const char *diagnosis)
{
	for (size_t i = 0; diagnosis && i < MM_ARRAY_LEN(renderers); i++)
		if (!strcmp(renderers[i].diagnosis, diagnosis))
			return renderers[i].fn;
	return NULL;
}

bool render_known(const char *diagnosis)
{
	return renderer_for(diagnosis) != NULL;
}

/* The object a finding is on ("Kind/ns/name" or "Kind/name"), or NULL. */
static const struct kobj *finding_object(struct cluster *c, const char *resource)
{
	const char *s1 = strchr(resource, '/');
	if (!s1)
		return NULL;
	char *kind = xstrndup(resource, (size_t)(s1 - resource));
	const char *s2 = strchr(s1 + 1, '/');
	char *ns = s2 ? xstrndup(s1 + 1, (size_t)(s2 - s1 - 1)) : xstrdup("");
	const struct kobj *o = cluster_get(c, kind, ns, s2 ? s2 + 1 : s1 + 1);
	free(kind);
	free(ns);
	return o;
}

/* A Kubernetes name or label as a shell word needs no quoting: letters, digits, . - _ / only. */
static bool plain_word(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/") ==
	                 strlen(s);
}

/* A label or annotation value that needs no quoting: a plain word, commas allowed. */
static bool plain_value(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/,") ==
	                 strlen(s);
}

/* The resource name kubectl resolves unambiguously: "namespace", "gateway.networking.istio.io". */
static char *kubectl_resource(const char *kind, const char *api_version)
{
	char *lower = xstrdup(kind);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *slash = strchr(api_version, '/');
	if (!slash)
		return lower;
	char *r = xasprintf("%s.%.*s", lower, (int)(slash - api_version), api_version);
	free(lower);
	return r;
}

/*
 * A patch that only sets or removes labels (or annotations) with plain keys and
 * values becomes kubectl label (annotate); else kubectl patch --type merge.
 */
static char *kubectl_line(const char *res, const struct kobj *o, json_t *patch)
{
	struct sbuf b;
	sb_init(&b);
	json_t *md = json_object_get(patch, "metadata");
	const char *field = json_object_get(md, "labels") ? "labels" : "annotations";
	json_t *kv = json_object_get(md, field);
	bool simple = json_object_size(patch) == 1 && json_object_size(md) == 1 && json_is_object(kv);
	const char *k;
	json_t *v;
	json_object_foreach(kv, k, v)
		simple = simple && plain_word(k) &&
		         (json_is_null(v) || (json_is_string(v) && plain_value(json_string_value(v))));
	if (simple) {
		sb_printf(&b, "kubectl %s %s %s", strcmp(field, "labels") ? "annotate" : "label", res,
		          o->name);
		if (*o->ns)
			sb_printf(&b, " -n %s", o->ns);
		json_object_foreach(kv, k, v) {
			if (json_is_null(v))
				sb_printf(&b, " %s-", k);
			else
				sb_printf(&b, " %s=%s", k, json_string_value(v));
		}
		sb_add(&b, " --overwrite");
		return sb_steal(&b);
	}
	char *js = json_dumps(patch, JSON_COMPACT | JSON_PRESERVE_ORDER);
	sb_printf(&b, "kubectl patch %s %s", res, o->name);
	if (*o->ns)
		sb_printf(&b, " -n %s", o->ns);
	sb_add(&b, " --type merge -p");
	sb_add_shell_word(&b, js);
	free(js);
	return sb_steal(&b);
}

bool render_fix(struct cluster *c, const struct finding *f, struct fix_rendered *out, char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	renderer fn = renderer_for(f->diagnosis);
	if (!fn) {
		return nope(why, "%s", why_not_for(f->diagnosis));
	}
	const struct kobj *o = finding_object(c, f->resource);
	if (!o) {
		*why = xasprintf("%s is not among the objects read", f->resource);
		return false;
	}
	struct rctx x = {c, f, NULL, NULL, NULL, NULL};
	retarget(&x, o);
	if (!fn(&x, why)) {
		json_decref(x.obj);
		free(x.note);
		return false;
	}
	o = x.target;
	if (!plain_word(o->name) || (*o->ns && !plain_word(o->ns)) || strchr(o->name, '/') ||
	    strchr(o->ns, '/')) {
		*why = xstrdup("the object's name is not a valid Kubernetes name");
		json_decref(x.obj);
		free(x.note);
		return false;
	}
	json_t *before = clean_copy(o);
	char *api = render_api_version(c, jstr(before, "apiVersion"));
	json_object_set_new(before, "apiVersion", json_string(api));
	json_object_set_new(x.obj, "apiVersion", json_string(api));
	out->merge_patch = merge_patch_make(before, x.obj);
	if (!json_object_size(out->merge_patch)) {
		*why = xstrdup("the object already has the change");
		json_decref(before);
		json_decref(x.obj);
		free(x.note);
		free(api);
		fix_rendered_free(out);
		return false;
	}
	char *ya = yaml_of_json(before);
	out->object = yaml_of_json(x.obj);
	char *label = xasprintf("%s/%s%s%s", o->kind, o->ns, *o->ns ? "/" : "", o->name);
	char *a = xasprintf("a/%s", label), *b = xasprintf("b/%s", label);
	out->diff = line_diff(ya, out->object, a, b);
	free(a);
	free(b);
	free(label);
	free(ya);
	char *res = kubectl_resource(o->kind, api);
	out->patch = kubectl_line(res, o, out->merge_patch);
	free(res);
	out->kind = xstrdup(o->kind);
	out->ns = xstrdup(o->ns);
	out->name = xstrdup(o->name);
	out->api_version = api;
	out->note = x.note;
	out->follow_up = x.follow_up;
	json_decref(before);
	json_decref(x.obj);
	return true;
}

bool render_walk_fix(struct cluster *c, const struct walk *w, struct fix_rendered *out,
		     char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!c || !walk_done(w))
		return nope(why, "no cluster to render the fix against%s", NULL);
	const char *id = w->diag->id;
	if (!renderer_for(id))
		return nope(why, "%s", why_not_for(id));
	struct scope s = {walk_input(w, "namespace"), walk_input(w, "service"),
	                  walk_input(w, "pod")};
	struct findings f = {0};
	detect_run(c, &s, id, &f);
	bool ok = false;
	for (size_t i = 0; i < f.n && !ok; i++) {
		free(*why);
		ok = render_fix(c, &f.v[i], out, why);
	}
	if (!f.n && !*why)
		*why = xasprintf("the cluster shows no finding of %s for these inputs to correct", id);
	findings_free(&f);
	return ok;
}

void fix_rendered_free(struct fix_rendered *r)
{
	free(r->kind);
	free(r->ns);
	free(r->name);
	free(r->api_version);
	free(r->object);
	free(r->patch);
	free(r->diff);
	free(r->note);
	json_decref(r->merge_patch);
	memset(r, 0, sizeof(*r));
}

json_t *fix_rendered_json(const struct fix_rendered *r)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "kind", r->kind,
	                      "namespace", r->ns, "name", r->name, "api_version", r->api_version,
	                      "object", r->object, "patch", r->patch, "diff",
	                      r->diff ? r->diff : "", "merge_patch", r->merge_patch);
	if (r->note)
		json_object_set_new(j, "note", json_string(r->note));
	if (r->follow_up)
		json_object_set_new(j, "follow_up", json_string(r->follow_up));
	return j;
}
