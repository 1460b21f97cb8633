/*
 * Probes that read Envoy's access logs: which response flag the failing
 * requests to a service carry, as the callers' sidecars log them (outbound)
 * and as the service's own sidecars log them (inbound). The logs come from
 * the cluster model (a snapshot's logs/, or kubectl logs when live): at most
 * LOG_PODS pods, the last LOG_LINES lines of each, in the format meshConfig
 * sets. A failing line counts under the 503 flow's choice that
 * al_next_rules gives it (UO, NR, NC, UF, UH, UAEX, reset, none).
 */
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "cluster.h"
#include "mesh.h"
#include "probe.h"

#define LOG_PODS 20
#define LOG_LINES 2000
/* Pods named one by one in the evidence. */
#define EVIDENCE_PODS 5

/* The lines of one side about one service, counted over several pods. */
struct gather {
	const char *svc, *ns;
	enum al_side side;
	uint64_t lines, failing, rule[16];
	uint64_t pod_lines, pod_failing; /* of the pod being read */
	size_t read, skipped;            /* pods whose log was read, or could not be */
	char *why;                       /* why the first unreadable one was */
	struct strlist per_pod;
};

static void on_line(void *ctx, const struct al_record *r)
{
	struct gather *g = ctx;
	enum al_side side = al_cluster_parse(r->f[AL_UPSTREAM_CLUSTER]).side;
	/* a caller's line without a cluster (NR) still names the service in its authority */
	if (g->side == AL_SIDE_INBOUND ? side != AL_SIDE_INBOUND
	                               : side == AL_SIDE_INBOUND || !al_targets(r, g->svc, g->ns))
		return;
	g->pod_lines++;
	int rule = al_next_rule_of(r);
	if (rule < 0 || !al_next_rules[rule].answer)
		return;
	g->pod_failing++;
	g->rule[rule]++;
}

/* Read one pod's istio-proxy log into g. */
static void gather_pod(struct gather *g, struct cluster *c, struct al_parser *p,
                       const struct kobj *pod)
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
	g->pod_lines = g->pod_failing = 0;
	al_each(p, text, LOG_LINES, on_line, g);
	free(text);
	g->lines += g->pod_lines;
	g->failing += g->pod_failing;
	/* the pods that logged something about the service speak for themselves */
	if (g->pod_lines && g->per_pod.n < EVIDENCE_PODS)
		sl_take(&g->per_pod, xasprintf("%s/%s: %llu %s lines about %s, %llu failing",
		                               pod->ns, pod->name, (unsigned long long)g->pod_lines,
		                               g->side == AL_SIDE_INBOUND ? "inbound" : "outbound",
		                               g->svc, (unsigned long long)g->pod_failing));
}

/* Read the pods of a list that have a sidecar, LOG_PODS at most. */
static void gather_pods(struct gather *g, struct cluster *c, struct al_parser *p,
                        const struct kobj *const *pods, size_t n)
{
	size_t used = 0;
	for (size_t i = 0; i < n && used < LOG_PODS; i++)
		if (pod_has_sidecar(pods[i]) && pod_running(pods[i])) {
			gather_pod(g, c, p, pods[i]);
			used++;
		}
}

/* "3 UF, 1 reset" for the rules other than best (new string). */
static char *others(const struct gather *g, int best)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < al_nnext_rules; i++)
		if ((int)i != best && g->rule[i])
			sb_printf(&b, "%s%llu %s", b.len ? ", " : "",
			          (unsigned long long)g->rule[i], al_next_rules[i].answer);
	return sb_steal(&b);
}

