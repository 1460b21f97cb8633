/*
 * Envoy access-log formats: the command operators meshmedic knows, Istio's
 * default TEXT and JSON formats, a custom format compiled into tokens, and
 * the parser that holds the formats to try (see logs/accesslog.h).
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
    {"DOWNSTREAM_REMOTE_ADDRESS", AL_DOWNSTREAM_REMOTE, K_TOKEN},
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
    [AL_DOWNSTREAM_REMOTE] = "downstream_remote_address",
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


void format_free(struct al_format *f)
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
    {"downstream_remote_address", "DOWNSTREAM_REMOTE_ADDRESS"},
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
