/*
 * `logs`: tally an Envoy access log (a file, standard input, or a pod's
 * istio-proxy container through the cluster source) and name the flow that
 * its most frequent failure leads to; --explain takes one line apart.
 * Everything read from a log is sanitised before it is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logs/accesslog.h"
#include "session/sources.h"
#include "cmd/cli.h"
#include "cluster/cluster.h"

/* Values shown per section in text and Markdown (JSON has them all). */
#define TOP 10

static char *span_dup(struct al_span v)
{
	return v.s ? xstrndup(v.s, v.n) : NULL;
}

/* Where the dominant failure (or one line) leads. */
struct next {
	const struct al_next_rule *rule;
	const char *diagnosis, *why;
	char *command;
	uint64_t count;
};

static void add_option(struct sbuf *b, const char *opt, const char *fmt, const char *value)
{
	char *v = xasprintf(fmt, value);
	sb_printf(b, " %s", opt);
	sb_add_shell_word(b, v);
	free(v);
}

/*
 * The rule's flow, diagnosis and the command that continues there: the
 * source options this command was given, the inputs the log names (host
 * for a flow that names its target by host), and the flag answer.
 */
static void next_for(const struct ctx *c, struct cluster *cl, int rule, const char *svc,
                     const char *ns, const char *host, bool mixer_seen, struct next *nx)
{
	memset(nx, 0, sizeof *nx);
	if (rule < 0)
		return;
	const struct al_next_rule *x = &al_next_rules[rule];
	nx->rule = x;
	nx->why = x->why;
	nx->diagnosis = x->diagnosis
	                    ? x->diagnosis
	                    : al_uaex_diagnosis(cl ? cluster_istio_version(cl) : NULL, mixer_seen);
	struct sbuf b;
	sb_init(&b);
	sb_printf(&b, "meshmedic run %s", x->flow);
	for (size_t i = 0; i < c->o.flows_dirs.n; i++)
		add_option(&b, "--flows", "%s", c->o.flows_dirs.v[i]);
	if (c->o.snapshot)
		add_option(&b, "--snapshot", "%s", c->o.snapshot);
	if (c->o.live)
		sb_add(&b, " --live");
	if (c->o.live && c->o.context)
		add_option(&b, "--context", "%s", c->o.context);
	if (c->o.live && c->o.kubeconfig)
		add_option(&b, "--kubeconfig", "%s", c->o.kubeconfig);
	if (c->o.envoy_admin)
		add_option(&b, "--envoy-admin", "%s", c->o.envoy_admin);
	if (c->o.prometheus)
		add_option(&b, "--prometheus", "%s", c->o.prometheus);
	if (!ns)
		ns = c->o.ns;
	if (ns)
		add_option(&b, "--set", "namespace=%s", ns);
	if (x->by_host)
		add_option(&b, "--set", "host=%s", host ? host : svc ? svc : "HOST");
	if (x->by_host && svc)
		add_option(&b, "--set", "service=%s", svc);
	if (!x->by_host)
		add_option(&b, "--set", "service=%s", svc ? svc : "SERVICE");
	/* the pod whose log this is made the calls: the caller (the 404 flow asks for none) */
	if (c->o.pod && !x->by_host)
		add_option(&b, "--set", "pod=%s", c->o.pod);
	/* the answer is the 503 flow's: a flow named by host has no such question */
	if (x->answer && !x->by_host)
		add_option(&b, "--answer", AL_ANSWER_NODE "=%s", x->answer);
	nx->command = sb_steal(&b);
}

static json_t *next_json(const struct next *nx)
{
	if (!nx->rule)
		return json_null();
	char *cmd = sanitize(nx->command, false);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "flow", nx->rule->flow, "diagnosis",
	                      nx->diagnosis, "command", cmd, "failure", nx->rule->label, "count",
	                      (json_int_t)nx->count);
	free(cmd);
	return j;
}

