/*
 * The AuthorizationPolicy evaluator (detect/authz.c), field by field, then
 * request x policy set -> decision tables. Each test names the Istio page or
 * source file whose rule it follows:
 *   [ref]   istio.io/latest/docs/reference/config/security/authorization-policy/
 *   [cond]  istio.io/latest/docs/reference/config/security/conditions/
 *   [concepts] istio.io/latest/docs/concepts/security/#authorization
 *   [model] istio/istio pilot/pkg/security/authz/model/{model,generator}.go
 *   [builder] istio/istio pilot/pkg/security/authz/builder/builder.go
 *   [bundle] istio/istio pilot/pkg/security/trustdomain/bundle.go
 *   [attach] istio/istio pilot/pkg/model/policyattachment.go and authorization.go
 *   [2021-004] istio.io/latest/news/security/istio-security-2021-004/ (mTLS-only fields)
 */
#include <jansson.h>

#include "cluster/cluster.h"
#include "detect/authz.h"
#include "tap.h"

/* Add an object written as JSON with single quotes (read as double quotes). */
static void add(struct cluster *c, const char *text)
{
	char *t = xstrdup(text);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t err;
	json_t *j = json_loads(t, 0, &err);
	if (!j)
		printf("# bad test JSON: %s: %s\n", err.text, t);
	else
		cluster_add(c, j, "", 0);
	free(t);
}

static struct cluster *fresh(const char *mesh_yaml)
{
	struct cluster *c = cluster_new();
	add(c, "{'kind': 'Pod', 'metadata': {'name': 'istiod-1', 'namespace': 'istio-system', "
	       "'labels': {'app': 'istiod'}}, 'spec': {'containers': [{'name': 'discovery', "
	       "'image': 'istio/pilot:1.22.3'}]}, 'status': {'phase': 'Running'}}");
	if (mesh_yaml) {
		json_t *cm = json_pack("{s:s, s:{s:s, s:s}, s:{s:s}}", "kind", "ConfigMap", "metadata",
		                       "name", "istio", "namespace", "istio-system", "data", "mesh",
		                       mesh_yaml);
		cluster_add(c, cm, "", 0);
	}
	return c;
}

static int seq;

/* An AuthorizationPolicy ns/name with the given spec (JSON, single quotes); returns it. */
static const struct kobj *policy(struct cluster *c, const char *ns, const char *name,
                                 const char *spec)
{
	char *t = xasprintf("{'kind': 'AuthorizationPolicy', 'metadata': {'name': '%s', "
	                    "'namespace': '%s', 'creationTimestamp': '2026-01-01T00:00:%02dZ'}, "
	                    "'spec': %s}",
	                    name, ns, seq++ % 60, spec);
	add(c, t);
	free(t);
	return cluster_get(c, "AuthorizationPolicy", ns, name);
}

static struct strlist headers;
static json_t *claims;

/* The request most tests send: sleep (mTLS) to httpbin's port 80, GET /headers, with a JWT. */
static struct authz_request http_rq(void)
{
	return (struct authz_request){
	    .http = true,
	    .principal = "cluster.local/ns/shop/sa/sleep",
	    .source_ip = "10.8.1.10",
	    .dest_ip = "10.8.1.20",
	    .port = 80,
	    .sni = "outbound_.8000_._.httpbin.shop.svc.cluster.local",
	    .host = "httpbin:8000",
	    .method = "GET",
	    .path = "/headers?show=1",
	    .headers = &headers,
	    .claims = claims,
	};
}

static struct authz_request tcp_rq(void)
{
	struct authz_request r = http_rq();
	r.http = false;
	r.host = r.method = r.path = NULL;
	r.headers = NULL;
	r.claims = NULL;
	return r;
}

/* The rule of a one-policy set (spec in ns shop) that matches rq; -1 if none. */
static int match_in(const char *mesh, const char *spec, const struct authz_request *rq)
{
	struct cluster *c = fresh(mesh);
	const struct kobj *p = policy(c, "shop", "p", spec);
	struct authz_result r;
	authz_evaluate(c, &p, 1, rq, &r);
	int rule = r.n ? r.v[0].rule : -2;
	authz_result_free(&r);
	cluster_free(c);
	return rule;
}

static int match(const char *spec, const struct authz_request *rq)
{
	return match_in(NULL, spec, rq);
}

/* An ALLOW policy whose only rule has one source field. */
static int from(const char *source, const struct authz_request *rq)
{
	char *spec = xasprintf("{'rules': [{'from': [{'source': %s}]}]}", source);
	int r = match(spec, rq);
	free(spec);
	return r;
}

