/*
 * Istio semantics over the cluster model, shared by probes and detectors:
 * which pods a Service selects, whether a pod has a sidecar, how a host name
 * resolves, which DestinationRule and PeerAuthentication apply, and what
 * TLS a client sends.
 */
#ifndef MM_MESH_H
#define MM_MESH_H

#include "cluster/cluster.h"

/* Pods the Service selects (same namespace). Caller frees .v. */
struct kobj_list service_pods(struct cluster *c, const struct kobj *svc);

bool pod_has_sidecar(const struct kobj *pod);
bool pod_ready(const struct kobj *pod);
bool pod_running(const struct kobj *pod);
bool service_headless(const struct kobj *svc);

/* "reviews" in ns "default" -> "reviews.default.svc.cluster.local". New string. */
char *host_fqdn(const char *host, const char *ns);

/* The Service an FQDN "NAME.NS.svc.cluster.local" names, or NULL (wildcards and other hosts). */
const struct kobj *service_of_host(struct cluster *c, const char *fqdn);

/*
 * Whether a host pattern covers a host, as Istio matches them: "*" covers
 * every host, "*.suffix" every host ending in ".suffix" (a narrower wildcard
 * too), any other pattern only itself.
 */
bool host_matches(const char *pattern, const char *fqdn);
/* Whether two host patterns share a host (one covers the other). */
bool hosts_overlap(const char *a, const char *b);
/* Istio's "more specific": an exact host before a wildcard, else the longer. */
bool host_more_specific(const char *a, const char *b);

/* Whether an object's exportTo (else meshConfig's default for its kind) lets namespace ns see it. */
bool mesh_exported_to(struct cluster *c, const struct kobj *o, const char *ns);

/* A DestinationRule's host as Istio resolves it (short names in its namespace). New string or NULL. */
char *dr_host(const struct kobj *dr);

/*
 * The DestinationRules that apply to traffic from client_ns to fqdn, as
 * istiod chooses and merges them: rules visible locally in the client's
 * namespace, then those the host's namespace exports to it, then those the
 * root namespace exports; in each, the most specific host (exact, else the
 * longest wildcard); rules for that same host merged, oldest first (v[0]):
 * its trafficPolicy wins if it has one, subsets are added by name, first
 * definition wins. Rules with a workloadSelector are left out.
 */
#define MESH_DR_MAX 8
struct dr_set {
	const struct kobj *v[MESH_DR_MAX];
	size_t n;
};
bool dr_lookup(struct cluster *c, const char *fqdn, const char *client_ns, struct dr_set *out);

/* The first rule of dr_lookup (client_ns NULL: the host's own namespace), or NULL. */
const struct kobj *dr_for_host(struct cluster *c, const char *fqdn, const char *client_ns);

/* The merged trafficPolicy (the first rule that has one) and its rule; NULL if none. */
json_t *dr_set_policy(const struct dr_set *set, const struct kobj **owner);
/* The merged subset of that name and the rule defining it; NULL if none. */
json_t *dr_set_subset(const struct dr_set *set, const char *name, const struct kobj **owner);

/*
 * The TLS mode one DestinationRule sets for a service port; NULL if unset.
 * A portLevelSettings entry for the port replaces the rule-wide settings
 * and does not inherit its tls.
 */
const char *dr_tls_mode(const struct kobj *dr, long port);

/* What a client sidecar sends to one server pod. */
struct client_tls {
	const char *mode;      /* ISTIO_MUTUAL, MUTUAL, SIMPLE or DISABLE (plain text) */
	bool istio_certs;      /* mutual TLS with the mesh's certificates */
	bool automatic;        /* no rule sets a mode: auto mTLS (or plain text when it is off) */
	const struct kobj *dr; /* the rule whose policy decided, or the first rule; NULL: none */
};
/*
 * From the rules of dr_lookup (set NULL or empty: none) for a service port
 * and optionally a subset: the rule's mode (subset, port-level, rule-wide);
 * else with auto mTLS, Istio mutual TLS if the pod has a sidecar and no
 * PeerAuthentication disables mTLS on target_port, plain text otherwise;
 * else (auto mTLS off) plain text.
 */
