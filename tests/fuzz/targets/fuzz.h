/*
 * Shared by the fuzz targets: each target is one LLVMFuzzerTestOneInput that
 * drives the entry point a command uses on untrusted input. Built with
 * libFuzzer under --enable-fuzzing, and in every build with replay.c, which
 * feeds it the kept corpus (tests/fuzz/TARGET/) in make check.
 */
#ifndef MM_FUZZ_H
#define MM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (a NUL inside ends it, as a file read as text would). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input written to a new file named NAME in a new temp dir; the caller removes both. */
static inline char *fuzz_file(const uint8_t *data, size_t size, const char *name, char **dir)
{
	char tmpl[] = "/tmp/mm-fuzz-XXXXXX";
	*dir = xstrdup(mkdtemp(tmpl) ? tmpl : "/tmp");
	char *p = xasprintf("%s/%s", *dir, name);
	FILE *f = fopen(p, "wb");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
	}
	return p;
}

static inline void fuzz_rm(char *path, char *dir)
{
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/*
 * Several files in one input, for the targets of a directory or an archive:
 * each part starts with a line "=== NAME" and runs to the next "\n=== " (the
 * newline belongs to the separator); bytes before the first one are skipped.
 * Names and data point into the input: name is not NUL-terminated.
 */
struct fuzz_part {
	const char *name;
	size_t name_len;
	const uint8_t *data;
	size_t len;
};

#define FUZZ_MAX_PARTS 64

static inline const uint8_t *fuzz_find(const uint8_t *p, const uint8_t *end, const char *s)
{
	size_t k = strlen(s);
	for (; p && (size_t)(end - p) >= k; p++)
		if (memcmp(p, s, k) == 0)
			return p;
	return NULL;
}

static inline size_t fuzz_parts(const uint8_t *data, size_t size, struct fuzz_part parts[])
{
	const uint8_t *end = data + size, *p = data;
	size_t n = 0;
	if (!(size >= 4 && memcmp(data, "=== ", 4) == 0)) {
		p = fuzz_find(data, end, "\n=== ");
		p = p ? p + 1 : NULL;
	}
	while (p && n < FUZZ_MAX_PARTS) {
		const uint8_t *name = p + 4, *nl = memchr(name, '\n', (size_t)(end - name));
		if (!nl)
			break;
		const uint8_t *body = nl + 1, *next = fuzz_find(nl, end, "\n=== ");
		parts[n].name = (const char *)name;
		parts[n].name_len = (size_t)(nl - name);
		parts[n].data = body;
		/* an empty part: its name's newline is the next separator's */
		parts[n].len = next && next < body ? 0 : (size_t)((next ? next : end) - body);
		n++;
		p = next ? next + 1 : NULL;
	}
	return n;
}

/* A relative path that stays in its folder: [A-Za-z0-9._?=-] parts, no "." or "..", 8 deep at most. */
static inline bool fuzz_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/')
		return false;
	int depth = 1;
	size_t seg = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (seg == 0 || (seg == 1 && s[i - 1] == '.') ||
			    (seg == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			seg = 0;
			depth++;
			continue;
		}
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr("._?=-", ch)))
			return false;
		seg++;
	}
	return depth <= 9;
}

/* Write data to dir/name, making its folders; false if it cannot (a folder of that name). */
static inline bool fuzz_write_at(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	bool ok = f && fwrite(data, 1, len, f) == len;
	if (f)
		ok = fclose(f) == 0 && ok;
	free(p);
	return ok;
}

static inline int fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(p);
	return 0;
}

/* Remove dir and all it holds (never following a link); frees dir. */
static inline void fuzz_rm_tree(char *dir)
{
	nftw(dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* A new empty temp dir (new string). */
static inline char *fuzz_tmpdir(void)
{
	char tmpl[] = "/tmp/mm-fuzz-XXXXXX";
	return xstrdup(mkdtemp(tmpl) ? tmpl : "/tmp/mm-fuzz-failed");
}

#endif
