#include "kb/kb.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/jsonpos.h"
#include "base/limits.h"

static bool is_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 1 && v <= 65535;
}

static bool no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

/* Each input type: its name in the flows, the rule a value follows, and that rule in words. */
static const struct {
	const char *name;
	bool (*ok)(const char *value);
	const char *rule;
} input_types[] = {
    [IN_NAMESPACE] = {"namespace", is_dns1123_label,
                      "must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 "
                      "characters"},
    [IN_SERVICE] = {"service", is_dns1123_label,
                    "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 "
                    "characters) or a Service's DNS name NAME.NAMESPACE[.svc[." MM_CLUSTER_DOMAIN
                    "]]"},
    [IN_POD] = {"pod", is_dns1123_subdomain,
                "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting "
                "and ending alphanumeric, at most 253 characters"},
    [IN_HOST] = {"host", is_dns_host,
                 "must be a DNS host name (labels of at most 63 characters, 253 in all; '*' or a "
                 "leading '*.' is allowed)"},
    [IN_PORT] = {"port", is_port, "must be a port number from 1 to 65535"},
    [IN_STRING] = {"string", no_controls, "must not contain control characters"},
    [IN_OBJECT] = {"object", is_object_ref,
                   "must be NAMESPACE/NAME or NAME: a DNS-1123 label, '/', and a DNS-1123 "
                   "subdomain of at most 253 characters"},
};

/* Each completion kind: its name in the flows and the input type whose values it offers. */
static const struct {
	const char *name;
	enum mm_input_type type;
} completes[] = {
    [CO_NONE] = {"none", IN_STRING},         [CO_NAMESPACE] = {"namespace", IN_NAMESPACE},
    [CO_SERVICE] = {"service", IN_SERVICE},  [CO_POD] = {"pod", IN_POD},
    [CO_GATEWAY] = {"gateway", IN_OBJECT},   [CO_HOST] = {"host", IN_HOST},
};

const char *input_type_name(enum mm_input_type t)
{
	return input_types[t].name;
}

const char *input_complete_name(enum mm_complete k)
{
	return completes[k].name;
}

char *input_value_error(enum mm_input_type type, const char *value)
{
	return input_types[type].ok(value) ? NULL : xstrdup(input_types[type].rule);
}

struct mm_kb *kb_new(void)
{
	return xcalloc(1, sizeof(struct mm_kb));
}

void kb_err_at(struct mm_errors *errs, const struct mm_src *src, const char *ptr, bool key,
	       const char *fmt, ...)
{
	int line = 0, col = 0;
	jpos_nearest(src->pos, ptr, key, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	errs_add(errs, src->path, line, col, "%s", text);
	free(text);
}

/* What a loader needs while it reads one file. */
struct lctx {
	struct mm_kb *kb;
	const struct mm_src *src;
	struct mm_errors *errs;
	bool ok;
};

static void lerr(struct lctx *c, const char *ptr, bool key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void lerr(struct lctx *c, const char *ptr, bool key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	kb_err_at(c->errs, c->src, ptr, key, "%s", text);
	free(text);
	c->ok = false;
}

enum ftype { F_STR, F_STRS, F_ARR, F_OBJ, F_BOOL };

static const char *const ftype_names[] = {
	[F_STR] = "a string",       [F_STRS] = "an array of strings", [F_ARR] = "an array",
	[F_OBJ] = "an object",      [F_BOOL] = "true or false",
};

struct fspec {
	const char *name;
	enum ftype type;
	bool required;
};

static bool type_ok(json_t *v, enum ftype t)
{
	switch (t) {
	case F_STR:
		return json_is_string(v);
	case F_ARR:
		return json_is_array(v);
	case F_OBJ:
		return json_is_object(v);
	case F_BOOL:
		return json_is_boolean(v);
	case F_STRS:
		if (!json_is_array(v))
			return false;
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return false;
		return true;
	}
	return false;
}

/*
 * Check an object against its field list: unknown members, missing required
 * ones, wrong types, empty strings. Returns false if the object is unusable.
 */
static bool check_fields(struct lctx *c, json_t *obj, const char *ptr, const char *what,
			 const struct fspec *spec, size_t nspec)
{
	if (!json_is_object(obj)) {
		lerr(c, ptr, false, "%s must be an object", what);
		return false;
	}
	bool ok = true;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		size_t i;
		for (i = 0; i < nspec && strcmp(spec[i].name, key) != 0; i++)
			;
		char *p = jptr_join(ptr, key);
		if (i == nspec) {
			struct sbuf known;
			sb_init(&known);
			for (size_t k = 0; k < nspec; k++)
				sb_printf(&known, "%s%s", k ? ", " : "", spec[k].name);
			lerr(c, p, true, "unknown field '%s' in %s (expected: %s)", key, what, known.s);
			sb_free(&known);
			ok = false;
		} else if (!type_ok(v, spec[i].type)) {
			/* point at the first element that is not a string, if that is the problem */
			size_t bad = 0;
			while (json_is_array(v) && bad < json_array_size(v) &&
			       json_is_string(json_array_get(v, bad)))
				bad++;
			char *ep = json_is_array(v) ? xasprintf("%s/%zu", p, bad) : xstrdup(p);
			lerr(c, ep, false, "'%s' of %s must be %s", key, what, ftype_names[spec[i].type]);
			free(ep);
			ok = false;
		} else if (spec[i].type == F_STR && json_string_length(v) == 0) {
			lerr(c, p, false, "'%s' of %s must not be empty", key, what);
			ok = false;
		}
		free(p);
	}
	for (size_t i = 0; i < nspec; i++)
		if (spec[i].required && !json_object_get(obj, spec[i].name)) {
			lerr(c, ptr, false, "%s has no '%s' field", what, spec[i].name);
			ok = false;
		}
	return ok;
}

static char *dup_or_null(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? xstrdup(s) : NULL;
}

static void get_strs(json_t *obj, const char *key, struct strlist *out)
{
	json_t *a = json_object_get(obj, key);
	for (size_t i = 0; i < json_array_size(a); i++)
		sl_add(out, json_string_value(json_array_get(a, i)));
}

static void check_id(struct lctx *c, json_t *obj, const char *ptr, const char *what)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	if (id && !is_mm_id(id)) {
		char *p = xasprintf("%s/id", ptr);
		lerr(c, p, false,
		     "%s id '%s' is not valid (1-64 of A-Z a-z 0-9 - _ ., starting alphanumeric)",
		     what, id);
		free(p);
	}
}

