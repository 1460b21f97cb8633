/* `run` (a batch walk) and `demo`: the walk driven without a person. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "session/sources.h"
#include "base/datadir.h"
#include "cluster/cluster.h"
#include "session/fromlog.h"
#include "session/session.h"
#include "walk/derive.h"

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
	struct prepared p = {0};
	struct walk w;
	struct cluster *cluster = NULL;
	char *err = NULL;
	const struct mm_input *missing;
	bool walking = false;
	struct from_log fl = {0};
	int rc = -1;
	/* a line in hand names the flow when none is given, and fills what it shows */
	if (c->o.from_log) {
		if (!from_log_read(&c->o, c->kb, c->o.from_log, &fl, &err)) {
			rc = usage_error("--from-log: %s", err ? err
			                 : "neither an access log line (Istio's formats or "
			                   "--log-format) nor an error body Envoy sends");
			goto out;
		}
		if (!flow_id && !fl.flow) {
			rc = usage_error("--from-log: %s (meshmedic logs --explain LINE reads it)",
			                 fl.h.no_flow ? fl.h.no_flow : "no flow covers this line yet");
			goto out;
		}
		if (!flow_id)
			flow_id = fl.flow->id;
	}
	rc = prepare(c, flow_id, answers_file, &p);
	if (rc >= 0)
		goto out;
	rc = 2;
	if (p.flow && c->o.from_log)
		from_log_prepare(&fl, p.flow, &p.file_inputs, &p.answers);
	if (!p.flow) {
		rc = usage_error("run needs a FLOW (see meshmedic list)");
		goto out;
	}
	walk_init(&w, c->kb, p.flow);
	walking = true;
	if (!walk_preset(&c->o, &p.file_inputs, answers_file, &w, &err)) {
		rc = usage_error("%s", err);
		goto out;
	}
	walk_derive_replay(&w, &p.answers);
	bool failed = false, opened = false;
	char *why = NULL;
	/* a required input the cluster can name is derived before it is asked for */
	if (!walk_inputs_complete(&w, &missing) && missing->derive) {
		cluster = open_cluster_opt(c, &failed);
		opened = true;
		if (failed)
			goto out;
		walk_derive_required(&w, cluster);
		if (!walk_inputs_complete(&w, &missing) && missing->derive)
			walk_derive(&w, cluster, missing->name, &why);
	}
	/* required inputs must be known before the walk can mean anything */
	if (!walk_inputs_complete(&w, &missing)) {
		rc = usage_error("flow '%s' needs --set %s=VALUE (%s)%s%s", p.flow->id,
		                 missing->name, missing->prompt, why ? "; not derived: " : "",
		                 why ? why : "");
		free(why);
		goto out;
	}
	free(why);
	if (!opened)
		cluster = open_cluster_opt(c, &failed);
	if (failed)
		goto out;
	/* the pod the line's caller address belongs to, when the flow asks for one */
	const char *caller = c->o.from_log && flow_input(p.flow, "pod") && !kv_get(&w.inputs, "pod")
	                         ? from_log_caller(&fl, cluster, walk_input(&w, "namespace"))
	                         : NULL;
	if (caller && !walk_set_input(&w, "pod", caller, &err)) {
		free(err);
		err = NULL;
	}
	walk_auto_derive(&w, &p.answers, cluster);
	/* a walk the cluster's refusal diagnosed (kube-permission-denied) is an answer; else exit 2 */
	if (!walk_done(&w) && cluster_unreadable(cluster)) {
		rc = 2;
		goto out;
	}
	char *cmdline = command_line(c);
	report_walk_on(&c->out, &w, cmdline, cluster);
	free(cmdline);
	rc = walk_done(&w) ? 0 : 1;
out:
	if (walking)
		walk_free(&w);
	cluster_free(cluster);
	free(err);
	prepared_free(&p);
	from_log_free(&fl);
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
