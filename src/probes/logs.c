/*
 * Probes that read Envoy's access logs about one service: the lines its
 * callers' sidecars log (outbound), the lines its own sidecars log
 * (inbound), and for 431 the lines of the ingress gateways. The logs come
 * from the cluster model (a snapshot's logs/, or kubectl logs when live):
 * at most LOG_PODS pods, the last LOG_LINES lines of each, in the format
 * meshConfig sets.
 *
 * Each probe counts the lines in classes (struct counting) and answers the
 * node's choice of the class that decides: the 503 flow's flag choice that
 * al_next_rules gives a failing line (UO, NR, NC, UF, UH, UAEX, reset,
 * none), the protocol of 426 lines, the response details of 431 lines.
 * When the logs tell nothing about the 503 flag and --prometheus is given,
 * istio_requests_total over PROM_WINDOW is counted in the same classes.
 */
#include <stdlib.h>
#include <string.h>

#include "logs/accesslog.h"
#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "probes/probe.h"
#include "cluster/prometheus.h"

#define LOG_PODS 20
#define LOG_LINES 2000
/* Pods named one by one in the evidence. */
#define EVIDENCE_PODS 5
#define MAX_CLASSES 16

/* What a probe counts: each line about the service falls in one class, or none. */
struct counting {
	const char *what; /* "failing requests": the lines counted, in the evidence */
	const char *tag;  /* "failing": what a pod's counted lines are */
	int (*classify)(const struct al_record *r); /* the class of a line, or -1 */
	/* classes in priority order (the first one seen decides), else the most lines decide */
	bool ranked;
	size_t n;
	const char *answer[MAX_CLASSES]; /* the node's choice a class gives, or NULL */
	const char *label[MAX_CLASSES];  /* the class, in the evidence */
};

/* How the lines of a pod relate to the service. */
enum { AS_CALLER = 1, AS_SERVER = 2 };

/* The pods whose logs a probe reads, each once with every role it has. */
struct plan {
	const struct kobj *pod[LOG_PODS];
	unsigned as[LOG_PODS];
	size_t n;
};

/* The lines about one service, counted over several pods. */
struct gather {
	const char *svc, *ns;
	const struct counting *k;
	const char *unit; /* what is counted: "access log lines about" unless set */
	bool orphans;     /* lines Envoy refused before routing (no upstream cluster) count too */
	bool logging;     /* find out whether each pod read writes access logs at all */
	unsigned as;      /* the roles of the pod being read */
	uint64_t lines, counted, cls[MAX_CLASSES];
	uint64_t pod_lines, pod_counted, pod_entries; /* of the pod being read */
	size_t read, skipped;                         /* pods whose log was read, or could not be */
	size_t quiet;   /* pods read that are not known to write access logs */
	char *why;      /* why the first unreadable log was */
	char *logs_on;  /* why the first pod read logs access, or */
	char *logs_off; /* why the first quiet one may not */
	struct strlist per_pod;
	const struct kobj *top;  /* the pod whose log counted the most lines of the class */
	uint64_t top_counted;
};

/* Whether a line that no upstream cluster places names another service in its authority. */
static bool names_other(const struct gather *g, const struct al_record *r)
{
	char *svc, *ns;
	al_service_of(r->f[AL_AUTHORITY], &svc, &ns);
	bool other = svc && (strcmp(svc, g->svc) != 0 || (ns && strcmp(ns, g->ns) != 0));
	free(svc);
	free(ns);
	return other;
}

/* Whether a line of the pod being read is about the service. */
static bool about(const struct gather *g, const struct al_record *r)
{
	enum al_side side = al_cluster_parse(r->f[AL_UPSTREAM_CLUSTER]).side;
	if (side == AL_SIDE_INBOUND)
		return g->as & AS_SERVER;
	/* a caller's line without a cluster (NR) still names the service in its authority */
	if ((g->as & AS_CALLER) && al_targets(r, g->svc, g->ns))
		return true;
	/* a request refused before routing has no cluster: counted unless it names another */
	return g->orphans && !al_has(r->f[AL_UPSTREAM_CLUSTER]) && g->k->classify(r) >= 0 &&
	       !names_other(g, r);
}