static int to(const char *op, const struct authz_request *rq)
{
	char *spec = xasprintf("{'rules': [{'to': [{'operation': %s}]}]}", op);
	int r = match(spec, rq);
	free(spec);
	return r;
}

static int when(const char *cond, const struct authz_request *rq)
{
	char *spec = xasprintf("{'rules': [{'when': [%s]}]}", cond);
	int r = match(spec, rq);
	free(spec);
	return r;
}

static void test_string_forms(void)
{
	struct authz_request rq = http_rq();
	/* [ref] Rule: exact, prefix "abc*", suffix "*abc", presence "*" */
	ok(to("{'paths': ['/headers']}", &rq) == 0, "paths: exact match, the query string left out");
	ok(to("{'paths': ['/head*']}", &rq) == 0, "paths: prefix match");
	ok(to("{'paths': ['*ers']}", &rq) == 0, "paths: suffix match");
	ok(to("{'paths': ['*']}", &rq) == 0, "paths: presence match");
	ok(to("{'paths': ['/header']}", &rq) == -1, "paths: an exact path is not a prefix");
	ok(to("{'notPaths': ['/admin*']}", &rq) == 0, "notPaths: a path outside them matches");
	ok(to("{'notPaths': ['/head*']}", &rq) == -1, "notPaths: a path among them does not");
	/* [ref] paths: path templates of Istio 1.17+, {*} one segment, {**} the rest */
	struct authz_request t = http_rq();
	t.path = "/api/v1/users/7";
	ok(to("{'paths': ['/api/{*}/users/{*}']}", &t) == 0, "paths: {*} matches one segment");
	ok(to("{'paths': ['/api/{*}']}", &t) == -1, "paths: {*} does not match several segments");
	ok(to("{'paths': ['/api/{**}']}", &t) == 0, "paths: {**} matches the remaining segments");
}