/* Print the next step in text or Markdown. */
static void next_print(FILE *fp, const struct next *nx, bool md, bool cluster)
{
	/* the command holds the --snapshot path as typed */
	char *cmd = sanitize(nx->command, false);
	if (md)
		fprintf(fp, "\n## Next step\n\n");
	fprintf(fp,
	        md ? "%s → flow `%s`, diagnosis `%s` (`meshmedic explain %s`)\n\n    %s\n"
	           : "  %s\n  flow %s, diagnosis %s (meshmedic explain %s)\n  continue with: %s\n",
	        nx->why, nx->rule->flow, nx->diagnosis, nx->diagnosis, cmd);
	free(cmd);
	if (!cluster)
		fprintf(
		    fp, "%s%s\n", md ? "\n" : "  ",
		    "(add --live or --snapshot DIR: the probes then answer the other questions)");
}

/* The tally */

/* One section of the tally, sorted by count; meaning is for flags. */
struct section {
	const char *id, *title;
	struct al_count *v;
	const char **meaning;
	size_t n;
};

static struct section codes_section(const struct al_tally *t)
{
	static char names[1000][4];
	struct section s = {"codes", "response codes", xcalloc(1000, sizeof(struct al_count)), NULL,
	                    0};
	for (int i = 0; i < 1000; i++)
		if (t->codes[i]) {
			snprintf(names[i], sizeof names[i], "%d", i);
			s.v[s.n++] = (struct al_count){names[i], t->codes[i]};
		}
	qsort(s.v, s.n, sizeof *s.v, al_count_cmp);
	return s;
}

static struct section flags_section(const struct al_tally *t)
{
	size_t odd;
	struct al_count *o = al_counter_sorted(&t->odd_flags, &odd);
	struct section s = {"flags", "response flags", xcalloc(AL_NFLAGS + odd + 1, sizeof *s.v),
	                    NULL, 0};
	for (size_t i = 0; i < AL_NFLAGS; i++)
		if (t->flags[i])
			s.v[s.n++] = (struct al_count){al_flags[i].code, t->flags[i]};
	for (size_t i = 0; i < odd; i++)
		s.v[s.n++] = o[i];
	free(o);
	qsort(s.v, s.n, sizeof *s.v, al_count_cmp);
	s.meaning = xcalloc(s.n + 1, sizeof *s.meaning);
	for (size_t i = 0; i < s.n; i++) {
		uint32_t bit = al_flag_bit(s.v[i].key, strlen(s.v[i].key));
		s.meaning[i] =
		    bit ? al_flags[__builtin_ctz(bit)].meaning : "a flag this build does not know";
	}
	return s;
}

static struct section counter_section(const char *id, const char *title, const struct al_counter *c)
{
	struct section s = {id, title, NULL, NULL, 0};
	s.v = al_counter_sorted(c, &s.n);
	return s;
}

static void share(char *buf, size_t size, uint64_t n, uint64_t of)
{
	snprintf(buf, size, "%.1f%%", of ? 100.0 * (double)n / (double)of : 0.0);
}

/* "2 not-access-log, 1 truncated" */
static char *unparsed_text(const struct al_tally *t)
{
	struct sbuf b;
	sb_init(&b);
	for (int i = AL_OK + 1; i < AL_NSTATUS; i++)
		if (t->status[i])
			sb_printf(&b, "%s%llu %s", b.len ? ", " : "",
			          (unsigned long long)t->status[i],
			          al_status_id((enum al_status)i));
	return sb_steal(&b);
}

/* Text in a Markdown table cell, as code or not: pipes and backticks would end it. */
static void md_cell(FILE *fp, const char *s, bool code)
{
	char *clean = sanitize(s, false);
	if (code)
		fputc('`', fp);
	for (const char *p = clean; *p; p++)
		fputs(*p == '`' ? "'" : *p == '|' ? "\\|" : (char[]){*p, 0}, fp);
	if (code)
		fputc('`', fp);
	free(clean);
}