static void on_line(void *ctx, const struct al_record *r)
{
	struct gather *g = ctx;
	g->pod_entries++;
	if (!about(g, r))
		return;
	g->pod_lines++;
	int k = g->k->classify(r);
	if (k < 0)
		return;
	g->pod_counted++;
	g->cls[k]++;
}

/*
 * Whether access logging is known to be on for a pod's sidecar in the roles
 * it is read for, so that a missing line means no such request: the mesh
 * configuration turns it on for those directions (mesh_access_logging), or,
 * where nothing configures it, the log itself holds access log entries.
 * Every probe that answers from a missing line asks this first. *why (new)
 * says what tells, or why it cannot be told.
 */
static bool logs_access(struct cluster *c, const struct kobj *pod, unsigned as, uint64_t entries,
                        char **why)
{
	unsigned modes =
	    (as & AS_CALLER ? MESH_LOG_CLIENT : 0u) | (as & AS_SERVER ? MESH_LOG_SERVER : 0u);
	char *conf;
	enum mesh_log v = mesh_access_logging(c, pod, modes, &conf);
	bool on = v == MESH_LOG_ON || (v == MESH_LOG_UNSET && entries);
	if (v == MESH_LOG_ON)
		*why = xstrdup(conf);
	else if (on)
		*why = xasprintf("the log of %s holds %llu access log entries", pod->name,
		                 (unsigned long long)entries);
	else if (v == MESH_LOG_UNSET)
		*why = xasprintf("access logging is not known to be on for %s/%s: %s, and the "
		                 "log holds no access log entry",
		                 pod->ns, pod->name, conf);
	else
		*why = xasprintf("access logging is not known to be on for %s/%s: %s", pod->ns,
		                 pod->name, conf);
	free(conf);
	return on;
}

/* Note whether the pod just read writes access logs. */
static void note_logging(struct gather *g, struct cluster *c, const struct kobj *pod)
{
	char *why;
	bool on = logs_access(c, pod, g->as, g->pod_entries, &why);
	g->quiet += !on;
	/* the reasons of a pod that is not known to log name it already */
	if (on && !g->logs_on)
		g->logs_on = xasprintf("%s/%s: %s", pod->ns, pod->name, why);
	else if (!on && !g->logs_off)
		g->logs_off = xstrdup(why);
	free(why);
}

/* "outbound " for a caller's pod, "inbound " for a server's; nothing for a pod that is both. */
static const char *side_word(unsigned as)
{
	return as == (AS_CALLER | AS_SERVER) ? "" : as == AS_SERVER ? "inbound " : "outbound ";
}

/* Read one pod's istio-proxy log into g. */
static void gather_pod(struct gather *g, struct cluster *c, struct al_parser *p,
                       const struct kobj *pod, unsigned as)
{
	char *why = NULL;
	char *text = cluster_log(c, pod->ns, pod->name, "istio-proxy", false, &why);
	if (!text) {
		if (!g->why)
			g->why = why ? why : xstrdup("no log");
		else
			free(why);
		g->skipped++;
		return;
	}
	g->read++;
	g->as = as;
	g->pod_lines = g->pod_counted = g->pod_entries = 0;
	al_each(p, text, LOG_LINES, on_line, g);
	free(text);
	g->lines += g->pod_lines;
	g->counted += g->pod_counted;
	if (g->pod_counted > g->top_counted) {
		g->top = pod;
		g->top_counted = g->pod_counted;
	}
	if (g->logging)
		note_logging(g, c, pod);
	/* the pods that logged something about the service speak for themselves */
	if (g->pod_lines && g->per_pod.n < EVIDENCE_PODS)
		sl_take(&g->per_pod,
		        xasprintf("%s/%s: %llu %slines about %s, %llu %s", pod->ns, pod->name,
		                  (unsigned long long)g->pod_lines, side_word(as), g->svc,
		                  (unsigned long long)g->pod_counted, g->k->tag));
}

/* Add a pod that has a running sidecar to the plan (once, with every role). */
static void plan_add(struct plan *pl, const struct kobj *pod, unsigned as)
{
	if (!pod_has_sidecar(pod) || !pod_running(pod))
		return;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->pod[i] == pod) {
			pl->as[i] |= as;
			return;
		}
	if (pl->n < LOG_PODS) {
		pl->pod[pl->n] = pod;
		pl->as[pl->n++] = as;
	}
}

