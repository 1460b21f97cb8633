#include "cmd/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/datadir.h"
#include "cluster/exec.h"
#include "probes/probe.h"

static const struct command commands[] = {
	{"run", "[FLOW] [--batch]", "walk a flow without a person; answers from --answer, --answers",
	 "Walks FLOW from its first question. Each question is answered by --answer NODE=CHOICE,\n"
	 "then by the --answers file, until a diagnosis or a question nobody answered.\n"
	 "FLOW may be left out when the --answers file names it. run never asks: --batch is\n"
	 "accepted for scripts that spell it out.\n"
	 "Exit status: 0 diagnosed, 1 undetermined (the question is reported as pending), 2 error.\n",
	 true, cmd_run},
	{"tui", "[FLOW] [--resume]", "the full-screen session (the default on a terminal)",
	 "Opens the full-screen session: pick a symptom (or start FLOW), give the inputs, and\n"
	 "answer the questions the cluster state (--snapshot, --live) cannot. Every answer is\n"
	 "autosaved to $XDG_STATE_HOME/meshmedic/session.json; --resume continues it. Press ?\n"
	 "for help and the keys. Needs a terminal on stdin and stdout.\n",
	 true, cmd_tui},
	{"ask", "[FLOW|onboard]", "the same session one question at a time on a prompt (readline)",
	 "Walks FLOW (or asks which one) on a line-oriented prompt: numbered choices, Tab\n"
	 "completes choices, inputs (namespaces, services, pods) and the commands help, why,\n"
	 "back, path, save and quit. History is kept in $XDG_STATE_HOME/meshmedic/history.\n"
	 "Ctrl-C cancels a running probe, Ctrl-D ends the session. When standard input is not\n"
	 "a terminal (a runbook), one answer is read per line ('#' lines are comments) and\n"
	 "echoed after its prompt; only required inputs that --set left out are asked.\n"
	 "'ask onboard -n NS' runs the onboarding checklist on the prompt.\n"
	 "Exit status: 0 (the session ended), 2 usage error.\n",
	 true, cmd_ask},
	{"onboard", "-n NAMESPACE [--service NAME] [--batch]",
	 "a checklist for bringing a namespace or workload into the mesh",
	 "Checks what a namespace (or the workload behind one Service) needs before it joins\n"
	 "the mesh, item by item, from the cluster state (--snapshot, --live); what the cluster\n"
	 "cannot show is asked (on a terminal) or taken from --answer ITEM=CHOICE. Each item\n"
	 "ends pass, warn or fail with the reason, the evidence and the fix. On a terminal it\n"
	 "opens the full-screen checklist; --batch, --format json|markdown or no terminal\n"
	 "prints the readiness report instead.\n"
	 "Exit status: 0 nothing fails, 1 something to fix, 2 error.\n",
	 true, cmd_onboard},
	{"list", "", "list the symptom flows", "Lists every flow with its title and symptoms.\n", true,
	 cmd_list},
	{"explain", "[ID]", "show one diagnosis: cause, fix, snippet, how to verify",
	 "Shows the diagnosis ID; without ID, lists every diagnosis.\n"
	 "Exit status: 0, or 2 for an unknown ID.\n",
	 true, cmd_explain},
	{"lint", "[PATH...]", "validate flows, diagnoses and help pages",
	 "Checks the given files or directories (read recursively), or else the flow set in use.\n"
	 "References the given files do not satisfy are looked up in the built-in set.\n"
	 "Each problem is one line FILE:LINE:COLUMN: message on stderr.\n"
	 "Exit status: 0 clean, 2 problems found.\n",
	 false, cmd_lint},
	{"graph", "FLOW", "print a flow as a Graphviz DOT graph",
	 "Writes FLOW as DOT on stdout: questions as boxes, diagnoses as notes, hand-overs to\n"
	 "other flows as arrows. Example: meshmedic graph 503 | dot -Tsvg > 503.svg\n",
	 true, cmd_graph},
	{"help", "[TOPIC]", "show a help page on an Istio or Envoy concept",
	 "Shows the help page TOPIC; without TOPIC, lists the topics.\n", true, cmd_help},
	{"check", "[-n NAMESPACE] [--fail-on LEVEL]", "find every cause the cluster state shows",
	 "Runs every detector over the cluster state (--snapshot PATH, or --live) and lists each\n"
	 "finding on its resource with the evidence; checks that could not run are listed as\n"
	 "skipped with the reason. -n limits it to one namespace. Each finding has a severity:\n"
	 "error (traffic fails or a rule is ignored), warning (it fails under some condition,\n"
	 "or a rule is partly ineffective) or info (a convention or a latent risk), and the\n"
	 "code istioctl analyze gives the same condition where it has one (IST0101...).\n"
	 "Text and Markdown group the findings by severity, worst first; JSON gives each\n"
	 "finding \"severity\" and, where there is one, \"istio_code\".\n"
	 "Example: meshmedic check --snapshot manifests/ --fail-on error (pass on warnings)\n"
	 "Exit status: 0 nothing at or above --fail-on (default warning), 1 such findings,\n"
	 "2 error.\n",
	 true, cmd_check},
	{"logs", "[FILE|-] [--pod POD [-n NAMESPACE]] [--explain LINE]",
	 "tally an Envoy access log: codes, response flags, upstreams; the flow to follow",
	 "Reads an istio-proxy access log from FILE, from standard input (- or no FILE), or with\n"
	 "--pod POD from that pod's istio-proxy container (-n NAMESPACE, default 'default'),\n"
	 "through --live or a --snapshot's logs. Counts the lines by response code, response\n"
	 "flag, code details, upstream cluster and authority, and names the flow and diagnosis\n"
	 "that the most frequent failure points to, with the command that continues there.\n"
	 "Istio's default formats (TEXT of every release, JSON) are recognised; a custom format\n"
	 "comes from --log-format or from meshConfig accessLogFormat (with --live or --snapshot).\n"
	 "Lines that are no access log entries are counted, never fatal. --explain LINE explains\n"
	 "one pasted line field by field.\n"
	 "Exit status: 0 tallied (or explained), 2 unreadable input, bad format or usage.\n",
	 false, cmd_logs},
	{"snapshot", "-o DIR [-n NAMESPACE] [--envoy]", "record the live cluster's state for offline use",
	 "Reads the live cluster (kubectl and istioctl, read-only, never Secrets) and writes\n"
	 "DIR/resources.json, proxy-status.txt, logs/ and meta.json, one progress line per\n"
	 "step on stderr. Use the result with --snapshot DIR. A step that fails is recorded in\n"
	 "meta.json and reported, not fatal. --envoy also records each running proxy's admin\n"
	 "documents (server_info, clusters, stats, config_dump) as envoy/NS/POD/DOC.json,\n"
	 "through kubectl port-forwards started and stopped a few at a time.\n"
	 "Exit status: 0 written, 2 nothing could be read or DIR cannot be written.\n",
	 false, cmd_snapshot},
	{"demo", "", "walk the bundled demo incident (no cluster needed)",
	 "Replays the bundled demo incident, a 503 storm in a Bookinfo-like mesh, and prints the\n"
	 "walk to its diagnosis.\n"
	 "On a terminal (stdin and stdout) it opens the full-screen session on it instead;\n"
	 "--batch prints the walk there too.\n",
	 true, cmd_demo_tty},
	{"authz", "--from POD|NS/SA --to SERVICE[.NS][:PORT] [--method M --path P --header K=V...]",
	 "evaluate the AuthorizationPolicies for one request: allowed or denied, and why",
	 "Evaluates the AuthorizationPolicies that apply to the pods of SERVICE (in -n NAMESPACE,\n"
	 "default 'default', or NS) for one request from POD (in -n NAMESPACE) or from the\n"
	 "service account SA of NS, as the server's proxy does: CUSTOM, then DENY, then ALLOW.\n"
	 "The caller's identity comes from its sidecar and the mTLS it sends; the port's\n"
	 "protocol (its name or appProtocol) says whether HTTP fields can be read. HTTP\n"
	 "requests default to GET /, with the host the caller would send (SERVICE or\n"
	 "SERVICE.NS, with :PORT unless 80); --header host=H sets it. --claim NAME=VALUE gives\n"
	 "a validated JWT's claims (iss and sub make the request principal). Prints the\n"
	 "verdict, the deciding policy and rule, and for each policy why it matched or not.\n"
	 "A pod in ambient mode is evaluated as ztunnel enforces policies, without HTTP.\n"
	 "Exit status: 0 allowed, 1 denied (by any pod of SERVICE), 2 error.\n",
	 false, cmd_authz},
};

