/*
 * Matching a line against the compiled formats, TEXT and JSON, fast enough
 * for a large log on one core (16 bytes at a time where SSE2 is there), and
 * what a record says of its upstream cluster and service.
 */
#include "logs/format.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "logs/format.h"


/* How far a failed match got: the furthest one tells best what is wrong with a line. */
struct miss {
	enum al_status why;
	size_t at;
};

/* Whether p starts with lit: literals are short, and a call to memcmp costs more than they do. */
static inline bool starts(const char *p, const char *lit, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != lit[i])
			return false;
	return true;
}

/*
 * The scans below run over every byte of every line: with SSE2 (every x86-64)
 * they look at 16 bytes at a time, loading only inside [s, end); elsewhere a
 * plain loop does the same.
 */
#ifdef __SSE2__
/* The bits of the bytes of 16 at p that equal a or b. */
static inline unsigned eq16(const char *p, __m128i a, __m128i b)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	return (unsigned)_mm_movemask_epi8(
	    _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)));
}
#endif

/* The first a or b in [s, end), or NULL (va and vb: a and b 16 times). */
static inline const char *scan2(const char *s, const char *end, char a, char b, VEC va, VEC vb)
{
#ifdef __SSE2__
	/* 32 bytes a step: most fields end within the first, so the branch is predictable */
	for (; end - s >= 32; s += 32) {
		unsigned m = eq16(s, va, vb) | eq16(s + 16, va, vb) << 16;
		if (m)
			return s + __builtin_ctz(m);
	}
	for (; end - s >= 16; s += 16) {
		unsigned m = eq16(s, va, vb);
		if (m)
			return s + __builtin_ctz(m);
	}
#endif
	(void)va;
	(void)vb;
	for (; s < end; s++)
		if (*s == a || *s == b)
			return s;
	return NULL;
}

/* The first byte of t's literal in [s, end), or NULL. */
static inline const char *chr(const char *s, const char *end, const struct tok *t)
{
	return scan2(s, end, t->lit[0], t->lit[0], t->first, t->first);
}

/* Where a token (no space, no quote) ends: its first space or quote, or NULL. */
static inline const char *token_end(const char *s, const char *end)
{
	return scan2(s, end, ' ', '"', VEC_SET(' '), VEC_SET('"'));
}

/* Whether p (with end - p >= t->len) starts with the literal of t; little-endian hosts at once. */
static inline bool at_lit(const char *p, const char *end, const struct tok *t)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (end - p >= 8 && t->len <= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		return (w & t->mask) == t->word;
	}
#endif
	(void)end;
	return starts(p, t->lit, t->len);
}

/* The first occurrence of t's literal in [s, end), or NULL. */
static const char *find(const char *s, const char *end, const struct tok *t)
{
	while ((size_t)(end - s) >= t->len) {
		const char *c = chr(s, end - t->len + 1, t);
		if (!c || t->len == 1 || at_lit(c, end, t))
			return c;
		s = c + 1;
	}
	return NULL;
}

