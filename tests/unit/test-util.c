/* Names, sanitising and the error list. */
#include "tap.h"
#include "base/util.h"

int main(void)
{
	struct {
		const char *s;
		int label, subdomain, host;
	} names[] = {
		{"default", 1, 1, 1},       {"istio-system", 1, 1, 1}, {"a", 1, 1, 1},
		{"-bad", 0, 0, 0},          {"bad-", 0, 0, 0},         {"Caps", 0, 0, 1},
		{"a.b", 0, 1, 1},           {"", 0, 0, 0},             {"a_b", 0, 0, 0},
		{"*.example.com", 0, 0, 1}, {"a;rm -rf /", 0, 0, 0},   {"a..b", 0, 0, 0},
		{"--context=x", 0, 0, 0},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(names); i++) {
		ok(is_dns1123_label(names[i].s) == names[i].label, "label '%s'", names[i].s);
		ok(is_dns1123_subdomain(names[i].s) == names[i].subdomain, "subdomain '%s'",
		   names[i].s);
		ok(is_dns_host(names[i].s) == names[i].host, "host '%s'", names[i].s);
	}
	char long_label[65];
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	ok(!is_dns1123_label(long_label), "a 64-character label is too long");
	long_label[63] = '\0';
	ok(is_dns1123_label(long_label), "a 63-character label is fine");

	/* Kubernetes bounds a subdomain (a pod name) by its length only: 253 in all */
	char name[300];
	memset(name, 'p', 254);
	name[254] = '\0';
	ok(!is_dns1123_subdomain(name), "a 254-character pod name is too long");
	name[253] = '\0';
	ok(is_dns1123_subdomain(name), "a 253-character pod name is fine");
	name[100] = '\0';
	ok(is_dns1123_subdomain(name), "a 100-character pod name without dots is fine");
	ok(!is_dns_host(name) && !is_dns_name(name), "a host keeps DNS's 63 characters per label");
	ok(is_dns_name("a.b-c.d") && !is_dns_name("A.b") && !is_dns_name("a."), "DNS names");
	ok(is_dns_host("*") && is_dns_host("*.Example.com") && !is_dns_host("a.*.com") &&
	       !is_dns_host("-a.com") && !is_dns_host("a b"),
	   "hosts: '*', a leading '*.', any case");
	ok(is_object_ref("istio-system/main-gw") && is_object_ref("main.gw") &&
	       !is_object_ref("Istio/gw") && !is_object_ref("a/b/c") && !is_object_ref("/gw") &&
	       !is_object_ref("ns/") && !is_object_ref("-gw") && !is_object_ref("ns/--x"),
	   "object references NAMESPACE/NAME or NAME");

	struct {
		const char *s, *name, *ns;
	} fqdns[] = {
	    {"reviews.default.svc.cluster.local", "reviews", "default"},
	    {"reviews.default.svc", "reviews", "default"},
	    {"reviews.default", "reviews", "default"},
	    {"reviews", NULL, NULL},
	    {"reviews.default.svc.corp.example", NULL, NULL},
	    {"reviews.default.cluster.local", NULL, NULL},
	    {"reviews.default.svc.cluster.local.", NULL, NULL},
	    {"Reviews.default", NULL, NULL},
	    {"reviews.-x", NULL, NULL},
	    {"reviews..svc", NULL, NULL},
	    {".default", NULL, NULL},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(fqdns); i++) {
		char *n = (char *)"x", *m = (char *)"x";
		bool got = service_fqdn_split(fqdns[i].s, &n, &m);
		ok(got == (fqdns[i].name != NULL), "service DNS name '%s' %s", fqdns[i].s,
		   fqdns[i].name ? "taken apart" : "refused");
		if (fqdns[i].name) {
			is_str(n, fqdns[i].name, "  its Service");
			is_str(m, fqdns[i].ns, "  its namespace");
		} else
			ok(!n && !m, "  nothing returned");
		free(n);
		free(m);
	}

	ok(is_mm_id("503") && is_mm_id("dr-tls-conflict") && is_mm_id("UF_URX.v2"), "ids");
	ok(!is_mm_id("a:b") && !is_mm_id("-a") && !is_mm_id("") && !is_mm_id("a b"), "bad ids");

	char *s = sanitize("pod\033[2J\x07name\xc2\x9b", false);
	is_str(s, "pod?[2J?name??", "escape sequences, bells and C1 controls are neutralised");
	free(s);
	s = sanitize("caf\xc3\xa9 \xff\xfe line1\nline2\t.", true);
	is_str(s, "caf\xc3\xa9 ?? line1\nline2\t.", "UTF-8 kept, invalid bytes replaced");
	free(s);
	s = sanitize("a\nb", false);
	is_str(s, "a?b", "newlines dropped in one-line mode");
	free(s);
	s = sanitize("\xed\xa0\x80", false);
	is_str(s, "???", "UTF-16 surrogates are not valid UTF-8");
	free(s);

	struct mm_errors e = {0};
	errs_add(&e, "b.json", 3, 1, "second");
	errs_add(&e, "a.json", 10, 2, "third");
	errs_add(&e, "a.json", 2, 5, "first %d", 1);
	errs_add(&e, "c.json", 0, 0, "no position");
	errs_sort(&e);
	char *f = err_format(&e.v[0]);
	is_str(f, "a.json:2:5: first 1", "errors sort by file, then line");
	free(f);
	f = err_format(&e.v[3]);
	is_str(f, "c.json: no position", "an error without a line names the file only");
	free(f);
	errs_free(&e);

	struct sbuf b;
	sb_init(&b);
	for (int i = 0; i < 1000; i++)
		sb_printf(&b, "%d,", i);
	ok(b.len == 3890 && strncmp(b.s, "0,1,2,", 6) == 0, "the buffer grows");
	sb_free(&b);
	return done_testing();
}
