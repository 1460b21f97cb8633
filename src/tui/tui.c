/*
 * The TUI's main loop: the terminal set up and restored on every way out,
 * the screen stack, key dispatch through each screen's table, and the parts
 * every screen shares (title bar, message line, status bar, the size check).
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

/* ---- the screen stack ---- */

void tui_push(struct tui *t, const struct screen *s)
{
	if (t->depth < (int)MM_ARRAY_LEN(t->stack))
		t->stack[t->depth++] = s;
	else
		t->stack[t->depth - 1] = s;
}

void tui_pop(struct tui *t)
{
	if (t->depth > 1)
		t->depth--;
}

void tui_pop_to(struct tui *t, const struct screen *s)
{
	for (int i = t->depth - 1; i >= 0; i--)
		if (t->stack[i] == s) {
			t->depth = i + 1;
			return;
		}
	tui_push(t, s);
}

const struct screen *tui_top(const struct tui *t)
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

/* ---- keys ---- */

int act_quit(struct tui *t)
{
	return K_QUIT;
}

int act_new_walk(struct tui *t)
{
	picker_open(t);
	return K_DONE;
}

int act_evidence(struct tui *t)
{
	pager_open_evidence(t);
	return K_DONE;
}

int act_keys(struct tui *t)
{
	pager_open_help(t, NULL, NULL);
	return K_DONE;
}

static int key_redraw(struct tui *t)
{
	clearok(curscr, TRUE);
	return K_DONE;
}

static const struct binding global_keys[] = {
	{{12}, "Ctrl-L", "redraw the screen", key_redraw},
	{{0}, "Ctrl-C", "quit (the session is saved)", NULL},
	{{0}, NULL, NULL, NULL},
};

static const struct binding *binding_find(const struct binding *b, int ch)
{
	/* entries without run only document keys handled elsewhere */
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

char *tui_key_list(const struct tui *t)
{
	struct sbuf b;
	sb_init(&b);
	/* the screen under the pager, then the pager, then the keys that work everywhere */
	const struct screen *under = t->depth > 1 && tui_top(t) == &screen_pager
					     ? t->stack[t->depth - 2]
					     : tui_top(t);
	char *title = xasprintf("Keys: %s", under->name);
	key_list_add(&b, title, under->keys);
	free(title);
	if (under != &screen_pager && (tui_top(t) == &screen_pager || under == &screen_diag))
		key_list_add(&b, under == &screen_diag ? "Keys: scrolling and search"
						       : "Keys: this pager",
			     screen_pager.keys);
	key_list_add(&b, "Keys everywhere", global_keys);
	return sb_steal(&b);
}

/* The one-line editor: printable ASCII, Backspace, Ctrl-U, Enter, Esc. */
static int prompt_key(struct tui *t, int ch)
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

static int dispatch(struct tui *t, int ch)
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
	const struct screen *s = tui_top(t);
	const struct binding *b = binding_find(s->keys, ch);
	if (b)
		return b->run(t);
	int r = s->other ? s->other(t, ch) : K_NONE;
	if (r)
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
	if (t->flow && tui_top(t) != &screen_picker)
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
					      : tui_top(t)->hint;
	tui_putf(t->rows - 1, 0, t->cols, R_TITLE, " %s", hint);
}

static void draw_too_small(struct tui *t)
{
	char *a = xasprintf("meshmedic needs a terminal of at least %dx%d;", MIN_COLS, MIN_ROWS);
	char *b = xasprintf("this one is %dx%d. Enlarge it, or press q to quit.", t->cols, t->rows);
	int y = t->rows / 2 - 1;
	tui_put(y < 0 ? 0 : y, 0, t->cols, R_BOLD, a);
	tui_put(y + 1 < 0 ? 0 : y + 1, 0, t->cols, R_PLAIN, b);
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
		tui_top(t)->draw(t);
		draw_bottom(t);
		if (t->prompt.active)
			curs_set(1);
	}
	refresh();
}

/* ---- the session ---- */

static void setup_screens(struct tui *t)
{
	struct tui_setup *s = t->s;
	if (s->onboard) {
		onboard_open(t);
		return;
	}
	picker_open(t);
	if (s->resume) {
		char *err = NULL;
		if (!state_restore(t, s->resume, &err)) {
			tui_msg(t, true, "cannot resume: %s", err);
			free(err);
		}
		return;
	}
	if (!s->flow)
		return;
	t->flow = s->flow;
	inputs_open(t, s->flow);
	/* the inputs given on the command line may be all the walk needs */
	bool complete = true;
	for (size_t i = 0; i < s->flow->ninputs; i++)
		if (s->flow->inputs[i].required && !*t->form.val[i])
			complete = false;
	if (complete) {
		struct kvlist none = {0};
		walk_start(t, &none);
	}
}

static void tui_free(struct tui *t)
{
	if (t->walking)
		walk_free(&t->w);
	question_reset(t);
	free(t->form.val);
	sl_free(&t->form.names);
	pager_free(&t->pager);
	pager_free(&t->diag);
	sl_free(&t->job.names);
	cmdlog_free(&t->log);
	free(t->msg);
	free(t->state_path);
}

int tui_run(struct tui_setup *s)
{
	struct tui t;
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.kb = s->c->kb;
	t.state_path = state_default_path();
	cmdlog_init(&t.log);
	term_setup(&t);
	setup_screens(&t);
	bool quit = false;
	while (!quit && !got_signal) {
		job_poll(&t);
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
		quit = dispatch(&t, ch) & K_QUIT;
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