static bool parse_flags(const char *s, size_t n, uint32_t *bits, bool *odd)
{
	*bits = 0;
	*odd = false;
	if (n == 1 && s[0] == '-')
		return true;
	if (n == 0 || s[n - 1] == ',')
		return false;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		uint32_t b = al_flag_bit(s + i, j - i);
		if (!b) {
			/* a flag of a newer Envoy: letters only */
			if (j == i || j - i > 40)
				return false;
			for (size_t k = i; k < j; k++)
				if (!((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z')))
					return false;
			*odd = true;
		}
		*bits |= b;
		i = j + 1;
	}
	return true;
}

void al_record_of(struct al_record *r, int code, const char *flags)
{
	memset(r, 0, sizeof *r);
	r->code = code;
	r->f[AL_FLAGS] = (struct al_span){flags, strlen(flags)};
	/* a label that is no list of flags counts as a flag this build does not know */
	if (!parse_flags(flags, r->f[AL_FLAGS].n, &r->flags, &r->odd_flag)) {
		r->flags = 0;
		r->odd_flag = true;
	}
}

/* Check a value against its operator's kind, and keep what the record needs. */
static inline bool take(struct al_record *r, int field, enum kind kind, const char *s, size_t n)
{
	switch (kind) {
	case K_NUM:
		if (n == 0 || n > 18)
			return false;
		for (size_t i = 0; i < n && !(n == 1 && s[0] == '-'); i++)
			if ((unsigned char)(s[i] - '0') > 9)
				return false;
		break;
	case K_CODE:
		if (n > 3 || (r->code = (int)al_number((struct al_span){s, n})) < 0)
			return false;
		break;
	case K_FLAGS:
		/* most lines have no flag */
		if (n == 1 && s[0] == '-')
			break;
		if (!parse_flags(s, n, &r->flags, &r->odd_flag))
			return false;
		break;
	case K_PROTO:
		if (!(n == 1 && s[0] == '-') && !(n >= 6 && memcmp(s, "HTTP/", 5) == 0))
			return false;
		break;
	case K_TOKEN:
		if (token_end(s, s + n))
			return false;
		break;
	case K_ANY:
		break;
	}
	if (field >= 0)
		r->f[field] = (struct al_span){s, n};
	return true;
}

/* A failed match at token i: near the start another kind of line, later a broken entry. */
static bool missed(struct miss *m, size_t i, bool ran_out)
{
	m->at = i;
	m->why = i < 3 ? AL_NOT_ACCESS : ran_out ? AL_TRUNCATED : AL_BAD_FIELD;
	return false;
}

static bool match_text(const struct al_format *f, const char *s, size_t n, struct al_record *r,
                       struct miss *m)
{
	const char *p = s, *end = s + n;
	for (size_t i = 0; i < f->n; i++) {
		const struct tok *t = &f->t[i];
		if (t->lit) {
			if ((size_t)(end - p) < t->len)
				return missed(m, i, true);
			if (!at_lit(p, end, t))
				return missed(m, i, false);
			p += t->len;
			continue;
		}
		const char *v = end;
		enum kind kind = t->kind;
		if (i + 1 < f->n && kind == K_TOKEN && t[1].quote_or_space) {
			/* one scan finds the end and checks the token: its first space or quote */
			if (!(v = token_end(p, end)))
				return missed(m, i, true);
			if ((size_t)(end - v) < t[1].len || !at_lit(v, end, &t[1]))
				return missed(m, i, false);
			kind = K_ANY;
		} else if (i + 1 < f->n && !(v = find(p, end, &t[1]))) {
			return missed(m, i, true);
		}
		if ((t->field >= 0 || kind != K_ANY) &&
		    !take(r, t->field, kind, p, (size_t)(v - p)))
			return missed(m, i, false);
		/* the literal that ends the value was just found: step over it */
		p = i + 1 < f->n ? v + t[1].len : v;
		i += i + 1 < f->n;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end || missed(m, f->n, false);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The end of the JSON string starting after the opening quote at p, or NULL. */
static const char *string_end(const char *p, const char *end, bool *escaped)
{
	const char *start = p;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return NULL;
		size_t bs = 0;
		while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0) {
			*escaped = memchr(start, '\\', (size_t)(q - start)) != NULL;
			return q;
		}
		p = q + 1;
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Decode a JSON string's escapes into out (never longer than the input); its length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			out[o++] = s[i];
			continue;
		}
		char c = s[++i];
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *k = strchr(from, c);
		if (c && k) {
			out[o++] = to[k - from];
		} else if (c == 'u' && i + 4 < n) {
			unsigned u = 0;
			for (int d = 1; d <= 4; d++)
				u = u * 16 +
				    (unsigned)(hexval(s[i + d]) < 0 ? 0 : hexval(s[i + d]));
			i += 4;
			/* every code point below 0x800 fits in the six bytes of its escape */
			if (u < 0x80) {
				out[o++] = (char)u;
			} else if (u < 0x800) {
				out[o++] = (char)(0xc0 | (u >> 6));
				out[o++] = (char)(0x80 | (u & 0x3f));
			} else {
				out[o++] = (char)(0xe0 | (u >> 12));
				out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
			}
		} else {
			out[o++] = c;
		}
	}
	return o;
}

/* Skip a nested object or array starting at p; the position after it, or NULL. */
static const char *skip_nested(const char *p, const char *end)
{
	int depth = 0;
	while (p < end) {
		char c = *p++;
		bool esc = false;
		if (c == '"') {
			if (!(p = string_end(p, end, &esc)))
				return NULL;
			p++;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return p;
		}
	}
	return NULL;
}

static const struct jkey *json_key(const struct al_format *f, const char *k, size_t n)
{
	for (size_t i = 0; i < f->nkeys; i++)
		if (f->keys[i].len == n && memcmp(f->keys[i].key, k, n) == 0)
			return &f->keys[i];
	return NULL;
}

/* One JSON object per line, its keys mapped by the format. */
static bool match_json(struct al_parser *ps, const struct al_format *f, const char *s, size_t n,
                       struct al_record *r, struct miss *m)
{
	const char *p = s + 1, *end = s + n;
	bool code = false;
	m->at = 0;
	m->why = AL_NOT_ACCESS;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}' && !code)
			break;
		bool esc = false;
		if (p >= end || *p != '"')
			goto broken;
		const char *kend = string_end(p + 1, end, &esc);
		if (!kend)
			goto ran_out;
		const struct jkey *key = json_key(f, p + 1, (size_t)(kend - p - 1));
		p = skip_ws(kend + 1, end);
		if (p >= end || *p != ':')
			goto broken;
		p = skip_ws(p + 1, end);
		if (p >= end)
			goto broken;
		const char *v = p, *vend;
		esc = false;
		if (*p == '"') {
			if (!(vend = string_end(p + 1, end, &esc)))
				goto ran_out;
			v = p + 1;
			p = vend + 1;
		} else if (*p == '{' || *p == '[') {
			if (!(p = skip_nested(p, end)))
				goto ran_out;
			key = NULL;
			vend = p;
		} else {
			while (p < end && *p != ',' && *p != '}' && *p != ' ')
				p++;
			vend = p;
			if (vend - v == 4 && memcmp(v, "null", 4) == 0)
				key = NULL;
		}
		if (key) {
			size_t vn = (size_t)(vend - v);
			if (esc) {
				vn = unescape(v, vn, ps->scratch + ps->used);
				v = ps->scratch + ps->used;
				ps->used += vn;
			}
			if (!take(r, key->field, key->kind, v, vn)) {
				m->why = AL_BAD_FIELD;
				m->at = (size_t)(p - s);
				return false;
			}
			code = code || key->field == AL_CODE || key->field == AL_FLAGS;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		goto broken;
	}
	m->at = (size_t)(p - s);
	p = skip_ws(p + 1, end);
	if (!code || p != end) {
		m->why = code ? AL_BAD_FIELD : AL_NOT_ACCESS;
		return false;
	}
	return true;
ran_out:
	p = end;
broken:
	m->at = (size_t)(p - s);
	m->why = p >= end ? AL_TRUNCATED : AL_BAD_FIELD;
	return false;
}

