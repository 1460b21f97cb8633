#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/limits.h"

void (*mm_fatal_hook)(void);

struct mm_limits mm_limits = {
	MM_LIMIT_FILE_SIZE, MM_LIMIT_YAML_ALIASES, MM_LIMIT_YAML_EXPANSION, MM_LIMIT_YAML_NODES,
	MM_LIMIT_DEPTH,     MM_LIMIT_OBJECTS,      MM_LIMIT_LINE,
};

long mm_alloc_fail_after = -1;

/* The test hook: the allocation that brings the countdown to zero fails, and every one after. */
static bool alloc_fails(void)
{
	if (mm_alloc_fail_after < 0)
		return false;
	if (mm_alloc_fail_after == 0)
		return true;
	mm_alloc_fail_after--;
	return false;
}

static void oom(void)
{
	if (mm_fatal_hook)
		mm_fatal_hook();
	fputs("meshmedic: out of memory\n", stderr);
	/* nothing half-written reaches stdout: what is buffered there is dropped */
	_exit(2);
}

void *xmalloc(size_t n)
{
	void *p = alloc_fails() ? NULL : malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = alloc_fails() ? NULL : calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = alloc_fails() ? NULL : realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

static void *json_xmalloc(size_t n)
{
	return xmalloc(n);
}

void mm_alloc_init(void)
{
	/* jansson allocates through xmalloc: out of memory is one message and exit 2 everywhere */
	json_set_alloc_funcs(json_xmalloc, free);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	/* like strndup: at most n bytes, never past the end of s */
	n = strnlen(s, n);
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void sb_init(struct sbuf *b)
{
	b->s = NULL;
	b->len = b->cap = 0;
}

static void sb_grow(struct sbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	sb_add(b, p);
	free(p);
}

char *sb_steal(struct sbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	sb_init(b);
	return s;
}

void sb_add_shell_word(struct sbuf *b, const char *w)
{
	static const char plain[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:=/,@+";
	sb_addc(b, ' ');
	if (*w && strspn(w, plain) == strlen(w)) {
		sb_add(b, w);
		return;
	}
	sb_addc(b, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			sb_add(b, "'\\''");
		else
			sb_addc(b, *w);
	}
	sb_addc(b, '\'');
}

void sb_free(struct sbuf *b)
{
	free(b->s);
	sb_init(b);
}

void sl_take(struct strlist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

void sl_add(struct strlist *l, const char *s)
{
	sl_take(l, xstrdup(s));
}

void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

bool sl_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void sl_copy(struct strlist *dst, const struct strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		sl_add(dst, src->v[i]);
}

void errs_add(struct mm_errors *e, const char *file, int line, int col, const char *fmt, ...)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	va_list ap;
	va_start(ap, fmt);
	struct mm_error *x = &e->v[e->n++];
	x->file = xstrdup(file ? file : "");
	x->line = line;
	x->col = col;
	x->text = xvasprintf(fmt, ap);
	va_end(ap);
}

char *err_format(const struct mm_error *e)
{
	char *t = sanitize(e->text, false);
	char *r;
	if (e->line > 0)
		r = xasprintf("%s:%d:%d: %s", e->file, e->line, e->col, t);
	else if (*e->file)
		r = xasprintf("%s: %s", e->file, t);
	else
		r = xstrdup(t);
	free(t);
	return r;
}

void errs_print(const struct mm_errors *e, FILE *fp)
{
	for (size_t i = 0; i < e->n; i++) {
		char *s = err_format(&e->v[i]);
		fprintf(fp, "%s\n", s);
		free(s);
	}
}

static int err_cmp(const void *a, const void *b)
{
	const struct mm_error *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->text, y->text);
}

void errs_sort(struct mm_errors *e)
{
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), err_cmp);
}

void errs_free(struct mm_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].file);
		free(e->v[i].text);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

char *read_file(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = mm_limits.file_size;
	struct stat st;
	/* a regular file over the limit is refused before a byte of it is read */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > cap) {
		if (fp != stdin)
			fclose(fp);
		errno = EFBIG;
		return NULL;
	}
	struct sbuf b;
	sb_init(&b);
	char buf[65536];
	size_t n;
	int failed = 0;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		/* a pipe, or a file that grows while it is read */
		if (n > cap - b.len) {
			failed = EFBIG;
			break;
		}
		sb_addn(&b, buf, n);
	}
	if (!failed && ferror(fp))
		failed = errno ? errno : EIO;
	if (fp != stdin)
		fclose(fp);
	if (failed) {
		sb_free(&b);
		errno = failed;
		return NULL;
	}
	if (len)
		*len = b.len;
	return sb_steal(&b);
}

const char *read_strerror(int err)
{
	static char big[80];
	if (err != EFBIG)
		return strerror(err);
	snprintf(big, sizeof big, "the file exceeds the limit of %zu bytes", mm_limits.file_size);
	return big;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const unsigned int min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) can act as escape sequences on some terminals. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

