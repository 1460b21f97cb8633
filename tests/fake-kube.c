/*
 * A stand-in for the Kubernetes API server, for the tests that run the real
 * kubectl (tests/live-kubectl.sh, bench/live.sh); loopback and plain HTTP
 * only: fake-kube [-f FAULTS] [-p PODS] DIR PORTFILE.
 *
 * It serves the objects of DIR/resources.json (a fixture snapshot) and the
 * logs of DIR/logs/NS/POD/CONTAINER[.previous].log: discovery (/api, /apis,
 * /api/v1, /apis/GROUP/VERSION, and the aggregated form when the client asks
 * for it), lists across and within namespaces, get, pod logs, /version.
 * -p N adds N generated pods (for the benchmark). The port it listens on
 * goes to PORTFILE; each request line is printed on stdout.
 *
 * FAULTS is read again for every request (so a test switches modes without
 * a restart); one directive a line:
 *   forbid PLURAL...      403 on these resources (list and get, any namespace)
 *   forbid-all PLURAL...  403 on these resources across all namespaces only
 *   forbid-ns NS...       403 on everything in these namespaces
 *   user-ns NS            a namespace-scoped user: reads in NS only; else 403
 *   status CODE           every request (discovery too) answers CODE (401, 500, ...)
 *   status-lists CODE     only the requests for objects and logs
 *   slow MS               wait before every answer
 *   garbage               200 with a body that is not JSON, to every request
 *   garbage-lists         the same, to the requests for objects only
 *   reset                 reset every connection (RST) without an answer
 *   eof                   close every connection without an answer
 *   no-crds               Istio's API groups are not installed
 *   legacy                no aggregated discovery (as servers before 1.26)
 * Each request is answered by a child process; SIGTERM to the process
 * group ends them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The API: what discovery lists and what is served. */
