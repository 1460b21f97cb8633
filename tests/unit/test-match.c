/*
 * The symptom matcher (kb_flow_score, kb_flows_ranked) on the shipped flows:
 * whole words and phrases, flags and codes as tokens, synonyms, ranking.
 * And the line in hand (al_handover_of): what a pasted access log line or
 * Envoy error body names.
 */
#include <string.h>

#include "kb/kb.h"
#include "logs/accesslog.h"
#include "probes/probe.h"
#include "tap.h"

static struct mm_kb *shipped(void)
{
	struct mm_errors errs = {0};
	struct mm_kb *kb = kb_new();
	kb_load_root(kb, top_srcdir(), &errs);
	kb_check(kb, &probe_catalog, &errs);
	if (errs.n)
		errs_print(&errs, stdout);
	errs_free(&errs);
	return kb;
}

/* The id of the best flow for filter ("" for none), and how many match. */
static const char *best(const struct mm_kb *kb, const char *filter, size_t *n)
{
	static const struct mm_flow *v[64];
	*n = kb_flows_ranked(kb, filter, v, NULL);
	return *n ? v[0]->id : "";
}

static bool matches(const struct mm_kb *kb, const char *flow, const char *filter)
{
	return kb_flow_matches(kb_flow(kb, flow), filter, NULL);
}

