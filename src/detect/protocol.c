/*
 * Detectors of the 426, 431, headers and sync flows: what istiod's own log
 * says about the configuration it builds (pilot-config-conflict), proxies
 * whose configuration differs from istiod's (proxy-config-drift: a rejected
 * update, or a proxy release istiod does not support), and EnvoyFilters
 * whose header limit Envoy refuses (request-headers-too-large).
 *
 * The EnvoyFilter helpers at the end are shared with probes/protocol.c,
 * which declares them; they only read the model.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/protocol.h"
#include "cluster/mesh.h"
#include "cluster/proxystatus.h"

/* ---- pilot-config-conflict: istiod's log ---- */

/*
 * What istiod writes when it cannot build or deliver a consistent
 * configuration. Most are matched only on warn and error lines, so that
 * info lines such as the webhook's "dummy invalid config not rejected"
 * self-test stay quiet; the push-status metric names appear in info-level
 * JSON blocks (Istio 1.4 and older) and count wherever they are.
 */
static const struct {
	const char *needle, *meaning;
	bool any_level;
} conflict_signs[] = {
    {"ACK ERROR", "a proxy rejected (NACKed) configuration that istiod generated", false},
    {"pilot_conflict_", "two services or rules claim the same listener", true},
    {"pilot_duplicate_envoy_clusters", "istiod generated duplicate clusters", true},
    {"pilot_vservice_dup_domain", "two VirtualServices claim the same domain", true},
    {"conflict", "istiod reports conflicting configuration", false},
    {"duplicate", "istiod reports a duplicated host, domain or cluster", false},
    {"push error", "a push to the proxies failed", false},
    {"invalid configuration", "istiod holds configuration that fails validation", false},
    {"rejected", "istiod or a proxy rejected configuration", false},
};

/* Whether a log line is at warn or error level (console or JSON log format). */
static bool warn_or_error(const char *line)
{
	static const char *const marks[] = {"\twarn\t", "\terror\t", "\"level\":\"warn",
	                                    "\"level\":\"error"};
	for (size_t i = 0; i < MM_ARRAY_LEN(marks); i++)
		if (strstr(line, marks[i]))
			return true;
	return false;
}

/* The sign a log line shows, or -1. */
static int conflict_sign(const char *line)
{
	bool loud = warn_or_error(line);
	for (size_t i = 0; i < MM_ARRAY_LEN(conflict_signs); i++)
		if ((loud || conflict_signs[i].any_level) &&
		    strcasestr(line, conflict_signs[i].needle))
			return (int)i;
	return -1;
}

static bool is_istiod_pod(const struct kobj *p)
{
	static const char *const sel[][2] = {{"app", "istiod"}, {"istio", "pilot"}};
	json_t *labels = jpath(p->j, "metadata.labels");
	for (size_t i = 0; i < MM_ARRAY_LEN(sel); i++) {
		const char *v = json_string_value(json_object_get(labels, sel[i][0]));
		if (v && strcmp(v, sel[i][1]) == 0)
			return true;
	}
	return false;
}

#define MAX_QUOTED 3
#define QUOTE_LEN 320

/*
 * Whether a log line names something of namespace ns: a proxy "POD.NS-N",
 * a host "NAME.NS.svc...", or "NS/NAME".
 */
static bool line_names_ns(const char *line, const char *ns)
{
	size_t n = strlen(ns);
	for (const char *p = strstr(line, ns); p; p = strstr(p + 1, ns)) {
		char before = p == line ? ' ' : p[-1], after = p[n];
		if ((before == '.' && (after == '.' || after == '-' || !isalnum((unsigned char)after))) ||
		    (!isalnum((unsigned char)before) && before != '-' && after == '/'))
			return true;
	}
	return false;
}