static void plan_list(struct plan *pl, const struct kobj *const *pods, size_t n, unsigned as)
{
	for (size_t i = 0; i < n; i++)
		plan_add(pl, pods[i], as);
}

static void gather_plan(struct gather *g, struct cluster *c, struct al_parser *p,
                        const struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		gather_pod(g, c, p, pl->pod[i], pl->as[i]);
}

/* "3 UF, 1 reset" for the classes other than best (new string). */
static char *others(const struct gather *g, int best)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < g->k->n; i++)
		if ((int)i != best && g->cls[i])
			sb_printf(&b, "%s%llu %s", b.len ? ", " : "", (unsigned long long)g->cls[i],
			          g->k->label[i]);
	return sb_steal(&b);
}

/* The class that decides among those the node offers, or -1. */
static int pick(const struct probe_ctx *x, const struct gather *g)
{
	int best = -1;
	for (size_t i = 0; i < g->k->n; i++)
		if (g->cls[i] && g->k->answer[i] && probe_has_choice(x, g->k->answer[i]) &&
		    (best < 0 || (!g->k->ranked && g->cls[i] > g->cls[best])))
			best = (int)i;
	return best;
}

/*
 * Answer the choice of the class that decides, or none (when given and
 * nothing was counted); else unknown with the counts.
 */
static void decide_counts(const struct probe_ctx *x, struct probe_result *r, const struct gather *g,
                          const char *whose, const char *none)
{
	int best = pick(x, g);
	char *rest = others(g, best);
	const char *unit = g->unit ? g->unit : "access log lines about";
	if (best >= 0)
		probe_answer(r, g->k->answer[best], "%s on %llu of %llu %s to %s in %s%s%s%s",
		             g->k->label[best], (unsigned long long)g->cls[best],
		             (unsigned long long)g->counted, g->k->what, g->svc, whose,
		             *rest ? " (also " : "", rest, *rest ? ")" : "");
	else if (!g->counted) {
		char *msg = xasprintf("%llu %s %s in %s, none %s", (unsigned long long)g->lines,
		                      unit, g->svc, whose, g->k->tag);
		if (none && probe_has_choice(x, none))
			probe_answer(r, none, "%s", msg);
		else
			probe_unknown(r, "%s", msg);
		free(msg);
	} else
		probe_unknown(r,
		              "%llu %s to %s in %s (%s): none that this question's choices cover",
		              (unsigned long long)g->counted, g->k->what, g->svc, whose, rest);
	free(rest);
}

/* The pods read, and why the others could not be, as evidence. */
static void pods_evidence(struct probe_result *r, const struct gather *g)
{
	sl_copy(&r->evidence, &g->per_pod);
	if (g->read + g->skipped > g->per_pod.n)
		sl_take(&r->evidence,
		        xasprintf("%zu of %zu sidecar logs read%s%s", g->read, g->read + g->skipped,
		                  g->why ? "; the others: " : "", g->why ? g->why : ""));
}

/* decide_counts over the logs read, with the pods as evidence; unknown when none was read. */
static void decide(const struct probe_ctx *x, struct probe_result *r, const struct gather *g,
                   const char *whose, const char *none)
{
	if (!g->read) {
		probe_unknown(r, "no istio-proxy log could be read: %s",
		              g->why ? g->why : "no pod with a running sidecar");
		return;
	}
	decide_counts(x, r, g, whose, none);
	if (r->choice)
		pods_evidence(r, g);
	/* the pod whose log showed the answer is the one the question means */
	if (r->choice && g->top && !probe_in(x, "pod") && strcmp(g->top->ns, g->ns) == 0)
		sl_take(&r->named, xasprintf("pod=%s", g->top->name));
}

/*
 * decide, where the none answer says that no such line exists: it is given
 * only when every log read is known to record requests (logs_access), for
 * an empty log proves nothing while access logging may be off.
 */
static void decide_silence(const struct probe_ctx *x, struct probe_result *r,
                           const struct gather *g, const char *whose, const char *none)
{
	if (!g->read || g->counted || !g->quiet) {
		decide(x, r, g, whose, none);
		if (r->choice && none && strcmp(r->choice, none) == 0)
			sl_take(&r->evidence, xasprintf("access logging is on: %s", g->logs_on));
		return;
	}
	probe_unknown(r,
	              "no %s to %s in %s, but %zu of the %zu logs read may simply not record "
	              "requests: %s (see meshmedic help access-log)",
	              g->k->what, g->svc, whose, g->quiet, g->read, g->logs_off);
}

