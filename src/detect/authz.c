/*
 * AuthorizationPolicies evaluated for one request, as istiod builds them
 * into the server proxy's RBAC filters and Envoy then applies them. The
 * rules followed, and where Istio states them:
 *
 * - order: CUSTOM, then DENY, then ALLOW; AUDIT never decides; a policy
 *   annotated istio.io/dry-run is evaluated but not enforced (reference page
 *   of AuthorizationPolicy; pilot/pkg/security/authz/builder/builder.go);
 * - no rules: never matches (ALLOW: allow-nothing); an empty rule {} always
 *   matches; rules are OR'ed; from, to and when are AND'ed; values of a field
 *   are OR'ed; not* fields negate (reference page, Rule and Source);
 * - a value istiod cannot translate (an HTTP-only field on a TCP port, a bad
 *   IP block or port): an ALLOW rule is dropped whole, so it never matches;
 *   in DENY, AUDIT and CUSTOM only that value is dropped, which widens the
 *   rule: a DENY rule whose only fields are HTTP-only denies every TCP
 *   connection (model/model.go checkError; reference page, "When this rule is
 *   applied to TCP traffic ... missing attributes are treated as matches");
 * - a when key istiod does not know drops the rule in every action.
 */
#include "detect/authz.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/mesh.h"
#include "detect/detect.h"
#include "detect/workload.h"

enum authz_action authz_action_of(const struct kobj *policy)
{
	static const char *const names[] = {[AUTHZ_ALLOW] = "ALLOW", [AUTHZ_DENY] = "DENY",
	                                    [AUTHZ_AUDIT] = "AUDIT", [AUTHZ_CUSTOM] = "CUSTOM"};
	const char *a = jstr(policy->j, "spec.action");
	if (!a || !*a)
		return AUTHZ_ALLOW;
	for (size_t i = 0; i < MM_ARRAY_LEN(names); i++)
		if (strcmp(a, names[i]) == 0)
			return (enum authz_action)i;
	return AUTHZ_UNKNOWN;
}

const char *authz_action_name(enum authz_action a)
{
	static const char *const names[] = {"ALLOW", "DENY", "AUDIT", "CUSTOM", "UNKNOWN"};
	return names[a];
}

const char *authz_trust_domain(struct cluster *c)
{
	const char *td = jstr(cluster_mesh_config(c), "trustDomain");
	return td && *td ? td : "cluster.local";
}

/* ---- matching one value, as Envoy's matchers that istiod generates do ---- */

/* Istio's string match: "*" any non-empty value, "abc*" a prefix, "*abc" a suffix, else exact. */
static bool str_match(const char *pat, const char *v, bool icase)
{
	if (!v)
		return false;
	size_t pl = strlen(pat), vl = strlen(v);
	int (*cmp)(const char *, const char *, size_t) = icase ? strncasecmp : strncmp;
	if (strcmp(pat, "*") == 0)
		return vl > 0;
	if (pat[0] == '*')
		return vl >= pl - 1 && cmp(v + vl - (pl - 1), pat + 1, pl - 1) == 0;
	if (pl && pat[pl - 1] == '*')
		return vl >= pl - 1 && cmp(v, pat, pl - 1) == 0;
	return vl == pl && cmp(v, pat, pl) == 0;
}

/* A glob where '*' stands for any run of characters (the regex istiod writes for namespaces). */
static bool glob(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (*p == '*')
		return glob(p + 1, s) || (*s && glob(p, s + 1));
	return *s == *p && glob(p + 1, s + 1);
}

/* An address or CIDR; false if it is neither. */
static bool parse_cidr(const char *s, unsigned char addr[16], int *family, int *bits)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, buf, addr) != 1)
		return false;
	int max = *family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || b < 0 || b > max)
			return false;
		*bits = (int)b;
	}
	return true;
}

static bool cidr_contains(const char *cidr, const char *ip)
{
	unsigned char net[16], a[16];
	int f1, f2, bits, b2;
	if (!ip || !parse_cidr(cidr, net, &f1, &bits) || !parse_cidr(ip, a, &f2, &b2) || f1 != f2)
		return false;
	for (int i = 0; i < bits; i++) {
		int byte = i / 8, bit = 7 - i % 8;
		if (((net[byte] >> bit) & 1) != ((a[byte] >> bit) & 1))
			return false;
	}
	return true;
}

/* A port as istiod reads it: a whole number from 0 to 65535; -1 otherwise. */
static long parse_port(const char *s)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	long p = strtol(s, &end, 10);
	return *end || p > 65535 ? -1 : p;
}

/*
 * A path template of Istio 1.17 and later: "{*}" matches one path segment,
 * "{**}" (last) any number of them. Segments are compared one by one.
 */
static bool template_match(const char *t, const char *p)
{
	while (*t == '/' && *p == '/') {
		t++, p++;
		size_t tl = strcspn(t, "/"), pl = strcspn(p, "/");
		if ((tl == 4 && strncmp(t, "{**}", 4) == 0) || (tl == 2 && strncmp(t, "**", 2) == 0))
			return true;
		bool one = (tl == 3 && strncmp(t, "{*}", 3) == 0) || (tl == 1 && *t == '*');
		if (one ? pl == 0 : tl != pl || strncmp(t, p, tl) != 0)
			return false;
		t += tl, p += pl;
	}
	return !*t && !*p;
}

