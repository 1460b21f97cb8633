/* The access log parser and tally: every format, field by field; broken lines; the stream reader.
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "logs/accesslog.h"
#include "tap.h"

static const char today[] =
    "[2024-05-01T10:00:01.000Z] \"GET /reviews/0 HTTP/1.1\" 503 UF,URX "
    "upstream_reset_before_response_started{connection_failure} - \"delayed connect error: 111\" "
    "0 91 3 - \"-\" \"curl/8.0 (x86_64) \\\"quoted\\\"\" \"abc-3\" \"reviews:9080\" "
    "\"10.1.2.3:9080\" outbound|9080|v1|reviews.default.svc.cluster.local - 10.96.0.10:9080 "
    "10.1.2.4:39000 - default";
static const char v18[] =
    "[2024-05-01T10:00:01.000Z] \"POST /api HTTP/2\" 503 UO \"-\" 0 81 0 - \"-\" \"grpc-go\" "
    "\"abc-4\" \"ratings.prod.svc.cluster.local:9080\" \"-\" "
    "outbound|9080||ratings.prod.svc.cluster.local - 10.96.0.11:9080 10.1.2.4:39001 - -";
static const char mixer[] =
    "[2019-05-01T10:00:01.000Z] \"GET /x HTTP/1.1\" 503 UAEX \"PERMISSION_DENIED:deny\" \"-\" 0 "
    "0 1 - \"-\" \"curl\" \"abc-5\" \"details:9080\" \"-\" - - 10.96.0.12:9080 10.1.2.4:39002 - -";
static const char json_line[] =
    "{\"response_code\": 431, \"response_flags\": \"-\", \"protocol\": \"HTTP/1.0\", "
    "\"authority\": \"web\\u00e9:80\", \"nested\": {\"a\": [1, \"}\"]}, \"duration\": null, "
    "\"upstream_cluster\": \"inbound|8080||\", \"path\": \"/a\\\"b\"}";

/* The field of a record as a string (static buffer), or "(absent)". */
static const char *field(const struct al_record *r, enum al_field f)
{
	static char buf[512];
	if (!r->f[f].s)
		return "(absent)";
	snprintf(buf, sizeof buf, "%.*s", (int)r->f[f].n, r->f[f].s);
	return buf;
}

static void test_formats(void)
{
	struct al_parser p;
	char *err = NULL;
	ok(al_parser_init(&p, NULL, false, &err), "the default parser");
	struct al_record r;
	ok(al_parse_line(&p, today, strlen(today), &r) == AL_OK, "today's Istio format parses");
	is_str(r.format, "istio", "its format");
	is_str(field(&r, AL_TIME), "2024-05-01T10:00:01.000Z", "time");
	is_str(field(&r, AL_METHOD), "GET", "method");
	is_str(field(&r, AL_PATH), "/reviews/0", "path");
	is_str(field(&r, AL_PROTOCOL), "HTTP/1.1", "protocol");
	ok(r.code == 503, "code 503");
	ok(r.flags == (AL_BIT(UF) | AL_BIT(URX)) && !r.odd_flag, "flags UF,URX");
	is_str(field(&r, AL_DETAILS), "upstream_reset_before_response_started{connection_failure}",
	       "details");
	is_str(field(&r, AL_TRANSPORT), "delayed connect error: 111", "transport failure reason");
	is_str(field(&r, AL_AUTHORITY), "reviews:9080", "authority");
	is_str(field(&r, AL_UPSTREAM_HOST), "10.1.2.3:9080", "upstream host");
	is_str(field(&r, AL_UPSTREAM_CLUSTER), "outbound|9080|v1|reviews.default.svc.cluster.local",
	       "upstream cluster");
	is_str(field(&r, AL_ROUTE), "default", "route name");
	is_str(field(&r, AL_DURATION), "3", "duration");
	ok(al_next_rule_of(&r) >= 0 && strcmp(al_next_rules[al_next_rule_of(&r)].answer, "UF") == 0,
	   "UF,URX points to the UF answer");

	ok(al_parse_line(&p, v18, strlen(v18), &r) == AL_OK, "the Istio 1.8 format parses");
	is_str(r.format, "istio-1.8", "its format");
	ok(r.flags == AL_BIT(UO), "flag UO");
	is_str(field(&r, AL_DETAILS), "(absent)", "no code details in 1.8");
	is_str(field(&r, AL_PROTOCOL), "HTTP/2", "HTTP/2");

	ok(al_parse_line(&p, mixer, strlen(mixer), &r) == AL_OK, "the Mixer-era format parses");
	is_str(r.format, "istio-mixer", "its format");
	is_str(field(&r, AL_MIXER), "PERMISSION_DENIED:deny", "the Mixer status");
	is_str(field(&r, AL_UPSTREAM_CLUSTER), "-", "no upstream cluster");

	ok(al_parse_line(&p, json_line, strlen(json_line), &r) == AL_OK, "a JSON line parses");
	is_str(r.format, "istio-json", "its format");
	ok(r.code == 431, "a numeric code");
	is_str(field(&r, AL_AUTHORITY), "web\xc3\xa9:80", "\\u escapes decoded");
	is_str(field(&r, AL_PATH), "/a\"b", "quote escapes decoded");
	is_str(field(&r, AL_DURATION), "(absent)", "null is no value");
	ok(al_next_rule_of(&r) >= 0 && strcmp(al_next_rules[al_next_rule_of(&r)].flow, "431") == 0,
	   "431 points to flow 431");
	al_parser_free(&p);
}

