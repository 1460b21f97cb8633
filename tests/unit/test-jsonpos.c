/* Positions of JSON values and keys, as lint reports them. */
#include "base/jsonpos.h"
#include "tap.h"
#include "base/util.h"

static void pos_is(const struct jpos *jp, const char *ptr, int key, int line, int col)
{
	int l = -1, c = -1;
	int found = jpos_find(jp, ptr, key, &l, &c);
	if (!ok(found && l == line && c == col, "%s '%s' at %d:%d", key ? "key" : "value", ptr, line,
		col))
		printf("#   found=%d got %d:%d\n", found, l, c);
}

int main(void)
{
	const char *text = "{\n"
			   "  \"id\": \"503\",\n"
			   "  \"nodes\": [\n"
			   "    {\"id\": \"a\", \"choices\": [1, {\"x/y\": true}]},\n"
			   "    {\"é\": \"ü\", \"k\": null}\n"
			   "  ],\n"
			   "  \"s\": \"a\\\"b\", \"t\": -1.5e3\n"
			   "}\n";
	struct jpos *jp = jpos_build(text, strlen(text));
	ok(jp != NULL, "a valid document is indexed");
	pos_is(jp, "", 0, 1, 1);
	pos_is(jp, "/id", 1, 2, 3);
	pos_is(jp, "/id", 0, 2, 9);
	pos_is(jp, "/nodes", 0, 3, 12);
	pos_is(jp, "/nodes/0", 0, 4, 5);
	pos_is(jp, "/nodes/0/id", 0, 4, 12);
	pos_is(jp, "/nodes/0/choices/0", 0, 4, 29);
	pos_is(jp, "/nodes/0/choices/1/x~1y", 1, 4, 33);
	pos_is(jp, "/nodes/0/choices/1/x~1y", 0, 4, 40);
	/* columns count characters, not bytes: "é" is one column */
	pos_is(jp, "/nodes/1/k", 1, 5, 16);
	pos_is(jp, "/s", 0, 7, 8);
	pos_is(jp, "/t", 1, 7, 16);
	pos_is(jp, "/t", 0, 7, 21);

	int l, c;
	ok(!jpos_find(jp, "/nope", 0, &l, &c), "an absent pointer is not found");
	jpos_nearest(jp, "/nodes/0/choices/1/missing", 0, &l, &c);
	ok(l == 4 && c == 32, "a missing member points at its object (%d:%d)", l, c);
	jpos_nearest(jp, "/nodes/7/id", 1, &l, &c);
	ok(l == 3 && c == 12, "a missing element points at its array (%d:%d)", l, c);
	jpos_free(jp);

	const char *bad[] = {"{\"a\": }", "[1, 2", "{\"a\" 1}", "\"open"};
	for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
		struct jpos *b = jpos_build(bad[i], strlen(bad[i]));
		ok(b == NULL, "invalid JSON is refused: %s", bad[i]);
		jpos_free(b);
	}
	/* deep nesting stops at a bound instead of exhausting the stack */
	char deep[4001];
	memset(deep, '[', 4000);
	deep[4000] = '\0';
	ok(jpos_build(deep, 4000) == NULL, "nesting deeper than the bound is refused");
	return done_testing();
}
