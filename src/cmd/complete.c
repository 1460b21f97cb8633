/*
 * `meshmedic __complete WORD...`: the candidates for the last word, given the
 * words before it, for completions/meshmedic.bash and completions/_meshmedic.
 * Commands and options come from the tables --help prints; ids from the flow
 * set (with the line's --flows); names from the line's --snapshot. It never
 * reads a live cluster: with --live on the line, names are not completed.
 * Anything that cannot load yields no candidates, quietly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cluster/cluster.h"
#include "cluster/snapshot.h"
#include "onboard/onboard.h"
#include "session/session.h"

/* What the words before the one being completed say. */
struct line {
	const struct command *cmd;
	const char *arg1; /* the command's first argument */
	int nargs;        /* arguments after the command */
	const char *snapshot, *ns;
	bool live;
	struct strlist flows_dirs;
	struct kvlist sets;
	unsigned long long given;
	struct mm_kb *kb;
	struct cluster *cluster;
	bool cluster_tried;
};

/* Only words a shell inserts as they are: no blanks, quotes or expansions from a snapshot. */
static bool plain_word(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._:/=@+,-", *p)))
			return false;
	return *s != 0;
}

/* Print prefix+word when it starts with what is typed (cur, which includes prefix). */
static void offer(const char *cur, const char *prefix, const char *word)
{
	if (!plain_word(word))
		return;
	size_t np = strlen(prefix);
	if (strncmp(cur, prefix, np) != 0 || strncmp(cur + np, word, strlen(cur + np)) != 0)
		return;
	printf("%s%s\n", prefix, word);
}

static struct mm_kb *kb_of(struct line *l)
{
	if (!l->kb) {
		struct mm_errors errs = {0};
		l->kb = cli_load_kb(&l->flows_dirs, &errs);
		errs_free(&errs);
	}
	return l->kb;
}

/* The snapshot of the line, or NULL: none given, --live given, or it does not load. */
static struct cluster *cluster_of(struct line *l)
{
	if (!l->cluster_tried && l->snapshot && !l->live) {
		struct mm_errors errs = {0};
		l->cluster = snapshot_open(l->snapshot, &errs);
		errs_free(&errs);
	}
	l->cluster_tried = true;
	return l->cluster;
}

static const char *line_ns(const struct line *l)
{
	return l->ns ? l->ns : kv_get(&l->sets, "namespace");
}

static void offer_names(struct line *l, const char *cur, const char *prefix, const char *kind)
{
	struct cluster *c = cluster_of(l);
	if (!c)
		return;
	struct strlist names = {0};
	names_read(c, kind, strcmp(kind, "Namespace") == 0 ? NULL : line_ns(l), &names);
	for (size_t i = 0; i < names.n; i++)
		offer(cur, prefix, names.v[i]);
	sl_free(&names);
}

/* The flow the line walks, or NULL. */
static const struct mm_flow *line_flow(struct line *l)
{
	if (!l->cmd || !l->arg1 || strcmp(l->cmd->name, "graph") == 0)
		return NULL;
	return kb_flow(kb_of(l), l->arg1);
}

/* The flows whose inputs and questions a --set or --answer of the line may name. */
static void line_flows(struct line *l, const struct mm_flow ***v, size_t *n)
{
	static const struct mm_flow *one;
	one = line_flow(l);
	if (one) {
		*v = &one;
		*n = 1;
		return;
	}
	struct mm_kb *kb = kb_of(l);
	*v = (const struct mm_flow **)kb->flows;
	*n = kb->nflows;
}

/* --set NAME=VALUE: the flow's input names, then the names the input takes. */
static void offer_input(struct line *l, const char *cur, const char *prefix)
{
	const struct mm_flow **flows;
	size_t nf;
	line_flows(l, &flows, &nf);
	const char *typed = cur + strlen(prefix), *eq = strchr(typed, '=');
	struct strlist seen = {0};
	for (size_t i = 0; i < nf; i++)
		for (size_t k = 0; k < flows[i]->ninputs; k++) {
			const struct mm_input *in = &flows[i]->inputs[k];
			if (!eq) {
				char *w = xasprintf("%s=", in->name);
				if (!sl_has(&seen, w))
					offer(cur, prefix, w);
				sl_take(&seen, w);
				continue;
			}
			if (strlen(in->name) != (size_t)(eq - typed) ||
			    strncmp(in->name, typed, (size_t)(eq - typed)) != 0 || sl_has(&seen, in->name))
				continue;
			sl_add(&seen, in->name);
			struct cluster *c = cluster_of(l);
			if (!c)
				continue;
			struct strlist names = {0};
			input_names(c, flows[i], &l->sets, in, line_ns(l), &names);
			char *p = xasprintf("%s%s=", prefix, in->name);
			for (size_t j = 0; j < names.n; j++)
				offer(cur, p, names.v[j]);
			free(p);
			sl_free(&names);
		}
	sl_free(&seen);
}

