/*
 * The limits of base/limits.h, lowered where reaching the default would take
 * a gigabyte of input; the leak of a non-mapping document, counted through
 * jansson's allocator; and allocation failure: with the x-alloc test hook
 * failing the Nth allocation, each loader either finishes or says "out of
 * memory" and exits with status 2, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/jsonpos.h"
#include "base/limits.h"
#include "base/util.h"
#include "base/yamljson.h"
#include "cluster/cluster.h"
#include "cluster/snapshot.h"
#include "kb/kb.h"
#include "tap.h"

static char scratch[] = "/tmp/mm-limits-XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", scratch, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

/* The first error of loading path as a snapshot, formatted, or "" if none. */
static char *snapshot_error(const char *path)
{
	struct mm_errors errs = {0};
	struct cluster *c = snapshot_open(path, &errs);
	cluster_free(c);
	errs_sort(&errs);
	char *e = errs.n ? err_format(&errs.v[0]) : xstrdup("");
	errs_free(&errs);
	return e;
}

static char *nested_json(size_t depth)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < depth; i++)
		sb_add(&b, "{\"a\":");
	sb_add(&b, "1");
	for (size_t i = 0; i < depth; i++)
		sb_addc(&b, '}');
	return sb_steal(&b);
}

static void test_jpos_depth(void)
{
	for (size_t depth = 600; depth <= 2047; depth += 1447) {
		/* depth objects hold depth - 1 levels of "a" below the root */
		char *t = nested_json(depth);
		json_error_t je;
		json_t *j = json_loads(t, 0, &je);
		struct jpos *jp = jpos_build(t, strlen(t));
		struct sbuf ptr;
		sb_init(&ptr);
		for (size_t i = 0; i < depth - 1; i++)
			sb_add(&ptr, "/a");
		int line = 0, col = 0;
		bool found = j && jp && jpos_find(jp, ptr.s, true, &line, &col);
		/* the last key "a" of {"a":{"a":...: five characters a level */
		ok(found && line == 1 && col == (int)(5 * (depth - 2)) + 2,
		   "%zu levels (and the scalar): jansson and the positions both accept (%d:%d)", depth,
		   line, col);
		sb_free(&ptr);
		jpos_free(jp);
		json_decref(j);
		free(t);
	}
	char *t = nested_json(2048);
	json_error_t je;
	json_t *j = json_loads(t, 0, &je);
	struct jpos *jp = jpos_build(t, strlen(t));
	ok(!j && !jp, "2048 levels and the scalar: jansson and the positions refuse alike");
	jpos_free(jp);
	free(t);
}

static void test_yaml_nodes(void)
{
	size_t saved = mm_limits.yaml_nodes;
	mm_limits.yaml_nodes = 10;
	char *p = write_tmp("nodes.yaml", "kind: Pod\nmetadata: {name: a}\nspec: [1, 2, 3, 4, 5, 6]\n");
	char *e = snapshot_error(p);
	ok(strstr(e, "nodes.yaml:3:") && strstr(e, "YAML document exceeds 10 nodes"),
	   "a YAML document over the node limit is refused (%s)", e);
	free(e);
	mm_limits.yaml_nodes = saved;
	e = snapshot_error(p);
	is_str(e, "", "the same document loads under the default limit");
	free(e);
	free(p);
}

static void test_objects(void)
{
	size_t saved = mm_limits.objects;
	mm_limits.objects = 3;
	char *p = write_tmp("objects.yaml", "kind: Pod\nmetadata: {name: a}\n---\n"
					    "kind: Pod\nmetadata: {name: b}\n---\n"
					    "kind: Pod\nmetadata: {name: a}\n---\n"
					    "kind: Pod\nmetadata: {name: c}\n---\n"
					    "kind: Pod\nmetadata: {name: d}\n");
	char *e = snapshot_error(p);
	ok(strstr(e, "objects.yaml:13:1: the snapshot has more than 3 objects") != NULL,
	   "the fourth distinct object is refused, a repeated one is not (%s)", e);
	free(e);
	mm_limits.objects = saved;
	free(p);
}

