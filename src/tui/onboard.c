/*
 * The onboarding checklist screen: every item with its mark, checked one
 * after the other on the worker thread (Esc stops the checks, r goes on),
 * and under the list what the selected item says. Enter shows an item's
 * reason, evidence, fix and help page; an item the cluster could not decide
 * opens the question screen, where a number or the arrows and Enter answer
 * it. 's' saves the report as Markdown; q quits with the checklist's exit
 * status (0 nothing fails, 1 something to fix).
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onboard/onboard.h"
#include "session/session.h"
#include "tui/tui.h"

/* ---- checking, on the worker thread ---- */

static void check_next(struct tui *t);

static void check_run(struct tui *t)
{
	onboard_check(t->ob, t->ob_next, t->s->cluster);
}

static struct act check_done(struct tui *t)
{
	struct ob_result *r = &t->ob->v[t->ob_next];
	char *err = NULL;
	if (t->job.cancelled) {
		free(r->reason);
		r->reason = xstrdup("cancelled with Esc: answer it, or press r to check again");
		r->status = OB_ASK;
		t->ob_stopped = true;
		tui_msg(t, false, "Checks stopped: r checks the rest");
		return K_DONE;
	}
	/* --answer decides an item over what the cluster shows, as in batch mode */
	onboard_apply(t->ob, &t->s->c->o.answer, (int)t->ob_next, &err);
	free(err);
	t->ob_next++;
	check_next(t);
	return K_DONE;
}

static void check_next(struct tui *t)
{
	if (!t->ob_stopped && t->ob_next < t->ob->n) {
		t->job.run = check_run;
		job_start(t, JOB_CALL, check_done);
	} else if (t->ob_next == t->ob->n) {
		tui_msg(t, false, "Every item checked: Enter shows one, or answers its question");
	}
}

/* Opened on the session's checklist: every item is checked from the first. */
static struct act onboard_enter(struct tui *t)
{
	t->ob = t->s->onboard;
	t->ob_sel = t->ob_top = t->ob_next = 0;
	t->ob_stopped = false;
	check_next(t);
	return K_DONE;
}

/* Whether item i has been checked (or stopped at): its result may be read. */
static bool checked(const struct tui *t, size_t i)
{
	return i < t->ob_next || (i == t->ob_next && t->ob_stopped && !t->job.running);
}

/* ---- drawing ---- */

static const enum role status_roles[] = {R_GOOD, R_WARN, R_BAD, R_WARN};
static const char *const status_marks[] = {"PASS", "WARN", "FAIL", "ASK"};

static int list_rows(const struct tui *t)
{
	int rows = t->rows - 11;
	return rows < (int)t->ob->n ? rows : (int)t->ob->n;
}

static void item_line(struct tui *t, size_t i, int y)
{
	const struct ob_result *r = &t->ob->v[i];
	bool sel = i == t->ob_sel, done = checked(t, i);
	if (sel) {
		attron(text_attr(R_SEL));
		mvhline(y, 1, ' ', t->cols - 2);
		attroff(text_attr(R_SEL));
	}
	tui_put(y, 1, 2, sel ? R_SEL : R_PLAIN, sel ? glyph_mark() : " ");
	int64_t ms = tui_now_ms() - t->job.started_ms;
	const char *mark = done                                ? status_marks[r->status]
	                   : i == t->ob_next && t->job.running ? glyph_spin(ms)
	                                                       : "....";
	tui_putf(y, 3, 6, sel ? R_SEL : done ? status_roles[r->status] : R_DIM, "%-4s", mark);
	tui_putf(y, 9, t->cols - 31, sel ? R_SEL : R_BOLD, "%s", r->title);
	const char *tail = !done         ? (i == t->ob_next && t->job.running ? "checking" : "")
	                   : r->answered ? "answered"
	                   : r->status == OB_ASK ? "to answer: Enter"
	                                         : "";
	tui_put(y, t->cols - 21, 20, sel ? R_SEL : R_DIM, tail);
}

