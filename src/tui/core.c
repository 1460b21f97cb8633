/*
 * What every screen shares: the message line, the one-line prompt, the key
 * helpers, the key list, and the actions that several screens bind. None of
 * it knows a screen by more than its id.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/tui.h"

enum screen_id tui_top(const struct tui *t)
{
	return t->stack[t->depth - 1];
}

void tui_msg(struct tui *t, bool err, const char *fmt, ...)
{
	free(t->msg);
	t->msg = NULL;
	if (!fmt)
		return;
	va_list ap;
	va_start(ap, fmt);
	t->msg = xvasprintf(fmt, ap);
	va_end(ap);
	t->msg_err = err;
}

void tui_prompt(struct tui *t, const char *label, const char *initial,
                void (*done)(struct tui *t, const char *value))
{
	t->prompt.active = true;
	t->prompt.label = label;
	snprintf(t->prompt.buf, sizeof(t->prompt.buf), "%s", initial ? initial : "");
	t->prompt.done = done;
}

int64_t tui_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool key_is_enter(int ch)
{
	return ch == '\n' || ch == '\r' || ch == KEY_ENTER;
}

bool key_is_backspace(int ch)
{
	return ch == KEY_BACKSPACE || ch == 127 || ch == 8;
}

struct act act_quit(struct tui *t)
{
	(void)t;
	return K_QUIT;
}

struct act act_new_walk(struct tui *t)
{
	(void)t;
	return K_RESET(SCR_PICKER);
}

struct act act_path(struct tui *t)
{
	if (!t->w.nsteps) {
		tui_msg(t, false, "no step taken yet");
		return K_DONE;
	}
	return K_PUSH(SCR_PATH);
}

static struct act key_redraw(struct tui *t)
{
	(void)t;
	clearok(curscr, TRUE);
	return K_DONE;
}

const struct binding global_keys[] = {
    {{12}, "Ctrl-L", "redraw the screen", key_redraw},
    {{0}, "Ctrl-C", "quit (the session is saved)", NULL},
    {{0}, NULL, NULL, NULL},
};

const struct binding *binding_find(const struct binding *b, int ch)
{
	for (; b && b->label; b++)
		for (size_t i = 0; b->run && i < MM_ARRAY_LEN(b->keys) && b->keys[i]; i++)
			if (b->keys[i] == ch)
				return b;
	return NULL;
}

static void key_list_add(struct sbuf *b, const char *title, const struct binding *keys)
{
	sb_printf(b, "%s\n\n", title);
	for (const struct binding *k = keys; k && k->label; k++)
		sb_printf(b, "  %-14s %s\n", k->label, k->help);
	sb_addc(b, '\n');
}

char *tui_key_list(const struct tui *t, enum screen_id under)
{
	struct sbuf b;
	sb_init(&b);
	/* the screen under the pager, then the pager, then the keys that work everywhere */
	const struct screen *s = t->screens[under];
	char *title = xasprintf("Keys: %s", s->name);
	key_list_add(&b, title, s->keys);
	free(title);
	if (under != SCR_PAGER)
		key_list_add(&b,
		             under == SCR_DIAG ? "Keys: scrolling and search" : "Keys: this pager",
		             t->screens[SCR_PAGER]->keys);
	key_list_add(&b, "Keys everywhere", global_keys);
	return sb_steal(&b);
}
