/*
 * Envoy access logs: a streaming parser, and a tally that points to a flow.
 *
 * A format is compiled once from an Envoy format string (TEXT encoding:
 * "[%START_TIME%] \"%REQ(:METHOD)% ...") or from a JSON format map
 * ({"response_code": "%RESPONSE_CODE%", ...}, JSON encoding). A parser holds
 * the formats to try: a custom one first when there is one, then Istio's
 * default TEXT formats of every era (the current one, the one of Istio 1.8,
 * and the one before 1.8 that carries the Mixer policy status) and Istio's
 * default JSON keys. The format that matched last is tried first, so a
 * stream in one format costs one match per line.
 *
 * al_parse_line matches one line (without its newline) and fills a record
 * of spans that point into the line: nothing is allocated or copied per
 * line, except JSON strings with escapes, which are decoded into the
 * parser's scratch buffer. A record is valid until the next call on the
 * same parser and while the line's memory lives. A kubectl --timestamps
 * prefix is skipped. Lines that are not access log entries (Envoy's own
 * messages, truncated or garbage lines) are classified, never fatal.
 *
 * The tally counts codes, flags, code details, upstream clusters and
 * authorities in memory bounded by AL_MAX_KEYS distinct values per table
 * (more are counted under "(other)"), and finds the dominant failure and
 * the flow it leads to through one table (al_next_rules).
 */
#ifndef MM_ACCESSLOG_H
#define MM_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The fields the parser extracts. */
enum al_field {
	AL_TIME,
	AL_METHOD,
	AL_PATH,
	AL_PROTOCOL,
	AL_CODE,
	AL_FLAGS,
	AL_DETAILS,
	AL_TRANSPORT, /* upstream transport failure reason */
	AL_AUTHORITY,
	AL_UPSTREAM_HOST,
	AL_UPSTREAM_CLUSTER,
	AL_ROUTE,
	AL_DURATION,
	AL_MIXER, /* %DYNAMIC_METADATA(istio.mixer:status)%, Istio before 1.8 */
	AL_DOWNSTREAM_REMOTE, /* the caller's address (ip:port) */
	AL_NFIELDS
};

/* The field's name as --explain and the JSON format map know it ("response_code"). */
const char *al_field_name(enum al_field f);

/* A piece of a line; s is NULL when the format has no such field. */
struct al_span {
	const char *s;
	size_t n;
};

/* Whether a span holds a value (Envoy writes '-' for a value it does not have). */
bool al_has(struct al_span v);
/* Whether a span is the string s. */
bool al_span_is(struct al_span v, const char *s);
/* The part of *rest before the first sep (all of it if none); *rest moves past it (s NULL at the end). */
struct al_span al_span_cut(struct al_span *rest, char sep);

/* One parsed line. */
struct al_record {
	struct al_span f[AL_NFIELDS];
	int code;           /* the response code, or -1 */
	uint32_t flags;     /* bit i set: al_flags[i] is on the line */
	bool odd_flag;      /* a flag that this build does not know */
	const char *format; /* the name of the format that matched */
};

/* Envoy's response flags, in the order of al_flags[]. */
enum {
	AL_F_UH,
	AL_F_UF,
	AL_F_UO,
	AL_F_NR,
	AL_F_URX,
	AL_F_NC,
	AL_F_DT,
	AL_F_DC,
	AL_F_LH,
	AL_F_UT,
	AL_F_LR,
	AL_F_UR,
	AL_F_UC,
	AL_F_DI,
	AL_F_FI,
	AL_F_RL,
	AL_F_UAEX,
	AL_F_RLSE,
	AL_F_IH,
	AL_F_SI,
	AL_F_DPE,
	AL_F_UPE,
	AL_F_UMSDR,
	AL_F_RFCF,
	AL_F_NFCF,
	AL_F_OM,
	AL_F_DF,
	AL_F_DO,
	AL_F_DR,
	AL_F_UDO,
	AL_NFLAGS
};
#define AL_BIT(flag) (1u << AL_F_##flag)

/* Envoy's response flags, short and long names. */
struct al_flag {
	const char *code, *name;
	const char *meaning; /* one line, for the tally and --explain */
};
extern const struct al_flag al_flags[AL_NFLAGS];
/* The bit of a flag given by its short or long name; 0 if unknown. */
uint32_t al_flag_bit(const char *name, size_t n);