static void counts_line(struct tui *t)
{
	size_t n[4] = {0};
	for (size_t i = 0; i < t->ob->n; i++)
		n[checked(t, i) ? t->ob->v[i].status : OB_ASK]++;
	char *c = xasprintf("%zu pass  %zu warn  %zu fail  %zu open", n[OB_PASS], n[OB_WARN],
	                    n[OB_FAIL], n[OB_ASK]);
	int w = text_width(c);
	tui_putf(1, 1, t->cols - w - 4, R_BOLD, "Namespace %s%s%s", t->ob->ns,
	         t->ob->service ? ", Service " : ", every Service",
	         t->ob->service ? t->ob->service : "");
	tui_put(1, t->cols - w - 1, w, R_DIM, c);
	free(c);
}

/* What the selected item says, in rows y0..y1. */
static void detail_draw(struct tui *t, int y0, int y1)
{
	const struct ob_result *r = &t->ob->v[t->ob_sel];
	struct strlist lines = {0};
	if (!checked(t, t->ob_sel))
		sl_add(&lines, "Not checked yet.");
	else if (r->status == OB_ASK) {
		tui_wrap(r->question, t->cols - 4, "", 0, &lines);
		char *why =
		    xasprintf("The cluster could not tell: %s.", r->reason ? r->reason : "");
		tui_wrap(why, t->cols - 4, "", 0, &lines);
		free(why);
	} else {
		tui_wrap(r->reason ? r->reason : "", t->cols - 4, "", 0, &lines);
	}
	for (size_t i = 0; i < lines.n && y0 + (int)i <= y1; i++)
		tui_put(y0 + (int)i, 2, t->cols - 4,
		        i == 0 && r->status == OB_ASK && checked(t, t->ob_sel) ? R_BOLD : R_PLAIN,
		        lines.v[i]);
	sl_free(&lines);
}

static void onboard_draw(struct tui *t)
{
	counts_line(t);
	tui_rule(2, NULL);
	int rows = list_rows(t);
	if (t->ob_sel < t->ob_top)
		t->ob_top = t->ob_sel;
	if (t->ob_sel >= t->ob_top + (size_t)rows)
		t->ob_top = t->ob_sel - (size_t)rows + 1;
	for (int k = 0; k < rows && t->ob_top + (size_t)k < t->ob->n; k++)
		item_line(t, t->ob_top + (size_t)k, 3 + k);
	const struct ob_result *r = &t->ob->v[t->ob_sel];
	char *title = xasprintf("%s (meshmedic help %s)", r->id, r->help);
	tui_rule(3 + rows, title);
	free(title);
	detail_draw(t, 4 + rows, t->rows - 3);
}

/* ---- the checklist's keys ---- */

static struct act move_sel(struct tui *t, long by)
{
	long s = (long)t->ob_sel + by, n = (long)t->ob->n;
	t->ob_sel = (size_t)(s < 0 ? 0 : s >= n ? n - 1 : s);
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	return move_sel(t, 1);
}

static struct act key_up(struct tui *t)
{
	return move_sel(t, -1);
}

static struct act key_home(struct tui *t)
{
	return move_sel(t, -(long)t->ob->n);
}

static struct act key_end(struct tui *t)
{
	return move_sel(t, (long)t->ob->n);
}

/* The selected item's reason, evidence and fix, before its help page. New string. */
static char *item_details(const struct ob_result *r)
{
	struct sbuf b;
	sb_init(&b);
	sb_printf(&b, "%s (%s): %s%s\n\n%s\n", r->title, r->id, ob_status_name(r->status),
	          r->answered ? ", answered" : "", r->reason ? r->reason : "");
	if (r->evidence.n)
		sb_add(&b, "\nEvidence:\n");
	for (size_t i = 0; i < r->evidence.n; i++)
		sb_printf(&b, "    %s\n", r->evidence.v[i]);
	if (r->fix && r->status != OB_PASS)
		sb_printf(&b, "\nFix:\n%s\n", r->fix);
	sb_printf(&b, "\nQuestion (a to answer it): %s", r->question);
	return sb_steal(&b);
}

static struct act open_ask(struct tui *t)
{
	if (!checked(t, t->ob_sel))
		return K_DONE;
	return K_PUSH(SCR_ONBOARD_ASK);
}

