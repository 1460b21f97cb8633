#include "cluster/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

/* ---- the allow-list ---- */

static bool in_list(const char *s, const char *const list[])
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Flags of kubectl get that take the next word as their value. */
static const char *const get_value_flags[] = {
	"-n", "--namespace", "-o", "--output", "-l", "--selector", "--field-selector",
	"--context", "--kubeconfig", "--chunk-size", "--request-timeout", "-L",
	"--label-columns", "--sort-by", "--template", NULL};

/* Whether a resource word of kubectl get ("pods,secrets", "secret/x", "secrets.v1.") is Secrets. */
static bool names_secrets(const char *word)
{
	const char *p = word;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t type = strcspn(p, "/.");
		if (type > n)
			type = n;
		if ((type == 6 && strncasecmp(p, "secret", 6) == 0) ||
		    (type == 7 && strncasecmp(p, "secrets", 7) == 0))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Flags that would widen what kubectl may read or who it acts as. */
static bool forbidden_flag(const char *a)
{
	static const char *const bad[] = {"--raw", "--as", "--as-group", "--as-uid", "--token",
					  NULL};
	for (size_t i = 0; bad[i]; i++) {
		size_t n = strlen(bad[i]);
		if (strncmp(a, bad[i], n) == 0 && (a[n] == '\0' || a[n] == '='))
			return true;
	}
	return false;
}

bool exec_allowed(const char *const argv[], char **why)
{
	static const char *const kubectl_verbs[] = {"get", "logs", "version", "port-forward", NULL};
	static const char *const istioctl_verbs[] = {"proxy-status", "proxy-config", "analyze",
						     "version", NULL};
	const char *prog = argv && argv[0] ? argv[0] : "";
	const char *verb = argv && argv[0] && argv[1] ? argv[1] : NULL;
	bool kubectl = strcmp(prog, "kubectl") == 0, istioctl = strcmp(prog, "istioctl") == 0;
	bool ok = false;
	if (kubectl && verb)
		ok = in_list(verb, kubectl_verbs) ||
		     (strcmp(verb, "auth") == 0 && argv[2] && strcmp(argv[2], "can-i") == 0) ||
		     (strcmp(verb, "config") == 0 && argv[2] &&
		      strcmp(argv[2], "current-context") == 0);
	else if (istioctl && verb)
		ok = in_list(verb, istioctl_verbs) ||
		     (strcmp(verb, "x") == 0 && argv[2] && strcmp(argv[2], "describe") == 0) ||
		     /* the policies a pod's proxy enforces, read from its config_dump */
		     (strcmp(verb, "x") == 0 && argv[2] && strcmp(argv[2], "authz") == 0 && argv[3] &&
		      strcmp(argv[3], "check") == 0);
	if (!ok) {
		char *what = argv && argv[0] ? exec_describe(argv) : xstrdup("(empty command)");
		char *clean = sanitize(what, false);
		*why = xasprintf("refused to run '%s': only kubectl get|logs|version|port-forward|"
				 "auth can-i|config current-context and istioctl proxy-status|proxy-config|analyze|"
				 "version|x describe|x authz check are allowed",
				 clean);
		free(clean);
		free(what);
		return false;
	}
	bool positional_seen = false;
	for (size_t i = 2; argv[i]; i++) {
		const char *a = argv[i];
		if (kubectl && forbidden_flag(a)) {
			char *clean = sanitize(a, false);
			*why = xasprintf("refused to run kubectl with '%s': raw API paths, tokens "
					 "and impersonation are not allowed",
					 clean);
			free(clean);
			return false;
		}
		if (!kubectl || strcmp(verb, "get") != 0)
			continue;
		if (a[0] == '-') {
			if (in_list(a, get_value_flags) && argv[i + 1])
				i++;
			continue;
		}
		/* the first word is the resource list; later ones are names or TYPE/NAME */
		if ((!positional_seen || strchr(a, '/')) && names_secrets(a)) {
			*why = xstrdup("refused to run kubectl get on Secrets: "
				       "meshmedic never reads them");
			return false;
		}
		positional_seen = true;
	}
	return true;
}

char *exec_describe(const char *const argv[])
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; argv[i] && (i == 0 || argv[i][0] != '-'); i++) {
		if (i)
			sb_addc(&b, ' ');
		sb_add(&b, argv[i]);
	}
	return sb_steal(&b);
}

