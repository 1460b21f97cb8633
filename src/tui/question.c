/*
 * The question screen: the question, the command that answers it, the
 * choices, and what the cluster (or an answer given in advance) said, with
 * its evidence; the path pane below. The person accepts the answer shown or
 * overrides it. Arriving at a node follows batch mode's order: --answer,
 * then the answers file, then the probe (on the worker thread).
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "walk/derive.h"

/* Lines of evidence shown under the choices; 'e' shows them all. */
#define EVIDENCE_ROWS 5
/* q.sel when no choice is selected: the cluster did not answer and the person has not chosen */
#define NO_SEL SIZE_MAX

static void question_reset(struct tui *t)
{
	struct question *q = &t->q;
	sl_free(&q->pre_evidence);
	q->node = NULL;
	q->pre = -1;
	/* nothing is selected until the person chooses: Enter alone takes no guess */
	q->sel = NO_SEL;
	q->top = 0;
}

static int choice_index(const struct mm_node *n, const char *id)
{
	for (size_t i = 0; i < n->nchoices; i++)
		if (strcmp(n->choices[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Take choice i: an answer given in advance keeps who gave it and its evidence. */
static bool take(struct tui *t, size_t i)
{
	struct question *q = &t->q;
	bool pre = (int)i == q->pre;
	char *err = NULL;
	if (!walk_answer(&t->w, t->w.node->choices[i].id, pre ? q->pre_by : BY_USER,
			 pre ? &q->pre_evidence : NULL, &err)) {
		tui_msg(t, true, "%s", err);
		free(err);
		return false;
	}
	t->w.steps[t->w.nsteps - 1].inferred = pre && q->pre_inferred;
	state_save(t);
	return true;
}

/* Preselect choice i as given by by, with its evidence. */
static void preselect(struct tui *t, int i, enum answer_by by, const struct strlist *evidence)
{
	struct question *q = &t->q;
	q->pre = i;
	q->pre_by = by;
	q->pre_inferred = false;
	q->sel = (size_t)i;
	sl_free(&q->pre_evidence);
	if (evidence)
		sl_copy(&q->pre_evidence, evidence);
}

static struct act probe_done(struct tui *t);

/* Arrive at the walk's current node: its diagnosis, a prepared answer, or its probe. */
static struct act question_enter(struct tui *t)
{
	for (;;) {
		question_reset(t);
		if (walk_done(&t->w))
			return K_OPEN(SCR_DIAG, SCR_QUESTION);
		t->q.node = t->w.node;
		enum answer_by by;
		const struct strlist *ev;
		const char *v = walk_prepared(&t->w, &t->s->answers, &by, &ev);
		if (!v) {
			if (t->w.node->probe)
				job_start(t, JOB_PROBE, probe_done);
			return K_DONE;
		}
		preselect(t, choice_index(t->w.node, v), by, ev);
		if (!t->auto_accept || !take(t, (size_t)t->q.pre))
			return K_DONE;
	}
}

/* The probe's answer preselects its choice; auto takes it. */
static struct act probe_done(struct tui *t)
{
	struct probe_result *r = &t->job.probe;
	int i = r->choice ? choice_index(t->w.node, r->choice) : -1;
	bool derive = false;
	if (t->job.cancelled) {
		free(r->reason);
		r->reason = xstrdup("cancelled with Esc: answer it yourself (r asks again)");
		sl_free(&r->evidence);
		walk_probe_note(&t->w, r);
	} else if (i >= 0) {
		walk_probe_named(&t->w, r);
		preselect(t, i, BY_PROBE, &r->evidence);
		t->q.pre_inferred = r->inferred;
	} else {
		char *err = NULL;
		/* a choice the node does not have: the walk says why, as in batch mode */
		if (r->choice && !walk_answer(&t->w, r->choice, BY_PROBE, NULL, &err)) {
			free(r->reason);
			r->reason = err;
		}
		walk_probe_note(&t->w, r);
		/* an input the question needs that the cluster can name: derive, probe again
		   (also when none could be: the inference that waited for it runs then) */
		derive = !r->choice && walk_derive_needed(&t->w, t->s->cluster);
		derive = derive || (!r->choice && r->deferred);
	}
	probe_result_free(r);
	if (derive) {
		job_start(t, JOB_PROBE, probe_done);
		return K_DONE;
	}
	if (t->auto_accept && t->q.pre >= 0 && take(t, (size_t)t->q.pre))
		return question_enter(t);
	return K_DONE;
}

/* ---- drawing ---- */

/* Lines with a role each. */
struct block {
	struct strlist l;
	enum role *r;
	int *choice; /* the choice a line belongs to, or -1 */
	bool *code;  /* drawn unwrapped, clipped with '>' ('?' shows it whole) */
};

/* Add text wrapped, its code (CODE_MARK, long commands) on lines of their own. */
static void block_add(struct block *b, const char *text, int width, const char *prefix, int hang,
		      enum role r, int choice)
{
	size_t before = b->l.n;
	tui_wrap_code(text, width, prefix, hang, &b->l, &b->code);
	b->r = xrealloc(b->r, (b->l.n + 1) * sizeof(*b->r));
	b->choice = xrealloc(b->choice, (b->l.n + 1) * sizeof(*b->choice));
	for (size_t i = before; i < b->l.n; i++) {
		b->r[i] = r;
		b->choice[i] = choice;
	}
}

static void block_free(struct block *b)
{
	sl_free(&b->l);
	free(b->r);
	free(b->choice);
	free(b->code);
}

/* Draw lines [from, from+n) of b at y; returns the next row. */
static int block_draw(struct tui *t, const struct block *b, size_t from, int n, int y)
{
	for (int k = 0; k < n && from + (size_t)k < b->l.n; k++) {
		size_t i = from + (size_t)k;
		if (b->r[i] == R_SEL) {
			attron(text_attr(R_SEL));
			mvhline(y, 1, ' ', t->cols - 2);
			attroff(text_attr(R_SEL));
		}
		if (b->code[i])
			tui_put_code(y++, 2, t->cols - 4, b->r[i], b->l.v[i], 0);
		else
			tui_put(y++, 2, t->cols - 4, b->r[i], b->l.v[i]);
	}
	return y;
}

static const char *said_by(enum answer_by by)
{
	static const char *const s[] = {[BY_USER] = "Answered on the command line (--answer)",
					[BY_PROBE] = "Answered from the cluster",
					[BY_ANSWERS] = "Answered by the answers file"};
	return s[by];
}

/* What the cluster or an answer given in advance says, or why nobody could tell. */
static void info_block(struct tui *t, struct block *b, int width)
{
	const struct question *q = &t->q;
	const struct mm_node *n = t->w.node;
	const struct strlist *ev = NULL;
	if (t->job.running) {
		char *s = xasprintf("Asking the cluster (probe %s)%s", n->probe, glyph_ellipsis());
		block_add(b, s, width, "", 2, R_WARN, -1);
		free(s);
		return;
	}
	if (q->pre >= 0) {
		char *label = walk_text(&t->w, n->choices[q->pre].label);
		char *s = xasprintf("%s: %s",
				    q->pre_inferred ? "Inferred from the causes the cluster shows"
						    : said_by(q->pre_by),
				    label);
		block_add(b, s, width, "", 2, R_GOOD, -1);
		free(s);
		free(label);
		ev = &q->pre_evidence;
	} else if (t->w.probe_note) {
		char *s = xasprintf("The cluster could not tell: %s", t->w.probe_note);
		block_add(b, s, width, "", 2, R_WARN, -1);
		free(s);
		ev = &t->w.probe_evidence;
	}
	for (size_t i = 0; ev && i < ev->n && i < EVIDENCE_ROWS; i++)
		block_add(b, ev->v[i], width, "  | ", 4, R_DIM, -1);
	if (ev && ev->n > EVIDENCE_ROWS) {
		char *s = xasprintf("  (%zu more lines: e shows them)", ev->n - EVIDENCE_ROWS);
		block_add(b, s, width, "", 4, R_DIM, -1);
		free(s);
	}
	if (q->pre < 0 && q->sel == NO_SEL)
		block_add(b, "No answer is selected: choose one with 1-9 or Up/Down, then Enter.",
			  width, "", 0, R_PLAIN, -1);
	else if (q->pre >= 0 && q->sel != (size_t)q->pre)
		block_add(b, "Enter overrides it with the answer selected.", width, "", 0, R_WARN,
			  -1);
	else if (q->pre >= 0)
		block_add(b, "Enter accepts it; choose another answer to override it.", width, "",
			  0, R_PLAIN, -1);
}

static void choices_block(struct tui *t, struct block *b, int width)
{
	const struct mm_node *n = t->w.node;
	for (size_t i = 0; i < n->nchoices; i++) {
		char *label = walk_text(&t->w, n->choices[i].label);
		bool sel = i == t->q.sel;
		char digit[4] = "  ";
		if (i < 9)
			snprintf(digit, sizeof(digit), "%zu", i + 1);
		char *prefix = xasprintf("%s %-2s ", sel ? glyph_mark() : " ", digit);
		char *text = (int)i == t->q.pre
				     ? xasprintf("%s  [%s]", label, by_label(t->q.pre_by, t->q.pre_inferred))
				     : xstrdup(label);
		block_add(b, text, width, prefix, 5, sel ? R_SEL : R_PLAIN, (int)i);
		free(text);
		free(prefix);
		free(label);
	}
}

static void context_line(struct tui *t)
{
	int x = tui_putf(1, 1, 20, R_BOLD, "Step %zu", t->w.nsteps + 1);
	if (t->w.flow != t->w.start_flow)
		x += tui_putf(1, 1 + x, 30, R_BOLD, " (flow %s)", t->w.flow->id);
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < t->w.inputs.n; i++)
		sb_printf(&b, "  %s=%s", t->w.inputs.v[i].key, t->w.inputs.v[i].value);
	tui_put(1, 1 + x, t->cols - 2 - x, R_DIM, b.s ? b.s : "");
	sb_free(&b);
}

static void question_draw(struct tui *t)
{
	const struct mm_node *n = t->w.node;
	if (!n)
		return;
	int width = t->cols - 4, top = 3, bottom = t->rows - 3;
	context_line(t);
	tui_rule(2, NULL);
	struct block qb = {0}, db = {0}, cb = {0}, ib = {0};
	char *question = walk_text(&t->w, n->question);
	/* its commands are kept whole (block_add) */
	char *detail = walk_text(&t->w, n->detail);
	block_add(&qb, question, width, "", 0, R_BOLD, -1);
	block_add(&db, detail, width, "", 0, R_DIM, -1);
	choices_block(t, &cb, width);
	info_block(t, &ib, width);
	free(question);
	free(detail);
	/* rows by priority: question, choices, what the cluster said, detail, path */
	int avail = bottom - top + 1;
	/* a question longer than half the screen is cut: '?' shows it whole */
	int hq = (int)qb.l.n < avail / 2 ? (int)qb.l.n : avail / 2;
	int hc = (int)cb.l.n, hi = (int)ib.l.n;
	if (hq + 1 + hc + 1 + hi > avail)
		hi = avail - hq - 2 - hc > 1 ? avail - hq - 2 - hc : 0;
	if (hq + 1 + hc + (hi ? 1 + hi : 0) > avail)
		hc = avail - hq - 1 - (hi ? 1 + hi : 0);
	if (hc < 1)
		hc = 1;
	int rest = avail - hq - 1 - hc - (hi ? 1 + hi : 0);
	int hd = rest - 1 < (int)db.l.n ? rest - 1 : (int)db.l.n;
	if (hd < 1)
		hd = 0;
	rest -= hd ? hd + 1 : 0;
	int y = block_draw(t, &qb, 0, hq, top) + 1;
	if (hd) {
		bool cut = hd < (int)db.l.n;
		y = block_draw(t, &db, 0, cut ? hd - 1 : hd, y);
		if (cut) {
			/* the last line shown says where the rest is */
			int x = tui_put(y, 2, width - 14, R_DIM, db.l.v[hd - 1]);
			tui_put(y++, 3 + x, 13, R_DIM, "(? for all)");
		}
		y++;
	}
	/* the choices scroll so that the one selected stays in sight */
	size_t first_sel = 0, last_sel = 0;
	for (size_t i = 0; i < cb.l.n; i++)
		if (t->q.sel != NO_SEL && cb.choice[i] == (int)t->q.sel) {
			if (!last_sel)
				first_sel = i;
			last_sel = i + 1;
		}
	if (first_sel < t->q.top)
		t->q.top = first_sel;
	if (last_sel > t->q.top + (size_t)hc)
		t->q.top = last_sel - (size_t)hc;
	y = block_draw(t, &cb, t->q.top, hc, y) + 1;
	if (hi)
		block_draw(t, &ib, 0, hi, y);
	/* the path pane takes what is left at the bottom */
	int hp = rest - 1;
	if (t->w.nsteps && hp >= 3) {
		if (hp > (int)t->w.nsteps + 1)
			hp = (int)t->w.nsteps + 1;
		path_pane_draw(t, bottom - hp + 1, bottom, false);
	}
	block_free(&qb);
	block_free(&db);
	block_free(&cb);
	block_free(&ib);
}

/* ---- keys ---- */

static struct act key_up(struct tui *t)
{
	if (t->q.sel == NO_SEL)
		t->q.sel = t->w.node->nchoices - 1;
	else if (t->q.sel)
		t->q.sel--;
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	if (t->q.sel == NO_SEL)
		t->q.sel = 0;
	else if (t->q.sel + 1 < t->w.node->nchoices)
		t->q.sel++;
	return K_DONE;
}

static struct act key_take(struct tui *t)
{
	if (t->q.sel == NO_SEL || t->q.sel >= t->w.node->nchoices) {
		/* a reflexive Enter must not record a guess as the person's answer */
		tui_msg(t, true, "no answer selected: choose one (1-9, or Up/Down then Enter)");
		return K_DONE;
	}
	return take(t, t->q.sel) ? question_enter(t) : K_DONE;
}

static struct act key_digit(struct tui *t, int ch)
{
	if (ch < '1' || ch > '9' || (size_t)(ch - '1') >= t->w.node->nchoices)
		return K_NONE;
	t->q.sel = (size_t)(ch - '1');
	return key_take(t);
}

static struct act key_auto(struct tui *t)
{
	t->auto_accept = !t->auto_accept;
	tui_msg(t, false,
		t->auto_accept ? "auto on: answers given in advance are taken as they come"
			       : "auto off: every answer waits for Enter");
	if (t->auto_accept && t->q.pre >= 0 && take(t, (size_t)t->q.pre))
		return question_enter(t);
	return K_DONE;
}

static struct act key_again(struct tui *t)
{
	if (!t->w.node->probe) {
		tui_msg(t, true, "no probe answers this question: it is yours");
		return K_DONE;
	}
	question_reset(t);
	t->q.node = t->w.node;
	job_start(t, JOB_PROBE, probe_done);
	return K_DONE;
}

static struct act key_help(struct tui *t)
{
	struct strlist topics = {0};
	if (t->w.node->help)
		sl_add(&topics, t->w.node->help);
	char *q = walk_text(&t->w, t->w.node->question);
	char *d = walk_text(&t->w, t->w.node->detail);
	char *preface = xasprintf("%s\n\n%s", q, d);
	struct act a = pager_open_help(t, preface, &topics);
	free(preface);
	free(d);
	free(q);
	sl_free(&topics);
	return a;
}

static const struct binding question_keys[] = {
	{{'\r', '\n', KEY_ENTER}, "Enter", "take the answer selected", key_take},
	{{KEY_UP, 'k'}, "Up, k", "previous answer", key_up},
	{{KEY_DOWN, 'j'}, "Down, j", "next answer", key_down},
	{{'a'}, "a", "auto: accept answers given in advance (again: off)",
	 key_auto},
	{{'b', KEY_BACKSPACE, KEY_LEFT, 127}, "b, Left", "back one step", act_back},
	{{'p'}, "p", "the path: every step so far; go back to any of them", act_path},
	{{'e'}, "e", "evidence: what the probes saw and the commands run", act_evidence},
	{{'?', KEY_F(1)}, "?", "help on this question (again: the keys)", key_help},
	{{'r'}, "r", "ask the cluster again", key_again},
	{{'s'}, "s", "save the transcript (Markdown and JSON)", act_save},
	{{'w'}, "w", "a new walk: back to the symptom picker", act_new_walk},
	{{'q'}, "q", "quit (the session is saved: meshmedic tui --resume)", act_quit},
	{{0}, "1-9", "take that answer", NULL},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_question = {"question", question_enter, question_draw, question_keys, key_digit,
	"Enter take  1-9 answer  b back  p path  e evidence  ? help  a auto  q quit"};
