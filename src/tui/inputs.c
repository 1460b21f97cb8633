/*
 * The inputs form: the flow's inputs (namespace, service, pod ...) with
 * their prompts, filled in from the command line, the answers file and the
 * defaults. Tab completes from the cluster model when one is loaded: the
 * namespaces, and the Services or Pods of the namespace given.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "session/session.h"
#include "tui/tui.h"

/* The value the command line gives an input: --set (the last), -n, then the answers file. */
static const char *preset_value(const struct tui *t, const char *name)
{
	const struct opts *o = &t->s->c->o;
	const char *v = set_value(o, name);
	if (!v && o->ns && strcmp(name, "namespace") == 0)
		v = o->ns;
	return v ? v : kv_get(&t->s->file_inputs, name);
}

/* The namespace the form names (its namespace input, or the default). */
static const char *form_namespace(const struct tui *t)
{
	for (size_t i = 0; i < t->flow->ninputs; i++)
		if (t->flow->inputs[i].type == IN_NAMESPACE && *t->form.val[i])
			return t->form.val[i];
	return "default";
}

/* Whether the cluster answers at once (a snapshot): then nothing needs the worker. */
static bool cluster_is_local(const struct tui *t)
{
	return t->s->cluster && !cluster_source(t->s->cluster);
}

static struct act names_done(struct tui *t);

/*
 * The names the focused field completes to, unless they are there: read at
 * once from a snapshot, on the worker from a live cluster.
 */
static void names_request(struct tui *t)
{
	struct form *f = &t->form;
	const struct mm_input *in = &t->flow->inputs[f->field];
	const char *kind = input_kind(in);
	const char *ns = input_cluster_wide(in) ? "" : form_namespace(t);
	if (!kind || !t->s->cluster || t->job.running)
		return;
	if (f->names_ok && f->names_for == f->field && strcmp(t->job.ns, ns) == 0)
		return;
	sl_free(&f->names);
	f->names_ok = false;
	t->job.kind_name = kind;
	snprintf(t->job.ns, sizeof(t->job.ns), "%s", ns);
	t->job.field = f->field;
	sl_free(&t->job.names);
	if (!cluster_is_local(t)) {
		job_start(t, JOB_NAMES, names_done);
		return;
	}
	/* the candidates of a derivable input first, over what the form says */
	struct kvlist given = {0};
	for (size_t i = 0; i < t->flow->ninputs; i++)
		if (*f->val[i])
			kv_set(&given, t->flow->inputs[i].name, f->val[i]);
	input_names(t->s->cluster, t->flow, &given, in, ns, &f->names);
	kv_free(&given);
	f->names_ok = true;
	f->names_for = f->field;
}

static struct act key_complete(struct tui *t);

/* The names read on the worker: they complete the field, and a Tab pressed meanwhile acts now. */
static struct act names_done(struct tui *t)
{
	struct form *f = &t->form;
	bool tab = f->tab_pending;
	f->tab_pending = false;
	if (t->job.cancelled || t->job.field != f->field) {
		sl_free(&t->job.names);
		return K_DONE;
	}
	sl_free(&f->names);
	f->names = t->job.names;
	memset(&t->job.names, 0, sizeof(t->job.names));
	f->names_ok = true;
	f->names_for = f->field;
	return tab ? key_complete(t) : K_DONE;
}

/* Focus a field; a snapshot answers at once, so its names are read right away. */
static void focus(struct tui *t, size_t field)
{
	t->form.field = field;
	t->form.cycling = false;
	t->form.tab_pending = false;
	if (cluster_is_local(t))
		names_request(t);
}

/* Opened for t->flow: the form filled from the command line, the answers file and the defaults. */
static struct act inputs_enter(struct tui *t)
{
	struct form *f = &t->form;
	const struct mm_flow *fl = t->flow;
	job_stop(t);
	free(f->val);
	f->n = fl->ninputs;
	f->val = xcalloc(f->n ? f->n : 1, sizeof(*f->val));
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < f->n; i++) {
		const struct mm_input *in = &fl->inputs[i];
		const char *v = preset_value(t, in->name);
		snprintf(f->val[i], sizeof(f->val[i]), "%s", v ? v : in->def ? in->def : "");
		if (in->required && !*f->val[i] && first == SIZE_MAX)
			first = i;
	}
	f->names_ok = false;
	sl_free(&f->names);
	if (f->n)
		focus(t, first == SIZE_MAX ? 0 : first);
	return K_DONE;
}

/* The names that start with prefix. */
static void names_matching(const struct form *f, const char *prefix, struct strlist *out)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < f->names.n; i++)
		if (strncmp(f->names.v[i], prefix, n) == 0)
			sl_add(out, f->names.v[i]);
}