struct res {
	const char *group, *versions, *plural, *singular, *kind;
	bool namespaced, istio;
};
static const struct res api[] = {
	{"", "v1", "namespaces", "namespace", "Namespace", false, false},
	{"", "v1", "pods", "pod", "Pod", true, false},
	{"", "v1", "services", "service", "Service", true, false},
	{"", "v1", "endpoints", "endpoints", "Endpoints", true, false},
	{"", "v1", "configmaps", "configmap", "ConfigMap", true, false},
	{"", "v1", "events", "event", "Event", true, false},
	{"", "v1", "secrets", "secret", "Secret", true, false},
	{"", "v1", "nodes", "node", "Node", false, false},
	{"apps", "v1", "deployments", "deployment", "Deployment", true, false},
	{"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, false},
	{"apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, false},
	{"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, false},
	{"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
	 "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", false, false},
	{"gateway.networking.k8s.io", "v1", "gateways", "gateway", "Gateway", true, false},
	{"gateway.networking.k8s.io", "v1", "httproutes", "httproute", "HTTPRoute", true, false},
	{"networking.istio.io", "v1 v1beta1 v1alpha3", "virtualservices", "virtualservice",
	 "VirtualService", true, true},
	{"networking.istio.io", "v1 v1beta1 v1alpha3", "destinationrules", "destinationrule",
	 "DestinationRule", true, true},
	{"networking.istio.io", "v1 v1beta1 v1alpha3", "gateways", "gateway", "Gateway", true, true},
	{"networking.istio.io", "v1 v1beta1 v1alpha3", "serviceentries", "serviceentry",
	 "ServiceEntry", true, true},
	{"networking.istio.io", "v1 v1beta1 v1alpha3", "sidecars", "sidecar", "Sidecar", true, true},
	{"networking.istio.io", "v1alpha3", "envoyfilters", "envoyfilter", "EnvoyFilter", true, true},
	{"security.istio.io", "v1 v1beta1", "peerauthentications", "peerauthentication",
	 "PeerAuthentication", true, true},
	{"security.istio.io", "v1 v1beta1", "authorizationpolicies", "authorizationpolicy",
	 "AuthorizationPolicy", true, true},
	{"security.istio.io", "v1 v1beta1", "requestauthentications", "requestauthentication",
	 "RequestAuthentication", true, true},
	{"telemetry.istio.io", "v1 v1alpha1", "telemetries", "telemetry", "Telemetry", true, true},
};
#define NAPI (sizeof(api) / sizeof(api[0]))
static const char *const groups[] = {"apps", "admissionregistration.k8s.io",
				     "gateway.networking.k8s.io", "networking.istio.io",
				     "security.istio.io", "telemetry.istio.io"};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static json_t *objects; /* every object of the fixture */
static const char *dir, *faults_path;
static int port;

/* The faults in force for this request. */
struct faults {
	char forbid[1024], forbid_all[1024], forbid_ns[1024], user_ns[254];
	int status, status_lists, slow_ms;
	bool garbage, garbage_lists, reset, eof, no_crds, legacy;
};

static void read_faults(struct faults *f)
{
	memset(f, 0, sizeof(*f));
	FILE *fp = faults_path ? fopen(faults_path, "r") : NULL;
	char line[1024];
	while (fp && fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		else
			arg = line + strlen(line);
		char *list = NULL;
		if (strcmp(line, "forbid") == 0)
			list = f->forbid;
		else if (strcmp(line, "forbid-all") == 0)
			list = f->forbid_all;
		else if (strcmp(line, "forbid-ns") == 0)
			list = f->forbid_ns;
		if (list) {
			snprintf(list, sizeof(f->forbid), " %s ", arg);
			continue;
		}
		if (strcmp(line, "user-ns") == 0)
			snprintf(f->user_ns, sizeof(f->user_ns), "%s", arg);
		else if (strcmp(line, "status") == 0)
			f->status = atoi(arg);
		else if (strcmp(line, "status-lists") == 0)
			f->status_lists = atoi(arg);
		else if (strcmp(line, "slow") == 0)
			f->slow_ms = atoi(arg);
		else if (strcmp(line, "garbage") == 0)
			f->garbage = true;
		else if (strcmp(line, "garbage-lists") == 0)
			f->garbage_lists = true;
		else if (strcmp(line, "reset") == 0)
			f->reset = true;
		else if (strcmp(line, "eof") == 0)
			f->eof = true;
		else if (strcmp(line, "no-crds") == 0)
			f->no_crds = true;
		else if (strcmp(line, "legacy") == 0)
			f->legacy = true;
	}
	if (fp)
		fclose(fp);
}

/* Whether word is in a " a b c " list. */
static bool listed(const char *list, const char *word)
{
	char key[300];
	snprintf(key, sizeof(key), " %s ", word);
	return *list && strstr(list, key) != NULL;
}

/* ---- answering ---- */

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void respond(int fd, int status, const char *type, const char *body, size_t len)
{
	char head[512];
	int h = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);
	send_all(fd, head, (size_t)h);
	send_all(fd, body, len);
}

static void respond_json(int fd, int status, json_t *j, const char *type)
{
	char *s = json_dumps(j, JSON_COMPACT);
	respond(fd, status, type ? type : "application/json", s, strlen(s));
	free(s);
	json_decref(j);
}

/* A metav1.Status error. */
static void respond_status(int fd, int code, const char *reason, const char *msg, const char *kind)
{
	json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s}, s:i}", "kind", "Status",
			       "apiVersion", "v1", "metadata", "status", "Failure", "message", msg,
			       "reason", reason, "details", "kind", kind ? kind : "", "code", code);
	respond_json(fd, code, st, NULL);
}

static void forbidden(int fd, const char *verb, const struct res *r, const char *sub,
		      const char *ns, const char *name)
{
	char msg[1024], res[128], obj[300] = "";
	snprintf(res, sizeof(res), "%s%s%s", r->plural, sub ? "/" : "", sub ? sub : "");
	if (name)
		snprintf(obj, sizeof(obj), " \"%s\"", name);
	char where[300];
	if (ns)
		snprintf(where, sizeof(where), "in the namespace \"%s\"", ns);
	else
		snprintf(where, sizeof(where), "at the cluster scope");
	snprintf(msg, sizeof(msg),
		 "%s%s%s%s is forbidden: User \"jane@example.com\" cannot %s resource \"%s\" in API "
		 "group \"%s\" %s",
		 r->plural, *r->group ? "." : "", r->group, obj, verb, res, r->group, where);
	respond_status(fd, 403, "Forbidden", msg, r->plural);
}

