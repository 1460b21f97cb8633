/*
 * The symptom picker: every flow with its title; typing filters on the
 * flows' ids, titles, symptoms and synonyms as words ("UO", "426", "upstream
 * connect error", "no sidecar"), best match first, and shows which symptoms
 * matched.
 */
#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/cluster.h"
#include "session/fromlog.h"
#include "tui/tui.h"

/* Whether the filter is an access log line or Envoy error body (a pasted one): fl then holds it. */
static bool pasted(const struct tui *t, struct from_log *fl)
{
	char *err = NULL;
	bool ok = *t->filter && from_log_read(&t->s->c->o, t->kb, t->filter, fl, &err);
	free(err);
	return ok;
}

/* The flows that match, best first (the kb's order for an empty filter). Caller frees the array. */
static const struct mm_flow **matches(const struct tui *t, size_t *n)
{
	const struct mm_flow **v = xcalloc(t->kb->nflows + 1, sizeof(*v));
	struct from_log fl;
	/* a pasted line leads to its flow (or to none), as `logs` says */
	if (pasted(t, &fl)) {
		*n = 0;
		if (fl.flow)
			v[(*n)++] = fl.flow;
		from_log_free(&fl);
		return v;
	}
	*n = kb_flows_ranked(t->kb, t->filter, v, NULL);
	return v;
}

static struct act picker_enter(struct tui *t)
{
	t->filter[0] = '\0';
	t->pick = 0;
	return K_DONE;
}

static void flow_line(const struct tui *t, const struct mm_flow *f, int y, bool sel)
{
	char *line = xasprintf("%s %-12s %s", sel ? glyph_mark() : " ", f->id, f->title);
	if (sel) {
		attron(text_attr(R_SEL));
		mvhline(y, 1, ' ', t->cols - 2);
		attroff(text_attr(R_SEL));
	}
	tui_put(y, 1, t->cols - 2, sel ? R_SEL : R_BOLD, line);
	free(line);
	struct strlist hits = {0};
	struct from_log fl;
	if (pasted(t, &fl)) {
		char *sum = from_log_summary(&fl);
		tui_put(y + 1, 16, t->cols - 17, R_DIM, sum);
		free(sum);
		from_log_free(&fl);
		return;
	}
	kb_flow_matches(f, t->filter, &hits);
	const struct strlist *shown = *t->filter ? &hits : &f->symptoms;
	struct sbuf b;
	sb_init(&b);
	sb_add(&b, *t->filter && hits.n ? "matches: " : "");
	for (size_t i = 0; i < shown->n; i++)
		sb_printf(&b, "%s%s", i ? ", " : "", shown->v[i]);
	tui_put(y + 1, 16, t->cols - 17, R_DIM, b.s ? b.s : "");
	sb_free(&b);
	sl_free(&hits);
}

static void picker_draw(struct tui *t)
{
	size_t n;
	const struct mm_flow **v = matches(t, &n);
	if (n && t->pick >= n)
		t->pick = n - 1;
	int x = tui_put(1, 1, t->cols - 2, R_BOLD, "Symptom: ");
	/* a long filter (a pasted error message) shows its end, where the typing is */
	const char *shown = t->filter;
	while (text_width(shown) > t->cols - 31)
		shown++;
	x += tui_put(1, 1 + x, t->cols - 30, R_PLAIN, shown);
	tui_put(1, 1 + x, 1, R_SEL, " ");
	char *count = xasprintf("%zu of %zu flows", n, t->kb->nflows);
	tui_put(1, t->cols - 1 - text_width(count), text_width(count), R_DIM, count);
	free(count);
	tui_rule(2, NULL);
	int top = 3, bottom = t->rows - 3;
	struct from_log fl;
	if (!n && pasted(t, &fl)) {
		char *sum = from_log_summary(&fl);
		tui_put(top + 1, 2, t->cols - 4, R_WARN, sum);
		tui_put(top + 2, 2, t->cols - 4, R_PLAIN,
			"meshmedic logs --explain LINE reads it field by field; Esc clears the filter.");
		free(sum);
		from_log_free(&fl);
		free(v);
		return;
	}
	if (!n) {
		tui_putf(top + 1, 2, t->cols - 4, R_WARN, "No flow matches '%s'.", t->filter);
		tui_put(top + 2, 2, t->cols - 4, R_PLAIN,
			"Backspace edits the filter; Esc clears it. Try a response flag (UO, UF),");
		tui_put(top + 3, 2, t->cols - 4, R_PLAIN,
			"a status code (503) or words from the error message.");
		free(v);
		return;
	}
	/* the description of the flow picked gets the rows the list does not need */
	struct strlist about = {0};
	tui_wrap(v[t->pick]->description, t->cols - 4, "", 0, &about);
	int list_rows = (int)n * 2;
	int room = bottom - top + 1;
	int about_rows = room - list_rows - 2;
	if (about_rows > (int)about.n)
		about_rows = (int)about.n;
	if (about_rows < 2)
		about_rows = 0;
	int visible = (room - (about_rows ? about_rows + 2 : 0)) / 2;
	size_t first = t->pick >= (size_t)visible ? t->pick - (size_t)visible + 1 : 0;
	int y = top;
	for (size_t i = first; i < n && y + 1 <= bottom; i++, y += 2)
		flow_line(t, v[i], y, i == t->pick);
	if (about_rows) {
		y++;
		for (int i = 0; i < about_rows; i++)
			tui_put(y + i, 2, t->cols - 4, R_PLAIN, about.v[i]);
	}
	sl_free(&about);
	free(v);
}