static const char options_help[] =
	"Options:\n"
	"  --set NAME=VALUE     a flow input (namespace, service, pod, host...)\n"
	"  --answer NODE=CHOICE answer a question ahead of time (NODE or FLOW:NODE)\n"
	"  --answers FILE       answers from a file: a saved transcript or\n"
	"                       {\"answers\": {\"NODE\": \"CHOICE\"}, \"inputs\": {...}}\n"
	"  --batch              never ask; stop at the first unanswered question\n"
	"  --resume             tui: continue the autosaved session\n"
	"  --snapshot PATH      read the cluster state from a snapshot directory, a kubectl\n"
	"                       -o json List or object, YAML manifests (file or directory),\n"
	"                       or an istioctl bug-report archive (.tar.gz or unpacked)\n"
	"  -n, --namespace NS   the namespace to look at (check, snapshot), or the flow input\n"
	"  --live               read the cluster through kubectl and istioctl (read-only)\n"
	"  --context NAME       kubeconfig context for --live and snapshot\n"
	"  --kubeconfig FILE    kubeconfig file for --live and snapshot\n"
	"  --timeout SECONDS    per kubectl/istioctl call and HTTP request (default 10)\n"
	"  -o, --output DIR     where snapshot writes\n"
	"  --envoy              snapshot: also each proxy's Envoy admin documents\n"
	"  --pod POD            logs: read POD's istio-proxy log (with --live or --snapshot)\n"
	"  --log-format FORMAT  logs: the Envoy access log format (TEXT string or JSON map)\n"
	"  --explain LINE       logs: explain one access log line field by field\n"
	"  --envoy-admin URL    an Envoy admin port already open (e.g. http://127.0.0.1:15000)\n"
	"  --prometheus URL     Prometheus, for request counts when logs are not at hand\n"
	"  --service NAME       onboard: one workload's Service instead of the namespace\n"
	"  --from POD|NS/SA     authz: the caller (a pod in -n NAMESPACE, or a service account)\n"
	"  --to SERVICE[:PORT]  authz: the Service called (SERVICE.NS for another namespace)\n"
	"  --method M, --path P authz: the HTTP request (default GET /)\n"
	"  --header NAME=VALUE  authz: a request header (repeatable)\n"
	"  --claim NAME=VALUE   authz: a claim of the request's valid JWT (repeatable)\n"
	"  --fail-on LEVEL      check: exit 1 on a finding of LEVEL or worse: error, warning\n"
	"                       (default) or info\n"
	"  --format FORMAT      text (default), json or markdown\n"
	"  --flows DIR          load flows, diagnoses and help from DIR over the built-in set\n"
	"  --no-color           no colours (also when NO_COLOR is set)\n"
	"  --version            print the version and exit\n"
	"  -h, --help           this help, or a command's with COMMAND --help\n";

