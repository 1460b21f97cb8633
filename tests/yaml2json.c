/*
 * yaml2json FILE...: the objects of YAML manifests as one JSON List on
 * stdout (a List's items spread), for tests that change a fixture with jq.
 * Exit 2 with FILE:LINE:COL on a syntax error.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/yamljson.h"

static void add_doc(void *ctx, json_t *doc, int line)
{
	(void)line;
	json_t *items = ctx;
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	json_t *inner = json_object_get(doc, "items");
	if (kind && !strcmp(kind, "List") && json_is_array(inner))
		json_array_extend(items, inner);
	else if (json_is_object(doc))
		json_array_append(items, doc);
	json_decref(doc);
}

int main(int argc, char **argv)
{
	json_t *items = json_array();
	for (int i = 1; i < argc; i++) {
		size_t len;
		char *text = read_file(argv[i], &len);
		struct mm_errors errs = {0};
		if (!text) {
			fprintf(stderr, "%s: %s\n", argv[i], read_strerror(errno));
			return 2;
		}
		if (!yaml_to_json(argv[i], text, len, add_doc, items, &errs)) {
			errs_print_first(&errs, stderr, NULL);
			return 2;
		}
		errs_free(&errs);
		free(text);
	}
	json_t *list = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items", items);
	json_dumpf(list, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(list);
	return 0;
}