/* The path Envoy matches: without the query string and the fragment. New string or NULL. */
static char *bare_path(const char *path)
{
	return path ? xstrndup(path, strcspn(path, "?#")) : NULL;
}

/* A header's value (name case-insensitive) from "Name=value" entries, or NULL. */
static const char *header_value(const struct authz_request *rq, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; rq->headers && i < rq->headers->n; i++) {
		const char *h = rq->headers->v[i];
		if (strncasecmp(h, name, n) == 0 && h[n] == '=')
			return h + n + 1;
	}
	return NULL;
}

/* "[a][b]" -> the claim a.b of the JWT; NULL if the key is malformed or the claim is absent. */
static json_t *claim_at(json_t *claims, const char *brackets, bool *bad)
{
	json_t *v = claims;
	*bad = !*brackets;
	while (*brackets) {
		const char *close = strchr(brackets, ']');
		if (*brackets != '[' || !close || close == brackets + 1) {
			*bad = true;
			return NULL;
		}
		char *name = xstrndup(brackets + 1, (size_t)(close - brackets - 1));
		v = json_object_get(v, name);
		free(name);
		brackets = close + 1;
	}
	return v;
}

/* Whether a claim (a string, or a list of strings) has a value matching pat. */
static bool claim_match(json_t *v, const char *pat)
{
	if (json_is_string(v))
		return str_match(pat, json_string_value(v), false);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
		if (json_is_string(e) && str_match(pat, json_string_value(e), false))
			return true;
	return false;
}

/* requestPrincipals: "ISS/SUB", split at the last '/', with '*' at either end (model/generator.go). */
static bool request_principal_match(const char *pat, json_t *claims)
{
	const char *iss = jstr(claims, "iss"), *sub = jstr(claims, "sub");
	if (!iss || !sub)
		return false;
	const char *slash = strrchr(pat, '/');
	char *piss = slash ? xstrndup(pat, (size_t)(slash - pat)) : xstrdup(pat);
	const char *psub = slash ? slash + 1 : NULL;
	size_t n = strlen(pat);
	bool ok;
	if (strcmp(pat, "*") == 0)
		ok = *iss && *sub;
	else if (pat[0] == '*' && psub)
		ok = (strcmp(piss, "*") == 0 ? *iss != '\0' : str_match(piss, iss, false)) &&
		     strcmp(psub, sub) == 0;
	else if (pat[0] == '*')
		ok = *iss && str_match(pat, sub, false);
	else if (pat[n - 1] == '*' && psub)
		ok = strcmp(piss, iss) == 0 && (strcmp(psub, "*") == 0 ? *sub != '\0' : str_match(psub, sub, false));
	else if (pat[n - 1] == '*')
		ok = str_match(pat, iss, false) && *sub;
	else
		ok = strcmp(piss, iss) == 0 && strcmp(psub ? psub : "", sub) == 0;
	free(piss);
	return ok;
}

/* ---- the fields of a rule ---- */

enum fkind { K_PRINCIPAL, K_REQ_PRINCIPAL, K_SA, K_NAMESPACE, K_SOURCE_IP, K_REMOTE_IP, K_HOST,
	     K_PORT, K_METHOD, K_PATH, K_HEADER, K_CLAIM, K_AUDIENCE, K_PRESENTER, K_DEST_IP,
	     K_SNI, K_ENVOY };

struct field {
	const char *name, *not_name; /* in a source or operation; for when: the key (or its prefix) */
	enum fkind kind;
	bool http_only, prefix;
};

/* Source fields, in the order istiod puts them (model.New). */
static const struct field source_fields[] = {
	{"principals", "notPrincipals", K_PRINCIPAL, false, false},
	{"requestPrincipals", "notRequestPrincipals", K_REQ_PRINCIPAL, true, false},
	/* Istio 1.25 and later */
	{"serviceAccounts", "notServiceAccounts", K_SA, false, false},
	{"namespaces", "notNamespaces", K_NAMESPACE, false, false},
	{"remoteIpBlocks", "notRemoteIpBlocks", K_REMOTE_IP, false, false},
	{"ipBlocks", "notIpBlocks", K_SOURCE_IP, false, false},
};
static const struct field operation_fields[] = {
	{"hosts", "notHosts", K_HOST, true, false},
	{"methods", "notMethods", K_METHOD, true, false},
	{"paths", "notPaths", K_PATH, true, false},
	{"ports", "notPorts", K_PORT, false, false},
};
/* The when keys of the "Authorization Policy Conditions" reference page. */
static const struct field when_keys[] = {
	{"request.headers", NULL, K_HEADER, true, true},
	{"source.ip", NULL, K_SOURCE_IP, false, false},
	{"remote.ip", NULL, K_REMOTE_IP, false, false},
	{"source.namespace", NULL, K_NAMESPACE, false, false},
	{"source.principal", NULL, K_PRINCIPAL, false, false},
	{"request.auth.principal", NULL, K_REQ_PRINCIPAL, true, false},
	{"request.auth.audiences", NULL, K_AUDIENCE, true, false},
	{"request.auth.presenter", NULL, K_PRESENTER, true, false},
	{"request.auth.claims", NULL, K_CLAIM, true, true},
	{"destination.ip", NULL, K_DEST_IP, false, false},
	{"destination.port", NULL, K_PORT, false, false},
	{"connection.sni", NULL, K_SNI, false, false},
	{"experimental.envoy.filters.", NULL, K_ENVOY, false, true},
};