static const struct fspec choice_spec[] = {
	{"id", F_STR, true},     {"label", F_STR, true},     {"next", F_STR, false},
	{"flow", F_STR, false},  {"diagnosis", F_STR, false}, {"no_inference", F_STR, false},
};

static bool load_choice(struct lctx *c, json_t *j, const char *ptr, struct mm_choice *ch)
{
	if (!check_fields(c, j, ptr, "a choice", choice_spec, MM_ARRAY_LEN(choice_spec)))
		return false;
	check_id(c, j, ptr, "choice");
	static const struct {
		const char *field;
		enum mm_target kind;
	} targets[] = {
		{"next", TARGET_NODE}, {"flow", TARGET_FLOW}, {"diagnosis", TARGET_DIAGNOSIS}};
	int found = 0;
	for (size_t i = 0; i < MM_ARRAY_LEN(targets); i++) {
		const char *t = json_string_value(json_object_get(j, targets[i].field));
		if (!t)
			continue;
		if (found++) {
			char *p = xasprintf("%s/%s", ptr, targets[i].field);
			lerr(c, p, true,
			     "a choice leads to exactly one of 'next', 'flow' or 'diagnosis'; this one has "
			     "'%s' and '%s'",
			     ch->kind == TARGET_NODE ? "next" : "flow", targets[i].field);
			free(p);
			return false;
		}
		ch->kind = targets[i].kind;
		ch->target = xstrdup(t);
	}
	if (!found) {
		lerr(c, ptr, false, "choice has none of 'next', 'flow' or 'diagnosis'");
		return false;
	}
	ch->id = dup_or_null(j, "id");
	ch->label = dup_or_null(j, "label");
	ch->no_inference = dup_or_null(j, "no_inference");
	return true;
}

static void node_clear(struct mm_node *n)
{
	for (size_t k = 0; k < n->nchoices; k++) {
		free(n->choices[k].id);
		free(n->choices[k].label);
		free(n->choices[k].target);
		free(n->choices[k].no_inference);
	}
	free(n->choices);
	free(n->id);
	free(n->question);
	free(n->detail);
	free(n->help);
	free(n->probe);
	free(n->no_inference);
	free(n->ptr);
	memset(n, 0, sizeof(*n));
}

static const struct fspec node_spec[] = {
	{"id", F_STR, true},     {"question", F_STR, true}, {"detail", F_STR, false},
	{"help", F_STR, false},  {"probe", F_STR, false},   {"choices", F_ARR, true},
	{"no_inference", F_STR, false},
};

static void load_node(struct lctx *c, json_t *j, const char *ptr, struct mm_flow *f)
{
	if (!check_fields(c, j, ptr, "a node", node_spec, MM_ARRAY_LEN(node_spec)))
		return;
	check_id(c, j, ptr, "node");
	struct mm_node *n = &f->nodes[f->nnodes++];
	n->flow = f;
	n->ptr = xstrdup(ptr);
	n->id = dup_or_null(j, "id");
	n->question = dup_or_null(j, "question");
	n->detail = dup_or_null(j, "detail");
	n->help = dup_or_null(j, "help");
	n->probe = dup_or_null(j, "probe");
	n->no_inference = dup_or_null(j, "no_inference");
	json_t *choices = json_object_get(j, "choices");
	n->choices = xcalloc(json_array_size(choices) + 1, sizeof(struct mm_choice));
	if (json_array_size(choices) == 0) {
		char *p = xasprintf("%s/choices", ptr);
		lerr(c, p, false, "node '%s' has no choices", n->id);
		free(p);
	}
	for (size_t i = 0; i < json_array_size(choices); i++) {
		char *p = xasprintf("%s/choices/%zu", ptr, i);
		struct mm_choice *ch = &n->choices[n->nchoices];
		if (load_choice(c, json_array_get(choices, i), p, ch)) {
			for (size_t k = 0; k < n->nchoices; k++)
				if (strcmp(n->choices[k].id, ch->id) == 0) {
					char *q = xasprintf("%s/id", p);
					lerr(c, q, false, "duplicate choice id '%s' in node '%s'", ch->id,
					     n->id);
					free(q);
				}
			n->nchoices++;
		} else {
			free(ch->id);
			free(ch->label);
			free(ch->target);
			free(ch->no_inference);
			memset(ch, 0, sizeof(*ch));
		}
		free(p);
	}
}

