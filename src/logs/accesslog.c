/*
 * Envoy access logs: formats compiled into token lists, a line matcher for
 * TEXT and JSON encodings, and the tally (see accesslog.h).
 */
#include "accesslog.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#define VEC __m128i
#define VEC_SET(c) _mm_set1_epi8(c)
#else
#define VEC char
#define VEC_SET(c) (c)
#endif

#include "cluster.h"

/* Istio's default TEXT formats, newest first. */
#define ISTIO_HEAD                                                                                 \
	"[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" "
#define ISTIO_TAIL                                                                                 \
	"%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "          \
	"\"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" "                \
	"\"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% "   \
	"%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% "          \
	"%ROUTE_NAME%\n"
static const struct {
	const char *name, *text;
} istio_formats[] = {
    /* 1.9 and later (from about 1.22 with %UPSTREAM_CLUSTER_RAW%, the same shape) */
    {"istio", ISTIO_HEAD
     "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% "
     "%CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" " ISTIO_TAIL},
    {"istio-1.8", ISTIO_HEAD "%RESPONSE_CODE% %RESPONSE_FLAGS% "
                             "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" " ISTIO_TAIL},
    {"istio-mixer", ISTIO_HEAD "%RESPONSE_CODE% %RESPONSE_FLAGS% "
                               "\"%DYNAMIC_METADATA(istio.mixer:status)%\" "
                               "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" " ISTIO_TAIL},
};

/* What a value must look like. */
enum kind { K_ANY, K_TOKEN, K_NUM, K_CODE, K_FLAGS, K_PROTO };

/* Envoy command operators that the parser knows; a name ending in '(' takes any argument. */
static const struct op {
	const char *name;
	int field; /* enum al_field, or -1: checked, not kept */
	enum kind kind;
} ops[] = {
    {"START_TIME", AL_TIME, K_ANY},
    {"START_TIME(", AL_TIME, K_ANY},
    {"REQ(:METHOD)", AL_METHOD, K_ANY},
    {"REQ(X-ENVOY-ORIGINAL-PATH?:PATH)", AL_PATH, K_ANY},
    {"REQ(:PATH)", AL_PATH, K_ANY},
    {"PROTOCOL", AL_PROTOCOL, K_PROTO},
    {"RESPONSE_CODE", AL_CODE, K_CODE},
    {"RESPONSE_FLAGS", AL_FLAGS, K_FLAGS},
    {"RESPONSE_FLAGS_LONG", AL_FLAGS, K_FLAGS},
    /* Envoy writes details without whitespace or quotes */
    {"RESPONSE_CODE_DETAILS", AL_DETAILS, K_TOKEN},
    {"CONNECTION_TERMINATION_DETAILS", -1, K_TOKEN},
    {"UPSTREAM_TRANSPORT_FAILURE_REASON", AL_TRANSPORT, K_ANY},
    {"REQ(:AUTHORITY)", AL_AUTHORITY, K_ANY},
    {"REQ(HOST)", AL_AUTHORITY, K_ANY},
    {"UPSTREAM_HOST", AL_UPSTREAM_HOST, K_TOKEN},
    {"UPSTREAM_CLUSTER", AL_UPSTREAM_CLUSTER, K_TOKEN},
    {"UPSTREAM_CLUSTER_RAW", AL_UPSTREAM_CLUSTER, K_TOKEN},
    {"ROUTE_NAME", AL_ROUTE, K_ANY},
    {"DURATION", AL_DURATION, K_NUM},
    {"DYNAMIC_METADATA(istio.mixer:status)", AL_MIXER, K_ANY},
    {"BYTES_RECEIVED", -1, K_NUM},
    {"BYTES_SENT", -1, K_NUM},
    {"RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)", -1, K_NUM},
    {"REQUEST_DURATION", -1, K_NUM},
    {"RESPONSE_DURATION", -1, K_NUM},
    {"RESPONSE_TX_DURATION", -1, K_NUM},
};

static const char *const field_names[AL_NFIELDS] = {
    [AL_TIME] = "start_time",
    [AL_METHOD] = "method",
    [AL_PATH] = "path",
    [AL_PROTOCOL] = "protocol",
    [AL_CODE] = "response_code",
    [AL_FLAGS] = "response_flags",
    [AL_DETAILS] = "response_code_details",
    [AL_TRANSPORT] = "upstream_transport_failure_reason",
    [AL_AUTHORITY] = "authority",
    [AL_UPSTREAM_HOST] = "upstream_host",
    [AL_UPSTREAM_CLUSTER] = "upstream_cluster",
    [AL_ROUTE] = "route_name",
    [AL_DURATION] = "duration",
    [AL_MIXER] = "istio_policy_status",
};

const char *al_field_name(enum al_field f)
{
	return field_names[f];
}

const struct al_flag al_flags[AL_NFLAGS] = {
    [AL_F_UH] = {"UH", "NoHealthyUpstream", "no healthy host in the upstream cluster"},
    [AL_F_UF] = {"UF", "UpstreamConnectionFailure", "the connection to the upstream failed"},
    [AL_F_UO] = {"UO", "UpstreamOverflow", "a circuit breaker limit was reached (overflow)"},
    [AL_F_NR] = {"NR", "NoRouteFound", "no route (or no filter chain) matched"},
    [AL_F_URX] = {"URX", "UpstreamRetryLimitExceeded", "retries or connect attempts ran out"},
    [AL_F_NC] = {"NC", "NoClusterFound", "the route names an upstream cluster that does not exist"},
    [AL_F_DT] = {"DT", "DurationTimeout",
                 "the request or connection outlived its maximum duration"},
    [AL_F_DC] = {"DC", "DownstreamConnectionTermination", "the client closed its connection"},
    [AL_F_LH] = {"LH", "FailedLocalHealthCheck", "the local service failed its health check"},
    [AL_F_UT] = {"UT", "UpstreamRequestTimeout", "the upstream did not answer within the timeout"},
    [AL_F_LR] = {"LR", "LocalReset", "Envoy reset the stream itself"},
    [AL_F_UR] = {"UR", "UpstreamRemoteReset", "the upstream reset the stream"},
    [AL_F_UC] = {"UC", "UpstreamConnectionTermination", "the upstream closed the connection"},
    [AL_F_DI] = {"DI", "DelayInjected", "a fault injection rule delayed the request"},
    [AL_F_FI] = {"FI", "FaultInjected", "a fault injection rule aborted the request"},
    [AL_F_RL] = {"RL", "RateLimited", "the local rate limiter refused the request"},
    [AL_F_UAEX] = {"UAEX", "UnauthorizedExternalService",
                   "an external authorization check refused the request"},
    [AL_F_RLSE] = {"RLSE", "RateLimitServiceError", "the rate limit service failed to answer"},
    [AL_F_IH] = {"IH", "InvalidEnvoyRequestHeaders", "an x-envoy-* request header was invalid"},
    [AL_F_SI] = {"SI", "StreamIdleTimeout", "the stream stayed idle past its idle timeout"},
    [AL_F_DPE] = {"DPE", "DownstreamProtocolError", "the client broke the HTTP protocol"},
    [AL_F_UPE] = {"UPE", "UpstreamProtocolError", "the upstream broke the HTTP protocol"},
    [AL_F_UMSDR] = {"UMSDR", "UpstreamMaxStreamDurationReached",
                    "the upstream request hit its maximum stream duration"},
    [AL_F_RFCF] = {"RFCF", "ResponseFromCacheFilter", "answered from the HTTP cache"},
    [AL_F_NFCF] = {"NFCF", "NoFilterConfigFound", "a filter's configuration never arrived"},
    [AL_F_OM] = {"OM", "OverloadManagerTerminated", "Envoy's overload manager ended the request"},
    [AL_F_DF] = {"DF", "DnsResolutionFailed", "the upstream host name did not resolve"},
    [AL_F_DO] = {"DO", "DropOverload", "dropped by the endpoints' drop_overload policy"},
    [AL_F_DR] = {"DR", "DownstreamRemoteReset", "the client reset the stream"},
    [AL_F_UDO] = {"UDO", "UnconditionalDropOverload", "drop_overload is 100%: everything dropped"},
};

uint32_t al_flag_bit(const char *name, size_t n)
{
	for (size_t i = 0; i < AL_NFLAGS; i++)
		if ((strlen(al_flags[i].code) == n && memcmp(al_flags[i].code, name, n) == 0) ||
		    (strlen(al_flags[i].name) == n && memcmp(al_flags[i].name, name, n) == 0))
			return 1u << i;
	return 0;
}

static const char *const status_ids[AL_NSTATUS] = {
    [AL_OK] = "ok",
    [AL_NOT_ACCESS] = "not-access-log",
    [AL_TRUNCATED] = "truncated",
    [AL_BAD_FIELD] = "bad-field",
    [AL_TOO_LONG] = "too-long",
    [AL_BINARY] = "binary",
};

const char *al_status_id(enum al_status s)
{
	return status_ids[s];
}

bool al_has(struct al_span v)
{
	return v.s && v.n && !(v.n == 1 && v.s[0] == '-');
}

long al_number(struct al_span v)
{
	if (!v.s || !v.n || v.n > 18)
		return -1;
	long x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return -1;
		x = x * 10 + (v.s[i] - '0');
	}
	return x;
}

/* Formats */

/* One piece of a TEXT format: a literal, or an operator's value. */
struct tok {
	const char *lit; /* NULL for an operator */
	size_t len;
	int field;
	enum kind kind;
	uint64_t word, mask; /* the first 8 bytes of the literal, to compare them at once */
	VEC first;           /* its first byte, 16 times */
	bool quote_or_space; /* it starts with one: a token before it ends at the first of them */
};

/* A JSON key and the field its operator fills. */
struct jkey {
	char *key;
	size_t len;
	int field;
	enum kind kind;
};

struct al_format {
	const char *name;
	bool json;
	char *text; /* the literals point into it */
	struct tok *t;
	size_t n;
	struct jkey *keys;
	size_t nkeys;
};

static void format_free(struct al_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nkeys; i++)
		free(f->keys[i].key);
	free(f->keys);
	free(f->t);
	free(f->text);
	free(f);
}

/* The operator of "%...%" text (without the percent signs), or NULL for one we do not know. */
static const struct op *op_lookup(const char *s, size_t n)
{
	/* a ":N" length limit after the operator does not change what it writes */
	const char *colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		} else if (s[i - 1] < '0' || s[i - 1] > '9') {
			break;
		}
	if (colon && colon + 1 < s + n && (colon[-1] == ')' || !memchr(s, '(', n)))
		n = (size_t)(colon - s);
	for (size_t i = 0; i < MM_ARRAY_LEN(ops); i++) {
		size_t k = strlen(ops[i].name);
		bool prefix = ops[i].name[k - 1] == '(';
		if ((prefix ? n > k : n == k) && strncasecmp(ops[i].name, s, k) == 0)
			return &ops[i];
	}
	return NULL;
}

