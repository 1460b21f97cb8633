/*
 * The path screen ('p'): every step so far; one is selected, shown in full
 * with its evidence, and Enter goes back to it.
 */
#include <curses.h>
#include <stdlib.h>

#include "tui/tui.h"

static void path_draw(struct tui *t)
{
	if (t->path_sel >= t->w.nsteps)
		t->path_sel = t->w.nsteps ? t->w.nsteps - 1 : 0;
	tui_putf(1, 1, t->cols - 2, R_BOLD, "%zu steps so far", t->w.nsteps);
	int top = 2, bottom = t->rows - 3;
	/* the list on top, the step selected in full below it */
	int list = (int)t->w.nsteps + 1;
	if (list > (bottom - top + 1) / 2)
		list = (bottom - top + 1) / 2;
	path_pane_draw(t, top, top + list - 1, true);
	if (!t->w.nsteps)
		return;
	const struct step *s = &t->w.steps[t->path_sel];
	struct strlist l = {0};
	char *q = walk_text(&t->w, s->node->question);
	char *label = walk_text(&t->w, s->choice->label);
	char *a = xasprintf("Answer: %s (%s), by %s", label, s->choice->id, by_label(s->by, s->inferred));
	tui_wrap(q, t->cols - 4, "", 0, &l);
	tui_wrap(a, t->cols - 4, "", 2, &l);
	for (size_t i = 0; i < s->evidence.n; i++)
		tui_wrap(s->evidence.v[i], t->cols - 4, "  | ", 4, &l);
	int y = top + list;
	tui_rule(y++, NULL);
	for (size_t i = 0; i < l.n && y <= bottom; i++)
		tui_put(y++, 2, t->cols - 4, i == 0 ? R_BOLD : R_PLAIN, l.v[i]);
	sl_free(&l);
	free(a);
	free(label);
	free(q);
}


/* Opened with the last step selected. */
static struct act path_enter(struct tui *t)
{
	t->path_sel = t->w.nsteps ? t->w.nsteps - 1 : 0;
	return K_DONE;
}

static struct act key_up(struct tui *t)
{
	if (t->path_sel)
		t->path_sel--;
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	if (t->path_sel + 1 < t->w.nsteps)
		t->path_sel++;
	return K_DONE;
}

static struct act key_go(struct tui *t)
{
	if (t->path_sel < t->w.nsteps)
		return walk_back_to(t, t->path_sel);
	return K_DONE;
}

static struct act key_close(struct tui *t)
{
	(void)t;
	return K_POP;
}

static const struct binding path_keys[] = {
	{{'\r', '\n', KEY_ENTER}, "Enter", "go back to the step selected and answer it again",
	 key_go},
	{{KEY_UP, 'k'}, "Up, k", "previous step", key_up},
	{{KEY_DOWN, 'j'}, "Down, j", "next step", key_down},
	{{'e'}, "e", "evidence of every step", act_evidence},
	{{'?', KEY_F(1)}, "?", "this list of keys", act_keys},
	{{KEY_ESC, 'p', 'q'}, "Esc, p, q", "close the path", key_close},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_path = {"path", path_enter, path_draw, path_keys, NULL,
	"Up/Down step  Enter go back to it  e evidence  ? keys  Esc close"};
