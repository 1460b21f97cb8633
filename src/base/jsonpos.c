#include "base/jsonpos.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/util.h"

struct jentry {
	char *ptr;
	int kline, kcol; /* 0 for array elements and the root */
	int vline, vcol;
};

struct jpos {
	struct jentry *v;
	size_t n, cap;
	/* v's indices ordered by pointer, so a look-up is a binary search, not a scan */
	size_t *order;
};

struct scan {
	const char *p, *end;
	int line, col;
	struct jpos *jp;
	int depth;
};

static void adv(struct scan *s)
{
	unsigned char c = (unsigned char)*s->p++;
	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		/* columns count characters, as jansson does, not UTF-8 bytes */
		s->col++;
	}
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		adv(s);
}

static void add(struct scan *s, const char *ptr, int kl, int kc, int vl, int vc)
{
	struct jpos *jp = s->jp;
	if (jp->n == jp->cap) {
		jp->cap = jp->cap ? jp->cap * 2 : 64;
		jp->v = xrealloc(jp->v, jp->cap * sizeof(*jp->v));
	}
	jp->v[jp->n++] = (struct jentry){xstrdup(ptr), kl, kc, vl, vc};
}

/* Scan a string; append its decoded text, escaped for a JSON Pointer, to out if given. */
static bool scan_string(struct scan *s, struct sbuf *out)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	adv(s);
	while (s->p < s->end && *s->p != '"') {
		char c = *s->p;
		if (c == '\\') {
			adv(s);
			if (s->p >= s->end)
				return false;
			char e = *s->p;
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *k = strchr(from, e);
			if (e == 'u') {
				/* kept as written: only ids are looked up and they are ASCII */
				if (out)
					sb_add(out, "\\u");
				adv(s);
				continue;
			}
			if (!k || !e)
				return false;
			c = to[k - from];
		}
		if (out) {
			if (c == '~')
				sb_add(out, "~0");
			else if (c == '/')
				sb_add(out, "~1");
			else
				sb_addc(out, c);
		}
		adv(s);
	}
	if (s->p >= s->end)
		return false;
	adv(s);
	return true;
}

static bool scan_value(struct scan *s, struct sbuf *ptr, int kl, int kc);

static bool scan_container(struct scan *s, struct sbuf *ptr, bool object)
{
	char close = object ? '}' : ']';
	adv(s);
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		adv(s);
		return true;
	}
	size_t base = ptr->len;
	for (size_t i = 0;; i++) {
		int kl = 0, kc = 0;
		sb_addc(ptr, '/');
		if (object) {
			skip_ws(s);
			kl = s->line, kc = s->col;
			if (!scan_string(s, ptr))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			adv(s);
		} else {
			sb_printf(ptr, "%zu", i);
		}
		skip_ws(s);
		if (!scan_value(s, ptr, kl, kc))
			return false;
		ptr->len = base;
		ptr->s[base] = '\0';
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == close) {
			adv(s);
			return true;
		}
		if (*s->p != ',')
			return false;
		adv(s);
	}
}

static bool scan_value(struct scan *s, struct sbuf *ptr, int kl, int kc)
{
	/* as deep as jansson itself accepts, so every value it loaded has its position */
	if (s->p >= s->end || (size_t)++s->depth > mm_limits.depth)
		return false;
	add(s, ptr->s ? ptr->s : "", kl, kc, s->line, s->col);
	bool ok = true;
	switch (*s->p) {
	case '{':
	case '[':
		ok = scan_container(s, ptr, *s->p == '{');
		break;
	case '"':
		ok = scan_string(s, NULL);
		break;
	default:
		/* numbers, true, false, null: their spelling was validated by jansson */
		if (!strchr("-0123456789tfn", *s->p))
			ok = false;
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			adv(s);
	}
	s->depth--;
	return ok;
}

