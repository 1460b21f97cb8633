/*
 * The autosave: after every answer (and every step back) the session is
 * written to $XDG_STATE_HOME/meshmedic/session.json (by default
 * ~/.local/state/meshmedic/), mode 0600, replaced atomically. It is a
 * transcript (so it also replays with --answers) plus a "session" object
 * saying how the cluster was opened. `meshmedic tui --resume` replays its
 * path, answer by answer with who gave it and the evidence, and continues.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk/transcript.h"
#include "session/session.h"
#include "tui/tui.h"

char *state_default_path(void)
{
	return state_path("session.json");
}

void state_save(struct tui *t)
{
	if (!t->state_path || !t->walking)
		return;
	json_t *j = walk_to_json(&t->w);
	json_object_set(j, "session", t->s->session);
	char *tmp = xasprintf("%s.tmp", t->state_path);
	bool ok = make_parents(t->state_path);
	int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	/* 0600 even where the file was there before with other modes */
	ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
	     json_dumpfd(j, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, t->state_path) != 0)
		ok = false;
	if (!ok) {
		tui_msg(t, true, "cannot autosave to %s: %s", t->state_path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	json_decref(j);
}

static bool by_from_name(const char *name, enum answer_by *by)
{
	static const enum answer_by all[] = {BY_USER, BY_PROBE, BY_ANSWERS};
	for (size_t i = 0; i < MM_ARRAY_LEN(all); i++)
		if (name && strcmp(answer_by_name(all[i]), name) == 0) {
			*by = all[i];
			return true;
		}
	return false;
}

/* Take one saved step; false with *err if it no longer fits the flows. */
static bool replay_step(struct tui *t, json_t *s, size_t i, char **err)
{
	const char *flow = json_string_value(json_object_get(s, "flow"));
	const char *node = json_string_value(json_object_get(s, "node"));
	const char *answer = json_string_value(json_object_get(s, "answer"));
	enum answer_by by;
	if (!node || !answer || !by_from_name(json_string_value(json_object_get(s, "by")), &by)) {
		*err = xasprintf("step %zu is not a step of a transcript", i + 1);
		return false;
	}
	if (!t->w.node || strcmp(t->w.node->id, node) != 0 ||
	    (flow && strcmp(t->w.flow->id, flow) != 0)) {
		*err = xasprintf("step %zu (%s) no longer follows in flow %s: the flows changed",
				 i + 1, node, t->w.flow->id);
		return false;
	}
	struct strlist ev = {0};
	json_t *e = json_object_get(s, "evidence");
	for (size_t k = 0; k < json_array_size(e); k++)
		if (json_is_string(json_array_get(e, k)))
			sl_add(&ev, json_string_value(json_array_get(e, k)));
	bool ok = walk_answer(&t->w, answer, by, &ev, err);
	if (ok)
		t->w.steps[t->w.nsteps - 1].inferred = json_is_true(json_object_get(s, "inferred"));
	sl_free(&ev);
	return ok;
}

const struct mm_flow *state_flow(struct tui *t, json_t *saved, char **err)
{
	const char *fid = json_string_value(json_object_get(saved, "flow"));
	const struct mm_flow *f = fid ? kb_flow(t->kb, fid) : NULL;
	if (!f)
		*err = fid ? xasprintf("the saved walk is of flow '%s', which is not loaded", fid)
			   : xstrdup("the saved session has no flow");
	return f;
}

bool state_restore(struct tui *t, json_t *saved, char **err)
{
	const struct mm_flow *f = t->flow;
	if (t->walking)
		walk_free(&t->w);
	walk_init(&t->w, t->kb, f);
	t->walking = true;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(saved, "inputs"), k, v) {
		if (!json_is_string(v) || !walk_set_input(&t->w, k, json_string_value(v), err)) {
			if (!*err)
				*err = xasprintf("input '%s' is not a string", k);
			walk_free(&t->w);
			t->walking = false;
			return false;
		}
		for (size_t i = 0; i < f->ninputs; i++)
			if (strcmp(f->inputs[i].name, k) == 0)
				snprintf(t->form.val[i], sizeof(t->form.val[i]), "%s",
					 json_string_value(v));
	}
	json_t *path = json_object_get(saved, "path");
	bool ok = true;
	for (size_t i = 0; ok && i < json_array_size(path); i++)
		ok = replay_step(t, json_array_get(path, i), i, err);
	return ok;
}
