/*
 * The live source. Without arguments: TAP tests of what needs no process
 * (the allow-list, name checks, the wording of failures). With arguments:
 * the driver tests/live.sh runs with stand-in kubectl/istioctl on PATH:
 *
 *   exec TIMEOUT_MS CAP ARGV...            one exec_run
 *   many TIMEOUT_MS CAP ARGV... [, ARGV...] exec_run_many
 *   [OPTS] kinds KIND...                   cluster_has_kind, then cluster_list again
 *   [OPTS] prefetch KIND...                live_prefetch, then cluster_has_kind
 *   [OPTS] log NS POD CONTAINER [previous] cluster_log, twice
 *   [OPTS] ps                              cluster_proxy_status, twice
 *   [OPTS] version                         cluster_istio_version
 *   [OPTS] admin NS POD DOC...             cluster_envoy_doc (port-forward), each twice
 *   [OPTS] snapshot DIR [NS]               live_snapshot
 *   reread DIR                             the snapshot read back with snapshot_open
 * OPTS: -c CONTEXT -k KUBECONFIG -t TIMEOUT_S -m OUT_CAP
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/exec.h"
#include "cluster/live.h"
#include "cluster/snapshot.h"
#include "tap.h"

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- unit tests ---- */

static bool allowed(const char *const argv[])
{
	char *why = NULL;
	bool ok = exec_allowed(argv, &why);
	free(why);
	return ok;
}