static const struct fspec input_spec[] = {
	{"name", F_STR, true},    {"type", F_STR, true},      {"prompt", F_STR, true},
	{"default", F_STR, false}, {"required", F_BOOL, false}, {"derive", F_STR, false},
	{"complete", F_STR, false},
};

/* The completion an input names, else the one its type implies; false if unknown or unfit. */
static bool input_complete(struct lctx *c, json_t *j, const char *ptr, enum mm_input_type type,
			   enum mm_complete *out)
{
	const char *name = json_string_value(json_object_get(j, "complete"));
	const char *input = json_string_value(json_object_get(j, "name"));
	size_t k;
	if (!name) {
		for (k = MM_ARRAY_LEN(completes) - 1; k > CO_NONE && completes[k].type != type; k--)
			;
		*out = (enum mm_complete)k;
		return true;
	}
	char *p = xasprintf("%s/complete", ptr);
	for (k = 0; k < MM_ARRAY_LEN(completes) && strcmp(completes[k].name, name) != 0; k++)
		;
	if (k == MM_ARRAY_LEN(completes))
		lerr(c, p, false,
		     "unknown completion '%s' (expected none, namespace, service, pod, gateway or host)",
		     name);
	else if (k != CO_NONE && completes[k].type != type)
		lerr(c, p, false, "completion '%s' offers %s values, but input '%s' is of type %s",
		     name, input_types[completes[k].type].name, input, input_types[type].name);
	free(p);
	*out = (enum mm_complete)k;
	return k < MM_ARRAY_LEN(completes) && (k == CO_NONE || completes[k].type == type);
}

static void load_input(struct lctx *c, json_t *j, const char *ptr, struct mm_flow *f)
{
	if (!check_fields(c, j, ptr, "an input", input_spec, MM_ARRAY_LEN(input_spec)))
		return;
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *type = json_string_value(json_object_get(j, "type"));
	char *p = xasprintf("%s/type", ptr);
	size_t t;
	for (t = 0; t < MM_ARRAY_LEN(input_types) && strcmp(input_types[t].name, type) != 0; t++)
		;
	if (t == MM_ARRAY_LEN(input_types))
		lerr(c, p, false,
		     "unknown input type '%s' (expected namespace, service, pod, host, port, string or "
		     "object)",
		     type);
	free(p);
	p = xasprintf("%s/name", ptr);
	if (!is_mm_id(name))
		lerr(c, p, false, "input name '%s' is not a valid id", name);
	for (size_t i = 0; i < f->ninputs; i++)
		if (strcmp(f->inputs[i].name, name) == 0)
			lerr(c, p, false, "duplicate input '%s'", name);
	free(p);
	enum mm_complete complete = CO_NONE;
	if (t == MM_ARRAY_LEN(input_types) ||
	    !input_complete(c, j, ptr, (enum mm_input_type)t, &complete))
		return;
	struct mm_input *in = &f->inputs[f->ninputs++];
	in->name = xstrdup(name);
	in->type = (enum mm_input_type)t;
	in->complete = complete;
	in->prompt = dup_or_null(j, "prompt");
	in->def = dup_or_null(j, "default");
	in->required = json_is_true(json_object_get(j, "required"));
	in->derive = dup_or_null(j, "derive");
}

static void flow_free(struct mm_flow *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nnodes; i++)
		node_clear(&f->nodes[i]);
	free(f->nodes);
	for (size_t i = 0; i < f->ninputs; i++) {
		free(f->inputs[i].name);
		free(f->inputs[i].prompt);
		free(f->inputs[i].def);
		free(f->inputs[i].derive);
	}
	free(f->inputs);
	sl_free(&f->symptoms);
	sl_free(&f->synonyms);
	free(f->id);
	free(f->title);
	free(f->description);
	free(f->start);
	free(f);
}

static void diag_free(struct mm_diag *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->title);
	free(d->summary);
	free(d->cause);
	sl_free(&d->fix);
	sl_free(&d->verify);
	sl_free(&d->help);
	free(d->snippet_lang);
	free(d->snippet);
	free(d->severity);
	free(d->istio_code);
	free(d->vmin);
	free(d->vmax);
	free(d->vnote);
	sl_free(&d->older_api);
	free(d->ptr);
	free(d);
}