/* Findings for one istiod pod's log text; with ns, only the lines that name that namespace. */
static void scan_istiod_log(const struct kobj *pod, const char *text, const char *ns,
                            struct findings *f)
{
	size_t hits = 0;
	int first = -1;
	struct strlist ev = {0};
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		int sign = conflict_sign(line);
		if (sign >= 0 && ns && !line_names_ns(line, ns))
			sign = -1;
		if (sign >= 0 && first < 0)
			first = sign;
		if (sign >= 0 && hits++ < MAX_QUOTED)
			sl_take(&ev, xasprintf("%s: %.*s", conflict_signs[sign].meaning, QUOTE_LEN,
			                       line));
		free(line);
		p += nl ? len + 1 : len;
	}
	if (!hits)
		return;
	if (hits > MAX_QUOTED)
		sl_take(&ev, xasprintf("... %zu such lines in all", hits));
	findings_add(f, "pilot-config-conflict", pod, &ev,
	             "istiod %s logs %zu configuration problem%s: %s", pod->name, hits,
	             hits == 1 ? "" : "s", conflict_signs[first].meaning);
}

/*
 * istiod's log speaks for the whole mesh: a check narrowed to a namespace
 * keeps the lines that name that namespace's proxies and hosts.
 */
static void pilot_conflict(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "pilot-config-conflict";
	if (!need_kind(c, f, check, "Pod"))
		return;
	const char *only = s->ns && strcmp(s->ns, cluster_control_namespace(c)) != 0 ? s->ns : NULL;
	const struct kobj_list *pods = cluster_list(c, "Pod", cluster_control_namespace(c));
	for (size_t i = 0; i < pods->n; i++) {
		const struct kobj *p = pods->v[i];
		if (!is_istiod_pod(p) || !pod_running(p))
			continue;
		char *why = NULL;
		char *text = cluster_log(c, p->ns, p->name, "discovery", false, &why);
		if (text)
			scan_istiod_log(p, text, only, f);
		else
			findings_skip(f, check, why ? why : "istiod's log could not be read");
		free(text);
		free(why);
	}
}

static const struct detector det_pilot_conflict = {"pilot-conflict", "pilot-config-conflict",
                                                   pilot_conflict};

/* ---- proxy-config-drift: proxy-status ---- */

static bool row_in_scope(const struct scope *s, const struct proxy_status *r)
{
	return r->ns && (!s->ns || strcmp(s->ns, r->ns) == 0) &&
	       (!s->pod || strcmp(s->pod, r->pod) == 0);
}

/* The proxy-status rows, or NULL with the check recorded as skipped. */
static const struct proxy_status *status_rows(struct cluster *c, struct findings *f,
                                              const char *check, size_t *n)
{
	const struct proxy_status *rows;
	const char *why;
	if (cluster_proxy_status(c, &rows, n, &why))
		return rows;
	findings_skip(f, check, why);
	return NULL;
}

static char *pod_ref(const struct proxy_status *r)
{
	return xasprintf("Pod/%s/%s", r->ns, r->pod);
}

/* ERROR for a type: Envoy refused the last update and keeps serving the one before. */
static void proxy_nack(struct cluster *c, const struct scope *s, struct findings *f)
{
	static const char *const names[] = {"CDS", "LDS", "EDS", "RDS", "ECDS"};
	size_t n;
	const struct proxy_status *rows = status_rows(c, f, "proxy-config-drift", &n);
	for (size_t i = 0; rows && i < n; i++) {
		const struct proxy_status *r = &rows[i];
		const char *const st[] = {r->cds, r->lds, r->eds, r->rds, r->ecds};
		struct sbuf types;
		sb_init(&types);
		for (size_t k = 0; k < MM_ARRAY_LEN(st); k++)
			if (st[k] && strcmp(st[k], "ERROR") == 0)
				sb_printf(&types, "%s%s", types.len ? ", " : "", names[k]);
		if (types.len && row_in_scope(s, r)) {
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("proxy-status %s.%s: ERROR for %s", r->pod, r->ns,
			                       types.s));
			sl_take(&ev,
			        xstrdup("ERROR means Envoy rejected (NACKed) the last update of "
			                "that type and still runs the previous one"));
			char *res = pod_ref(r);
			findings_add_at(f, "proxy-config-drift", res, &ev,
			                "the proxy of %s rejected its %s update", r->pod, types.s);
			free(res);
		}
		sb_free(&types);
	}
}

static const struct detector det_proxy_nack = {"proxy-nack", "proxy-config-drift", proxy_nack};