int main(void)
{
	struct mm_kb *kb = shipped();
	size_t n;

	/* flags are whole tokens, never letters inside a longer word */
	ok(!matches(kb, "404", "UT"), "UT is not found inside route_not_found");
	ok(!matches(kb, "injection", "DC"), "DC is not found inside FailedCreate");
	ok(!matches(kb, "injection", "ut") && !matches(kb, "404", "dc"), "nor in lower case");
	is_str(best(kb, "UO", &n), "503", "UO finds 503");
	ok(n == 1, "and only 503 (%zu flows)", n);
	is_str(best(kb, "uo", &n), "503", "case does not matter");
	is_str(best(kb, "NR", &n), "404", "NR: 404 first (NR and 404 NR)");
	ok(n == 2 && matches(kb, "503", "NR"), "NR: 503 too");
	is_str(best(kb, "404", &n), "404", "a code finds its flow first");
	ok(!matches(kb, "503", "50"), "a code is not the start of another");

	/* synonyms: what an engineer says for the symptom */
	static const char *const sidecar[] = {"pods have no sidecar", "no sidecar",
	                                      "missing sidecar", "istio-proxy missing",
	                                      "the pod has no sidecar", "Istio-Proxy Missing"};
	for (size_t i = 0; i < MM_ARRAY_LEN(sidecar); i++)
		is_str(best(kb, sidecar[i], &n), "injection", "'%s' finds injection first",
		       sidecar[i]);

	/* a pasted error message: its phrase wins over single common words */
	is_str(best(kb, "upstream connect error or disconnect/reset before headers. reset reason: "
	                "overflow",
	            &n),
	       "503", "an upstream connect error body finds 503 first");
	is_str(best(kb, "no healthy upstream", &n), "503", "no healthy upstream finds 503");
	is_str(best(kb, "HTTP/1.1 426 Upgrade Required", &n), "426", "a status line finds 426");
	is_str(best(kb, "Init:CrashLoopBackOff", &n), "crash", "Init:CrashLoopBackOff finds crash");
	ok(matches(kb, "injection", "Init:CrashLoopBackOff"), "and injection too");

	/* typing: the start of a word, a part of a joined token */
	ok(matches(kb, "503", "upstream conn"), "the last word may be typed on");
	ok(!matches(kb, "503", "upstream conn "), "not once a space follows it");
	ok(matches(kb, "injection", "inject"), "a word inside sidecar.istio.io/inject");
	ok(matches(kb, "crash", "crashloop"), "the start of CrashLoopBackOff");
	ok(!matches(kb, "injection", "1"), "1 is not part of 1/1");
	is_str(best(kb, "inj", &n), "injection", "the start of a flow id");

	/* hits name the symptoms and synonyms that matched */
	struct strlist hits = {0};
	kb_flow_score(kb_flow(kb, "injection"), "no sidecar", &hits);
	ok(hits.n && strcmp(hits.v[0], "no sidecar") == 0, "hits: the synonym that matched");
	sl_free(&hits);

	/* an empty filter matches every flow */
	ok(kb_flows_ranked(kb, "", (const struct mm_flow *[64]){0}, NULL) == kb->nflows,
	   "an empty filter lists every flow");
	ok(kb_flows_ranked(kb, "zzzz qqqq", (const struct mm_flow *[64]){0}, NULL) == 0,
	   "nonsense matches nothing");
	kb_free(kb);

	struct al_parser p;
	char *err = NULL;
	ok(al_parser_init(&p, NULL, false, &err), "the default parser");
	struct al_handover h;
	ok(al_handover_of(&p,
	                  "[2026-11-20T09:00:01.000Z] \"GET /x HTTP/1.1\" 404 NR route_not_found - "
	                  "\"-\" 0 0 0 - \"-\" \"curl/8.5.0\" \"r\" \"shop.example.com:80\" \"-\" - - "
	                  "10.0.0.1:80 10.0.0.2:4000 - -",
	                  &h) &&
	       h.log_line,
	   "a 404 NR line is an access log line");
	is_str(h.flow, "404", "404 NR route_not_found leads to the 404 flow");
	is_str(h.host, "shop.example.com", "its host is the authority without the port");
	ok(!h.service, "no service: the authority is an external host");
	is_str(h.answer, "NR", "the flag stays NR (the 404 flow has no flag question to take it)");
	al_handover_free(&h);
	ok(al_handover_of(&p,
	                  "[2026-11-20T09:00:01.000Z] \"GET /x HTTP/1.1\" 503 NR - - \"-\" 0 0 0 - "
	                  "\"-\" \"curl/8.5.0\" \"r\" \"reviews:9080\" \"-\" - - 10.0.0.1:80 "
	                  "10.0.0.2:4000 - -",
	                  &h),
	   "a 503 NR line");
	is_str(h.flow, "503", "503 NR without route_not_found stays in 503");
	is_str(h.answer, "NR", "and answers NR");
	is_str(h.service, "reviews", "the service from the authority");
	ok(!h.ns, "the namespace is not in the line");
	al_handover_free(&h);
	ok(al_handover_of(&p, "no healthy upstream", &h) && !h.log_line, "an error body");
	is_str(h.flow, "503", "no healthy upstream: 503");
	is_str(h.answer, "UH", "flag UH");
	al_handover_free(&h);
	ok(al_handover_of(&p, "upstream connect error or disconnect/reset before headers", &h),
	   "upstream connect error without a reason");
	ok(h.flow && !strcmp(h.flow, "503") && !h.answer, "503, and no flag taken for it");
	al_handover_free(&h);
	ok(al_handover_of(&p, "RBAC: access denied", &h) && !h.flow && h.no_flow && h.code == 403,
	   "RBAC: access denied is a 403 no flow covers");
	al_handover_free(&h);
	ok(!al_handover_of(&p, "hello world", &h), "other text is no line in hand");
	al_parser_free(&p);

	char *m = al_details_meaning((struct al_span){"rbac_access_denied_matched_policy[none]", 39});
	ok(m && strstr(m, "no rule of any of them matched"), "[none]: no ALLOW policy matched");
	free(m);
	const char *deny = "rbac_access_denied_matched_policy[ns[shop]-policy[deny-get]-rule[1]]";
	m = al_details_meaning((struct al_span){deny, strlen(deny)});
	ok(m && strstr(m, "DENY AuthorizationPolicy shop/deny-get") && strstr(m, "rule 1"),
	   "a named rule: that DENY policy");
	free(m);
	ok(!al_details_meaning((struct al_span){"route_not_found", 15}), "other details: NULL");
	return done_testing();
}