/* The resources of one group version. */
static json_t *resource_list(const char *group, const char *version, bool no_crds)
{
	json_t *rs = json_array();
	for (size_t i = 0; i < NAPI; i++) {
		const struct res *r = &api[i];
		if (strcmp(r->group, group) != 0 || (no_crds && r->istio))
			continue;
		char vs[64];
		snprintf(vs, sizeof(vs), " %s ", r->versions);
		if (!listed(vs, version))
			continue;
		json_array_append_new(rs, json_pack("{s:s, s:s, s:b, s:s, s:[s,s]}", "name", r->plural,
						    "singularName", r->singular, "namespaced",
						    r->namespaced, "kind", r->kind, "verbs", "get",
						    "list"));
		if (strcmp(r->plural, "pods") == 0)
			json_array_append_new(rs, json_pack("{s:s, s:s, s:b, s:s, s:[s]}", "name",
							    "pods/log", "singularName", "",
							    "namespaced", true, "kind", "Pod",
							    "verbs", "get"));
	}
	return rs;
}

/* The versions a group serves, preferred first ("v1 v1beta1"), or NULL. */
static const char *group_versions(const char *group, bool no_crds)
{
	const char *best = NULL;
	for (size_t i = 0; i < NAPI; i++)
		if (strcmp(api[i].group, group) == 0 && !(no_crds && api[i].istio) &&
		    (!best || strlen(api[i].versions) > strlen(best)))
			best = api[i].versions;
	return best;
}

/* One group in the aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscovery). */
static json_t *aggregated_group(const char *group, bool no_crds)
{
	const char *vs = group_versions(group, no_crds);
	if (!vs)
		return NULL;
	json_t *versions = json_array();
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", vs);
	for (char *v = strtok(buf, " "); v; v = strtok(NULL, " ")) {
		json_t *rs = json_array();
		for (size_t i = 0; i < NAPI; i++) {
			const struct res *r = &api[i];
			char have[64];
			snprintf(have, sizeof(have), " %s ", r->versions);
			if (strcmp(r->group, group) != 0 || (no_crds && r->istio) ||
			    !listed(have, v))
				continue;
			json_t *e = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:[s,s]}",
					      "resource", r->plural, "responseKind", "group",
					      r->group, "version", v, "kind", r->kind, "scope",
					      r->namespaced ? "Namespaced" : "Cluster",
					      "singularResource", r->singular, "verbs", "get",
					      "list");
			if (strcmp(r->plural, "pods") == 0)
				json_object_set_new(
					e, "subresources",
					json_pack("[{s:s, s:{s:s, s:s, s:s}, s:[s]}]", "subresource",
						  "log", "responseKind", "group", "", "version",
						  "v1", "kind", "Pod", "verbs", "get"));
			json_array_append_new(rs, e);
		}
		json_array_append_new(versions, json_pack("{s:s, s:o, s:s}", "version", v,
							  "resources", rs, "freshness", "Current"));
	}
	return json_pack("{s:{s:s}, s:o}", "metadata", "name", group, "versions", versions);
}

