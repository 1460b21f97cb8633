/*
 * `ask`: the walk in line mode. The same walk as run and the TUI, one
 * question at a time on a prompt: what --answer, --answers and the cluster
 * answer is taken and shown; the rest is asked, with numbered choices and
 * the commands help, why, back, path, save and quit. `ask onboard` runs the
 * onboarding checklist the same way. Lines come from readline on a
 * terminal, from the script on a pipe (line/line.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cmd/cli.h"
#include "session/sources.h"
#include "line/line.h"
#include "onboard/onboard.h"
#include "session/fromlog.h"
#include "session/session.h"
#include "walk/derive.h"
#include "cluster/live.h"

/* Evidence lines shown under an answer; why shows them all. */
#define SHOWN_EVIDENCE 3

/* What the prompt is for: it decides what Tab completes. */
enum at { AT_FLOW, AT_INPUT, AT_QUESTION, AT_END, AT_ITEM };

struct ask {
	struct ctx *c;
	struct out out;
	struct line_reader *in;
	struct cluster *cluster;
	struct prepared p;
	struct walk w;
	bool walking;
	bool tty;
	enum at at;
	const struct mm_input *input; /* AT_INPUT */
	struct strlist names;         /* what the input completes to, read at the first Tab */
	bool names_ok;
	/* the node gone back to: the person answers it, its old answer is the default */
	const struct mm_node *reask;
	const char *reask_default;
	struct onboard *ob; /* AT_ITEM */
	size_t item;
	/* the access log line or error body the flow was chosen by (--from-log or pasted) */
	struct from_log fl;
	bool from_log;
};

/* What a command did. */
enum { C_STAY, C_MOVED, C_QUIT };

struct ask_cmd {
	const char *name, *args, *help;
	int (*run)(struct ask *a, const char *arg);
	bool onboard; /* also at the checklist's questions */
};

static const struct ask_cmd *cmd_find(const char *name);

/* Whether the prompt at hand takes cmd: the checklist's questions take fewer. */
static bool cmd_allowed(const struct ask *a, const struct ask_cmd *cmd)
{
	return a->at != AT_ITEM || cmd->onboard;
}
static void print_commands(const struct ask *a);

/* Print text from outside, sanitised. */
static void say(const char *text)
{
	char *clean = sanitize(text, true);
	fputs(clean, stdout);
	free(clean);
}

/* ---- completion ---- */

static void add_commands(const struct ask *a, struct strlist *out);

/* The first word of line, up to start (the word being completed), in buf. */
static void first_word(const char *line, int start, char *buf, size_t size)
{
	size_t n = strcspn(line, " \t");
	if (n >= size || (int)n >= start)
		n = 0;
	memcpy(buf, line, n);
	buf[n] = '\0';
}

static void candidates(void *arg, const char *line, int start, struct strlist *out)
{
	struct ask *a = arg;
	char cmd[32];
	first_word(line, start, cmd, sizeof(cmd));
	if (*cmd) {
		/* the word after a command: its argument */
		if (strcmp(cmd, "help") == 0)
			for (size_t i = 0; i < a->c->kb->nhelp; i++)
				sl_add(out, a->c->kb->help[i]->topic);
		else if (strcmp(cmd, "save") == 0)
			sl_add(out, LINE_FILES);
		return;
	}
	switch (a->at) {
	case AT_FLOW:
		for (size_t i = 0; i < a->c->kb->nflows; i++)
			sl_add(out, a->c->kb->flows[i]->id);
		sl_add(out, "help");
		sl_add(out, "quit");
		return;
	case AT_INPUT: {
		const char *kind = input_kind(a->input);
		if ((kind || a->input->derive) && a->cluster && !a->names_ok) {
			const char *ns = walk_input(&a->w, "namespace");
			line_busy(a->in, true);
			input_names(a->cluster, a->w.start_flow, &a->w.inputs, a->input,
			            ns ? ns : "default", &a->names);
			line_busy(a->in, false);
			a->names_ok = true;
		}
		sl_copy(out, &a->names);
		return;
	}
	case AT_QUESTION:
		for (size_t i = 0; i < a->w.node->nchoices; i++)
			sl_add(out, a->w.node->choices[i].id);
		break;
	case AT_ITEM:
		for (size_t i = 0; i < a->ob->v[a->item].nchoices; i++)
			sl_add(out, a->ob->v[a->item].choices[i].id);
		break;
	case AT_END:
		break;
	}
	add_commands(a, out);
}