static struct act key_enter(struct tui *t)
{
	const struct ob_result *r = &t->ob->v[t->ob_sel];
	if (!checked(t, t->ob_sel)) {
		tui_msg(t, false, "%s is not checked yet", r->id);
		return K_DONE;
	}
	if (r->status == OB_ASK)
		return open_ask(t);
	struct strlist topics = {0};
	sl_add(&topics, r->help);
	char *text = item_details(r);
	struct act a = pager_open_help(t, text, &topics);
	free(text);
	sl_free(&topics);
	return a;
}

static struct act key_help(struct tui *t)
{
	struct strlist topics = {0};
	sl_add(&topics, "onboarding");
	struct act a = pager_open_help(t, NULL, &topics);
	sl_free(&topics);
	return a;
}

static struct act key_resume(struct tui *t)
{
	if (!t->ob_stopped) {
		tui_msg(t, false, "the checks are not stopped");
		return K_DONE;
	}
	t->ob_stopped = false;
	check_next(t);
	return K_DONE;
}

static void print_report(FILE *fp, void *arg)
{
	struct out o = {fp, FMT_MARKDOWN, false};
	onboard_report(&o, arg);
}

static void save_done(struct tui *t, const char *value)
{
	char *err = NULL;
	if (!*value)
		tui_msg(t, false, "not saved");
	else if (access(value, F_OK) == 0)
		tui_msg(t, true, "%s exists: choose another name (s)", value);
	else if (write_new(value, print_report, t->ob, &err))
		tui_msg(t, false, "Saved the report as %s", value);
	else
		tui_msg(t, true, "%s (s to try another name)", err);
	free(err);
}

static struct act key_save(struct tui *t)
{
	static const char *const suffixes[] = {".md", NULL};
	char *base = xasprintf("meshmedic-onboard-%s", t->ob->ns);
	char *name = free_name(base, suffixes);
	char *path = xasprintf("%s.md", name);
	tui_prompt(t, "Save the report (Markdown) as:", path, save_done);
	free(path);
	free(name);
	free(base);
	return K_DONE;
}

static struct act key_quit(struct tui *t)
{
	t->status = onboard_exit_status(t->ob);
	return K_QUIT;
}

static const struct binding onboard_keys[] = {
    {{KEY_DOWN, 'j'}, "Down, j", "the next item", key_down},
    {{KEY_UP, 'k'}, "Up, k", "the item before", key_up},
    {{KEY_HOME, 'g'}, "Home, g", "the first item", key_home},
    {{KEY_END, 'G'}, "End, G", "the last item", key_end},
    {{'\n', '\r', KEY_ENTER},
     "Enter",
     "the item: its reason, evidence, fix and help; or its "
     "question when the cluster could not tell",
     key_enter},
    {{'a'}, "a", "answer the item's question (also over what the cluster showed)", open_ask},
    {{'r'}, "r", "go on checking after Esc stopped the checks", key_resume},
    {{'s'}, "s", "save the report as Markdown", key_save},
    {{'?', KEY_F(1)}, "?", "how the checklist works (again: the keys)", key_help},
    {{'q'}, "q", "quit: exit status 0 when nothing fails, 1 otherwise", key_quit},
    {{0}, "Esc", "stop the checks (while they run)", NULL},
    {{0}, NULL, NULL, NULL},
};

const struct screen screen_onboard = {"onboarding checklist", onboard_enter, onboard_draw, onboard_keys, NULL,
	"Up/Down move  Enter open/answer  a answer  s save  ? help  q quit"};

/* ---- the question screen ---- */

/* Opened on the item selected, with its first choice selected. */
static struct act ask_enter_screen(struct tui *t)
{
	t->ob_choice = 0;
	return K_DONE;
}