static void print_usage(FILE *fp)
{
	fprintf(fp, "Usage: meshmedic [OPTION]... COMMAND [ARG]...\n"
		    "Find the cause of an Istio service mesh problem, from the symptom to the fix.\n\n"
		    "Commands:\n");
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++) {
		char *syn = xasprintf("%s %s", commands[i].name, commands[i].args);
		/* a long synopsis gets a line of its own */
		if (strlen(syn) > 20)
			fprintf(fp, "  %s\n  %-20s %s\n", syn, "", commands[i].summary);
		else
			fprintf(fp, "  %-20s %s\n", syn, commands[i].summary);
		free(syn);
	}
	fprintf(fp, "\n%s\nExit status: 0 success, 1 undetermined or findings, 2 usage or input error.\n"
		    "See meshmedic(1) and 'meshmedic help'.\n",
		options_help);
}

static void command_usage(const struct command *cmd)
{
	printf("Usage: meshmedic %s %s\n%s\n%s\n", cmd->name, cmd->args, cmd->summary, cmd->usage);
	printf("%s", options_help);
}

enum { OPT_SET = 256, OPT_ANSWER, OPT_ANSWERS, OPT_FORMAT, OPT_FLOWS, OPT_NO_COLOR, OPT_BATCH,
	OPT_VERSION, OPT_SNAPSHOT, OPT_LIVE, OPT_CONTEXT, OPT_KUBECONFIG, OPT_TIMEOUT,
	OPT_LOG_FORMAT, OPT_POD, OPT_EXPLAIN };
enum { OPT_RESUME = 300, OPT_ENVOY_ADMIN, OPT_PROMETHEUS, OPT_SERVICE, OPT_FAIL_ON };
enum { OPT_ENVOY = 320 };
enum { OPT_FROM = 340, OPT_TO, OPT_METHOD, OPT_PATH, OPT_HEADER, OPT_CLAIM };