static const char *const aggregated_type =
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/* Discovery; true if path was a discovery path (answered). */
static bool discovery(int fd, const char *path, bool aggregated, const struct faults *f)
{
	if (strcmp(path, "/version") == 0) {
		respond_json(fd, 200,
			     json_pack("{s:s, s:s, s:s, s:s}", "major", "1", "minor", "32",
				       "gitVersion", "v1.32.0", "platform", "linux/amd64"),
			     NULL);
		return true;
	}
	if (strcmp(path, "/api") == 0 && aggregated) {
		json_t *g = aggregated_group("", false);
		json_object_set_new(json_object_get(g, "metadata"), "name", json_string(""));
		respond_json(fd, 200,
			     json_pack("{s:s, s:s, s:{}, s:[o]}", "kind", "APIGroupDiscoveryList",
				       "apiVersion", "apidiscovery.k8s.io/v2", "metadata", "items",
				       g),
			     aggregated_type);
		return true;
	}
	if (strcmp(path, "/api") == 0) {
		char addr[64];
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		respond_json(fd, 200,
			     json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions",
				       "versions", "v1", "serverAddressByClientCIDRs", "clientCIDR",
				       "0.0.0.0/0", "serverAddress", addr),
			     NULL);
		return true;
	}
	if (strcmp(path, "/apis") == 0) {
		json_t *items = json_array();
		for (size_t i = 0; i < NGROUPS; i++) {
			const char *vs = group_versions(groups[i], f->no_crds);
			if (!vs)
				continue;
			if (aggregated) {
				json_array_append_new(items, aggregated_group(groups[i], f->no_crds));
				continue;
			}
			json_t *versions = json_array();
			char buf[64], gv[128];
			snprintf(buf, sizeof(buf), "%s", vs);
			for (char *v = strtok(buf, " "); v; v = strtok(NULL, " ")) {
				snprintf(gv, sizeof(gv), "%s/%s", groups[i], v);
				json_array_append_new(versions, json_pack("{s:s, s:s}", "groupVersion",
									  gv, "version", v));
			}
			json_t *pref = json_deep_copy(json_array_get(versions, 0));
			json_array_append_new(items, json_pack("{s:s, s:o, s:o}", "name", groups[i],
							       "versions", versions,
							       "preferredVersion", pref));
		}
		if (aggregated)
			respond_json(fd, 200,
				     json_pack("{s:s, s:s, s:{}, s:o}", "kind",
					       "APIGroupDiscoveryList", "apiVersion",
					       "apidiscovery.k8s.io/v2", "metadata", "items", items),
				     aggregated_type);
		else
			respond_json(fd, 200,
				     json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList",
					       "apiVersion", "v1", "groups", items),
				     NULL);
		return true;
	}
	char group[128], version[32];
	if (strcmp(path, "/api/v1") == 0) {
		respond_json(fd, 200,
			     json_pack("{s:s, s:s, s:o}", "kind", "APIResourceList", "groupVersion",
				       "v1", "resources", resource_list("", "v1", false)),
			     NULL);
		return true;
	}
	int end = 0;
	if (sscanf(path, "/apis/%127[^/]/%31[^/]%n", group, version, &end) == 2 && !path[end]) {
		json_t *rs = resource_list(group, version, f->no_crds);
		if (!json_array_size(rs)) {
			json_decref(rs);
			respond_status(fd, 404, "NotFound", "the server could not find the requested resource", NULL);
			return true;
		}
		char gv[200];
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
		respond_json(fd, 200,
			     json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
				       "apiVersion", "v1", "groupVersion", gv, "resources", rs),
			     NULL);
		return true;
	}
	return false;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = 4096, n = 0, k;
	char *buf = malloc(cap);
	while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(fp);
	*len = n;
	return buf;
}

static const char *obj_ns(json_t *o)
{
	const char *ns = json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace"));
	return ns ? ns : "";
}

static const char *obj_name(json_t *o)
{
	const char *n = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
	return n ? n : "";
}

/* Whether an object is of resource r (its kind, and its group for the two Gateways). */
static bool obj_is(json_t *o, const struct res *r)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *av = json_string_value(json_object_get(o, "apiVersion"));
	if (!kind || strcmp(kind, r->kind) != 0)
		return false;
	const char *slash = av ? strchr(av, '/') : NULL;
	size_t glen = slash ? (size_t)(slash - av) : 0;
	return glen == strlen(r->group) && strncmp(av ? av : "", r->group, glen) == 0;
}

static const char *query_get(const char *query, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);
	for (const char *p = query; p && *p;) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			size_t len = strcspn(p, "&");
			if (len >= n)
				len = n - 1;
			memcpy(out, p, len);
			out[len] = '\0';
			return out;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return NULL;
}

static json_t *find_obj(const struct res *r, const char *ns, const char *name)
{
	size_t i;
	json_t *o;
	json_array_foreach(objects, i, o)
		if (obj_is(o, r) && strcmp(obj_name(o), name) == 0 &&
		    (!r->namespaced || strcmp(obj_ns(o), ns) == 0))
			return o;
	return NULL;
}

static void not_found(int fd, const struct res *r, const char *name)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s%s%s \"%s\" not found", r->plural, *r->group ? "." : "",
		 r->group, name);
	respond_status(fd, 404, "NotFound", msg, r->plural);
}

