/*
 * The path: every step so far (question, answer, who answered). As a pane
 * under the question it shows the last steps; as a screen ('p') it selects
 * one, shows its evidence, and goes back to it with Enter.
 */
#include <curses.h>
#include <stdlib.h>

#include "tui/tui.h"

const char *by_label(enum answer_by by)
{
	static const char *const s[] = {[BY_USER] = "you", [BY_PROBE] = "cluster",
					[BY_ANSWERS] = "file"};
	return s[by];
}

/* The widest answer id of the path, so the answers stand in one column (at most 16). */
static int id_width(const struct tui *t)
{
	int w = 0;
	for (size_t i = 0; i < t->w.nsteps; i++)
		if (text_width(t->w.steps[i].choice->id) > w)
			w = text_width(t->w.steps[i].choice->id);
	return w > 16 ? 16 : w;
}

static void step_line(struct tui *t, size_t i, int y, bool sel)
{
	const struct step *s = &t->w.steps[i];
	char *right = xasprintf("  %-*s  %-7s", id_width(t), s->choice->id, by_label(s->by));
	int rw = text_width(right);
	char *q = walk_text(&t->w, s->node->question);
	char *left = xasprintf("%s%3zu %s", sel ? glyph_mark() : " ", i + 1, q);
	if (sel) {
		attron(text_attr(R_SEL));
		mvhline(y, 1, ' ', t->cols - 2);
		attroff(text_attr(R_SEL));
	}
	tui_put(y, 1, t->cols - 2 - rw, sel ? R_SEL : R_PLAIN, left);
	tui_put(y, t->cols - 1 - rw, rw, sel ? R_SEL : s->by == BY_PROBE ? R_GOOD : R_BOLD, right);
	free(left);
	free(q);
	free(right);
}

void path_pane_draw(struct tui *t, int y0, int y1, bool select)
{
	tui_rule(y0, select ? "Path: Enter goes back to the step selected" : "Path (p)");
	size_t rows = (size_t)(y1 - y0), n = t->w.nsteps;
	size_t first = n > rows ? n - rows : 0;
	/* selecting: the step selected stays in sight */
	if (select && t->path_sel < first)
		first = t->path_sel;
	for (size_t i = first; i < n && i - first < rows; i++)
		step_line(t, i, y0 + 1 + (int)(i - first), select && i == t->path_sel);
}

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
	char *a = xasprintf("Answer: %s (%s), by %s", label, s->choice->id, by_label(s->by));
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

int act_path(struct tui *t)
{
	if (!t->w.nsteps) {
		tui_msg(t, false, "no step taken yet");
		return K_DONE;
	}
	t->path_sel = t->w.nsteps - 1;
	tui_push(t, &screen_path);
	return K_DONE;
}

static int key_up(struct tui *t)
{
	if (t->path_sel)
		t->path_sel--;
	return K_DONE;
}

static int key_down(struct tui *t)
{
	if (t->path_sel + 1 < t->w.nsteps)
		t->path_sel++;
	return K_DONE;
}

static int key_go(struct tui *t)
{
	if (t->path_sel < t->w.nsteps)
		walk_back_to(t, t->path_sel);
	return K_DONE;
}

static int key_close(struct tui *t)
{
	tui_pop(t);
	return K_DONE;
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

const struct screen screen_path = {
	.name = "path",
	.hint = "Up/Down step  Enter go back to it  e evidence  ? keys  Esc close",
	.draw = path_draw,
	.keys = path_keys,
	.other = NULL,
};