struct eval {
	struct cluster *c;
	const struct authz_request *rq;
	enum authz_action action;
	struct strlist tds;     /* the trust domain, then its aliases */
	const char *policy_ns;  /* the namespace a serviceAccounts value without one means */
};

/* The principal a policy names, with each trust domain it stands for (trustdomain/bundle.go). */
static bool principal_match(const struct eval *e, const char *pat, const char *who)
{
	if (!who)
		return false;
	const char *slash = strchr(pat, '/');
	int parts = 1;
	for (const char *p = pat; *p; p++)
		parts += *p == '/';
	if (parts != 5 || !slash || (slash - pat == 1 && pat[0] == '*'))
		return str_match(pat, who, false);
	char *td = xstrndup(pat, (size_t)(slash - pat));
	bool known = strcmp(td, "cluster.local") == 0;
	for (size_t i = 0; i < e->tds.n && !known; i++)
		known = str_match(e->tds.v[i], td, false) || strcmp(e->tds.v[i], td) == 0;
	bool ok = str_match(pat, who, false);
	for (size_t i = 0; known && !ok && i < e->tds.n; i++) {
		char *alt = xasprintf("%s%s", e->tds.v[i], slash);
		ok = str_match(alt, who, false);
		free(alt);
	}
	free(td);
	return ok;
}

/* The namespace of an identity "TD/ns/NS/sa/SA", matched as istiod's regex ".*\/ns/NS/.*". */
static bool namespace_match(const char *pat, const char *who)
{
	if (!who)
		return false;
	char *g = xasprintf("spiffe://%s", who), *p = xasprintf("*/ns/%s/*", pat);
	bool ok = glob(p, g);
	free(g);
	free(p);
	return ok;
}

/*
 * serviceAccounts: "NS/SA", or "SA" in the policy's namespace, against the
 * identity's namespace and account, literally (model/generator.go; Istio
 * 1.25.0 to 1.27.8, 1.28.0 to 1.28.5, 1.29.0 and 1.29.1 let a dot match any
 * character, CVE-2026-39350).
 */
static bool service_account_match(const char *pat, const char *policy_ns, const char *who)
{
	const char *ns = who ? strstr(who, "/ns/") : NULL, *sa = ns ? strstr(ns + 4, "/sa/") : NULL;
	if (!sa)
		return false;
	const char *slash = strchr(pat, '/');
	size_t pnl = slash ? (size_t)(slash - pat) : strlen(policy_ns ? policy_ns : "");
	const char *pns = slash ? pat : policy_ns ? policy_ns : "", *psa = slash ? slash + 1 : pat;
	size_t nl = (size_t)(sa - (ns + 4));
	return nl == pnl && strncmp(ns + 4, pns, nl) == 0 && strcmp(sa + 4, psa) == 0;
}

/*
 * Whether one value of a field matches the request. *err (static) says why
 * istiod cannot translate the value, and then the result means nothing.
 */