/* A TEXT format string compiled into tokens; NULL with *err ("column N: ...") if unusable. */
static struct al_format *compile_text(const char *text, const char *name, char **err)
{
	struct al_format *f = xcalloc(1, sizeof *f);
	f->name = name;
	size_t len = strlen(text);
	/* the format's own end of line (a newline, or "\n" as typed on a command line) */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len >= 2 && text[len - 2] == '\\' && text[len - 1] == 'n')
		len -= 2;
	f->text = xstrndup(text, len);
	f->t = xcalloc(len + 1, sizeof *f->t);
	bool code = false;
	const char *s = f->text;
	for (size_t i = 0; i < len;) {
		struct tok *t = &f->t[f->n];
		if (s[i] != '%') {
			size_t j = i;
			while (j < len && s[j] != '%')
				j++;
			*t = (struct tok){.lit = s + i, .len = j - i, .field = -1, .kind = K_ANY};
			memcpy(&t->word, t->lit, t->len < 8 ? t->len : 8);
			t->first = VEC_SET(t->lit[0]);
			t->quote_or_space = t->lit[0] == ' ' || t->lit[0] == '"';
			t->mask = t->len < 8 ? (1ull << (8 * t->len)) - 1 : ~0ull;
			f->n++;
			i = j;
			continue;
		}
		/* an argument in parentheses may hold anything, START_TIME(%s) a percent sign */
		size_t j = i + 1;
		while (j < len && s[j] != '%' && s[j] != ' ' && s[j] != '"') {
			const char *close = s[j] == '(' ? memchr(s + j, ')', len - j) : NULL;
			j = close ? (size_t)(close - s) + 1 : j + 1;
		}
		if (j >= len || s[j] != '%') {
			*err = xasprintf("column %zu: '%%' opens an operator that is not closed",
			                 i + 1);
			goto error;
		}
		if (j == i + 1) {
			*err = xasprintf("column %zu: '%%%%' is no operator", i + 1);
			goto error;
		}
		if (f->n && !f->t[f->n - 1].lit) {
			*err = xasprintf(
			    "column %zu: two operators with nothing between them cannot be "
			    "told apart in a line",
			    i + 1);
			goto error;
		}
		const struct op *o = op_lookup(s + i + 1, j - i - 1);
		*t = (struct tok){.field = o ? o->field : -1, .kind = o ? o->kind : K_ANY};
		code = code || (o && (o->field == AL_CODE || o->field == AL_FLAGS));
		f->n++;
		i = j + 1;
	}
	if (!code) {
		*err =
		    xstrdup("the format has neither %RESPONSE_CODE% nor %RESPONSE_FLAGS%: there is "
		            "nothing to tally");
		goto error;
	}
	return f;
