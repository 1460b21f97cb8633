#include "base/yamljson.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/limits.h"
#include "base/util.h"

static bool all_digits(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A plain scalar as the core schema reads it. */
static json_t *plain_scalar(const char *v)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	static const char *const trues[] = {"true", "True", "TRUE"};
	static const char *const falses[] = {"false", "False", "FALSE"};
	for (size_t i = 0; i < MM_ARRAY_LEN(nulls); i++)
		if (strcmp(v, nulls[i]) == 0)
			return json_null();
	for (size_t i = 0; i < MM_ARRAY_LEN(trues); i++)
		if (strcmp(v, trues[i]) == 0)
			return json_true();
	for (size_t i = 0; i < MM_ARRAY_LEN(falses); i++)
		if (strcmp(v, falses[i]) == 0)
			return json_false();
	if (all_digits(v) && strlen(v) < 19)
		return json_integer(strtoll(v, NULL, 10));
	char *end;
	double d = strtod(v, &end);
	if (*v && !*end && strpbrk(v, "0123456789") && !strpbrk(v, "xXnN"))
		return json_real(d);
	return json_string(v);
}

/*
 * The converter works on libyaml's events, not its document tree: an alias
 * is then a copy whose size is counted before it is made, and a document
 * nested too deep is refused at the event that goes too deep, before the
 * scanner's cost (which grows with the square of the depth) runs away.
 */
struct anchor {
	char *name;
	json_t *v;
	char *scalar; /* the text of an anchored scalar, for use as a key */
	size_t nodes; /* nodes of v, counted */
};

struct yconv {
	const char *path;
	struct mm_errors *errs;
	yaml_parser_t parser;
	struct anchor *anchors;
	size_t nanchors, cap;
	size_t aliases, nodes; /* of the current document */
	size_t expanded;       /* by aliases in the whole text: a bomb per document adds up */
	bool failed;
};

static void conv_error(struct yconv *y, const yaml_mark_t *at, const char *fmt, size_t n)
{
	if (y->failed)
		return;
	y->failed = true;
	errs_add(y->errs, y->path, (int)at->line + 1, (int)at->column + 1, fmt, n);
}

static void syntax_error(struct yconv *y)
{
	if (y->failed)
		return;
	y->failed = true;
	yaml_parser_t *p = &y->parser;
	/* where the broken construct began says more than where libyaml gave up */
	yaml_mark_t at = p->context ? p->context_mark : p->problem_mark;
	errs_add(y->errs, y->path, (int)at.line + 1, (int)at.column + 1, "invalid YAML: %s%s%s",
		 p->problem ? p->problem : "parse error", p->context ? " " : "",
		 p->context ? p->context : "");
}

static bool next_event(struct yconv *y, yaml_event_t *ev)
{
	if (y->failed)
		return false;
	if (!yaml_parser_parse(&y->parser, ev)) {
		syntax_error(y);
		return false;
	}
	return true;
}

static void anchors_clear(struct yconv *y)
{
	for (size_t i = 0; i < y->nanchors; i++) {
		free(y->anchors[i].name);
		free(y->anchors[i].scalar);
		json_decref(y->anchors[i].v);
	}
	y->nanchors = 0;
}

static void anchor_add(struct yconv *y, const char *name, json_t *v, const char *scalar,
		       size_t nodes)
{
	if (y->nanchors == y->cap) {
		y->cap = y->cap ? y->cap * 2 : 8;
		y->anchors = xrealloc(y->anchors, y->cap * sizeof(*y->anchors));
	}
	y->anchors[y->nanchors++] =
	    (struct anchor){xstrdup(name), json_incref(v), scalar ? xstrdup(scalar) : NULL, nodes};
}

static const struct anchor *anchor_find(struct yconv *y, const char *name)
{
	/* a name defined again stands for its latest node */
	for (size_t i = y->nanchors; i-- > 0;)
		if (strcmp(y->anchors[i].name, name) == 0)
			return &y->anchors[i];
	return NULL;
}

/* Count n more nodes in the document; false (and the error) past the limit. */
static bool count_nodes(struct yconv *y, const yaml_mark_t *at, size_t n)
{
	if (n > mm_limits.yaml_nodes - y->nodes) {
		conv_error(y, at, "YAML document exceeds %zu nodes", mm_limits.yaml_nodes);
		return false;
	}
	y->nodes += n;
	return true;
}

static json_t *conv_node(struct yconv *y, yaml_event_t *ev, size_t depth, size_t *nodes,
			 const char **key);

/*
 * The node that starts with ev (which the caller deletes), or NULL on an
 * error. *nodes counts its nodes; *key, when asked, is its scalar text
 * (borrowed from ev or an anchor) for use as a mapping key.
 */