static bool value_match(const struct eval *e, const struct field *f, const char *key,
                        const char *v, const char **err)
{
	const struct authz_request *rq = e->rq;
	*err = NULL;
	if (f->http_only && !rq->http) {
		*err = "is HTTP-only and the proxy sees this traffic as TCP";
		return false;
	}
	bool bad = false;
	switch (f->kind) {
	case K_PRINCIPAL:
		return principal_match(e, v, rq->principal);
	case K_REQ_PRINCIPAL:
		return request_principal_match(v, rq->claims);
	case K_NAMESPACE:
		return namespace_match(v, rq->principal);
	case K_SA:
		if (strchr(v, '*') || strchr(v, '/') != strrchr(v, '/')) {
			*err = "is no SERVICEACCOUNT or NAMESPACE/SERVICEACCOUNT";
			return false;
		}
		return service_account_match(v, e->policy_ns, rq->principal);
	case K_SOURCE_IP:
	case K_REMOTE_IP:
	case K_DEST_IP: {
		unsigned char a[16];
		int fam, bits;
		if (!parse_cidr(v, a, &fam, &bits)) {
			*err = "is no IP address or CIDR block";
			return false;
		}
		const char *ip = f->kind == K_DEST_IP     ? rq->dest_ip
		                 : f->kind == K_SOURCE_IP ? rq->source_ip
		                 : rq->remote_ip          ? rq->remote_ip
		                                          : rq->source_ip;
		return cidr_contains(v, ip);
	}
	case K_PORT: {
		long p = parse_port(v);
		if (p < 0) {
			*err = "is no port number";
			return false;
		}
		return p == rq->port;
	}
	case K_HOST:
		return str_match(v, rq->host, true);
	case K_METHOD:
		return str_match(v, rq->method, false);
	case K_PATH: {
		char *p = bare_path(rq->path);
		bool ok = strstr(v, "{*}") || strstr(v, "{**}") ? p && template_match(v, p)
		                                                : str_match(v, p, false);
		free(p);
		return ok;
	}
	case K_HEADER: {
		const char *b = key + strlen("request.headers");
		size_t n = strlen(b);
		if (n < 3 || b[0] != '[' || b[n - 1] != ']') {
			*err = "names no header: the key is request.headers[NAME]";
			return false;
		}
		char *name = xstrndup(b + 1, n - 2);
		const char *h = header_value(rq, name);
		free(name);
		/* "*" is a presence match here: an empty header is present too */
		return strcmp(v, "*") == 0 ? h != NULL : str_match(v, h, false);
	}
	case K_CLAIM: {
		json_t *cl = claim_at(rq->claims, key + strlen("request.auth.claims"), &bad);
		if (bad) {
			*err = "names no claim: the key is request.auth.claims[NAME] (nested: [A][B])";
			return false;
		}
		return cl && claim_match(cl, v);
	}
	case K_AUDIENCE:
		return claim_match(json_object_get(rq->claims, "aud"), v);
	case K_PRESENTER:
		return claim_match(json_object_get(rq->claims, "azp"), v);
	case K_SNI:
		return str_match(v, rq->sni, false);
	case K_ENVOY:
		/* Envoy's filter metadata is not in the cluster state: never taken as a match */
		return false;
	}
	return false;
}

/* What the request has for a field, for the reasons. New string. */
static char *attr_text(const struct eval *e, const struct field *f, const char *key)
{
	const struct authz_request *rq = e->rq;
	const char *s = NULL;
	switch (f->kind) {
	case K_PRINCIPAL:
		return rq->principal ? xasprintf("the caller's identity %s", rq->principal)
		                     : xstrdup("a caller without mTLS identity (plain text)");
	case K_SA:
		if (!rq->principal)
			return xstrdup("a caller without mTLS identity (plain text)");
		return xasprintf("the caller's identity %s", rq->principal);
	case K_NAMESPACE:
		if (!rq->principal)
			return xstrdup("a caller without mTLS identity (plain text)");
		const char *ns = strstr(rq->principal, "/ns/");
		return xasprintf("the caller's namespace %.*s", ns ? (int)strcspn(ns + 4, "/") : 0,
		                 ns ? ns + 4 : "");
	case K_REQ_PRINCIPAL:
		if (!jstr(rq->claims, "iss") || !jstr(rq->claims, "sub"))
			return xstrdup("a request without a valid JWT");
		return xasprintf("the request principal %s/%s", jstr(rq->claims, "iss"),
		                 jstr(rq->claims, "sub"));
	case K_SOURCE_IP:
		s = rq->source_ip;
		return s ? xasprintf("the source address %s", s) : xstrdup("an unknown source address");
	case K_REMOTE_IP:
		s = rq->remote_ip ? rq->remote_ip : rq->source_ip;
		return s ? xasprintf("the client address %s", s) : xstrdup("an unknown client address");
	case K_DEST_IP:
		s = rq->dest_ip;
		return s ? xasprintf("the destination address %s", s)
		         : xstrdup("an unknown destination address");
	case K_PORT:
		return xasprintf("the workload port %ld", rq->port);
	case K_HOST:
		return xasprintf("the host %s", rq->host ? rq->host : "(none)");
	case K_METHOD:
		return xasprintf("the method %s", rq->method ? rq->method : "(none)");
	case K_PATH:
		return xasprintf("the path %s", rq->path ? rq->path : "(none)");
	case K_HEADER: {
		size_t n = strlen(key + strlen("request.headers"));
		char *name = n > 2 ? xstrndup(key + strlen("request.headers") + 1, n - 2) : xstrdup("");
		const char *h = header_value(rq, name);
		char *t = h ? xasprintf("the header %s: %s", name, h)
		            : xasprintf("a request without header %s", name);
		free(name);
		return t;
	}
	case K_CLAIM:
	case K_AUDIENCE:
	case K_PRESENTER:
		return xstrdup(rq->claims ? "the JWT's claims" : "a request without a valid JWT");
	case K_SNI:
		return xasprintf("the SNI %s", rq->sni ? rq->sni : "(none)");
	case K_ENVOY:
		return xstrdup("Envoy filter metadata, which meshmedic cannot see");
	}
	return xstrdup("?");
}

enum fres { F_PASS, F_FAIL, F_SKIP_RULE };