bool utf8_check(const char *s, size_t n, int *line, int *col)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	*line = 1, *col = 1;
	while (p < end) {
		size_t k = 1;
		if (*p == '\0')
			return false;
		if (*p >= 0x80) {
			unsigned char tmp[5] = {0};
			size_t avail = (size_t)(end - p) < 4 ? (size_t)(end - p) : 4;
			memcpy(tmp, p, avail);
			k = utf8_len(tmp);
			/* a C1 control is valid UTF-8 (sanitize still replaces it) */
			if (k == 0 && tmp[0] == 0xc2 && tmp[1] >= 0x80 && tmp[1] <= 0x9f)
				k = 2;
			if (k == 0)
				return false;
		}
		if (*p == '\n')
			(*line)++, *col = 1;
		else
			(*col)++;
		p += k;
	}
	return true;
}

char *sanitize(const char *s, bool keep_nl)
{
	struct sbuf b;
	sb_init(&b);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p == '\n' && keep_nl) {
			sb_addc(&b, '\n');
			p++;
		} else if (*p == '\t') {
			sb_addc(&b, keep_nl ? '\t' : ' ');
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			sb_addc(&b, '?');
			p++;
		} else {
			size_t n = utf8_len(p);
			if (n == 0) {
				sb_addc(&b, '?');
				p++;
			} else {
				sb_addn(&b, (const char *)p, n);
				p += n;
			}
		}
	}
	return sb_steal(&b);
}

void fput_clean(FILE *fp, const char *s, bool keep_nl)
{
	char *c = sanitize(s ? s : "", keep_nl);
	fputs(c, fp);
	free(c);
}

static bool is_label_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* A run of [a-z0-9-] that starts and ends alphanumeric, of 1..max chars. */
static bool label_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_label_char((unsigned char)s[i]))
			return false;
	return true;
}

bool is_dns1123_label(const char *s)
{
	return label_ok(s, strlen(s), 63);
}

/*
 * Labels of [a-z0-9-] joined by single dots, each starting and ending
 * alphanumeric, at most 253 characters in all and label_max in each.
 */
static bool dotted_ok(const char *s, size_t label_max)
{
	size_t len = strlen(s);
	if (len == 0 || len > 253)
		return false;
	const char *p = s;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!label_ok(p, n, label_max))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* Kubernetes' subdomain rule bounds only the whole name: one label may be 253 long. */
bool is_dns1123_subdomain(const char *s)
{
	return dotted_ok(s, 253);
}

bool is_dns_name(const char *s)
{
	return dotted_ok(s, 63);
}

bool is_dns_host(const char *s)
{
	if (strcmp(s, "*") == 0)
		return true;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	char *lower = xstrdup(s);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	bool ok = is_dns_name(lower);
	free(lower);
	return ok;
}

bool is_object_ref(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return is_dns1123_subdomain(s);
	char *ns = xstrndup(s, (size_t)(slash - s));
	bool ok = is_dns1123_label(ns) && is_dns1123_subdomain(slash + 1);
	free(ns);
	return ok;
}

/* The forms a Service's DNS name takes, after NAME.NAMESPACE. */
static const char *const service_suffixes[] = {"", ".svc", ".svc." MM_CLUSTER_DOMAIN};

bool service_fqdn_split(const char *s, char **name, char **ns)
{
	*name = *ns = NULL;
	const char *dot = strchr(s, '.');
	if (!dot)
		return false;
	const char *dot2 = strchr(dot + 1, '.');
	const char *rest = dot2 ? dot2 : dot + strlen(dot);
	size_t k;
	for (k = 0; k < MM_ARRAY_LEN(service_suffixes) && strcmp(rest, service_suffixes[k]) != 0; k++)
		;
	if (k == MM_ARRAY_LEN(service_suffixes))
		return false;
	char *n = xstrndup(s, (size_t)(dot - s)), *m = xstrndup(dot + 1, (size_t)(rest - dot - 1));
	if (!is_dns1123_label(n) || !is_dns1123_label(m)) {
		free(n);
		free(m);
		return false;
	}
	*name = n;
	*ns = m;
	return true;
}

bool is_mm_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

bool is_help_topic(const char *s)
{
	return label_ok(s, strlen(s), 64);
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		/* past a dot to the next part; anything else ends the version */
		a = *ea == '.' ? ea + 1 : "";
		b = *eb == '.' ? eb + 1 : "";
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool list_dir(const char *dir, struct strlist *names)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			sl_add(names, de->d_name);
	closedir(d);
	/* a fixed order makes reports and overrides the same on every machine */
	if (names->n)
		qsort(names->v, names->n, sizeof(char *), cmp_str);
	return true;
}

void errs_print_first(struct mm_errors *e, FILE *fp, const char *more_hint)
{
	if (!e->n)
		return;
	errs_sort(e);
	char *first = err_format(&e->v[0]);
	if (e->n > 1)
		fprintf(fp, "%s (and %zu more problems%s%s)\n", first, e->n - 1, more_hint ? ": " : "",
			more_hint ? more_hint : "");
	else
		fprintf(fp, "%s\n", first);
	free(first);
}
