/*
 * The probe that runs the AuthorizationPolicy evaluator (detect/authz.h)
 * for the walk's caller and service: a GET / from {pod} to the service's
 * port as the server pods' proxies see it (the caller's identity when it
 * sends mutual TLS), and the decision of the policies that apply to them.
 * It answers which kind of policy decided; the path and method the person
 * sees are not known here, so a decision that depends on them is reported
 * as what a plain GET / gets.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "detect/authz.h"
#include "probes/probe.h"

/* The one port of the Service, or its first TCP one when the walk is about TCP; NULL if ambiguous. */
static json_t *service_port(const struct kobj *svc)
{
	json_t *ports = jpath(svc->j, "spec.ports");
	return json_array_size(ports) >= 1 ? json_array_get(ports, 0) : NULL;
}

/* The caller's identity as the server sees it: its principal when it sends Istio mTLS, else NULL. */
static char *caller_principal(struct cluster *c, const struct kobj *caller, const struct kobj *svc,
                              json_t *port, const struct kobj *server, long target)
{
	if (!pod_has_sidecar(caller))
		return NULL;
	char *fqdn = host_fqdn(svc->name, svc->ns);
	struct dr_set set = {0};
	dr_lookup(c, fqdn, caller->ns, &set);
	struct client_tls tls = {0};
	mesh_client_tls(c, &set, NULL, (long)json_integer_value(json_object_get(port, "port")), server,
	                target, &tls);
	free(fqdn);
	if (!tls.istio_certs)
		return NULL;
	const char *sa = jstr(caller->j, "spec.serviceAccountName");
	return xasprintf("%s/ns/%s/sa/%s", authz_trust_domain(c), caller->ns, sa && *sa ? sa : "default");
}

/* The choice a result gives, and the evidence line. */
static void answer(const struct probe_ctx *x, struct probe_result *r, const struct authz_result *res,
                   const struct kobj *server, const char *who)
{
	/* a CUSTOM policy that decides (an undeclared provider), or whose authorizer is asked first */
	const char *choice = "allowed";
	if (res->decided && res->decided->action == AUTHZ_CUSTOM)
		choice = "custom";
	else if (!res->allowed && res->decided && res->decided->action == AUTHZ_DENY)
		choice = "deny";
	else if (!res->allowed)
		choice = "no-allow";
	else if (res->custom)
		choice = "custom";
	if (!probe_has_choice(x, choice)) {
		probe_unknown(r, "the evaluator says %s, which this question does not offer", choice);
		return;
	}
	probe_answer(r, choice, "meshmedic authz, %s to pod %s: %s", who, server->name, res->reason);
	for (size_t i = 0; i < res->n; i++)
		sl_take(&r->evidence,
		        xasprintf("%s policy %s/%s%s: %s", authz_action_name(res->v[i].action),
		                  res->v[i].policy->ns, res->v[i].policy->name,
		                  res->v[i].dry_run ? " (dry run)" : "", res->v[i].why ? res->v[i].why : ""));
}

/*
 * Evaluate a GET / (or a TCP connection) from {pod} to the first port of
 * {service} on its first running pod with a sidecar; false with the reason
 * set. *server and *who (new) say what was evaluated; free res.
 */
static bool evaluate(const struct probe_ctx *x, struct probe_result *r, struct authz_result *res,
                     const struct kobj **server, char **who)
{
	if (!probe_readable(x, r, "AuthorizationPolicy", "AuthorizationPolicies"))
		return false;
	const struct kobj *svc = probe_object(x, r, "Service", "service");
	if (!svc)
		return false;
	const char *caller_name = probe_in(x, "pod");
	const struct kobj *caller = caller_name ? probe_object(x, r, "Pod", "pod") : NULL;
	if (!caller) {
		if (!caller_name)
			probe_unknown(r, "no calling pod given (--set pod=NAME): its identity decides");
		return false;
	}
	json_t *port = service_port(svc);
	struct kobj_list pods = service_pods(x->cluster, svc);
	*server = NULL;
	for (size_t i = 0; i < pods.n && !*server; i++)
		if (pod_running(pods.v[i]) && pod_has_sidecar(pods.v[i]))
			*server = pods.v[i];
	free(pods.v);
	if (!port || !*server) {
		probe_unknown(r, "Service %s/%s has %s", svc->ns, svc->name,
		              !port ? "no port" : "no running pod with a sidecar to enforce policies");
		return false;
	}
	long target = authz_target_port(port, *server);
	if (target < 0)
		target = (long)json_integer_value(json_object_get(port, "port"));
	char *principal = caller_principal(x->cluster, caller, svc, port, *server, target);
	struct kobj_list pol = authz_policies_for(x->cluster, *server, NULL);
	struct authz_request rq = {
	    .http = strcmp(authz_port_protocol(port), "tcp") != 0,
	    .principal = principal,
	    .source_ip = jstr(caller->j, "status.podIP"),
	    .dest_ip = jstr((*server)->j, "status.podIP"),
	    .port = target,
	};
	rq.method = rq.http ? "GET" : NULL;
	rq.path = rq.http ? "/" : NULL;
	rq.host = rq.http ? svc->name : NULL;
	authz_evaluate(x->cluster, (const struct kobj *const *)pol.v, pol.n, &rq, res);
	*who = xasprintf("%s from %s (%s)", rq.http ? "GET /" : "a TCP connection", caller->name,
	                 principal ? principal : "plain text, no identity");
	free(pol.v);
	free(principal);
	return true;
}

static void authz_decision(const struct probe_ctx *x, struct probe_result *r)
{
	struct authz_result res = {0};
	const struct kobj *server;
	char *who = NULL;
	if (evaluate(x, r, &res, &server, &who))
		answer(x, r, &res, server, who);
	free(who);
	authz_result_free(&res);
}

/* Whether the DENY policy that refuses the request is a root-namespace one without selector. */
static void authz_deny_root(const struct probe_ctx *x, struct probe_result *r)
{
	struct authz_result res = {0};
	const struct kobj *server;
	char *who = NULL;
	if (evaluate(x, r, &res, &server, &who)) {
		const struct kobj *p = res.decided ? res.decided->policy : NULL;
		if (res.allowed || !p || res.decided->action != AUTHZ_DENY)
			probe_unknown(r, "the evaluator finds no DENY policy refusing %s: %s", who,
			              res.reason);
		else if (strcmp(p->ns, mesh_root_namespace(x->cluster)) == 0 &&
		         !json_object_size(jpath(p->j, "spec.selector")))
			probe_answer(r, "authz-root-namespace-policy",
			             "%s is denied by DENY policy %s/%s, in the root namespace without "
			             "selector: it applies to the whole mesh",
			             who, p->ns, p->name);
		else
			probe_answer(r, "none", "%s is denied by DENY policy %s/%s, of the workload's own scope",
			             who, p->ns, p->name);
	}
	free(who);
	authz_result_free(&res);
}

PROBE_SUMMARY("authz-decision", authz_decision,
              "which AuthorizationPolicy decides a GET / from {pod} to the service "
              "(meshmedic authz's evaluator): a DENY policy, no ALLOW rule, a CUSTOM provider",
              "namespace", "service", "pod", NULL);

PROBE_SUMMARY("authz-deny-root", authz_deny_root,
              "whether the DENY policy that refuses a GET / from {pod} to the service is a "
              "mesh-wide one (root namespace, no selector)",
              "namespace", "service", "pod", NULL);

const struct probe *const probes_authz[] = {&probe_authz_decision, &probe_authz_deny_root, NULL};
