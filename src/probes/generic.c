/*
 * The generic probes, whose node's choice ids carry the meaning: the Istio
 * version against lt-X/ge-X choices, and the first diagnosis whose detector
 * finds something. Lint checks the ids (probe_catalog in registry.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "detect/detect.h"
#include "probes/probe.h"

/* A version like "1.9.2": digits separated by single dots. */
static bool version_like(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p == '.' && p != s && p[1] && p[1] != '.')))
			return false;
	return true;
}

bool probe_version_choice_valid(const char *id)
{
	if (strcmp(id, "any") == 0)
		return true;
	return (strncmp(id, "lt-", 3) == 0 || strncmp(id, "ge-", 3) == 0) && version_like(id + 3);
}

static void istio_version(const struct probe_ctx *x, struct probe_result *r)
{
	const char *v = cluster_istio_version(x->cluster);
	if (!v) {
		probe_unknown(r, "the Istio version is unknown: %s",
		              cluster_istio_version_note(x->cluster));
		return;
	}
	for (size_t i = 0; i < x->nchoices; i++) {
		const char *id = x->choices[i];
		bool take = strcmp(id, "any") == 0 ||
		            (strncmp(id, "lt-", 3) == 0 && version_cmp(v, id + 3) < 0) ||
		            (strncmp(id, "ge-", 3) == 0 && version_cmp(v, id + 3) >= 0);
		if (take) {
			probe_answer(r, id, "Istio %s, %s", v, cluster_istio_version_note(x->cluster));
			return;
		}
	}
	probe_unknown(r, "Istio %s matches none of this question's version ranges", v);
}

static const struct probe probe_istio_version = {
    "istio-version",
    {NULL},
    "the Istio version against the node's lt-X/ge-X choices",
    istio_version};

/*
 * The generic "findings" probe: each choice id that names a diagnosis with a
 * detector is tried in order over the inputs' scope (namespace, service,
 * pod); the first that finds something is taken, else "none" when every
 * check could run. Lint checks the ids.
 */
static void findings_probe(const struct probe_ctx *x, struct probe_result *r)
{
	struct scope s = {probe_in(x, "namespace"), probe_in(x, "service"), probe_in(x, "pod")};
	const char *skipped = NULL;
	struct findings f = {0};
	for (size_t i = 0; i < x->nchoices && !r->choice; i++) {
		if (!detector_for(x->choices[i]))
			continue;
		detect_run(x->cluster, &s, x->choices[i], &f);
		if (f.n) {
			r->choice = xstrdup(x->choices[i]);
			for (size_t k = 0; k < f.n; k++)
				sl_copy(&r->evidence, &f.v[k].evidence);
		} else if (f.nskipped && !skipped) {
			skipped = xstrdup(f.skipped[0].reason);
		}
		findings_free(&f);
		memset(&f, 0, sizeof f);
	}
	if (!r->choice && skipped)
		probe_unknown(r, "%s", skipped);
	else if (!r->choice && probe_has_choice(x, "none"))
		probe_answer(r, "none", "no check found any of these causes%s%s",
		             s.ns ? " in namespace " : "", s.ns ? s.ns : "");
	else if (!r->choice)
		probe_unknown(r, "no check found any of these causes");
	free((char *)skipped);
}

bool probe_findings_choice_valid(const char *id)
{
	return strcmp(id, "none") == 0 || detector_for(id) != NULL;
}

static const struct probe probe_findings = {
    "findings",
    {NULL},
    "the first choice (a diagnosis id) whose detector finds something",
    findings_probe};

const struct probe *const probes_generic[] = {&probe_istio_version, &probe_findings, NULL};
