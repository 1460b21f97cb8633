/*
 * The command line: the command table and dispatch (the options every
 * command shares are session/options.h). main() is one call to cli_main;
 * each command is one file of src/cmd.
 */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <stdbool.h>

#include "session/options.h"

struct command {
	const char *name;
	const char *args;
	const char *summary;
	const char *usage; /* what --help prints after the synopsis */
	bool needs_kb;
	int (*run)(struct ctx *c, int argc, char **argv);
};

int cli_main(int argc, char **argv);

int cmd_run(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);
int cmd_explain(struct ctx *c, int argc, char **argv);
int cmd_lint(struct ctx *c, int argc, char **argv);
int cmd_graph(struct ctx *c, int argc, char **argv);
int cmd_help(struct ctx *c, int argc, char **argv);
int cmd_demo(struct ctx *c, int argc, char **argv);
int cmd_check(struct ctx *c, int argc, char **argv);
int cmd_snapshot(struct ctx *c, int argc, char **argv);
/* The full-screen session (cmd/tui.c); demo opens it on a terminal. */
int cmd_tui(struct ctx *c, int argc, char **argv);
int cmd_demo_tty(struct ctx *c, int argc, char **argv);
int cmd_logs(struct ctx *c, int argc, char **argv);
int cmd_authz(struct ctx *c, int argc, char **argv);
/* The line-mode session (cmd/ask.c) and the onboarding checklist (cmd/onboard.c). */
int cmd_ask(struct ctx *c, int argc, char **argv);
int cmd_onboard(struct ctx *c, int argc, char **argv);

struct cluster;
struct onboard;
/* The onboarding checklist's full-screen session (cmd/tui.c): its exit status is the checklist's. */
int tui_onboard(struct ctx *c, struct cluster *cluster, struct onboard *o);

#endif
