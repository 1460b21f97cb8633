#include "session/options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* The commands that walk a flow, read the cluster state, or load the flow set. */
#define WALKS "run tui ask"
#define READS WALKS " onboard check logs snapshot"
/* the cluster sources that authz reads as well */
#define SOURCES READS " authz"
#define KB WALKS " onboard list explain lint graph help check demo"

/* NAME=VALUE with a non-empty NAME. */
static bool is_assignment(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq && eq != s;
}

/* An http:// or https:// base URL with a host and nothing a command line could misread. */
static bool is_base_url(const char *s)
{
	const char *host = strncmp(s, "http://", 7) == 0    ? s + 7
			   : strncmp(s, "https://", 8) == 0 ? s + 8
							    : NULL;
	if (!host || !*host || *host == '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

const char *const out_format_names[3] = {[FMT_TEXT] = "text", [FMT_JSON] = "json",
					 [FMT_MARKDOWN] = "markdown"};

static int format_index(const char *s)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(out_format_names); i++)
		if (strcmp(out_format_names[i], s) == 0)
			return (int)i;
	return -1;
}

static bool is_format(const char *s)
{
	return format_index(s) >= 0;
}

static bool is_seconds(const char *s)
{
	char *end;
	long t = strtol(s, &end, 10);
	return *s && !*end && t >= 1 && t <= 3600;
}

#define AT(field) offsetof(struct opts, field)

