/*
 * The worker thread: one job at a time (a probe, or the names a field can
 * complete to), so that kubectl and istioctl may take their time while the
 * screen stays live. The main thread starts a job, leaves the walk and the
 * cluster alone until job_poll collects it, and may cancel it (Esc) through
 * exec's cancel hook. exec's observer hook records every command in the
 * command log, for the spinner and the evidence viewer.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "cluster/exec.h"
#include "session/session.h"
#include "tui/tui.h"

/* Lines of a command's output the evidence viewer keeps, and bytes of each. */
#define EXCERPT_LINES 12
#define LINE_CAP 400
/* The spinner shows after this long, so a quick job does not flicker. */
#define SPIN_AFTER_MS 200

static void *worker(void *arg)
{
	struct tui *t = arg;
	if (t->job.kind == JOB_PROBE)
		walk_probe_run(&t->w, t->s->cluster, &t->job.probe, NULL);
	else if (t->job.kind == JOB_CALL)
		t->job.run(t);
	else
		names_read(t->s->cluster, t->job.kind_name, t->job.ns, &t->job.names);
	atomic_store(&t->job.finished, true);
	return NULL;
}

void job_start(struct tui *t, enum job_kind kind, struct act (*done)(struct tui *t))
{
	struct job *j = &t->job;
	j->kind = kind;
	j->done = done;
	j->running = true;
	j->cancelled = false;
	j->started_ms = tui_now_ms();
	j->what = kind == JOB_NAMES ? "reading names from the cluster" : "asking the cluster";
	atomic_store(&j->finished, false);
	exec_cancel_reset();
	/* signals are the main thread's: it restores the terminal */
	sigset_t all, old;
	sigfillset(&all);
	static const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < MM_ARRAY_LEN(crash); i++)
		sigdelset(&all, crash[i]);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&j->thread, NULL, worker, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		/* no thread to be had: do the work here, the screen waits */
		worker(t);
		j->thread = pthread_self();
	}
}

struct act job_poll(struct tui *t)
{
	struct job *j = &t->job;
	if (!j->running || !atomic_load(&j->finished))
		return K_NONE;
	if (!pthread_equal(j->thread, pthread_self()))
		pthread_join(j->thread, NULL);
	j->running = false;
	return j->done ? j->done(t) : K_DONE;
}

void job_cancel(struct tui *t)
{
	t->job.cancelled = true;
	exec_cancel_all();
}

/* Wait until the worker has finished, at most ms; true if it has. */
static bool job_wait(struct tui *t, int ms)
{
	int64_t until = tui_now_ms() + ms;
	while (!atomic_load(&t->job.finished) && tui_now_ms() < until) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return atomic_load(&t->job.finished);
}

void job_stop(struct tui *t)
{
	if (!t->job.running)
		return;
	job_cancel(t);
	job_wait(t, INT32_MAX);
	job_poll(t);
}

void job_abandon(struct tui *t, int ms)
{
	if (!t->job.running)
		return;
	exec_cancel_all();
	if (job_wait(t, ms)) {
		if (!pthread_equal(t->job.thread, pthread_self()))
			pthread_join(t->job.thread, NULL);
		t->job.running = false;
		probe_result_free(&t->job.probe);
	}
}

char *job_status(struct tui *t)
{
	struct job *j = &t->job;
	if (!j->running)
		return NULL;
	int64_t now = tui_now_ms(), ms = now - j->started_ms;
	if (ms < SPIN_AFTER_MS)
		return NULL;
	if (j->cancelled)
		return xasprintf("%s cancelling%s", glyph_spin(ms), glyph_ellipsis());
	pthread_mutex_lock(&t->log.mu);
	/* a command started by this job, or else what the job does */
	const char *what = t->log.current && t->log.current_ms >= j->started_ms ? t->log.current
										 : j->what;
	char *s = xasprintf("%s %s  %.1f s", glyph_spin(ms), what, (double)ms / 1000);
	pthread_mutex_unlock(&t->log.mu);
	return s;
}

/* ---- the command log ---- */

/* How a command ended, in a few words. New string. */
static char *ending(const struct exec_result *r)
{
	if (r->error)
		return xstrdup(r->error);
	if (r->timed_out)
		return xstrdup("timed out");
	if (r->signal)
		return xasprintf("killed by signal %d", r->signal);
	if (r->truncated)
		return xasprintf("output cut at %zu bytes", r->out_len);
	return xasprintf("exit %d, %zu bytes of output", r->status, r->out_len);
}

/* Up to max lines of text (each cut at LINE_CAP bytes), prefixed, then how many were left out. */
static void excerpt(struct strlist *out, const char *text, const char *prefix, size_t max)
{
	size_t n = 0, more = 0;
	for (const char *p = text ? text : ""; *p;) {
		size_t len = strcspn(p, "\n");
		if (n < max) {
			char *raw = xstrndup(p, len < LINE_CAP ? len : LINE_CAP);
			char *clean = sanitize(raw, false);
			const char *cut = len > LINE_CAP ? " ..." : "";
			sl_take(out, xasprintf("%s%s%s", prefix, clean, cut));
			free(clean);
			free(raw);
		} else {
			more++;
		}
		n++;
		p += len;
		p += *p == '\n';
	}
	if (more)
		sl_take(out, xasprintf("%s(%zu more lines)", prefix, more));
}

static void observer(void *arg, const char *const argv[], const struct exec_result *r)
{
	struct cmdlog *l = arg;
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; argv[i]; i++)
		sb_printf(&b, "%s%s", i ? " " : "", argv[i]);
	char *cmd = sanitize(b.s ? b.s : "", false);
	sb_free(&b);
	pthread_mutex_lock(&l->mu);
	if (!r) {
		free(l->current);
		l->current = cmd;
		l->current_ms = tui_now_ms();
		cmd = NULL;
	} else {
		char *end = ending(r);
		sl_take(&l->lines, xasprintf("$ %s", cmd));
		sl_take(&l->lines, xasprintf("  %s", end));
		free(end);
		if (r->status != 0 && r->err && *r->err)
			excerpt(&l->lines, r->err, "  stderr: ", 3);
		excerpt(&l->lines, r->out, "  | ", EXCERPT_LINES);
		l->count++;
	}
	pthread_mutex_unlock(&l->mu);
	free(cmd);
}

void cmdlog_init(struct cmdlog *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	exec_set_observer(observer, l);
}

void cmdlog_free(struct cmdlog *l)
{
	exec_set_observer(NULL, NULL);
	sl_free(&l->lines);
	free(l->current);
	pthread_mutex_destroy(&l->mu);
}