static void test_file_size(void)
{
	size_t saved = mm_limits.file_size;
	mm_limits.file_size = 16;
	char *p = write_tmp("big.yaml", "kind: Pod\nmetadata: {name: a}\n");
	size_t len;
	errno = 0;
	ok(!read_file(p, &len) && errno == EFBIG, "read_file refuses a file over the limit");
	char *e = snapshot_error(p);
	ok(strstr(e, "cannot read: the file exceeds the limit of 16 bytes") != NULL,
	   "the error names the limit (%s)", e);
	free(e);
	mm_limits.file_size = saved;
	free(p);
}

static void test_utf8(void)
{
	int line, col;
	ok(utf8_check("caf\xc3\xa9\nok", 8, &line, &col), "UTF-8 passes");
	ok(!utf8_check("ab\ncd\xff", 6, &line, &col) && line == 2 && col == 3,
	   "an invalid byte is placed (%d:%d)", line, col);
	ok(!utf8_check("a\0b", 3, &line, &col), "a NUL byte is no text");
	ok(!utf8_check("\xe2\x82", 2, &line, &col), "a sequence cut short is invalid");
}

/* jansson's live blocks, counted. */
static long live;
static void *count_malloc(size_t n)
{
	live++;
	return malloc(n);
}
static void count_free(void *p)
{
	if (p)
		live--;
	free(p);
}

static void test_leak(void)
{
	json_set_alloc_funcs(count_malloc, count_free);
	char *p = write_tmp("notmap.yaml", "- a\n- b\n---\n[1, 2, 3]\n---\njust a string\n");
	char *e = snapshot_error(p);
	ok(strstr(e, "must be a JSON/YAML mapping") != NULL, "a document that is no mapping: %s", e);
	ok(live == 0, "and nothing of it is left allocated (%ld blocks)", live);
	free(e);
	free(p);
	json_set_alloc_funcs(malloc, free);
}

/* Run load in a child with the Nth allocation failing: 0 finished, 2 out of memory, -1 a crash. */
static int fail_at(long n, void (*load)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		mm_alloc_init();
		mm_alloc_fail_after = n;
		load();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void load_snapshot(void)
{
	char *p = xasprintf("%s/demo/snapshot", top_srcdir());
	struct mm_errors errs = {0};
	cluster_free(snapshot_open(p, &errs));
	errs_free(&errs);
	free(p);
}

static void load_manifests(void)
{
	char *p = xasprintf("%s/tests/limits/mesh-alias-bomb.yaml", top_srcdir());
	struct mm_errors errs = {0};
	struct cluster *c = snapshot_open(p, &errs);
	if (c)
		cluster_mesh_config(c);
	cluster_free(c);
	errs_free(&errs);
	free(p);
}

static void load_kb(void)
{
	struct mm_kb *kb = kb_new();
	struct mm_errors errs = {0};
	kb_load_root(kb, top_srcdir(), &errs);
	kb_free(kb);
	errs_free(&errs);
}

static void test_alloc_failure(const char *what, void (*load)(void), long step, long upto)
{
	int crashed = 0, oom = 0, done = 0;
	long first_crash = -1;
	for (long n = 0; n < upto; n += step) {
		int r = fail_at(n, load);
		if (r == 2)
			oom++;
		else if (r == 0)
			done++;
		else if (first_crash < 0)
			crashed++, first_crash = n;
		else
			crashed++;
	}
	ok(crashed == 0 && oom > 0,
	   "%s: out of memory at each of %ld points exits 2 or finishes (%d oom, %d done, "
	   "%d crashed, first at %ld)",
	   what, upto / step, oom, done, crashed, first_crash);
}

int main(void)
{
	if (!mkdtemp(scratch))
		return 1;
	test_jpos_depth();
	test_yaml_nodes();
	test_objects();
	test_file_size();
	test_utf8();
	test_leak();
	test_alloc_failure("the demo snapshot", load_snapshot, 97, 20000);
	test_alloc_failure("manifests and the mesh key", load_manifests, 13, 3000);
	test_alloc_failure("the knowledge base", load_kb, 211, 40000);
	char *cmd = xasprintf("rm -rf %s", scratch);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", scratch);
	free(cmd);
	return done_testing();
}