/* In the order of meshmedic --help. */
const struct opt_def opt_defs[] = {
	{"set", 0, "NAME=VALUE", "a flow input (namespace, service, pod, host...)", WALKS, OV_INPUT,
	 OS_LIST, AT(sets), is_assignment, "--set takes NAME=VALUE, not '%s'"},
	{"answer", 0, "NODE=CHOICE", "answer a question ahead of time (NODE or FLOW:NODE)",
	 WALKS " onboard", OV_ANSWER, OS_LIST, AT(answer), is_assignment,
	 "--answer takes NODE=CHOICE, not '%s'"},
	{"answers", 0, "FILE",
	 "answers from a file: a saved transcript or\n"
	 "{\"answers\": {\"NODE\": \"CHOICE\"}, \"inputs\": {...}}",
	 WALKS, OV_FILE, OS_STRING, AT(answers_file), NULL, NULL},
	{"batch", 0, NULL, "never ask; stop at the first unanswered question", "run onboard demo",
	 OV_NONE, OS_BOOL, AT(batch), NULL, NULL},
	{"resume", 0, NULL, "tui: continue the autosaved session", "tui", OV_NONE, OS_BOOL,
	 AT(resume), NULL, NULL},
	{"snapshot", 0, "PATH",
	 "read the cluster state from a snapshot directory, a kubectl\n"
	 "-o json List or object, YAML manifests (file or directory),\n"
	 "or an istioctl bug-report archive (.tar.gz or unpacked)",
	 WALKS " onboard check logs authz", OV_PATH, OS_STRING, AT(snapshot), NULL, NULL},
	{"namespace", 'n', "NS", "the namespace to look at (check, snapshot), or the flow input", SOURCES,
	 OV_NAMESPACE, OS_STRING, AT(ns), is_dns1123_label,
	 "-n: '%s' is not a namespace name (DNS-1123 label)"},
	{"live", 0, NULL, "read the cluster through kubectl and istioctl (read-only)", SOURCES, OV_NONE,
	 OS_BOOL, AT(live), NULL, NULL},
	{"context", 0, "NAME", "kubeconfig context for --live and snapshot", SOURCES, OV_NONE, OS_STRING,
	 AT(context), NULL, NULL},
	{"kubeconfig", 0, "FILE", "kubeconfig file for --live and snapshot", SOURCES, OV_FILE, OS_STRING,
	 AT(kubeconfig), NULL, NULL},
	{"timeout", 0, "SECONDS", "per kubectl/istioctl call and HTTP request (default 10)", SOURCES,
	 OV_NONE, OS_SECONDS, AT(timeout_s), is_seconds,
	 "--timeout takes whole seconds from 1 to 3600, not '%s'"},
	{"output", 'o', "DIR", "where snapshot writes", "snapshot", OV_DIR, OS_STRING, AT(output), NULL,
	 NULL},
	{"envoy", 0, NULL, "snapshot: also each proxy's Envoy admin documents", "snapshot", OV_NONE,
	 OS_BOOL, AT(envoy), NULL, NULL},
	{"pod", 0, "POD", "logs: read POD's istio-proxy log (with --live or --snapshot)", "logs", OV_POD,
	 OS_STRING, AT(pod), is_dns1123_subdomain,
	 "--pod: '%s' is not a pod name (DNS-1123 subdomain)"},
	{"log-format", 0, "FORMAT", "logs: the Envoy access log format (TEXT string or JSON map)",
	 "logs", OV_NONE, OS_STRING, AT(log_format), NULL, NULL},
	{"explain", 0, "LINE", "logs: explain one access log line field by field", "logs", OV_NONE,
	 OS_STRING, AT(explain), NULL, NULL},
	{"from-log", 0, "LINE",
	 "run, ask: start from an access log line or Envoy error body:\n"
	 "its flow, service, namespace, host and flag answer",
	 "run ask", OV_NONE, OS_STRING, AT(from_log), NULL, NULL},
	{"envoy-admin", 0, "URL", "an Envoy admin port already open (e.g. http://127.0.0.1:15000)",
	 READS, OV_NONE, OS_STRING, AT(envoy_admin), is_base_url,
	 "--envoy-admin takes an http:// or https:// URL, not '%s'"},
	{"prometheus", 0, "URL", "Prometheus, for request counts when logs are not at hand", READS,
	 OV_NONE, OS_STRING, AT(prometheus), is_base_url,
	 "--prometheus takes an http:// or https:// URL, not '%s'"},
	{"service", 0, "NAME", "onboard: one workload's Service instead of the namespace",
	 "onboard ask", OV_SERVICE, OS_STRING, AT(service), is_dns1123_label,
	 "--service: '%s' is not a Service name (DNS-1123 label)"},
	{"fail-on", 0, "LEVEL",
	 "check: exit 1 on a finding of LEVEL or worse: error, warning\n"
	 "(default) or info",
	 "check", OV_LEVEL, OS_STRING, AT(fail_on), NULL, NULL},
	{"from", 0, "POD|NS/SA", "authz: the caller (a pod in -n NAMESPACE, or a service account)",
	 "authz", OV_POD, OS_STRING, AT(from), NULL, NULL},
	{"to", 0, "SERVICE[:PORT]", "authz: the Service called (SERVICE.NS for another namespace)",
	 "authz", OV_SERVICE, OS_STRING, AT(to), NULL, NULL},
	{"method", 0, "M", "authz: the HTTP method (default GET)", "authz", OV_NONE, OS_STRING,
	 AT(method), NULL, NULL},
	{"path", 0, "P", "authz: the HTTP path (default /)", "authz", OV_NONE, OS_STRING, AT(path),
	 NULL, NULL},
	{"header", 0, "NAME=VALUE", "authz: a request header (repeatable)", "authz", OV_NONE, OS_LIST,
	 AT(headers), is_assignment, "--header takes NAME=VALUE, not '%s'"},
	{"claim", 0, "NAME=VALUE", "authz: a claim of the request's valid JWT (repeatable)", "authz",
	 OV_NONE, OS_LIST, AT(claims), is_assignment, "--claim takes NAME=VALUE, not '%s'"},
	{"verbose", 0, NULL, "check: list every skipped check (text folds those sharing a reason)",
	 "check", OV_NONE, OS_BOOL, AT(verbose), NULL, NULL},
	/* the commands' own formats (cmd/cli.c's table) decide which commands take it */
	{"format", 0, "FORMAT", "text (default), json or markdown", NULL, OV_FORMAT, OS_FORMAT,
	 AT(format), is_format, "--format is text, json or markdown, not '%s'"},
	{"flows", 0, "DIR", "load flows, diagnoses and help from DIR over the built-in set", KB,
	 OV_DIR, OS_LIST, AT(flows_dirs), NULL, NULL},
	{"no-color", 0, NULL, "no colours (also when NO_COLOR is set)", NULL, OV_NONE, OS_BOOL,
	 AT(no_color), NULL, NULL},
	{"version", 0, NULL, "print the version and exit", NULL, OV_NONE, OS_VERSION, 0, NULL, NULL},
	{"help", 'h', NULL, "this help, or a command's with COMMAND --help", NULL, OV_NONE, OS_BOOL,
	 AT(help), NULL, NULL},
};
const size_t opt_ndefs = MM_ARRAY_LEN(opt_defs);

