#include "base/yamljson.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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

static json_t *node_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	if (!n || depth > 256)
		return json_null();
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *v = (const char *)n->data.scalar.value;
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return plain_scalar(v);
		return json_stringn(v, n->data.scalar.length);
	}
	case YAML_SEQUENCE_NODE: {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
		     i++)
			json_array_append_new(a, node_json(doc, yaml_document_get_node(doc, *i), depth + 1));
		return a;
	}
	case YAML_MAPPING_NODE: {
		json_t *o = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
		     p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			json_object_set_new(o, (const char *)k->data.scalar.value,
					    node_json(doc, yaml_document_get_node(doc, p->value), depth + 1));
		}
		return o;
	}
	default:
		return json_null();
	}
}

bool yaml_to_json(const char *path, const char *text, size_t len, yaml_doc_fn fn, void *ctx,
		  struct mm_errors *errs)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	bool ok = true;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			/* where the broken construct began says more than where libyaml gave up */
			yaml_mark_t at = parser.context ? parser.context_mark : parser.problem_mark;
			errs_add(errs, path, (int)at.line + 1, (int)at.column + 1, "invalid YAML: %s%s%s",
				 parser.problem ? parser.problem : "parse error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			ok = false;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		int line = (int)root->start_mark.line + 1;
		json_t *j = node_json(&doc, root, 0);
		yaml_document_delete(&doc);
		if (json_is_null(j))
			json_decref(j); /* an empty document ("---" alone) */
		else
			fn(ctx, j, line);
	}
	yaml_parser_delete(&parser);
	return ok;
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

json_t *yaml_first_doc(const char *text)
{
	json_t *first = NULL;
	struct mm_errors errs = {0};
	yaml_to_json("", text, strlen(text), keep_first, &first, &errs);
	errs_free(&errs);
	return first;
}
