/*
 * The Envoy admin API and Prometheus over HTTP, against tests/fake-http on
 * loopback serving recorded answers (tests/data/http/ok) and faults
 * (tests/data/http/bad: a 500, a hang, a closed connection, malformed JSON,
 * an error answer), plus a port where nothing listens; and the 503 flag
 * probe answered from Prometheus (tests/data/http/prom-*). Needs FAKE_HTTP and
 * TOP_SRCDIR in the environment (make check sets them).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/envoy.h"
#include "cluster/http.h"
#include "probes/probe.h"
#include "cluster/prometheus.h"
#include "tap.h"

struct server {
	pid_t pid;
	char url[64];
};

/* Start fake-http on DIR and wait for the port it writes. */
static bool server_start(struct server *s, const char *dir)
{
	char portfile[] = "/tmp/mm-fake-http-XXXXXX";
	int fd = mkstemp(portfile);
	if (fd < 0)
		return false;
	close(fd);
	unlink(portfile);
	s->pid = fork();
	if (s->pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(getenv("FAKE_HTTP"), "fake-http", dir, portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(portfile, "r");
		int port = 0;
		if (f && fscanf(f, "%d", &port) == 1 && port > 0) {
			fclose(f);
			unlink(portfile);
			snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", port);
			return true;
		}
		if (f)
			fclose(f);
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static void server_stop(struct server *s)
{
	kill(-s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
}

/* A port on loopback where nothing listens (bound, then closed). */
static int dead_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &len);
	close(s);
	return ntohs(a.sin_port);
}

static const char *inputs[][2] = {{"namespace", "shop"}, {"service", "reviews"}, {"pod", "web-1"}};

static const char *input(void *ctx, const char *name)
{
	(void)ctx;
	for (size_t i = 0; i < MM_ARRAY_LEN(inputs); i++)
		if (strcmp(inputs[i][0], name) == 0)
			return inputs[i][1];
	return NULL;
}

/* The choices of the node a probe answers, when it reads them (the 503 flow's flag). */
static const char *const *choices;
static size_t nchoices;

/* Run a probe against the cluster: its choice, or "?" with the reason in *why. */
static char *run_probe(struct cluster *c, const char *name, char **why)
{
	const struct probe *p = probe_find(name);
	struct probe_ctx x = {c, input, NULL, choices, nchoices};
	struct probe_result r = {0};
	p->run(&x, &r);
	char *choice = xstrdup(r.choice ? r.choice : "?");
	*why = xstrdup(r.reason ? r.reason : r.evidence.n ? r.evidence.v[0] : "");
	probe_result_free(&r);
	return choice;
}

static void expect_probe(struct cluster *c, const char *name, const char *want, const char *in_why,
			 const char *what)
{
	char *why, *got = run_probe(c, name, &why);
	ok(strcmp(got, want) == 0 && strstr(why, in_why), "%s (%s: %s)", what, got, why);
	free(got);
	free(why);
}

static void test_admin_ok(const char *url)
{
	struct cluster *c = cluster_new();
	cluster_set_envoy_admin(c, url);
	expect_probe(c, "envoy-live", "live", "state LIVE", "server_info: the proxy is LIVE");
	expect_probe(c, "envoy-overflow", "yes", "40 x upstream_rq_pending_overflow",
		     "stats: overflows counted for reviews, subsets included");
	expect_probe(c, "envoy-endpoints", "unhealthy", "0 of 2 endpoints",
		     "clusters: no healthy endpoint (one ejected, one unhealthy)");
	expect_probe(c, "envoy-header-limit", "raised", "96 KiB on 1 of 2",
		     "config_dump: max_request_headers_kb raised on one listener");
	inputs[1][1] = "ratings";
	expect_probe(c, "envoy-overflow", "no", "no overflow", "stats: zero counters are no overflow");
	expect_probe(c, "envoy-endpoints", "healthy", "1 of 1", "clusters: a healthy endpoint");
	inputs[1][1] = "details";
	expect_probe(c, "envoy-overflow", "?", "no cluster for details.shop",
		     "stats: a service the proxy does not know is unknown, not 'no'");
	inputs[1][1] = "reviews";

	struct prom_tally t;
	char *why = NULL;
	cluster_set_prometheus(c, url);
	ok(prom_requests(c, "shop", "reviews", &t, &why), "prometheus: the vector is read");
	const struct prom_row *top = prom_top_flags(&t, "503");
	ok(t.n == 3 && top && strcmp(top->flags, "UO") == 0 && top->requests == 212.5,
	   "prometheus: 503s mostly UO, the NaN sample dropped (%zu rows)", t.n);
	ok(prom_top_flags(&t, "426") == NULL, "prometheus: no 426 at all");
	prom_tally_free(&t);
	free(why);
	why = NULL;
	ok(!prom_requests(c, "shop", "bad\"name", &t, &why) && strstr(why, "invalid"),
	   "prometheus: names are checked before they reach PromQL");
	free(why);
	cluster_free(c);
}

static void test_admin_faults(const char *url)
{
	struct cluster *c = cluster_new();
	cluster_set_envoy_admin(c, url);
	cluster_set_http_timeout(c, 500);
	expect_probe(c, "envoy-live", "?", "HTTP 500", "a 500 is reported with its status");
	expect_probe(c, "envoy-overflow", "?", "no answer within 0.5 s", "a hang ends at the timeout");
	expect_probe(c, "envoy-endpoints", "?", "closed without an answer",
		     "a closed connection is reported");
	expect_probe(c, "envoy-header-limit", "?", "not a JSON object", "malformed JSON is reported");
	struct prom_tally t;
	char *why = NULL;
	cluster_set_prometheus(c, url);
	bool failed = !prom_requests(c, "shop", "reviews", &t, &why);
	ok(failed && strstr(why, "not a successful vector"), "prometheus: an error answer is reported (%s)",
	   why);
	free(why);
	cluster_free(c);

	char dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port());
	c = cluster_new();
	cluster_set_envoy_admin(c, dead);
	cluster_set_prometheus(c, dead);
	expect_probe(c, "envoy-live", "?", "connection refused", "nothing listening: refused");
	why = NULL;
	failed = !prom_requests(c, "shop", "reviews", &t, &why);
	ok(failed && strstr(why, "connection refused"), "prometheus: refused (%s)", why);
	free(why);
	why = NULL;
	cluster_set_prometheus(c, NULL);
	ok(!prom_requests(c, "shop", "reviews", &t, &why) && strstr(why, "--prometheus"),
	   "prometheus: none configured says how to give one");
	free(why);
	cluster_free(c);
}

/*
 * Numbers from outside past what a count holds (tests/data/http/huge):
 * Envoy counters summed past 2^63 saturate instead of wrapping negative, a
 * negative counter makes the probe unknown, and a Prometheus sample of
 * 1.9e19 is refused with a reason instead of converted with undefined
 * behaviour.
 */
static void test_huge_numbers(const char *url)
{
	struct cluster *c = cluster_new();
	cluster_set_envoy_admin(c, url);
	cluster_set_http_timeout(c, 2000);
	inputs[1][1] = "reviews";
	expect_probe(c, "envoy-overflow", "yes", "at least 9007199254740992 x upstream_rq_pending_overflow",
		     "stats: counters summed past 2^63 saturate, never negative");
	inputs[1][1] = "ratings";
	expect_probe(c, "envoy-overflow", "?", "is negative (-5)",
		     "stats: a negative counter is no count and concludes nothing");
	inputs[1][1] = "reviews";
	json_t *stats = json_pack("{s:[{s:s,s:I},{s:s,s:I}]}", "stats", "name", "a.x_overflow", "value",
				  (json_int_t)9223372036854775807LL, "name", "b.x_overflow", "value",
				  (json_int_t)9223372036854775807LL);
	long long sum = 0;
	char *bad = NULL;
	ok(envoy_stat_sum(stats, ".", "_overflow", &sum, &bad) && sum == ENVOY_COUNTER_MAX && !bad,
	   "envoy_stat_sum saturates at 2^53 (%lld)", sum);
	json_decref(stats);
	struct prom_tally t;
	char *why = NULL;
	cluster_set_prometheus(c, url);
	ok(!prom_requests(c, "shop", "reviews", &t, &why) && why && strstr(why, "1.9e19"),
	   "prometheus: a sample of 1.9e19 is refused (%s)", why ? why : "");
	free(why);
	cluster_free(c);
}

/*
 * The 503 flag from Prometheus when no log can be read (a model with no
 * pods): each recorded answer gives the flag, nolog, or an unknown that
 * names both the logs' reason and Prometheus'.
 */
static void test_prom_flag(void)
{
	static const struct {
		const char *dir, *want, *why;
	} cases[] = {
		{"ok", "UO", "UO on 213 of 220 failing requests to reviews in Prometheus"},
		{"prom-quiet", "nolog", "4222 requests to reviews in Prometheus' istio_requests_total "
					"of the last 15m, none failing"},
		{"prom-empty", "?", "Pods: not recorded; Prometheus has no istio_requests_total to "
				    "reviews.shop"},
		{"prom-500", "?", "Pods: not recorded; Prometheus at http://127.0.0.1:"},
		{"prom-malformed", "?", "the answer is not JSON"},
		{"prom-slow", "?", "no answer within 0.5 s"},
		{"bad", "?", "not a successful vector answer"},
	};
	static const char *const flag[] = {"UO", "NR", "NC", "UF", "UH", "UAEX", "reset", "none",
					   "nolog"};
	choices = flag;
	nchoices = MM_ARRAY_LEN(flag);
	for (size_t i = 0; i < MM_ARRAY_LEN(cases); i++) {
		char *dir = xasprintf("%s/tests/data/http/%s", getenv("TOP_SRCDIR"), cases[i].dir);
		struct server s;
		if (!server_start(&s, dir)) {
			ok(false, "prometheus %s: the server starts", cases[i].dir);
			free(dir);
			continue;
		}
		struct cluster *c = cluster_new();
		cluster_set_prometheus(c, s.url);
		cluster_set_http_timeout(c, 500);
		char *what = xasprintf("log-flag from Prometheus: %s", cases[i].dir);
		expect_probe(c, "log-flag", cases[i].want, cases[i].why, what);
		free(what);
		cluster_free(c);
		server_stop(&s);
		free(dir);
	}
	choices = NULL;
	nchoices = 0;
}

/* --envoy-admin without a pod: the port answers; without a URL, a pod is needed. */
static void test_admin_no_pod(const char *url)
{
	const char *pod = inputs[2][1];
	inputs[2][1] = NULL;
	struct cluster *c = cluster_new();
	cluster_set_envoy_admin(c, url);
	ok(cluster_envoy_admin(c) && strcmp(cluster_envoy_admin(c), url) == 0,
	   "the admin URL is recorded");
	expect_probe(c, "envoy-live", "live", "Envoy of the --envoy-admin port: server_info state LIVE",
		     "no pod: the --envoy-admin port answers");
	expect_probe(c, "envoy-overflow", "yes", "40 x upstream_rq_pending_overflow",
		     "no pod: the overflow counters of the port");
	cluster_free(c);
	c = cluster_new();
	ok(!cluster_envoy_admin(c), "no URL unless one is given");
	expect_probe(c, "envoy-live", "?", "no pod given", "no pod and no URL: a pod is asked for");
	cluster_free(c);
	inputs[2][1] = pod;
}

static void test_snapshot_docs(void)
{
	char *dir = xasprintf("%s/demo/snapshot", getenv("TOP_SRCDIR"));
	struct cluster *c = cluster_new();
	cluster_set_snapshot_dir(c, dir);
	const char *why = NULL;
	json_t *info = cluster_envoy_doc(c, "bookinfo", "details-v1-6b746f74dc-9stvs", "server_info",
					 &why);
	ok(info && strcmp(envoy_state(info), "LIVE") == 0, "snapshot: envoy/NS/POD/server_info.json");
	ok(!cluster_envoy_doc(c, "bookinfo", "ratings-v1-6b746f74dc-9stvs", "stats", &why) &&
		   strstr(why, "no Envoy stats of bookinfo/ratings"),
	   "snapshot: a missing document says which");
	ok(!cluster_envoy_doc(c, "bookinfo", "x", "listeners", &why) && strstr(why, "no Envoy admin"),
	   "only the known documents are read");
	cluster_free(c);
	free(dir);
}

int main(void)
{
	if (!getenv("FAKE_HTTP") || !getenv("TOP_SRCDIR")) {
		printf("1..0 # SKIP FAKE_HTTP and TOP_SRCDIR are set by make check\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	char *ok_dir = xasprintf("%s/tests/data/http/ok", getenv("TOP_SRCDIR"));
	char *bad_dir = xasprintf("%s/tests/data/http/bad", getenv("TOP_SRCDIR"));
	char *huge_dir = xasprintf("%s/tests/data/http/huge", getenv("TOP_SRCDIR"));
	struct server good, bad, huge;
	bool up = server_start(&good, ok_dir) && server_start(&bad, bad_dir) &&
		  server_start(&huge, huge_dir);
	ok(up, "the loopback servers start");
	if (up) {
		test_admin_ok(good.url);
		test_admin_faults(bad.url);
		test_admin_no_pod(good.url);
		test_huge_numbers(huge.url);
		server_stop(&good);
		server_stop(&bad);
		server_stop(&huge);
	}
	free(huge_dir);
	test_snapshot_docs();
	test_prom_flag();
	free(ok_dir);
	free(bad_dir);
	return done_testing();
}