/* ---- reading ---- */

/* A prompt in bold on a terminal (readline's markers around what takes no room). */
static char *prompt_text(const struct ask *a, const char *label)
{
	if (!a->out.color)
		return xasprintf("%s> ", label);
	return xasprintf("\001\033[1m\002%s>\001\033[0m\002 ", label);
}

/* Read a line; NULL at the end of the session. Ctrl-C drops the line and prompts again. */
static char *ask_line(struct ask *a, const char *label)
{
	char *prompt = prompt_text(a, label), *s = NULL;
	enum line_status st;
	while ((st = line_read(a->in, prompt, &s)) == LINE_INTERRUPTED)
		;
	free(prompt);
	if (st == LINE_EOF)
		return NULL;
	/* trim both ends */
	char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		p[--n] = '\0';
	memmove(s, p, n + 1);
	return s;
}

/* A 1-based number within 1..n, or 0. */
static size_t number_in(const char *s, size_t n)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 1 && (size_t)v <= n ? (size_t)v : 0;
}

/*
 * The choice line names: its number, its id, or the start of exactly one id
 * (case does not matter). -1 if none; -2 if the start fits several.
 */
static int pick(const char *line, size_t n, const char *(*id_of)(const void *, size_t),
                const void *arg)
{
	size_t num = number_in(line, n);
	if (num)
		return (int)num - 1;
	int found = -1;
	size_t len = strlen(line);
	for (size_t i = 0; len && i < n; i++) {
		if (strcasecmp(id_of(arg, i), line) == 0)
			return (int)i;
		if (strncasecmp(id_of(arg, i), line, len) == 0)
			found = found == -1 ? (int)i : -2;
	}
	return found;
}

static const char *node_choice_id(const void *node, size_t i)
{
	return ((const struct mm_node *)node)->choices[i].id;
}

static const char *flow_id_at(const void *kb, size_t i)
{
	return ((const struct mm_kb *)kb)->flows[i]->id;
}

static const char *item_choice_id(const void *r, size_t i)
{
	return ((const struct ob_result *)r)->choices[i].id;
}

/* "help", "why 2": a command at this prompt; C_STAY if line is none (*known false). */
static int run_command(struct ask *a, const char *line, bool *known)
{
	char name[32];
	size_t n = strcspn(line, " \t");
	const char *arg = line + n + strspn(line + n, " \t");
	*known = false;
	if (n >= sizeof(name))
		return C_STAY;
	memcpy(name, line, n);
	name[n] = '\0';
	const struct ask_cmd *cmd = cmd_find(name);
	if (!cmd || !cmd_allowed(a, cmd))
		return C_STAY;
	*known = true;
	return cmd->run(a, *arg ? arg : NULL);
}

/* ---- the commands ---- */

static int c_help(struct ask *a, const char *topic)
{
	if (!topic && a->at != AT_FLOW) {
		/* the help of the question at hand, then the commands */
		topic = a->at == AT_ITEM                        ? a->ob->v[a->item].help
		        : a->at == AT_QUESTION                  ? a->w.node->help
		        : walk_done(&a->w) && a->w.diag->help.n ? a->w.diag->help.v[0]
		                                                : NULL;
	}
	const struct mm_help *h = topic ? kb_help(a->c->kb, topic) : NULL;
	if (topic && !h) {
		printf("No help topic '%s'. Topics:", topic);
		for (size_t i = 0; i < a->c->kb->nhelp; i++)
			printf(" %s", a->c->kb->help[i]->topic);
		printf("\n");
		return C_STAY;
	}
	if (h) {
		char *body = help_body(h);
		printf("\n%s", out_bold(&a->out));
		say(h->title);
		printf("%s\n\n", out_reset(&a->out));
		say(body ? body : "(the page cannot be read)\n");
		printf("\n");
		free(body);
	}
	print_commands(a);
	return C_STAY;
}

