/* A few lines of TAP for the C unit tests: ok(cond, name...) and done_testing(). */
#ifndef MM_TAP_H
#define MM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 4, 5))) static int tap_ok(int pass, const char *file, int line,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!pass) {
		tap_failed++;
		printf("# failed at %s:%d\n", file, line);
	}
	return pass;
}

#define ok(cond, ...) tap_ok((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* Compare strings, showing both on failure. */
#define is_str(got, want, ...)                                                                   \
	do {                                                                                     \
		const char *g_ = (got), *w_ = (want);                                            \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))                 \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)",             \
			       w_ ? w_ : "(null)");                                               \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* The source tree (set by make check). */
static inline const char *top_srcdir(void)
{
	const char *s = getenv("TOP_SRCDIR");
	return s ? s : ".";
}

#endif
