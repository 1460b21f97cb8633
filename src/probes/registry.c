/*
 * The table of every probe, in families: each family file (generic.c first)
 * exports one NULL-terminated array. Only this file knows them all; it also
 * tells the kb's checks which probes exist (probe_catalog).
 */
#include <string.h>

#include "probes/derive.h"
#include "probes/probe.h"

/* Each family file exports one NULL-terminated array of its probes. */
extern const struct probe *const probes_generic[],
    *const probes_mesh[], *const probes_gateway[], *const probes_routing[],
                                                       *const probes_workload[],
                                                           *const probes_protocol[],
                                                               *const probes_logs[],
                                                                   *const probes_envoy[], *const probes_authz[];

static const struct probe *const *const families[] = {
    probes_generic,  probes_mesh,     probes_gateway, probes_routing,
    probes_workload, probes_protocol, probes_logs,    probes_envoy,
    probes_authz,
};

#define MAX_PROBES 256

const struct probe *const *probe_all(void)
{
	static const struct probe *all[MAX_PROBES + 1];
	if (all[0])
		return all;
	size_t n = 0;
	for (size_t f = 0; f < MM_ARRAY_LEN(families); f++)
		for (const struct probe *const *p = families[f]; *p; p++)
			if (n < MAX_PROBES)
				all[n++] = *p;
	all[n] = NULL;
	return all;
}

const struct probe *probe_find(const char *name)
{
	for (const struct probe *const *p = probe_all(); *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

/* kb_check's view of the probes: a probe's inputs, and the generic probes' choice rules. */
static bool catalog_find(const char *name, const char *const **inputs)
{
	const struct probe *p = probe_find(name);
	if (p)
		*inputs = p->inputs;
	return p != NULL;
}

static const struct {
	const char *probe;
	bool (*valid)(const char *id);
	const char *must;
} generic_choices[] = {
    {"istio-version", probe_version_choice_valid, "lt-VERSION, ge-VERSION or any"},
    {"findings", probe_findings_choice_valid, "a diagnosis id with a detector, or none"},
};

static bool catalog_choice_ok(const char *probe, const char *id, const char **must)
{
	for (size_t g = 0; g < MM_ARRAY_LEN(generic_choices); g++)
		if (strcmp(probe, generic_choices[g].probe) == 0 && !generic_choices[g].valid(id)) {
			*must = generic_choices[g].must;
			return false;
		}
	return true;
}

/* kb_check's view of the derivation rules (probes/derive.c) of flow inputs. */
static bool catalog_derive(const char *name, const char *const **inputs, enum mm_input_type *type)
{
	const struct derive_rule *d = derive_find(name);
	if (d) {
		*inputs = d->inputs;
		*type = d->type;
	}
	return d != NULL;
}

const struct kb_probes probe_catalog = {catalog_find, MM_ARRAY_LEN(((struct probe *)0)->inputs),
                                        catalog_choice_ok, catalog_derive};