static void test_allow_list(void)
{
	static const char *const yes[][8] = {
		{"kubectl", "get", "pods", "-A", "-o", "json"},
		{"kubectl", "logs", "p", "-n", "default", "-c", "istio-proxy"},
		{"kubectl", "version", "-o", "json"},
		{"kubectl", "port-forward", "pod/p", "15000"},
		{"kubectl", "auth", "can-i", "list", "pods"},
		{"kubectl", "get", "pods", "-n", "secrets", "-o", "json"},
		{"kubectl", "get", "pods", "my-secret"},
		{"istioctl", "proxy-status"},
		{"istioctl", "proxy-config", "cluster", "p.default"},
		{"istioctl", "analyze", "-A"},
		{"istioctl", "version"},
		{"istioctl", "x", "describe", "pod", "p"},
		{"istioctl", "x", "authz", "check", "p", "-n", "default"},
	};
	static const char *const no[][8] = {
		{"kubectl", "delete", "pod", "p"},
		{"kubectl", "apply", "-f", "x.yaml"},
		{"kubectl", "exec", "p", "--", "sh"},
		{"kubectl", "edit", "vs", "x"},
		{"kubectl", "-n", "default", "delete", "pod", "p"},
		{"kubectl", "auth", "reconcile", "-f", "x"},
		{"kubectl", "get", "secrets", "-A"},
		{"kubectl", "get", "secret", "x"},
		{"kubectl", "get", "pods,Secrets"},
		{"kubectl", "get", "secret/x"},
		{"kubectl", "get", "pods", "secrets.v1./x"},
		{"kubectl", "get", "-n", "default", "secrets"},
		{"kubectl", "get", "--raw", "/api/v1/secrets"},
		{"kubectl", "get", "pods", "--as=admin"},
		{"kubectl", "get", "pods", "--as", "admin"},
		{"kubectl"},
		{"istioctl", "install", "-y"},
		{"istioctl", "x", "uninstall"},
		{"istioctl", "x", "authz"},
		{"istioctl", "x", "authz", "convert"},
		{"istioctl", "experimental", "describe", "pod", "p"},
		{"istioctl", "kube-inject", "-f", "x"},
		{"/usr/bin/kubectl", "get", "pods"},
		{"sh", "-c", "kubectl get pods"},
		{"helm", "list"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(yes); i++) {
		char *d = exec_describe(yes[i]);
		ok(allowed(yes[i]), "allowed: %s", d);
		free(d);
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(no); i++) {
		char *d = exec_describe(no[i]);
		ok(!allowed(no[i]), "refused: %s %s", d, no[i][2] ? no[i][2] : "");
		free(d);
	}
	char *why = NULL;
	static const char *const del[] = {"kubectl", "delete", "pod", "p", NULL};
	exec_allowed(del, &why);
	is_str(why,
	       "refused to run 'kubectl delete pod p': only kubectl "
	       "get|logs|version|port-forward|auth can-i|config current-context and istioctl "
	       "proxy-status|proxy-config|analyze|version|x describe|x authz check are allowed",
	       "a refusal names the command and what is allowed");
	free(why);
	struct exec_result r;
	static const char *const sec[] = {"kubectl", "get", "secrets", "-A", NULL};
	ok(!exec_run(sec, 1000, 1000, &r) && r.refused && r.status == -1 && r.out && !*r.out,
	   "exec_run refuses without starting anything");
	exec_result_free(&r);
}

/* exec_explain on a made-up result: exit status, stderr, flags. */
static char *explain(int status, const char *err)
{
	static const char *const argv[] = {"kubectl", "get", "pods", "-A", "-o", "json", NULL};
	struct exec_result r = {.status = status, .err = (char *)err, .out = (char *)""};
	return exec_explain(argv, &r, 10000);
}

static void test_explain(void)
{
	static const struct {
		const char *err, *want, *name;
	} cases[] = {
		{"Error from server (Forbidden): pods is forbidden: User \"jane\" cannot list "
		 "resource \"pods\" in API group \"\" at the cluster scope\n",
		 "forbidden: your credentials cannot list pods (ask for get/list on pods)",
		 "Forbidden at the cluster scope"},
		{"Error from server (Forbidden): virtualservices.networking.istio.io is forbidden: "
		 "User \"system:serviceaccount:a:b\" cannot list resource \"virtualservices\" "
		 "in API group \"networking.istio.io\" in the namespace \"shop\"\n",
		 "forbidden: your credentials cannot list virtualservices.networking.istio.io (ask "
		 "for get/list on virtualservices in API group networking.istio.io in namespace "
		 "shop)",
		 "Forbidden on an Istio CRD in a namespace"},
		{"Error from server (Forbidden): pods \"p\" is forbidden: User \"jane\" cannot get "
		 "resource \"pods/log\" in API group \"\" in the namespace \"default\"",
		 "forbidden: your credentials cannot get pods/log (ask for get on pods/log in "
		 "namespace default)",
		 "Forbidden on logs"},
		{"Error from server (Forbidden): pods is forbidden: User \"jane\" cannot list pods "
		 "at the cluster scope",
		 "forbidden: your credentials cannot list pods (ask for get/list on pods)",
		 "Forbidden, the old wording"},
		{"Error from server (Forbidden): access denied by webhook\n",
		 "forbidden: Error from server (Forbidden): access denied by webhook",
		 "Forbidden in another wording"},
		{"E1121 12:00:00.000000   12345 memcache.go:265] couldn't get current server API "
		 "group list: Get \"https://10.0.0.1:6443/api\": dial tcp 10.0.0.1:6443: connect: "
		 "connection refused\nThe connection to the server 10.0.0.1:6443 was refused - did "
		 "you specify the right host or port?\n",
		 "cluster unreachable: The connection to the server 10.0.0.1:6443 was refused - "
		 "did you specify the right host or port?",
		 "connection refused"},
		{"Unable to connect to the server: dial tcp: lookup api.example.com on 1.1.1.1:53: "
		 "no such host\n",
		 "cluster unreachable: Unable to connect to the server: dial tcp: lookup "
		 "api.example.com on 1.1.1.1:53: no such host",
		 "no such host"},
		{"Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout\n",
		 "cluster unreachable: Unable to connect to the server: dial tcp 10.0.0.1:443: i/o "
		 "timeout",
		 "i/o timeout"},
		{"error: You must be logged in to the server (Unauthorized)\n",
		 "unauthorized: the cluster rejected your credentials (You must be logged in to "
		 "the server (Unauthorized))",
		 "Unauthorized"},
		{"error: the server doesn't have a resource type \"virtualservices\"\n",
		 "not found: the server doesn't have a resource type \"virtualservices\"",
		 "a resource type the server lacks"},
		{"Error from server (NotFound): pods \"p\" not found\n",
		 "not found: Error from server (NotFound): pods \"p\" not found", "NotFound"},
		{"\n\nerror: something odd\x1b[31m happened\nmore\n",
		 "kubectl get pods failed (exit 3): something odd?[31m happened",
		 "anything else: the first line, sanitised"},
		{"", "kubectl get pods failed (exit 3): no error message", "no stderr at all"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(cases); i++) {
		char *s = explain(strstr(cases[i].name, "anything") || !*cases[i].err ? 3 : 1,
				  cases[i].err);
		is_str(s, cases[i].want, "%s", cases[i].name);
		free(s);
	}
	static const char *const argv[] = {"kubectl", "get", "pods", "-A", NULL};
	struct exec_result r = {.status = -1, .timed_out = true, .signal = SIGTERM};
	char *s = exec_explain(argv, &r, 10000);
	is_str(s, "timed out after 10 s: kubectl get pods", "timed out");
	free(s);
	s = exec_explain(argv, &r, 1500);
	is_str(s, "timed out after 1.5 s: kubectl get pods", "timed out, fractions of a second");
	free(s);
	r = (struct exec_result){.status = -1, .signal = SIGSEGV};
	s = exec_explain(argv, &r, 10000);
	ok(s && strncmp(s, "kubectl get pods was killed by signal 11 (", 42) == 0,
	   "killed by a signal: %s", s);
	free(s);
	r = (struct exec_result){.status = -1, .truncated = true, .out_len = 1000};
	s = exec_explain(argv, &r, 10000);
	is_str(s, "output too large: kubectl get pods wrote more than 1000 bytes", "too large");
	free(s);
	r = (struct exec_result){.status = 0};
	ok(exec_explain(argv, &r, 10000) == NULL, "success has no explanation");
}

static void test_options(void)
{
	static const struct {
		const char *context, *kubeconfig, *want;
	} bad[] = {
		{"a b", NULL, "invalid --context 'a b'"},
		{"-x", NULL, "invalid --context '-x'"},
		{"--kubeconfig=/etc/passwd", NULL, "invalid --context '--kubeconfig=/etc/passwd'"},
		{"ctx;rm -rf /", NULL, "invalid --context 'ctx;rm -rf /'"},
		{"ctx\n", NULL, "invalid --context 'ctx?'"},
		{"", NULL, "invalid --context ''"},
		{NULL, "-f", "invalid --kubeconfig '-f'"},
		{NULL, "/nonexistent/kubeconfig", "--kubeconfig /nonexistent/kubeconfig: No such"},
		{NULL, "/", "--kubeconfig /: not a regular file"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
		struct live_opts o = {.context = bad[i].context, .kubeconfig = bad[i].kubeconfig};
		char *err = NULL;
		struct cluster *c = live_open(&o, &err);
		ok(!c && err && strncmp(err, bad[i].want, strlen(bad[i].want)) == 0,
		   "refused option: %s", err ? err : "(accepted)");
		cluster_free(c);
		free(err);
	}
	static const char *const good[] = {
		"kind-kind", "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
		"gke_my-project_europe-west1-b_prod", "jane@prod.example.com", "Prod_Cluster+2"};
	for (size_t i = 0; i < MM_ARRAY_LEN(good); i++) {
		struct live_opts o = {.context = good[i], .kubeconfig = "/dev/null"};
		char *err = NULL;
		struct cluster *c = live_open(&o, &err);
		/* /dev/null is not a regular file: only the context is checked here */
		ok(!c && err && strstr(err, "not a regular file"), "context accepted: %s", good[i]);
		free(err);
		o.kubeconfig = NULL;
		c = live_open(&o, &err);
		ok(c != NULL, "context '%s' opens", good[i]);
		cluster_free(c);
	}
	struct live_opts o = {0};
	char *err = NULL;
	struct cluster *c = live_open(&o, &err);
	static const char *const names[][3] = {
		{"Default", "p", "c"},    {"default", "-p", "c"}, {"default", "p", "--previous"},
		{"default", "p;rm", "c"}, {"default", "p", "c.d"}, {"default", "p", ""},
		{"a/b", "p", "c"},        {"default", "../p", "c"},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(names); i++) {
		char *why = NULL;
		char *text = cluster_log(c, names[i][0], names[i][1], names[i][2], false, &why);
		ok(!text && why && strncmp(why, "invalid ", 8) == 0, "log of %s/%s/%s refused: %s",
		   names[i][0], names[i][1], names[i][2], why ? why : "(ran)");
		free(why);
		free(text);
	}
	const char *reason;
	ok(!cluster_has_kind(c, "Secret", &reason) && strcmp(reason, "Secrets are never read") == 0,
	   "Secrets are never read");
	ok(!cluster_has_kind(c, "Widget", &reason) &&
		   strcmp(reason, "the live source does not read Widget") == 0,
	   "a kind the live source does not know");
	cluster_free(c);
	is_str(live_resource("VirtualService"), "virtualservices.v1.networking.istio.io",
	       "Istio kinds are qualified by their group");
	is_str(live_resource("Gateway"), "gateways.v1.networking.istio.io",
	       "Gateway is Istio's, not the Gateway API's");
	ok(live_resource("Secret") == NULL, "no resource for Secret");
	size_t n = 0;
	for (const char *const *k = live_kinds(); *k; k++)
		n += live_resource(*k) != NULL && strcmp(*k, "Secret") != 0;
	ok(n >= 18, "%zu kinds, each with its resource", n);
}

static int unit_tests(void)
{
	/* nothing here may run a real kubectl */
	setenv("PATH", "/nonexistent", 1);
	test_allow_list();
	test_explain();
	test_options();
	return done_testing();
}

/* ---- the driver ---- */

/* How many file descriptors are open (to see that none leaks). */
static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

static void print_result(const char *const argv[], const struct exec_result *r, int timeout_ms,
			 bool ok_, long long ms)
{
	char *why = exec_explain(argv, r, timeout_ms);
	printf("ok=%d status=%d signal=%d timed_out=%d truncated=%d not_found=%d refused=%d "
	       "out_len=%zu ms=%lld\n",
	       ok_, r->status, r->signal, r->timed_out, r->truncated, r->not_found, r->refused,
	       r->out_len, ms);
	printf("why: %s\n", why ? why : "-");
	free(why);
	/* every child must have been reaped: none running, no zombie */
	pid_t left = waitpid(-1, NULL, WNOHANG);
	printf("children_left=%d\n", left != -1);
}

static int drive_exec(bool many, int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int timeout = atoi(argv[0]);
	size_t cap = strtoul(argv[1], NULL, 10);
	int fds = open_fds();
	if (!many) {
		struct exec_result r;
		long long t0 = ms_now();
		bool good = exec_run((const char *const *)argv + 2, timeout, cap, &r);
		print_result((const char *const *)argv + 2, &r, timeout, good, ms_now() - t0);
		exec_result_free(&r);
		printf("fds_leaked=%d\n", open_fds() - fds);
		return 0;
	}
	/* many: commands separated by "," */
	const char *const *cmds[64];
	size_t n = 0;
	cmds[n++] = (const char *const *)argv + 2;
	for (int i = 2; i < argc && n < 64; i++)
		if (strcmp(argv[i], ",") == 0) {
			argv[i] = NULL;
			cmds[n++] = (const char *const *)argv + i + 1;
		}
	struct exec_result r[64];
	long long t0 = ms_now();
	size_t good = exec_run_many(n, cmds, timeout, cap, r);
	long long ms = ms_now() - t0;
	for (size_t i = 0; i < n; i++) {
		print_result(cmds[i], &r[i], timeout, r[i].status == 0 && !r[i].error, ms);
		exec_result_free(&r[i]);
	}
	printf("succeeded=%zu total_ms=%lld\n", good, ms);
	printf("fds_leaked=%d\n", open_fds() - fds);
	return 0;
}

static void print_kind(struct cluster *c, const char *kind)
{
	const char *reason;
	if (cluster_has_kind(c, kind, &reason)) {
		const struct kobj_list *l = cluster_list(c, kind, NULL);
		printf("%s: %zu objects", kind, l->n);
		for (size_t i = 0; i < l->n; i++)
			printf("%s %s/%s", i ? "," : ":", l->v[i]->ns, l->v[i]->name);
		printf("\n");
	} else {
		printf("%s: unavailable: %s\n", kind, reason);
	}
}

/* "proxy-status: N rows", or why it is unavailable. */
static void print_proxy_status(struct cluster *c)
{
	const struct proxy_status *rows;
	size_t n;
	const char *reason;
	if (cluster_proxy_status(c, &rows, &n, &reason))
		printf("proxy-status: %zu rows\n", n);
	else
		printf("proxy-status: unavailable: %s\n", reason);
}

static int drive(int argc, char **argv)
{
	if (strcmp(argv[1], "exec") == 0 || strcmp(argv[1], "many") == 0)
		return drive_exec(strcmp(argv[1], "many") == 0, argc - 2, argv + 2);
	struct live_opts o = {0};
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2)
		switch (argv[i][1]) {
		case 'c': o.context = argv[i + 1]; break;
		case 'k': o.kubeconfig = argv[i + 1]; break;
		case 't': o.timeout_s = atoi(argv[i + 1]); break;
		case 'm': o.out_cap = strtoul(argv[i + 1], NULL, 10); break;
		default: return 2;
		}
	if (i >= argc)
		return 2;
	const char *cmd = argv[i++];
	char *err = NULL;
	if (strcmp(cmd, "snapshot") == 0 && i < argc) {
		const char *ns = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = live_snapshot(&o, argv[i], ns, stdout, &err);
		printf("rc=%d err=%s\n", rc, err ? err : "-");
		free(err);
		return 0;
	}
	if (strcmp(cmd, "reread") == 0 && i < argc) {
		struct mm_errors errs = {0};
		struct cluster *c = snapshot_open(argv[i], &errs);
		errs_print(&errs, stdout);
		errs_free(&errs);
		if (!c)
			return 1;
		for (const char *const *k = live_kinds(); *k; k++)
			print_kind(c, *k);
		print_proxy_status(c);
		const char *v = cluster_istio_version(c);
		printf("istio: %s\n", v ? v : "unknown");
		cluster_free(c);
		return 0;
	}
	struct cluster *c = live_open(&o, &err);
	if (!c) {
		printf("error: %s\n", err);
		free(err);
		return 1;
	}
	if (strcmp(cmd, "kinds") == 0) {
		for (; i < argc; i++) {
			print_kind(c, argv[i]);
			/* asked again: must come from the cache */
			cluster_list(c, argv[i], NULL);
		}
	} else if (strcmp(cmd, "prefetch") == 0) {
		long long t0 = ms_now();
		live_prefetch(c, (const char *const *)argv + i);
		printf("prefetch_ms=%lld\n", ms_now() - t0);
		for (; i < argc; i++)
			print_kind(c, argv[i]);
	} else if (strcmp(cmd, "log") == 0 && i + 2 < argc) {
		bool prev = i + 3 < argc && strcmp(argv[i + 3], "previous") == 0;
		for (int k = 0; k < 2; k++) {
			char *why = NULL;
			char *text = cluster_log(c, argv[i], argv[i + 1], argv[i + 2], prev, &why);
			if (text)
				printf("%s", text);
			else
				printf("unavailable: %s\n", why);
			free(text);
			free(why);
		}
	} else if (strcmp(cmd, "cancelled") == 0 && i + 2 < argc) {
		/* each read cancelled first (Esc, Ctrl-C), then asked again */
		for (int k = 0; k < 2; k++) {
			if (k == 0)
				exec_cancel_all();
			else
				exec_cancel_reset();
			print_kind(c, "Pod");
			char *why = NULL;
			char *text = cluster_log(c, argv[i], argv[i + 1], argv[i + 2], false, &why);
			if (text)
				printf("%s", text);
			else
				printf("log unavailable: %s\n", why);
			free(text);
			free(why);
			print_proxy_status(c);
		}
	} else if (strcmp(cmd, "ps") == 0) {
		for (int k = 0; k < 2; k++) {
			const struct proxy_status *rows;
			size_t n;
			const char *reason;
			if (!cluster_proxy_status(c, &rows, &n, &reason)) {
				printf("unavailable: %s\n", reason);
				continue;
			}
			for (size_t r = 0; r < n; r++)
				printf("%s %s %s %s\n", rows[r].pod, rows[r].ns,
				       rows[r].rds ? rows[r].rds : "-", rows[r].istiod);
		}
	} else if (strcmp(cmd, "admin") == 0 && i + 2 < argc) {
		for (int d = i + 2; d < argc; d++)
			for (int k = 0; k < 2; k++) {
				const char *why = NULL;
				json_t *j = cluster_envoy_doc(c, argv[i], argv[i + 1], argv[d], &why);
				if (j)
					printf("%s: %zu members\n", argv[d], json_object_size(j));
				else
					printf("%s: unavailable: %s\n", argv[d], why);
			}
	} else if (strcmp(cmd, "version") == 0) {
		const char *v = cluster_istio_version(c);
		printf("istio: %s\n", v ? v : "unknown");
		printf("note: %s\n", cluster_istio_version_note(c));
	} else {
		cluster_free(c);
		return 2;
	}
	cluster_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return unit_tests();
	int rc = drive(argc, argv);
	if (rc == 2)
		fprintf(stderr, "test-live: bad arguments (see the comment at the top)\n");
	return rc;
}