/* --answer NODE=CHOICE: the flow's questions, then the choices of the one named. */
static void offer_answer(struct line *l, const char *cur, const char *prefix)
{
	const struct mm_flow **flows;
	size_t nf;
	line_flows(l, &flows, &nf);
	const char *typed = cur + strlen(prefix), *eq = strchr(typed, '=');
	struct strlist seen = {0};
	for (size_t i = 0; i < nf; i++)
		for (size_t k = 0; k < flows[i]->nnodes; k++) {
			const struct mm_node *nd = &flows[i]->nodes[k];
			char *node = xasprintf("%s=", nd->id);
			char *qualified = xasprintf("%s:%s=", flows[i]->id, nd->id);
			if (!eq) {
				if (!sl_has(&seen, node))
					offer(cur, prefix, node);
				offer(cur, prefix, qualified);
				sl_add(&seen, node);
			} else {
				size_t n = (size_t)(eq - typed) + 1;
				const char *which = strlen(node) == n && strncmp(node, typed, n) == 0 ? node
				                    : strlen(qualified) == n && strncmp(qualified, typed, n) == 0
				                        ? qualified
				                        : NULL;
				char *p = which ? xasprintf("%s%s", prefix, which) : NULL;
				for (size_t j = 0; p && j < nd->nchoices; j++)
					offer(cur, p, nd->choices[j].id);
				free(p);
			}
			free(node);
			free(qualified);
		}
	sl_free(&seen);
}

/* --answer ITEM=CHOICE of the onboarding checklist (onboard, ask onboard). */
static void offer_checklist(const char *cur, const char *prefix)
{
	struct onboard o;
	onboard_init(&o, "default", NULL);
	const char *typed = cur + strlen(prefix), *eq = strchr(typed, '=');
	for (size_t i = 0; i < o.n; i++) {
		const struct ob_result *r = &o.v[i];
		char *item = xasprintf("%s=", r->id);
		size_t n = strlen(item);
		if (!eq) {
			offer(cur, prefix, item);
		} else if ((size_t)(eq - typed) + 1 == n && strncmp(typed, item, n) == 0) {
			char *p = xasprintf("%s%s", prefix, item);
			for (size_t k = 0; k < r->nchoices; k++)
				offer(cur, p, r->choices[k].id);
			free(p);
		}
		free(item);
	}
	onboard_free(&o);
}

/* The value of option d; prefix is "--NAME=" when the value is in the same word. */
static void offer_value(struct line *l, const struct opt_def *d, const char *cur, const char *prefix)
{
	static const char *const levels[] = {"error", "warning", "info"};
	switch (d->value) {
	case OV_NONE:
		break;
	case OV_FILE:
	case OV_PATH:
		printf(":files\n");
		break;
	case OV_DIR:
		printf(":dirs\n");
		break;
	case OV_NAMESPACE:
		offer_names(l, cur, prefix, "Namespace");
		break;
	case OV_POD:
		offer_names(l, cur, prefix, "Pod");
		break;
	case OV_SERVICE:
		offer_names(l, cur, prefix, "Service");
		break;
	case OV_FORMAT:
		for (size_t i = 0; i < MM_ARRAY_LEN(out_format_names); i++)
			if (!l->cmd || (l->cmd->formats && strstr(l->cmd->formats, out_format_names[i])))
				offer(cur, prefix, out_format_names[i]);
		break;
	case OV_LEVEL:
		for (size_t i = 0; i < MM_ARRAY_LEN(levels); i++)
			offer(cur, prefix, levels[i]);
		break;
	case OV_INPUT:
		offer_input(l, cur, prefix);
		break;
	case OV_ANSWER:
		if (l->cmd && (strcmp(l->cmd->name, "onboard") == 0 ||
		               (strcmp(l->cmd->name, "ask") == 0 && l->arg1 &&
		                strcmp(l->arg1, "onboard") == 0)))
			offer_checklist(cur, prefix);
		else
			offer_answer(l, cur, prefix);
		break;
	}
}

/* The options the command takes (every one before a command), but those given once already. */
static void offer_options(const struct line *l, const char *cur)
{
	for (size_t i = 0; i < opt_ndefs; i++) {
		const struct opt_def *d = &opt_defs[i];
		if ((l->cmd && !command_takes(l->cmd, d)) ||
		    ((l->given >> i & 1) && d->store != OS_LIST))
			continue;
		char *w = xasprintf("--%s", d->name);
		offer(cur, "", w);
		free(w);
		if (d->short_name && strncmp(cur, "--", 2) != 0) {
			char s[3] = {'-', d->short_name, 0};
			offer(cur, "", s);
		}
	}
}

