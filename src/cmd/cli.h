/*
 * The command line: the command table and dispatch (the options every
 * command shares are session/options.h). main() calls cli_main, or
 * cli_complete for the completion scripts; each command is one file of src/cmd.
 */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "session/options.h"

struct command {
	const char *name;
	const char *args;
	const char *summary;
	const char *usage;   /* what --help prints after the synopsis */
	const char *formats; /* what its --format takes, space-separated; NULL: no --format */
	bool needs_kb;
	int (*run)(struct ctx *c, int argc, char **argv);
};

int cli_main(int argc, char **argv);

/* The command table, and one command by name (NULL when there is none). */
const struct command *cli_commands(size_t *n);
const struct command *cli_command(const char *name);
/* Whether cmd takes option d. */
bool command_takes(const struct command *cmd, const struct opt_def *d);
/* The flow set: the built-in one, then each --flows DIR over it; problems into errs. */
struct mm_kb *cli_load_kb(const struct strlist *flows_dirs, struct mm_errors *errs);

/*
 * `meshmedic __complete WORD...` (cmd/complete.c), what the bash and zsh
 * scripts of completions/ ask: WORD... are the words after "meshmedic", the
 * last the one being completed (maybe empty). Prints the candidates one per
 * line, then ":files" or ":dirs" when the shell should complete names of
 * those. Reads a --snapshot of the line for names; never the live cluster.
 */
int cli_complete(int nwords, char **words);

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
