/*
 * Istio's AuthorizationPolicies evaluated offline for one request, the way
 * the server's proxy does (detect/authz.c): which policies apply to a
 * workload, then CUSTOM, DENY and ALLOW in that order, each rule's from, to
 * and when as istiod translates them into Envoy RBAC filters
 * (pilot/pkg/security/authz/builder and model). Used by `meshmedic authz`
 * and by the probes and detectors of denied requests.
 */
#ifndef MM_AUTHZ_H
#define MM_AUTHZ_H

#include "cluster/cluster.h"

enum authz_action { AUTHZ_ALLOW, AUTHZ_DENY, AUTHZ_AUDIT, AUTHZ_CUSTOM, AUTHZ_UNKNOWN };

/* One request as the server's proxy sees it. NULL strings are absent (or unknown). */
struct authz_request {
	bool http;             /* the port speaks HTTP; false: TCP, where HTTP-only fields cannot be read */
	const char *principal; /* the caller's mTLS identity "TD/ns/NS/sa/SA"; NULL: plain text */
	const char *source_ip; /* the peer's address (source.ip, ipBlocks) */
	const char *remote_ip; /* the original client (remote.ip, remoteIpBlocks); NULL: source_ip */
	const char *dest_ip;   /* the server pod's address (destination.ip) */
	long port;             /* the workload (container) port (ports, destination.port) */
	const char *sni;       /* connection.sni */
	const char *host, *method, *path;
	const struct strlist *headers; /* "Name=value" */
	json_t *claims;        /* the payload of a valid JWT (iss, sub, aud, azp, ...); NULL: none */
};

/* How one policy fared. */
struct authz_verdict {
	const struct kobj *policy;
	enum authz_action action;
	const char *provider; /* CUSTOM: the extension provider's name (borrowed) */
	bool dry_run;         /* istio.io/dry-run: evaluated and logged, never enforced */
	int rule;             /* the first matching rule, -1 if none matched */
	char *why;            /* what matched, or why each rule failed (its first failing field) */
};

struct authz_result {
	bool allowed;
	const struct authz_verdict *decided; /* the policy that decided; NULL: no policy did */
	int rule;                            /* its rule, -1 when none (or the policy has no rules) */
	char *reason;                        /* one sentence for the person */
	const struct authz_verdict *custom;  /* a CUSTOM policy matched: its provider is asked first */
	struct authz_verdict *v;             /* every applicable policy, in the proxy's order */
	size_t n;
};

/* The action named by a policy's spec.action (ALLOW when absent). */
enum authz_action authz_action_of(const struct kobj *policy);
const char *authz_action_name(enum authz_action a);

/*
 * The AuthorizationPolicies that apply to a pod, in istiod's order (the root
 * namespace's, then the pod's namespace's, each oldest first): those without
 * selector or targetRefs in the root namespace or the pod's namespace, those
 * whose selector the pod's labels satisfy, and for a Kubernetes Gateway's pod
 * those whose targetRefs name its Gateway; a waypoint gets no selector policy. *notes gets one line per policy
 * left out for a reason worth telling (targetRefs on a sidecar). Caller frees .v.
 */
struct kobj_list authz_policies_for(struct cluster *c, const struct kobj *pod, struct strlist *notes);

/*
 * Evaluate policies (n of them, in the proxy's order) for one request.
 * Fills out (free with authz_result_free).
 */
void authz_evaluate(struct cluster *c, const struct kobj *const *policies, size_t n,
                    const struct authz_request *rq, struct authz_result *out);
void authz_result_free(struct authz_result *r);

/* The mesh's trust domain (meshConfig trustDomain, default cluster.local). */
const char *authz_trust_domain(struct cluster *c);

/*
 * What a port speaks, for authorization: "http" (HTTP, HTTP/2, gRPC), "tcp"
 * (any other declared protocol), or "sniffed" (no protocol in the port's name
 * or appProtocol: the proxy detects HTTP from the first bytes).
 */
const char *authz_port_protocol(json_t *svc_port);

/* The container port a Service port reaches on a pod (a named targetPort is looked up); -1 if none. */
long authz_target_port(json_t *svc_port, const struct kobj *pod);

#endif