/* struct opts records which rows were given in one bit each */
_Static_assert(MM_ARRAY_LEN(opt_defs) <= 64, "opts.given has a bit per option");

const struct opt_def *opt_find(const char *name, char short_name)
{
	for (size_t i = 0; i < opt_ndefs; i++)
		if (name ? strcmp(opt_defs[i].name, name) == 0
			 : short_name && opt_defs[i].short_name == short_name)
			return &opt_defs[i];
	return NULL;
}

bool opt_for_command(const struct opt_def *d, const char *cmd)
{
	if (!d->commands)
		return true;
	size_t n = strlen(cmd);
	for (const char *p = d->commands; (p = strstr(p, cmd)); p += n)
		if ((p == d->commands || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* getopt's tables, built once from opt_defs: option i returns 256 + i, a short one its letter. */
static const struct option *long_options(const char **shorts)
{
	static struct option longs[MM_ARRAY_LEN(opt_defs) + 1];
	static char sh[2 * MM_ARRAY_LEN(opt_defs) + 2];
	if (!longs[0].name) {
		size_t k = 0;
		sh[k++] = '+';
		for (size_t i = 0; i < opt_ndefs; i++) {
			const struct opt_def *d = &opt_defs[i];
			longs[i] = (struct option){d->name, d->arg ? required_argument : no_argument, NULL,
						   256 + (int)i};
			if (d->short_name) {
				sh[k++] = d->short_name;
				if (d->arg)
					sh[k++] = ':';
			}
		}
	}
	*shorts = sh;
	return longs;
}

/* Keep one option's value; -1, or the exit status of a refusal or of --version. */
static int store(struct opts *o, size_t i, const char *arg)
{
	const struct opt_def *d = &opt_defs[i];
	char *field = (char *)o + d->offset;
	if (d->valid && !d->valid(arg))
		return usage_error(d->refusal, arg);
	o->given |= 1ULL << i;
	switch (d->store) {
	case OS_BOOL:
		*(bool *)field = true;
		break;
	case OS_STRING:
		*(const char **)field = arg;
		break;
	case OS_LIST:
		sl_add((struct strlist *)field, arg);
		break;
	case OS_FORMAT:
		*(enum out_format *)field = (enum out_format)format_index(arg);
		break;
	case OS_SECONDS:
		*(int *)field = (int)strtol(arg, NULL, 10);
		break;
	case OS_VERSION:
		printf("meshmedic %s\n", PACKAGE_VERSION);
		return 0;
	}
	return -1;
}

int opts_parse(struct opts *o, int argc, char **argv, bool permute)
{
	const char *shorts;
	const struct option *longs = long_options(&shorts);
	opterr = 0;
	int ch;
	/* shorts starts with '+' (stop at the first other word), skipped to permute */
	while ((ch = getopt_long(argc, argv, shorts + permute, longs, NULL)) != -1) {
		const struct opt_def *d = ch >= 256 && ch < 256 + (int)opt_ndefs ? &opt_defs[ch - 256]
		                          : ch != '?' && ch != ':'               ? opt_find(NULL, (char)ch)
		                                                                 : NULL;
		if (!d) {
			const struct opt_def *s = optopt && optopt < 256 ? opt_find(NULL, (char)optopt) : NULL;
			if (s)
				return usage_error("option '-%c' needs a value", optopt);
			if (optopt && optopt < 256)
				return usage_error("unknown option '-%c' (see meshmedic --help)", optopt);
			if (optopt)
				return usage_error("option '%s' needs a value", argv[optind - 1]);
			return usage_error("unknown option '%s' (see meshmedic --help)", argv[optind - 1]);
		}
		int rc = store(o, (size_t)(d - opt_defs), optarg);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *clean = sanitize(msg, false);
	fprintf(stderr, "meshmedic: %s\n", clean);
	free(clean);
	free(msg);
	return 2;
}
