/*
 * Small helpers shared by every layer: allocation that never returns NULL,
 * a growable string buffer, string lists, and the error record that carries
 * FILE:LINE:COLUMN and a message from where a problem is found to where it
 * is printed.
 *
 * Ownership: functions that return char * return a new string the caller
 * frees; functions taking const char * never keep the pointer.
 */
#ifndef MM_UTIL_H
#define MM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/*
 * Called on allocation failure before "meshmedic: out of memory" and exit
 * status 2, so a front end can restore the terminal.
 */
extern void (*mm_fatal_hook)(void);
/* jansson's allocations through xmalloc; main (and a test) calls it first. */
void mm_alloc_init(void);
/* Test hook: when >= 0, that many more allocations succeed and the next fail. */
extern long mm_alloc_fail_after;

/* A growable NUL-terminated buffer. */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sb_init(struct sbuf *b);
void sb_add(struct sbuf *b, const char *s);
void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_addc(struct sbuf *b, char c);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_steal(struct sbuf *b); /* returns the string; the buffer is empty again */
/* Append " WORD", single-quoted for a POSIX shell unless it is plain. */
void sb_add_shell_word(struct sbuf *b, const char *w);
void sb_free(struct sbuf *b);

/* A list of owned strings. */
struct strlist {
	char **v;
	size_t n, cap;
};
void sl_add(struct strlist *l, const char *s);
void sl_take(struct strlist *l, char *s); /* takes ownership of s */
void sl_free(struct strlist *l);
bool sl_has(const struct strlist *l, const char *s);
void sl_copy(struct strlist *dst, const struct strlist *src);

/* One problem found in an input: where, and what. line/col are 0 when unknown. */
struct mm_error {
	char *file;
	int line, col;
	char *text;
};

/* Every problem found while loading or checking a set of files. */
struct mm_errors {
	struct mm_error *v;
	size_t n, cap;
};
void errs_add(struct mm_errors *e, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void errs_print(const struct mm_errors *e, FILE *fp);
void errs_sort(struct mm_errors *e);
/* Print the first error (after sorting) as one line, noting how many more there are. */
void errs_print_first(struct mm_errors *e, FILE *fp, const char *more_hint);
void errs_free(struct mm_errors *e);
char *err_format(const struct mm_error *e); /* "FILE:LINE:COLUMN: text" */

/* The names in a directory, without dot files, sorted; false with errno set on failure. */
bool list_dir(const char *dir, struct strlist *names);

/*
 * Read a whole file; NULL with errno set on failure. A file larger than
 * mm_limits.file_size is refused with EFBIG (a regular file before it is read).
 */
char *read_file(const char *path, size_t *len);
/* strerror, except that EFBIG names the file size limit. Borrowed. */
const char *read_strerror(int err);

/*
 * Whether s[0..n) is valid UTF-8 without NUL bytes; if not, *line and *col
 * (1-based, in characters) say where the first bad byte is.
 */
bool utf8_check(const char *s, size_t n, int *line, int *col);

/*
 * Copy s into a buffer fit for a terminal: control characters, escape
 * sequences and invalid UTF-8 become '?' so nothing read from a cluster can
 * drive the terminal. Newlines are kept when keep_nl is true.
 */
char *sanitize(const char *s, bool keep_nl);

/* Print s sanitised (NULL prints nothing). */
void fput_clean(FILE *fp, const char *s, bool keep_nl);

/* Names as Kubernetes accepts them. */
bool is_dns1123_label(const char *s);     /* namespace, service, container: [a-z0-9-], max 63 */
bool is_dns1123_subdomain(const char *s); /* pod and most object names: [a-z0-9.-], max 253 */
bool is_dns_name(const char *s);          /* a DNS name: labels of at most 63, max 253 */
bool is_dns_host(const char *s);          /* host names, any case, "*" or a "*." prefix allowed */
bool is_object_ref(const char *s);        /* "NAMESPACE/NAME" or "NAME" of an object */

/* The cluster domain a Service's FQDN ends with (the model records no other). */
#define MM_CLUSTER_DOMAIN "cluster.local"

/*
 * A Service's DNS name taken apart: "NAME.NS", "NAME.NS.svc" and
 * "NAME.NS.svc.cluster.local" give new strings *name and *ns; false (both
 * NULL) for a plain name or any other form.
 */
bool service_fqdn_split(const char *s, char **name, char **ns);
bool is_mm_id(const char *s);             /* flow/node/choice/diagnosis ids */
bool is_help_topic(const char *s);        /* lower-case kebab-case */

/* Compare versions "1.9.2" and "1.10" part by part: <0, 0, >0. Missing parts count as 0. */
int version_cmp(const char *a, const char *b);

bool str_ends_with(const char *s, const char *suffix);

#endif