/* A JSON value of a field as a string (ports may be written as numbers). New string or NULL. */
static char *value_string(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

/*
 * One field (values, or not-values when neg) of a source, an operation or a
 * condition. On F_FAIL or F_SKIP_RULE *why gets the reason; a value dropped
 * from a DENY, AUDIT or CUSTOM rule is told in *note.
 */
static enum fres field_eval(const struct eval *e, const struct field *f, const char *key,
                            const char *label, json_t *vals, bool neg, char **why,
                            struct sbuf *note)
{
	size_t i, used = 0;
	json_t *jv;
	bool any = false;
	struct sbuf list;
	sb_init(&list);
	json_array_foreach(vals, i, jv) {
		char *v = value_string(jv);
		const char *err = v ? NULL : "is not a string";
		bool m = v && value_match(e, f, key, v, &err);
		if (err) {
			char *what = xasprintf("%s \"%s\" %s", label, v ? v : "?", err);
			free(v);
			if (e->action == AUTHZ_ALLOW) {
				free(*why);
				*why = what;
				sb_free(&list);
				return F_SKIP_RULE;
			}
			sb_printf(note, "%s%s: the proxy drops it from the rule, which widens it",
			          note->len ? "; " : "", what);
			free(what);
			continue;
		}
		used++;
		sb_printf(&list, "%s\"%s\"", list.len ? ", " : "", v);
		if (m && !any && neg) {
			char *a = attr_text(e, f, key);
			*why = xasprintf("%s: %s matches \"%s\"", label, a, v);
			free(a);
		}
		any = any || m;
		free(v);
	}
	enum fres r = !used || any != neg ? F_PASS : F_FAIL;
	if (r == F_FAIL && !neg) {
		char *a = attr_text(e, f, key);
		*why = xasprintf("%s [%s]: not matched by %s", label, list.s ? list.s : "", a);
		free(a);
	}
	sb_free(&list);
	return r;
}

/* The fields of one source or operation (fields of n entries) ANDed; *why: the first that fails. */
static enum fres fields_eval(const struct eval *e, const struct field *fields, size_t n,
                             json_t *obj, const char *where, char **why, struct sbuf *note)
{
	enum fres res = F_PASS;
	for (size_t k = 0; k < n; k++)
		for (int neg = 0; neg < 2; neg++) {
			const char *name = neg ? fields[k].not_name : fields[k].name;
			json_t *vals = json_object_get(obj, name);
			if (!json_array_size(vals))
				continue;
			char *label = xasprintf("%s.%s", where, name), *w = NULL;
			enum fres r = field_eval(e, &fields[k], name, label, vals, neg, &w, note);
			free(label);
			if (r == F_SKIP_RULE) {
				free(*why);
				*why = w;
				return F_SKIP_RULE;
			}
			if (r == F_FAIL && res == F_PASS) {
				res = F_FAIL;
				*why = w;
			} else
				free(w);
		}
	return res;
}

static const struct field *when_field(const char *key)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(when_keys); i++) {
		const struct field *f = &when_keys[i];
		if (f->prefix ? strncmp(key, f->name, strlen(f->name)) == 0 : strcmp(key, f->name) == 0)
			return f;
	}
	return NULL;
}

/*
 * A list of sources or operations (one must match; none listed: any does).
 * *why gets the reasons of each that failed; F_SKIP_RULE wins over the rest.
 */
static enum fres list_eval(const struct eval *e, json_t *list, const char *name, const char *inner,
                           const struct field *fields, size_t n, char **why, struct sbuf *note)
{
	if (!json_array_size(list))
		return F_PASS;
	struct sbuf fails;
	sb_init(&fails);
	bool matched = false;
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		char *where = xasprintf("%s[%zu].%s", name, i, inner), *w = NULL;
		enum fres r = fields_eval(e, fields, n, json_object_get(item, inner), where, &w, note);
		free(where);
		if (r == F_SKIP_RULE) {
			sb_free(&fails);
			*why = w;
			return F_SKIP_RULE;
		}
		if (r == F_PASS)
			matched = true;
		else
			sb_printf(&fails, "%s%s", fails.len ? "; " : "", w);
		free(w);
	}
	if (!matched)
		*why = sb_steal(&fails);
	sb_free(&fails);
	return matched ? F_PASS : F_FAIL;
}