static int c_why(struct ask *a, const char *arg)
{
	if (a->at == AT_ITEM) {
		const struct ob_result *r = &a->ob->v[a->item];
		printf("  %s: ", r->id);
		say(r->reason ? r->reason : "not checked yet");
		printf("\n");
		for (size_t i = 0; i < r->evidence.n; i++) {
			printf("    | ");
			say(r->evidence.v[i]);
			printf("\n");
		}
		return C_STAY;
	}
	size_t step = arg ? number_in(arg, a->w.nsteps) : 0;
	if (arg && !step) {
		printf("why takes a step number from 1 to %zu\n", a->w.nsteps);
		return C_STAY;
	}
	if (step) {
		report_step(&a->out, &a->w, step - 1, SIZE_MAX);
		if (!a->w.steps[step - 1].evidence.n)
			printf("    (no evidence: answered %s)\n",
			       answer_by_name(a->w.steps[step - 1].by));
		return C_STAY;
	}
	if (walk_done(&a->w)) {
		/* the evidence of every step that has some */
		for (size_t i = 0; i < a->w.nsteps; i++)
			if (a->w.steps[i].evidence.n)
				report_step(&a->out, &a->w, i, SIZE_MAX);
		return C_STAY;
	}
	if (!a->w.probe_note) {
		printf("Nothing from the cluster about this question%s.\n",
		       a->w.node->probe ? "" : " (no probe reads it)");
		return C_STAY;
	}
	printf("  %sprobe %s:%s ", out_dim(&a->out), a->w.node->probe, out_reset(&a->out));
	say(a->w.probe_note);
	printf("\n");
	for (size_t i = 0; i < a->w.probe_evidence.n; i++) {
		printf("    | ");
		say(a->w.probe_evidence.v[i]);
		printf("\n");
	}
	return C_STAY;
}

static int c_path(struct ask *a, const char *arg)
{
	(void)arg;
	if (!a->w.nsteps)
		printf("No step yet.\n");
	for (size_t i = 0; i < a->w.nsteps; i++)
		report_step(&a->out, &a->w, i, SHOWN_EVIDENCE);
	return C_STAY;
}

static int c_back(struct ask *a, const char *arg)
{
	size_t step = arg ? number_in(arg, a->w.nsteps) : a->w.nsteps;
	if (!a->w.nsteps) {
		printf("This is the first question.\n");
		return C_STAY;
	}
	if (!step) {
		printf("back takes a step number from 1 to %zu\n", a->w.nsteps);
		return C_STAY;
	}
	const struct step *s = &a->w.steps[step - 1];
	a->reask = s->node;
	a->reask_default = s->choice->id;
	walk_back(&a->w, step - 1);
	return C_MOVED;
}

static int c_save(struct ask *a, const char *arg)
{
	static const char *const suffixes[] = {".md", ".json", NULL};
	char *name = NULL, *msg;
	if (!arg) {
		char *base = xasprintf("meshmedic-%s-%s", a->w.start_flow->id,
		                       a->w.diag ? a->w.diag->id : a->w.node->id);
		name = free_name(base, suffixes);
		free(base);
	}
	save_walk(&a->w, a->cluster, arg ? arg : name, &msg);
	say(msg);
	printf("\n");
	free(msg);
	free(name);
	return C_STAY;
}

static int c_quit(struct ask *a, const char *arg)
{
	(void)a, (void)arg;
	return C_QUIT;
}

static const struct ask_cmd commands[] = {
    {"help", "[TOPIC]", "the help page of this question (or TOPIC), and these commands", c_help,
     true},
    {"why", "[STEP]", "the evidence: what the cluster showed here (or at STEP)", c_why, true},
    {"back", "[STEP]", "answer the last step (or STEP) again", c_back, false},
    {"path", "", "the steps so far", c_path, false},
    {"save", "[NAME]", "save the transcript as NAME.md and NAME.json", c_save, false},
    {"quit", "", "end the session (Ctrl-D too)", c_quit, true},
};

static const struct ask_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The commands the prompt at hand takes, for completion. */
static void add_commands(const struct ask *a, struct strlist *out)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++)
		if (cmd_allowed(a, &commands[i]))
			sl_add(out, commands[i].name);
}