/* ---- running ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum child_state { CH_WAITING, CH_RUNNING, CH_DONE };

struct child {
	enum child_state state;
	pid_t pid;
	int fd[2];            /* stdout, stderr; -1 once closed */
	struct sbuf buf[2];
	size_t cap;
	int64_t deadline;     /* SIGTERM then */
	int64_t kill_at;      /* SIGKILL then, once terminating */
	bool term_sent, kill_sent, exited, lost;
};

/*
 * In the child: a session of its own (its own process group, and no
 * controlling terminal, so nothing it runs can draw on the TUI or stop on a
 * terminal read), default signals, the pipes as stdio, then exec. Never returns.
 */
static void child_exec(const char *const argv[], int in, int out, int err, int status_fd)
{
	static const int sigs[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP,
				   SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM};
	setsid();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < MM_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* first above 2, so that no dup2 below overwrites another of them */
	int fds[3] = {in, out, err};
	bool ok = true;
	for (int i = 0; i < 3 && ok; i++)
		ok = (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) >= 0;
	for (int i = 0; i < 3 && ok; i++)
		ok = dup2(fds[i], i) == i;
	if (ok)
		execvp(argv[0], (char *const *)argv);
	/* tell the parent why, through the close-on-exec status pipe */
	int e = errno;
	ssize_t unused = write(status_fd, &e, sizeof(e));
	(void)unused;
	_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The process groups of the commands running now, for a signal handler (0: a free slot). */
#define MAX_RUNNING (4 * EXEC_PARALLEL)
static volatile sig_atomic_t running_pids[MAX_RUNNING];

static void running_add(pid_t pid)
{
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (!running_pids[i]) {
			running_pids[i] = pid;
			return;
		}
}

static void running_remove(pid_t pid)
{
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (running_pids[i] == pid)
			running_pids[i] = 0;
}

/* Start one command; false (with r filled) if it was refused or could not start. */
static bool child_start(struct child *ch, const char *const argv[], int timeout_ms,
			size_t out_cap, struct exec_result *r)
{
	char *why;
	if (!exec_allowed(argv, &why)) {
		r->refused = true;
		r->error = why;
		return false;
	}
	int in = -1, out[2] = {-1, -1}, err[2] = {-1, -1}, st[2] = {-1, -1};
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
	    pipe2(st, O_CLOEXEC) != 0) {
		r->error = xasprintf("cannot run %s: %s", argv[0], strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r->error = xasprintf("cannot run %s: fork: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(argv, in, out[1], err[1], st[1]);
	close_fd(&in);
	close_fd(&out[1]);
	close_fd(&err[1]);
	close_fd(&st[1]);
	/* returns at the exec (the pipe closes), so the child has its own group by then */
	int e = 0;
	ssize_t k;
	do
		k = read(st[0], &e, sizeof(e));
	while (k < 0 && errno == EINTR);
	close_fd(&st[0]);
	if (k == (ssize_t)sizeof(e)) {
		/* exec failed and the child has exited */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->not_found = e == ENOENT;
		r->error = e == ENOENT ? xasprintf("%s not found on PATH", argv[0])
				       : xasprintf("cannot run %s: %s", argv[0], strerror(e));
		goto fail;
	}
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	ch->pid = pid;
	ch->fd[0] = out[0];
	ch->fd[1] = err[0];
	sb_init(&ch->buf[0]);
	sb_init(&ch->buf[1]);
	ch->cap = out_cap ? out_cap : SIZE_MAX;
	ch->deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	ch->state = CH_RUNNING;
	running_add(pid);
	return true;
fail:
	close_fd(&in);
	for (int i = 0; i < 2; i++) {
		close_fd(&out[i]);
		close_fd(&err[i]);
		close_fd(&st[i]);
	}
	return false;
}

/* SIGTERM to the whole group; SIGKILL follows after the grace. */
static void child_terminate(struct child *ch, int64_t now)
{
	if (ch->term_sent)
		return;
	kill(-ch->pid, SIGTERM);
	kill(-ch->pid, SIGCONT); /* a stopped process handles SIGTERM only once continued */
	ch->term_sent = true;
	ch->kill_at = now + EXEC_GRACE_MS;
}

/* Read what is there on stream k (0 stdout, 1 stderr) without blocking. */
static void child_read(struct child *ch, int k, struct exec_result *r)
{
	char buf[65536];
	while (ch->fd[k] >= 0) {
		ssize_t n = read(ch->fd[k], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(&ch->fd[k]);
			return;
		}
		struct sbuf *b = &ch->buf[k];
		size_t cap = k == 0 ? ch->cap : EXEC_ERR_CAP;
		size_t room = cap - b->len;
		if ((size_t)n <= room) {
			sb_addn(b, buf, (size_t)n);
			continue;
		}
		sb_addn(b, buf, room);
		if (k == 1)
			continue; /* stderr beyond its cap is dropped; the child goes on */
		/* stdout beyond the cap: stop reading and end the child */
		r->truncated = true;
		close_fd(&ch->fd[0]);
		child_terminate(ch, now_ms());
	}
}

/* Whether the child has exited, leaving it a zombie so its group id stays reserved. */
static bool child_exited(struct child *ch)
{
	if (ch->exited)
		return true;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)ch->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
		ch->exited = si.si_pid == ch->pid;
	} else if (errno == ECHILD) {
		/* reaped behind our back (SIGCHLD ignored): nothing to wait for */
		ch->exited = ch->lost = true;
	}
	return ch->exited;
}

/* The leader has exited: kill what it left in its group, reap it, fill the result. */
static void child_finish(struct child *ch, struct exec_result *r)
{
	child_read(ch, 0, r);
	child_read(ch, 1, r);
	int st = 0;
	if (!ch->lost) {
		kill(-ch->pid, SIGKILL);
		while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	running_remove(ch->pid);
	close_fd(&ch->fd[0]);
	close_fd(&ch->fd[1]);
	if (ch->lost) {
		r->status = -1;
	} else if (WIFEXITED(st)) {
		r->status = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		r->status = -1;
		r->signal = WTERMSIG(st);
	}
	r->out_len = ch->buf[0].len;
	r->out = sb_steal(&ch->buf[0]);
	r->err = sb_steal(&ch->buf[1]);
	ch->state = CH_DONE;
}

/* ---- hooks: cancel, observe ---- */

static atomic_int cancel_requested;
static exec_observer observer;
static void *observer_arg;

void exec_cancel_all(void)
{
	atomic_store(&cancel_requested, 1);
}

void exec_cancel_reset(void)
{
	atomic_store(&cancel_requested, 0);
}

static bool cancelled(void)
{
	return atomic_load(&cancel_requested) != 0;
}

void exec_set_observer(exec_observer fn, void *arg)
{
	observer = fn;
	observer_arg = arg;
}

static void observe(const char *const argv[], const struct exec_result *r)
{
	if (observer)
		observer(observer_arg, argv, r);
}

static bool result_ok(const struct exec_result *r)
{
	return !r->error && r->status == 0 && !r->signal && !r->timed_out && !r->truncated;
}

size_t exec_run_many(size_t n, const char *const *const argvs[], int timeout_ms, size_t out_cap,
		     struct exec_result results[])
{
	return exec_run_many_ff(n, argvs, timeout_ms, out_cap, results, NULL, NULL);
}

size_t exec_run_many_ff(size_t n, const char *const *const argvs[], int timeout_ms,
			size_t out_cap, struct exec_result results[], exec_fatal_fn fatal,
			char **cause)
{
	char *stop = NULL; /* the cause that ends every command */
	struct child *ch = xcalloc(n ? n : 1, sizeof(*ch));
	size_t next = 0, running = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		results[i].status = -1;
		ch[i].fd[0] = ch[i].fd[1] = -1;
	}
	for (;;) {
		while (running < EXEC_PARALLEL && next < n) {
			struct exec_result *r = &results[next];
			if (cancelled()) {
				r->error = xstrdup(EXEC_CANCELLED);
			} else if (stop) {
				r->error = xasprintf("%s: %s", EXEC_STOPPED, stop);
			} else if (child_start(&ch[next], argvs[next], timeout_ms, out_cap, r)) {
				observe(argvs[next], NULL);
				running++;
				next++;
				continue;
			}
			results[next].out = xstrdup("");
			results[next].err = xstrdup("");
			ch[next].state = CH_DONE;
			observe(argvs[next], r);
			next++;
		}
		if (!running)
			break;
		struct pollfd pfd[2 * EXEC_PARALLEL];
		size_t owner[2 * EXEC_PARALLEL];
		int stream[2 * EXEC_PARALLEL];
		nfds_t np = 0;
		int64_t now = now_ms(), wait = 100;
		for (size_t i = 0; i < next; i++) {
			if (ch[i].state != CH_RUNNING)
				continue;
			for (int k = 0; k < 2; k++)
				if (ch[i].fd[k] >= 0) {
					pfd[np].fd = ch[i].fd[k];
					pfd[np].events = POLLIN;
					owner[np] = i;
					stream[np++] = k;
				}
			/* both pipes closed but not yet exited: look again soon */
			if (ch[i].fd[0] < 0 && ch[i].fd[1] < 0 && wait > 2)
				wait = 2;
			int64_t due = !ch[i].term_sent  ? ch[i].deadline
				      : !ch[i].kill_sent ? ch[i].kill_at
							 : now + 100;
			if (due - now < wait)
				wait = due - now < 0 ? 0 : due - now;
		}
		if (poll(pfd, np, (int)wait) > 0)
			for (nfds_t p = 0; p < np; p++)
				if (pfd[p].revents) {
					size_t i = owner[p];
					/* fail fast on what a command said once it has exited: its whole last word */
					child_read(&ch[i], stream[p], &results[i]);
				}
		now = now_ms();
		for (size_t i = 0; i < next; i++) {
			struct child *c = &ch[i];
			if (c->state != CH_RUNNING)
				continue;
			if (child_exited(c)) {
				child_finish(c, &results[i]);
				running--;
				if (fatal && !stop && !result_ok(&results[i]))
					stop = fatal(argvs[i], results[i].err, true);
				observe(argvs[i], &results[i]);
			} else if (!c->term_sent && stop) {
				results[i].error = xasprintf("%s: %s", EXEC_STOPPED, stop);
				child_terminate(c, now);
			} else if (!c->term_sent && cancelled()) {
				results[i].error = xstrdup(EXEC_CANCELLED);
				child_terminate(c, now);
			} else if (!c->term_sent && now >= c->deadline) {
				results[i].timed_out = true;
				child_terminate(c, now);
			} else if (c->term_sent && !c->kill_sent && now >= c->kill_at) {
				kill(-c->pid, SIGKILL);
				c->kill_sent = true;
			}
		}
	}
	free(ch);
	if (cause)
		*cause = stop;
	else
		free(stop);
	size_t ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += result_ok(&results[i]);
	return ok;
}

bool exec_run(const char *const argv[], int timeout_ms, size_t out_cap, struct exec_result *r)
{
	const char *const *const argvs[] = {argv};
	return exec_run_many(1, argvs, timeout_ms, out_cap, r) == 1;
}

void exec_result_free(struct exec_result *r)
{
	free(r->out);
	free(r->err);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* ---- long-running commands (kubectl port-forward) ---- */

struct exec_bg {
	struct child ch;
	struct exec_result r;
	struct strlist argv; /* for exec_explain when it ends early */
	struct exec_bg *next;
};

/* Every running background command, so a signal can end their groups too. */
static struct exec_bg *bg_running;
static bool bg_handlers;

void exec_kill_background(void)
{
	for (struct exec_bg *b = bg_running; b; b = b->next)
		kill(-b->ch.pid, SIGKILL);
}

void exec_kill_all(void)
{
	for (size_t i = 0; i < MAX_RUNNING; i++) {
		pid_t pid = (pid_t)running_pids[i];
		if (pid > 0)
			kill(-pid, SIGKILL);
	}
	exec_kill_background();
}

static void on_fatal_signal(int sig)
{
	exec_kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void exec_install_signal_handlers(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal_signal;
	for (size_t i = 0; i < MM_ARRAY_LEN(sigs); i++) {
		struct sigaction old;
		sigaction(sigs[i], NULL, &old);
		/* a signal the shell ignores (nohup, a background job's SIGINT) stays ignored */
		if (old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
	bg_handlers = true;
}

static void bg_on_signal(int sig)
{
	exec_kill_background();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Install once: a fatal signal to meshmedic also ends every port-forward it started. */
static void bg_install_handlers(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	if (bg_handlers)
		return;
	bg_handlers = true;
	for (size_t i = 0; i < MM_ARRAY_LEN(sigs); i++) {
		struct sigaction old;
		sigaction(sigs[i], NULL, &old);
		/* leave a handler the program set itself (the TUI) alone */
		if (old.sa_handler == SIG_DFL)
			signal(sigs[i], bg_on_signal);
	}
}

struct exec_bg *exec_bg_start(const char *const argv[], char **error)
{
	struct exec_bg *b = xcalloc(1, sizeof(*b));
	b->ch.fd[0] = b->ch.fd[1] = -1;
	b->r.status = -1;
	/* no deadline: it runs until exec_bg_stop */
	if (!child_start(&b->ch, argv, 0, 1024 * 1024, &b->r)) {
		*error = b->r.error ? xstrdup(b->r.error) : xstrdup("cannot start");
		exec_result_free(&b->r);
		free(b);
		return NULL;
	}
	b->ch.deadline = INT64_MAX;
	for (size_t i = 0; argv[i]; i++)
		sl_add(&b->argv, argv[i]);
	sl_take(&b->argv, NULL); /* NULL-terminated, as argv */
	bg_install_handlers();
	b->next = bg_running;
	bg_running = b;
	return b;
}

/* The first complete stdout line containing needle (new string), or NULL. */
static char *bg_find_line(const struct sbuf *b, const char *needle)
{
	const char *s = b->s ? b->s : "", *hit = strstr(s, needle);
	if (!hit)
		return NULL;
	const char *start = hit, *end = strchr(hit, '\n');
	while (start > s && start[-1] != '\n')
		start--;
	return end ? xstrndup(start, (size_t)(end - start)) : NULL;
}

char *exec_bg_wait_line(struct exec_bg *b, const char *needle, int timeout_ms, char **error)
{
	int64_t until = now_ms() + timeout_ms;
	for (;;) {
		char *line = bg_find_line(&b->ch.buf[0], needle);
		if (line)
			return line;
		if (b->ch.state != CH_RUNNING || child_exited(&b->ch)) {
			if (b->ch.state == CH_RUNNING)
				child_finish(&b->ch, &b->r);
			const char *const *argv = (const char *const *)b->argv.v;
			*error = exec_explain(argv, &b->r, timeout_ms);
			if (!*error)
				*error = xstrdup("it exited before it was ready");
			return NULL;
		}
		if (cancelled()) {
			*error = xstrdup(EXEC_CANCELLED);
			return NULL;
		}
		int64_t left = until - now_ms();
		if (left <= 0) {
			*error = xasprintf("no answer within %d s", timeout_ms / 1000);
			return NULL;
		}
		struct pollfd pfd[2];
		nfds_t np = 0;
		for (int k = 0; k < 2; k++)
			if (b->ch.fd[k] >= 0)
				pfd[np++] = (struct pollfd){.fd = b->ch.fd[k], .events = POLLIN};
		poll(pfd, np, (int)(left < 50 ? left : 50));
		for (nfds_t p = 0; p < np; p++)
			if (pfd[p].revents)
				child_read(&b->ch, pfd[p].fd == b->ch.fd[0] ? 0 : 1, &b->r);
	}
}

void exec_bg_stop(struct exec_bg *b)
{
	if (!b)
		return;
	for (struct exec_bg **p = &bg_running; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
	if (b->ch.state == CH_RUNNING) {
		child_terminate(&b->ch, now_ms());
		while (!child_exited(&b->ch)) {
			if (!b->ch.kill_sent && now_ms() >= b->ch.kill_at) {
				kill(-b->ch.pid, SIGKILL);
				b->ch.kill_sent = true;
			}
			poll(NULL, 0, 10);
		}
		child_finish(&b->ch, &b->r);
	}
	sb_free(&b->ch.buf[0]);
	sb_free(&b->ch.buf[1]);
	exec_result_free(&b->r);
	sl_free(&b->argv);
	free(b);
}

/* ---- explaining failures ---- */

/* The line of text containing needle, without klog's "E0102 15:04:05.000 123 f.go:1] " prefix. */
static char *line_with(const char *text, const char *needle)
{
	const char *hit = needle ? strstr(text, needle) : text;
	if (!hit)
		return NULL;
	const char *start = hit;
	while (start > text && start[-1] != '\n')
		start--;
	const char *end = strchr(hit, '\n');
	size_t len = end ? (size_t)(end - start) : strlen(start);
	if (len && strchr("IWEF", start[0]) && start[1] >= '0' && start[1] <= '9') {
		const char *close = memchr(start, ']', len);
		if (close && close + 1 < start + len) {
			len -= (size_t)(close + 2 - start);
			start = close + 2;
		}
	}
	while (len && (start[len - 1] == '\r' || start[len - 1] == ' '))
		len--;
	/* "error: " says nothing the cause does not */
	if (len > 7 && strncmp(start, "error: ", 7) == 0) {
		start += 7;
		len -= 7;
	}
	if (len > 300)
		len = 300;
	char *raw = xstrndup(start, len);
	char *clean = sanitize(raw, false);
	free(raw);
	return clean;
}

/* The first line of text that is not blank, or NULL. */
static char *first_line(const char *text)
{
	const char *p = text + strspn(text, " \t\r\n");
	return *p ? line_with(p, NULL) : NULL;
}

/* The text after key up to the next space or quote (new string), or NULL if key is absent. */
static char *word_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	if (!p)
		return NULL;
	p += strlen(key);
	return xstrndup(p, strcspn(p, "\" \n"));
}

/*
 * kubectl's Forbidden message, new and old:
 *   pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope
 *   pods "p" is forbidden: User "u" cannot get resource "pods/log" in API group ""
 *     in the namespace "ns"
 *   pods is forbidden: User "u" cannot list pods at the cluster scope
 * becomes "forbidden: your credentials cannot list pods (ask for get/list on pods)".
 */
static char *explain_forbidden(const char *err)
{
	const char *f = strstr(err, "is forbidden:");
	const char *cannot = f ? strstr(f, " cannot ") : NULL;
	if (!cannot) {
		char *line = line_with(err, "orbidden");
		char *s = xasprintf("forbidden: %s", line);
		free(line);
		return s;
	}
	char *msg = xstrndup(cannot, strcspn(cannot, "\n"));
	char *verb = word_after(msg, " cannot ");
	char *res = word_after(msg, " resource \"");
	if (!res) {
		/* the old form names the resource right after the verb */
		const char *p = msg + strlen(" cannot ") + strlen(verb);
		p += strspn(p, " ");
		res = xstrndup(p, strcspn(p, " \n"));
	}
	char *group = word_after(msg, " in API group \"");
	char *ns = word_after(msg, " in the namespace \"");
	const char *ask = strcmp(verb, "list") == 0    ? "get/list"
			  : strcmp(verb, "watch") == 0 ? "get/list/watch"
						       : verb;
	char *where = ns ? xasprintf(" in namespace %s", ns) : xstrdup("");
	char *raw;
	if (group && *group)
		raw = xasprintf("forbidden: your credentials cannot %s %s.%s (ask for %s on %s in "
				"API group %s%s)",
				verb, res, group, ask, res, group, where);
	else
		raw = xasprintf("forbidden: your credentials cannot %s %s (ask for %s on %s%s)",
				verb, res, ask, res, where);
	char *s = sanitize(raw, false);
	free(raw);
	free(where);
	free(ns);
	free(group);
	free(res);
	free(verb);
	free(msg);
	return s;
}

char *exec_forbidden(const char *err)
{
	return strstr(err, "(Forbidden)") || strstr(err, "is forbidden:") ? explain_forbidden(err)
									   : NULL;
}

/* The first of needles found in err, or NULL. */
static const char *find_any(const char *err, const char *const needles[])
{
	for (size_t i = 0; needles[i]; i++)
		if (strstr(err, needles[i]))
			return needles[i];
	return NULL;
}

static const char *const unreachable[] = {
	"Unable to connect to the server", "The connection to the server", "connection refused",
	"no such host", "i/o timeout", "TLS handshake timeout", "no route to host",
	"network is unreachable", "connection reset by peer", "Client.Timeout exceeded",
	"context deadline exceeded", ": EOF", NULL};
static const char *const unauthorized[] = {"You must be logged in", "(Unauthorized)",
					   "provide credentials", NULL};
static const char *const misconfigured[] = {"context was not found for specified context",
					    "does not exist", "Error in configuration",
					    "no configuration has been provided",
					    "invalid configuration", NULL};

/*
 * The last line of err that says why kubectl gave up: its final "error: "
 * or "Unable to connect" line, else the cause inside the last klog line
 * (E... memcache.go:265] "Unhandled Error" err="couldn't get ...: CAUSE"),
 * else NULL. New string.
 */
static char *final_line(const char *err)
{
	const char *best = NULL, *klog = NULL;
	for (const char *p = err; p && *p;) {
		if (strncmp(p, "error: ", 7) == 0 || strncmp(p, "Error from server", 17) == 0 ||
		    strncmp(p, "Unable to connect", 17) == 0 || strncmp(p, "Error in configuration", 22) == 0 ||
		    strncmp(p, "The connection to the server", 28) == 0)
			best = p;
		else if (strchr("EF", p[0]) && p[1] >= '0' && p[1] <= '9')
			klog = p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (best)
		return line_with(best, NULL);
	const char *cause = klog ? strstr(klog, "err=\"") : NULL;
	if (!cause)
		return klog ? line_with(klog, NULL) : NULL;
	cause += 5;
	const char *colon = strstr(cause, "API group list: ");
	if (colon && colon < cause + strcspn(cause, "\n"))
		cause = colon + 16;
	size_t len = strcspn(cause, "\n");
	if (len && cause[len - 1] == '"')
		len--;
	/* klog quotes: \" inside the value */
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < len; i++)
		if (!(cause[i] == '\\' && i + 1 < len && cause[i + 1] == '"'))
			sb_addc(&b, cause[i]);
	char *raw = sb_steal(&b);
	char *clean = line_with(raw, NULL);
	free(raw);
	return clean;
}

char *exec_fatal_cause(const char *err)
{
	const char *hit;
	if (!err || !*err || strstr(err, "(Forbidden)") || strstr(err, "is forbidden:"))
		return NULL;
	char *line = NULL, *s = NULL;
	if (find_any(err, unauthorized)) {
		line = final_line(err);
		s = xasprintf("unauthorized: the cluster rejected your credentials (%s)",
			      line ? line : "Unauthorized");
	} else if ((hit = find_any(err, misconfigured)) &&
		   (strstr(err, "context") || strstr(err, "configuration"))) {
		line = final_line(err);
		s = xasprintf("kubeconfig: %s", line ? line : hit);
	} else if (find_any(err, unreachable)) {
		line = final_line(err);
		s = xasprintf("cluster unreachable: %s", line ? line : "no answer");
	}
	free(line);
	return s;
}

/* A failed exit: what its stderr says, in one line. */
static char *explain_stderr(const char *what, const struct exec_result *r)
{
	const char *err = r->err ? r->err : "";
	char *line, *s;
	if (strstr(err, "(Forbidden)") || strstr(err, "is forbidden:"))
		return explain_forbidden(err);
	if ((s = exec_fatal_cause(err)))
		return s;
	if (strstr(err, "the server doesn't have a resource type")) {
		line = line_with(err, "the server doesn't have a resource type");
		s = xasprintf("not found: %s%s", line,
			      strstr(what, ".istio.io") ? " (are Istio's CRDs installed?)" : "");
	} else if (strstr(err, "previous terminated container")) {
		line = line_with(err, "previous terminated container");
		s = xasprintf("no previous log: %s", line);
	} else if (strstr(err, "is not valid for pod")) {
		line = line_with(err, "is not valid for pod");
		s = xasprintf("not found: %s", line);
	} else if (strstr(err, "(NotFound)") || strstr(err, " not found")) {
		line = line_with(err, strstr(err, "(NotFound)") ? "(NotFound)" : " not found");
		s = xasprintf("not found: %s", line);
	} else {
		/* kubectl's last word (its final error: line), not the first of its retries */
		line = final_line(err);
		if (!line)
			line = first_line(err);
		s = xasprintf("%s failed (exit %d): %s", what, r->status,
			      line ? line : "no error message");
	}
	free(line);
	return s;
}

char *exec_explain(const char *const argv[], const struct exec_result *r, int timeout_ms)
{
	if (result_ok(r))
		return NULL;
	if (r->error)
		return xstrdup(r->error);
	char *what = exec_describe(argv);
	char *s;
	char *cause = r->timed_out ? exec_fatal_cause(r->err) : NULL;
	if (cause) {
		/* kubectl was still retrying: what it met is the cause, not our timeout */
		if (timeout_ms % 1000 == 0)
			s = xasprintf("%s (%s gave up at the timeout of %d s)", cause, what,
				      timeout_ms / 1000);
		else
			s = xasprintf("%s (%s gave up at the timeout of %.1f s)", cause, what,
				      timeout_ms / 1000.0);
		free(cause);
	} else if (r->timed_out) {
		if (timeout_ms % 1000 == 0)
			s = xasprintf("timed out after %d s: %s", timeout_ms / 1000, what);
		else
			s = xasprintf("timed out after %.1f s: %s", timeout_ms / 1000.0, what);
	} else if (r->truncated) {
		s = xasprintf("output too large: %s wrote more than %zu bytes", what, r->out_len);
	} else if (r->signal) {
		s = xasprintf("%s was killed by signal %d (%s)", what, r->signal,
			      strsignal(r->signal));
	} else {
		s = explain_stderr(what, r);
	}
	free(what);
	return s;
}