error:
	format_free(f);
	return NULL;
}

/* Istio's default JSON keys. */
static const struct {
	const char *key, *op;
} istio_json[] = {
    {"start_time", "START_TIME"},
    {"method", "REQ(:METHOD)"},
    {"path", "REQ(X-ENVOY-ORIGINAL-PATH?:PATH)"},
    {"protocol", "PROTOCOL"},
    {"response_code", "RESPONSE_CODE"},
    {"response_flags", "RESPONSE_FLAGS"},
    {"response_code_details", "RESPONSE_CODE_DETAILS"},
    {"upstream_transport_failure_reason", "UPSTREAM_TRANSPORT_FAILURE_REASON"},
    {"authority", "REQ(:AUTHORITY)"},
    {"upstream_host", "UPSTREAM_HOST"},
    {"upstream_cluster", "UPSTREAM_CLUSTER"},
    {"route_name", "ROUTE_NAME"},
    {"duration", "DURATION"},
    {"istio_policy_status", "DYNAMIC_METADATA(istio.mixer:status)"},
};

/* Map a key to the operator in value ("%OP%" alone); false if it is no operator we keep. */
static bool json_key_add(struct al_format *f, const char *key, const char *value)
{
	size_t n = strlen(value);
	if (n < 3 || value[0] != '%' || value[n - 1] != '%' || memchr(value + 1, '%', n - 2))
		return false;
	const struct op *o = op_lookup(value + 1, n - 2);
	if (!o || o->field < 0)
		return false;
	f->keys = xrealloc(f->keys, (f->nkeys + 1) * sizeof *f->keys);
	f->keys[f->nkeys++] = (struct jkey){xstrdup(key), strlen(key), o->field, o->kind};
	return o->field == AL_CODE || o->field == AL_FLAGS;
}