/* Why a line is not an access log entry. */
enum al_status {
	AL_OK,
	AL_NOT_ACCESS, /* some other line: Envoy's or istio-agent's own messages, anything else */
	AL_TRUNCATED,  /* it starts as an entry and stops early */
	AL_BAD_FIELD, /* a field has a value its operator never writes (a code that is no number) */
	AL_TOO_LONG,  /* longer than AL_MAX_LINE */
	AL_BINARY,    /* holds a NUL byte */
	AL_NSTATUS
};
/* "truncated", ... as in JSON output. */
const char *al_status_id(enum al_status s);

#define AL_MAX_LINE (256 * 1024)
#define AL_MAX_FORMATS 8

struct al_format;

struct al_parser {
	struct al_format *formats[AL_MAX_FORMATS];
	size_t nformats;
	size_t last;   /* the format that matched last */
	bool stamps;   /* the last line had a kubectl --timestamps prefix */
	char *scratch; /* decoded JSON strings (AL_MAX_LINE bytes) */
	size_t used;
};

/*
 * A parser trying the custom format (NULL for none) and then Istio's
 * defaults. custom is a TEXT format string, or a JSON object of
 * "key": "%OPERATOR%" when json is true (or when it starts with '{').
 * false with *err (new string, "column N: ...") if custom cannot be used.
 */
bool al_parser_init(struct al_parser *p, const char *custom, bool json, char **err);
void al_parser_free(struct al_parser *p);

/* Match one line (no newline); fills r on AL_OK. */
enum al_status al_parse_line(struct al_parser *p, const char *line, size_t n, struct al_record *r);

/*
 * A record with only a code and response flags, as a metric's labels give
 * them (Prometheus' response_code and response_flags: "UF,URX", "-"), so
 * that it is classified like a log line. flags is borrowed by r->f[AL_FLAGS].
 */
void al_record_of(struct al_record *r, int code, const char *flags);

struct cluster;
/*
 * A parser for a cluster's sidecars: meshConfig accessLogFormat and
 * accessLogEncoding when set, else the defaults. override (--log-format)
 * wins when given. false with *err (new string naming the ConfigMap's file
 * and line when it comes from there) if the format is unusable.
 */
bool al_parser_for_cluster(struct al_parser *p, struct cluster *c, const char *override,
                           char **err);

/*
 * Call fn for every access log entry among the last last_n lines of text
 * (0: all of them); lines that are not entries are skipped. For probes.
 */
void al_each(struct al_parser *p, const char *text, size_t last_n,
             void (*fn)(void *ctx, const struct al_record *r), void *ctx);

/* The side that wrote a line, from its upstream cluster name. */
enum al_side { AL_SIDE_UNKNOWN, AL_SIDE_OUTBOUND, AL_SIDE_INBOUND };

/*
 * An upstream cluster name taken apart: "outbound|9080|v1|reviews.default.svc.cluster.local"
 * gives outbound, port "9080", subset "v1", host "reviews.default.svc.cluster.local";
 * "inbound|9080||" gives inbound and the port. Spans point into name; a part
 * the name lacks ("outbound|9080" has no subset and no host) is an empty span,
 * never a NULL one, when the name has a '|' at all.
 */
struct al_cluster_name {
	enum al_side side;
	struct al_span port, subset, host;
};
struct al_cluster_name al_cluster_parse(struct al_span name);

/*
 * Whether a line is about service svc in namespace ns: its upstream cluster's
 * host is svc.ns.svc.cluster.local, or its authority names the service
 * (svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local, with or without a port).
 */
bool al_targets(const struct al_record *r, const char *svc, const char *ns);

/* A line counts as a failure: 5xx, 426, 431, or a flag other than DI and RFCF. */
bool al_failure(const struct al_record *r);

/*
 * What a failing line points to, in priority order (the first rule that a
 * line matches is its rule). answer is the 503 flow's "flag" choice, or NULL.
 */
struct al_next_rule {
	const char *label;    /* "503 UO" */
	uint32_t flags;       /* any of these flags; 0: see code */
	int code;             /* the code, or 0 for any */
	const char *details;  /* with code: that code, or code details starting so */
	bool no_flag;         /* only lines without a flag */
	const char *protocol; /* only this protocol, or NULL */
	const char *flow, *diagnosis, *answer;
	bool by_host;            /* the flow names its target by host (404), not by service */
	const char *why;         /* one line: what the failure means */
	const char *why_inbound; /* the same, logged by the receiving side, when it differs */
};
/* The node of a rule's flow that its answer answers (the 503 flow's flag question). */
#define AL_ANSWER_NODE "flag"
extern const struct al_next_rule al_next_rules[];
extern const size_t al_nnext_rules;
/* The rule of a line, or -1 if it is no failure or none matches. */
int al_next_rule_of(const struct al_record *r);