static void tally_doc(FILE *fp, const char *label, const struct al_tally *t,
                      const struct section *secs, size_t nsecs, const struct next *nx, bool md,
                      bool cluster)
{
	char *un = unparsed_text(t);
	if (md) {
		fputs("# meshmedic logs: ", fp);
		fput_clean(fp, label, false);
		fprintf(fp,
		        "\n\n- lines: %llu; access log entries: %llu; not parsed: %llu%s%s%s\n"
		        "- failures: %llu\n",
		        (unsigned long long)t->lines, (unsigned long long)t->parsed,
		        (unsigned long long)t->unparsed, *un ? " (" : "", un, *un ? ")" : "",
		        (unsigned long long)t->failures);
	} else {
		fputs("access log: ", fp);
		fput_clean(fp, label, false);
		fprintf(fp, "\n%llu lines: %llu access log entries, %llu not parsed",
		        (unsigned long long)t->lines, (unsigned long long)t->parsed,
		        (unsigned long long)t->unparsed);
		if (*un)
			fprintf(fp, " (%s; the first is line %llu)", un,
			        (unsigned long long)t->first_unparsed);
		fprintf(fp, "\n");
		if (t->parsed)
			fprintf(fp, "%llu failures (%.1f%% of the entries)\n",
			        (unsigned long long)t->failures,
			        100.0 * (double)t->failures / (double)t->parsed);
	}
	free(un);
	if (!t->parsed) {
		fprintf(
		    fp,
		    "%sno access log entries: is access logging on? (meshmedic help access-log)\n",
		    md ? "\n" : "");
		return;
	}
	for (size_t k = 0; k < nsecs; k++) {
		const struct section *s = &secs[k];
		if (!s->n)
			continue;
		if (md)
			fprintf(fp, "\n## %c%s%s\n\n| count | share | value |\n|---:|---:|---|\n",
			        s->title[0] - 'a' + 'A', s->title + 1,
			        s->n > TOP ? " (top 10)" : "");
		else
			fprintf(fp, "\n%s%s\n", s->title, s->n > TOP ? " (top 10)" : "");
		for (size_t i = 0; i < s->n && i < TOP; i++) {
			char pct[16];
			share(pct, sizeof pct, s->v[i].n, t->parsed);
			if (md) {
				fprintf(fp, "| %llu | %s | ", (unsigned long long)s->v[i].n, pct);
				md_cell(fp, s->v[i].key, true);
				if (s->meaning)
					fprintf(fp, " %s", s->meaning[i]);
				fputs(" |\n", fp);
				continue;
			}
			fprintf(fp, "  %8llu %6s  ", (unsigned long long)s->v[i].n, pct);
			/* flag names are letters only (the parser checks), other values are not */
			if (s->meaning)
				fprintf(fp, "%-6s %s", s->v[i].key, s->meaning[i]);
			else
				fput_clean(fp, s->v[i].key, false);
			fputc('\n', fp);
		}
	}
	if (nx->rule) {
		char pct[16];
		share(pct, sizeof pct, nx->count, t->failures);
		fprintf(fp,
		        md ? "\n## Most frequent failure\n\n**%s** on %llu of %llu failures (%s)\n"
		           : "\nmost frequent failure: %s on %llu of %llu failures (%s)\n",
		        nx->rule->label, (unsigned long long)nx->count,
		        (unsigned long long)t->failures, pct);
		next_print(fp, nx, md, cluster);
	} else {
		fprintf(fp, "\n%s\n",
		        t->failures
		            ? "no failure here points to a flow yet (meshmedic help response-flags)"
		            : "no failures");
	}
}

static void tally_json(FILE *fp, const char *label, const struct al_tally *t,
                       const struct section *secs, size_t nsecs, const struct next *nx)
{
	json_t *reasons = json_object();
	for (int i = AL_OK + 1; i < AL_NSTATUS; i++)
		if (t->status[i])
			json_object_set_new(reasons, al_status_id((enum al_status)i),
			                    json_integer((json_int_t)t->status[i]));
	char *src = sanitize(label, false);
	json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:o, s:I}", "source", src, "lines",
	                      (json_int_t)t->lines, "parsed", (json_int_t)t->parsed, "unparsed",
	                      (json_int_t)t->unparsed, "unparsed_reasons", reasons, "failures",
	                      (json_int_t)t->failures);
	free(src);
	if (t->first_unparsed)
		json_object_set_new(j, "first_unparsed_line",
		                    json_integer((json_int_t)t->first_unparsed));
	for (size_t k = 0; k < nsecs; k++) {
		json_t *o = json_object();
		for (size_t i = 0; i < secs[k].n; i++) {
			/* two values may read the same once sanitised: their counts add up */
			char *key = sanitize(secs[k].v[i].key, false);
			json_int_t was = json_integer_value(json_object_get(o, key));
			json_object_set_new(o, key, json_integer(was + (json_int_t)secs[k].v[i].n));
			free(key);
		}
		json_object_set_new(j, secs[k].id, o);
	}
	json_object_set_new(j, "next", next_json(nx));
	json_dumpf(j, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(j);
}