/* A JSON format map ({"key": "%OP%"}); NULL is Istio's default keys. */
static struct al_format *compile_json(const char *text, const char *name, char **err)
{
	struct al_format *f = xcalloc(1, sizeof *f);
	f->name = name;
	f->json = true;
	bool code = false;
	if (!text) {
		for (size_t i = 0; i < MM_ARRAY_LEN(istio_json); i++) {
			char *v = xasprintf("%%%s%%", istio_json[i].op);
			code = json_key_add(f, istio_json[i].key, v) || code;
			free(v);
		}
		return f;
	}
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	if (!json_is_object(j)) {
		*err = j ? xstrdup("a JSON format must be an object of \"key\": \"%OPERATOR%\"")
		         : xasprintf("line %d column %d: %s", je.line, je.column, je.text);
		json_decref(j);
		format_free(f);
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		if (json_is_string(v))
			code = json_key_add(f, k, json_string_value(v)) || code;
	}
	json_decref(j);
	if (!code) {
		*err =
		    xstrdup("the JSON format maps no key to %RESPONSE_CODE% or %RESPONSE_FLAGS%: "
		            "there is nothing to tally");
		format_free(f);
		return NULL;
	}
	return f;
}

static void parser_add(struct al_parser *p, struct al_format *f)
{
	if (f && p->nformats < AL_MAX_FORMATS)
		p->formats[p->nformats++] = f;
	else
		format_free(f);
}