static void print_commands(const struct ask *a)
{
	printf("%sAnswer with a choice's number or id (Tab completes). Commands:%s\n",
	       out_dim(&a->out), out_reset(&a->out));
	for (size_t i = 0; i < MM_ARRAY_LEN(commands); i++)
		if (cmd_allowed(a, &commands[i])) {
			char *syn = xasprintf("%s %s", commands[i].name, commands[i].args);
			printf("  %-14s %s\n", syn, commands[i].help);
			free(syn);
		}
}

/* ---- the walk ---- */

/* Take what --answer, --answers and the cluster answer, showing each step. */
static void advance(struct ask *a)
{
	struct walk *w = &a->w;
	/* without a cluster the probe only notes so, as in batch mode */
	bool live = a->cluster && cluster_source(a->cluster);
	while (!walk_done(w) && w->node != a->reask) {
		enum answer_by by;
		const struct strlist *ev;
		char *err = NULL;
		const char *v = walk_prepared(w, &a->p.answers, &by, &ev);
		bool taken;
		if (v) {
			taken = walk_answer(w, v, by, ev, &err);
			free(err);
		} else {
			if (!w->node->probe)
				return;
			if (live && a->tty) {
				printf("%s  asking the cluster... (Ctrl-C cancels)%s",
				       out_dim(&a->out), out_reset(&a->out));
				fflush(stdout);
			}
			line_busy(a->in, true);
			taken = walk_probe(w, a->cluster);
			line_busy(a->in, false);
			if (live && a->tty)
				printf("\r\033[K");
			if (line_cancelled(a->in))
				printf("Cancelled: the question is yours.\n");
		}
		if (!taken) {
			/* what the question needs and the cluster can name: derive it, try again */
			size_t had = w->nderived;
			bool deferred = w->infer_deferred;
			if (v || (!walk_derive_needed(w, a->cluster) && !deferred))
				return;
			for (size_t i = had; i < w->nderived; i++)
				report_derived(&a->out, &w->derived[i]);
			continue;
		}
		report_step(&a->out, w, w->nsteps - 1, SHOWN_EVIDENCE);
	}
}

static void show_question(struct ask *a)
{
	printf("\n");
	report_question(&a->out, &a->w, a->w.nsteps + 1);
	if (a->reask == a->w.node && a->reask_default)
		printf("  %s(Enter keeps %s)%s\n", out_dim(&a->out), a->reask_default,
		       out_reset(&a->out));
}

static void show_end(struct ask *a)
{
	printf("\n");
	report_diag(&a->out, a->w.diag);
	printf(
	    "\n%sDone: save [NAME] keeps the transcript; back, path, why; quit or Ctrl-D ends.%s\n",
	    out_dim(&a->out), out_reset(&a->out));
}

/* One line at a question: a choice, a command, or a mistake. */
static int at_question(struct ask *a, const char *line)
{
	const struct mm_node *node = a->w.node;
	if (!*line && a->reask == node && a->reask_default)
		line = a->reask_default;
	if (!*line) {
		show_question(a);
		return C_STAY;
	}
	int i = pick(line, node->nchoices, node_choice_id, node);
	if (i >= 0) {
		char *err = NULL;
		walk_answer(&a->w, node->choices[i].id, BY_USER, NULL, &err);
		free(err);
		a->reask = NULL;
		report_answer(&a->out, &a->w, a->w.nsteps - 1, 0);
		return C_MOVED;
	}
	bool known;
	int rc = run_command(a, line, &known);
	if (!known) {
		printf("'");
		say(line);
		printf("' is %s: a number from 1 to %zu, a choice id, or a command (help).\n",
		       i == -2 ? "the start of several choices" : "not an answer here",
		       node->nchoices);
	}
	return rc;
}

