/* `run` (a batch walk) and `demo`: the walk driven without a person. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "datadir.h"
#include "cluster.h"
#include "transcript.h"

/* Split NAME=VALUE into a new NAME and a pointer to VALUE. */
static char *split_kv(const char *s, const char **value)
{
	const char *eq = strchr(s, '=');
	*value = eq + 1;
	return xstrndup(s, (size_t)(eq - s));
}

/* The command line as typed, for the "continue with" hint; words quoted when needed. */
static char *command_line(const struct ctx *c)
{
	struct sbuf b;
	sb_init(&b);
	sb_add(&b, "meshmedic");
	for (int i = 1; i < c->argc; i++)
		sb_add_shell_word(&b, c->argv[i]);
	return sb_steal(&b);
}

/* Walk flow_id with the options' inputs and answers; print the result; return the exit status. */
static int batch_walk(struct ctx *c, const char *flow_id, const char *answers_file)
{
	struct answers a = {0};
	struct kvlist file_inputs = {0};
	char *file_flow = NULL, *err = NULL;
	struct walk w;
	struct cluster *cluster = NULL;
	int rc = 2;
	bool walking = false;
	if (answers_file) {
		struct mm_errors errs = {0};
		if (!answers_load(answers_file, &a, &file_inputs, &file_flow, &errs)) {
			errs_print(&errs, stderr);
			errs_free(&errs);
			goto out;
		}
	}
	if (flow_id && file_flow && strcmp(flow_id, file_flow) != 0) {
		rc = usage_error("%s is a walk of flow '%s', not '%s'", answers_file, file_flow, flow_id);
		goto out;
	}
	if (!flow_id)
		flow_id = file_flow;
	if (!flow_id) {
		rc = usage_error("run needs a FLOW (see meshmedic list)");
		goto out;
	}
	const struct mm_flow *f = kb_flow(c->kb, flow_id);
	if (!f) {
		rc = usage_error("no flow '%s' (see meshmedic list)", flow_id);
		goto out;
	}
	walk_init(&w, c->kb, f);
	walking = true;
	for (size_t i = 0; i < file_inputs.n; i++)
		if (!walk_set_input(&w, file_inputs.v[i].key, file_inputs.v[i].value, &err)) {
			rc = usage_error("%s: %s", answers_file, err);
			goto out;
		}
	/* -n is the namespace input, unless --set says otherwise */
	if (c->o.ns && flow_input(f, "namespace") && !walk_set_input(&w, "namespace", c->o.ns, &err)) {
		rc = usage_error("-n: %s", err);
		goto out;
	}
	for (size_t i = 0; i < c->o.sets.n; i++) {
		const char *value;
		char *name = split_kv(c->o.sets.v[i], &value);
		bool ok = walk_set_input(&w, name, value, &err);
		free(name);
		if (!ok) {
			rc = usage_error("--set: %s", err);
			goto out;
		}
	}
	for (size_t i = 0; i < c->o.answer.n; i++) {
		const char *value;
		char *name = split_kv(c->o.answer.v[i], &value);
		kv_set(&a.user, name, value);
		free(name);
	}
	if (!answers_check(&a.user, c->kb, &err)) {
		rc = usage_error("--answer: %s", err);
		goto out;
	}
	if (!answers_check(&a.file, c->kb, &err)) {
		rc = usage_error("%s: %s", answers_file, err);
		goto out;
	}
	/* required inputs must be known before the walk can mean anything */
	for (size_t i = 0; i < f->ninputs; i++)
		if (f->inputs[i].required && !walk_input(&w, f->inputs[i].name)) {
			rc = usage_error("flow '%s' needs --set %s=VALUE (%s)", f->id, f->inputs[i].name,
					 f->inputs[i].prompt);
			goto out;
		}
	bool failed;
	cluster = open_cluster_opt(c, &failed);
	if (failed)
		goto out;
	walk_auto(&w, &a, cluster);
	char *cmdline = command_line(c);
	report_walk(&c->out, &w, cmdline);
	free(cmdline);
	rc = walk_done(&w) ? 0 : 1;
out:
	if (walking)
		walk_free(&w);
	cluster_free(cluster);
	free(err);
	free(file_flow);
	kv_free(&file_inputs);
	answers_free(&a);
	return rc;
}

int cmd_run(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("run takes one FLOW, not '%s' as well", argv[2]);
	return batch_walk(c, argc > 1 ? argv[1] : NULL, c->o.answers_file);
}

int cmd_demo(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("demo takes no arguments, not '%s'", argv[1]);
	char *path, *snap;
	demo_paths(&path, &snap);
	/* the probes answer from the bundled snapshot; the incident gives what only logs show */
	if (!c->o.snapshot)
		c->o.snapshot = snap;
	int rc = batch_walk(c, NULL, path);
	if (c->o.snapshot == snap)
		c->o.snapshot = NULL;
	free(path);
	free(snap);
	/* the demo is a showcase: an undetermined end is not a failure of the command */
	return rc == 2 ? 2 : 0;
}