static void help_free(struct mm_help *h)
{
	free(h->topic);
	free(h->title);
	free(h->path);
	sl_free(&h->see_also);
	free(h->see_also_pos);
	free(h);
}

/*
 * Add an item to one of the kb's arrays. An item of a higher layer replaces
 * one with the same id; two of the same layer are a duplicate.
 */
#define KB_ADD(kb, arr, n, item, idfield, freefn, c, ptr, what)                                  \
	do {                                                                                     \
		size_t i_;                                                                       \
		for (i_ = 0; i_ < (n); i_++)                                                     \
			if (strcmp((arr)[i_]->idfield, (item)->idfield) == 0)                    \
				break;                                                           \
		if (i_ < (n) && (arr)[i_]->layer == (item)->layer) {                             \
			lerr((c), (ptr), false, "duplicate %s id '%s' (also in %s)", (what),     \
			     (item)->idfield, kb_item_file((arr)[i_]->src));                      \
			freefn(item);                                                            \
		} else if (i_ < (n)) {                                                           \
			freefn((arr)[i_]);                                                       \
			(arr)[i_] = (item);                                                      \
		} else {                                                                         \
			(arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr)));                     \
			(arr)[(n)++] = (item);                                                   \
		}                                                                                \
	} while (0)

static const char *kb_item_file(const struct mm_src *src)
{
	return src ? src->path : "?";
}

static const struct fspec flow_spec[] = {
	{"id", F_STR, true},       {"title", F_STR, true},   {"description", F_STR, false},
	{"symptoms", F_STRS, true}, {"inputs", F_ARR, false}, {"start", F_STR, true},
	{"nodes", F_ARR, true},     {"synonyms", F_STRS, false},
};

/* Whether a symptom or synonym can ever match: it has a word, and says what no other one says. */
static void check_phrases(struct lctx *c, const struct mm_flow *f)
{
	const struct strlist *lists[] = {&f->symptoms, &f->synonyms};
	static const char *const names[] = {"symptoms", "synonyms"};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const char *s = lists[l]->v[i];
			char *p = xasprintf("/%s/%zu", names[l], i);
			bool word = false;
			for (const char *q = s; *q && !word; q++)
				word = isalnum((unsigned char)*q) || (unsigned char)*q >= 0x80;
			if (!word)
				lerr(c, p, false, "%s entry '%s' has no word to match", names[l], s);
			for (size_t k = 0; k <= l; k++)
				for (size_t e = 0; e < (k == l ? i : lists[k]->n); e++)
					if (strcasecmp(lists[k]->v[e], s) == 0)
						lerr(c, p, false, "'%s' is already in %s", s, names[k]);
			free(p);
		}
}

static void load_flow(struct lctx *c, json_t *j)
{
	if (!check_fields(c, j, "", "a flow", flow_spec, MM_ARRAY_LEN(flow_spec)))
		return;
	check_id(c, j, "", "flow");
	struct mm_flow *f = xcalloc(1, sizeof(*f));
	f->src = c->src;
	f->layer = c->kb->layer;
	f->id = dup_or_null(j, "id");
	f->title = dup_or_null(j, "title");
	f->description = dup_or_null(j, "description");
	f->start = dup_or_null(j, "start");
	get_strs(j, "symptoms", &f->symptoms);
	get_strs(j, "synonyms", &f->synonyms);
	check_phrases(c, f);
	json_t *inputs = json_object_get(j, "inputs");
	f->inputs = xcalloc(json_array_size(inputs) + 1, sizeof(struct mm_input));
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		char *p = xasprintf("/inputs/%zu", i);
		load_input(c, json_array_get(inputs, i), p, f);
		free(p);
	}
	json_t *nodes = json_object_get(j, "nodes");
	f->nodes = xcalloc(json_array_size(nodes) + 1, sizeof(struct mm_node));
	if (json_array_size(nodes) == 0)
		lerr(c, "/nodes", false, "flow '%s' has no nodes", f->id);
	for (size_t i = 0; i < json_array_size(nodes); i++) {
		char *p = xasprintf("/nodes/%zu", i);
		size_t before = f->nnodes;
		load_node(c, json_array_get(nodes, i), p, f);
		for (size_t k = 0; f->nnodes > before && k < before; k++)
			if (strcmp(f->nodes[k].id, f->nodes[before].id) == 0) {
				char *q = xasprintf("%s/id", p);
				lerr(c, q, false, "duplicate node id '%s'", f->nodes[k].id);
				free(q);
				/* keep the first: the second would only be reported unreachable */
				node_clear(&f->nodes[before]);
				f->nnodes--;
			}
		free(p);
	}
	KB_ADD(c->kb, c->kb->flows, c->kb->nflows, f, id, flow_free, c, "/id", "flow");
}