/* Pick the node's choice that most failing lines carry; nolog when there are none. */
static void decide(const struct probe_ctx *x, struct probe_result *r, const struct gather *g,
                   const char *whose)
{
	if (!g->read) {
		probe_unknown(r, "no istio-proxy log could be read: %s",
		              g->why ? g->why : "no pod with a sidecar");
		return;
	}
	int best = -1;
	for (size_t i = 0; i < al_nnext_rules; i++)
		if (g->rule[i] && probe_has_choice(x, al_next_rules[i].answer) &&
		    (best < 0 || g->rule[i] > g->rule[best]))
			best = (int)i;
	if (best >= 0) {
		char *rest = others(g, best);
		probe_answer(r, al_next_rules[best].answer,
		             "%s on %llu of %llu failing requests to %s in %s%s%s%s",
		             al_next_rules[best].label, (unsigned long long)g->rule[best],
		             (unsigned long long)g->failing, g->svc, whose, *rest ? " (also " : "",
		             rest, *rest ? ")" : "");
		free(rest);
	} else if (!g->failing && probe_has_choice(x, "nolog")) {
		probe_answer(r, "nolog", "%llu access log lines about %s in %s, none failing",
		             (unsigned long long)g->lines, g->svc, whose);
	} else {
		probe_unknown(r,
		              "%llu lines about %s in %s, %llu failing, none with a flag this "
		              "question offers",
		              (unsigned long long)g->lines, g->svc, whose,
		              (unsigned long long)g->failing);
		return;
	}
	sl_copy(&r->evidence, &g->per_pod);
	if (g->read + g->skipped > g->per_pod.n)
		sl_take(&r->evidence,
		        xasprintf("%zu of %zu sidecar logs read%s%s", g->read, g->read + g->skipped,
		                  g->why ? "; the others: " : "", g->why ? g->why : ""));
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
	sl_free(&g->per_pod);
}

/* The flag on the callers' side: the given pod, else the sidecars of the namespace. */
static void log_flag(const struct probe_ctx *x, struct probe_result *r)
{
	const char *ns = probe_in(x, "namespace"), *svc = probe_in(x, "service");
	const char *pod = probe_in(x, "pod");
	ns = ns ? ns : "default";
	if (!svc) {
		probe_unknown(r, "no service given (--set service=NAME)");
		return;
	}
	if (!probe_readable(x, r, "Pod", "Pods"))
		return;
	struct al_parser p;
	if (!parser(x, r, &p))
		return;
	struct gather g = {svc, ns, AL_SIDE_OUTBOUND, 0, 0, {0}, 0, 0, 0, 0, NULL, {0}};
	const struct kobj *one = pod ? probe_object(x, r, "Pod", "pod") : NULL;
	if (one)
		gather_pods(&g, x->cluster, &p, &one, 1);
	else if (!pod)
		gather_pods(&g, x->cluster, &p, cluster_list(x->cluster, "Pod", ns)->v,
		            cluster_list(x->cluster, "Pod", ns)->n);
	char *whose =
	    one ? xasprintf("the log of %s", pod) : xasprintf("the logs of the sidecars in %s", ns);
	if (one && !g.read && !g.skipped)
		probe_unknown(r, "pod %s/%s has no running istio-proxy: it writes no access log",
		              ns, pod);
	else if (!pod || one)
		decide(x, r, &g, whose);
	free(whose);
	gather_free(&g);
	al_parser_free(&p);
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
		struct gather g = {svc->name, svc->ns, AL_SIDE_INBOUND, 0, 0, {0}, 0, 0, 0, 0,
		                   NULL,      {0}};
		char *whose = xasprintf("the logs of %s's own sidecars", svc->name);
		gather_pods(&g, x->cluster, &p, pods.v, pods.n);
		decide(x, r, &g, whose);
		free(whose);
		gather_free(&g);
		al_parser_free(&p);
	}
	free(pods.v);
}

static const struct probe probe_log_flag = {
    "log-flag",
    {"namespace", "service", "pod", NULL},
    "the response flag of the failing requests to the service, from the callers' access logs",
    log_flag};
static const struct probe probe_log_server_flag = {
    "log-server-flag",
    {"namespace", "service", NULL},
    "the response flag of the failing requests, from the service's own sidecars' access logs",
    log_server_flag};

const struct probe *const probes_logs[] = {
    &probe_log_flag,
    &probe_log_server_flag,
    NULL,
};
