/* istioctl proxy-status in each format it has had, field by field; garbage is refused. */
#include "cluster/proxystatus.h"
#include "tap.h"

/* One expected row, in struct order. */
struct want {
	const char *pod, *ns, *cds, *lds, *eds, *rds, *ecds, *istiod, *version;
};

static void is_row(const struct proxy_status *r, const struct want *w, const char *label)
{
	static const char *const fields[] = {"pod", "ns",   "cds",    "lds",    "eds",
	                                     "rds", "ecds", "istiod", "version"};
	const char *got[] = {r->pod, r->ns,   r->cds,    r->lds,    r->eds,
	                     r->rds, r->ecds, r->istiod, r->version};
	const char *want[] = {w->pod, w->ns,   w->cds,    w->lds,    w->eds,
	                      w->rds, w->ecds, w->istiod, w->version};
	for (size_t i = 0; i < MM_ARRAY_LEN(fields); i++)
		is_str(got[i], want[i], "%s: %s", label, fields[i]);
}

static char *fixture(const char *name)
{
	char *path = xasprintf("%s/tests/data/proxy-status/%s", top_srcdir(), name);
	size_t len;
	char *text = read_file(path, &len);
	if (!text)
		printf("# cannot read %s\n", path);
	free(path);
	return text;
}

/* Parse a fixture and compare every row with want. */
static void check_fixture(const char *name, const struct want *want, size_t nwant)
{
	char *text = fixture(name), *err = NULL;
	struct proxy_status *rows = NULL;
	size_t n = 0;
	bool parsed = text && proxy_status_parse(text, &rows, &n, &err);
	if (!ok(parsed, "%s parses", name))
		printf("#   error: %s\n", err ? err : "(none)");
	if (!ok(n == nwant, "%s: %zu rows", name, nwant))
		printf("#   got %zu\n", n);
	for (size_t i = 0; i < n && i < nwant; i++) {
		char *label = xasprintf("%s row %zu", name, i + 1);
		is_row(&rows[i], &want[i], label);
		free(label);
	}
	proxy_status_rows_free(rows, n);
	free(err);
	free(text);
}

/* Parse inline text; returns the rows (caller frees) or NULL with *err. */
static struct proxy_status *parse_text(const char *text, size_t *n, char **err)
{
	struct proxy_status *rows = NULL;
	*n = 0;
	*err = NULL;
	if (!proxy_status_parse(text, &rows, n, err)) {
		free(rows);
		return NULL;
	}
	return rows;
}

static void check_garbage(const char *label, const char *text, const char *err_part)
{
	struct proxy_status *rows = NULL;
	size_t n = 7;
	char *err = NULL;
	bool parsed = proxy_status_parse(text, &rows, &n, &err);
	ok(!parsed, "%s is refused", label);
	ok(rows == NULL && n == 7, "%s: rows untouched", label);
	if (!ok(err && strstr(err, err_part), "%s: error says '%s'", label, err_part))
		printf("#   error: %s\n", err ? err : "(none)");
	free(err);
	free(rows);
}

