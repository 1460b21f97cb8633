/*
 * The Kubernetes API answers the live source reads (src/cluster/live.c),
 * as kubectl printed them: "kubectl get -o json" Lists and objects, stderr
 * (errors, Forbidden, an unreachable cluster) and istioctl proxy-status. The
 * input is fuzz.h's parts: "get KIND" is a get's stdout ("get KIND STATUS"
 * with an exit status), "err" the stderr of the command after it, and
 * "proxy-status" istioctl's output; an input without parts is both the
 * stdout and the stderr of "kubectl get pods". Each answer goes the way
 * live.c's add_items takes it: explained, parsed, added to a cluster.
 */
#include "cluster/cluster.h"
#include "cluster/exec.h"
#include "cluster/live_int.h"
#include "fuzz.h"

static const struct kind_info *kind_named(const char *s, size_t n)
{
	for (size_t i = 0; i < LIVE_NKINDS; i++)
		if (strlen(live_kind_table[i].kind) == n && memcmp(live_kind_table[i].kind, s, n) == 0)
			return &live_kind_table[i];
	return &live_kind_table[1]; /* Pod */
}

/* One command's answer, as add_items takes it. */
static void answer(struct live *l, struct cluster *c, const struct kind_info *ki, int status,
		   const uint8_t *out, size_t out_len, const uint8_t *err, size_t err_len)
{
	struct cmd cmd;
	lv_cmd_get(&cmd, l, ki, NULL);
	struct exec_result r = {.status = status};
	r.out = fuzz_str(out, out_len);
	r.out_len = out_len;
	r.err = fuzz_str(err, err_len);
	char *reason = lv_explain(l, &cmd, &r);
	json_t *items = reason ? NULL : live_parse_items(ki, &cmd, &r, &reason);
	size_t k;
	json_t *it;
	json_array_foreach(items, k, it)
		cluster_add(c, json_incref(it), "kubectl get", 0);
	json_decref(items);
	free(reason);
	free(exec_forbidden(r.err));
	free(exec_fatal_cause(r.err));
	free(r.out);
	free(r.err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct live_opts o = {.context = "fuzz"};
	char *e = NULL;
	struct live *l = live_new(&o, &e);
	struct cluster *c = cluster_new();
	struct fuzz_part parts[FUZZ_MAX_PARTS];
	size_t n = fuzz_parts(data, size, parts);
	if (n == 0)
		answer(l, c, &live_kind_table[1], 0, data, size, data, size);
	for (size_t i = 0; i < n; i++) {
		const struct fuzz_part *p = &parts[i];
		if (p->name_len >= 4 && memcmp(p->name, "get ", 4) == 0) {
			const char *kind = p->name + 4, *sp = memchr(kind, ' ', p->name_len - 4);
			size_t klen = sp ? (size_t)(sp - kind) : p->name_len - 4;
			/* the status digits, within the name (the input has no NUL to stop atoi) */
			int status = 0;
			for (const char *d = sp ? sp + 1 : p->name + p->name_len;
			     d < p->name + p->name_len && *d >= '0' && *d <= '9' && status < 1000; d++)
				status = status * 10 + (*d - '0');
			const struct fuzz_part *err = i + 1 < n && parts[i + 1].name_len == 3 &&
							      memcmp(parts[i + 1].name, "err", 3) == 0
							      ? &parts[++i] : NULL;
			answer(l, c, kind_named(kind, klen), status, p->data, p->len,
			       err ? err->data : (const uint8_t *)"", err ? err->len : 0);
		} else if (p->name_len == 12 && memcmp(p->name, "proxy-status", 12) == 0) {
			char *text = fuzz_str(p->data, p->len), *reason = NULL;
			struct proxy_status *rows;
			size_t nrows;
			if (live_parse_proxy_status(text, &rows, &nrows, &reason))
				cluster_take_proxy_status(c, rows, nrows, "istiod-fuzz");
			free(reason);
			free(text);
		}
	}
	cluster_mesh_config(c);
	cluster_istio_version(c);
	cluster_free(c);
	live_free(l);
	free(e);
	return 0;
}