bool al_parser_init(struct al_parser *p, const char *custom, bool json, char **err)
{
	memset(p, 0, sizeof *p);
	p->scratch = xmalloc(AL_MAX_LINE);
	if (custom && *custom) {
		json = json || custom[strspn(custom, " \t\r\n")] == '{';
		char *why = NULL;
		struct al_format *f = json ? compile_json(custom, "custom-json", &why)
		                           : compile_text(custom, "custom", &why);
		if (!f) {
			*err = why;
			al_parser_free(p);
			return false;
		}
		parser_add(p, f);
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(istio_formats); i++) {
		char *why = NULL;
		parser_add(p, compile_text(istio_formats[i].text, istio_formats[i].name, &why));
		free(why);
	}
	parser_add(p, compile_json(NULL, "istio-json", NULL));
	return true;
}

void al_parser_free(struct al_parser *p)
{
	for (size_t i = 0; i < p->nformats; i++)
		format_free(p->formats[i]);
	free(p->scratch);
	memset(p, 0, sizeof *p);
}

bool al_parser_for_cluster(struct al_parser *p, struct cluster *c, const char *override, char **err)
{
	if (override) {
		char *why = NULL;
		if (al_parser_init(p, override, false, &why))
			return true;
		*err = xasprintf("--log-format: %s", why);
		free(why);
		return false;
	}
	json_t *mesh = c ? cluster_mesh_config(c) : NULL;
	const char *fmt = jstr(mesh, "accessLogFormat"), *enc = jstr(mesh, "accessLogEncoding");
	bool json = enc && strcasecmp(enc, "JSON") == 0;
	char *why = NULL;
	if (al_parser_init(p, fmt, json, &why))
		return true;
	const char *ns = cluster_control_namespace(c);
	const struct kobj *cm = cluster_get(c, "ConfigMap", ns, "istio");
	if (cm && cm->file && *cm->file && cm->line > 0)
		*err = xasprintf("%s:%d: ConfigMap %s/istio: meshConfig accessLogFormat: %s",
		                 cm->file, cm->line, ns, why);
	else
		*err = xasprintf("ConfigMap %s/istio: meshConfig accessLogFormat: %s", ns, why);
	free(why);
	return false;
}

/* Matching */

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

static struct al_span cut(struct al_span *rest, char sep)
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
	struct al_span rest = name, dir = cut(&rest, '|');
	c.port = cut(&rest, '|');
	c.subset = cut(&rest, '|');
	c.host = rest;
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
	struct al_span rest = h, a = cut(&rest, '.'), b = cut(&rest, '.'), c = cut(&rest, '.');
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
		if ((x->flags && !(r->flags & x->flags)) || (x->code && r->code != x->code) ||
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
		struct al_span f = cut(&rest, ',');
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