static void ask_draw(struct tui *t)
{
	const struct ob_result *r = &t->ob->v[t->ob_sel];
	tui_putf(1, 1, t->cols - 2, R_BOLD, "%s (%s)", r->title, r->id);
	tui_rule(2, NULL);
	struct strlist lines = {0};
	tui_wrap(r->question, t->cols - 4, "", 0, &lines);
	int y = 3;
	for (size_t i = 0; i < lines.n && y < t->rows - 4; i++)
		tui_put(y++, 2, t->cols - 4, R_BOLD, lines.v[i]);
	sl_free(&lines);
	char *now =
	    r->status == OB_ASK
	        ? xasprintf("The cluster could not tell: %s.", r->reason ? r->reason : "")
	        : xasprintf("Now %s: %s", ob_status_name(r->status), r->reason ? r->reason : "");
	tui_wrap(now, t->cols - 4, "", 0, &lines);
	free(now);
	y++;
	for (size_t i = 0; i < lines.n && i < 3 && y < t->rows - 4; i++)
		tui_put(y++, 2, t->cols - 4, R_DIM, lines.v[i]);
	sl_free(&lines);
	y++;
	for (size_t i = 0; i < r->nchoices && y < t->rows - 2; i++, y++) {
		bool sel = i == t->ob_choice;
		if (sel) {
			attron(text_attr(R_SEL));
			mvhline(y, 1, ' ', t->cols - 2);
			attroff(text_attr(R_SEL));
		}
		int x = tui_putf(y, 1, t->cols - 2, sel ? R_SEL : R_PLAIN, "%s %zu. %s",
		                 sel ? glyph_mark() : " ", i + 1, r->choices[i].label);
		tui_putf(y, 2 + x, t->cols - 3 - x, sel ? R_SEL : R_DIM, "(%s)",
		         ob_status_name(r->choices[i].status));
	}
}

static struct act ask_move(struct tui *t, long by)
{
	long s = (long)t->ob_choice + by, n = (long)t->ob->v[t->ob_sel].nchoices;
	t->ob_choice = (size_t)(s < 0 ? 0 : s >= n ? n - 1 : s);
	return K_DONE;
}

static struct act ask_down(struct tui *t)
{
	return ask_move(t, 1);
}

static struct act ask_up(struct tui *t)
{
	return ask_move(t, -1);
}

/* Answer with choice i, go back to the list and on to the next item to answer. */
static struct act ask_take(struct tui *t, size_t i)
{
	struct ob_result *r = &t->ob->v[t->ob_sel];
	char *err = NULL;
	if (!onboard_answer(t->ob, r->id, r->choices[i].id, &err)) {
		tui_msg(t, true, "%s", err);
		free(err);
		return K_DONE;
	}
	tui_msg(t, false, "%s: %s (%s)", r->id, r->choices[i].label, ob_status_name(r->status));
	for (size_t k = 1; k < t->ob->n; k++) {
		size_t next = (t->ob_sel + k) % t->ob->n;
		if (checked(t, next) && t->ob->v[next].status == OB_ASK) {
			t->ob_sel = next;
			break;
		}
	}
	return K_POP;
}

static struct act ask_enter(struct tui *t)
{
	return ask_take(t, t->ob_choice);
}

static struct act ask_back(struct tui *t)
{
	(void)t;
	return K_POP;
}

static struct act ask_help(struct tui *t)
{
	struct strlist topics = {0};
	sl_add(&topics, t->ob->v[t->ob_sel].help);
	struct act a = pager_open_help(t, t->ob->v[t->ob_sel].question, &topics);
	sl_free(&topics);
	return a;
}

/* Number keys pick a choice at once. */
static struct act ask_other(struct tui *t, int ch)
{
	if (ch >= '1' && ch <= '9' && (size_t)(ch - '1') < t->ob->v[t->ob_sel].nchoices)
		return ask_take(t, (size_t)(ch - '1'));
	return K_NONE;
}

static const struct binding ask_keys[] = {
    {{KEY_DOWN, 'j'}, "Down, j", "the next choice", ask_down},
    {{KEY_UP, 'k'}, "Up, k", "the choice before", ask_up},
    {{'\n', '\r', KEY_ENTER}, "Enter", "answer with the choice selected", ask_enter},
    {{0}, "1-9", "answer with that choice", NULL},
    {{'?', KEY_F(1)}, "?", "help on this item (again: the keys)", ask_help},
    {{KEY_ESC, 'b', KEY_LEFT}, "Esc, b", "back to the checklist without answering", ask_back},
    {{0}, NULL, NULL, NULL},
};

const struct screen screen_onboard_ask = {"onboarding question", ask_enter_screen, ask_draw, ask_keys, ask_other,
	"1-9 or Up/Down+Enter answer  ? help  Esc back"};