/* One rule: true if it matches; *why (new) says what failed, or why the proxy ignores it. */
static bool rule_eval(const struct eval *e, json_t *rule, int idx, char **why, bool *ignored)
{
	struct sbuf note;
	sb_init(&note);
	char *wf = NULL, *wt = NULL, *ww = NULL;
	*ignored = false;
	enum fres rf = F_PASS, rt = F_PASS, rw = F_PASS;
	size_t i;
	json_t *cond;
	json_array_foreach(json_object_get(rule, "when"), i, cond) {
		const char *key = jstr(cond, "key");
		const struct field *f = key ? when_field(key) : NULL;
		char *label = xasprintf("when[%zu] %s", i, key ? key : "(no key)");
		if (!f) {
			free(ww);
			ww = xasprintf("%s: istiod knows no such key and skips the rule", label);
			free(label);
			rw = F_SKIP_RULE;
			break;
		}
		for (int neg = 0; neg < 2 && rw != F_SKIP_RULE; neg++) {
			json_t *vals = json_object_get(cond, neg ? "notValues" : "values");
			if (!json_array_size(vals))
				continue;
			char *l2 = xasprintf("%s %s", label, neg ? "notValues" : "values"), *w = NULL;
			enum fres r = field_eval(e, f, key, l2, vals, neg, &w, &note);
			free(l2);
			if (r == F_SKIP_RULE || (r == F_FAIL && rw == F_PASS)) {
				free(ww);
				ww = w;
				rw = r;
			} else
				free(w);
		}
		free(label);
		if (rw == F_SKIP_RULE)
			break;
	}
	if (rw != F_SKIP_RULE)
		rf = list_eval(e, json_object_get(rule, "from"), "from", "source", source_fields,
		               MM_ARRAY_LEN(source_fields), &wf, &note);
	if (rw != F_SKIP_RULE && rf != F_SKIP_RULE)
		rt = list_eval(e, json_object_get(rule, "to"), "to", "operation", operation_fields,
		               MM_ARRAY_LEN(operation_fields), &wt, &note);
	bool ok = false;
	if (rw == F_SKIP_RULE || rf == F_SKIP_RULE || rt == F_SKIP_RULE) {
		*ignored = true;
		const char *w = rw == F_SKIP_RULE ? ww : rf == F_SKIP_RULE ? wf : wt;
		*why = xasprintf("rule %d is ignored by the proxy: %s", idx, w);
	} else if (rf == F_FAIL)
		*why = xasprintf("rule %d: %s", idx, wf);
	else if (rt == F_FAIL)
		*why = xasprintf("rule %d: %s", idx, wt);
	else if (rw == F_FAIL)
		*why = xasprintf("rule %d: %s", idx, ww);
	else {
		ok = true;
		*why = xasprintf("rule %d matches", idx);
	}
	if (note.len) {
		char *t = xasprintf("%s (%s)", *why, note.s);
		free(*why);
		*why = t;
	}
	free(wf);
	free(wt);
	free(ww);
	sb_free(&note);
	return ok;
}

static bool dry_run(const struct kobj *p)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	const char *v = json_string_value(
	    json_object_get(jpath(p->j, "metadata.annotations"), "istio.io/dry-run"));
	for (size_t i = 0; v && i < MM_ARRAY_LEN(yes); i++)
		if (strcmp(v, yes[i]) == 0)
			return true;
	return false;
}

static void policy_eval(struct eval *e, const struct kobj *p, struct authz_verdict *out)
{
	memset(out, 0, sizeof *out);
	out->policy = p;
	out->action = authz_action_of(p);
	out->dry_run = dry_run(p);
	out->rule = -1;
	out->provider = jstr(p->j, "spec.provider.name");
	e->action = out->action;
	e->policy_ns = p->ns;
	json_t *rules = jpath(p->j, "spec.rules");
	if (!json_array_size(rules)) {
		out->why = xstrdup(out->action == AUTHZ_ALLOW
		                       ? "it has no rules, so it matches nothing (allow-nothing)"
		                       : "it has no rules, so it matches nothing");
		return;
	}
	struct sbuf why;
	sb_init(&why);
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r) {
		char *w;
		bool ignored;
		/* istiod skips a rule that is null (rules: [~]); an empty rule {} is another thing */
		if (!json_is_object(r)) {
			sb_printf(&why, "%srule %zu is empty (null) and istiod skips it", why.len ? "; " : "", i);
			continue;
		}
		bool m = rule_eval(e, r, (int)i, &w, &ignored);
		sb_printf(&why, "%s%s", why.len ? "; " : "", w);
		free(w);
		if (m) {
			out->rule = (int)i;
			break;
		}
	}
	out->why = sb_steal(&why);
	sb_free(&why);
}

/* The extension provider of meshConfig named name, or NULL. */
static json_t *mesh_provider(struct cluster *c, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(cluster_mesh_config(c), "extensionProviders"), i, p) {
		const char *n = jstr(p, "name");
		if (name && n && strcmp(n, name) == 0)
			return p;
	}
	return NULL;
}

static char *policy_ref(const struct authz_verdict *v)
{
	return xasprintf("%s %s/%s", authz_action_name(v->action), v->policy->ns, v->policy->name);
}