/* A parser for the cluster's access log format; false with the reason set. */
static bool parser(const struct probe_ctx *x, struct probe_result *r, struct al_parser *p)
{
	char *err = NULL;
	if (al_parser_for_cluster(p, x->cluster, NULL, &err))
		return true;
	probe_unknown(r, "%s", err);
	free(err);
	return false;
}

static void gather_free(struct gather *g)
{
	free(g->why);
	free(g->logs_on);
	free(g->logs_off);
	sl_free(&g->per_pod);
}

/* ---- what the probes count ---- */

/* A failing line's 503 flag choice: its al_next_rules entry, when that gives one. */
static int flag_class(const struct al_record *r)
{
	int rule = al_next_rule_of(r);
	return rule >= 0 && al_next_rules[rule].answer ? rule : -1;
}

static void flag_counting(struct counting *k)
{
	*k =
	    (struct counting){.what = "failing requests", .tag = "failing", .classify = flag_class};
	for (size_t i = 0; i < al_nnext_rules && i < MAX_CLASSES; i++, k->n++) {
		k->answer[i] = al_next_rules[i].answer;
		k->label[i] = al_next_rules[i].label;
	}
}

enum { V_HTTP10, V_HTTP11, V_NOPROTO };

/* A 426 by the request's protocol; Envoy's own refusal of HTTP/1.0 says low_version. */
static int class_426(const struct al_record *r)
{
	if (r->code != 426)
		return -1;
	struct al_span p = r->f[AL_PROTOCOL];
	if (al_span_is(p, "HTTP/1.0") || al_span_is(p, "HTTP/0.9"))
		return V_HTTP10;
	if (al_has(p))
		return V_HTTP11;
	return al_span_is(r->f[AL_DETAILS], "low_version") ? V_HTTP10 : V_NOPROTO;
}

static const struct counting count_426 = {
    .what = "426 responses",
    .tag = "with code 426",
    .classify = class_426,
    .ranked = true,
    .n = 3,
    .answer = {"http10", "http11", NULL},
    .label = {"HTTP/1.0 or HTTP/0.9", "HTTP/1.1 or HTTP/2", "no protocol in the log format"},
};

enum { H_SIZE, H_COUNT, H_UPSTREAM, H_ENVOY };

/* The response details of a 431, and the choice of who-431 each gives. */
static const struct {
	const char *needle;
	int cls;
} details_431[] = {
    {"headers_too_large", H_SIZE},
    {"too_many_headers", H_COUNT},
    {"via_upstream", H_UPSTREAM},
};

/*
 * A 431 by who answered it: Envoy's codec (headers too large, too many) or
 * the upstream. Envoy's refusals come first: a via_upstream 431 on one hop
 * is often the next proxy's refusal, which that proxy logs with details.
 */
static int class_431(const struct al_record *r)
{
	if (r->code != 431)
		return -1;
	struct al_span d = r->f[AL_DETAILS];
	for (size_t i = 0; i < MM_ARRAY_LEN(details_431) && al_has(d); i++)
		if (memmem(d.s, d.n, details_431[i].needle, strlen(details_431[i].needle)))
			return details_431[i].cls;
	/* no details in this format: an upstream host and no flag mean the upstream answered */
	return al_has(r->f[AL_UPSTREAM_HOST]) && !r->flags && !r->odd_flag ? H_UPSTREAM : H_ENVOY;
}

static const struct counting count_431 = {
    .what = "431 responses",
    .tag = "with code 431",
    .classify = class_431,
    .ranked = true,
    .n = 4,
    .answer = {"size", "count", "upstream", NULL},
    .label = {"http1.headers_too_large (Envoy: the headers exceed max_request_headers_kb)",
              "too_many_headers (Envoy: more header fields than allowed)",
              "via_upstream (the upstream answered 431)",
              "431 from Envoy without response details"},
};

/* ---- the 503 flag, from logs and Prometheus ---- */

