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

#endif