static void names_draw(struct tui *t, int y, int bottom)
{
	struct form *f = &t->form;
	const struct mm_input *in = &t->flow->inputs[f->field];
	const char *kind = input_kind(in);
	if (!kind || y > bottom)
		return;
	if (!t->s->cluster) {
		tui_put(y, 2, t->cols - 4, R_DIM, "No cluster state loaded: type the name.");
		return;
	}
	if (!f->names_ok || f->names_for != f->field) {
		tui_put(y, 2, t->cols - 4, R_DIM, "Tab lists the names in the cluster.");
		return;
	}
	struct strlist m = {0};
	const char *prefix = f->cycling ? f->cycle : f->val[f->field];
	names_matching(f, prefix, &m);
	/* none starts with what is typed: all of them, so the person sees what there is */
	bool all = !m.n;
	if (all)
		names_matching(f, "", &m);
	/* namespaces, Gateways and hosts are read from every namespace */
	static const char *const wide[] = {[CO_NAMESPACE] = "namespaces",
					   [CO_GATEWAY] = "Gateways (namespace/name)",
					   [CO_HOST] = "hosts of VirtualServices, Gateways and Services"};
	bool ns_kind = input_cluster_wide(in);
	char *what = ns_kind ? xstrdup(wide[in->complete])
			     : xasprintf("%ss in %s", kind, form_namespace(t));
	char *title = all && *prefix ? xasprintf("No name starts with '%s'; the %zu %s:", prefix,
						  f->names.n, what)
		      : all && !ns_kind ? xasprintf("No %s (is the namespace above right?)", what)
		      : all		? xasprintf("No %s", what)
				     : xasprintf("%zu of %zu %s (Tab completes)", m.n, f->names.n,
						 what);
	free(what);
	tui_put(y++, 2, t->cols - 4, R_DIM, title);
	free(title);
	int x = 4;
	for (size_t i = 0; i < m.n && y <= bottom; i++) {
		int w = text_width(m.v[i]);
		if (x > 4 && x + w > t->cols - 2) {
			x = 4;
			y++;
		}
		if (y > bottom)
			break;
		bool cur = strcmp(m.v[i], f->val[f->field]) == 0;
		x += tui_put(y, x, t->cols - 2 - x, cur ? R_SEL : R_PLAIN, m.v[i]) + 2;
	}
	sl_free(&m);
}

static void inputs_draw(struct tui *t)
{
	struct form *f = &t->form;
	tui_put(1, 1, t->cols - 2, R_BOLD, "What is the walk about?");
	tui_rule(2, NULL);
	int y = 3, bottom = t->rows - 3;
	if (!f->n)
		tui_put(y, 2, t->cols - 4, R_PLAIN, "This flow needs no inputs: Enter starts it.");
	for (size_t i = 0; i < f->n && y + 1 <= bottom; i++) {
		const struct mm_input *in = &t->flow->inputs[i];
		bool cur = i == f->field;
		tui_putf(y++, 4, t->cols - 6, R_DIM, "%s%s", in->prompt,
			 in->required ? " (required)" : "");
		tui_put(y, 1, 2, R_BOLD, cur ? glyph_mark() : " ");
		int x = 4 + tui_putf(y, 4, 14, cur ? R_BOLD : R_PLAIN, "%-12s", in->name);
		int w = t->cols - x - 2;
		if (cur) {
			attron(text_attr(R_SEL));
			mvhline(y, x, ' ', w);
			attroff(text_attr(R_SEL));
		}
		tui_put(y, x, w, cur ? R_SEL : R_PLAIN, f->val[i]);
		y += 2;
	}
	if (f->n)
		names_draw(t, y, bottom);
}

/* Check the focused field; false with a message if it is not acceptable. */
static bool field_ok(struct tui *t, size_t i)
{
	const struct mm_input *in = &t->flow->inputs[i];
	const char *v = t->form.val[i];
	if (!*v) {
		/* empty, a required input the cluster can name is derived when the walk starts */
		bool derived = in->derive && t->s->cluster;
		if (in->required && !derived)
			tui_msg(t, true, "%s is required: %s", in->name, in->prompt);
		return !in->required || derived;
	}
	char *why = input_value_error(in->type, v);
	if (why)
		tui_msg(t, true, "%s '%s' %s", in->name, v, why);
	free(why);
	return !why;
}