/* GET .../pods/NAME/log */
static void pod_log(int fd, json_t *pod, const char *ns, const char *name, const char *query)
{
	char container[256] = "", prev[16] = "";
	query_get(query, "container", container, sizeof(container));
	query_get(query, "previous", prev, sizeof(prev));
	bool previous = strcmp(prev, "true") == 0;
	json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
	if (!*container && json_array_size(cs) == 1)
		snprintf(container, sizeof(container), "%s",
			 json_string_value(json_object_get(json_array_get(cs, 0), "name")));
	bool valid = false;
	for (int init = 0; init < 2; init++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(json_object_get(pod, "spec"),
						   init ? "initContainers" : "containers"),
				   i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));
			valid |= n && strcmp(n, container) == 0;
		}
	}
	char msg[600];
	if (!valid) {
		snprintf(msg, sizeof(msg), "container %s is not valid for pod %s", container, name);
		respond_status(fd, 400, "BadRequest", msg, NULL);
		return;
	}
	char path[2048];
	snprintf(path, sizeof(path), "%s/logs/%s/%s/%s%s.log", dir, ns, name, container,
		 previous ? ".previous" : "");
	size_t len = 0;
	char *text = slurp(path, &len);
	if (!text && previous) {
		snprintf(msg, sizeof(msg),
			 "previous terminated container \"%s\" in pod \"%s\" not found", container,
			 name);
		respond_status(fd, 400, "BadRequest", msg, NULL);
		return;
	}
	respond(fd, 200, "text/plain", text ? text : "", len);
	free(text);
}

/* The resource a path names; *ns, *name and *sub point into buf. */
static const struct res *parse_path(char *buf, const char **ns, const char **name,
				    const char **sub, bool no_crds)
{
	*ns = *name = *sub = NULL;
	char *p = buf, *group = "";
	if (strncmp(p, "/api/v1/", 8) == 0) {
		p += 8;
	} else if (strncmp(p, "/apis/", 6) == 0) {
		group = p + 6;
		char *slash = strchr(group, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		char *version = slash + 1;
		slash = strchr(version, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		p = slash + 1;
	} else {
		return NULL;
	}
	char *parts[6];
	int n = 0;
	for (char *t = strtok(p, "/"); t && n < 6; t = strtok(NULL, "/"))
		parts[n++] = t;
	int i = 0;
	if (n >= 3 && strcmp(parts[0], "namespaces") == 0) {
		*ns = parts[1];
		i = 2;
	}
	if (i >= n)
		return NULL;
	const char *plural = parts[i];
	if (i + 1 < n)
		*name = parts[i + 1];
	if (i + 2 < n)
		*sub = parts[i + 2];
	/* /api/v1/namespaces/NAME is a get of a namespace */
	if (!*ns && n == 2 && strcmp(parts[0], "namespaces") == 0) {
		plural = "namespaces";
		*name = parts[1];
	}
	for (size_t k = 0; k < NAPI; k++)
		if (strcmp(api[k].group, group) == 0 && strcmp(api[k].plural, plural) == 0 &&
		    !(no_crds && api[k].istio))
			return &api[k];
	return NULL;
}

static void serve_objects(int fd, const char *path, const char *query, const struct faults *f)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	const char *ns, *name, *sub;
	const struct res *r = parse_path(buf, &ns, &name, &sub, f->no_crds);
	if (!r) {
		respond_status(fd, 404, "NotFound", "the server could not find the requested resource", NULL);
		return;
	}
	if (f->status_lists) {
		respond_status(fd, f->status_lists, f->status_lists == 401 ? "Unauthorized" : "InternalError",
			       f->status_lists == 401 ? "Unauthorized" : "an error on the server (\"internal error\") has prevented the request from succeeding",
			       NULL);
		return;
	}
	if (f->garbage_lists) {
		respond(fd, 200, "application/json", "<html>502 Bad Gateway</html>", 28);
		return;
	}
	const char *verb = name ? "get" : "list";
	const char *in_ns = r->namespaced ? ns : NULL;
	bool deny = listed(f->forbid, r->plural) || (listed(f->forbid_all, r->plural) && r->namespaced && !ns) ||
		    (in_ns && listed(f->forbid_ns, in_ns)) ||
		    (*f->user_ns && (!in_ns || strcmp(in_ns, f->user_ns) != 0));
	if (deny) {
		forbidden(fd, verb, r, NULL, in_ns, name);
		return;
	}
	if (name) {
		json_t *o = find_obj(r, ns ? ns : "", name);
		if (!o) {
			not_found(fd, r, name);
		} else if (sub && strcmp(sub, "log") == 0) {
			pod_log(fd, o, ns, name, query);
		} else {
			respond_json(fd, 200, json_incref(o), NULL);
		}
		return;
	}
	json_t *items = json_array();
	size_t i;
	json_t *o;
	json_array_foreach(objects, i, o)
		if (obj_is(o, r) && (!in_ns || strcmp(obj_ns(o), in_ns) == 0))
			json_array_append(items, o);
	char kind[128];
	snprintf(kind, sizeof(kind), "%sList", r->kind);
	respond_json(fd, 200,
		     json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", kind, "apiVersion", "v1",
			       "metadata", "resourceVersion", "1", "items", items),
		     NULL);
}

