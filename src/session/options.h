/*
 * What a command line gives every front end: the options and the context a
 * command runs in (the flow set, the output). One table (opt_defs) says each
 * option's name, argument, help text, the commands that take it, what its
 * value completes to and where it is kept: the parser, every --help, the
 * check that a command takes the options given and the shell completion all
 * read it. A new option is one row here and its field in struct opts.
 * A usage or input error is one line on stderr and exit status 2.
 */
#ifndef MM_OPTIONS_H
#define MM_OPTIONS_H

#include <stdbool.h>

#include "base/util.h"
#include "kb/kb.h"
#include "report/report.h"

struct opts {
	enum out_format format;
	bool no_color, batch, help;
	struct strlist sets, answer, flows_dirs;
	const char *answers_file;
	const char *snapshot, *ns, *context, *kubeconfig, *output;
	const char *log_format, *pod, *explain; /* logs */
	const char *from_log; /* run, ask: an access log line or error body to start from */
	const char *envoy_admin, *prometheus;   /* base URLs of an open admin port, of Prometheus */
	const char *service;                    /* onboard: one workload's Service */
	const char *fail_on;                    /* check: the least severity that fails */
	bool verbose;                           /* check: every skipped check on its own line */
	const char *from, *to, *method, *path;  /* authz: the request */
	struct strlist headers, claims;         /* authz: NAME=VALUE each */
	bool live;
	int timeout_s;
	bool resume; /* tui: continue the autosaved session */
	bool envoy;  /* snapshot: record the proxies' admin documents too */
	unsigned long long given; /* bit i: opt_defs[i] was on the command line */
};

/* What an option's value is, for completion. */
enum opt_value {
	OV_NONE,      /* nothing to offer */
	OV_FILE,      /* a file name (the shell completes it) */
	OV_DIR,       /* a directory name */
	OV_PATH,      /* a file or a directory */
	OV_NAMESPACE, /* a namespace of the cluster state */
	OV_POD,       /* a pod of the namespace given */
	OV_SERVICE,   /* a Service of the namespace given */
	OV_FORMAT,    /* one of the command's formats */
	OV_LEVEL,     /* a severity: error, warning, info */
	OV_INPUT,     /* NAME=VALUE: a flow input, then its names */
	OV_ANSWER,    /* NODE=CHOICE: a question of the flow, then its choices */
};

/* How the value is kept in struct opts. */
enum opt_store {
	OS_BOOL,    /* no argument: the bool at offset becomes true */
	OS_STRING,  /* the const char * at offset (the last one given wins) */
	OS_LIST,    /* added to the struct strlist at offset (repeatable) */
	OS_FORMAT,  /* text, json or markdown into the enum out_format at offset */
	OS_SECONDS, /* whole seconds 1..3600 into the int at offset */
	OS_VERSION, /* print the version and stop with exit status 0 */
};

struct opt_def {
	const char *name;     /* the long name, without "--" */
	char short_name;      /* 'n' for -n, or 0 */
	const char *arg;      /* the argument's name in the help; NULL: no argument */
	const char *help;     /* the help text, lines separated by '\n' */
	const char *commands; /* the commands that take it, space-separated; NULL: every command */
	enum opt_value value;
	enum opt_store store;
	size_t offset;                  /* offsetof(struct opts, field) */
	bool (*valid)(const char *arg); /* NULL, or whether the argument is acceptable */
	const char *refusal;            /* the one-line message when it is not (%s: the argument) */
};

extern const struct opt_def opt_defs[];
extern const size_t opt_ndefs;

/* The row of --NAME (or of -C when name is NULL), or NULL. */
const struct opt_def *opt_find(const char *name, char short_name);

/* Whether command cmd (a name of cmd/cli.c's table) takes option d (by the row alone). */
bool opt_for_command(const struct opt_def *d, const char *cmd);

/* "text", "json", "markdown" by enum out_format. */
extern const char *const out_format_names[3];

/*
 * Parse options anywhere on the line (permute) or up to the first other word;
 * the rest is left in argv[optind..]. Returns -1, or an exit status after a
 * usage error or --version.
 */
int opts_parse(struct opts *o, int argc, char **argv, bool permute);

struct ctx {
	struct opts o;
	struct mm_kb *kb;
	struct out out;
	int argc; /* the whole command line, for "continue with" hints */
	char **argv;
};

/* Print "meshmedic: message" (sanitised) on stderr and return 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
