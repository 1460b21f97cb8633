/*
 * What a command line gives every front end: the options (parsed by
 * cmd/cli.c) and the context a command runs in (the flow set, the output).
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
	const char *envoy_admin, *prometheus;   /* base URLs of an open admin port, of Prometheus */
	const char *service;                    /* onboard: one workload's Service */
	const char *fail_on;                    /* check: the least severity that fails */
	const char *from, *to, *method, *path;  /* authz: the request */
	struct strlist headers, claims;         /* authz: NAME=VALUE each */
	bool live;
	int timeout_s;
	bool resume; /* tui: continue the autosaved session */
	bool envoy;  /* snapshot: record the proxies' admin documents too */
};

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