/* The flag on the callers' side, from the logs: the given pod, else the sidecars of ns. */
static void log_flag_logs(const struct probe_ctx *x, struct probe_result *r,
                          const struct counting *k, const char *ns, const char *svc)
{
	const char *pod = probe_in(x, "pod");
	if (!probe_readable(x, r, "Pod", "Pods"))
		return;
	struct al_parser p;
	if (!parser(x, r, &p))
		return;
	struct gather g = {.svc = svc, .ns = ns, .k = k, .logging = true};
	struct plan pl = {0};
	const struct kobj *one = pod ? probe_object(x, r, "Pod", "pod") : NULL;
	if (one)
		plan_add(&pl, one, AS_CALLER);
	else if (!pod)
		plan_list(&pl, cluster_list(x->cluster, "Pod", ns)->v,
		          cluster_list(x->cluster, "Pod", ns)->n, AS_CALLER);
	gather_plan(&g, x->cluster, &p, &pl);
	char *whose =
	    one ? xasprintf("the log of %s", pod) : xasprintf("the logs of the sidecars in %s", ns);
	if (one && !pl.n)
		probe_unknown(r, "pod %s/%s has no running istio-proxy: it writes no access log",
		              ns, pod);
	else if (!pod || one)
		decide_silence(x, r, &g, whose, "nolog");
	free(whose);
	gather_free(&g);
	al_parser_free(&p);
}

/* Unknown for two reasons: the one r holds (the logs'), and more (Prometheus'). */
static void unknown_also(struct probe_result *r, const char *more)
{
	char *first = r->reason;
	r->reason = NULL;
	probe_unknown(r, "%s; %s", first, more);
	free(first);
}

/*
 * The flag from Prometheus, when the logs told nothing: the requests to the
 * service over PROM_WINDOW counted in the classes of the log lines. r holds
 * what the logs said (nolog, or unknown with the reason); it is kept, with
 * Prometheus' word added, unless Prometheus finds failing requests.
 */
static void prom_flag(const struct probe_ctx *x, struct probe_result *r, const struct counting *k,
                      const char *ns, const char *svc)
{
	struct prom_tally t;
	char *why = NULL;
	if (!prom_requests(x->cluster, ns, svc, &t, &why)) {
		if (r->choice)
			sl_add(&r->evidence, why);
		else
			unknown_also(r, why);
		free(why);
		return;
	}
	struct gather g = {.svc = svc, .ns = ns, .k = k, .unit = "requests to"};
	for (size_t i = 0; i < t.n; i++) {
		struct al_record rec;
		al_record_of(&rec, atoi(t.rows[i].code), t.rows[i].flags);
		int cls = k->classify(&rec);
		uint64_t n = (uint64_t)(t.rows[i].requests + 0.5);
		g.lines += n;
		if (cls >= 0 && n) {
			g.cls[cls] += n;
			g.counted += n;
		}
	}
	struct probe_result p = {0};
	if (!t.n)
		probe_unknown(
		    &p,
		    "Prometheus has no istio_requests_total to %s.%s over the last " PROM_WINDOW,
		    svc, ns);
	else
		decide_counts(x, &p, &g,
		              "Prometheus' istio_requests_total of the last " PROM_WINDOW,
		              r->choice ? r->choice : "nolog");
	/* the logs' own answer (nolog) stands unless Prometheus counts failing requests */
	if (p.choice && (!r->choice || strcmp(p.choice, r->choice) != 0)) {
		char *logs = r->choice ? xasprintf("the access logs: %s",
		                                   r->evidence.n ? r->evidence.v[0] : r->choice)
		                       : xasprintf("the access logs: %s", r->reason);
		probe_result_free(r);
		*r = p;
		sl_take(&r->evidence, logs);
	} else if (p.choice) {
		sl_copy(&r->evidence, &p.evidence);
		probe_result_free(&p);
	} else if (r->choice) {
		sl_add(&r->evidence, p.reason);
		probe_result_free(&p);
	} else {
		unknown_also(r, p.reason);
		probe_result_free(&p);
	}
	prom_tally_free(&t);
}

static void log_flag(const struct probe_ctx *x, struct probe_result *r)
{
	const char *ns = probe_in(x, "namespace"), *svc = probe_in(x, "service");
	ns = ns ? ns : "default";
	if (!svc) {
		probe_unknown(r, "no service given (--set service=NAME)");
		return;
	}
	struct counting k;
	flag_counting(&k);
	log_flag_logs(x, r, &k, ns, svc);
	if (cluster_prometheus(x->cluster) && (!r->choice || strcmp(r->choice, "nolog") == 0))
		prom_flag(x, r, &k, ns, svc);
}