/*
 * The diagnosis for a UAEX denial: mixer-policy-denied on Istio before 1.5,
 * or when the Mixer status field was filled; ext-authz-denied from 1.8 on
 * and when nothing says Mixer. version may be NULL.
 */
const char *al_uaex_diagnosis(const char *version, bool mixer_status_seen);

/*
 * What one line in hand tells a walk: an access log line (parsed with p) or
 * an error body Envoy answers with ("upstream connect error or
 * disconnect/reset before headers. reset reason: overflow", "no healthy
 * upstream", "RBAC: access denied"). The rule is found as for a tally line;
 * service and namespace come from the upstream cluster or the authority,
 * host from the authority. evidence holds what the line shows, one fact a
 * line (sanitised), for the step the line answers.
 */
struct al_handover {
	bool log_line;  /* an access log entry, not an error body */
	int code;       /* the response code, or -1 */
	int rule;       /* the al_next_rules entry, or -1 */
	const char *flow;    /* the flow the line leads to (the rule's), or NULL */
	const char *answer;  /* the answer to AL_ANSWER_NODE of flow the line gives, or NULL */
	const char *no_flow; /* a failure no flow covers yet, in words (403 RBAC), or NULL */
	char *service, *ns, *host, *flags, *cluster; /* new strings or NULL */
	char *caller_ip; /* the downstream remote address without its port, or NULL */
	struct strlist evidence;
};
/* Fill h from line; false (h empty) when the line is neither a log entry nor a known body. */
bool al_handover_of(struct al_parser *p, const char *line, struct al_handover *h);
void al_handover_free(struct al_handover *h);

/* What a code detail value says (403 RBAC details read in full), new string, or NULL. */
char *al_details_meaning(struct al_span v);

/* A string -> count table with a bounded number of keys. */
struct al_count {
	const char *key; /* NUL-terminated, into the table's key store */
	uint64_t n;
};
struct al_counter {
	struct al_slot *slots;
	size_t cap, used;
	char *keys;
	size_t keys_len, keys_cap;
	uint64_t other; /* counts of keys beyond AL_MAX_KEYS */
	size_t last;    /* 1 + the slot counted last: a log often repeats a value */
};
#define AL_MAX_KEYS 10000
#define AL_MAX_KEY_LEN 256
void al_counter_add(struct al_counter *c, const char *key, size_t n, uint64_t count);
/* qsort order of struct al_count: highest count first, then by key. */
int al_count_cmp(const void *a, const void *b);
/* Entries sorted by count (highest first, then by key); caller frees the array. */
struct al_count *al_counter_sorted(const struct al_counter *c, size_t *n);
void al_counter_free(struct al_counter *c);

struct al_tally {
	uint64_t lines, parsed, unparsed, failures;
	uint64_t status[AL_NSTATUS];
	uint64_t lineno;         /* lines read, empty ones too */
	uint64_t first_unparsed; /* line number of the first one, or 0 */
	enum al_status first_unparsed_why;
	uint64_t codes[1000]; /* codes outside 0..999 are not counted here */
	uint64_t flags[AL_NFLAGS];
	struct al_counter odd_flags, details, clusters, authorities;
	uint64_t rules[16];         /* failing lines per al_next_rules entry */
	uint64_t rules_inbound[16]; /* of them, logged by the receiving side */
	struct al_counter targets;  /* "RULE|cluster or authority" of failing lines */
	bool mixer_status_seen;     /* a Mixer status other than '-' */
	/* stream state */
	char *buf;
	size_t have;
	bool skipping; /* inside a line longer than AL_MAX_LINE */
};

void al_tally_add(struct al_tally *t, const struct al_record *r);
/* Parse and count every complete line of text (a final line without newline included). */
void al_tally_text(struct al_tally *t, struct al_parser *p, const char *text, size_t len);
/*
 * Parse and count everything read from fd, in constant memory. false with
 * *err (new string) on a read error.
 */
bool al_tally_fd(struct al_tally *t, struct al_parser *p, int fd, char **err);
void al_tally_free(struct al_tally *t);

/*
 * The dominant failure: the rule with the most failing lines, and the
 * service and namespace its lines went to ("" when unknown; ns falls back to
 * default_ns). Returns the rule index, or -1 when no failure matches a rule.
 * svc and ns are new strings (valid DNS labels, or NULL).
 */
int al_dominant(const struct al_tally *t, const char *default_ns, char **svc, char **ns);

/* The service and namespace an upstream cluster or authority names (new strings or NULL). */
void al_service_of(struct al_span target, char **svc, char **ns);

/* The number of a span that holds digits only; -1 otherwise. */
long al_number(struct al_span v);

#endif