static json_t *conv_node(struct yconv *y, yaml_event_t *ev, size_t depth, size_t *nodes,
			 const char **key)
{
	*nodes = 0;
	if (key)
		*key = NULL;
	const char *anchor = NULL;
	json_t *v = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		const struct anchor *a = anchor_find(y, (const char *)ev->data.alias.anchor);
		if (!a) {
			conv_error(y, &ev->start_mark, "invalid YAML: found undefined alias%.0zu", 0);
			return NULL;
		}
		if (++y->aliases > mm_limits.yaml_aliases) {
			conv_error(y, &ev->start_mark, "YAML document has more than %zu aliases",
				   mm_limits.yaml_aliases);
			return NULL;
		}
		if (a->nodes > mm_limits.yaml_expansion - y->expanded) {
			conv_error(y, &ev->start_mark, "YAML alias expansion exceeds %zu nodes",
				   mm_limits.yaml_expansion);
			return NULL;
		}
		y->expanded += a->nodes;
		if (!count_nodes(y, &ev->start_mark, a->nodes))
			return NULL;
		*nodes = a->nodes;
		if (key)
			*key = a->scalar;
		/* a copy: the objects a loader receives are its own to change */
		return json_deep_copy(a->v);
	}
	case YAML_SCALAR_EVENT: {
		if (!count_nodes(y, &ev->start_mark, 1))
			return NULL;
		const char *text = (const char *)ev->data.scalar.value;
		anchor = (const char *)ev->data.scalar.anchor;
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			v = plain_scalar(text);
		else
			v = json_stringn(text, ev->data.scalar.length);
		if (!v)
			v = json_null();
		*nodes = 1;
		if (key)
			*key = text;
		if (anchor)
			anchor_add(y, anchor, v, text, 1);
		return v;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		conv_error(y, &ev->start_mark, "invalid YAML: unexpected event%.0zu", 0);
		return NULL;
	}
	bool map = ev->type == YAML_MAPPING_START_EVENT;
	if (depth >= mm_limits.depth) {
		conv_error(y, &ev->start_mark, "YAML nesting exceeds %zu levels", mm_limits.depth);
		return NULL;
	}
	if (!count_nodes(y, &ev->start_mark, 1))
		return NULL;
	anchor = map ? (const char *)ev->data.mapping_start.anchor
		     : (const char *)ev->data.sequence_start.anchor;
	size_t total = 1;
	v = map ? json_object() : json_array();
	for (;;) {
		yaml_event_t item;
		if (!next_event(y, &item))
			goto fail;
		if (item.type == YAML_SEQUENCE_END_EVENT || item.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&item);
			break;
		}
		size_t n;
		const char *k = NULL;
		json_t *kv = conv_node(y, &item, depth + 1, &n, map ? &k : NULL);
		char *kcopy = k ? xstrdup(k) : NULL;
		yaml_event_delete(&item);
		if (!kv) {
			free(kcopy);
			goto fail;
		}
		total += n;
		if (!map) {
			json_array_append_new(v, kv);
			continue;
		}
		json_decref(kv);
		yaml_event_t val;
		if (!next_event(y, &val)) {
			free(kcopy);
			goto fail;
		}
		json_t *vv = conv_node(y, &val, depth + 1, &n, NULL);
		yaml_event_delete(&val);
		if (!vv) {
			free(kcopy);
			goto fail;
		}
		total += n;
		/* a key that is no scalar (a mapping or a sequence) has no JSON spelling */
		if (kcopy)
			json_object_set_new(v, kcopy, vv);
		else
			json_decref(vv);
		free(kcopy);
	}
	*nodes = total;
	if (anchor) {
		/* the anchor's name lives in the start event, which the caller still holds */
		anchor_add(y, anchor, v, NULL, total);
	}
	return v;
fail:
	json_decref(v);
	return NULL;
}

static bool convert(const char *path, const char *text, size_t len, yaml_doc_fn fn, void *ctx,
		    struct mm_errors *errs, size_t max_docs)
{
	struct yconv y = {.path = path, .errs = errs};
	yaml_parser_initialize(&y.parser);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
	size_t docs = 0;
	for (;;) {
		yaml_event_t ev;
		if (!next_event(&y, &ev))
			break;
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
		if (t != YAML_DOCUMENT_START_EVENT)
			continue; /* the stream's start */
		y.aliases = y.nodes = 0;
		yaml_event_t root;
		if (!next_event(&y, &root))
			break;
		int line = (int)root.start_mark.line + 1;
		size_t n;
		json_t *j = conv_node(&y, &root, 0, &n, NULL);
		yaml_event_delete(&root);
		anchors_clear(&y);
		if (!j)
			break;
		yaml_event_t end;
		if (!next_event(&y, &end)) {
			json_decref(j);
			break;
		}
		yaml_event_delete(&end);
		if (json_is_null(j))
			json_decref(j); /* an empty document ("---" alone) */
		else
			fn(ctx, j, line);
		if (max_docs && ++docs >= max_docs)
			break;
	}
	anchors_clear(&y);
	free(y.anchors);
	yaml_parser_delete(&y.parser);
	return !y.failed;
}

bool yaml_to_json(const char *path, const char *text, size_t len, yaml_doc_fn fn, void *ctx,
		  struct mm_errors *errs)
{
	return convert(path, text, len, fn, ctx, errs, 0);
}

static void keep_first(void *ctx, json_t *doc, int line)
{
	json_t **first = ctx;
	(void)line;
	if (!*first)
		*first = doc;
	else
		json_decref(doc);
}

json_t *yaml_first_doc_err(const char *path, const char *text, struct mm_errors *errs)
{
	json_t *first = NULL;
	/* the first document only: what follows it is never read */
	if (!convert(path, text, strlen(text), keep_first, &first, errs, 1)) {
		json_decref(first);
		return NULL;
	}
	return first;
}

json_t *yaml_first_doc(const char *text)
{
	struct mm_errors errs = {0};
	json_t *first = yaml_first_doc_err("", text, &errs);
	errs_free(&errs);
	return first;
}