static void test_flags(void)
{
	struct al_parser p;
	char *err = NULL;
	al_parser_init(&p, "%RESPONSE_CODE% %RESPONSE_FLAGS_LONG% %PROTOCOL%", false, &err);
	struct al_record r;
	const char *l = "503 UpstreamOverflow,NoRouteFound HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && r.flags == (AL_BIT(UO) | AL_BIT(NR)),
	   "long flag names");
	l = "503 UDO,DR,DO,DF,OM,NFCF,RFCF,UMSDR,UPE,DPE HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK &&
	       r.flags == (AL_BIT(UDO) | AL_BIT(DR) | AL_BIT(DO) | AL_BIT(DF) | AL_BIT(OM) |
	                   AL_BIT(NFCF) | AL_BIT(RFCF) | AL_BIT(UMSDR) | AL_BIT(UPE) | AL_BIT(DPE)),
	   "recent flags");
	l = "503 UF,ZZNEW HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && r.odd_flag && r.flags == AL_BIT(UF),
	   "a flag of a newer Envoy is kept as unknown");
	l = "503 UF, HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) != AL_OK, "a trailing comma is no flag list");
	l = "426 - HTTP/1.0";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && al_next_rule_of(&r) >= 0 &&
	       strcmp(al_next_rules[al_next_rule_of(&r)].diagnosis, "http10-client") == 0,
	   "426 over HTTP/1.0 points to http10-client");
	l = "426 - HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && al_next_rule_of(&r) < 0,
	   "426 over HTTP/1.1 points nowhere");
	l = "200 DI HTTP/1.1";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && !al_failure(&r),
	   "a delay injected is no failure");
	for (size_t i = 0; i < AL_NFLAGS; i++)
		if (al_flag_bit(al_flags[i].code, strlen(al_flags[i].code)) != 1u << i ||
		    al_flag_bit(al_flags[i].name, strlen(al_flags[i].name)) != 1u << i)
			ok(0, "flag %s looks itself up", al_flags[i].code);
	ok(AL_NFLAGS == 30, "30 flags");
	al_parser_free(&p);
}

/* The status of one line under the default parser. */
static enum al_status status_of(const char *line)
{
	struct al_parser p;
	char *err = NULL;
	al_parser_init(&p, NULL, false, &err);
	struct al_record r;
	enum al_status st = al_parse_line(&p, line, strlen(line), &r);
	al_parser_free(&p);
	return st;
}

