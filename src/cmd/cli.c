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

#define ALL_FORMATS "text json markdown"

static const struct command commands[] = {
	{"run", "[FLOW] [--batch]", "walk a flow without a person; answers from --answer, --answers",
	 "Walks FLOW from its first question. Each question is answered by --answer NODE=CHOICE,\n"
	 "then by the --answers file, until a diagnosis or a question nobody answered.\n"
	 "FLOW may be left out when the --answers file names it, or when --from-log LINE (an\n"
	 "access log line or Envoy error body) leads to it; the line also fills the service,\n"
	 "namespace and host it shows and answers the flag. run never asks: --batch is\n"
	 "accepted for scripts that spell it out. On a cluster, a diagnosis shows its fix for\n"
	 "it: the object found, corrected, with the kubectl line and the diff (JSON fix_rendered).\n"
	 "Exit status: 0 diagnosed, 1 undetermined (the question is reported as pending), 2 error.\n",
	 ALL_FORMATS, true, cmd_run},
	{"tui", "[FLOW] [--resume]", "the full-screen session (the default on a terminal)",
	 "Opens the full-screen session: pick a symptom (or start FLOW), give the inputs, and\n"
	 "answer the questions the cluster state (--snapshot, --live) cannot. Every answer is\n"
	 "autosaved to $XDG_STATE_HOME/meshmedic/session.json; --resume continues it. Press ?\n"
	 "for help and the keys. Needs a terminal on stdin and stdout.\n",
	 NULL, true, cmd_tui},
	{"ask", "[FLOW|onboard]", "the same session one question at a time on a prompt (readline)",
	 "Walks FLOW (or asks which one) on a line-oriented prompt: numbered choices, Tab\n"
	 "completes choices, inputs (namespaces, services, pods) and the commands help, why,\n"
	 "back, path, save and quit. History is kept in $XDG_STATE_HOME/meshmedic/history.\n"
	 "Ctrl-C cancels a running probe, Ctrl-D ends the session. When standard input is not\n"
	 "a terminal (a runbook), one answer is read per line ('#' lines are comments) and\n"
	 "echoed after its prompt; only required inputs that --set left out are asked.\n"
	 "'ask onboard -n NS' runs the onboarding checklist on the prompt.\n"
	 "Exit status: 0 (the session ended), 2 usage error.\n",
	 "text", true, cmd_ask},
	{"onboard", "-n NAMESPACE [--service NAME] [--batch]",
	 "a checklist for bringing a namespace or workload into the mesh",
	 "Checks what a namespace (or the workload behind one Service) needs before it joins\n"
	 "the mesh, item by item, from the cluster state (--snapshot, --live); what the cluster\n"
	 "cannot show is asked (on a terminal) or taken from --answer ITEM=CHOICE. Each item\n"
	 "ends pass, warn or fail with the reason, the evidence and the fix. On a terminal it\n"
	 "opens the full-screen checklist; --batch, --format json|markdown or no terminal\n"
	 "prints the readiness report instead.\n"
	 "Exit status: 0 nothing fails, 1 something to fix, 2 error.\n",
	 ALL_FORMATS, true, cmd_onboard},
	{"list", "", "list the symptom flows", "Lists every flow with its title and symptoms.\n", ALL_FORMATS, true,
	 cmd_list},
	{"explain", "[ID]", "show one diagnosis: cause, fix, snippet, how to verify",
	 "Shows the diagnosis ID; without ID, lists every diagnosis.\n"
	 "Exit status: 0, or 2 for an unknown ID.\n",
	 ALL_FORMATS, true, cmd_explain},
	{"lint", "[PATH...]", "validate flows, diagnoses and help pages",
	 "Checks the given files or directories (read recursively), or else the flow set in use.\n"
	 "References the given files do not satisfy are looked up in the built-in set.\n"
	 "Each problem is one line FILE:LINE:COLUMN: message on stderr.\n"
	 "Exit status: 0 clean, 2 problems found.\n",
	 NULL, false, cmd_lint},
	{"graph", "FLOW", "print a flow as a Graphviz DOT graph",
	 "Writes FLOW as DOT on stdout: questions as boxes, diagnoses as notes, hand-overs to\n"
	 "other flows as arrows. Example: meshmedic graph 503 | dot -Tsvg > 503.svg\n",
	 NULL, true, cmd_graph},
	{"help", "[TOPIC]", "show a help page on an Istio or Envoy concept",
	 "Shows the help page TOPIC; without TOPIC, lists the topics.\n", "text json", true, cmd_help},
	{"check", "[-n NAMESPACE] [--fail-on LEVEL] [--verbose]", "find every cause the cluster state shows",
	 "Runs every detector over the cluster state (--snapshot PATH, or --live) and lists each\n"
	 "finding on its resource with the evidence; checks that could not run are listed as\n"
	 "skipped with the reason (in text, checks skipped for the same reason share one line;\n"
	 "--verbose lists each). -n limits it to one namespace. Each finding has a severity:\n"
	 "error (traffic fails or a rule is ignored), warning (it fails under some condition,\n"
	 "or a rule is partly ineffective) or info (a convention or a latent risk), and the\n"
	 "code istioctl analyze gives the same condition where it has one (IST0101...).\n"
	 "Text and Markdown group the findings by severity, worst first; JSON gives each\n"
	 "finding \"severity\", where there is one \"istio_code\", and its fix rendered against\n"
	 "the object (\"fix_rendered\": object, patch, diff) or why none is (\"fix_not_rendered\").\n"
	 "Example: meshmedic check --snapshot manifests/ --fail-on error (pass on warnings)\n"
	 "Exit status: 0 nothing at or above --fail-on (default warning), 1 such findings,\n"
	 "2 error.\n",
	 ALL_FORMATS, true, cmd_check},
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
	 ALL_FORMATS, false, cmd_logs},
	{"snapshot", "-o DIR [-n NAMESPACE] [--envoy]", "record the live cluster's state for offline use",
	 "Reads the live cluster (kubectl and istioctl, read-only, never Secrets) and writes\n"
	 "DIR/resources.json, proxy-status.txt, logs/ and meta.json, one progress line per\n"
	 "step on stderr. Use the result with --snapshot DIR. A step that fails is recorded in\n"
	 "meta.json and reported, not fatal. --envoy also records each running proxy's admin\n"
	 "documents (server_info, clusters, stats, config_dump) as envoy/NS/POD/DOC.json,\n"
	 "through kubectl port-forwards started and stopped a few at a time.\n"
	 "Exit status: 0 written, 2 nothing could be read or DIR cannot be written.\n",
	 NULL, false, cmd_snapshot},
	{"demo", "", "walk the bundled demo incident (no cluster needed)",
	 "Replays the bundled demo incident, a 503 storm in a Bookinfo-like mesh, and prints the\n"
	 "walk to its diagnosis.\n"
	 "On a terminal (stdin and stdout) it opens the full-screen session on it instead;\n"
	 "--batch prints the walk there too.\n",
	 ALL_FORMATS, true, cmd_demo_tty},
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
	 ALL_FORMATS, false, cmd_authz},
};

