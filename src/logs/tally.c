/*
 * The tally of an access log (codes, flags, details, upstreams, authorities
 * in open-addressing counters), the failures it counts and the flow and
 * diagnosis the most frequent one points to.
 */
#include "logs/accesslog.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster/cluster.h"

/* Failures and where they lead */

bool al_failure(const struct al_record *r)
{
	return r->code >= 500 || r->code == 426 || r->code == 431 || r->odd_flag ||
	       (r->flags & ~(AL_BIT(DI) | AL_BIT(RFCF)));
}

#define RULE(label_, flags_, code_, flow_, diagnosis_, answer_, why_)                              \
	{                                                                                          \
		.label = label_, .flags = flags_, .code = code_, .flow = flow_,                    \
		.diagnosis = diagnosis_, .answer = answer_, .why = why_                            \
	}
const struct al_next_rule al_next_rules[] = {
    RULE("UO", AL_BIT(UO), 0, "503", "circuit-breaker-overflow", "UO",
         "a circuit breaker (DestinationRule connectionPool or outlierDetection) turned them away"),
    /* a listener took the request and no route matched: the 404 flow (route_not_found) */
    {.label = "404 NR",
     .flags = AL_BIT(NR),
     .code = 404,
     .details = "route_not_found",
     .flow = "404",
     .diagnosis = "no-route",
     .answer = "NR", /* still NR to the 503 flow's flag question */
     .by_host = true,
     .why = "the request reached the sidecar's listener but no route matched its host, port or "
            "path (route_not_found)"},
    RULE("NR", AL_BIT(NR), 0, "503", "no-route", "NR",
         "the sidecar had no route for the host, port or path"),
    RULE("NC", AL_BIT(NC), 0, "503", "no-route", "NC",
         "the route points at an upstream cluster the sidecar does not have"),
    RULE("UF", AL_BIT(UF), 0, "503", "upstream-connect-failure", "UF",
         "the sidecar could not connect to the upstream"),
    RULE("UH", AL_BIT(UH), 0, "503", "no-healthy-upstream", "UH",
         "the upstream cluster had no healthy endpoint"),
    /* the diagnosis depends on the Istio release: al_uaex_diagnosis */
    RULE("UAEX", AL_BIT(UAEX), 0, "503", NULL, "UAEX",
         "an authorization or policy check refused them"),
    RULE("UC/UR/LR", AL_BIT(UC) | AL_BIT(UR) | AL_BIT(LR), 0, "503", "upstream-reset", "reset",
         "the upstream connection was closed or reset"),
    {.label = "426 HTTP/1.0",
     .code = 426,
     .protocol = "HTTP/1.0",
     .flow = "426",
     .diagnosis = "http10-client",
     .why = "the caller speaks HTTP/1.0, which the sidecar refuses"},
    RULE("431", 0, 431, "431", "request-headers-too-large", NULL,
         "the request headers are larger than Envoy accepts"),
    {.label = "503 -",
     .code = 503,
     .no_flag = true,
     .flow = "503",
     .diagnosis = "upstream-app-503",
     .answer = "none",
     .why = "503 without a flag: the answer came from further upstream (read the server's "
            "sidecar log)",
     .why_inbound = "503 without a flag on the receiving side: the application answered 503 "
                    "itself"},
};
const size_t al_nnext_rules = MM_ARRAY_LEN(al_next_rules);

int al_next_rule_of(const struct al_record *r)
{
	if (!al_failure(r))
		return -1;
	for (size_t i = 0; i < al_nnext_rules; i++) {
		const struct al_next_rule *x = &al_next_rules[i];
		struct al_span d = r->f[AL_DETAILS];
		bool code_ok = !x->code || r->code == x->code ||
		               (x->details && d.s && d.n >= strlen(x->details) &&
		                memcmp(d.s, x->details, strlen(x->details)) == 0);
		if ((x->flags && !(r->flags & x->flags)) || !code_ok ||
		    (x->no_flag && (r->flags || r->odd_flag)) ||
		    (x->protocol && !al_span_is(r->f[AL_PROTOCOL], x->protocol)))
			continue;
		return (int)i;
	}
	return -1;
}