static void test_sources(void)
{
	struct authz_request rq = http_rq(), plain = http_rq();
	plain.principal = NULL;
	/* [ref] Source.principals: TRUST_DOMAIN/ns/NS/sa/SA of the peer certificate */
	ok(from("{'principals': ['cluster.local/ns/shop/sa/sleep']}", &rq) == 0,
	   "principals: the caller's identity matches");
	ok(from("{'principals': ['example.com/ns/shop/sa/sleep']}", &rq) == -1,
	   "principals: another trust domain does not match");
	ok(from("{'principals': ['cluster.local/ns/shop/*']}", &rq) == 0,
	   "principals: prefix match");
	ok(from("{'principals': ['*/sa/sleep']}", &rq) == 0, "principals: suffix match");
	ok(from("{'principals': ['*']}", &rq) == 0, "principals: '*' matches any mTLS caller");
	/* [2021-004] principals and namespaces require mTLS: a plain-text caller has neither */
	ok(from("{'principals': ['*']}", &plain) == -1,
	   "principals: '*' does not match a plain-text caller");
	ok(from("{'notPrincipals': ['*']}", &plain) == 0,
	   "notPrincipals: '*' matches a plain-text caller (the best-practice deny of plain text)");
	ok(from("{'notPrincipals': ['cluster.local/ns/shop/sa/sleep']}", &rq) == -1,
	   "notPrincipals: the caller among them does not match");
	/* [bundle] cluster.local stands for the local trust domain and its aliases */
	struct authz_request td = http_rq();
	td.principal = "corp.example/ns/shop/sa/sleep";
	ok(match_in("trustDomain: corp.example",
	            "{'rules': [{'from': [{'source': {'principals': ['cluster.local/ns/shop/sa/sleep']}}]}]}",
	            &td) == 0,
	   "principals: cluster.local matches the mesh's own trust domain");
	ok(match_in("trustDomain: new.example\ntrustDomainAliases: [old.example]",
	            "{'rules': [{'from': [{'source': {'principals': ['old.example/ns/shop/sa/sleep']}}]}]}",
	            &(struct authz_request){.http = true, .principal = "new.example/ns/shop/sa/sleep"}) == 0,
	   "principals: an alias of the trust domain matches the current one");
	/* [model] Source.serviceAccounts (Istio 1.25+): NS/SA, or SA in the policy's namespace */
	ok(from("{'serviceAccounts': ['shop/sleep']}", &rq) == 0, "serviceAccounts: NS/SA");
	ok(from("{'serviceAccounts': ['sleep']}", &rq) == 0,
	   "serviceAccounts: SA alone is in the policy's namespace");
	ok(from("{'serviceAccounts': ['other/sleep']}", &rq) == -1,
	   "serviceAccounts: the same account in another namespace");
	ok(from("{'serviceAccounts': ['shop/slee']}", &rq) == -1,
	   "serviceAccounts: no prefix match");
	ok(from("{'notServiceAccounts': ['shop/sleep']}", &plain) == 0,
	   "notServiceAccounts: matches a plain-text caller");
	/* [ref] Source.namespaces: the namespace of the peer's identity */
	ok(from("{'namespaces': ['shop']}", &rq) == 0, "namespaces: the caller's namespace");
	ok(from("{'namespaces': ['sh*']}", &rq) == 0, "namespaces: prefix match");
	ok(from("{'namespaces': ['other']}", &rq) == -1, "namespaces: another namespace");
	ok(from("{'namespaces': ['shop']}", &plain) == -1,
	   "namespaces: a plain-text caller has no namespace");
	ok(from("{'notNamespaces': ['other']}", &plain) == 0,
	   "notNamespaces: matches a plain-text caller");
	/* [ref] Source.ipBlocks: the packet's source address, single IP or CIDR */
	ok(from("{'ipBlocks': ['10.8.1.0/24']}", &rq) == 0, "ipBlocks: a CIDR holding the caller");
	ok(from("{'ipBlocks': ['10.8.1.10']}", &rq) == 0, "ipBlocks: the single address");
	ok(from("{'ipBlocks': ['10.9.0.0/16']}", &rq) == -1, "ipBlocks: another block");
	ok(from("{'notIpBlocks': ['10.8.0.0/16']}", &rq) == -1, "notIpBlocks: the caller's block");
	struct authz_request v6 = http_rq();
	v6.source_ip = "fd00::10";
	ok(from("{'ipBlocks': ['fd00::/64']}", &v6) == 0, "ipBlocks: IPv6");
	/* [ref] remoteIpBlocks: X-Forwarded-For or proxy protocol, else the peer */
	struct authz_request rem = http_rq();
	rem.remote_ip = "203.0.113.4";
	ok(from("{'remoteIpBlocks': ['203.0.113.0/24']}", &rem) == 0, "remoteIpBlocks: the client");
	ok(from("{'remoteIpBlocks': ['10.8.1.10']}", &rq) == 0,
	   "remoteIpBlocks: without a forwarded address, the peer");
	ok(from("{'notRemoteIpBlocks': ['203.0.113.0/24']}", &rem) == -1,
	   "notRemoteIpBlocks: the client's block");
	/* [ref] Source.requestPrincipals: ISS/SUB of a validated JWT */
	ok(from("{'requestPrincipals': ['https://issuer.example.com/alice']}", &rq) == 0,
	   "requestPrincipals: ISS/SUB");
	ok(from("{'requestPrincipals': ['*']}", &rq) == 0, "requestPrincipals: any JWT");
	ok(from("{'requestPrincipals': ['*/alice']}", &rq) == 0,
	   "requestPrincipals: '*/SUB' any issuer");
	ok(from("{'requestPrincipals': ['https://issuer.example.com/*']}", &rq) == 0,
	   "requestPrincipals: 'ISS/*' any subject");
	ok(from("{'requestPrincipals': ['https://issuer.example.com/bob']}", &rq) == -1,
	   "requestPrincipals: another subject");
	struct authz_request nojwt = http_rq();
	nojwt.claims = NULL;
	ok(from("{'requestPrincipals': ['*']}", &nojwt) == -1,
	   "requestPrincipals: a request without JWT has none");
	ok(from("{'notRequestPrincipals': ['*']}", &nojwt) == 0,
	   "notRequestPrincipals: '*' matches a request without JWT (require a token)");
	/* [ref] Fields in a source are ANDed, sources are ORed */
	ok(from("{'principals': ['*'], 'namespaces': ['other']}", &rq) == -1,
	   "a source's fields are ANDed");
	ok(match("{'rules': [{'from': [{'source': {'namespaces': ['other']}}, "
	         "{'source': {'namespaces': ['shop']}}]}]}",
	         &rq) == 0,
	   "sources are ORed");
}