static int walk_loop(struct ask *a)
{
	bool moved = true;
	for (;;) {
		if (moved) {
			advance(a);
			/* what the cluster shows below the open question, saved as batch saves it */
			if (!walk_done(&a->w))
				walk_likely(&a->w, a->cluster);
			a->at = walk_done(&a->w) ? AT_END : AT_QUESTION;
			if (walk_done(&a->w))
				show_end(a);
			else
				show_question(a);
			moved = false;
		}
		char *label =
		    xasprintf("%s %s", a->w.flow->id, walk_done(&a->w) ? "done" : a->w.node->id);
		char *line = ask_line(a, label);
		free(label);
		if (!line)
			break;
		int rc;
		if (walk_done(&a->w)) {
			bool known;
			rc = *line ? run_command(a, line, &known) : C_STAY;
			if (*line && !known)
				printf("The walk is done: save, back, path, why, help or quit.\n");
		} else {
			rc = at_question(a, line);
		}
		free(line);
		if (rc == C_QUIT)
			break;
		moved = rc == C_MOVED;
	}
	if (!walk_done(&a->w)) {
		printf("Ended at %s:%s, unanswered, after %zu answer%s.\n", a->w.flow->id,
		       a->w.node->id, a->w.nsteps, a->w.nsteps == 1 ? "" : "s");
		char *cmd = xasprintf("meshmedic run %s", a->w.start_flow->id);
		printf("%sContinue later: save it first, then %s --answers NAME.json%s\n",
		       out_dim(&a->out), cmd, out_reset(&a->out));
		free(cmd);
	}
	return 0;
}

/* ---- before the walk: the flow and its inputs ---- */

/*
 * Whether line is an access log line or an Envoy error body: then say what
 * it shows, keep it for the walk, and set *f to its flow (NULL when no flow
 * covers it).
 */
static bool from_line(struct ask *a, const char *line, const struct mm_flow **f)
{
	struct from_log fl;
	char *err = NULL;
	if (!from_log_read(&a->c->o, a->c->kb, line, &fl, &err)) {
		free(err);
		return false;
	}
	char *sum = from_log_summary(&fl);
	printf("  %s\n", sum);
	free(sum);
	*f = fl.flow;
	if (!fl.flow) {
		printf("Give a flow's number or id to walk one anyway "
		       "(meshmedic logs --explain LINE reads the line).\n");
		from_log_free(&fl);
		return true;
	}
	from_log_free(&a->fl);
	a->fl = fl;
	a->from_log = true;
	return true;
}

/* Which flow: a number, an id, or words from the symptom (an error line). NULL: ended. */
static const struct mm_flow *choose_flow(struct ask *a)
{
	const struct mm_kb *kb = a->c->kb;
	a->at = AT_FLOW;
	printf("Which symptom? A number, a flow id, or paste the error or access log line.\n");
	for (size_t i = 0; i < kb->nflows; i++) {
		printf("  %2zu) %s%-12s%s ", i + 1, out_bold(&a->out), kb->flows[i]->id,
		       out_reset(&a->out));
		say(kb->flows[i]->title);
		printf("\n");
	}
	for (;;) {
		char *line = ask_line(a, "symptom");
		if (!line)
			return NULL;
		const struct mm_flow *f = NULL;
		bool known = false;
		int i = pick(line, kb->nflows, flow_id_at, kb);
		if (i >= 0)
			f = kb->flows[i];
		else if (strcmp(line, "quit") == 0) {
			free(line);
			return NULL;
		} else if (strncmp(line, "help", 4) == 0 && (!line[4] || line[4] == ' ')) {
			run_command(a, line, &known);
		} else if (*line && from_line(a, line, &f)) {
			/* f is the line's flow, or NULL when none covers it (said) */
		} else if (*line) {
			const struct mm_flow **v = xcalloc(kb->nflows + 1, sizeof(*v));
			int *score = xcalloc(kb->nflows + 1, sizeof(*score));
			size_t n = kb_flows_ranked(kb, line, v, score);
			/* the best is taken when it matches at least twice as well as the next */
			if (n == 1 || (n > 1 && score[0] >= 2 * score[1] && score[0] > 0))
				f = v[0];
			for (size_t k = 0; k < n; k++) {
				printf("  %s%-12s%s ", out_bold(&a->out), v[k]->id, out_reset(&a->out));
				say(v[k]->title);
				printf("\n");
			}
			if (!n)
				printf("No flow matches that: give a number from 1 to %zu.\n",
				       kb->nflows);
			else if (!f)
				printf("Several flows match, the best first: give the id of one.\n");
			free(v);
			free(score);
		}
		free(line);
		if (f)
			return f;
	}
}

