/*
 * Evidence first (walk/infer.c) on the shipped flows and the check fixtures:
 * which diagnoses a choice reaches, and what the 503 flag question takes
 * when no log can be read.
 */
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/snapshot.h"
#include "kb/kb.h"
#include "tap.h"
#include "walk/infer.h"
#include "walk/walk.h"

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

static struct cluster *fixture(const char *name)
{
	struct mm_errors errs = {0};
	char *path = xasprintf("%s/tests/data/snapshots/%s", top_srcdir(), name);
	struct cluster *c = snapshot_open(path, &errs);
	if (errs.n)
		errs_print(&errs, stdout);
	errs_free(&errs);
	free(path);
	return c;
}

static size_t choice_of(const struct mm_node *n, const char *id)
{
	for (size_t i = 0; i < n->nchoices; i++)
		if (strcmp(n->choices[i].id, id) == 0)
			return i;
	return n->nchoices;
}

/* The flag node's probe could not tell: what does inference make of scope s? */
static struct probe_result infer_flag(const struct mm_node *flag, struct cluster *c,
				      const char *service)
{
	struct probe_result r = {0};
	r.reason = xstrdup("no log");
	struct lead_scope s = {"shop", service, NULL, NULL};
	struct leads l;
	node_leads(flag, &s, c, &l);
	node_infer(flag, &l, &r);
	leads_free(&l);
	return r;
}

int main(void)
{
	struct mm_kb *kb = shipped();
	const struct mm_flow *f = kb_flow(kb, "503");
	const struct mm_node *flag = f ? flow_node(f, "flag") : NULL;
	if (!ok(flag != NULL, "the 503 flow and its flag question load"))
		return done_testing();
	/* Istio's response flags: UF is a connection failure, which a TLS clash causes */
	ok(node_reaches(flag, choice_of(flag, "UF"), "dr-tls-conflict"),
	   "UF leads to dr-tls-conflict");
	ok(!node_reaches(flag, choice_of(flag, "UO"), "dr-tls-conflict"),
	   "UO (overflow) does not lead to dr-tls-conflict");
	ok(node_reaches(flag, choice_of(flag, "NR"), "subset-undefined"),
	   "NR leads to subset-undefined");
	ok(flag->choices[choice_of(flag, "nolog")].no_inference != NULL,
	   "'no 503 line at all' is never inferred, and the flow says why");

	struct cluster *c = fixture("dr-tls-conflict");
	if (!ok(c != NULL, "the dr-tls-conflict fixture loads"))
		return done_testing();
	struct probe_result r = infer_flag(flag, c, "cart");
	is_str(r.choice, "UF", "the TLS clash of cart answers the flag question with UF");
	ok(r.inferred, "the answer is marked inferred");
	ok(r.evidence.n >= 2 && strstr(r.evidence.v[0], "no log") &&
		   strstr(r.evidence.v[1], "DestinationRule/shop/cart"),
	   "its evidence says why the probe could not tell, then the finding");
	probe_result_free(&r);

	r = infer_flag(flag, c, "catalog");
	ok(r.choice == NULL && !r.inferred, "a cause of cart does not answer for catalog");
	probe_result_free(&r);

	struct leads l;
	struct lead_scope s = {"shop", NULL, NULL, NULL};
	node_leads(flag, &s, c, &l);
	ok(l.looked && l.n == 1 && strcmp(l.v[0].diagnosis, "dr-tls-conflict") == 0,
	   "the namespace shows one lead below the flag question");
	/* a convention or latent risk (rated info) is a hint, never the answer */
	l.v[0].info = true;
	r = (struct probe_result){0};
	node_infer(flag, &l, &r);
	ok(r.choice == NULL && !r.inferred && r.evidence.n == 1 &&
	       strncmp(r.evidence.v[0], "hint (under ", 12) == 0,
	   "a lead rated info is shown as a hint and answers nothing");
	probe_result_free(&r);
	leads_free(&l);
	cluster_free(c);

	/* a node that says no_inference is never inferred */
	struct mm_node copy = *flag;
	copy.no_inference = (char *)"test";
	c = fixture("dr-tls-conflict");
	r = infer_flag(&copy, c, "cart");
	ok(r.choice == NULL, "no_inference on the node keeps the question for the person");
	probe_result_free(&r);
	cluster_free(c);
	kb_free(kb);
	return done_testing();
}