static struct act key_start(struct tui *t)
{
	size_t n;
	const struct mm_flow **v = matches(t, &n);
	if (n)
		t->flow = v[t->pick < n ? t->pick : 0];
	free(v);
	/* what a pasted line shows fills the form and answers its flag question */
	struct from_log fl;
	if (n && pasted(t, &fl)) {
		from_log_prepare(&fl, t->flow, &t->s->file_inputs, &t->s->answers);
		/* the pod the line's caller address belongs to, when the flow asks for one */
		const char *ns = kv_get(&t->s->file_inputs, "namespace");
		/* from a snapshot only: a live read here would hold the screen */
		bool offline = t->s->cluster && !cluster_source(t->s->cluster);
		const char *caller = offline && flow_input(t->flow, "pod") &&
		                             !kv_get(&t->s->file_inputs, "pod")
		                         ? from_log_caller(&fl, t->s->cluster, ns ? ns : t->s->c->o.ns)
		                         : NULL;
		if (caller)
			kv_set(&t->s->file_inputs, "pod", caller);
		from_log_free(&fl);
	}
	return n ? K_OPEN(SCR_INPUTS, SCR_PICKER) : K_DONE;
}

static struct act key_up(struct tui *t)
{
	if (t->pick)
		t->pick--;
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	t->pick++;
	return K_DONE;
}

static struct act key_escape(struct tui *t)
{
	if (!*t->filter)
		return K_QUIT;
	t->filter[0] = '\0';
	t->pick = 0;
	return K_DONE;
}

static struct act key_erase(struct tui *t)
{
	size_t len = strlen(t->filter);
	if (len)
		t->filter[len - 1] = '\0';
	t->pick = 0;
	return K_DONE;
}

static struct act picker_type(struct tui *t, int ch)
{
	size_t len = strlen(t->filter);
	if (ch < 0x20 || ch >= 0x7f || len + 1 >= sizeof(t->filter))
		return K_NONE;
	t->filter[len] = (char)ch;
	t->filter[len + 1] = '\0';
	t->pick = 0;
	return K_DONE;
}

static const struct binding picker_keys[] = {
	{{'\r', '\n', KEY_ENTER}, "Enter", "start the flow picked", key_start},
	{{KEY_UP, 16}, "Up, Ctrl-P", "previous flow", key_up},
	{{KEY_DOWN, 14}, "Down, Ctrl-N", "next flow", key_down},
	{{KEY_BACKSPACE, 127, 8}, "Backspace", "edit the filter", key_erase},
	{{'?', KEY_F(1)}, "?, F1", "this list of keys", act_keys},
	{{KEY_ESC}, "Esc", "clear the filter; quit when it is empty", key_escape},
	{{0}, "letters", "filter on symptoms: a flag (UO), a code (503), error words", NULL},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_picker = {"symptom picker", picker_enter, picker_draw, picker_keys, picker_type,
	"type a symptom  Up/Down choose  Enter start  ? keys  Esc quit"};
