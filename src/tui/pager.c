/*
 * The pager: a scrollable, searchable text ('/', n, N), wrapped again when
 * the width changes. It shows help pages (tui/help.c), the evidence
 * (tui/evidence.c) and, on the diagnosis screen, the diagnosis.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

void pager_free(struct pager *p)
{
	free(p->title);
	free(p->text);
	free(p->search);
	free(p->alt);
	free(p->code);
	sl_free(&p->lines);
	memset(p, 0, sizeof(*p));
}

void pager_set(struct tui *t, struct pager *p, const char *title, char *text)
{
	char *keep = p->search ? xstrdup(p->search) : NULL;
	pager_free(p);
	p->title = xstrdup(title);
	p->text = text;
	p->search = keep;
	p->width = -1;
	p->margin = 2;
}

/* The pager the keys act on: the diagnosis's on its screen, else the pager's. */
static struct pager *current(struct tui *t)
{
	return tui_top(t) == SCR_DIAG ? &t->diag : &t->pager;
}

static int body_rows(const struct tui *t)
{
	return t->rows - 5;
}

static void rewrap(struct tui *t, struct pager *p)
{
	int width = t->cols - 2 * p->margin;
	if (p->width == width)
		return;
	sl_free(&p->lines);
	free(p->code);
	p->code = NULL;
	p->code_width = 0;
	if (p->nowrap) {
		/* laid out already: every line as it is, tabs as spaces */
		char *text = xstrdup(p->text ? p->text : "");
		for (char *c = text; *c; c++)
			if (*c == '\t')
				*c = ' ';
		for (char *l = text; l;) {
			char *nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			sl_add(&p->lines, l);
			l = nl ? nl + 1 : NULL;
		}
		free(text);
		p->code = xcalloc(p->lines.n + 1, sizeof(*p->code));
		for (size_t i = 0; i < p->lines.n; i++)
			p->code[i] = true;
	} else {
		tui_wrap_code(p->text, width, "", 0, &p->lines, &p->code);
	}
	for (size_t i = 0; i < p->lines.n; i++) {
		int w = p->code[i] ? text_width(p->lines.v[i]) : 0;
		if (w > p->code_width)
			p->code_width = w;
	}
	p->width = width;
	p->found = false;
	if (p->code_width <= width)
		p->left = 0;
}

/* Scroll so that top stays within the text. */
static void clamp(struct tui *t, struct pager *p)
{
	size_t rows = (size_t)body_rows(t);
	size_t max = p->lines.n > rows ? p->lines.n - rows : 0;
	if (p->top > max)
		p->top = max;
}

/* Draw line i at y with every match of the search marked. */
static void line_draw(struct pager *p, size_t i, int y, int w)
{
	const char *s = p->lines.v[i];
	int x0 = p->margin;
	bool code = p->code[i];
	size_t left = code ? p->left : 0;
	if (code)
		tui_put_code(y, x0, w, R_PLAIN, s, left);
	else
		tui_put(y, x0, w, R_PLAIN, s);
	if (!p->search || !*p->search)
		return;
	size_t n = strlen(p->search);
	for (const char *h = strcasestr(s, p->search); h; h = strcasestr(h + n, p->search)) {
		char *before = xstrndup(s, (size_t)(h - s));
		char *hit = xstrndup(h, n);
		/* in code scrolled sideways, a match is marked where it shows (not under '<') */
		int x = text_width(before) - (int)left;
		int lim = code && p->code_width > w ? w - 1 : w;
		if (x >= (left ? 1 : 0) && x < lim)
			tui_put(y, x0 + x, lim - x, R_HIT, hit);
		free(hit);
		free(before);
	}
}

void pager_draw(struct tui *t, struct pager *p, int y0, int y1)
{
	rewrap(t, p);
	clamp(t, p);
	size_t n = p->lines.n;
	size_t last = p->top + (size_t)(y1 - y0 + 1);
	if (last > n)
		last = n;
	char *where = p->code_width > p->width
			      ? xasprintf("wide: Left/Right  lines %zu-%zu of %zu",
					  n ? p->top + 1 : 0, last, n)
			      : xasprintf("lines %zu-%zu of %zu", n ? p->top + 1 : 0, last, n);
	int ww = text_width(where);
	tui_put(1, 1, t->cols - ww - 4, R_BOLD, p->title);
	tui_put(1, t->cols - ww - 1, ww, R_DIM, where);
	free(where);
	tui_rule(2, NULL);
	for (size_t i = p->top; i < last; i++)
		line_draw(p, i, y0 + (int)(i - p->top), p->width);
}

static void pager_screen_draw(struct tui *t)
{
	pager_draw(t, &t->pager, 3, t->rows - 3);
}

/* ---- keys (on the current pager) ---- */

static struct act scroll_by(struct tui *t, long by)
{
	struct pager *p = current(t);
	/* the next search starts from what is in sight */
	p->found = false;
	if (by < 0 && (size_t)-by > p->top)
		p->top = 0;
	else
		p->top += (size_t)by;
	clamp(t, p);
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	return scroll_by(t, 1);
}

static struct act key_up(struct tui *t)
{
	return scroll_by(t, -1);
}

static struct act key_page_down(struct tui *t)
{
	return scroll_by(t, body_rows(t) - 1);
}

static struct act key_page_up(struct tui *t)
{
	return scroll_by(t, -(body_rows(t) - 1));
}