/* The flag on the service's own sidecars (inbound), or no-sidecar. */
static void log_server_flag(const struct probe_ctx *x, struct probe_result *r)
{
	const struct kobj *svc = probe_object(x, r, "Service", "service");
	if (!svc)
		return;
	struct kobj_list pods = service_pods(x->cluster, svc);
	size_t running = 0, sidecars = 0;
	for (size_t i = 0; i < pods.n; i++)
		if (pod_running(pods.v[i])) {
			running++;
			sidecars += pod_has_sidecar(pods.v[i]);
		}
	struct al_parser p;
	if (running && !sidecars && probe_has_choice(x, "no-sidecar")) {
		probe_answer(r, "no-sidecar",
		             "none of the %zu running pods of %s/%s has an istio-proxy "
		             "container",
		             running, svc->ns, svc->name);
	} else if (!running) {
		probe_unknown(r, "no running pod behind Service %s/%s", svc->ns, svc->name);
	} else if (parser(x, r, &p)) {
		struct counting k;
		flag_counting(&k);
		struct gather g = {.svc = svc->name, .ns = svc->ns, .k = &k};
		struct plan pl = {0};
		plan_list(&pl, pods.v, pods.n, AS_SERVER);
		char *whose = xasprintf("the logs of %s's own sidecars", svc->name);
		gather_plan(&g, x->cluster, &p, &pl);
		decide(x, r, &g, whose, NULL);
		free(whose);
		gather_free(&g);
		al_parser_free(&p);
	}
	free(pods.v);
}

/* ---- 426 and 431: the whole path of the request ---- */

/* Pods of the ingress gateways: selected by a Gateway, or labelled istio=ingressgateway. */
static void plan_gateways(struct plan *pl, struct cluster *c)
{
	json_t *ingress = json_pack("{s:s}", "istio", "ingressgateway");
	struct kobj_list l = cluster_select(c, "Pod", NULL, ingress);
	plan_list(pl, l.v, l.n, AS_CALLER);
	free(l.v);
	json_decref(ingress);
	const struct kobj_list *gws = cluster_list(c, "Gateway", NULL);
	for (size_t i = 0; i < gws->n; i++) {
		json_t *sel = jpath(gws->v[i]->j, "spec.selector");
		/* an empty selector would match every pod */
		if (!json_object_size(sel))
			continue;
		l = cluster_select(c, "Pod", NULL, sel);
		plan_list(pl, l.v, l.n, AS_CALLER);
		free(l.v);
	}
}

/*
 * Read the logs on the path of requests to the service: {pod}'s (else every
 * sidecar's of the namespace), the service's own sidecars', and with
 * gateways the ingress gateways'. false with the reason set if the pods
 * cannot be read. *whose (new string) says whose logs these are.
 */
static bool gather_path(const struct probe_ctx *x, struct probe_result *r, struct gather *g,
                        bool gateways, char **whose)
{
	const char *ns = probe_in(x, "namespace"), *svc = probe_in(x, "service");
	const char *pod = probe_in(x, "pod");
	g->ns = ns = ns ? ns : "default";
	g->svc = svc;
	g->orphans = true;
	if (!svc) {
		probe_unknown(r, "no service given (--set service=NAME)");
		return false;
	}
	if (!probe_readable(x, r, "Pod", "Pods"))
		return false;
	const struct kobj *one = pod ? probe_object(x, r, "Pod", "pod") : NULL;
	if (pod && !one)
		return false;
	struct al_parser p;
	if (!parser(x, r, &p))
		return false;
	struct plan pl = {0};
	struct strlist parts = {0};
	if (one) {
		plan_add(&pl, one, AS_CALLER);
		sl_take(&parts, xstrdup(pod));
	}
	/* the service's own sidecars log what reaches them (a caller without a sidecar) */
	const struct kobj *s = cluster_get(x->cluster, "Service", ns, svc);
	if (s) {
		struct kobj_list pods = service_pods(x->cluster, s);
		plan_list(&pl, pods.v, pods.n, AS_SERVER);
		free(pods.v);
		sl_take(&parts, xasprintf("%s's own sidecars", svc));
	}
	size_t before = pl.n;
	if (gateways)
		plan_gateways(&pl, x->cluster);
	if (pl.n > before)
		sl_add(&parts, "the ingress gateways");
	if (!one) {
		plan_list(&pl, cluster_list(x->cluster, "Pod", ns)->v,
		          cluster_list(x->cluster, "Pod", ns)->n, AS_CALLER);
		sl_take(&parts, xasprintf("the sidecars in %s", ns));
	}
	gather_plan(g, x->cluster, &p, &pl);
	al_parser_free(&p);
	/* "the logs of web-1, of api's own sidecars and of the ingress gateways" */
	struct sbuf b;
	sb_init(&b);
	sb_add(&b, parts.n == 1 && one ? "the log" : "the logs");
	for (size_t i = 0; i < parts.n; i++)
		sb_printf(&b, "%s%s",
		          i == 0             ? " of "
		          : i + 1 == parts.n ? " and of "
		                             : ", of ",
		          parts.v[i]);
	sl_free(&parts);
	*whose = sb_steal(&b);
	return true;
}