static void handle(int fd)
{
	char req[16384];
	size_t n = 0;
	while (n < sizeof(req) - 1) {
		ssize_t k = read(fd, req + n, sizeof(req) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	char target[4096];
	if (sscanf(req, "GET %4095s", target) != 1)
		return;
	printf("GET %s\n", target);
	struct faults f;
	read_faults(&f);
	if (f.slow_ms) {
		struct timespec ts = {f.slow_ms / 1000, (f.slow_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (f.reset) {
		struct linger lg = {1, 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		return;
	}
	if (f.eof)
		return;
	if (f.status) {
		if (f.status == 401)
			respond_status(fd, 401, "Unauthorized", "Unauthorized", NULL);
		else
			respond_status(fd, f.status, "InternalError",
				       "an error on the server (\"internal error\") has prevented the request from succeeding",
				       NULL);
		return;
	}
	if (f.garbage) {
		respond(fd, 200, "application/json", "<html>502 Bad Gateway</html>", 28);
		return;
	}
	char *query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	/* the aggregated form only for a client that asks for it */
	const char *accept = strcasestr(req, "\r\nAccept:");
	char acc[1024] = "";
	if (accept)
		sscanf(accept + 9, " %1023[^\r\n]", acc);
	bool aggregated = !f.legacy && strstr(acc, "as=APIGroupDiscoveryList");
	if (discovery(fd, target, aggregated, &f))
		return;
	serve_objects(fd, target, query ? query : "", &f);
}

/* N generated pods in namespace bench, each with a sidecar. */
static void add_pods(long n)
{
	for (long i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "app-%ld-7d4b9c8f6d-x%05ld", i % 50, i);
		json_array_append_new(
			objects,
			json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:[{s:s, s:s}, {s:s, s:s}]},"
				  " s:{s:s, s:[{s:s, s:s}], s:[{s:s, s:i, s:b}, {s:s, s:i, s:b}]}}",
				  "apiVersion", "v1", "kind", "Pod", "metadata", "name", name,
				  "namespace", "bench", "labels", "app", "app", "version", "v1",
				  "spec", "containers", "name", "app", "image", "example/app:1",
				  "name", "istio-proxy", "image", "docker.io/istio/proxyv2:1.22.3",
				  "status", "phase", "Running", "conditions", "type", "Ready",
				  "status", "True", "containerStatuses", "name", "app",
				  "restartCount", 0, "ready", 1, "name", "istio-proxy",
				  "restartCount", 0, "ready", 1));
	}
}

int main(int argc, char **argv)
{
	long pods = 0;
	int opt;
	while ((opt = getopt(argc, argv, "f:p:")) != -1) {
		if (opt == 'f')
			faults_path = optarg;
		else if (opt == 'p')
			pods = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: fake-kube [-f FAULTS] [-p PODS] DIR PORTFILE\n");
		return 2;
	}
	dir = argv[optind];
	char path[2048];
	snprintf(path, sizeof(path), "%s/resources.json", dir);
	json_error_t je;
	json_t *list = json_load_file(path, 0, &je);
	if (!list && access(path, F_OK) == 0) {
		fprintf(stderr, "fake-kube: %s: %s\n", path, je.text);
		return 1;
	}
	objects = json_array();
	json_t *items = json_is_array(list) ? list : json_object_get(list, "items");
	if (json_is_object(list) && !items)
		json_array_append(objects, list);
	json_array_extend(objects, items);
	json_decref(list);
	add_pods(pods);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 64) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("fake-kube");
		return 1;
	}
	port = ntohs(a.sin_port);
	char tmp[2048];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[optind + 1]);
	FILE *pf = fopen(tmp, "w");
	if (!pf || fprintf(pf, "%d\n", port) < 0 || fclose(pf) != 0 ||
	    rename(tmp, argv[optind + 1]) != 0) {
		perror(argv[optind + 1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the system */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		/* one process per connection, so a slow answer does not hold up the next */
		if (fork() == 0) {
			close(s);
			handle(c);
			close(c);
			_exit(0);
		}
		close(c);
	}
}