/* The length of a kubectl --timestamps prefix ("2024-05-01T10:00:00.123456789Z "), or 0. */
static size_t stamp_len(const char *s, size_t n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	if (n < sizeof pat + 1)
		return 0;
	for (size_t i = 0; i < sizeof pat - 1; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	size_t i = sizeof pat - 1;
	if (s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < n && s[i] == 'Z')
		i++;
	else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':')
		i += 6;
	else
		return 0;
	return i < n && s[i] == ' ' ? i + 1 : 0;
}

/* Try every format of the right encoding, the last one that matched first. */
static bool try_formats(struct al_parser *p, const char *s, size_t n, struct al_record *r,
                        struct miss *best)
{
	bool json = n && s[0] == '{';
	for (size_t k = 0; k < p->nformats; k++) {
		size_t i = k == 0 ? p->last : k - 1 < p->last ? k - 1 : k;
		const struct al_format *f = p->formats[i];
		if (f->json != json)
			continue;
		memset(r, 0, sizeof *r);
		r->code = -1;
		p->used = 0;
		struct miss m = {AL_NOT_ACCESS, 0};
		if (json ? match_json(p, f, s, n, r, &m) : match_text(f, s, n, r, &m)) {
			p->last = i;
			r->format = f->name;
			return true;
		}
		if (best->why == AL_NOT_ACCESS || (m.why != AL_NOT_ACCESS && m.at > best->at))
			*best = m;
	}
	return false;
}

enum al_status al_parse_line(struct al_parser *p, const char *line, size_t n, struct al_record *r)
{
	while (n && line[n - 1] == '\r')
		n--;
	if (n > AL_MAX_LINE)
		return AL_TOO_LONG;
	struct miss best = {AL_NOT_ACCESS, 0};
	size_t skip = stamp_len(line, n);
	/* the prefix is tried first when the line before had one */
	for (int pass = 0; pass < 2; pass++) {
		bool strip = (pass == 0) == p->stamps;
		if (strip && !skip)
			continue;
		if (try_formats(p, line + (strip ? skip : 0), n - (strip ? skip : 0), r, &best)) {
			p->stamps = strip;
			return AL_OK;
		}
	}
	return memchr(line, 0, n) ? AL_BINARY : best.why;
}