/* Read the log the options name into t; an exit status on failure, else -1. */
static int read_log(struct ctx *c, struct cluster *cl, struct al_parser *p, const char *file,
                    struct al_tally *t, char **label)
{
	if (c->o.pod) {
		const char *ns = c->o.ns ? c->o.ns : "default";
		char *why = NULL;
		char *text = cluster_log(cl, ns, c->o.pod, "istio-proxy", false, &why);
		if (!text) {
			int rc = usage_error("--pod %s/%s: %s", ns, c->o.pod, why ? why : "no log");
			free(why);
			return rc;
		}
		al_tally_text(t, p, text, strlen(text));
		free(text);
		*label = xasprintf("pod %s/%s, container istio-proxy", ns, c->o.pod);
		return -1;
	}
	bool in = !file || strcmp(file, "-") == 0;
	if (!file && isatty(STDIN_FILENO))
		return usage_error(
		    "logs reads FILE, - (standard input), --pod POD or --explain LINE");
	int fd = in ? STDIN_FILENO : open(file, O_RDONLY);
	*label = xstrdup(in ? "standard input" : file);
	if (fd < 0)
		return usage_error("%s: %s", file, strerror(errno));
	char *err = NULL;
	bool ok = al_tally_fd(t, p, fd, &err);
	if (!in)
		close(fd);
	if (ok)
		return -1;
	int rc = usage_error("%s: %s", *label, err);
	free(err);
	return rc;
}

static int tally(struct ctx *c, struct cluster *cl, struct al_parser *p, const char *file)
{
	struct al_tally t = {0};
	char *label = NULL;
	int rc = read_log(c, cl, p, file, &t, &label);
	if (rc >= 0) {
		free(label);
		al_tally_free(&t);
		return rc;
	}
	struct section secs[] = {
	    codes_section(&t),
	    flags_section(&t),
	    counter_section("details", "response code details", &t.details),
	    counter_section("upstream_clusters", "upstream clusters", &t.clusters),
	    counter_section("authorities", "authorities", &t.authorities),
	};
	char *svc, *ns;
	int rule = al_dominant(&t, c->o.ns, &svc, &ns);
	struct next nx;
	next_for(c, cl, rule, svc, ns, NULL, t.mixer_status_seen, &nx);
	if (rule >= 0)
		nx.count = t.rules[rule];
	if (rule >= 0 && nx.rule->why_inbound && t.rules_inbound[rule] == t.rules[rule])
		nx.why = nx.rule->why_inbound;
	if (c->out.fmt == FMT_JSON)
		tally_json(c->out.fp, label, &t, secs, MM_ARRAY_LEN(secs), &nx);
	else
		tally_doc(c->out.fp, label, &t, secs, MM_ARRAY_LEN(secs), &nx,
		          c->out.fmt == FMT_MARKDOWN, cl != NULL);
	for (size_t i = 0; i < MM_ARRAY_LEN(secs); i++) {
		free(secs[i].v);
		free(secs[i].meaning);
	}
	free(nx.command);
	free(svc);
	free(ns);
	free(label);
	al_tally_free(&t);
	return 0;
}

/* --explain */