const char *al_uaex_diagnosis(const char *version, bool mixer_status_seen)
{
	if (mixer_status_seen || (version && version_cmp(version, "1.5") < 0))
		return "mixer-policy-denied";
	return "ext-authz-denied";
}

/* The tally */

struct al_slot {
	uint64_t hash, n;
	uint32_t off, len; /* len 0: free */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 32);
}

static struct al_slot *slot_for(const struct al_counter *c, uint64_t h, const char *key, size_t n)
{
	for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct al_slot *s = &c->slots[i];
		if (!s->len ||
		    (s->hash == h && s->len == n && memcmp(c->keys + s->off, key, n) == 0))
			return s;
	}
}

static void counter_grow(struct al_counter *c)
{
	struct al_counter old = *c;
	c->last = 0;
	c->cap = old.cap ? old.cap * 2 : 64;
	c->slots = xcalloc(c->cap, sizeof *c->slots);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].len)
			*slot_for(c, old.slots[i].hash, c->keys + old.slots[i].off,
			          old.slots[i].len) = old.slots[i];
	free(old.slots);
}

void al_counter_add(struct al_counter *c, const char *key, size_t n, uint64_t count)
{
	if (n > AL_MAX_KEY_LEN)
		n = AL_MAX_KEY_LEN;
	if (n == 0)
		return;
	struct al_slot *s = c->last ? &c->slots[c->last - 1] : NULL;
	if (s && s->len == n && memcmp(c->keys + s->off, key, n) == 0) {
		s->n += count;
		return;
	}
	if ((c->used + 1) * 2 > c->cap)
		counter_grow(c);
	uint64_t h = hash_bytes(key, n);
	s = slot_for(c, h, key, n);
	c->last = (size_t)(s - c->slots) + 1;
	if (s->len) {
		s->n += count;
		return;
	}
	if (c->used >= AL_MAX_KEYS) {
		c->other += count;
		return;
	}
	if (c->keys_len + n + 1 > c->keys_cap) {
		c->keys_cap = (c->keys_len + n + 1) * 2;
		c->keys = xrealloc(c->keys, c->keys_cap);
	}
	memcpy(c->keys + c->keys_len, key, n);
	c->keys[c->keys_len + n] = '\0';
	*s = (struct al_slot){h, count, (uint32_t)c->keys_len, (uint32_t)n};
	c->keys_len += n + 1;
	c->used++;
}

int al_count_cmp(const void *a, const void *b)
{
	const struct al_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

struct al_count *al_counter_sorted(const struct al_counter *c, size_t *n)
{
	struct al_count *v = xcalloc(c->used + 2, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].len)
			v[(*n)++] = (struct al_count){c->keys + c->slots[i].off, c->slots[i].n};
	if (c->other)
		v[(*n)++] = (struct al_count){"(other)", c->other};
	qsort(v, *n, sizeof *v, al_count_cmp);
	return v;
}

void al_counter_free(struct al_counter *c)
{
	free(c->slots);
	free(c->keys);
	memset(c, 0, sizeof *c);
}

static void count_span(struct al_counter *c, struct al_span v)
{
	if (al_has(v))
		al_counter_add(c, v.s, v.n, 1);
}

/* Flags this build does not know are counted by name. */
static void count_odd_flags(struct al_tally *t, struct al_span v)
{
	struct al_span rest = v;
	while (rest.s) {
		struct al_span f = al_span_cut(&rest, ',');
		if (f.n && !al_flag_bit(f.s, f.n))
			al_counter_add(&t->odd_flags, f.s, f.n, 1);
	}
}