static void decide(struct cluster *c, const struct authz_request *rq, struct authz_result *out)
{
	const char *tcp = rq->http ? "" : " (on TCP the proxy closes the connection)";
	const char *what = rq->http ? "request" : "connection";
	struct strlist providers = {0};
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].action == AUTHZ_CUSTOM && !sl_has(&providers, out->v[i].provider ? out->v[i].provider : ""))
			sl_add(&providers, out->v[i].provider ? out->v[i].provider : "");
	/* 1. CUSTOM: the provider is asked; a provider istiod cannot set up denies what the policy matches */
	for (size_t i = 0; i < out->n; i++) {
		struct authz_verdict *v = &out->v[i];
		if (v->action != AUTHZ_CUSTOM || v->dry_run || v->rule < 0)
			continue;
		json_t *prov = mesh_provider(c, v->provider);
		char *ref = policy_ref(v);
		char *bad = NULL;
		if (!prov)
			bad = xasprintf("its provider '%s' is not in meshConfig extensionProviders, so "
			                "istiod has the proxy deny every request the policy matches",
			                v->provider ? v->provider : "");
		else if (providers.n > 1)
			bad = xasprintf("the CUSTOM policies of this workload name %zu providers; istiod "
			                "supports one per workload (unless "
			                "PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS is on, where the "
			                "release has it) and denies the requests they match",
			                providers.n);
		if (bad) {
			out->allowed = false;
			out->decided = v;
			out->rule = v->rule;
			out->reason = xasprintf("%s rule %d matches the %s and %s%s", ref, v->rule,
			                        what, bad, tcp);
			free(bad);
			free(ref);
			sl_free(&providers);
			return;
		}
		free(ref);
		if (!rq->http && !json_object_get(prov, "envoyExtAuthzGrpc"))
			continue; /* an HTTP ext_authz provider is not set up on a TCP port */
		if (!out->custom)
			out->custom = v;
	}
	sl_free(&providers);
	/* 2. DENY */
	for (size_t i = 0; i < out->n; i++) {
		struct authz_verdict *v = &out->v[i];
		if (v->action != AUTHZ_DENY || v->dry_run || v->rule < 0)
			continue;
		char *ref = policy_ref(v);
		out->allowed = false;
		out->decided = v;
		out->rule = v->rule;
		bool root = strcmp(v->policy->ns, mesh_root_namespace(c)) == 0;
		out->reason = xasprintf("%s rule %d matches the %s, so it is denied%s%s", ref,
		                        v->rule, what, tcp,
		                        root ? "; a policy of the root namespace applies to every "
		                               "workload of the mesh"
		                             : "");
		free(ref);
		return;
	}
	/* 3. ALLOW */
	size_t allows = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct authz_verdict *v = &out->v[i];
		if (v->action != AUTHZ_ALLOW || v->dry_run)
			continue;
		allows++;
		if (v->rule >= 0) {
			char *ref = policy_ref(v);
			out->allowed = true;
			out->decided = v;
			out->rule = v->rule;
			out->reason = xasprintf("%s rule %d matches the %s, so it is allowed", ref,
			                        v->rule, what);
			free(ref);
			return;
		}
	}
	out->allowed = allows == 0;
	out->reason = xstrdup(
	    allows ? (rq->http ? "ALLOW policies apply to the workload and none matches the request, "
	                         "so it is denied (RBAC: access denied)"
	                       : "ALLOW policies apply to the workload and none matches the "
	                         "connection, so it is denied (the proxy closes the connection)")
	    : out->n ? "no ALLOW policy applies to the workload and no DENY policy matches, so the "
	               "request is allowed"
	             : "no AuthorizationPolicy applies to the workload, so the request is allowed");
}

void authz_evaluate(struct cluster *c, const struct kobj *const *policies, size_t n,
                    const struct authz_request *rq, struct authz_result *out)
{
	memset(out, 0, sizeof *out);
	out->rule = -1;
	struct eval e = {c, rq, AUTHZ_ALLOW, {0}, NULL};
	sl_add(&e.tds, authz_trust_domain(c));
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(cluster_mesh_config(c), "trustDomainAliases"), i, a)
		if (json_is_string(a))
			sl_add(&e.tds, json_string_value(a));
	out->v = xcalloc(n + 1, sizeof *out->v);
	/* listed in the order the proxy's filters run; a policy of an unknown action is ignored */
	static const enum authz_action order[] = {AUTHZ_CUSTOM, AUTHZ_DENY, AUTHZ_ALLOW, AUTHZ_AUDIT};
	for (size_t o = 0; o < MM_ARRAY_LEN(order); o++)
		for (size_t k = 0; k < n; k++)
			if (authz_action_of(policies[k]) == order[o])
				policy_eval(&e, policies[k], &out->v[out->n++]);
	sl_free(&e.tds);
	decide(c, rq, out);
}

void authz_result_free(struct authz_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].why);
	free(r->v);
	free(r->reason);
	memset(r, 0, sizeof *r);
}

/* ---- which policies apply ---- */

static int by_creation(const void *a, const void *b)
{
	const struct kobj *x = *(const struct kobj *const *)a, *y = *(const struct kobj *const *)b;
	const char *tx = jstr(x->j, "metadata.creationTimestamp"),
	           *ty = jstr(y->j, "metadata.creationTimestamp");
	int d = strcmp(tx ? tx : "", ty ? ty : "");
	return d ? d : strcmp(x->name, y->name);
}

/* The targetRefs of a policy (targetRef alone in Istio 1.20 and 1.21). */
static void target_refs(const struct kobj *p, json_t **list, json_t **one)
{
	*list = jpath(p->j, "spec.targetRefs");
	*one = json_array_size(*list) ? NULL : jpath(p->j, "spec.targetRef");
	if (!json_array_size(*list))
		*list = NULL;
}