static void test_operations(void)
{
	struct authz_request rq = http_rq();
	/* [ref] Operation.hosts: case-insensitive, the Host header as sent (with its port) */
	ok(to("{'hosts': ['HTTPBIN:8000']}", &rq) == 0, "hosts: case-insensitive");
	ok(to("{'hosts': ['httpbin']}", &rq) == -1,
	   "hosts: an exact host does not match a Host header with a port");
	ok(to("{'hosts': ['httpbin*']}", &rq) == 0, "hosts: a prefix covers the port");
	ok(to("{'notHosts': ['*.example.com']}", &rq) == 0, "notHosts: another domain matches");
	/* [ref] Operation.ports: the port of the connection at the workload */
	ok(to("{'ports': ['80']}", &rq) == 0, "ports: the workload port");
	ok(to("{'ports': ['8000']}", &rq) == -1, "ports: the Service port is not the workload's");
	ok(to("{'notPorts': ['80']}", &rq) == -1, "notPorts: the workload port");
	/* [ref] Operation.methods: the HTTP method, exact and case-sensitive */
	ok(to("{'methods': ['GET', 'HEAD']}", &rq) == 0, "methods: one of them");
	ok(to("{'methods': ['get']}", &rq) == -1, "methods: case-sensitive");
	ok(to("{'notMethods': ['POST']}", &rq) == 0, "notMethods: another method");
	/* [ref] Fields in an operation are ANDed */
	ok(to("{'methods': ['GET'], 'paths': ['/admin*']}", &rq) == -1,
	   "an operation's fields are ANDed");
}

static void test_conditions(void)
{
	struct authz_request rq = http_rq();
	/* [cond] request.headers[NAME]: name case-insensitive, value matched as a string */
	ok(when("{'key': 'request.headers[x-user]', 'values': ['bob']}", &rq) == 0,
	   "request.headers: the value");
	ok(when("{'key': 'request.headers[X-USER]', 'values': ['b*']}", &rq) == 0,
	   "request.headers: the name is case-insensitive");
	ok(when("{'key': 'request.headers[x-empty]', 'values': ['*']}", &rq) == 0,
	   "request.headers: '*' is presence, an empty header is present");
	ok(when("{'key': 'request.headers[x-absent]', 'values': ['*']}", &rq) == -1,
	   "request.headers: an absent header");
	ok(when("{'key': 'request.headers[x-absent]', 'notValues': ['*']}", &rq) == 0,
	   "request.headers: notValues match an absent header");
	/* [cond] source.ip, remote.ip, destination.ip: IP or CIDR */
	ok(when("{'key': 'source.ip', 'values': ['10.8.1.0/24']}", &rq) == 0, "source.ip");
	ok(when("{'key': 'remote.ip', 'values': ['10.8.1.10']}", &rq) == 0, "remote.ip");
	ok(when("{'key': 'destination.ip', 'values': ['10.8.1.20']}", &rq) == 0, "destination.ip");
	ok(when("{'key': 'destination.ip', 'notValues': ['10.8.1.0/24']}", &rq) == -1,
	   "destination.ip notValues");
	/* [cond] source.namespace, source.principal: as namespaces and principals */
	ok(when("{'key': 'source.namespace', 'values': ['shop']}", &rq) == 0, "source.namespace");
	ok(when("{'key': 'source.principal', 'values': ['cluster.local/ns/shop/sa/sleep']}", &rq) == 0,
	   "source.principal");
	/* [cond] request.auth.principal, audiences, presenter, claims[...] */
	ok(when("{'key': 'request.auth.principal', 'values': ['https://issuer.example.com/alice']}",
	        &rq) == 0,
	   "request.auth.principal");
	ok(when("{'key': 'request.auth.audiences', 'values': ['api']}", &rq) == 0,
	   "request.auth.audiences: one of the token's audiences");
	ok(when("{'key': 'request.auth.presenter', 'values': ['web-client']}", &rq) == 0,
	   "request.auth.presenter");
	ok(when("{'key': 'request.auth.claims[groups]', 'values': ['admins']}", &rq) == 0,
	   "request.auth.claims: an element of a list claim");
	ok(when("{'key': 'request.auth.claims[org][team]', 'values': ['pay']}", &rq) == 0,
	   "request.auth.claims: a nested claim");
	ok(when("{'key': 'request.auth.claims[groups]', 'values': ['ops']}", &rq) == -1,
	   "request.auth.claims: a value the claim lacks");
	/* [cond] destination.port and connection.sni */
	ok(when("{'key': 'destination.port', 'values': ['80']}", &rq) == 0, "destination.port");
	ok(when("{'key': 'destination.port', 'values': ['8000']}", &rq) == -1,
	   "destination.port: not the Service port");
	ok(when("{'key': 'connection.sni', 'values': ['*.httpbin.shop.svc.cluster.local']}", &rq) == 0,
	   "connection.sni: suffix match");
	/* [ref] conditions are ANDed */
	ok(match("{'rules': [{'when': [{'key': 'source.namespace', 'values': ['shop']}, "
	         "{'key': 'destination.port', 'values': ['9000']}]}]}",
	         &rq) == -1,
	   "conditions are ANDed");
	/* [model] a key istiod does not know skips the rule, in DENY too */
	ok(when("{'key': 'request.method', 'values': ['GET']}", &rq) == -1,
	   "an unknown when key: the ALLOW rule never matches");
	ok(match("{'action': 'DENY', 'rules': [{'when': [{'key': 'request.method', 'values': ['GET']}]}]}",
	         &rq) == -1,
	   "an unknown when key: the DENY rule never matches either");
}