/* Major and minor of "1.22.3", "1.23-dev", "1.20.0-distroless"; false if there are none. */
static bool major_minor(const char *v, long *major, long *minor)
{
	while (v && *v && !isdigit((unsigned char)*v))
		v++;
	if (!v || !*v)
		return false;
	char *end;
	*major = strtol(v, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return false;
	*minor = strtol(end + 1, NULL, 10);
	return true;
}

/* The pilot image of an istiod Deployment; NULL if it has none. */
static const char *pilot_image(const struct kobj *dep)
{
	json_t *cs = jpath(dep->j, "spec.template.spec.containers");
	for (size_t i = 0; i < json_array_size(cs); i++) {
		const char *img = jstr(json_array_get(cs, i), "image");
		if (img && strstr(img, "pilot"))
			return img;
	}
	return NULL;
}

/*
 * The version of the istiod that serves a proxy: the Deployment whose pod
 * the ISTIOD column names (the longest matching name, so istiod-canary wins
 * over istiod), else the mesh's version. New string or NULL.
 */
static char *istiod_version(struct cluster *c, const char *istiod_pod)
{
	const struct kobj_list *deps = cluster_list(c, "Deployment", cluster_control_namespace(c));
	const struct kobj *best = NULL;
	for (size_t i = 0; istiod_pod && i < deps->n; i++) {
		size_t len = strlen(deps->v[i]->name);
		if (pilot_image(deps->v[i]) && strncmp(istiod_pod, deps->v[i]->name, len) == 0 &&
		    istiod_pod[len] == '-' && (!best || len > strlen(best->name)))
			best = deps->v[i];
	}
	char *v = best ? image_version(pilot_image(best)) : NULL;
	if (!v && cluster_istio_version(c))
		v = xstrdup(cluster_istio_version(c));
	return v;
}

/*
 * Istio supports proxies of the same minor release as istiod or one older,
 * never newer; anything else may be sent configuration it cannot apply.
 */
static void proxy_skew(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "proxy-config-drift";
	size_t n;
	const struct proxy_status *rows = status_rows(c, f, check, &n);
	for (size_t i = 0; rows && i < n; i++) {
		const struct proxy_status *r = &rows[i];
		if (!row_in_scope(s, r))
			continue;
		char *cp = istiod_version(c, r->istiod);
		long pm, pn, cm, cn;
		if (!major_minor(r->version, &pm, &pn) || !major_minor(cp, &cm, &cn)) {
			char *why = xasprintf("no comparable proxy and istiod versions for %s.%s",
			                      r->pod, r->ns);
			findings_skip(f, check, why);
			free(why);
		} else if (pm != cm || pn > cn || cn - pn > 1) {
			struct strlist ev = {0};
			sl_take(&ev, xasprintf("proxy-status %s.%s: proxy %s, istiod %s runs %s",
			                       r->pod, r->ns, r->version,
			                       r->istiod ? r->istiod : "(unnamed)", cp));
			sl_take(&ev,
			        xstrdup("istiod supports proxies of its own minor release or one "
			                "older, never newer"));
			char *res = pod_ref(r);
			findings_add_at(f, check, res, &ev,
			                "the proxy of %s runs Istio %s against istiod %s", r->pod,
			                r->version, cp);
			/* unlike a rejected update (an error), a skew only fails for config it cannot apply */
			findings_rate(f, SEV_WARNING, NULL);
			free(res);
		}
		free(cp);
	}
}

const struct detector det_proxy_skew = {"proxy-version-skew", "proxy-config-drift", proxy_skew};

/* ---- request-headers-too-large: EnvoyFilters ---- */

long headers_kb(json_t *v)
{
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	const char *s = json_string_value(v);
	char *end;
	long kb = s && *s ? strtol(s, &end, 10) : -1;
	return s && *s && !*end ? kb : -1;
}

/* Envoy accepts up to 96 KiB before 1.19 (Istio 1.10 and older), 8192 KiB since. */
long headers_kb_max(struct cluster *c)
{
	const char *v = cluster_istio_version(c);
	return v && version_cmp(v, "1.11") < 0 ? 96 : 8192;
}

static void max_headers(struct cluster *c, const struct scope *s, struct findings *f)
{
	const char *check = "request-headers-too-large";
	if (!need_kind(c, f, check, "EnvoyFilter"))
		return;
	const char *root = mesh_root_namespace(c), *version = cluster_istio_version(c);
	long max = headers_kb_max(c);
	const struct kobj_list *efs = cluster_list(c, "EnvoyFilter", NULL);
	for (size_t i = 0; i < efs->n; i++) {
		const struct kobj *ef = efs->v[i];
		/* filters are configuration, not workloads: the control plane's are checked too */
		if (!in_scope(s, ef) && strcmp(ef->ns, root) != 0)
			continue;
		json_t *v = ef_find(ef, "max_request_headers_kb", NULL);
		long kb = v ? headers_kb(v) : 0;
		if (!v || (kb > 0 && kb <= max))
			continue;
		struct strlist ev = {0};
		if (kb > 0)
			sl_take(&ev, xasprintf("EnvoyFilter %s/%s sets max_request_headers_kb: %ld",
			                       ef->ns, ef->name, kb));
		else
			sl_take(&ev,
			        xasprintf("EnvoyFilter %s/%s sets max_request_headers_kb to %s",
			                  ef->ns, ef->name, "something not a positive number"));
		sl_take(&ev, xasprintf("the Envoy of Istio %s accepts 1 to %ld KiB",
		                       version ? version : "(version unknown)", max));
		sl_take(&ev, xstrdup("Envoy rejects the listener update, so the old limit (60 KiB "
		                     "unless set otherwise) stays in force"));
		findings_add(f, check, ef, &ev, "EnvoyFilter %s sets a header limit Envoy rejects",
		             ef->name);
	}
}

static const struct detector det_max_headers = {"max-request-headers", "request-headers-too-large",
                                                max_headers};

/* ---- EnvoyFilter helpers (shared with probes/protocol.c) ---- */

/*
 * Whether an EnvoyFilter applies to a pod: one in the root namespace
 * applies mesh-wide, any other only in its own namespace; a
 * workloadSelector narrows it to the pods whose labels it names.
 */
bool ef_applies(struct cluster *c, const struct kobj *ef, const struct kobj *pod)
{
	if (strcmp(ef->ns, pod->ns) != 0 && strcmp(ef->ns, mesh_root_namespace(c)) != 0)
		return false;
	json_t *sel = jpath(ef->j, "spec.workloadSelector.labels");
	return !json_object_size(sel) || labels_match(sel, jpath(pod->j, "metadata.labels"));
}

/* The first value of key anywhere under j; borrowed. */
static json_t *find_key(json_t *j, const char *key)
{
	json_t *found = json_object_get(j, key), *v;
	const char *k;
	size_t i;
	if (found)
		return found;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
		{
			if ((found = find_key(v, key)))
				break;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if ((found = find_key(v, key)))
				break;
		}
	}
	return found;
}

