/*
 * What the live source (live.c) and the snapshot recorder (record.c) share:
 * the kinds read, the source's state, and the argv builder of the kubectl
 * and istioctl commands they run. Private to src/cluster.
 */
#ifndef MM_LIVE_INT_H
#define MM_LIVE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cluster/cluster.h"
#include "cluster/exec.h"
#include "cluster/live.h"

/*
 * The kinds the live source reads: Kind, the resource kubectl get is given
 * (with its group where another API has the same plural, as Gateway API's
 * gateways does), and whether it is cluster-scoped. Never Secrets.
 */
#define LIVE_KINDS(X)                                                                              \
	X("Namespace", "namespaces", true)                                                         \
	X("Pod", "pods", false)                                                                    \
	X("Service", "services", false)                                                            \
	X("Endpoints", "endpoints", false)                                                         \
	X("Deployment", "deployments.apps", false)                                                 \
	X("StatefulSet", "statefulsets.apps", false)                                               \
	X("DaemonSet", "daemonsets.apps", false)                                                   \
	X("ConfigMap", "configmaps", false)                                                        \
	X("Event", "events", false)                                                                \
	X("MutatingWebhookConfiguration",                                                          \
	  "mutatingwebhookconfigurations.admissionregistration.k8s.io", true)                      \
	X("VirtualService", "virtualservices.networking.istio.io", false)                          \
	X("DestinationRule", "destinationrules.networking.istio.io", false)                        \
	X("Gateway", "gateways.networking.istio.io", false)                                        \
	X("ServiceEntry", "serviceentries.networking.istio.io", false)                             \
	X("Sidecar", "sidecars.networking.istio.io", false)                                        \
	X("EnvoyFilter", "envoyfilters.networking.istio.io", false)                                \
	X("PeerAuthentication", "peerauthentications.security.istio.io", false)                    \
	X("AuthorizationPolicy", "authorizationpolicies.security.istio.io", false)                 \
	X("RequestAuthentication", "requestauthentications.security.istio.io", false)              \
	X("Telemetry", "telemetries.telemetry.istio.io", false)

struct kind_info {
	const char *kind, *resource;
	bool cluster_scoped;
};

#define KIND_COUNT(k, r, s) +1
enum { LIVE_NKINDS = 0 LIVE_KINDS(KIND_COUNT) };
extern const struct kind_info live_kind_table[LIVE_NKINDS];

/* A kind read (or tried): reason is NULL if it was read. */
struct fetched {
	char *kind, *reason;
};

/* A log read (or tried), kept for the session. */
struct cached_log {
	char *key, *text, *reason;
};

struct live {
	struct cluster_source src;
	struct cluster *c; /* NULL for a snapshot */
	char *context, *kubeconfig, *ns;
	int timeout_ms;
	size_t out_cap;
	struct fetched *fetched;
	size_t nfetched;
	struct cached_log *logs;
	size_t nlogs;
	struct forward *forwards;
	size_t nforwards;
};

/* A kubectl port-forward to a sidecar's admin port, kept for the session. */
struct forward {
	char *key; /* "NS/POD" */
	struct exec_bg *bg;
	char *url; /* "http://127.0.0.1:PORT", or NULL if it failed */
	char *reason;
};

/* An argv under construction; the strings are borrowed. */
struct cmd {
	const char *v[24];
	size_t n;
};

/* Append one argument (borrowed). */
void lv_arg(struct cmd *c, const char *s);
void lv_cmd_start(struct cmd *c, const char *prog, const char *verb);
/* --context and --kubeconfig, passed through to every command. */
void lv_cmd_finish(struct cmd *c, const struct live *l);
/* kubectl get RESOURCE (-A | -n NS) -o json */
void lv_cmd_get(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns);
/* kubectl logs POD -n NS -c CONTAINER [--previous] --tail N; the names are validated. */
void lv_cmd_logs(struct cmd *c, const struct live *l, const char *ns, const char *pod,
                 const char *container, bool previous);
/* Run commands concurrently; res[i] is for cmds[i]. */
void lv_run_cmds(const struct live *l, size_t n, const struct cmd cmds[], struct exec_result res[]);

/* The source's state for these options, or NULL with *err. */
struct live *live_new(const struct live_opts *o, char **err);
void live_free(void *ctx);
/* The items of what kubectl get -o json printed, each with its kind (a new array), or NULL with
 * *reason. */
json_t *live_parse_items(const struct kind_info *ki, const struct cmd *cmd,
                         const struct exec_result *r, char **reason);
/* Whether namespace, pod and container names may go on a command line. */
bool live_log_names_ok(const char *ns, const char *pod, const char *container);
/* Rows of istioctl proxy-status output, or false with *reason. */
bool live_parse_proxy_status(const char *text, struct proxy_status **rows, size_t *n,
                             char **reason);

#endif