static void test_broken(void)
{
	char stamped[2048];
	snprintf(stamped, sizeof stamped, "2024-05-01T10:00:02.123456789Z %s\r", today);
	ok(status_of(stamped) == AL_OK, "a kubectl --timestamps prefix and a CR are skipped");
	ok(status_of("[2024-05-01 10:00:00.000][15][warning][config] [x.cc:191] stream closed") ==
	       AL_NOT_ACCESS,
	   "an Envoy message is not an entry");
	ok(status_of("2024-05-01T10:00:00.000000Z\tinfo\txdsproxy\tconnected") == AL_NOT_ACCESS,
	   "an istio-agent message is not an entry");
	ok(status_of("{\"level\":\"info\",\"msg\":\"hello\"}") == AL_NOT_ACCESS,
	   "a JSON log of something else is not an entry");
	char cut[200];
	snprintf(cut, sizeof cut, "%.*s", 90, today);
	ok(status_of(cut) == AL_TRUNCATED, "a line cut after the code is truncated");
	ok(status_of("{\"response_code\": 503, \"response_fl") == AL_TRUNCATED,
	   "a cut JSON line is truncated");
	char bad[2048];
	snprintf(bad, sizeof bad, "%s", today);
	memcpy(strstr(bad, "503"), "5x3", 3);
	ok(status_of(bad) == AL_BAD_FIELD, "a code that is no number is a bad field");
	char bin[] = "[x] \"GET / HTTP/1.1\" \0 binary";
	struct al_parser p;
	char *err = NULL;
	al_parser_init(&p, NULL, false, &err);
	struct al_record r;
	ok(al_parse_line(&p, bin, sizeof bin - 1, &r) == AL_BINARY, "a NUL byte makes it binary");
	ok(al_parse_line(&p, "", 0, &r) == AL_NOT_ACCESS, "an empty line is nothing");
	al_parser_free(&p);
}

static void test_custom(void)
{
	struct al_parser p;
	char *err = NULL;
	ok(al_parser_init(&p,
	                  "%START_TIME(%s.%3f)% code=%RESPONSE_CODE% f=%RESPONSE_FLAGS% "
	                  "up=%UPSTREAM_CLUSTER_RAW% %REQ(:authority):20%\\n",
	                  false, &err),
	   "a custom format with START_TIME(%%s), a length limit and a typed \\n");
	struct al_record r;
	const char *l =
	    "1714557601.000 code=503 f=UH up=outbound|80||web.a.svc.cluster.local web:80";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK, "a custom line parses");
	is_str(r.format, "custom", "with the custom format");
	is_str(field(&r, AL_AUTHORITY), "web:80", "its last field runs to the end");
	ok(al_parse_line(&p, today, strlen(today), &r) == AL_OK && strcmp(r.format, "istio") == 0,
	   "the defaults are still tried after it");
	al_parser_free(&p);

	static const struct {
		const char *fmt, *error;
	} bad[] = {
	    {"%RESPONSE_CODE", "column 1: '%' opens an operator that is not closed"},
	    {"%RESPONSE_CODE%%RESPONSE_FLAGS%", "column 16: two operators with nothing between "
	                                        "them cannot be told apart in a line"},
	    {"%START_TIME% %BYTES_SENT%", "the format has neither %RESPONSE_CODE% nor "
	                                  "%RESPONSE_FLAGS%: there is nothing to tally"},
	    {"%% %RESPONSE_CODE%", "column 1: '%%' is no operator"},
	    {"{\"code\": \"%RESPONSE_CODE%\"", "line 1 column 26: '}' expected near end of file"},
	    {"{\"d\": \"%DURATION%\"}", "the JSON format maps no key to %RESPONSE_CODE% or "
	                                "%RESPONSE_FLAGS%: there is nothing to tally"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
		err = NULL;
		ok(!al_parser_init(&p, bad[i].fmt, false, &err), "'%s' is refused", bad[i].fmt);
		is_str(err, bad[i].error, "  with the reason");
		free(err);
	}

	err = NULL;
	ok(al_parser_init(&p, "{\"c\": \"%RESPONSE_CODE%\", \"u\": \"%UPSTREAM_CLUSTER%\"}", false,
	                  &err),
	   "a JSON format map");
	l = "{\"c\": \"503\", \"u\": \"outbound|80||a.b.svc.cluster.local\"}";
	ok(al_parse_line(&p, l, strlen(l), &r) == AL_OK && r.code == 503 &&
	       strcmp(r.format, "custom-json") == 0,
	   "its keys are read");
	al_parser_free(&p);
}