/* What a code detail or a transport failure reason says, by prefix or substring. */
static const struct {
	const char *text, *meaning;
	bool anywhere;
} known[] = {
    {"via_upstream", "the upstream sent this code; Envoy passed it on", false},
    {"route_not_found", "no route matched the request", false},
    {"cluster_not_found", "the route's upstream cluster does not exist", false},
    {"no_healthy_upstream", "no healthy endpoint to send the request to", false},
    {"upstream_reset_before_response_started",
     "the upstream connection failed or was reset before any response (the reason is in braces)",
     false},
    {"upstream_reset_after_response_started", "the upstream reset the stream while answering",
     false},
    {"response_timeout", "the route timeout passed before the upstream answered", false},
    {"upstream_per_try_timeout", "the last retry attempt timed out", false},
    {"ext_authz_denied", "the external authorization service denied the request", false},
    {"ext_authz_error", "the external authorization service failed or could not be reached", false},
    {"filter_chain_not_found", "no listener filter chain matched the connection", false},
    {"downstream_remote_disconnect", "the client went away before the answer", false},
    {"direct_response", "the route answered directly, with no upstream", false},
    {"maintenance_mode", "the upstream cluster is in maintenance mode", false},
    {"CERTIFICATE_VERIFY_FAILED",
     "the peer's certificate is not trusted (another root of trust, or expired)", true},
    {"WRONG_VERSION_NUMBER", "TLS met a peer speaking plain text: the TLS settings disagree", true},
    {"connect error: 111", "connection refused: nothing listens on that address and port", true},
    {"connect error: 113", "no route to the host: the address is unreachable", true},
};

static const char *known_meaning(struct al_span v)
{
	if (!al_has(v))
		return NULL;
	for (size_t i = 0; i < MM_ARRAY_LEN(known); i++) {
		size_t k = strlen(known[i].text);
		if (known[i].anywhere ? memmem(v.s, v.n, known[i].text, k) != NULL
		                      : v.n >= k && memcmp(v.s, known[i].text, k) == 0)
			return known[i].meaning;
	}
	return NULL;
}

/* Well-known upstream clusters that are no service. */
static const struct {
	const char *name, *meaning;
} special_clusters[] = {
    {"PassthroughCluster", "the destination is no service of the mesh; the sidecar let it "
                           "through (outboundTrafficPolicy ALLOW_ANY)"},
    {"BlackHoleCluster", "the destination is no service of the mesh and outboundTrafficPolicy "
                         "REGISTRY_ONLY dropped it"},
    /* one cluster from Istio 1.23 on, one per IP family before */
    {"InboundPassthroughCluster", "inbound traffic to a port that no Service declares (Istio 1.23 "
                                  "and later)"},
    {"InboundPassthroughClusterIpv4", "inbound traffic to a port that no Service declares (IPv4, "
                                      "Istio 1.22 and older)"},
    {"InboundPassthroughClusterIpv6", "inbound traffic to a port that no Service declares (IPv6, "
                                      "Istio 1.22 and older)"},
};

/* Whether the sidecar's own authorization refused the line's request (RBAC code details). */
static bool details_denied(const struct al_record *r)
{
	struct al_span d = r->f[AL_DETAILS];
	return d.s && d.n >= 5 && memcmp(d.s, "rbac_", 5) == 0;
}

/* Who logged the line and where it went, in words (new string). */
static char *side_text(const struct al_record *r, char **svc, char **ns)
{
	struct al_span u = r->f[AL_UPSTREAM_CLUSTER];
	struct al_cluster_name cn = al_cluster_parse(u);
	char *port = span_dup(cn.port), *subset = span_dup(cn.subset), *out = NULL;
	al_service_of(u, svc, ns);
	if (!*svc)
		al_service_of(r->f[AL_AUTHORITY], svc, ns);
	if (cn.side == AL_SIDE_OUTBOUND)
		out = xasprintf(
		    "the calling side's sidecar (outbound): to service %s in namespace %s, "
		    "port %s%s%s",
		    *svc ? *svc : "?", *ns ? *ns : "?", *port ? port : "?", *subset ? ", subset " : "",
		    subset);
	else if (cn.side == AL_SIDE_INBOUND && details_denied(r))
		out = xasprintf("the receiving side's sidecar (inbound), in front of its own "
		                "application on port %s, which it did not pass the request to",
		                *port ? port : "?");
	else if (cn.side == AL_SIDE_INBOUND)
		out = xasprintf(
		    "the receiving side's sidecar (inbound): it passed the request to its "
		    "own application on port %s",
		    *port ? port : "?");
	for (size_t i = 0; i < MM_ARRAY_LEN(special_clusters) && !out && al_has(u); i++)
		if (al_span_is(u, special_clusters[i].name))
			out = xasprintf("%s: %s", special_clusters[i].name,
			                special_clusters[i].meaning);
	free(port);
	free(subset);
	return out;
}