static void classic_tables(void)
{
	const char *i1 = "istiod-6cf8d4f9cb-wm7x6", *i2 = "istiod-6cf8d4f9cb-x9z2q";
	const struct want t17[] = {
	    {"details-v1-558b8b4b76-qzqsg", "default", "SYNCED", "SYNCED", "SYNCED", "SYNCED", NULL,
	     i1, "1.7.3"},
	    {"istio-ingressgateway-66c994c45c-cmb7x", "istio-system", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", NULL, i1, "1.7.3"},
	    {"productpage-v1-6987489c74-nc7tj", "default", "SYNCED", "SYNCED", "SYNCED", "STALE",
	     NULL, i1, "1.7.3"},
	    {"reviews-v2-7d79d5bd5d-tj6kf", "default", "STALE", "SYNCED", "SYNCED", "SYNCED", NULL,
	     i2, "1.7.3"},
	    {"web.frontend-5d8f9c7b6-x2k9l", "shop", "SYNCED", "SYNCED", "SYNCED", "SYNCED", NULL,
	     i2, "1.7.2*"},
	};
	check_fixture("table-1.7.txt", t17, MM_ARRAY_LEN(t17));

	const char *p1 = "istio-pilot-75bdf98789-tfdvh";
	const struct want t11[] = {
	    {"details-v1-6dcc6fbb9d-wsjz4", "default", "SYNCED", "SYNCED", "SYNCED", "SYNCED", NULL,
	     p1, "1.1.2"},
	    {"istio-egressgateway-c49694485-l9d5l", "istio-system", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", NULL, p1, "1.1.2"},
	    {"productpage-v1-6c886ff494-hm7zk", "default", "STALE", "SYNCED", "SYNCED", "STALE",
	     NULL, "istio-pilot-75bdf98789-n2kqh", "1.1.2"},
	};
	check_fixture("table-1.1-pilot.txt", t11, MM_ARRAY_LEN(t11));

	const char *j = "istiod-66fcf48747-dgtmr";
	const struct want t21[] = {
	    {"reviews-v1-69dbff5b64-kqsh6", "bookinfo", "SYNCED", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", j, "1.21.1"},
	    {"reviews-v2-6cbbd5c5bb-lghft", "bookinfo", "SYNCED", "SYNCED", "STALE", "SYNCED",
	     "NOT SENT", j, "1.21.1"},
	};
	check_fixture("table-1.21.txt", t21, MM_ARRAY_LEN(t21));

	const char *k = "istiod-5df86c949f-lsw54";
	const struct want t22[] = {
	    {"details-v1-65cfcf56f9-4dxnp", "bookinfo", "SYNCED", "SYNCED", "SYNCED", "SYNCED",
	     "IGNORED", k, "1.22.3"},
	    {"istio-ingressgateway-64b44c89cd-hnzgz", "istio-system", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", "IGNORED", k, "1.22.3"},
	    {"ratings-v1-5dc79b6bcd-2zbpr", "bookinfo", "SYNCED", "ERROR", "SYNCED", "SYNCED",
	     "IGNORED", k, "1.22.3"},
	    {"reviews-v3-5bbb9fcb47-7vwfh", "bookinfo", "STALE", "STALE", "SYNCED", "STALE",
	     "IGNORED", "istiod-5df86c949f-q8k2m", "1.21.4"},
	    /* CLUSTER is blank for ztunnel: the columns after it must not shift */
	    {"ztunnel-jbjg2", "istio-system", "IGNORED", "IGNORED", "IGNORED", "IGNORED", "IGNORED",
	     k, "1.22.3"},
	    /* cut off after RDS: the missing columns stay NULL */
	    {"zz-truncated-7f9c6d8b5-abcde", "legacy", "SYNCED", "SYNCED", "SYNCED", "SYNCED", NULL,
	     NULL, NULL},
	};
	check_fixture("table-1.22.txt", t22, MM_ARRAY_LEN(t22));

	const struct want tns[] = {
	    {"httpbin-7d9c5f4b8-2xk4p", "default", "SYNCED", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", k, "1.24.0"},
	    {"api.v2-6b7f9c8d5-kq2ls", "payments", "SYNCED", "STALE", "SYNCED", "SYNCED",
	     "NOT SENT", k, "1.24.0"},
	};
	check_fixture("table-namespace-column.txt", tns, MM_ARRAY_LEN(tns));

	const struct want tre[] = {
	    {"istio-proxy-abc", "prod", "SYNCED", "SYNCED", "SYNCED", "SYNCED", "IGNORED",
	     "istiod-1234abcd", "1.25.0"},
	    {"sidecar-1", "istio-ns", "SYNCED", "STALE", "SYNCED", "NOT SENT", "IGNORED",
	     "istiod-1234abcd", "1.25.0"},
	};
	check_fixture("table-respaced.txt", tre, MM_ARRAY_LEN(tre));
}

static void new_tables(void)
{
	const char *l = "istiod-7d4f74889d-mb5dh";
	/* no sync status in the default table; only types left out of the list are known */
	const struct want t27[] = {
	    {"bookinfo-gateway-istio-cf89b9c8f-f5p77", "default", NULL, NULL, NULL, NULL, "IGNORED",
	     l, "1.27.1"},
	    {"istio-egressgateway-7f8c9d6b5-t4lqz", "istio-system", NULL, NULL, NULL, "IGNORED",
	     "IGNORED", l, "1.27.1"},
	    {"productpage-v1-5fb5d4c744-w5nxx", "bookinfo", NULL, NULL, NULL, NULL, "IGNORED", l,
	     "1.27.1"},
	    {"ztunnel-7z764", "istio-system", "IGNORED", "IGNORED", "IGNORED", "IGNORED", "IGNORED",
	     l, "1.27.1"},
	};
	check_fixture("table-1.27.txt", t27, MM_ARRAY_LEN(t27));

	const struct want t27v[] = {
	    {"productpage-v1-5fb5d4c744-w5nxx", "bookinfo", "SYNCED", "SYNCED", "SYNCED", "STALE",
	     "IGNORED", l, "1.27.1"},
	    {"ztunnel-7z764", "istio-system", "IGNORED", "IGNORED", "IGNORED", "IGNORED", "IGNORED",
	     l, "1.27.1"},
	};
	check_fixture("table-1.27-verbose.txt", t27v, MM_ARRAY_LEN(t27v));
}

static void json_formats(void)
{
	const char *m = "istiod-6ff484f8d7-jwg87";
	const struct want j1[] = {
	    {"productpage-v1-5fb5d4c744-w5nxx", "bookinfo", "STALE", "SYNCED", "SYNCED", "NOT SENT",
	     "IGNORED", m, "1.30.0"},
	    {"api.v2-6b7f9c8d5-kq2ls", "payments", "SYNCED", "ERROR", "SYNCED", "SYNCED", "IGNORED",
	     m, "1.29.2"},
	    {"ztunnel-7z764", "istio-system", "IGNORED", "IGNORED", "IGNORED", "IGNORED", "IGNORED",
	     m, "1.30.0"},
	};
	check_fixture("json-1.30.json", j1, MM_ARRAY_LEN(j1));

	const struct want j2[] = {
	    {"details-v1-65cfcf56f9-4dxnp", "bookinfo", "SYNCED", "SYNCED", "SYNCED", "SYNCED",
	     "IGNORED", m, "1.30.0"},
	    {"reviews-v1-69dbff5b64-kqsh6", "bookinfo", "SYNCED", "SYNCED", "NOT SENT", "STALE",
	     "IGNORED", "istiod-6ff484f8d7-q2mzl", "1.30.0"},
	};
	check_fixture("json-1.30-two-istiods.json", j2, MM_ARRAY_LEN(j2));

	const struct want sz[] = {
	    {"reviews-v2-7bf8c9648f-5hs6s", "bookinfo", "SYNCED", "SYNCED", "SYNCED", "STALE",
	     "NOT SENT", NULL, "1.10.0"},
	    {"istio-egressgateway-669785ffb4-sm4kj", "istio-system", "SYNCED", "SYNCED", "SYNCED",
	     "NOT SENT", "NOT SENT", NULL, "1.10.0"},
	};
	check_fixture("syncz.json", sz, MM_ARRAY_LEN(sz));

	/* no controlPlane, an older istiod's per-type xdsConfig, and an array of responses */
	size_t n;
	char *err;
	struct proxy_status *rows =
	    parse_text("[{\"resources\": [{\"@type\": "
	               "\"type.googleapis.com/envoy.service.status.v3.ClientConfig\",\n"
	               "  \"node\": {\"id\": \"web-0.shop\"},\n"
	               "  \"xdsConfig\": [{\"status\": \"SYNCED\", \"clusterConfig\": {}},\n"
	               "                {\"status\": \"STALE\", \"routeConfig\": {}},\n"
	               "                {\"listenerConfig\": {}}]}]}]\n",
	               &n, &err);
	ok(rows && n == 1, "array of responses, legacy xdsConfig");
	if (rows && n == 1) {
		const struct want w = {"web-0", "shop", "SYNCED", "IGNORED", NULL,
		                       "STALE", NULL,   NULL,     NULL};
		is_row(&rows[0], &w, "legacy xdsConfig");
	}
	proxy_status_rows_free(rows, n);

	/* syncz keyed by istiod */
	rows = parse_text("{\"istiod-a\": [{\"proxy\": \"p-1.ns1\", \"cluster_sent\": \"x\", "
	                  "\"cluster_acked\": \"x\"}], \"istiod-b\": []}",
	                  &n, &err);
	ok(rows && n == 1, "syncz entries keyed by istiod");
	if (rows && n == 1) {
		is_str(rows[0].istiod, "istiod-a", "the key names the istiod");
		is_str(rows[0].cds, "SYNCED", "sent == acked is SYNCED");
		is_str(rows[0].lds, "NOT SENT", "nothing sent is NOT SENT");
	}
	proxy_status_rows_free(rows, n);

	rows = parse_text("[]\n", &n, &err);
	ok(err == NULL && n == 0 && rows == NULL,
	   "an empty syncz array is no proxies, not an error");
	proxy_status_rows_free(rows, n);
}

static void odd_text(void)
{
	size_t n;
	char *err;
	/* CRLF, a header with trailing spaces, then a second table (another istioctl run) */
	struct proxy_status *rows = parse_text(
	    "NAME                 CDS        LDS        EDS        RDS        ISTIOD     VERSION   "
	    "\r\n"
	    "a-1.ns1              SYNCED     STALE      SYNCED     SYNCED     istiod-x   1.9.0\r\n"
	    "\r\n"
	    "NAME       CLUSTER     CDS        LDS        EDS        RDS        ECDS      ISTIOD   "
	    "  "
	    "VERSION\r\n"
	    "b-2.ns2    c1          ERROR      SYNCED     SYNCED     SYNCED     SYNCED    istiod-y "
	    "  "
	    "1.20.1\r\n",
	    &n, &err);
	ok(rows && n == 2, "CRLF and a repeated header");
	if (rows && n == 2) {
		const struct want a = {"a-1",    "ns1", "SYNCED",   "STALE", "SYNCED",
		                       "SYNCED", NULL,  "istiod-x", "1.9.0"};
		const struct want b = {"b-2",    "ns2",    "ERROR",    "SYNCED", "SYNCED",
		                       "SYNCED", "SYNCED", "istiod-y", "1.20.1"};
		is_row(&rows[0], &a, "first table");
		is_row(&rows[1], &b, "second table");
	}
	proxy_status_rows_free(rows, n);

	/* a bracketed log line is not JSON: the table after it still counts */
	rows = parse_text(
	    "[warn] could not reach istiod-2, showing partial results\n"
	    "NAME        CDS        LDS        EDS        RDS        ISTIOD     VERSION\n"
	    "c-3.ns3     SYNCED     SYNCED     SYNCED     SYNCED     istiod-x   1.9.0\n",
	    &n, &err);
	ok(rows && n == 1 && strcmp(rows[0].pod, "c-3") == 0, "a [warn] line before the header");
	proxy_status_rows_free(rows, n);

	/* a byte order mark before the header; a syncz entry without a name is skipped */
	rows =
	    parse_text("\xef\xbb\xbfNAME      CDS        LDS        EDS        RDS        ISTIOD\n"
	               "f-6.ns6   SYNCED     SYNCED     SYNCED     SYNCED     istiod-x\n",
	               &n, &err);
	ok(rows && n == 1 && strcmp(rows[0].ns, "ns6") == 0, "a byte order mark before the header");
	proxy_status_rows_free(rows, n);
	rows = parse_text("[{\"proxy\": \"\"}, {\"proxy\": \"g-7.ns7\"}]", &n, &err);
	ok(rows && n == 1 && strcmp(rows[0].pod, "g-7") == 0, "a syncz entry without a name");
	proxy_status_rows_free(rows, n);

	/* a header alone: no proxies, still proxy-status output */
	rows =
	    parse_text("NAME     CLUSTER     ISTIOD     VERSION     SUBSCRIBED TYPES\n", &n, &err);
	ok(err == NULL && n == 0, "a header without rows is zero rows");
	proxy_status_rows_free(rows, n);

	/* a list cut short says nothing of the types not shown; 0 types means none subscribed */
	rows = parse_text("NAME       CLUSTER   ISTIOD     VERSION   SUBSCRIBED TYPES\n"
	                  "d-4.ns4    c1        istiod-x   1.28.0    7 (CDS,LDS,EDS,...)\n"
	                  "e-5.ns5    c1        istiod-x   1.28.0    0\n",
	                  &n, &err);
	ok(rows && n == 2, "subscribed types, cut short and empty");
	if (rows && n == 2) {
		ok(!rows[0].rds && !rows[0].ecds, "a cut list infers nothing");
		is_str(rows[1].cds, "IGNORED", "no types subscribed: CDS IGNORED");
		is_str(rows[1].ecds, "IGNORED", "no types subscribed: ECDS IGNORED");
	}
	proxy_status_rows_free(rows, n);

	/* rows are appended to what is there */
	struct proxy_status *all = NULL;
	size_t total = 0;
	char *t1 = fixture("table-1.21.txt"), *t2 = fixture("syncz.json");
	ok(t1 && t2 && proxy_status_parse(t1, &all, &total, &err) &&
	       proxy_status_parse(t2, &all, &total, &err),
	   "two parses into one array");
	ok(total == 4, "rows appended: 2 + 2");
	if (total == 4) {
		is_str(all[0].pod, "reviews-v1-69dbff5b64-kqsh6", "first parse's rows kept");
		is_str(all[3].pod, "istio-egressgateway-669785ffb4-sm4kj",
		       "second parse's rows after");
	}
	proxy_status_rows_free(all, total);
	free(t1);
	free(t2);
}

static void garbage(void)
{
	const char *files[][2] = {
	    {"garbage-kubectl-pods.txt", "no proxy-status header line"},
	    {"garbage-sync-diff.txt", "no proxy-status header line"},
	    {"garbage-binary.txt", "no proxy-status header line"},
	    {"garbage-no-proxies.txt", "no proxies found (checked 1 istiods)"},
	    {"garbage.json", "JSON line 1: neither xDS responses"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(files); i++) {
		char *text = fixture(files[i][0]);
		check_garbage(files[i][0], text ? text : "", files[i][1]);
		free(text);
	}
	check_garbage("empty text", "", "no proxy-status header line");
	check_garbage("blank lines", "  \n\n \n", "no proxy-status header line");
	check_garbage("NULL text", NULL, "no proxy-status output");
	check_garbage("truncated JSON", "{\"resources\": [\n", "JSON line 2");
	check_garbage("JSON of numbers", "[1, 2, 3]", "neither xDS responses");
	check_garbage("empty JSON object", "{}", "neither xDS responses");
	check_garbage("text after JSON", "[]\nthen some words\n", "unexpected text after the JSON");
	check_garbage("an Error line with escapes", "Error: \033[31mboom\033[0m\n", "?[31mboom");
}

static void worst(void)
{
	struct proxy_status r = {0};
	ok(proxy_status_worst(&r) == NULL, "no statuses: NULL");
	r.cds = "IGNORED";
	ok(proxy_status_worst(&r) == NULL, "IGNORED only: NULL");
	r.lds = "SYNCED";
	is_str(proxy_status_worst(&r), "SYNCED", "SYNCED");
	r.eds = "NOT SENT";
	is_str(proxy_status_worst(&r), "NOT SENT", "NOT SENT over SYNCED");
	r.ecds = "STALE";
	is_str(proxy_status_worst(&r), "STALE", "STALE over NOT SENT");
	r.rds = "ERROR";
	is_str(proxy_status_worst(&r), "ERROR", "ERROR over STALE");
	r.rds = NULL;
	r.cds = "ERROR";
	is_str(proxy_status_worst(&r), "ERROR", "ERROR in any column");
}

/* What snapshot writes for syncz's rows reads back as the same rows. */
static void format_round_trip(void)
{
	struct proxy_status in[] = {
	    {"productpage-v1-abc", "default", "SYNCED", "SYNCED", "SYNCED", "STALE", "NOT SENT",
	     "istiod-1", "1.22.3"},
	    {"reviews-v2-xyz", "shop", NULL, "ERROR", NULL, NULL, NULL, NULL, NULL},
	    /* a newline and a run of spaces from outside must not break the table */
	    {"odd-pod", "shop", "SYNCED", "SYNCED", "SYNCED", "SYNCED", "IGNORED", "istiod\n  x",
	     "1.2  3"},
	};
	char *text = proxy_status_format(in, 3);
	struct proxy_status *rows = NULL;
	size_t n = 0;
	char *err = NULL;
	bool parsed = proxy_status_parse(text, &rows, &n, &err);
	ok(parsed && n == 3, "format: the table reads back, 3 rows (%s)", err ? err : "");
	if (parsed && n == 3) {
		is_str(rows[0].pod, "productpage-v1-abc", "format: pod");
		is_str(rows[0].ns, "default", "format: namespace");
		is_str(rows[0].rds, "STALE", "format: RDS");
		is_str(rows[0].ecds, "NOT SENT", "format: a status with a space");
		is_str(rows[0].istiod, "istiod-1", "format: istiod");
		is_str(rows[0].version, "1.22.3", "format: version");
		is_str(rows[1].lds, "ERROR", "format: a row with blank cells keeps its columns");
		ok(rows[1].cds == NULL && rows[1].istiod == NULL && rows[1].version == NULL,
		   "format: blank cells read back as unknown");
		is_str(rows[2].istiod, "istiod__ x", "format: control characters and runs of spaces replaced");
	}
	ok(strchr(text, '\t') == NULL && strstr(text, "NAME ") == text, "format: a header, no tabs");
	proxy_status_rows_free(rows, n);
	free(err);
	free(text);
}

int main(void)
{
	format_round_trip();
	classic_tables();
	new_tables();
	json_formats();
	odd_text();
	garbage();
	worst();
	return done_testing();
}
