/*
 * `tui` (also `meshmedic` alone on a terminal) and `demo` on a terminal:
 * the options checked and the cluster opened as batch mode does, then the
 * full-screen session (tui/tui.c). `tui --resume` takes the cluster source and
 * the answers from the autosaved session unless the command line names them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "session/sources.h"
#include "cluster/cluster.h"
#include "base/datadir.h"
#include "session/session.h"
#include "walk/transcript.h"
#include "tui/tui.h"

static bool on_terminal(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static void set_path(json_t *o, const char *key, const char *path)
{
	char *abs = realpath(path, NULL);
	json_object_set_new(o, key, json_string(abs ? abs : path));
	free(abs);
}

/* How this session reads the cluster and its answers, kept in the autosave. */
static json_t *session_json(const struct ctx *c, const char *answers_file)
{
	json_t *s = json_object();
	if (c->o.snapshot)
		set_path(s, "snapshot", c->o.snapshot);
	if (c->o.live)
		json_object_set_new(s, "live", json_true());
	if (c->o.context)
		json_object_set_new(s, "context", json_string(c->o.context));
	if (c->o.kubeconfig)
		set_path(s, "kubeconfig", c->o.kubeconfig);
	if (c->o.timeout_s)
		json_object_set_new(s, "timeout", json_integer(c->o.timeout_s));
	if (answers_file)
		set_path(s, "answers_file", answers_file);
	json_t *a = json_array();
	for (size_t i = 0; i < c->o.answer.n; i++)
		json_array_append_new(a, json_string(c->o.answer.v[i]));
	json_object_set_new(s, "answer", a);
	return s;
}

/* What the saved session says, where the command line says nothing (strings borrowed from s). */
static void session_use(struct ctx *c, json_t *s, const char **answers_file)
{
	if (!c->o.snapshot && !c->o.live) {
		c->o.snapshot = json_string_value(json_object_get(s, "snapshot"));
		c->o.live = json_is_true(json_object_get(s, "live"));
	}
	if (!c->o.context)
		c->o.context = json_string_value(json_object_get(s, "context"));
	if (!c->o.kubeconfig)
		c->o.kubeconfig = json_string_value(json_object_get(s, "kubeconfig"));
	if (!c->o.timeout_s)
		c->o.timeout_s = (int)json_integer_value(json_object_get(s, "timeout"));
	if (!*answers_file)
		*answers_file = json_string_value(json_object_get(s, "answers_file"));
	json_t *a = json_object_get(s, "answer");
	for (size_t i = 0; !c->o.answer.n && i < json_array_size(a); i++)
		if (json_is_string(json_array_get(a, i)))
			sl_add(&c->o.answer, json_string_value(json_array_get(a, i)));
}

/* The saved session, or NULL after saying why. */
static json_t *load_saved(void)
{
	char *path = state_default_path();
	if (!path) {
		usage_error("no session to resume: neither XDG_STATE_HOME nor HOME is set");
		return NULL;
	}
	json_error_t je;
	json_t *j = access(path, F_OK) == 0 ? json_load_file(path, 0, &je) : NULL;
	if (!j && access(path, F_OK) != 0)
		usage_error("no session to resume (%s does not exist)", path);
	else if (!j)
		usage_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
	free(path);
	return j;
}

static int tui_session(struct ctx *c, const char *flow_id, const char *answers_file)
{
	struct tui_setup s = {0};
	s.c = c;
	char *label = NULL;
	int rc = 2;
	if (c->o.resume) {
		if (flow_id) {
			rc = usage_error("--resume continues the saved walk: give no FLOW");
			goto out;
		}
		if (!(s.resume = load_saved()))
			goto out;
		session_use(c, json_object_get(s.resume, "session"), &answers_file);
	}
	if (answers_file && strcmp(answers_file, "-") == 0) {
		rc = usage_error("tui reads keys from the terminal: "
				 "give --answers a file, not '-'");
		goto out;
	}
	struct prepared p = {0};
	rc = prepare(c, flow_id, answers_file, &p);
	/* a resumed session walks its own flow, whatever the answers file is a walk of */
	s.flow = s.resume ? NULL : p.flow;
	s.answers = p.answers;
	s.file_inputs = p.file_inputs;
	free(p.file_flow);
	if (rc < 0 && s.flow)
		rc = preset_check(c, &p, s.flow);
	if (rc >= 0)
		goto out;
	rc = 2;
	bool failed;
	s.cluster = open_cluster_opt(c, &failed);
	if (failed)
		goto out;
	s.session = session_json(c, answers_file);
	label = session_source_label(c);
	s.source = label;
	rc = tui_run(&s);
out:
	cluster_free(s.cluster);
	json_decref(s.session);
	json_decref(s.resume);
	answers_free(&s.answers);
	kv_free(&s.file_inputs);
	free(label);
	return rc;
}

int tui_onboard(struct ctx *c, struct cluster *cluster, struct onboard *o)
{
	struct tui_setup s = {0};
	s.c = c;
	s.cluster = cluster;
	s.onboard = o;
	char *label = session_source_label(c);
	s.source = label;
	int rc = tui_run(&s);
	free(label);
	return rc;
}

int cmd_tui(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("tui takes one FLOW, not '%s' as well", argv[2]);
	if (!on_terminal())
		return usage_error("tui needs a terminal on stdin and stdout "
				   "(in scripts: meshmedic run FLOW --batch)");
	return tui_session(c, argc > 1 ? argv[1] : NULL, c->o.answers_file);
}

int cmd_demo_tty(struct ctx *c, int argc, char **argv)
{
	/* scripts and tests read today's batch output */
	if (argc > 1 || !on_terminal() || c->o.batch || c->o.format != FMT_TEXT)
		return cmd_demo(c, argc, argv);
	char *incident, *snap;
	demo_paths(&incident, &snap);
	if (!c->o.snapshot)
		c->o.snapshot = snap;
	int rc = tui_session(c, NULL, c->o.answers_file ? c->o.answers_file : incident);
	if (c->o.snapshot == snap)
		c->o.snapshot = NULL;
	free(snap);
	free(incident);
	return rc;
}