static const struct option long_opts[] = {
	{"set", required_argument, NULL, OPT_SET},
	{"answer", required_argument, NULL, OPT_ANSWER},
	{"answers", required_argument, NULL, OPT_ANSWERS},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"batch", no_argument, NULL, OPT_BATCH},
	{"version", no_argument, NULL, OPT_VERSION},
	{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
	{"namespace", required_argument, NULL, 'n'},
	{"live", no_argument, NULL, OPT_LIVE},
	{"context", required_argument, NULL, OPT_CONTEXT},
	{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"output", required_argument, NULL, 'o'},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"pod", required_argument, NULL, OPT_POD},
	{"explain", required_argument, NULL, OPT_EXPLAIN},
	{"help", no_argument, NULL, 'h'},
	{"resume", no_argument, NULL, OPT_RESUME},
	{"envoy-admin", required_argument, NULL, OPT_ENVOY_ADMIN},
	{"prometheus", required_argument, NULL, OPT_PROMETHEUS},
	{"service", required_argument, NULL, OPT_SERVICE},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"envoy", no_argument, NULL, OPT_ENVOY},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"method", required_argument, NULL, OPT_METHOD},
	{"path", required_argument, NULL, OPT_PATH},
	{"header", required_argument, NULL, OPT_HEADER},
	{"claim", required_argument, NULL, OPT_CLAIM},
	{NULL, 0, NULL, 0},
};

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

/* Parse options anywhere on the line; the rest is left in argv[optind..]. Returns -1 or an exit status. */
static int parse_opts(struct opts *o, int argc, char **argv, bool permute)
{
	static const char *const formats[] = {[FMT_TEXT] = "text", [FMT_JSON] = "json",
					      [FMT_MARKDOWN] = "markdown"};
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, permute ? "hn:o:" : "+hn:o:", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_SET:
			if (!is_assignment(optarg))
				return usage_error("--set takes NAME=VALUE, not '%s'", optarg);
			sl_add(&o->sets, optarg);
			break;
		case OPT_ANSWER:
			if (!is_assignment(optarg))
				return usage_error("--answer takes NODE=CHOICE, not '%s'", optarg);
			sl_add(&o->answer, optarg);
			break;
		case OPT_ANSWERS:
			o->answers_file = optarg;
			break;
		case OPT_FORMAT: {
			size_t i;
			for (i = 0; i < MM_ARRAY_LEN(formats) && strcmp(formats[i], optarg) != 0; i++)
				;
			if (i == MM_ARRAY_LEN(formats))
				return usage_error("--format is text, json or markdown, not '%s'", optarg);
			o->format = (enum out_format)i;
			break;
		}
		case OPT_FLOWS:
			sl_add(&o->flows_dirs, optarg);
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_BATCH:
			o->batch = true;
			break;
		case OPT_SNAPSHOT:
			o->snapshot = optarg;
			break;
		case 'n':
			if (!is_dns1123_label(optarg))
				return usage_error("-n: '%s' is not a namespace name (DNS-1123 label)",
						   optarg);
			o->ns = optarg;
			break;
		case OPT_LIVE:
			o->live = true;
			break;
		case OPT_CONTEXT:
			o->context = optarg;
			break;
		case OPT_KUBECONFIG:
			o->kubeconfig = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_LOG_FORMAT:
			o->log_format = optarg;
			break;
		case OPT_POD:
			if (!is_dns1123_subdomain(optarg))
				return usage_error("--pod: '%s' is not a pod name (DNS-1123 subdomain)",
						   optarg);
			o->pod = optarg;
			break;
		case OPT_EXPLAIN:
			o->explain = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;
			long t = strtol(optarg, &end, 10);
			if (*end || t < 1 || t > 3600)
				return usage_error("--timeout takes whole seconds from 1 to 3600, not '%s'",
						   optarg);
			o->timeout_s = (int)t;
			break;
		}
		case OPT_VERSION:
			printf("meshmedic %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			o->help = true;
			break;
		case OPT_RESUME:
			o->resume = true;
			break;
		case OPT_ENVOY:
			o->envoy = true;
			break;
		case OPT_ENVOY_ADMIN:
		case OPT_PROMETHEUS:
			if (!is_base_url(optarg))
				return usage_error("%s takes an http:// or https:// URL, not '%s'",
						   ch == OPT_PROMETHEUS ? "--prometheus" : "--envoy-admin",
						   optarg);
			*(ch == OPT_PROMETHEUS ? &o->prometheus : &o->envoy_admin) = optarg;
			break;
		case OPT_FAIL_ON:
			o->fail_on = optarg;
			break;
		case OPT_FROM:
		case OPT_TO:
		case OPT_METHOD:
		case OPT_PATH:
			*(ch == OPT_FROM ? &o->from : ch == OPT_TO ? &o->to : ch == OPT_METHOD ? &o->method : &o->path) = optarg;
			break;
		case OPT_HEADER:
		case OPT_CLAIM:
			if (!is_assignment(optarg))
				return usage_error("--%s takes NAME=VALUE, not '%s'",
						   ch == OPT_HEADER ? "header" : "claim", optarg);
			sl_add(ch == OPT_HEADER ? &o->headers : &o->claims, optarg);
			break;
		case OPT_SERVICE:
			if (!is_dns1123_label(optarg))
				return usage_error("--service: '%s' is not a Service name (DNS-1123 label)",
						   optarg);
			o->service = optarg;
			break;
		default:
			if (optopt && optopt < 256)
				return usage_error("unknown option '-%c' (see meshmedic --help)", optopt);
			if (optopt)
				return usage_error("option '%s' needs a value", argv[optind - 1]);
			return usage_error("unknown option '%s' (see meshmedic --help)", argv[optind - 1]);
		}
	}
	return -1;
}

