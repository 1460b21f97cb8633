/*
 * The walk as the TUI session drives it: started from the inputs form over
 * what the command line and the answers file preset, stepped back, and
 * saved as a transcript. The question screen opens on the result.
 */
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "walk/derive.h"
#include "tui/tui.h"

bool walk_start(struct tui *t, const struct kvlist *inputs)
{
	if (t->walking)
		walk_free(&t->w);
	walk_init(&t->w, t->kb, t->flow);
	t->walking = true;
	char *err = NULL;
	const struct opts *o = &t->s->c->o;
	bool ok = walk_preset(o, &t->s->file_inputs, o->answers_file, &t->w, &err);
	/* what the form says, where it differs from the command line and the defaults */
	for (size_t i = 0; ok && i < inputs->n; i++) {
		const char *cur = walk_input(&t->w, inputs->v[i].key);
		if (!cur || strcmp(cur, inputs->v[i].value) != 0)
			ok = walk_set_input(&t->w, inputs->v[i].key, inputs->v[i].value, &err);
	}
	/* a replayed transcript's derivations stand; a required input left empty is derived */
	if (ok) {
		walk_derive_replay(&t->w, &t->s->answers);
		walk_derive_required(&t->w, t->s->cluster);
	}
	for (size_t i = 0; ok && i < t->flow->ninputs; i++)
		if (t->flow->inputs[i].required && !walk_input(&t->w, t->flow->inputs[i].name)) {
			err = xasprintf("%s is required: %s", t->flow->inputs[i].name,
			                t->flow->inputs[i].prompt);
			ok = false;
		}
	if (!ok) {
		tui_msg(t, true, "%s", err);
		free(err);
		walk_free(&t->w);
		t->walking = false;
		return false;
	}
	t->auto_accept = false;
	state_save(t);
	return true;
}

struct act walk_back_to(struct tui *t, size_t i)
{
	walk_back(&t->w, i);
	/* going back means looking again: nothing is taken on its own */
	t->auto_accept = false;
	state_save(t);
	return K_OPEN(SCR_QUESTION, SCR_INPUTS);
}

struct act act_back(struct tui *t)
{
	if (t->w.nsteps)
		return walk_back_to(t, t->w.nsteps - 1);
	return K_POP_TO(SCR_INPUTS);
}

static void save_done(struct tui *t, const char *value)
{
	char *msg;
	bool ok = save_walk(&t->w, t->s->cluster, value, &msg);
	tui_msg(t, !ok && *value, "%s", msg);
	free(msg);
}

struct act act_save(struct tui *t)
{
	static const char *const suffixes[] = {".md", ".json", NULL};
	if (!t->walking)
		return K_DONE;
	char *base = xasprintf("meshmedic-%s-%s", t->w.start_flow->id,
	                       t->w.diag ? t->w.diag->id : t->w.node->id);
	char *name = free_name(base, suffixes);
	tui_prompt(t, "Save the transcript as (.md and .json):", name, save_done);
	free(name);
	free(base);
	return K_DONE;
}