/* The labels of the fields, in the order --explain shows them. */
static const struct {
	enum al_field f;
	const char *label;
} shown[] = {
    {AL_TIME, "start time"},
    {AL_METHOD, "method"},
    {AL_PATH, "path"},
    {AL_PROTOCOL, "protocol"},
    {AL_CODE, "response code"},
    {AL_FLAGS, "response flags"},
    {AL_DETAILS, "code details"},
    {AL_TRANSPORT, "transport failure"},
    {AL_MIXER, "Mixer status"},
    {AL_AUTHORITY, "authority"},
    {AL_UPSTREAM_HOST, "upstream host"},
    {AL_UPSTREAM_CLUSTER, "upstream cluster"},
    {AL_ROUTE, "route"},
    {AL_DURATION, "duration (ms)"},
};

/* What a field's value means (new string), or NULL. */
static char *field_note(const struct al_record *r, enum al_field f, char **svc, char **ns)
{
	struct al_span v = r->f[f];
	char *rbac = f == AL_DETAILS ? al_details_meaning(v) : NULL;
	if (rbac)
		return rbac;
	const char *k = f == AL_DETAILS || f == AL_TRANSPORT ? known_meaning(v) : NULL;
	if (k)
		return xstrdup(k);
	if (f == AL_UPSTREAM_CLUSTER) {
		char *side = side_text(r, svc, ns);
		char *note = side ? xasprintf("logged by %s", side) : NULL;
		free(side);
		return note;
	}
	if (f == AL_MIXER && al_has(v))
		return xstrdup("Mixer's policy check refused the request (Istio before 1.8)");
	if (f != AL_FLAGS || !(r->flags || r->odd_flag))
		return NULL;
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i < AL_NFLAGS; i++)
		if (r->flags & (1u << i))
			sb_printf(&b, "%s%s (%s): %s", b.len ? "; " : "", al_flags[i].code,
			          al_flags[i].name, al_flags[i].meaning);
	if (r->odd_flag)
		sb_printf(&b, "%sa flag this build does not know (meshmedic help response-flags)",
		          b.len ? "; " : "");
	return sb_steal(&b);
}