/* Upstream clusters and services */

struct al_span al_span_cut(struct al_span *rest, char sep)
{
	struct al_span part = *rest;
	const char *c = rest->s ? memchr(rest->s, sep, rest->n) : NULL;
	if (c) {
		part.n = (size_t)(c - rest->s);
		rest->n -= part.n + 1;
		rest->s = c + 1;
	} else {
		rest->s = NULL;
		rest->n = 0;
	}
	return part;
}

bool al_span_is(struct al_span v, const char *s)
{
	return v.s && v.n == strlen(s) && memcmp(v.s, s, v.n) == 0;
}

struct al_cluster_name al_cluster_parse(struct al_span name)
{
	struct al_cluster_name c = {AL_SIDE_UNKNOWN, {NULL, 0}, {NULL, 0}, {NULL, 0}};
	if (!al_has(name) || !memchr(name.s, '|', name.n))
		return c;
	struct al_span rest = name, dir = al_span_cut(&rest, '|');
	c.port = al_span_cut(&rest, '|');
	c.subset = al_span_cut(&rest, '|');
	c.host = rest;
	/* a short name ("outbound|9080") leaves its missing parts empty, not NULL */
	struct al_span none = {name.s + name.n, 0};
	if (!c.port.s)
		c.port = none;
	if (!c.subset.s)
		c.subset = none;
	if (!c.host.s)
		c.host = none;
	c.side = al_span_is(dir, "outbound")  ? AL_SIDE_OUTBOUND
	         : al_span_is(dir, "inbound") ? AL_SIDE_INBOUND
	                                      : AL_SIDE_UNKNOWN;
	return c;
}

/* Whether a host (no port) names svc in ns: svc, svc.ns, svc.ns.svc and svc.ns.svc.DOMAIN. */
static bool host_names(struct al_span h, const char *svc, const char *ns, bool short_ok)
{
	size_t ls = strlen(svc), ln = strlen(ns);
	if (!h.s || h.n < ls || memcmp(h.s, svc, ls) != 0)
		return false;
	if (h.n == ls)
		return short_ok;
	if (h.s[ls] != '.' || h.n < ls + 1 + ln || memcmp(h.s + ls + 1, ns, ln) != 0)
		return false;
	struct al_span tail = {h.s + ls + 1 + ln, h.n - ls - 1 - ln};
	return tail.n == 0 ? short_ok
	                   : tail.n >= 4 && memcmp(tail.s, ".svc", 4) == 0 &&
	                         (tail.n == 4 || tail.s[4] == '.');
}

bool al_targets(const struct al_record *r, const char *svc, const char *ns)
{
	struct al_cluster_name c = al_cluster_parse(r->f[AL_UPSTREAM_CLUSTER]);
	if (c.side == AL_SIDE_OUTBOUND && host_names(c.host, svc, ns, false))
		return true;
	struct al_span a = r->f[AL_AUTHORITY];
	if (!al_has(a))
		return false;
	const char *colon = memchr(a.s, ':', a.n);
	if (colon)
		a.n = (size_t)(colon - a.s);
	return host_names(a, svc, ns, true);
}

/* "svc.ns.svc[...]" or a bare "svc" (with any ":port"), as new strings; NULLs otherwise. */
static void host_service(struct al_span h, char **svc, char **ns)
{
	const char *colon = h.s ? memchr(h.s, ':', h.n) : NULL;
	if (colon)
		h.n = (size_t)(colon - h.s);
	struct al_span rest = h, a = al_span_cut(&rest, '.'), b = al_span_cut(&rest, '.'), c = al_span_cut(&rest, '.');
	char *s = a.s && a.n ? xstrndup(a.s, a.n) : NULL;
	char *n = b.s && al_span_is(c, "svc") ? xstrndup(b.s, b.n) : NULL;
	/* a name with dots that is no cluster service (an external host) names no service */
	if (s && ((b.s && !n) || !is_dns1123_label(s) || (n && !is_dns1123_label(n)))) {
		free(s);
		free(n);
		s = n = NULL;
	}
	*svc = s;
	*ns = n;
}

void al_service_of(struct al_span target, char **svc, char **ns)
{
	*svc = *ns = NULL;
	struct al_cluster_name c = al_cluster_parse(target);
	if (c.side == AL_SIDE_OUTBOUND)
		host_service(c.host, svc, ns);
	else if (c.side == AL_SIDE_UNKNOWN && al_has(target) && !memchr(target.s, '|', target.n))
		host_service(target, svc, ns);
}