/* Sideways over code lines wider than the screen, by half a screen. */
static struct act scroll_side(struct tui *t, int dir)
{
	struct pager *p = current(t);
	size_t step = p->width > 4 ? (size_t)p->width / 2 : 1;
	size_t max = p->code_width > p->width ? (size_t)(p->code_width - p->width) : 0;
	if (!max) {
		tui_msg(t, false, "every line fits: nothing to scroll sideways");
		return K_DONE;
	}
	if (dir < 0)
		p->left = p->left > step ? p->left - step : 0;
	else
		p->left = p->left + step < max ? p->left + step : max;
	return K_DONE;
}

static struct act key_right(struct tui *t)
{
	return scroll_side(t, 1);
}

static struct act key_left(struct tui *t)
{
	return scroll_side(t, -1);
}

static struct act key_home(struct tui *t)
{
	current(t)->top = 0;
	current(t)->found = false;
	return K_DONE;
}

static struct act key_end(struct tui *t)
{
	current(t)->top = SIZE_MAX;
	current(t)->found = false;
	clamp(t, current(t));
	return K_DONE;
}

/*
 * Put the next (dir 1) or previous (-1) line with the search at the top;
 * past the end (or the start) the search wraps round, as in less and vi.
 */
static void find(struct tui *t, int dir, bool from_here)
{
	struct pager *p = current(t);
	if (!p->search || !*p->search)
		return;
	size_t n = p->lines.n;
	if (!n) {
		tui_msg(t, true, "'%s' not found", p->search);
		return;
	}
	/* from the last match (the top may stop short of it at the end of the text) */
	size_t from = p->found ? p->hit : p->top;
	size_t start = from < n ? from : n - 1;
	for (size_t k = from_here ? 0 : 1; k <= n; k++) {
		size_t i = dir > 0 ? (start + k) % n : (start + n - k % n) % n;
		if (!strcasestr(p->lines.v[i], p->search))
			continue;
		bool wrapped = dir > 0 ? i < start || (i == start && k) : i > start || (i == start && k);
		p->top = p->hit = i;
		p->found = true;
		clamp(t, p);
		tui_msg(t, false, "'%s': line %zu%s", p->search, i + 1,
			wrapped ? dir > 0 ? " (search wrapped to the top)"
					  : " (search wrapped to the bottom)"
				: "");
		return;
	}
	tui_msg(t, true, "'%s' not found", p->search);
}

static void search_done(struct tui *t, const char *value)
{
	struct pager *p = current(t);
	if (!*value)
		return;
	free(p->search);
	p->search = xstrdup(value);
	p->found = false;
	find(t, 1, true);
}

static struct act key_search(struct tui *t)
{
	tui_prompt(t, "Search:", "", search_done);
	return K_DONE;
}

static struct act key_next(struct tui *t)
{
	find(t, 1, false);
	return K_DONE;
}

static struct act key_prev(struct tui *t)
{
	find(t, -1, false);
	return K_DONE;
}

static struct act key_close(struct tui *t)
{
	(void)t;
	return K_POP;
}

/* '?' in a help pager: the key list, and back. */
static struct act key_keys(struct tui *t)
{
	struct pager *p = &t->pager;
	if (!p->alt) {
		tui_msg(t, false, "this is the key list: q closes it");
		return K_DONE;
	}
	char *text = p->text, *title = xstrdup(strncmp(p->title, "Keys", 4) == 0 ? "Help" : "Keys");
	p->text = p->alt;
	p->alt = text;
	free(p->title);
	p->title = title;
	p->width = -1;
	p->top = 0;
	return K_DONE;
}

static const struct binding pager_keys[] = {
	{{KEY_DOWN, 'j'}, "Down, j", "one line down", key_down},
	{{KEY_UP, 'k'}, "Up, k", "one line up", key_up},
	{{KEY_NPAGE, ' ', 'f'}, "PgDn, Space", "one page down", key_page_down},
	{{KEY_PPAGE, 'u'}, "PgUp, u", "one page up", key_page_up},
	{{KEY_RIGHT, 'l'}, "Right, l", "wide lines (commands, YAML, logs): scroll right", key_right},
	{{KEY_LEFT, 'h'}, "Left, h", "wide lines: scroll left", key_left},
	{{KEY_HOME, 'g'}, "Home, g", "to the top", key_home},
	{{KEY_END, 'G'}, "End, G", "to the end", key_end},
	{{'/'}, "/", "search (case does not matter)", key_search},
	{{'n'}, "n", "next match", key_next},
	{{'N'}, "N", "previous match", key_prev},
	{{'?', KEY_F(1)}, "?", "the key list (again: back to the help)", key_keys},
	{{KEY_ESC, 'q'}, "Esc, q", "close", key_close},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_pager = {"pager", NULL, pager_screen_draw, pager_keys, NULL,
	"Up/Down PgUp/PgDn scroll  Left/Right wide  / search  n next  ? keys  q close"};

struct act pager_key(struct tui *t, int ch)
{
	for (const struct binding *b = pager_keys; b->label; b++)
		for (size_t i = 0; b->run && i < MM_ARRAY_LEN(b->keys) && b->keys[i]; i++)
			if (b->keys[i] == ch && b->run != key_keys && b->run != key_close)
				return b->run(t);
	return K_NONE;
}
