/*
 * The command line: options common to every command, the command table and
 * dispatch. main() is one call to cli_main.
 */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <stdbool.h>

#include "kb.h"
#include "report.h"
#include "walk.h"

struct opts {
	enum out_format format;
	bool no_color, batch, help;
	struct strlist sets, answer, flows_dirs;
	const char *answers_file;
	const char *snapshot, *ns, *context, *kubeconfig, *output;
	const char *log_format, *pod, *explain; /* logs */
	const char *envoy_admin, *prometheus;   /* base URLs of an open admin port, of Prometheus */
	const char *service;                    /* onboard: one workload's Service */
	bool live;
	int timeout_s;
	bool resume; /* tui: continue the autosaved session */
};

struct ctx {
	struct opts o;
	struct mm_kb *kb;
	struct out out;
	int argc;     /* the whole command line, for "continue with" hints */
	char **argv;
};

struct command {
	const char *name;
	const char *args;
	const char *summary;
	const char *usage; /* what --help prints after the synopsis */
	bool needs_kb;
	int (*run)(struct ctx *c, int argc, char **argv);
};

int cli_main(int argc, char **argv);

/* Print "meshmedic: message" on stderr and return 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_run(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);
int cmd_explain(struct ctx *c, int argc, char **argv);
int cmd_lint(struct ctx *c, int argc, char **argv);
int cmd_graph(struct ctx *c, int argc, char **argv);
int cmd_help(struct ctx *c, int argc, char **argv);
int cmd_demo(struct ctx *c, int argc, char **argv);
int cmd_check(struct ctx *c, int argc, char **argv);
int cmd_snapshot(struct ctx *c, int argc, char **argv);
/* The full-screen session (cmd_tui.c); demo opens it on a terminal. */
int cmd_tui(struct ctx *c, int argc, char **argv);
int cmd_demo_tty(struct ctx *c, int argc, char **argv);
int cmd_logs(struct ctx *c, int argc, char **argv);
/* The line-mode session (cmd_ask.c) and the onboarding checklist (cmd_onboard.c). */
int cmd_ask(struct ctx *c, int argc, char **argv);
int cmd_onboard(struct ctx *c, int argc, char **argv);

struct cluster;
/*
 * The cluster state the options name (--snapshot PATH or --live), or NULL
 * when there is none; on an error prints it and sets *failed.
 */
struct cluster *open_cluster_opt(struct ctx *c, bool *failed);
/* The same where a cluster is required: NULL (after printing why) means exit 2. */
struct cluster *open_cluster(struct ctx *c);

#endif
