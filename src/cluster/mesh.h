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

/* Whether a (possibly wildcard) host pattern covers an FQDN. */
bool host_matches(const char *pattern, const char *fqdn);

/*
 * The DestinationRule that applies to traffic from client_ns to fqdn, as
 * Istio picks it: the client's namespace, then the host's, then the root
 * namespace; exact hosts before wildcards; exportTo respected. NULL if none.
 */
const struct kobj *dr_for_host(struct cluster *c, const char *fqdn, const char *client_ns);

/* The TLS mode a DestinationRule sets for a port (port-level first); NULL if unset. */
const char *dr_tls_mode(const struct kobj *dr, long port);

/* enableAutoMtls from meshConfig (true by default since Istio 1.5). */
bool mesh_auto_mtls(struct cluster *c);

/* The root namespace (meshConfig rootNamespace, else the control-plane namespace). */
const char *mesh_root_namespace(struct cluster *c);

/*
 * The mutual TLS mode a pod's sidecar enforces on a port: workload policy,
 * then namespace, then root namespace, then PERMISSIVE; port-level settings
 * override. *why (borrowed) names the policy that decided, or NULL.
 */
const char *peer_auth_mode(struct cluster *c, const struct kobj *pod, long port,
			   const struct kobj **why);

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