static void test_tcp(void)
{
	struct authz_request rq = tcp_rq();
	/* [model] checkError: on TCP an ALLOW rule with an HTTP-only field is dropped whole */
	ok(to("{'methods': ['GET'], 'ports': ['80']}", &rq) == -1,
	   "TCP: an ALLOW rule with methods never matches");
	ok(from("{'requestPrincipals': ['*']}", &rq) == -1,
	   "TCP: an ALLOW rule with requestPrincipals never matches");
	ok(when("{'key': 'request.headers[x-user]', 'values': ['bob']}", &rq) == -1,
	   "TCP: an ALLOW rule with request.headers never matches");
	ok(match("{'rules': [{'to': [{'operation': {'ports': ['80']}}, {'operation': {'paths': ['/x']}}]}]}",
	         &rq) == -1,
	   "TCP: one HTTP-only operation drops the whole ALLOW rule, the other operations too");
	/* [ref] "For a DENY rule, missing attributes are treated as matches" */
	ok(match("{'action': 'DENY', 'rules': [{'to': [{'operation': {'methods': ['DELETE']}}]}]}",
	         &rq) == 0,
	   "TCP: a DENY rule of only HTTP fields matches every connection");
	ok(match("{'action': 'DENY', 'rules': [{'to': [{'operation': {'methods': ['DELETE'], "
	         "'ports': ['9000']}}]}]}",
	         &rq) == -1,
	   "TCP: a DENY rule keeps its TCP fields (ports)");
	ok(from("{'principals': ['cluster.local/ns/shop/sa/sleep'], 'namespaces': ['shop']}", &rq) == 0,
	   "TCP: principals and namespaces work on TCP");
	/* [model] a value istiod cannot parse: ALLOW drops the rule, DENY the value */
	struct authz_request h = http_rq();
	ok(from("{'ipBlocks': ['not-an-ip', '10.8.1.10']}", &h) == -1,
	   "a bad IP block drops the ALLOW rule");
	ok(match("{'action': 'DENY', 'rules': [{'from': [{'source': {'ipBlocks': ['not-an-ip']}}]}]}",
	         &h) == 0,
	   "a bad IP block is dropped from a DENY rule, which then matches all");
}

static void test_rules(void)
{
	struct authz_request rq = http_rq();
	/* [ref] an empty rule always matches; no rules never match; rules are ORed */
	ok(match("{'rules': [{}]}", &rq) == 0, "an empty rule matches every request");
	ok(match("{}", &rq) == -1, "spec {} (no rules) matches nothing");
	ok(match("{'rules': [{'to': [{'operation': {'paths': ['/x']}}]}, {}]}", &rq) == 1,
	   "rules are ORed: the second rule matches");
	/* [builder] "skipped nil rule": a null rule is not the empty rule */
	ok(match("{'rules': [null]}", &rq) == -1, "a null rule is skipped, it matches nothing");
	/* [model] a From without source is any source */
	ok(match("{'rules': [{'from': [{}]}]}", &rq) == 0, "a from entry without source matches");
}

/* ---- the decision over a policy set ---- */

struct row {
	const char *name;
	const char *specs[4]; /* "NS NAME SPEC" */
	bool tcp, plain;
	bool allowed;
	const char *decided; /* "NS/NAME" or NULL */
	int rule;
	const char *custom; /* the provider of a matching CUSTOM policy asked first, or NULL */
};