static const struct fspec diag_spec[] = {
	{"id", F_STR, true},        {"title", F_STR, true},     {"summary", F_STR, true},
	{"cause", F_STR, true},     {"fix", F_STRS, true},      {"snippet", F_OBJ, false},
	{"verify", F_STRS, true},   {"versions", F_OBJ, false}, {"help", F_STRS, false},
	{"severity", F_STR, false}, {"istio_code", F_STR, false},
};
static const struct fspec snippet_spec[] = {{"lang", F_STR, true}, {"text", F_STR, true}};
static const struct fspec versions_spec[] = {{"min", F_STR, false},
                                             {"max", F_STR, false},
                                             {"note", F_STR, false},
                                             {"older_api", F_STRS, false}};

/* severity is one of three words; istio_code is IST and four digits, as istioctl analyze prints it. */
static void check_severity(struct lctx *c, struct mm_diag *d, const char *ptr)
{
	static const char *const levels[] = {"error", "warning", "info"};
	bool known = !d->severity;
	for (size_t i = 0; !known && i < MM_ARRAY_LEN(levels); i++)
		known = strcmp(d->severity, levels[i]) == 0;
	if (!known) {
		char *p = xasprintf("%s/severity", ptr);
		lerr(c, p, false, "unknown severity '%s' (expected error, warning or info)",
		     d->severity);
		free(p);
	}
	const char *code = d->istio_code;
	bool ok = !code || (strlen(code) == 7 && strncmp(code, "IST", 3) == 0 &&
	                    strspn(code + 3, "0123456789") == 4);
	if (!ok) {
		char *p = xasprintf("%s/istio_code", ptr);
		lerr(c, p, false, "istio_code '%s' is not an istioctl analyze code such as IST0101",
		     code);
		free(p);
	}
}

static void load_diag(struct lctx *c, json_t *j, const char *ptr)
{
	if (!check_fields(c, j, ptr, "a diagnosis", diag_spec, MM_ARRAY_LEN(diag_spec)))
		return;
	check_id(c, j, ptr, "diagnosis");
	char *sp = xasprintf("%s/snippet", ptr), *vp = xasprintf("%s/versions", ptr);
	json_t *snip = json_object_get(j, "snippet"), *ver = json_object_get(j, "versions");
	bool ok = (!snip || check_fields(c, snip, sp, "a snippet", snippet_spec, 2)) &&
	          (!ver || check_fields(c, ver, vp, "versions", versions_spec,
	                                MM_ARRAY_LEN(versions_spec)));
	free(sp);
	free(vp);
	if (!ok)
		return;
	struct mm_diag *d = xcalloc(1, sizeof(*d));
	d->src = c->src;
	d->ptr = xstrdup(ptr);
	d->layer = c->kb->layer;
	d->id = dup_or_null(j, "id");
	d->title = dup_or_null(j, "title");
	d->summary = dup_or_null(j, "summary");
	d->cause = dup_or_null(j, "cause");
	get_strs(j, "fix", &d->fix);
	get_strs(j, "verify", &d->verify);
	get_strs(j, "help", &d->help);
	d->severity = dup_or_null(j, "severity");
	d->istio_code = dup_or_null(j, "istio_code");
	check_severity(c, d, ptr);
	d->snippet_lang = dup_or_null(snip, "lang");
	d->snippet = dup_or_null(snip, "text");
	d->vmin = dup_or_null(ver, "min");
	d->vmax = dup_or_null(ver, "max");
	d->vnote = dup_or_null(ver, "note");
	if (ver)
		get_strs(ver, "older_api", &d->older_api);
	char *idp = xasprintf("%s/id", ptr);
	KB_ADD(c->kb, c->kb->diags, c->kb->ndiags, d, id, diag_free, c, idp, "diagnosis");
	free(idp);
}

static struct mm_src *add_src(struct mm_kb *kb, const char *path, const char *text,
				    size_t len)
{
	struct mm_src *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->pos = text ? jpos_build(text, len) : NULL;
	kb->srcs = xrealloc(kb->srcs, (kb->nsrcs + 1) * sizeof(*kb->srcs));
	kb->srcs[kb->nsrcs++] = s;
	return s;
}

static void load_json_file(struct mm_kb *kb, const char *path, struct mm_errors *errs)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		errs_add(errs, path, 0, 0, "cannot read: %s", read_strerror(errno));
		return;
	}
	json_t *j = json_parse_text(path, text, len, errs);
	if (!j) {
		free(text);
		return;
	}
	struct mm_src *src = add_src(kb, path, text, len);
	struct lctx c = {kb, src, errs, true};
	free(text);
	json_t *diags = json_is_object(j) ? json_object_get(j, "diagnoses") : NULL;
	if (diags) {
		static const struct fspec file_spec[] = {{"diagnoses", F_ARR, true}};
		if (check_fields(&c, j, "", "a diagnosis file", file_spec, 1))
			for (size_t i = 0; i < json_array_size(diags); i++) {
				char *p = xasprintf("/diagnoses/%zu", i);
				load_diag(&c, json_array_get(diags, i), p);
				free(p);
			}
	} else {
		load_flow(&c, j);
	}
	/* a file with load errors gets no whole-set checks: they would only echo those errors */
	src->broken = !c.ok;
	json_decref(j);
}