/* The formats a command's --format takes, as "text, json or markdown". New string. */
static char *formats_phrase(const char *formats)
{
	struct sbuf b;
	sb_init(&b);
	size_t n = 1, k = 0;
	for (const char *p = formats; *p; p++)
		n += *p == ' ';
	for (const char *p = formats; *p; k++) {
		size_t len = strcspn(p, " ");
		if (k)
			sb_add(&b, k + 1 == n ? " or " : ", ");
		sb_addn(&b, p, len);
		p += len + (p[len] == ' ');
	}
	return sb_steal(&b);
}

/* The options cmd takes (every option when cmd is NULL), one per line or more, aligned. */
static void print_options(FILE *fp, const struct command *cmd)
{
	fprintf(fp, "Options:\n");
	for (size_t i = 0; i < opt_ndefs; i++) {
		const struct opt_def *d = &opt_defs[i];
		if (cmd && !command_takes(cmd, d))
			continue;
		char *term = d->short_name ? xasprintf("-%c, --%s%s%s", d->short_name, d->name,
						       d->arg ? " " : "", d->arg ? d->arg : "")
					   : xasprintf("--%s%s%s", d->name, d->arg ? " " : "",
						       d->arg ? d->arg : "");
		char *help = NULL;
		const char *text = d->help;
		/* a command's --help names the formats it prints */
		if (cmd && d->store == OS_FORMAT) {
			char *list = formats_phrase(cmd->formats);
			help = strchr(cmd->formats, ' ') ? xasprintf("%s (text is the default)", list)
							 : xasprintf("%s only", list);
			free(list);
			text = help;
		}
		/* "logs: ..." says which command an option is for: in logs --help it goes without saying */
		size_t nl = cmd ? strlen(cmd->name) : 0;
		if (cmd && strncmp(text, cmd->name, nl) == 0 && strncmp(text + nl, ": ", 2) == 0)
			text += nl + 2;
		if (strlen(term) > 20)
			fprintf(fp, "  %s\n  %-20s ", term, "");
		else
			fprintf(fp, "  %-20s ", term);
		for (const char *p = text; *p;) {
			size_t len = strcspn(p, "\n");
			fprintf(fp, "%.*s\n", (int)len, p);
			p += len;
			if (*p == '\n' && *++p)
				fprintf(fp, "  %-20s ", "");
		}
		free(help);
		free(term);
	}
}

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
	fputc('\n', fp);
	print_options(fp, NULL);
	fprintf(fp, "\nEach command takes the options its --help lists (meshmedic COMMAND --help).\n"
		    "Exit status: 0 success, 1 undetermined or findings, 2 usage or input error.\n"
		    "See meshmedic(1) and 'meshmedic help'.\n");
}