static const struct row table[] = {
    /* [ref] 3. no ALLOW policies for the workload: allow */
    {"no policy", {NULL}, false, false, true, NULL, -1, NULL},
    {"allow-nothing alone", {"shop allow-nothing {}"}, false, false, false, NULL, -1, NULL},
    {"DENY without rules never matches", {"shop d {'action': 'DENY'}"}, false, false, true, NULL, -1, NULL},
    /* [ref] 2. DENY before 4. ALLOW */
    {"DENY wins over ALLOW",
     {"shop a {'rules': [{}]}", "shop d {'action': 'DENY', 'rules': [{'to': [{'operation': {'paths': ['/head*']}}]}]}"},
     false, false, false, "shop/d", 0, NULL},
    {"any ALLOW that matches allows",
     {"shop a1 {'rules': [{'to': [{'operation': {'methods': ['POST']}}]}]}",
      "shop a2 {'rules': [{'to': [{'operation': {'methods': ['PUT']}}]}, {'from': [{'source': {'namespaces': ['shop']}}]}]}"},
     false, false, true, "shop/a2", 1, NULL},
    {"ALLOW policies none matching: implicit deny",
     {"shop a1 {'rules': [{'to': [{'operation': {'methods': ['POST']}}]}]}"}, false, false, false, NULL, -1, NULL},
    /* [ref] AUDIT does not decide */
    {"AUDIT alone allows", {"shop au {'action': 'AUDIT', 'rules': [{}]}"}, false, false, true, NULL, -1, NULL},
    /* [builder] istio.io/dry-run: shadow rules, not enforced */
    {"dry-run DENY does not deny",
     {"shop d {'action': 'DENY', 'rules': [{}]} dry"}, false, false, true, NULL, -1, NULL},
    /* [builder] a CUSTOM provider missing from meshConfig: deny what the policy matches */
    {"CUSTOM with an unknown provider denies",
     {"shop c {'action': 'CUSTOM', 'provider': {'name': 'nowhere'}, 'rules': [{}]}"},
     false, false, false, "shop/c", 0, NULL},
    {"CUSTOM with a known provider leaves the rest to decide",
     {"shop c {'action': 'CUSTOM', 'provider': {'name': 'opa'}, 'rules': [{}]}"},
     false, false, true, NULL, -1, "opa"},
    /* [builder] one provider per workload (without PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS) */
    {"two CUSTOM providers on one workload deny",
     {"shop c1 {'action': 'CUSTOM', 'provider': {'name': 'opa'}, 'rules': [{}]}",
      "shop c2 {'action': 'CUSTOM', 'provider': {'name': 'web'}, 'rules': [{'to': [{'operation': {'paths': ['/x']}}]}]}"},
     false, false, false, "shop/c1", 0, NULL},
    /* [builder] an HTTP ext_authz provider is not set up on a TCP filter chain */
    {"TCP: CUSTOM of an HTTP provider is not applied",
     {"shop c {'action': 'CUSTOM', 'provider': {'name': 'web'}, 'rules': [{}]}"},
     true, false, true, NULL, -1, NULL},
    {"dry-run ALLOW does not deny",
     {"shop a {'rules': [{'to': [{'operation': {'methods': ['POST']}}]}]} dry"}, false, false, true, NULL, -1, NULL},
    /* [ref] TCP: HTTP-only ALLOW rule ignored, DENY widened */
    {"TCP: ALLOW by method denies the connection",
     {"shop a {'rules': [{'to': [{'operation': {'methods': ['GET']}}]}]}"}, true, false, false, NULL, -1, NULL},
    {"TCP: DENY by method denies every connection",
     {"shop d {'action': 'DENY', 'rules': [{'to': [{'operation': {'methods': ['DELETE']}}]}]}"},
     true, false, false, "shop/d", 0, NULL},
    {"TCP: ALLOW by principal and port allows",
     {"shop a {'rules': [{'from': [{'source': {'principals': ['cluster.local/ns/shop/sa/sleep']}}], 'to': [{'operation': {'ports': ['80']}}]}]}"},
     true, false, true, "shop/a", 0, NULL},
    /* [ref] principals need mTLS; the documented deny of plain text */
    {"plain text: ALLOW by principal denies",
     {"shop a {'rules': [{'from': [{'source': {'principals': ['cluster.local/ns/shop/sa/sleep']}}]}]}"},
     false, true, false, NULL, -1, NULL},
    {"plain text: DENY notPrincipals * denies",
     {"istio-system strict {'action': 'DENY', 'rules': [{'from': [{'source': {'notPrincipals': ['*']}}]}]}",
      "shop a {'rules': [{}]}"},
     false, true, false, "istio-system/strict", 0, NULL},
    {"unknown action is ignored", {"shop x {'action': 'LOG', 'rules': [{}]}"}, false, false, true, NULL, -1, NULL},
};