/* Whether a help page's text may be shown: valid UTF-8, no NUL, no over-long line. */
static bool help_text_ok(const char *path, const char *text, size_t len, struct mm_errors *errs)
{
	int line, col;
	if (!utf8_check(text, len, &line, &col)) {
		errs_add(errs, path, line, col, "a help page must be UTF-8 text (an invalid byte here)");
		return false;
	}
	line = 1;
	for (const char *p = text; p < text + len; line++) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		if (n > mm_limits.line) {
			errs_add(errs, path, line, 1, "line exceeds %zu bytes", mm_limits.line);
			return false;
		}
		p += n + 1;
	}
	return true;
}

static void load_help_file(struct mm_kb *kb, const char *path, struct mm_errors *errs)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		errs_add(errs, path, 0, 0, "cannot read: %s", read_strerror(errno));
		return;
	}
	if (!help_text_ok(path, text, len, errs)) {
		free(text);
		return;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *topic = xstrndup(base, strlen(base) - 3);
	if (!is_help_topic(topic)) {
		errs_add(errs, path, 1, 1, "help topic '%s' is not lower-case kebab-case", topic);
		free(topic);
		free(text);
		return;
	}
	struct mm_help *h = xcalloc(1, sizeof(*h));
	h->topic = topic;
	h->path = xstrdup(path);
	h->layer = kb->layer;
	size_t first = strcspn(text, "\n");
	if (strncmp(text, "# ", 2) != 0 || first <= 2)
		errs_add(errs, path, 1, 1, "a help page starts with a '# Title' line");
	else
		h->title = xstrndup(text + 2, first - 2);
	int line = 1;
	for (char *p = text; *p; line++) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "See also:", 9) == 0) {
			char *list = xstrndup(p, n);
			for (char *tok = strtok(list + 9, ", "); tok; tok = strtok(NULL, ", ")) {
				sl_add(&h->see_also, tok);
				h->see_also_pos = xrealloc(h->see_also_pos,
							   h->see_also.n * sizeof(*h->see_also_pos));
				h->see_also_pos[h->see_also.n - 1] = (struct mm_pos){line, (int)(tok - list) + 1};
			}
			free(list);
		}
		p = nl ? nl + 1 : p + n;
	}
	if (!h->title)
		h->title = xstrdup(topic);
	free(text);
	size_t i;
	for (i = 0; i < kb->nhelp; i++)
		if (strcmp(kb->help[i]->topic, h->topic) == 0)
			break;
	if (i < kb->nhelp && kb->help[i]->layer == h->layer) {
		errs_add(errs, path, 1, 1, "duplicate help topic '%s' (also in %s)", h->topic,
			 kb->help[i]->path);
		help_free(h);
	} else if (i < kb->nhelp) {
		help_free(kb->help[i]);
		kb->help[i] = h;
	} else {
		kb->help = xrealloc(kb->help, (kb->nhelp + 1) * sizeof(*kb->help));
		kb->help[kb->nhelp++] = h;
	}
}

bool kb_load_path(struct mm_kb *kb, const char *path, struct mm_errors *errs)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		errs_add(errs, path, 0, 0, "cannot read: %s", read_strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (str_ends_with(path, ".md"))
			load_help_file(kb, path, errs);
		else
			load_json_file(kb, path, errs);
		return true;
	}
	struct strlist names = {0};
	if (!list_dir(path, &names)) {
		errs_add(errs, path, 0, 0, "cannot read: %s", read_strerror(errno));
		return false;
	}
	for (size_t i = 0; i < names.n; i++) {
		char *sub = xasprintf("%s/%s", path, names.v[i]);
		if (stat(sub, &st) == 0 &&
		    (S_ISDIR(st.st_mode) || str_ends_with(sub, ".json") || str_ends_with(sub, ".md")))
			kb_load_path(kb, sub, errs);
		free(sub);
	}
	sl_free(&names);
	return true;
}

void kb_load_root(struct mm_kb *kb, const char *root, struct mm_errors *errs)
{
	static const char *const parts[] = {"flows", "help"};
	for (size_t i = 0; i < MM_ARRAY_LEN(parts); i++) {
		char *p = xasprintf("%s/%s", root, parts[i]);
		struct stat st;
		if (stat(p, &st) == 0)
			kb_load_path(kb, p, errs);
		else if (i == 0)
			errs_add(errs, p, 0, 0, "cannot read: %s", read_strerror(errno));
		free(p);
	}
}

