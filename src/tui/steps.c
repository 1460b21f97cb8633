/*
 * The path pane: the steps so far, one line each (question, answer, who
 * answered), as the question screen shows the last of them and the path
 * screen (path.c) lists them all with one selected.
 */
#include <curses.h>
#include <stdlib.h>

#include "tui/tui.h"

const char *by_label(enum answer_by by, bool inferred)
{
	if (inferred && by == BY_PROBE)
		return "inferred";
	static const char *const s[] = {
	    [BY_USER] = "you", [BY_PROBE] = "cluster", [BY_ANSWERS] = "file"};
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
	char *right = xasprintf("  %-*s  %-7s", id_width(t), s->choice->id, by_label(s->by, s->inferred));
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