static void test_table(void)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(table); i++) {
		const struct row *t = &table[i];
		struct cluster *c = fresh("extensionProviders:\n- name: opa\n  envoyExtAuthzGrpc: {service: opa.opa.svc.cluster.local, port: 9191}\n"
		                          "- name: web\n  envoyExtAuthzHttp: {service: web.auth.svc.cluster.local, port: 8000}");
		const struct kobj *ps[4];
		size_t n = 0;
		for (; n < 4 && t->specs[n]; n++) {
			char ns[64], name[64];
			int off = 0;
			sscanf(t->specs[n], "%63s %63s %n", ns, name, &off);
			char *spec = xstrdup(t->specs[n] + off);
			bool dry = str_ends_with(spec, " dry");
			if (dry)
				spec[strlen(spec) - 4] = '\0';
			char *obj = xasprintf("{'kind': 'AuthorizationPolicy', 'metadata': {'name': '%s', "
			                      "'namespace': '%s'%s}, 'spec': %s}",
			                      name, ns,
			                      dry ? ", 'annotations': {'istio.io/dry-run': 'true'}" : "", spec);
			add(c, obj);
			ps[n] = cluster_get(c, "AuthorizationPolicy", ns, name);
			free(obj);
			free(spec);
		}
		struct authz_request rq = t->tcp ? tcp_rq() : http_rq();
		if (t->plain)
			rq.principal = NULL;
		struct authz_result r;
		authz_evaluate(c, ps, n, &rq, &r);
		char *got = r.decided ? xasprintf("%s/%s", r.decided->policy->ns, r.decided->policy->name)
		                      : NULL;
		ok(r.allowed == t->allowed && (got && t->decided ? strcmp(got, t->decided) == 0 : got == t->decided) &&
		       r.rule == t->rule,
		   "table: %s -> %s by %s rule %d", t->name, t->allowed ? "allow" : "deny",
		   t->decided ? t->decided : "no policy", t->rule);
		if (r.allowed != t->allowed || r.rule != t->rule)
			printf("#   got %s by %s rule %d: %s\n", r.allowed ? "allow" : "deny",
			       got ? got : "no policy", r.rule, r.reason);
		ok(t->custom ? r.custom && strcmp(r.custom->provider, t->custom) == 0 : !r.custom,
		   "table: %s: the provider asked first is %s", t->name, t->custom ? t->custom : "none");
		free(got);
		authz_result_free(&r);
		cluster_free(c);
	}
}

/* ---- which policies apply ---- */

static void pod(struct cluster *c, const char *ns, const char *name, const char *labels)
{
	char *t = xasprintf("{'kind': 'Pod', 'metadata': {'name': '%s', 'namespace': '%s', "
	                    "'labels': %s}, 'spec': {'containers': [{'name': 'app'}, "
	                    "{'name': 'istio-proxy'}]}, 'status': {'phase': 'Running'}}",
	                    name, ns, labels);
	add(c, t);
	free(t);
}

static bool applies(struct cluster *c, const struct kobj *pod, const char *ns, const char *name)
{
	struct kobj_list l = authz_policies_for(c, pod, NULL);
	bool found = false;
	for (size_t i = 0; i < l.n; i++)
		found = found || (strcmp(l.v[i]->ns, ns) == 0 && strcmp(l.v[i]->name, name) == 0);
	free(l.v);
	return found;
}