/*
 * The last value of key under the patches of an EnvoyFilter that apply to
 * a listener context (SIDECAR_INBOUND, SIDECAR_OUTBOUND or GATEWAY; NULL
 * for any); later patches merge over earlier ones. Borrowed, or NULL.
 */
json_t *ef_find(const struct kobj *ef, const char *key, const char *context)
{
	json_t *patches = jpath(ef->j, "spec.configPatches"), *last = NULL;
	for (size_t i = 0; i < json_array_size(patches); i++) {
		json_t *p = json_array_get(patches, i);
		const char *ctx = jstr(p, "match.context");
		bool fits =
		    !context || !ctx || strcmp(ctx, "ANY") == 0 || strcmp(ctx, context) == 0;
		json_t *v = fits ? find_key(jpath(p, "patch.value"), key) : NULL;
		if (v)
			last = v;
	}
	return last;
}

/* The EnvoyFilter context of a pod's proxy for traffic it receives or sends. */
const char *proxy_context(const struct kobj *pod, bool inbound)
{
	json_t *labels = jpath(pod->j, "metadata.labels");
	const char *istio = json_string_value(json_object_get(labels, "istio"));
	if ((istio && strstr(istio, "gateway")) ||
	    json_object_get(labels, "gateway.networking.k8s.io/gateway-name"))
		return "GATEWAY";
	return inbound ? "SIDECAR_INBOUND" : "SIDECAR_OUTBOUND";
}

const struct detector *const detectors_protocol[] = {
    &det_pilot_conflict, &det_proxy_nack, &det_proxy_skew, &det_max_headers, NULL,
};