static struct act key_next(struct tui *t)
{
	struct form *f = &t->form;
	if (f->n && !field_ok(t, f->field))
		return K_DONE;
	if (f->field + 1 < f->n) {
		focus(t, f->field + 1);
		return K_DONE;
	}
	for (size_t i = 0; i < f->n; i++)
		if (!field_ok(t, i)) {
			focus(t, i);
			return K_DONE;
		}
	/* names still being read are not needed any more */
	job_stop(t);
	struct kvlist in = {0};
	for (size_t i = 0; i < f->n; i++)
		if (*f->val[i])
			kv_set(&in, t->flow->inputs[i].name, f->val[i]);
	bool ok = walk_start(t, &in);
	kv_free(&in);
	return ok ? K_OPEN(SCR_QUESTION, SCR_INPUTS) : K_DONE;
}

static struct act key_up(struct tui *t)
{
	if (t->form.field)
		focus(t, t->form.field - 1);
	return K_DONE;
}

static struct act key_down(struct tui *t)
{
	if (t->form.field + 1 < t->form.n)
		focus(t, t->form.field + 1);
	return K_DONE;
}

static struct act key_back(struct tui *t)
{
	(void)t;
	return K_POP_TO(SCR_PICKER);
}

/* Tab: the one name that fits, else the longest common start, else the next name in turn. */
static struct act key_complete(struct tui *t)
{
	struct form *f = &t->form;
	if (!f->n)
		return K_DONE;
	if (!f->names_ok || f->names_for != f->field) {
		names_request(t);
		/* from a live cluster they come later: Tab takes effect then */
		f->tab_pending = t->job.running;
		if (!f->names_ok)
			return K_DONE;
	}
	char *cur = f->val[f->field];
	if (!f->cycling)
		snprintf(f->cycle, sizeof(f->cycle), "%s", cur);
	struct strlist m = {0};
	names_matching(f, f->cycle, &m);
	if (!m.n) {
		tui_msg(t, true, "no name starts with '%s'", f->cycle);
	} else if (m.n == 1) {
		snprintf(cur, sizeof(*f->val), "%s", m.v[0]);
	} else {
		size_t common = strlen(m.v[0]);
		for (size_t i = 1; i < m.n; i++) {
			size_t k = 0;
			while (k < common && m.v[i][k] == m.v[0][k])
				k++;
			common = k;
		}
		if (!f->cycling && common > strlen(cur)) {
			snprintf(cur, sizeof(*f->val), "%.*s", (int)common, m.v[0]);
		} else {
			/* in turn: the one after the current value */
			size_t next = 0;
			for (size_t i = 0; i < m.n; i++)
				if (strcmp(m.v[i], cur) == 0)
					next = i + 1;
			snprintf(cur, sizeof(*f->val), "%s", m.v[next % m.n]);
			f->cycling = true;
		}
	}
	sl_free(&m);
	return K_DONE;
}

static struct act key_clear(struct tui *t)
{
	if (t->form.n)
		t->form.val[t->form.field][0] = '\0';
	t->form.cycling = false;
	return K_DONE;
}

static struct act key_erase(struct tui *t)
{
	if (!t->form.n)
		return K_DONE;
	char *v = t->form.val[t->form.field];
	size_t len = strlen(v);
	if (len)
		v[len - 1] = '\0';
	t->form.cycling = false;
	return K_DONE;
}

static struct act form_type(struct tui *t, int ch)
{
	if (!t->form.n || ch < 0x20 || ch >= 0x7f)
		return K_NONE;
	char *v = t->form.val[t->form.field];
	size_t len = strlen(v);
	if (len + 1 < sizeof(*t->form.val)) {
		v[len] = (char)ch;
		v[len + 1] = '\0';
	}
	t->form.cycling = false;
	return K_DONE;
}

static const struct binding inputs_keys[] = {
	{{'\r', '\n', KEY_ENTER}, "Enter", "next input; on the last one, start the walk", key_next},
	{{'\t'}, "Tab", "complete from the names in the cluster (again: the next one)",
	 key_complete},
	{{KEY_UP, KEY_BTAB}, "Up, Shift-Tab", "previous input", key_up},
	{{KEY_DOWN}, "Down", "next input", key_down},
	{{KEY_BACKSPACE, 127, 8}, "Backspace", "delete a character", key_erase},
	{{21}, "Ctrl-U", "clear the input", key_clear},
	{{'?', KEY_F(1)}, "?, F1", "this list of keys", act_keys},
	{{KEY_ESC}, "Esc", "back to the symptom picker", key_back},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_inputs = {"inputs", inputs_enter, inputs_draw, inputs_keys, form_type,
	"Enter next/start  Tab complete  Up/Down input  ? keys  Esc back"};