void kb_free(struct mm_kb *kb)
{
	if (!kb)
		return;
	for (size_t i = 0; i < kb->nflows; i++)
		flow_free(kb->flows[i]);
	for (size_t i = 0; i < kb->ndiags; i++)
		diag_free(kb->diags[i]);
	for (size_t i = 0; i < kb->nhelp; i++)
		help_free(kb->help[i]);
	for (size_t i = 0; i < kb->nsrcs; i++) {
		jpos_free(kb->srcs[i]->pos);
		free(kb->srcs[i]->path);
		free(kb->srcs[i]);
	}
	free(kb->flows);
	free(kb->diags);
	free(kb->help);
	free(kb->srcs);
	free(kb);
}

const struct mm_flow *kb_flow(const struct mm_kb *kb, const char *id)
{
	for (; kb; kb = kb->fallback)
		for (size_t i = 0; i < kb->nflows; i++)
			if (strcmp(kb->flows[i]->id, id) == 0)
				return kb->flows[i];
	return NULL;
}

const struct mm_diag *kb_diag(const struct mm_kb *kb, const char *id)
{
	for (; kb; kb = kb->fallback)
		for (size_t i = 0; i < kb->ndiags; i++)
			if (strcmp(kb->diags[i]->id, id) == 0)
				return kb->diags[i];
	return NULL;
}

const struct mm_help *kb_help(const struct mm_kb *kb, const char *topic)
{
	for (; kb; kb = kb->fallback)
		for (size_t i = 0; i < kb->nhelp; i++)
			if (strcmp(kb->help[i]->topic, topic) == 0)
				return kb->help[i];
	return NULL;
}

const struct mm_node *flow_node(const struct mm_flow *f, const char *id)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (strcmp(f->nodes[i].id, id) == 0)
			return &f->nodes[i];
	return NULL;
}

const struct mm_choice *node_choice(const struct mm_node *n, const char *id)
{
	for (size_t i = 0; i < n->nchoices; i++)
		if (strcmp(n->choices[i].id, id) == 0)
			return &n->choices[i];
	return NULL;
}

const struct mm_input *flow_input(const struct mm_flow *f, const char *name)
{
	for (size_t i = 0; i < f->ninputs; i++)
		if (strcmp(f->inputs[i].name, name) == 0)
			return &f->inputs[i];
	return NULL;
}

char *help_body(const struct mm_help *h)
{
	char *text = read_file(h->path, NULL);
	if (!text)
		return NULL;
	char *nl = strchr(text, '\n');
	char *body = xstrdup(nl ? nl + 1 : "");
	free(text);
	/* drop the blank lines between the title and the text */
	char *p = body;
	while (*p == '\n')
		p++;
	memmove(body, p, strlen(p) + 1);
	return body;
}

/*
 * Matching a filter against a flow. Both are cut into tokens: runs of
 * letters and digits (and bytes of UTF-8 words), lower-cased, where '.', '/'
 * and ':' between two of them join ("http/1.1", "sidecar.istio.io/inject",
 * "reviews:9080") and anything else separates ("route_not_found" is three
 * tokens, "istio-proxy" two). A trailing "s" of a longer word is dropped, so
 * "pods" meets "pod". Codes and flags are tokens like any other: "UT" is no
 * part of "route_not_found".
 */
#define TOK_MAX 48

struct toks {
	char (*v)[TOK_MAX];
	size_t n;
	bool open_end; /* the text ends inside its last token: it may still be typed on */
};

static bool tok_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static bool tok_joiner(char c)
{
	return c == '.' || c == '/' || c == ':';
}

static void tokenize(const char *text, struct toks *t)
{
	size_t len = strlen(text), cap = len / 2 + 1;
	t->v = xcalloc(cap, sizeof(*t->v));
	t->n = 0;
	t->open_end = false;
	for (size_t i = 0; i < len;) {
		if (!tok_char((unsigned char)text[i])) {
			i++;
			continue;
		}
		size_t k = 0, start = i;
		char *out = t->v[t->n];
		while (i < len && (tok_char((unsigned char)text[i]) ||
		                   (tok_joiner(text[i]) && i + 1 < len &&
		                    tok_char((unsigned char)text[i + 1])))) {
			if (k + 1 < TOK_MAX)
				out[k++] = (char)tolower((unsigned char)text[i]);
			i++;
		}
		out[k] = '\0';
		bool upper = true;
		for (size_t j = start; j < i && upper; j++)
			upper = !islower((unsigned char)text[j]);
		/* "pods" and "pod", "headers" and "header"; not "DNS", not "status" twice */
		if (k >= 4 && out[k - 1] == 's' && out[k - 2] != 's' && !upper)
			out[k - 1] = '\0';
		t->n++;
		t->open_end = i == len;
	}
}

/* Whether a filter token f meets a symptom token s; prefix: f may be the start of a word. */
static bool tok_meets(const char *s, const char *f, bool prefix)
{
	size_t fl = strlen(f);
	if (strcmp(s, f) == 0 || (prefix && fl >= 3 && strncmp(s, f, fl) == 0))
		return true;
	/* a plain word meets one part of a joined token: "inject" and "sidecar.istio.io/inject" */
	if (fl < 3 || strpbrk(f, "./:") || !strpbrk(s, "./:"))
		return false;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "./:");
		if ((n == fl || (prefix && n > fl)) && strncmp(p, f, fl) == 0)
			return true;
		p += n + (p[n] != '\0');
	}
	return false;
}