static void test_names(void)
{
	const char *c = "outbound|9080|v1|reviews.default.svc.cluster.local";
	struct al_cluster_name n = al_cluster_parse((struct al_span){c, strlen(c)});
	ok(n.side == AL_SIDE_OUTBOUND, "outbound");
	ok(n.port.n == 4 && memcmp(n.port.s, "9080", 4) == 0, "port");
	ok(n.subset.n == 2 && memcmp(n.subset.s, "v1", 2) == 0, "subset");
	ok(n.host.n == strlen("reviews.default.svc.cluster.local"), "host");
	c = "inbound|9080||";
	n = al_cluster_parse((struct al_span){c, strlen(c)});
	ok(n.side == AL_SIDE_INBOUND && n.subset.n == 0 && n.host.n == 0, "inbound");
	c = "PassthroughCluster";
	ok(al_cluster_parse((struct al_span){c, strlen(c)}).side == AL_SIDE_UNKNOWN, "passthrough");

	static const struct {
		const char *target, *svc, *ns;
	} svcs[] = {
	    {"outbound|9080||reviews.default.svc.cluster.local", "reviews", "default"},
	    {"reviews:9080", "reviews", NULL},
	    {"reviews.shop.svc:80", "reviews", "shop"},
	    {"httpbin.org:443", NULL, NULL},
	    {"10.1.2.3:80", NULL, NULL},
	    {"inbound|9080||", NULL, NULL},
	    {"Bad_Name", NULL, NULL},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(svcs); i++) {
		char *s, *ns;
		al_service_of((struct al_span){svcs[i].target, strlen(svcs[i].target)}, &s, &ns);
		is_str(s, svcs[i].svc, "service of %s", svcs[i].target);
		is_str(ns, svcs[i].ns, "namespace of %s", svcs[i].target);
		free(s);
		free(ns);
	}

	struct al_record r = {0};
	r.f[AL_UPSTREAM_CLUSTER] = (struct al_span){"-", 1};
	static const struct {
		const char *authority;
		bool yes;
	} auth[] = {
	    {"cart", true},
	    {"cart:9080", true},
	    {"cart.shop", true},
	    {"cart.shop.svc:80", true},
	    {"cart.shop.svc.cluster.local:80", true},
	    {"cart.other:80", false},
	    {"cartx:80", false},
	    {"cart.shopping.svc", false},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(auth); i++) {
		r.f[AL_AUTHORITY] = (struct al_span){auth[i].authority, strlen(auth[i].authority)};
		ok(al_targets(&r, "cart", "shop") == auth[i].yes, "authority %s %s cart.shop",
		   auth[i].authority, auth[i].yes ? "names" : "does not name");
	}
	is_str(al_uaex_diagnosis("1.4.6", false), "mixer-policy-denied", "UAEX on 1.4: Mixer");
	is_str(al_uaex_diagnosis("1.22.0", false), "ext-authz-denied", "UAEX on 1.22: ext_authz");
	is_str(al_uaex_diagnosis(NULL, true), "mixer-policy-denied", "a Mixer status: Mixer");
	is_str(al_uaex_diagnosis(NULL, false), "ext-authz-denied", "unknown version: ext_authz");
}

/* Write text to a pipe and tally what comes out of it. */
static void tally_pipe(struct al_tally *t, const char *text, size_t len)
{
	struct al_parser p;
	char *err = NULL;
	al_parser_init(&p, NULL, false, &err);
	char path[] = "/tmp/test-accesslog.XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, text, len) == (ssize_t)len, "the log is written");
	lseek(fd, 0, SEEK_SET);
	ok(al_tally_fd(t, &p, fd, &err), "the stream is read");
	close(fd);
	unlink(path);
	al_parser_free(&p);
}

