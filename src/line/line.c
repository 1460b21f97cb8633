/* Lines from readline on a terminal, or from a script on stdin (see line/line.h). */
#include "line/line.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cluster/exec.h"
#include "session/session.h"

#define HISTORY_LINES 1000

struct line_reader {
	bool tty;
	char *history;
	line_candidates fn;
	void *arg;
	struct strlist cands;
	char *got;       /* the line readline handed over, NULL at Ctrl-D */
	bool done;
	bool cancelled;
	char *buf;       /* the script's line */
	size_t cap;
	struct sigaction old[3];
};

static const int handled[] = {SIGINT, SIGTERM, SIGHUP};

/* readline's callbacks take no argument: the one reader open. */
static struct line_reader *cur;
static volatile sig_atomic_t sig_int, sig_end, busy;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		sig_int = 1;
	else
		sig_end = sig;
	/* a running probe's commands end; at a prompt there are none */
	if (busy || sig != SIGINT)
		exec_cancel_all();
}

static char *candidate(const char *text, int state)
{
	static size_t i;
	size_t n = strlen(text);
	if (!state)
		i = 0;
	while (i < cur->cands.n) {
		const char *c = cur->cands.v[i++];
		if (strncmp(c, text, n) == 0 && strcmp(c, LINE_FILES) != 0)
			return strdup(c);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;
	sl_free(&cur->cands);
	if (cur->fn)
		cur->fn(cur->arg, rl_line_buffer, start, &cur->cands);
	if (sl_has(&cur->cands, LINE_FILES)) {
		rl_attempted_completion_over = 0;
		return NULL;
	}
	return rl_completion_matches(text, candidate);
}

static void on_line(char *line)
{
	cur->got = line;
	cur->done = true;
	/* no new prompt until the next read asks for one */
	rl_callback_handler_remove();
}

struct line_reader *line_open(bool tty, const char *history, line_candidates fn, void *arg)
{
	struct line_reader *r = xcalloc(1, sizeof(*r));
	r->tty = tty;
	r->fn = fn;
	r->arg = arg;
	cur = r;
	sig_int = sig_end = busy = 0;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocked read returns so that the signal is seen */
	for (size_t i = 0; i < MM_ARRAY_LEN(handled); i++)
		sigaction(handled[i], &sa, &r->old[i]);
	if (!tty)
		return r;
	rl_readline_name = "meshmedic";
	/* the signals are ours: readline must not re-raise them */
	rl_catch_signals = 0;
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = " \t";
	using_history();
	stifle_history(HISTORY_LINES);
	if (history) {
		r->history = xstrdup(history);
		read_history(history);
	}
	return r;
}

void line_close(struct line_reader *r)
{
	if (!r)
		return;
	if (r->tty && r->history && make_parents(r->history)) {
		/* created 0600 before readline writes it: history may hold names */
		int fd = open(r->history, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			fchmod(fd, 0600);
			close(fd);
			write_history(r->history);
		}
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(handled); i++)
		sigaction(handled[i], &r->old[i], NULL);
	sl_free(&r->cands);
	free(r->history);
	free(r->buf);
	free(r);
	cur = NULL;
	/* TERM or HUP ended the session: end as the signal would have */
	if (sig_end) {
		int sig = sig_end;
		sig_end = 0;
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* A line of the script: comments skipped, the line echoed after the prompt. */
static enum line_status read_script(struct line_reader *r, const char *prompt, char **out)
{
	fputs(prompt, stdout);
	fflush(stdout);
	for (;;) {
		errno = 0;
		ssize_t n = getline(&r->buf, &r->cap, stdin);
		if (n < 0) {
			fputc('\n', stdout);
			return LINE_EOF;
		}
		while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
			r->buf[--n] = '\0';
		if (r->buf[0] == '#')
			continue;
		char *clean = sanitize(r->buf, false);
		printf("%s\n", clean);
		free(clean);
		*out = xstrdup(r->buf);
		return LINE_OK;
	}
}

enum line_status line_read(struct line_reader *r, const char *prompt, char **out)
{
	*out = NULL;
	if (sig_end)
		return LINE_EOF;
	if (!r->tty)
		return read_script(r, prompt, out);
	fflush(stdout);
	r->done = false;
	r->got = NULL;
	sig_int = 0;
	rl_callback_handler_install(prompt, on_line);
	while (!r->done) {
		fd_set in;
		FD_ZERO(&in);
		FD_SET(STDIN_FILENO, &in);
		int n = select(STDIN_FILENO + 1, &in, NULL, NULL, NULL);
		if (n < 0 && errno == EINTR && (sig_int || sig_end)) {
			/* like a shell: the line stays on the screen, marked ^C */
			fputs(sig_int ? "^C" : "", stdout);
			fflush(stdout);
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_callback_handler_remove();
			fputs("\n", stdout);
			bool end = sig_end;
			sig_int = 0;
			return end ? LINE_EOF : LINE_INTERRUPTED;
		}
		if (n < 0 && errno != EINTR) {
			rl_callback_handler_remove();
			return LINE_EOF;
		}
		if (n > 0)
			rl_callback_read_char();
	}
	if (!r->got) {
		fputc('\n', stdout);
		return LINE_EOF;
	}
	if (*r->got)
		add_history(r->got);
	*out = xstrdup(r->got);
	free(r->got);
	return LINE_OK;
}

void line_busy(struct line_reader *r, bool on)
{
	if (on) {
		exec_cancel_reset();
		sig_int = 0;
		r->cancelled = false;
	} else {
		r->cancelled = sig_int;
		sig_int = 0;
		exec_cancel_reset();
	}
	busy = on;
}

bool line_cancelled(const struct line_reader *r)
{
	return r->cancelled;
}

int line_width(const struct line_reader *r)
{
	struct winsize ws;
	if (r->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col > 100 ? 100 : ws.ws_col;
	return 80;
}