static void command_usage(const struct command *cmd)
{
	printf("Usage: meshmedic %s %s%s[OPTION]...\n%s\n%s\n", cmd->name, cmd->args,
	       *cmd->args ? " " : "", cmd->summary, cmd->usage);
	print_options(stdout, cmd);
}

const struct command *cli_commands(size_t *n)
{
	*n = MM_ARRAY_LEN(commands);
	return commands;
}

const struct command *cli_command(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool command_takes(const struct command *cmd, const struct opt_def *d)
{
	if (d->store == OS_FORMAT)
		return cmd->formats != NULL;
	return opt_for_command(d, cmd->name);
}

/* Whether a format name is one of the space-separated formats. */
static bool format_listed(const char *formats, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = formats; (p = strstr(p, name)); p += n)
		if ((p == formats || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Refuse an option given (before or after it) that cmd does not take: -1 or exit status 2. */
static int check_options(const struct command *cmd, const struct opts *o)
{
	for (size_t i = 0; i < opt_ndefs; i++) {
		const struct opt_def *d = &opt_defs[i];
		if (!(o->given >> i & 1))
			continue;
		if (!command_takes(cmd, d))
			return usage_error("%s does not take --%s (see meshmedic %s --help)", cmd->name,
					   d->name, cmd->name);
		if (d->store == OS_FORMAT && !format_listed(cmd->formats, out_format_names[o->format])) {
			char *list = formats_phrase(cmd->formats);
			int rc = usage_error("%s --format is %s%s, not '%s'", cmd->name, list,
					     strchr(cmd->formats, ' ') ? "" : " only",
					     out_format_names[o->format]);
			free(list);
			return rc;
		}
	}
	return -1;
}

struct mm_kb *cli_load_kb(const struct strlist *flows_dirs, struct mm_errors *errs)
{
	char *root = data_root();
	struct mm_kb *kb = kb_new();
	kb_load_root(kb, root, errs);
	free(root);
	for (size_t i = 0; i < flows_dirs->n; i++) {
		kb->layer = 1;
		kb_load_path(kb, flows_dirs->v[i], errs);
	}
	if (!errs->n)
		kb_check(kb, &probe_catalog, errs);
	return kb;
}

/* Load the flow set in use; on a problem print the first one and return false. */
static bool load_kb(struct ctx *c)
{
	struct mm_errors errs = {0};
	c->kb = cli_load_kb(&c->o.flows_dirs, &errs);
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
	int rc = opts_parse(&c.o, argc, argv, false);
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
	const struct command *cmd = cli_command(name);
	if (!cmd) {
		opts_free(&c.o);
		free(typed);
		return usage_error("unknown command '%s' (see meshmedic --help)", name);
	}
	/* options may also follow the command and its arguments */
	int cargc = picker ? 1 : argc - optind;
	char **cargv = picker ? tui_argv : argv + optind;
	optind = 0; /* 0 makes GNU getopt start afresh */
	rc = opts_parse(&c.o, cargc, cargv, true);
	if (rc < 0 && c.o.help) {
		command_usage(cmd);
		rc = 0;
	}
	if (rc < 0)
		rc = check_options(cmd, &c.o);
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