/*
 * How well a phrase (a symptom, synonym, title or id) matches the filter, 0
 * for not at all: the whole phrase stands in the filter, word after word (a
 * pasted error message holds it), 3 per word; the filter stands in the
 * phrase, word after word (the start of a symptom being typed), 2 per word;
 * every word of the filter is somewhere in the phrase, 1 per word.
 */
static int phrase_score(const struct toks *phrase, const struct toks *filter)
{
	size_t m = phrase->n, n = filter->n;
	if (!m || !n)
		return 0;
	for (size_t i = 0; m <= n && i + m <= n; i++) {
		size_t k = 0;
		while (k < m && strcmp(phrase->v[k], filter->v[i + k]) == 0)
			k++;
		if (k == m)
			return 3 * (int)m;
	}
	for (size_t i = 0; n <= m && i + n <= m; i++) {
		size_t k = 0;
		while (k < n && tok_meets(phrase->v[i + k], filter->v[k],
		                          k == n - 1 && filter->open_end))
			k++;
		if (k == n)
			return 2 * (int)n;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = 0;
		while (i < m && !tok_meets(phrase->v[i], filter->v[k], k == n - 1 && filter->open_end))
			i++;
		if (i == m)
			return 0;
	}
	return (int)n;
}

static int text_score(const char *text, const struct toks *filter)
{
	struct toks t;
	tokenize(text, &t);
	int s = phrase_score(&t, filter);
	free(t.v);
	return s;
}

int kb_flow_score(const struct mm_flow *f, const char *filter, struct strlist *hits)
{
	struct toks ft;
	tokenize(filter, &ft);
	if (!ft.n) {
		free(ft.v);
		return 0;
	}
	int score = 0;
	/* the id typed in full counts as a symptom would; the title as a weaker hint */
	int id = text_score(f->id, &ft), title = text_score(f->title, &ft);
	score += id + (title + 1) / 2;
	const struct strlist *lists[] = {&f->symptoms, &f->synonyms};
	for (size_t l = 0; l < MM_ARRAY_LEN(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			int s = text_score(lists[l]->v[i], &ft);
			if (!s)
				continue;
			score += s;
			if (hits)
				sl_add(hits, lists[l]->v[i]);
		}
	free(ft.v);
	return score ? score : -1;
}

bool kb_flow_matches(const struct mm_flow *f, const char *filter, struct strlist *hits)
{
	return kb_flow_score(f, filter, hits) >= 0;
}

/* Flows by score, best first; equal scores keep the kb's order. */
struct ranked {
	const struct mm_flow *f;
	int score;
	size_t at;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	return x->at < y->at ? -1 : x->at > y->at;
}

size_t kb_flows_ranked(const struct mm_kb *kb, const char *filter, const struct mm_flow **out,
                       int *scores)
{
	struct ranked *r = xcalloc(kb->nflows + 1, sizeof(*r));
	size_t n = 0;
	for (size_t i = 0; i < kb->nflows; i++) {
		int s = kb_flow_score(kb->flows[i], filter, NULL);
		if (s >= 0)
			r[n++] = (struct ranked){kb->flows[i], s, i};
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (size_t i = 0; i < n; i++) {
		out[i] = r[i].f;
		if (scores)
			scores[i] = r[i].score;
	}
	free(r);
	return n;
}

const char *const kb_v1_groups[3] = {"networking.istio.io", "security.istio.io",
                                     "telemetry.istio.io"};

bool snippet_uses_v1(const char *snippet, const char *group)
{
	size_t glen = strlen(group);
	for (const char *l = snippet; l && *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l);
		const char *p = l;
		/* "apiVersion:" may follow indentation or the "- " of a list item */
		while (p < end && (*p == ' ' || *p == '-'))
			p++;
		if ((size_t)(end - p) > 11 && strncmp(p, "apiVersion:", 11) == 0) {
			p += 11;
			while (p < end && (*p == ' ' || *p == '"' || *p == '\''))
				p++;
			const char *v = p;
			while (p < end && *p != ' ' && *p != '"' && *p != '\'' && *p != '#')
				p++;
			if ((size_t)(p - v) == glen + 3 && strncmp(v, group, glen) == 0 &&
			    strncmp(v + glen, "/v1", 3) == 0)
				return true;
		}
		l = nl ? nl + 1 : NULL;
	}
	return false;
}

char *older_api_for(const struct mm_diag *d, const char *group)
{
	struct sbuf b;
	sb_init(&b);
	size_t glen = strlen(group);
	for (size_t i = 0; i < d->older_api.n; i++) {
		const char *a = d->older_api.v[i];
		if (strncmp(a, group, glen) != 0 || a[glen] != '/' || strcmp(a + glen, "/v1") == 0)
			continue;
		if (b.len)
			sb_add(&b, " or ");
		sb_add(&b, a);
	}
	return b.s;
}