/* Load the flow set in use; on a problem print the first one and return false. */
static bool load_kb(struct ctx *c)
{
	struct mm_errors errs = {0};
	char *root = data_root();
	c->kb = kb_new();
	kb_load_root(c->kb, root, &errs);
	free(root);
	for (size_t i = 0; i < c->o.flows_dirs.n; i++) {
		c->kb->layer = 1;
		kb_load_path(c->kb, c->o.flows_dirs.v[i], &errs);
	}
	if (!errs.n)
		kb_check(c->kb, &probe_catalog, &errs);
	if (!errs.n)
		return true;
	errs_print_first(&errs, stderr, "run meshmedic lint");
	errs_free(&errs);
	return false;
}

static void opts_free(struct opts *o)
{
	sl_free(&o->sets);
	sl_free(&o->answer);
	sl_free(&o->flows_dirs);
	sl_free(&o->headers);
	sl_free(&o->claims);
}

int cli_main(int argc, char **argv)
{
	struct ctx c = {0};
	/* a signal ends the kubectl and istioctl processes too; the TUI and the prompt put their own */
	exec_install_signal_handlers();
	/* getopt permutes argv; the hint for continuing a walk shows it as typed */
	char **typed = xcalloc((size_t)argc + 1, sizeof(char *));
	memcpy(typed, argv, (size_t)argc * sizeof(char *));
	c.argc = argc;
	c.argv = typed;
	int rc = parse_opts(&c.o, argc, argv, false);
	/* no command on a terminal: the TUI's symptom picker */
	static char *tui_argv[] = {(char *)"tui", NULL};
	bool picker = rc < 0 && optind >= argc && !c.o.help && isatty(STDIN_FILENO) &&
		      isatty(STDOUT_FILENO);
	if (rc < 0 && optind >= argc && !picker) {
		print_usage(c.o.help ? stdout : stderr);
		rc = c.o.help ? 0 : 2;
	}
	if (rc >= 0) {
		opts_free(&c.o);
		free(typed);
		return rc;
	}
	const char *name = picker ? tui_argv[0] : argv[optind];
	const struct command *cmd = NULL;
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		opts_free(&c.o);
		free(typed);
		return usage_error("unknown command '%s' (see meshmedic --help)", name);
	}
	/* options may also follow the command and its arguments */
	int cargc = picker ? 1 : argc - optind;
	char **cargv = picker ? tui_argv : argv + optind;
	optind = 0; /* 0 makes GNU getopt start afresh */
	rc = parse_opts(&c.o, cargc, cargv, true);
	if (rc < 0 && c.o.help) {
		command_usage(cmd);
		rc = 0;
	}
	if (rc < 0) {
		const char *nc = getenv("NO_COLOR");
		c.out.fp = stdout;
		c.out.fmt = c.o.format;
		c.out.color = !c.o.no_color && !(nc && *nc) && isatty(STDOUT_FILENO) &&
			      c.o.format == FMT_TEXT;
		if (cmd->needs_kb && !load_kb(&c))
			rc = 2;
		else {
			/* the command sees its own name, then its arguments */
			int n = cargc - optind + 1;
			char **args = xcalloc((size_t)n + 1, sizeof(char *));
			args[0] = cargv[0];
			for (int i = 1; i < n; i++)
				args[i] = cargv[optind + i - 1];
			rc = cmd->run(&c, n, args);
			free(args);
		}
	}
	kb_free(c.kb);
	opts_free(&c.o);
	free(typed);
	if (fflush(stdout) != 0 && rc != 2) {
		perror("meshmedic: stdout");
		return 2;
	}
	return rc;
}