static void test_attachment(void)
{
	struct cluster *c = fresh(NULL);
	pod(c, "shop", "web", "{'app': 'web', 'version': 'v1'}");
	pod(c, "edge", "gw", "{'gateway.networking.k8s.io/gateway-name': 'public'}");
	const struct kobj *web = cluster_get(c, "Pod", "shop", "web"),
	                  *gw = cluster_get(c, "Pod", "edge", "gw");
	policy(c, "istio-system", "mesh-wide", "{'action': 'DENY'}");
	policy(c, "istio-system", "v1-everywhere", "{'selector': {'matchLabels': {'version': 'v1'}}}");
	policy(c, "shop", "ns-wide", "{}");
	policy(c, "shop", "web-only", "{'selector': {'matchLabels': {'app': 'web'}}}");
	policy(c, "shop", "api-only", "{'selector': {'matchLabels': {'app': 'api'}}}");
	policy(c, "other", "elsewhere", "{}");
	policy(c, "shop", "to-gateway",
	       "{'targetRefs': [{'group': 'gateway.networking.k8s.io', 'kind': 'Gateway', 'name': 'public'}]}");
	policy(c, "edge", "public-gw",
	       "{'targetRefs': [{'group': 'gateway.networking.k8s.io', 'kind': 'Gateway', 'name': 'public'}]}");
	policy(c, "edge", "other-gw",
	       "{'targetRefs': [{'group': 'gateway.networking.k8s.io', 'kind': 'Gateway', 'name': 'private'}]}");
	/* [ref] policy scope: the root namespace applies to the mesh, a selector narrows it */
	ok(applies(c, web, "istio-system", "mesh-wide"), "attach: a root-namespace policy applies mesh-wide");
	ok(applies(c, web, "istio-system", "v1-everywhere"),
	   "attach: a root-namespace selector selects in every namespace");
	ok(applies(c, web, "shop", "ns-wide"), "attach: no selector: every workload of the namespace");
	ok(applies(c, web, "shop", "web-only"), "attach: the selector matches the pod's labels");
	ok(!applies(c, web, "shop", "api-only"), "attach: a selector of other labels");
	ok(!applies(c, web, "other", "elsewhere"), "attach: another namespace's policy");
	/* [attach] targetRefs: a sidecar ignores them; a Gateway API gateway takes its own */
	struct strlist notes = {0};
	struct kobj_list l = authz_policies_for(c, web, &notes);
	free(l.v);
	ok(!applies(c, web, "shop", "to-gateway") && notes.n == 1 && strstr(notes.v[0], "to-gateway"),
	   "attach: a sidecar ignores a policy with targetRefs, and says so");
	sl_free(&notes);
	ok(applies(c, gw, "edge", "public-gw"), "attach: targetRefs naming the pod's Gateway");
	ok(!applies(c, gw, "edge", "other-gw"), "attach: targetRefs naming another Gateway");
	ok(!applies(c, gw, "shop", "to-gateway"),
	   "attach: targetRefs from another namespace than the Gateway's");
	/* [attach] a Gateway API gateway takes selector policies too (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, on by default) */
	policy(c, "edge", "edge-wide", "{}");
	ok(applies(c, gw, "edge", "edge-wide"), "attach: a namespace policy applies to a Gateway API gateway");
	/* [attach] "waypoints never use selector" */
	pod(c, "edge", "wp", "{'gateway.networking.k8s.io/gateway-name': 'waypoint', "
	                     "'gateway.istio.io/managed': 'istio.io-mesh-controller'}");
	ok(!applies(c, cluster_get(c, "Pod", "edge", "wp"), "edge", "edge-wide"),
	   "attach: a waypoint takes no policy by namespace or selector");
	cluster_free(c);
	/* [ref] the root namespace is meshConfig rootNamespace */
	c = fresh("rootNamespace: mesh-root");
	pod(c, "shop", "web", "{'app': 'web'}");
	policy(c, "mesh-root", "all", "{}");
	policy(c, "istio-system", "not-root", "{}");
	web = cluster_get(c, "Pod", "shop", "web");
	ok(applies(c, web, "mesh-root", "all") && !applies(c, web, "istio-system", "not-root"),
	   "attach: meshConfig rootNamespace replaces istio-system");
	cluster_free(c);
}

static void test_reasons(void)
{
	/* the reasons name the field that failed, with what the request had */
	struct cluster *c = fresh(NULL);
	const struct kobj *p = policy(c, "shop", "a",
	                              "{'rules': [{'from': [{'source': {'principals': "
	                              "['example.com/ns/shop/sa/sleep']}}]}]}");
	struct authz_request rq = http_rq();
	struct authz_result r;
	authz_evaluate(c, &p, 1, &rq, &r);
	ok(!r.allowed && r.n == 1 && strstr(r.v[0].why, "from[0].source.principals") &&
	       strstr(r.v[0].why, "cluster.local/ns/shop/sa/sleep"),
	   "reasons: the failing field and the caller's identity");
	authz_result_free(&r);
	p = policy(c, "shop", "t", "{'rules': [{'to': [{'operation': {'methods': ['GET']}}]}]}");
	rq = tcp_rq();
	authz_evaluate(c, &p, 1, &rq, &r);
	ok(r.n == 1 && strstr(r.v[0].why, "ignored") && strstr(r.v[0].why, "HTTP-only"),
	   "reasons: an ALLOW rule ignored on TCP says why");
	authz_result_free(&r);
	cluster_free(c);
}

int main(void)
{
	sl_add(&headers, "x-user=bob");
	sl_add(&headers, "x-empty=");
	claims = json_pack("{s:s, s:s, s:[s, s], s:s, s:[s, s], s:{s:s}}", "iss",
	                   "https://issuer.example.com", "sub", "alice", "aud", "web", "api", "azp",
	                   "web-client", "groups", "admins", "dev", "org", "team", "pay");
	test_string_forms();
	test_sources();
	test_operations();
	test_conditions();
	test_tcp();
	test_rules();
	test_table();
	test_attachment();
	test_reasons();
	json_decref(claims);
	sl_free(&headers);
	return done_testing();
}