void al_tally_add(struct al_tally *t, const struct al_record *r)
{
	t->parsed++;
	if (r->code >= 0 && r->code < 1000)
		t->codes[r->code]++;
	for (uint32_t b = r->flags; b; b &= b - 1)
		t->flags[__builtin_ctz(b)]++;
	if (r->odd_flag)
		count_odd_flags(t, r->f[AL_FLAGS]);
	count_span(&t->details, r->f[AL_DETAILS]);
	count_span(&t->clusters, r->f[AL_UPSTREAM_CLUSTER]);
	count_span(&t->authorities, r->f[AL_AUTHORITY]);
	if (al_has(r->f[AL_MIXER]))
		t->mixer_status_seen = true;
	if (!al_failure(r))
		return;
	t->failures++;
	int rule = al_next_rule_of(r);
	if (rule < 0)
		return;
	t->rules[rule]++;
	/* where the failing requests went: the upstream cluster, else the authority */
	struct al_span to = r->f[AL_UPSTREAM_CLUSTER];
	enum al_side side = al_cluster_parse(to).side;
	t->rules_inbound[rule] += side == AL_SIDE_INBOUND;
	if (side != AL_SIDE_OUTBOUND)
		to = al_has(r->f[AL_AUTHORITY]) ? r->f[AL_AUTHORITY] : (struct al_span){"-", 1};
	char key[AL_MAX_KEY_LEN + 2];
	size_t n = to.n > AL_MAX_KEY_LEN ? AL_MAX_KEY_LEN : to.n;
	key[0] = (char)('a' + rule);
	memcpy(key + 1, to.s, n);
	al_counter_add(&t->targets, key, n + 1, 1);
}

static void tally_line(struct al_tally *t, struct al_parser *p, const char *s, size_t n)
{
	t->lineno++;
	if (n == 0 || (n == 1 && s[0] == '\r'))
		return;
	t->lines++;
	struct al_record r;
	enum al_status st = al_parse_line(p, s, n, &r);
	if (st == AL_OK) {
		al_tally_add(t, &r);
		return;
	}
	t->unparsed++;
	t->status[st]++;
	if (!t->first_unparsed) {
		t->first_unparsed = t->lineno;
		t->first_unparsed_why = st;
	}
}

/* Count the complete lines of buf (and a last unterminated one at eof); the bytes used. */
static size_t feed(struct al_tally *t, struct al_parser *p, const char *buf, size_t len, bool eof)
{
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (!nl && !eof)
			break;
		size_t end = nl ? (size_t)(nl - buf) : len;
		if (t->skipping)
			t->skipping = false; /* the rest of a line too long to hold */
		else
			tally_line(t, p, buf + pos, end - pos);
		pos = nl ? end + 1 : len;
	}
	return pos;
}

void al_tally_text(struct al_tally *t, struct al_parser *p, const char *text, size_t len)
{
	feed(t, p, text, len, true);
}

#define AL_BUF (4 * AL_MAX_LINE)

bool al_tally_fd(struct al_tally *t, struct al_parser *p, int fd, char **err)
{
	if (!t->buf)
		t->buf = xmalloc(AL_BUF);
	for (;;) {
		ssize_t got = read(fd, t->buf + t->have, AL_BUF - t->have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*err = xstrdup(strerror(errno));
			return false;
		}
		t->have += (size_t)got;
		size_t used = feed(t, p, t->buf, t->have, got == 0);
		if (got == 0)
			break;
		if (used == 0 && t->have == AL_BUF) {
			/* a line longer than the buffer: counted once, the rest skipped */
			if (!t->skipping) {
				t->lines++;
				t->lineno++;
				t->unparsed++;
				t->status[AL_TOO_LONG]++;
				if (!t->first_unparsed) {
					t->first_unparsed = t->lineno;
					t->first_unparsed_why = AL_TOO_LONG;
				}
			}
			t->skipping = true;
			t->have = 0;
			continue;
		}
		memmove(t->buf, t->buf + used, t->have - used);
		t->have -= used;
	}
	t->have = 0;
	return true;
}

void al_tally_free(struct al_tally *t)
{
	al_counter_free(&t->odd_flags);
	al_counter_free(&t->details);
	al_counter_free(&t->clusters);
	al_counter_free(&t->authorities);
	al_counter_free(&t->targets);
	free(t->buf);
	memset(t, 0, sizeof *t);
}

int al_dominant(const struct al_tally *t, const char *default_ns, char **svc, char **ns)
{
	*svc = *ns = NULL;
	int best = -1;
	for (size_t i = 0; i < al_nnext_rules; i++)
		if (t->rules[i] && (best < 0 || t->rules[i] > t->rules[best]))
			best = (int)i;
	if (best < 0)
		return -1;
	size_t n;
	struct al_count *v = al_counter_sorted(&t->targets, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i].key[0] == 'a' + best) {
			al_service_of((struct al_span){v[i].key + 1, strlen(v[i].key + 1)}, svc,
			              ns);
			break;
		}
	free(v);
	if (*svc && !*ns && default_ns)
		*ns = xstrdup(default_ns);
	return best;
}