/* Ask the inputs the command line left unset (a script: the required ones). False: ended. */
static bool ask_inputs(struct ask *a)
{
	const struct mm_flow *f = a->w.start_flow;
	a->at = AT_INPUT;
	for (size_t i = 0; i < f->ninputs; i++) {
		const struct mm_input *in = &f->inputs[i];
		/* a script gives the optional ones with --set: what it is asked stays predictable
		 */
		if (kv_get(&a->w.inputs, in->name) || (!a->tty && !in->required))
			continue;
		a->input = in;
		sl_free(&a->names);
		a->names_ok = false;
		for (;;) {
			printf("%s", out_bold(&a->out));
			say(in->prompt);
			/* an input the cluster can name is derived on Enter, now or when needed */
			bool derives = in->derive && a->cluster;
			printf("%s%s%s%s%s\n", out_reset(&a->out), in->def ? " [" : "",
			       in->def ? in->def : "", in->def ? "]" : "",
			       derives && !in->def ? " (Enter derives it from the cluster)"
			       : in->required || in->def ? ""
			                                 : " (Enter skips)");
			char *line = ask_line(a, in->name);
			if (!line)
				return false;
			char *err = NULL;
			bool ok = !*line ? !in->required || in->def
			                 : walk_set_input(&a->w, in->name, line, &err);
			if (!*line && in->required && !in->def && derives &&
			    (ok = walk_derive(&a->w, a->cluster, in->name, &err)))
				report_derived(&a->out, &a->w.derived[a->w.nderived - 1]);
			if (!ok) {
				say(err ? err : "a value is needed");
				printf("\n");
			}
			free(err);
			free(line);
			if (ok)
				break;
		}
	}
	return true;
}

/* ---- onboarding on the prompt ---- */

/* The checklist item by item: what the cluster and --answer decide is shown, the rest asked. */
static void onboard_loop(struct ask *a, struct onboard *ob)
{
	bool ended = false;
	a->ob = ob;
	printf("Onboarding %s%s%s into the mesh: %zu items.\n", ob->ns, ob->service ? "/" : "",
	       ob->service ? ob->service : "", ob->n);
	/* every item reads most kinds: fetch them at once (Ctrl-C cancels, as for a probe) */
	if (a->cluster && a->c->o.live) {
		line_busy(a->in, true);
		live_prefetch(a->cluster, live_kinds());
		line_busy(a->in, false);
	}
	for (size_t i = 0; i < ob->n && !ended; i++) {
		struct ob_result *r = &ob->v[i];
		char *err = NULL;
		line_busy(a->in, true);
		onboard_check(ob, i, a->cluster);
		line_busy(a->in, false);
		/* --answer ITEM=CHOICE decides, as in onboard --batch (checked before) */
		onboard_apply(ob, &a->c->o.answer, (int)i, &err);
		free(err);
		err = NULL;
		int width = line_width(a->in);
		printf("\n%s%2zu. %s:%s %s\n", out_bold(&a->out), i + 1, r->title,
		       out_reset(&a->out), r->status == OB_ASK ? "?" : ob_status_name(r->status));
		if (r->reason)
			wrap(stdout, r->reason, 4, width);
		if (r->status != OB_ASK)
			continue;
		a->at = AT_ITEM;
		a->item = i;
		fputs(out_bold(&a->out), stdout);
		wrap(stdout, r->question, 4, width);
		fputs(out_reset(&a->out), stdout);
		for (size_t k = 0; k < r->nchoices; k++) {
			printf("  %2zu) %s%-10s%s ", k + 1, out_bold(&a->out), r->choices[k].id,
			       out_reset(&a->out));
			say(r->choices[k].label);
			printf("\n");
		}
		while (r->status == OB_ASK) {
			char *line = ask_line(a, r->id);
			if (!line) {
				ended = true;
				break;
			}
			int k = pick(line, r->nchoices, item_choice_id, r);
			bool known = true;
			if (k >= 0)
				onboard_answer(ob, r->id, r->choices[k].id, &err);
			else if (*line && run_command(a, line, &known) == C_QUIT)
				ended = true;
			if (!known)
				printf("A number from 1 to %zu, a choice id, or help, why, quit.\n",
				       r->nchoices);
			free(err);
			err = NULL;
			free(line);
			if (ended)
				break;
		}
		if (r->status != OB_ASK)
			printf("    -> %s\n", ob_status_name(r->status));
	}
	printf("\n");
	onboard_report(&a->out, ob);
	a->ob = NULL;
}