static bool ref_names_gateway(json_t *ref, const char *gw, const char *pod_ns, const struct kobj *p)
{
	const char *kind = jstr(ref, "kind"), *group = jstr(ref, "group"), *name = jstr(ref, "name"),
	           *ns = jstr(ref, "namespace");
	return kind && strcmp(kind, "Gateway") == 0 && group &&
	       strcmp(group, "gateway.networking.k8s.io") == 0 && name && strcmp(name, gw) == 0 &&
	       strcmp(p->ns, pod_ns) == 0 && (!ns || !*ns || strcmp(ns, pod_ns) == 0);
}

struct kobj_list authz_policies_for(struct cluster *c, const struct kobj *pod, struct strlist *notes)
{
	struct kobj_list out = {0};
	const char *root = mesh_root_namespace(c);
	const char *nss[2] = {root, strcmp(root, pod->ns) ? pod->ns : NULL};
	json_t *labels = jpath(pod->j, "metadata.labels");
	/* the label is read whole: jpath would split its dots */
	const char *gw = json_string_value(json_object_get(labels, "gateway.networking.k8s.io/gateway-name"));
	const char *managed = json_string_value(json_object_get(labels, "gateway.istio.io/managed"));
	/* a waypoint takes policies by targetRefs only, never by selector (policyattachment.go) */
	bool waypoint = managed && strcmp(managed, "istio.io-mesh-controller") == 0;
	for (size_t k = 0; k < 2 && nss[k]; k++) {
		const struct kobj_list *l = cluster_list(c, "AuthorizationPolicy", nss[k]);
		const struct kobj **v = xcalloc(l->n + 1, sizeof *v);
		/* an empty list has no array: memcpy and qsort of NULL are undefined */
		if (l->n) {
			memcpy(v, l->v, l->n * sizeof *v);
			qsort(v, l->n, sizeof *v, by_creation);
		}
		for (size_t i = 0; i < l->n; i++) {
			const struct kobj *p = v[i];
			json_t *refs, *one;
			target_refs(p, &refs, &one);
			json_t *sel = jpath(p->j, "spec.selector.matchLabels");
			bool applies;
			if (refs || one) {
				applies = false;
				size_t r;
				json_t *ref;
				if (gw && one)
					applies = ref_names_gateway(one, gw, pod->ns, p);
				json_array_foreach(refs, r, ref)
					applies = applies || (gw && ref_names_gateway(ref, gw, pod->ns, p));
				if (waypoint && notes)
					sl_take(notes, xasprintf(
					    "AuthorizationPolicy %s/%s has targetRefs: for a waypoint they name a "
					    "Service or the waypoint (Istio 1.22 and later), which meshmedic does "
					    "not resolve yet",
					    p->ns, p->name));
				else if (!gw && notes)
					sl_take(notes, xasprintf(
					    "AuthorizationPolicy %s/%s has targetRefs, which a sidecar ignores: "
					    "they bind it to a Kubernetes Gateway (Istio 1.20 and later) or, in "
					    "ambient mode, to the waypoint of a Service (Istio 1.22 and later)",
					    p->ns, p->name));
			} else
				/* Gateway API gateways too, while ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is on (the default) */
				applies = !waypoint && (!sel || labels_match(sel, labels));
			if (applies) {
				if (out.n == out.cap) {
					out.cap = out.cap ? out.cap * 2 : 8;
					out.v = xrealloc(out.v, out.cap * sizeof *out.v);
				}
				out.v[out.n++] = p;
			}
		}
		free(v);
	}
	return out;
}

/* ---- ports ---- */

const char *authz_port_protocol(json_t *svc_port)
{
	static const char *const http[] = {"http", "http2", "grpc", "h2c", "kubernetes.io/h2c",
	                                   "kubernetes.io/ws", "kubernetes.io/wss"};
	static const char *const tcp[] = {"tcp", "tls", "https", "mongo", "mysql", "redis"};
	char *p = workload_port_protocol(svc_port);
	const char *r = "sniffed";
	for (size_t i = 0; p && i < MM_ARRAY_LEN(http); i++)
		if (strcmp(p, http[i]) == 0)
			r = "http";
	for (size_t i = 0; p && i < MM_ARRAY_LEN(tcp); i++)
		if (strcmp(p, tcp[i]) == 0)
			r = "tcp";
	free(p);
	return r;
}

long authz_target_port(json_t *svc_port, const struct kobj *pod)
{
	json_t *t = json_object_get(svc_port, "targetPort");
	if (json_is_integer(t))
		return (long)json_integer_value(t);
	if (!json_is_string(t))
		return json_is_integer(json_object_get(svc_port, "port"))
		           ? (long)json_integer_value(json_object_get(svc_port, "port"))
		           : -1;
	size_t i, k;
	json_t *ctr, *cp;
	json_array_foreach(jpath(pod ? pod->j : NULL, "spec.containers"), i, ctr)
		json_array_foreach(json_object_get(ctr, "ports"), k, cp) {
			const char *n = jstr(cp, "name");
			if (n && strcmp(n, json_string_value(t)) == 0)
				return (long)json_integer_value(json_object_get(cp, "containerPort"));
		}
	return -1;
}