void al_each(struct al_parser *p, const char *text, size_t last_n,
             void (*fn)(void *ctx, const struct al_record *r), void *ctx)
{
	size_t len = strlen(text);
	const char *start = text;
	if (last_n) {
		/* back from the end over last_n line breaks (a final one ends the last line) */
		size_t seen = 0, i = len && text[len - 1] == '\n' ? len - 1 : len;
		while (i > 0 && !(text[i - 1] == '\n' && ++seen == last_n))
			i--;
		start = text + i;
	}
	const char *end = text + len;
	while (start < end) {
		const char *nl = memchr(start, '\n', (size_t)(end - start));
		size_t n = nl ? (size_t)(nl - start) : (size_t)(end - start);
		struct al_record r;
		if (n && al_parse_line(p, start, n, &r) == AL_OK)
			fn(ctx, &r);
		start += n + 1;
	}
}

/* What one line in hand tells a walk */

_Static_assert(MM_ARRAY_LEN(al_next_rules) <= 16, "struct al_tally counts at most 16 rules");

/* The bodies Envoy answers with by itself, and the code and flag each stands for. */
static const struct {
	const char *text; /* found anywhere in the line, any case */
	int code;
	const char *flags; /* as a log line would carry them, or "" */
	const char *flow;  /* where a body that names no flag leads, or NULL */
} bodies[] = {
    {"reset reason: overflow", 503, "UO", NULL},
    {"reset reason: connection failure", 503, "UF", NULL},
    {"reset reason: connection termination", 503, "UC", NULL},
    {"reset reason: remote reset", 503, "UR", NULL},
    {"reset reason: local reset", 503, "LR", NULL},
    {"no healthy upstream", 503, "UH", NULL},
    {"upstream connect error or disconnect/reset before headers", 503, "", "503"},
    {"RBAC: access denied", 403, "", NULL},
    {"upstream request timeout", 504, "UT", NULL},
};

static const char rbac_prefix[] = "rbac_access_denied_matched_policy";

char *al_details_meaning(struct al_span v)
{
	size_t k = sizeof rbac_prefix - 1;
	if (!v.s || v.n < k || memcmp(v.s, rbac_prefix, k) != 0)
		return NULL;
	struct al_span in = {v.s + k, v.n - k};
	if (in.n >= 2 && in.s[0] == '[' && in.s[in.n - 1] == ']')
		in = (struct al_span){in.s + 1, in.n - 2};
	else
		in.n = 0;
	/* [none]: ALLOW policies exist and none of their rules matched */
	if (in.n == 0 || al_span_is(in, "none"))
		return xstrdup("an AuthorizationPolicy denied the request: the workload has ALLOW "
		               "policies and no rule of any of them matched the request ([none])");
	/* Istio names each rule ns[NAMESPACE]-policy[NAME]-rule[INDEX] */
	char *name = xstrndup(in.s, in.n);
	char ns[254], pol[254];
	int rule = -1, end = 0;
	char *out;
	if (sscanf(name, "ns[%253[^]]]-policy[%253[^]]]-rule[%d]%n", ns, pol, &rule, &end) == 3 &&
	    name[end] == '\0')
		out = xasprintf("the DENY AuthorizationPolicy %s/%s denied the request (its rule %d "
		                "matched)",
		                ns, pol, rule);
	else
		out = xasprintf("an AuthorizationPolicy denied the request: its rule %s matched", name);
	free(name);
	return out;
}

/* "name value" as one evidence line, sanitised. */
static void evidence_add(struct strlist *ev, const char *name, struct al_span v)
{
	if (!al_has(v))
		return;
	char *raw = xasprintf("%s %.*s", name, (int)v.n, v.s);
	char *clean = sanitize(raw, false);
	sl_add(ev, clean);
	free(clean);
	free(raw);
}