void mesh_client_tls(struct cluster *c, const struct dr_set *set, const char *subset, long svc_port,
                     const struct kobj *pod, long target_port, struct client_tls *out);

/* What a server pod accepts on a container port: peer_auth_mode, or "NONE" without a sidecar. */
const char *mesh_server_mtls(struct cluster *c, const struct kobj *pod, long target_port,
                             const struct kobj **why);

/* Whether the connection fails: plain or non-Istio TLS to STRICT, Istio mTLS to DISABLE or NONE. */
bool mtls_clash(const struct client_tls *client, const char *server);

/* enableAutoMtls from meshConfig (true by default since Istio 1.5). */
bool mesh_auto_mtls(struct cluster *c);

/* The root namespace (meshConfig rootNamespace, else the control-plane namespace). */
const char *mesh_root_namespace(struct cluster *c);

/*
 * The mutual TLS mode a pod's sidecar enforces on a container port, as
 * istiod composes PeerAuthentications: mesh (root namespace, no selector),
 * namespace, workload (selector, not in the root namespace), the oldest of
 * each; PERMISSIVE unless one sets a mode; UNSET inherits; portLevelMtls of
 * the workload policy only. *why (borrowed) names the deciding policy, or NULL.
 */
const char *peer_auth_mode(struct cluster *c, const struct kobj *pod, long port,
			   const struct kobj **why);

/* The Sidecar resource that configures a pod: its own (selector), its namespace's, the root's. */
const struct kobj *sidecar_for_pod(struct cluster *c, const struct kobj *pod);
/* Whether a Sidecar's egress imports what namespace ns declares for fqdn ("ns/host" entries). */
bool sidecar_imports(const struct kobj *sc, const char *pod_ns, const char *ns, const char *fqdn);

/* Whether a ServiceEntry's hosts cover fqdn (a short host completed with the entry's namespace). */
bool service_entry_covers(const struct kobj *se, const char *fqdn);
/* A ServiceEntry with a host covering host (visible to client_ns unless NULL), or NULL. */
const struct kobj *mesh_service_entry(struct cluster *c, const char *host, const char *client_ns);

/* Whether a label key is one istiod sets on endpoints from the node and network. */
bool topology_label(const char *key);
/*
 * Whether a DestinationRule subset's labels select a pod's endpoint: pod
 * labels, and for topology labels the node's or network's value (a key
 * whose value the model cannot know is not held against the pod).
 */
bool subset_selects_pod(struct cluster *c, json_t *labels, const struct kobj *pod);

/* The first object's "Kind/ns/name" (or "Kind/name"). New string. */
char *kobj_ref(const struct kobj *o);

/* The value of the injection label of a namespace: "enabled", "disabled", "rev:NAME" or NULL. */
char *namespace_injection(const struct kobj *ns);

/* What the mesh configuration says about access log lines in a pod's istio-proxy log. */
enum mesh_log {
	MESH_LOG_UNSET,    /* nothing turns it on (Istio's default: no access log) */
	MESH_LOG_ON,       /* every request is written to the proxy's standard output */
	MESH_LOG_FILTERED, /* only the requests that match a filter expression are */
	MESH_LOG_OFF,      /* turned off, or sent somewhere other than the container log */
};
/* Telemetry's workload modes: outbound traffic (and gateways), inbound traffic. */
#define MESH_LOG_CLIENT 1u
#define MESH_LOG_SERVER 2u

/*
 * Access logging for a pod's sidecar in the given modes, as istiod computes
 * it: the Telemetry of the root namespace, of the pod's namespace and of
 * the pod's workload merged (Istio 1.12 and later), else meshConfig
 * accessLogFile. *why (new) says what decided, naming the resources.
 */
enum mesh_log mesh_access_logging(struct cluster *c, const struct kobj *pod, unsigned modes,
                                  char **why);

#endif
