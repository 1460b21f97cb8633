/*
 * Running kubectl and istioctl, and nothing else.
 *
 * Every command goes through exec_run or exec_run_many, which first check
 * it against the allow-list of read-only verbs (exec_allowed) and refuse
 * anything else without starting a process. A command is an argv array
 * (never a shell) looked up on PATH; stdin is /dev/null; stdout and stderr
 * are captured through pipes read with one poll() loop. Each child runs in
 * a session and process group of its own (setsid: no controlling terminal),
 * so a timeout (SIGTERM, then SIGKILL after a short grace) or the output cap
 * ends it together with anything it started, and every child is waited
 * for: nothing is left running or unreaped.
 *
 * Ownership: exec_result's strings belong to it until exec_result_free.
 */
#ifndef MM_EXEC_H
#define MM_EXEC_H

#include <stdbool.h>
#include <stddef.h>

/* How a command ended. */
struct exec_result {
	int status;       /* exit code, or -1 (did not run, or ended by a signal) */
	int signal;       /* the signal that ended it, or 0 */
	bool timed_out;   /* killed at the timeout */
	bool truncated;   /* stdout went beyond the cap: kept up to it, the child killed */
	bool not_found;   /* the program is not on PATH */
	bool refused;     /* not on the allow-list: never started */
	char *out, *err;  /* stdout and stderr, NUL-terminated (never NULL after a run) */
	size_t out_len;
	char *error;      /* why it did not run (refused, not found, cannot execute), or NULL */
};

/* How many commands exec_run_many runs at once. */
/* every kind the live source reads goes in one round: a dead cluster costs one --timeout, not three */
#define EXEC_PARALLEL 24
/* Between SIGTERM and SIGKILL. */
#define EXEC_GRACE_MS 500
/* stderr beyond this is dropped (the child keeps running). */
#define EXEC_ERR_CAP (64 * 1024)

/*
 * Whether argv is allowed: kubectl get|logs|version|port-forward|auth can-i,
 * istioctl proxy-status|proxy-config|analyze|version|x describe, with the
 * verb right after the program name; never Secrets, never --raw or
 * impersonation. false with *why (new string) if not.
 */
bool exec_allowed(const char *const argv[], char **why);

/*
 * Run one command (NULL-terminated argv) with a timeout (ms, > 0) and a cap
 * on its stdout (bytes; 0 for none). True if it ran and exited 0 within
 * both; otherwise the result says what happened (exec_explain puts it in
 * words). The result is always filled; free it with exec_result_free.
 */
bool exec_run(const char *const argv[], int timeout_ms, size_t out_cap, struct exec_result *r);

/*
 * Run n commands concurrently (EXEC_PARALLEL at a time, each timed from its
 * start) in one poll loop; results[i] is for argvs[i]. Returns how many
 * succeeded as exec_run counts success.
 */
size_t exec_run_many(size_t n, const char *const *const argvs[], int timeout_ms, size_t out_cap,
		     struct exec_result results[]);

/*
 * Fail fast: a judge of a command's stderr (err, so far, or all of it once
 * it has exited) that returns the cause (new string) when it shows that no
 * command can succeed (the cluster unreachable, the context unknown, the
 * credentials refused), else NULL.
 */
typedef char *(*exec_fatal_fn)(const char *const argv[], const char *err, bool exited);
/* A command ended or never started because another showed the cluster unusable: "stopped: CAUSE". */
#define EXEC_STOPPED "stopped"
/*
 * exec_run_many, but the first cause fatal returns ends every command still
 * running and starts no more (their .error says EXEC_STOPPED and the cause);
 * *cause (may be NULL) gets it, or NULL.
 */
size_t exec_run_many_ff(size_t n, const char *const *const argvs[], int timeout_ms,
			size_t out_cap, struct exec_result results[], exec_fatal_fn fatal,
			char **cause);

void exec_result_free(struct exec_result *r);

/*
 * Why a command failed, in one line (new string): not installed, refused,
 * forbidden (naming the verb and resource the credentials lack), cluster
 * unreachable, not found, timed out, killed by a signal, output too large,
 * or the command's own first line of error. NULL if it succeeded.
 */
char *exec_explain(const char *const argv[], const struct exec_result *r, int timeout_ms);
/*
 * kubectl's Forbidden message in one line with the verb and resource to ask
 * for ("forbidden: your credentials cannot list pods (ask for get/list on
 * pods)"); NULL when err is no Forbidden. New string.
 */
char *exec_forbidden(const char *err);
/*
 * Whether kubectl's stderr shows that no command can succeed: "cluster
 * unreachable: ...", "unauthorized: ...", "kubeconfig: ..." with kubectl's
 * final word (new string); NULL if not (a Forbidden is not: it is per resource).
 */
char *exec_fatal_cause(const char *err);

/*
 * A long-running allowed command (kubectl port-forward): started in its own
 * process group like the others, read until it prints the line wanted, and
 * ended by exec_bg_stop (group SIGTERM, then SIGKILL), or by a fatal signal
 * to meshmedic. Never left running.
 */
struct exec_bg;
struct exec_bg *exec_bg_start(const char *const argv[], char **error);
/* Wait for a stdout line containing needle: the line (new string), or NULL with *error. */
char *exec_bg_wait_line(struct exec_bg *bg, const char *needle, int timeout_ms, char **error);
void exec_bg_stop(struct exec_bg *bg);

/* "kubectl get pods": the program and its words up to the first flag (new string). */
char *exec_describe(const char *const argv[]);

/*
 * Hooks for a front end that runs commands on another thread (the TUI).
 *
 * exec_cancel_all asks every command to end: running ones get SIGTERM (then
 * SIGKILL after the grace) at the next turn of their poll loop, commands not
 * yet started are not started, and exec_bg_wait_line gives up; each result
 * says EXEC_CANCELLED in .error. It holds until exec_cancel_reset.
 * Async-signal-safe.
 */
#define EXEC_CANCELLED "cancelled"
void exec_cancel_all(void);
void exec_cancel_reset(void);

/* SIGKILL every background command's process group at once; async-signal-safe. */
void exec_kill_background(void);
/* SIGKILL the process group of every command running now, background ones too; async-signal-safe. */
void exec_kill_all(void);
/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT end every command's process group
 * (exec_kill_all), then meshmedic, of the same signal. A front end that
 * handles them itself (the TUI, the prompt) installs its own over these.
 */
void exec_install_signal_handlers(void);

/*
 * Called, on the thread that runs the command, when exec_run/exec_run_many
 * start one (r NULL) and when it has ended or could not start (r its result).
 * One observer; NULL removes it.
 */
typedef void (*exec_observer)(void *arg, const char *const argv[], const struct exec_result *r);
void exec_set_observer(exec_observer fn, void *arg);

#endif