/* An argument of the command. */
static void offer_argument(struct line *l, const char *cur)
{
	if (!l->cmd) {
		size_t n;
		const struct command *cmds = cli_commands(&n);
		for (size_t i = 0; i < n; i++)
			offer(cur, "", cmds[i].name);
		return;
	}
	const char *name = l->cmd->name;
	if (strcmp(name, "lint") == 0 || (strcmp(name, "logs") == 0 && l->nargs == 0)) {
		printf(":files\n");
		return;
	}
	if (l->nargs > 0)
		return;
	struct mm_kb *kb = NULL;
	if (strcmp(name, "run") == 0 || strcmp(name, "tui") == 0 || strcmp(name, "ask") == 0 ||
	    strcmp(name, "graph") == 0) {
		kb = kb_of(l);
		for (size_t i = 0; i < kb->nflows; i++)
			offer(cur, "", kb->flows[i]->id);
		if (strcmp(name, "ask") == 0)
			offer(cur, "", "onboard");
	} else if (strcmp(name, "explain") == 0) {
		kb = kb_of(l);
		for (size_t i = 0; i < kb->ndiags; i++)
			offer(cur, "", kb->diags[i]->id);
	} else if (strcmp(name, "help") == 0) {
		kb = kb_of(l);
		for (size_t i = 0; i < kb->nhelp; i++)
			offer(cur, "", kb->help[i]->topic);
	}
}

/* Note what option d with value v (NULL for none) says about the line. */
static void note(struct line *l, const struct opt_def *d, const char *v)
{
	l->given |= 1ULL << (d - opt_defs);
	if (!v)
		l->live = l->live || strcmp(d->name, "live") == 0;
	else if (strcmp(d->name, "snapshot") == 0)
		l->snapshot = v;
	else if (strcmp(d->name, "namespace") == 0)
		l->ns = v;
	else if (strcmp(d->name, "flows") == 0)
		sl_add(&l->flows_dirs, v);
	else if (strcmp(d->name, "set") == 0 && strchr(v, '=') && strchr(v, '=') != v) {
		char *k = xstrndup(v, (size_t)(strchr(v, '=') - v));
		kv_set(&l->sets, k, strchr(v, '=') + 1);
		free(k);
	}
}

/* The option a word names ("--name", "--name=v", "-n", "-nv"), its value in *inline_v, or NULL. */
static const struct opt_def *option_word(const char *w, const char **inline_v)
{
	*inline_v = NULL;
	if (strncmp(w, "--", 2) == 0 && w[2]) {
		const char *eq = strchr(w, '=');
		char *name = eq ? xstrndup(w + 2, (size_t)(eq - w - 2)) : xstrdup(w + 2);
		const struct opt_def *d = opt_find(name, 0);
		free(name);
		if (eq)
			*inline_v = eq + 1;
		return d;
	}
	if (w[0] == '-' && w[1] && w[1] != '-') {
		const struct opt_def *d = opt_find(NULL, w[1]);
		if (w[2])
			*inline_v = w + 2;
		return d;
	}
	return NULL;
}

int cli_complete(int nwords, char **words)
{
	struct line l = {0};
	const char *cur = nwords > 0 ? words[nwords - 1] : "";
	const struct opt_def *pending = NULL;
	bool rest = false; /* after "--" every word is an argument */
	for (int i = 0; i < nwords - 1; i++) {
		const char *w = words[i], *v;
		const struct opt_def *d = rest ? NULL : option_word(w, &v);
		if (!rest && strcmp(w, "--") == 0) {
			rest = true;
		} else if (d) {
			if (d->arg && !v) {
				if (i + 1 == nwords - 1) {
					pending = d;
					break;
				}
				v = words[++i];
			}
			note(&l, d, d->arg ? v : NULL);
		} else if (!rest && w[0] == '-' && w[1]) {
			/* an unknown option: skipped */
		} else if (!l.cmd) {
			l.cmd = cli_command(w);
		} else {
			if (!l.nargs)
				l.arg1 = w;
			l.nargs++;
		}
	}
	const char *v;
	const struct opt_def *d;
	if (pending) {
		offer_value(&l, pending, cur, "");
	} else if (!rest && strncmp(cur, "--", 2) == 0 && strchr(cur, '=') &&
	           (d = option_word(cur, &v)) && d->arg) {
		char *prefix = xstrndup(cur, (size_t)(v - cur));
		offer_value(&l, d, cur, prefix);
		free(prefix);
	} else if (!rest && cur[0] == '-') {
		offer_options(&l, cur);
	} else {
		offer_argument(&l, cur);
	}
	kb_free(l.kb);
	cluster_free(l.cluster);
	sl_free(&l.flows_dirs);
	kv_free(&l.sets);
	return fflush(stdout) == 0 ? 0 : 2;
}