/* The HTTP version of the requests that got 426; "unknown" when no 426 line is there. */
static void log_426_version(const struct probe_ctx *x, struct probe_result *r)
{
	struct gather g = {.k = &count_426, .logging = true};
	char *whose = NULL;
	if (gather_path(x, r, &g, false, &whose))
		decide(x, r, &g, whose, "unknown");
	/* "I cannot tell" stays true with logging off; the evidence says which case it is */
	if (r->choice && strcmp(r->choice, "unknown") == 0 && g.read)
		sl_take(&r->evidence, g.quiet ? xstrdup(g.logs_off)
		                              : xasprintf("access logging is on: %s", g.logs_on));
	free(whose);
	gather_free(&g);
}

/* Whether the path logs any 431; "no" only where every log read is known to record requests. */
static void log_431(const struct probe_ctx *x, struct probe_result *r)
{
	struct gather g = {.k = &count_431, .logging = true};
	char *whose = NULL;
	if (!gather_path(x, r, &g, true, &whose)) {
		gather_free(&g);
		return;
	}
	if (!g.read) {
		decide(x, r, &g, whose, NULL);
	} else if (g.counted) {
		probe_answer(r, "yes", "%llu 431 responses to %s in %s",
		             (unsigned long long)g.counted, g.svc, whose);
		pods_evidence(r, &g);
	} else if (!g.quiet) {
		probe_answer(r, "no", "%llu access log lines about %s in %s, none with code 431",
		             (unsigned long long)g.lines, g.svc, whose);
		sl_take(&r->evidence, xasprintf("access logging is on: %s", g.logs_on));
		pods_evidence(r, &g);
	} else {
		probe_unknown(r,
		              "no 431 line about %s in %s, but %s (see meshmedic help access-log)",
		              g.svc, whose, g.logs_off);
	}
	free(whose);
	gather_free(&g);
}

/* Who answered the 431s: Envoy (size, count) or the upstream. */
static void log_431_who(const struct probe_ctx *x, struct probe_result *r)
{
	struct gather g = {.k = &count_431};
	char *whose = NULL;
	if (gather_path(x, r, &g, true, &whose))
		decide(x, r, &g, whose, NULL);
	free(whose);
	gather_free(&g);
}

/* ---- denied requests: the response details of 403 and 401 ---- */

enum { R_DENY, R_NONE, R_EXT, R_JWT };

static bool span_has(struct al_span s, const char *needle)
{
	return al_has(s) && memmem(s.s, s.n, needle, strlen(needle));
}

/*
 * A refused request by who refused it, from its response details: a named
 * DENY policy (rbac_access_denied_matched_policy[ns.NS.NAME]), no ALLOW
 * rule ([none]), the external authorizer (ext_authz_*, flag UAEX), or the
 * JWT filter (401). A refused TCP connection has its details in the
 * connection termination field, which the parser does not read: the person
 * answers that choice.
 */
static int class_denied(const struct al_record *r)
{
	struct al_span d = r->f[AL_DETAILS];
	if (span_has(d, "rbac_access_denied"))
		return span_has(d, "[none]") ? R_NONE : R_DENY;
	if (span_has(d, "ext_authz") || (r->flags & (1u << AL_F_UAEX)))
		return R_EXT;
	if (span_has(d, "jwt_authn") || r->code == 401)
		return R_JWT;
	return -1;
}