static char *dup_has(struct al_span v)
{
	return al_has(v) ? xstrndup(v.s, v.n) : NULL;
}

bool al_handover_of(struct al_parser *p, const char *line, struct al_handover *h)
{
	memset(h, 0, sizeof *h);
	h->code = -1;
	h->rule = -1;
	struct al_record r;
	size_t n = strlen(line);
	if (n && al_parse_line(p, line, n, &r) == AL_OK) {
		h->log_line = true;
	} else {
		size_t i;
		for (i = 0; i < MM_ARRAY_LEN(bodies) && !strcasestr(line, bodies[i].text); i++)
			;
		if (i == MM_ARRAY_LEN(bodies))
			return false;
		al_record_of(&r, bodies[i].code, bodies[i].flags);
		/* a body without its flag says nothing of the flag: it leads to a flow, not an answer */
		if (!*bodies[i].flags)
			h->flow = bodies[i].flow;
		char *clean = sanitize(line, false);
		sl_add(&h->evidence, "the error body given (Envoy answered by itself):");
		char *l = xasprintf("  %s", clean);
		sl_add(&h->evidence, l);
		free(l);
		free(clean);
		char *means = xasprintf("which Envoy sends with %d%s%s", bodies[i].code,
		                        *bodies[i].flags ? " and flag " : "", bodies[i].flags);
		sl_add(&h->evidence, means);
		free(means);
	}
	h->code = r.code;
	if (!h->flow)
		h->rule = al_next_rule_of(&r);
	if (h->rule >= 0) {
		h->flow = al_next_rules[h->rule].flow;
		h->answer = al_next_rules[h->rule].answer;
	}
	if (h->log_line) {
		sl_add(&h->evidence, "the access log line given:");
		evidence_add(&h->evidence, "  response code", r.f[AL_CODE]);
		evidence_add(&h->evidence, "  response flags", r.f[AL_FLAGS]);
		evidence_add(&h->evidence, "  code details", r.f[AL_DETAILS]);
		evidence_add(&h->evidence, "  authority", r.f[AL_AUTHORITY]);
		evidence_add(&h->evidence, "  upstream cluster", r.f[AL_UPSTREAM_CLUSTER]);
		evidence_add(&h->evidence, "  caller address", r.f[AL_DOWNSTREAM_REMOTE]);
		h->flags = dup_has(r.f[AL_FLAGS]);
		h->cluster = dup_has(r.f[AL_UPSTREAM_CLUSTER]);
		al_service_of(r.f[AL_UPSTREAM_CLUSTER], &h->service, &h->ns);
		if (!h->service)
			al_service_of(r.f[AL_AUTHORITY], &h->service, &h->ns);
		struct al_span a = r.f[AL_AUTHORITY];
		const char *colon = al_has(a) ? memchr(a.s, ':', a.n) : NULL;
		if (colon)
			a.n = (size_t)(colon - a.s);
		/* the caller's address: "10.244.0.5:40000" (an IPv6 one is in brackets) */
		struct al_span dr = r.f[AL_DOWNSTREAM_REMOTE];
		const char *pc = al_has(dr) ? memrchr(dr.s, ':', dr.n) : NULL;
		if (pc && dr.s[0] != '[')
			h->caller_ip = xstrndup(dr.s, (size_t)(pc - dr.s));
		char *host = dup_has(a);
		if (host && is_dns_host(host))
			h->host = host;
		else
			free(host);
	} else if (*r.f[AL_FLAGS].s) {
		h->flags = xstrdup(r.f[AL_FLAGS].s);
	}
	struct al_span d = r.f[AL_DETAILS];
	if (!h->flow && (r.code == 403 || (d.s && d.n >= 5 && memcmp(d.s, "rbac_", 5) == 0)))
		h->no_flow = "403 from the sidecar's authorization (AuthorizationPolicy): no flow "
		             "covers 403 yet";
	return true;
}

void al_handover_free(struct al_handover *h)
{
	free(h->service);
	free(h->ns);
	free(h->host);
	free(h->flags);
	free(h->cluster);
	free(h->caller_ip);
	sl_free(&h->evidence);
	memset(h, 0, sizeof *h);
}
