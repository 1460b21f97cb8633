/*
 * The TUI's dispatcher and main loop: the terminal set up and restored on
 * every way out, the table of screens and their stack, key dispatch through
 * each screen's table, the actions screens return (only this file acts on
 * them), and what every screen shows (title bar, message line, status bar,
 * the size check).
 */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/exec.h"
#include "tui/tui.h"

#define MIN_COLS 80
#define MIN_ROWS 24

/* ---- leaving the terminal as it was ---- */

static volatile sig_atomic_t got_signal;
static struct termios saved_tio;
static bool tio_saved, curses_on;
/* rmkx cnorm sgr0 rmcup: what endwin would send, ready for a signal handler */
static char restore_seq[256];
static size_t restore_len;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Async-signal-safe: the escape sequences and the saved terminal modes. */
static void term_restore_raw(void)
{
	if (restore_len) {
		ssize_t unused = write(STDOUT_FILENO, restore_seq, restore_len);
		(void)unused;
	}
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* A crash: restore the terminal, stop the port-forwards, then die of the same signal. */
static void on_crash(int sig)
{
	exec_kill_background();
	term_restore_raw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_restore(void)
{
	if (!curses_on)
		return;
	curses_on = false;
	endwin();
}

static void restore_seq_build(void)
{
	static const char *const caps[] = {"rmkx", "cnorm", "sgr0", "rmcup"};
	restore_len = 0;
	for (size_t i = 0; i < MM_ARRAY_LEN(caps); i++) {
		const char *s = tigetstr(caps[i]);
		if (!s || s == (char *)-1)
			continue;
		size_t n = strlen(s);
		if (restore_len + n < sizeof(restore_seq)) {
			memcpy(restore_seq + restore_len, s, n);
			restore_len += n;
		}
	}
}

static void install_signals(void)
{
	static const int quit_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the wait for a key returns at once */
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < MM_ARRAY_LEN(quit_sigs); i++)
		sigaction(quit_sigs[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < MM_ARRAY_LEN(crash_sigs); i++)
		sigaction(crash_sigs[i], &sa, NULL);
}

static void term_setup(struct tui *t)
{
	setlocale(LC_CTYPE, "");
	const char *cs = nl_langinfo(CODESET);
	t->utf8 = cs && strcmp(cs, "UTF-8") == 0;
	const char *nc = getenv("NO_COLOR");
	bool want_color = !t->s->c->o.no_color && !(nc && *nc);
	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		tio_saved = true;
	install_signals();
	mm_fatal_hook = term_restore;
	atexit(term_restore);
	set_escdelay(25);
	initscr();
	curses_on = true;
	restore_seq_build();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	text_init(t->utf8, want_color && has_colors());
	t->color = want_color && has_colors();
	getmaxyx(stdscr, t->rows, t->cols);
}

/* ---- the screens and the stack: only this file knows them all ---- */

extern const struct screen screen_picker, screen_inputs, screen_question, screen_path,
	screen_pager, screen_diag, screen_onboard, screen_onboard_ask;

static const struct screen *const screens[SCR_COUNT] = {
	[SCR_PICKER] = &screen_picker,     [SCR_INPUTS] = &screen_inputs,
	[SCR_QUESTION] = &screen_question, [SCR_PATH] = &screen_path,
	[SCR_PAGER] = &screen_pager,       [SCR_DIAG] = &screen_diag,
	[SCR_ONBOARD] = &screen_onboard,   [SCR_ONBOARD_ASK] = &screen_onboard_ask,
};

/* Actions that lead to further actions (a screen's enter) are followed this deep at most. */
#define MAX_CHAIN 16

static struct act screen_open(struct tui *t, enum screen_id id)
{
	if (t->depth < (int)MM_ARRAY_LEN(t->stack))
		t->stack[t->depth++] = id;
	else
		t->stack[t->depth - 1] = id;
	return screens[id]->enter ? screens[id]->enter(t) : K_DONE;
}

/* Pop down to id (kept, not entered again), or open it if it is not on the stack. */
static struct act screen_pop_to(struct tui *t, enum screen_id id)
{
	for (int i = t->depth - 1; i >= 0; i--)
		if (t->stack[i] == id) {
			t->depth = i + 1;
			return K_DONE;
		}
	return screen_open(t, id);
}

/* Carry out an action and those it leads to; true when the session ends. */
static bool apply(struct tui *t, struct act a)
{
	for (int n = 0; n < MAX_CHAIN; n++) {
		switch (a.kind) {
		case ACT_NONE:
		case ACT_DONE:
			return false;
		case ACT_QUIT:
			return true;
		case ACT_PUSH:
			a = screen_open(t, a.to);
			break;
		case ACT_POP:
			if (t->depth > 1)
				t->depth--;
			return false;
		case ACT_POP_TO:
			a = screen_pop_to(t, a.to);
			break;
		case ACT_OPEN:
			if (apply(t, screen_pop_to(t, a.over)))
				return true;
			a = screen_open(t, a.to);
			break;
		case ACT_RESET:
			t->depth = 0;
			a = screen_open(t, a.to);
			break;
		}
	}
	return false;
}

/* The one-line editor: printable ASCII, Backspace, Ctrl-U, Enter, Esc. */
static struct act prompt_key(struct tui *t, int ch)
{
	struct prompt *p = &t->prompt;
	size_t len = strlen(p->buf);
	if (key_is_enter(ch)) {
		p->active = false;
		char *v = xstrdup(p->buf);
		p->done(t, v);
		free(v);
	} else if (ch == KEY_ESC) {
		p->active = false;
	} else if (key_is_backspace(ch)) {
		if (len)
			p->buf[len - 1] = '\0';
	} else if (ch == 21) {
		p->buf[0] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(p->buf)) {
		p->buf[len] = (char)ch;
		p->buf[len + 1] = '\0';
	}
	return K_DONE;
}

/* A key: the prompt's, else the top screen's table, its typing, then the global keys. */
static struct act dispatch(struct tui *t, int ch)
{
	if (t->prompt.active)
		return prompt_key(t, ch);
	if (t->job.running && (t->job.kind == JOB_PROBE || t->job.kind == JOB_CALL)) {
		/* while a probe or a check runs, its state is left alone: only Esc (cancel) counts */
		if (ch == KEY_ESC)
			job_cancel(t);
		return K_DONE;
	}
	tui_msg(t, false, NULL);
	const struct screen *s = screens[tui_top(t)];
	const struct binding *b = binding_find(s->keys, ch);
	if (b)
		return b->run(t);
	struct act r = s->other ? s->other(t, ch) : K_NONE;
	if (r.kind != ACT_NONE)
		return r;
	b = binding_find(global_keys, ch);
	return b ? b->run(t) : K_NONE;
}

/* ---- drawing what every screen shares ---- */

static void draw_title(struct tui *t)
{
	attron(text_attr(R_TITLE));
	mvhline(0, 0, ' ', t->cols);
	attroff(text_attr(R_TITLE));
	char *right = xasprintf("%s%s ", t->auto_accept ? "auto  " : "", t->s->source);
	int rw = text_width(right);
	int x = tui_put(0, 0, t->cols - rw - 1, R_TITLE, " meshmedic");
	if (t->flow && tui_top(t) != SCR_PICKER)
		tui_putf(0, x, t->cols - rw - x - 1, R_TITLE, "  %s  %s", t->flow->id,
			 t->flow->title);
	else if (t->ob)
		tui_put(0, x, t->cols - rw - x - 1, R_TITLE, "  onboarding checklist");
	tui_put(0, t->cols - rw, rw, R_TITLE, right);
	free(right);
}

static void draw_bottom(struct tui *t)
{
	int y = t->rows - 2;
	char *st = job_status(t);
	if (t->prompt.active) {
		int x = tui_putf(y, 1, t->cols - 2, R_BOLD, "%s ", t->prompt.label);
		int w = t->cols - 2 - x;
		/* the end of a long value stays in sight */
		const char *v = t->prompt.buf;
		while (text_width(v) > w - 1)
			v++;
		x += tui_put(y, 1 + x, w, R_PLAIN, v);
		move(y, 1 + x);
	} else if (st) {
		tui_put(y, 1, t->cols - 2, R_WARN, st);
	} else if (t->msg) {
		tui_put(y, 1, t->cols - 2, t->msg_err ? R_BAD : R_GOOD, t->msg);
	}
	free(st);
	attron(text_attr(R_TITLE));
	mvhline(t->rows - 1, 0, ' ', t->cols);
	attroff(text_attr(R_TITLE));
	const char *hint = t->job.running && t->job.kind != JOB_NAMES ? "Esc cancel"
			   : t->prompt.active ? "Enter confirm  Esc cancel  Ctrl-U clear"
			   : t->hint	      ? t->hint
					      : screens[tui_top(t)]->hint;
	tui_putf(t->rows - 1, 0, t->cols, R_TITLE, " %s", hint);
}

static void draw_too_small(struct tui *t)
{
	/* each dimension is checked on its own: the message names the one that is short */
	bool narrow = t->cols < MIN_COLS, low = t->rows < MIN_ROWS;
	char *a = xasprintf("meshmedic needs at least %d columns and at least %d rows;", MIN_COLS,
			    MIN_ROWS);
	char *b = narrow && low ? xasprintf("this terminal has %d columns and %d rows: too narrow and "
					    "too low.",
					    t->cols, t->rows)
		  : narrow ? xasprintf("this terminal has %d columns: too narrow (%d rows is enough).",
				       t->cols, t->rows)
			   : xasprintf("this terminal has %d rows: too low (%d columns is enough).",
				       t->rows, t->cols);
	const char *c = "Enlarge it, or press q to quit.";
	int y = t->rows / 2 - 1;
	tui_put(y < 0 ? 0 : y, 0, t->cols, R_BOLD, a);
	tui_put(y + 1 < 0 ? 0 : y + 1, 0, t->cols, R_PLAIN, b);
	tui_put(y + 2 < 0 ? 0 : y + 2, 0, t->cols, R_PLAIN, c);
	free(a);
	free(b);
}

static bool too_small(const struct tui *t)
{
	return t->cols < MIN_COLS || t->rows < MIN_ROWS;
}

static void draw(struct tui *t)
{
	erase();
	curs_set(0);
	if (too_small(t)) {
		draw_too_small(t);
	} else {
		draw_title(t);
		free(t->hint);
		t->hint = NULL;
		screens[tui_top(t)]->draw(t);
		draw_bottom(t);
		if (t->prompt.active)
			curs_set(1);
	}
	refresh();
}

/* ---- the session ---- */

/* The first screens: the checklist, or the picker and what the command line asks for. */
static bool setup_screens(struct tui *t)
{
	struct tui_setup *s = t->s;
	if (s->onboard)
		return apply(t, K_RESET(SCR_ONBOARD));
	if (apply(t, K_RESET(SCR_PICKER)))
		return true;
	if (s->resume) {
		char *err = NULL;
		t->flow = state_flow(t, s->resume, &err);
		bool ok = t->flow != NULL;
		if (ok && apply(t, K_OPEN(SCR_INPUTS, SCR_PICKER)))
			return true;
		ok = ok && state_restore(t, s->resume, &err);
		/* what replayed stays: the session continues from there */
		if (t->walking && apply(t, K_OPEN(SCR_QUESTION, SCR_INPUTS)))
			return true;
		if (!ok) {
			tui_msg(t, true, "cannot resume: %s", err);
			free(err);
		}
		return false;
	}
	if (!s->flow)
		return false;
	t->flow = s->flow;
	if (apply(t, K_OPEN(SCR_INPUTS, SCR_PICKER)))
		return true;
	/* the inputs given on the command line may be all the walk needs */
	bool complete = true;
	for (size_t i = 0; i < s->flow->ninputs; i++)
		/* one the cluster can name is derived when the walk starts */
		if (s->flow->inputs[i].required && !*t->form.val[i] &&
		    !(s->flow->inputs[i].derive && s->cluster))
			complete = false;
	struct kvlist none = {0};
	return complete && walk_start(t, &none) && apply(t, K_OPEN(SCR_QUESTION, SCR_INPUTS));
}

static void tui_free(struct tui *t)
{
	if (t->walking)
		walk_free(&t->w);
	sl_free(&t->q.pre_evidence);
	free(t->form.val);
	sl_free(&t->form.names);
	pager_free(&t->pager);
	pager_free(&t->diag);
	sl_free(&t->job.names);
	cmdlog_free(&t->log);
	free(t->msg);
	free(t->hint);
	free(t->state_path);
}

int tui_run(struct tui_setup *s)
{
	struct tui t;
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.kb = s->c->kb;
	t.screens = screens;
	t.state_path = state_default_path();
	cmdlog_init(&t.log);
	term_setup(&t);
	bool quit = setup_screens(&t);
	while (!quit && !got_signal) {
		if ((quit = apply(&t, job_poll(&t))))
			break;
		draw(&t);
		/* a job is looked after often, so a quick one does not show */
		timeout(t.job.running ? 20 : 250);
		int ch = getch();
		if (ch == ERR)
			continue;
		if (ch == KEY_RESIZE) {
			getmaxyx(stdscr, t.rows, t.cols);
			continue;
		}
		if (too_small(&t)) {
			quit = ch == 'q' || ch == 'Q';
			continue;
		}
		quit = apply(&t, dispatch(&t, ch));
	}
	/* a command still running is cancelled and waited for, so none is left behind */
	job_abandon(&t, 2000);
	exec_kill_background();
	term_restore();
	int sig = got_signal;
	if (sig) {
		/* die of the signal, as the shell expects; the autosave stays for --resume */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	tui_free(&t);
	return t.status;
}