static int cmp_entry(const void *a, const void *b, void *arg)
{
	const struct jentry *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(v[x].ptr, v[y].ptr);
	/* the first of equal pointers (a duplicate key) is the one found */
	return c ? c : (x > y) - (x < y);
}

static void sort_entries(struct jpos *jp)
{
	jp->order = xmalloc((jp->n ? jp->n : 1) * sizeof(*jp->order));
	for (size_t i = 0; i < jp->n; i++)
		jp->order[i] = i;
	qsort_r(jp->order, jp->n, sizeof(*jp->order), cmp_entry, jp->v);
}

struct jpos *jpos_build(const char *text, size_t len)
{
	struct jpos *jp = xcalloc(1, sizeof(*jp));
	struct scan s = {text, text + len, 1, 1, jp, 0};
	struct sbuf ptr;
	sb_init(&ptr);
	sb_add(&ptr, "");
	skip_ws(&s);
	bool ok = scan_value(&s, &ptr, 0, 0);
	sb_free(&ptr);
	if (!ok) {
		jpos_free(jp);
		return NULL;
	}
	sort_entries(jp);
	return jp;
}

void jpos_free(struct jpos *jp)
{
	if (!jp)
		return;
	for (size_t i = 0; i < jp->n; i++)
		free(jp->v[i].ptr);
	free(jp->v);
	free(jp->order);
	free(jp);
}

bool jpos_find(const struct jpos *jp, const char *ptr, bool key, int *line, int *col)
{
	if (!jp || !jp->n)
		return false;
	/* the lowest index whose pointer is not below ptr */
	size_t lo = 0, hi = jp->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(jp->v[jp->order[mid]].ptr, ptr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == jp->n || strcmp(jp->v[jp->order[lo]].ptr, ptr) != 0)
		return false;
	const struct jentry *e = &jp->v[jp->order[lo]];
	if (key && e->kline) {
		*line = e->kline, *col = e->kcol;
	} else {
		*line = e->vline, *col = e->vcol;
	}
	return true;
}

void jpos_nearest(const struct jpos *jp, const char *ptr, bool key, int *line, int *col)
{
	char *p = xstrdup(ptr);
	*line = *col = 0;
	for (;;) {
		if (jpos_find(jp, p, key, line, col))
			break;
		char *slash = strrchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		key = false;
	}
	free(p);
}

/* Line and column (in characters) of byte offset off. */
static void offset_pos(const char *text, size_t off, int *line, int *col)
{
	*line = 1, *col = 1;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n')
			(*line)++, *col = 1;
		else if ((c & 0xc0) != 0x80)
			(*col)++;
	}
}

json_t *json_parse_text(const char *path, const char *text, size_t len, struct mm_errors *errs)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j)
		return j;
	size_t end = jerr.position > 0 && (size_t)jerr.position <= len ? (size_t)jerr.position : 0;
	size_t start = end ? end - 1 : 0;
	if (end && text[start] == '"') {
		/* back to the opening quote of the string that ends here */
		while (start > 0) {
			start--;
			if (text[start] == '"' && (start == 0 || text[start - 1] != '\\'))
				break;
		}
	} else {
		while (start > 0 && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.",
					   text[start - 1]) && text[start - 1])
			start--;
	}
	int line, col;
	if (end)
		offset_pos(text, start, &line, &col);
	else
		line = jerr.line > 0 ? jerr.line : 1, col = jerr.column > 0 ? jerr.column : 1;
	errs_add(errs, path, line, col, "invalid JSON: %s", jerr.text);
	return NULL;
}

char *jptr_join(const char *ptr, const char *key)
{
	struct sbuf b;
	sb_init(&b);
	sb_add(&b, ptr);
	sb_addc(&b, '/');
	for (const char *p = key; *p; p++) {
		if (*p == '~')
			sb_add(&b, "~0");
		else if (*p == '/')
			sb_add(&b, "~1");
		else
			sb_addc(&b, *p);
	}
	return sb_steal(&b);
}