static void test_tally(void)
{
	struct sbuf b;
	sb_init(&b);
	for (int i = 0; i < 3; i++)
		sb_printf(&b, "%s\n", today);
	sb_printf(&b, "%s\n\n", v18);
	/* a line longer than the reader's buffer, counted once */
	for (size_t i = 0; i < 5 * AL_MAX_LINE; i++)
		sb_addc(&b, 'x');
	sb_printf(&b, "\n%s\n%s", mixer, v18); /* the last line has no newline */
	struct al_tally t = {0};
	tally_pipe(&t, b.s, b.len);
	ok(t.lines == 7, "7 lines (the empty one is not counted)");
	ok(t.parsed == 6, "6 entries");
	ok(t.unparsed == 1 && t.status[AL_TOO_LONG] == 1, "1 line too long");
	ok(t.first_unparsed == 6, "the first unparsed line is line 6 (empty lines count)");
	ok(t.codes[503] == 6 && t.failures == 6, "six 503s, six failures");
	ok(t.flags[AL_F_UF] == 3 && t.flags[AL_F_URX] == 3 && t.flags[AL_F_UO] == 2 &&
	       t.flags[AL_F_UAEX] == 1,
	   "each flag of a line counted once");
	ok(t.mixer_status_seen, "the Mixer status is seen");
	char *svc, *ns;
	int rule = al_dominant(&t, "fallback", &svc, &ns);
	ok(rule >= 0 && strcmp(al_next_rules[rule].answer, "UF") == 0, "UF dominates");
	is_str(svc, "reviews", "to reviews");
	is_str(ns, "default", "in default");
	free(svc);
	free(ns);
	al_tally_free(&t);
	sb_free(&b);

	struct al_counter c = {0};
	char key[32];
	for (int i = 0; i < AL_MAX_KEYS + 5; i++) {
		int n = snprintf(key, sizeof key, "key-%d", i);
		al_counter_add(&c, key, (size_t)n, 1);
	}
	al_counter_add(&c, "key-1", 5, 2);
	size_t n;
	struct al_count *v = al_counter_sorted(&c, &n);
	ok(n == AL_MAX_KEYS + 1, "the keys are bounded, the rest is '(other)'");
	ok(strcmp(v[0].key, "(other)") == 0 && v[0].n == 5, "5 under '(other)'");
	ok(strcmp(v[1].key, "key-1") == 0 && v[1].n == 3, "then the largest count");
	free(v);
	al_counter_free(&c);
}

static void each_count(void *ctx, const struct al_record *r)
{
	(void)r;
	++*(int *)ctx;
}

static void test_each(void)
{
	struct al_parser p;
	char *err = NULL;
	al_parser_init(&p, NULL, false, &err);
	char *text = xasprintf("%s\nnoise\n%s\n%s\n", today, v18, mixer);
	int n = 0;
	al_each(&p, text, 2, each_count, &n);
	ok(n == 2, "the last 2 lines: 2 entries");
	n = 0;
	al_each(&p, text, 3, each_count, &n);
	ok(n == 2, "the last 3 lines: 2 entries and noise");
	n = 0;
	al_each(&p, text, 0, each_count, &n);
	ok(n == 3, "all lines: 3 entries");
	free(text);
	al_parser_free(&p);
}

/* meshmedic help response-flags explains every flag the parser knows, by both names. */
static void test_help_page(void)
{
	char *path = xasprintf("%s/help/response-flags.md", top_srcdir());
	char *text = read_file(path, NULL);
	ok(text != NULL, "help/response-flags.md is readable");
	for (size_t i = 0; text && i < AL_NFLAGS; i++) {
		char *row = xasprintf("| %s | %s |", al_flags[i].code, al_flags[i].name);
		ok(strstr(text, row) != NULL, "the help page has a row for %s", al_flags[i].code);
		free(row);
	}
	free(text);
	free(path);
}

int main(void)
{
	test_help_page();
	test_formats();
	test_flags();
	test_broken();
	test_custom();
	test_names();
	test_tally();
	test_each();
	return done_testing();
}