static int explain(struct ctx *c, struct cluster *cl, struct al_parser *p, const char *line)
{
	struct al_record r;
	enum al_status st = al_parse_line(p, line, strlen(line), &r);
	if (st != AL_OK)
		return usage_error("--explain: not an access log line that this format reads (%s)",
		                   al_status_id(st));
	char *svc = NULL, *ns = NULL;
	char *values[MM_ARRAY_LEN(shown)], *notes[MM_ARRAY_LEN(shown)];
	for (size_t i = 0; i < MM_ARRAY_LEN(shown); i++) {
		values[i] = span_dup(r.f[shown[i].f]);
		notes[i] = values[i] ? field_note(&r, shown[i].f, &svc, &ns) : NULL;
	}
	if (!svc)
		al_service_of(r.f[AL_AUTHORITY], &svc, &ns);
	struct al_handover h;
	al_handover_of(p, line, &h);
	struct next nx;
	next_for(c, cl, h.rule, svc, ns, h.host, al_has(r.f[AL_MIXER]), &nx);
	nx.count = 1;
	bool inbound = al_cluster_parse(r.f[AL_UPSTREAM_CLUSTER]).side == AL_SIDE_INBOUND;
	if (nx.rule && nx.rule->why_inbound && inbound)
		nx.why = nx.rule->why_inbound;
	FILE *fp = c->out.fp;
	bool md = c->out.fmt == FMT_MARKDOWN;
	if (c->out.fmt == FMT_JSON) {
		json_t *fields = json_object(), *jn = json_object();
		for (size_t i = 0; i < MM_ARRAY_LEN(shown); i++) {
			const char *name = al_field_name(shown[i].f);
			if (values[i]) {
				char *v = sanitize(values[i], false);
				json_object_set_new(fields, name, json_string(v));
				free(v);
			}
			if (notes[i]) {
				char *n = sanitize(notes[i], false);
				json_object_set_new(jn, name, json_string(n));
				free(n);
			}
		}
		json_t *j =
		    json_pack("{s:s, s:o, s:o, s:b, s:o}", "format", r.format, "fields", fields,
		              "notes", jn, "failure", al_failure(&r), "next", next_json(&nx));
		if (h.no_flow)
			json_object_set_new(j, "no_flow", json_string(h.no_flow));
		json_dumpf(j, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', fp);
		json_decref(j);
	} else {
		fprintf(fp,
		        md ? "# Access log line (format %s)\n\n| field | value | meaning |\n"
		             "|---|---|---|\n"
		           : "format             %s\n",
		        r.format);
		for (size_t i = 0; i < MM_ARRAY_LEN(shown); i++) {
			if (!values[i])
				continue;
			if (md) {
				fprintf(fp, "| %s | ", shown[i].label);
				md_cell(fp, values[i], true);
				fputs(" | ", fp);
				md_cell(fp, notes[i] ? notes[i] : "", false);
				fputs(" |\n", fp);
				continue;
			}
			fprintf(fp, "%-18s ", shown[i].label);
			fput_clean(fp, values[i], false);
			fputc('\n', fp);
			if (notes[i]) {
				char *n = sanitize(notes[i], false);
				fprintf(fp, "%-18s   %s\n", "", n);
				free(n);
			}
		}
		if (nx.rule) {
			if (!md)
				fprintf(fp, "\nthis failure points to:\n");
			next_print(fp, &nx, md, cl != NULL);
		} else if (h.no_flow) {
			fprintf(fp, "\n%s%s (meshmedic help response-flags)\n", md ? "" : "this failure: ",
			        h.no_flow);
		} else
			fprintf(fp, "\n%s\n",
			        al_failure(&r) ? "a failure that no flow covers yet "
			                         "(meshmedic help response-flags)"
			                       : "no failure");
	}
	al_handover_free(&h);
	for (size_t i = 0; i < MM_ARRAY_LEN(shown); i++) {
		free(values[i]);
		free(notes[i]);
	}
	free(nx.command);
	free(svc);
	free(ns);
	return 0;
}

int cmd_logs(struct ctx *c, int argc, char **argv)
{
	if (argc > 2)
		return usage_error("logs reads one FILE, not '%s' as well", argv[2]);
	const char *file = argc > 1 ? argv[1] : NULL;
	if (c->o.explain && (file || c->o.pod))
		return usage_error("--explain takes the line itself, without FILE or --pod");
	if (file && c->o.pod)
		return usage_error("logs reads FILE or --pod POD, not both");
	if (c->o.pod && !c->o.snapshot && !c->o.live)
		return usage_error(
		    "--pod reads the log through the cluster: add --live or --snapshot DIR");
	bool failed = false;
	/* the log format comes from a real cluster state only, not from --prometheus alone */
	struct cluster *cl = c->o.pod                         ? open_cluster(c)
			     : c->o.snapshot || c->o.live ? open_cluster_opt(c, &failed)
							  : NULL;
	if ((c->o.pod && !cl) || failed)
		return 2;
	struct al_parser p;
	char *err = NULL;
	int rc;
	if (!al_parser_for_cluster(&p, cl, c->o.log_format, &err)) {
		rc = usage_error("%s", err);
		free(err);
	} else {
		rc = c->o.explain ? explain(c, cl, &p, c->o.explain) : tally(c, cl, &p, file);
		al_parser_free(&p);
	}
	cluster_free(cl);
	return rc;
}