static const struct counting count_denied = {
    .what = "refused requests",
    .tag = "refused by a policy or a token check",
    .classify = class_denied,
    .ranked = true,
    .n = 4,
    .answer = {"deny", "no-allow", "ext-authz", "jwt"},
    .label = {"rbac_access_denied_matched_policy[ns.NAMESPACE.POLICY] (a DENY policy matched)",
              "rbac_access_denied_matched_policy[none] (no ALLOW rule matched)",
              "ext_authz (the CUSTOM policy's authorizer)",
              "401 from the JWT filter"},
};

enum { J_FETCH, J_ISSUER, J_VERIFY, J_MISSING };

/* The JWT filter's reason for a 401, from its details (Envoy writes the spaces as underscores). */
static int class_jwt(const struct al_record *r)
{
	static const struct {
		const char *needle;
		int cls;
	} reasons[] = {
	    {"Jwks_remote_fetch", J_FETCH},         {"issuer_is_not_configured", J_ISSUER},
	    {"Audiences_in_Jwt", J_ISSUER},         {"verification_fail", J_VERIFY},
	    {"Jwt_is_missing", J_MISSING},
	};
	if (r->code != 401)
		return -1;
	for (size_t i = 0; i < MM_ARRAY_LEN(reasons); i++)
		if (span_has(r->f[AL_DETAILS], reasons[i].needle))
			return reasons[i].cls;
	return -1;
}

static const struct counting count_jwt = {
    .what = "401 responses",
    .tag = "with a JWT reason",
    .classify = class_jwt,
    .ranked = true,
    .n = 4,
    .answer = {"jwks-fetch", "issuer", "verification", "missing"},
    .label = {"Jwks remote fetch is failed", "Jwt issuer is not configured, or audiences not allowed",
              "Jwt verification fails", "Jwt is missing"},
};

/* Who refused the requests to the service, from the response details on their path. */
static void log_denied(const struct probe_ctx *x, struct probe_result *r)
{
	struct gather g = {.k = &count_denied, .logging = true};
	char *whose = NULL;
	if (gather_path(x, r, &g, true, &whose))
		decide_silence(x, r, &g, whose, "unknown");
	free(whose);
	gather_free(&g);
}

/* The JWT filter's reason for the 401s to the service. */
static void log_jwt(const struct probe_ctx *x, struct probe_result *r)
{
	struct gather g = {.k = &count_jwt};
	char *whose = NULL;
	if (gather_path(x, r, &g, true, &whose))
		decide(x, r, &g, whose, NULL);
	free(whose);
	gather_free(&g);
}

PROBE_SUMMARY(
    "log-flag", log_flag,
    "the response flag of the failing requests to the service, from the callers' access logs "
    "(or Prometheus)",
    "namespace", "service", "pod", NULL);
PROBE_SUMMARY(
    "log-server-flag", log_server_flag,
    "the response flag of the failing requests, from the service's own sidecars' access logs",
    "namespace", "service", NULL);
PROBE_SUMMARY("log-426-version", log_426_version,
              "the HTTP version of the requests answered 426, from the access logs on their path",
              "namespace", "service", "pod", NULL);
PROBE_SUMMARY("log-431", log_431,
              "whether the access logs on the request's path record 431 responses", "namespace",
              "service", "pod", NULL);
PROBE_SUMMARY(
    "log-431-who", log_431_who,
    "who answered 431 (Envoy's size or count limit, or the upstream), from the access logs",
    "namespace", "service", "pod", NULL);
PROBE_SUMMARY("log-denied", log_denied,
              "who refused the requests (a DENY policy, no ALLOW rule, ext_authz, the JWT filter), "
              "from the response details in the access logs on their path",
              "namespace", "service", "pod", NULL);
PROBE_SUMMARY("log-jwt", log_jwt, "the JWT filter's reason for the 401s, from the access logs",
              "namespace", "service", "pod", NULL);

const struct probe *const probes_logs[] = {
    &probe_log_flag, &probe_log_server_flag, &probe_log_426_version,
    &probe_log_431,  &probe_log_431_who,     &probe_log_denied, &probe_log_jwt, NULL,
};