/* ---- the command ---- */

int cmd_ask(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("ask takes one FLOW, not '%s' as well", argv[2]);
	const char *flow_id = argc > 1 ? argv[1] : NULL;
	bool onboarding = flow_id && strcmp(flow_id, "onboard") == 0;
	if (c->o.answers_file && strcmp(c->o.answers_file, "-") == 0)
		return usage_error("ask reads its answers from standard input: "
		                   "give --answers a file, not '-'");
	if (onboarding && !c->o.ns)
		return usage_error("ask onboard needs -n NAMESPACE");
	struct onboard ob = {0};
	if (c->o.format != FMT_TEXT)
		return usage_error(
		    "ask talks in text; for JSON use run (or onboard) --batch --format json");
	struct ask a = {0};
	a.c = c;
	a.out = c->out;
	a.tty = isatty(STDIN_FILENO);
	/* colours only for a person at a terminal */
	a.out.color = a.out.color && a.tty;
	int rc = onboarding ? -1 : prepare(c, flow_id, c->o.answers_file, &a.p);
	if (rc >= 0)
		goto out;
	rc = 2;
	char *err = NULL;
	if (onboarding) {
		onboard_init(&ob, c->o.ns, c->o.service);
		if (!onboard_apply(&ob, &c->o.answer, -1, &err)) {
			rc = usage_error("--answer: %s", err);
			free(err);
			goto out;
		}
	}
	/* the inputs given are checked before anything is asked */
	if (a.p.flow && (rc = preset_check(c, &a.p, a.p.flow)) >= 0)
		goto out;
	rc = 2;
	bool failed;
	a.cluster = open_cluster_opt(c, &failed);
	if (failed)
		goto out;
	char *history = state_path("history");
	a.in = line_open(a.tty, history, candidates, &a);
	free(history);
	rc = 0;
	if (onboarding) {
		ob.source = session_source_label(c);
		onboard_loop(&a, &ob);
		goto out;
	}
	const struct mm_flow *f = a.p.flow;
	/* --from-log: the line names the flow when FLOW does not */
	if (c->o.from_log) {
		if (!from_log_read(&c->o, c->kb, c->o.from_log, &a.fl, &err)) {
			rc = usage_error("--from-log: %s", err ? err
			                 : "neither an access log line (Istio's formats or "
			                   "--log-format) nor an error body Envoy sends");
			free(err);
			goto out;
		}
		a.from_log = true;
		char *sum = from_log_summary(&a.fl);
		printf("%s\n", sum);
		free(sum);
		if (!f)
			f = a.fl.flow;
	}
	if (!f)
		f = choose_flow(&a);
	if (!f)
		goto out;
	if (a.from_log)
		from_log_prepare(&a.fl, f, &a.p.file_inputs, &a.p.answers);
	walk_init(&a.w, c->kb, f);
	a.walking = true;
	if (!walk_preset(&c->o, &a.p.file_inputs, c->o.answers_file, &a.w, &err)) {
		rc = usage_error("%s", err);
		free(err);
		goto out;
	}
	walk_derive_replay(&a.w, &a.p.answers);
	/* the pod the line's caller address belongs to, when the flow asks for one */
	const char *caller = a.from_log && flow_input(f, "pod") && !kv_get(&a.w.inputs, "pod")
	                         ? from_log_caller(&a.fl, a.cluster, walk_input(&a.w, "namespace"))
	                         : NULL;
	if (caller && walk_set_input(&a.w, "pod", caller, &err))
		printf("  the caller, by its address %s in the line: pod %s\n", a.fl.h.caller_ip,
		       caller);
	free(err);
	err = NULL;
	printf("%s%s%s: ", out_bold(&a.out), f->id, out_reset(&a.out));
	say(f->title);
	printf("\n%s(help lists the commands; Ctrl-D ends)%s\n", out_dim(&a.out),
	       out_reset(&a.out));
	if (ask_inputs(&a))
		rc = walk_loop(&a);
out:
	if (onboarding)
		onboard_free(&ob);
	line_close(a.in);
	if (a.walking)
		walk_free(&a.w);
	sl_free(&a.names);
	cluster_free(a.cluster);
	prepared_free(&a.p);
	from_log_free(&a.fl);
	return rc;
}
