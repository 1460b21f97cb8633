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
 * The kinds the live source reads: Kind, the resource kubectl get is given,
 * the name to fall back on, and whether it is cluster-scoped. A name with
 * two dots or more is written resource.version.group: kubectl reads
 * "a.b.c" as that first, and on a miss drops its discovery cache and asks
 * the server again, on every call. The fallback (resource.group, the
 * group's preferred version) is for clusters that lack the version (Istio
 * before 1.22 has no v1). Never Secrets.
 */
#define LIVE_KINDS(X)                                                                              \
	X("Namespace", "namespaces", NULL, true)                                                   \
	X("Pod", "pods", NULL, false)                                                              \
	X("Service", "services", NULL, false)                                                      \
	X("Endpoints", "endpoints", NULL, false)                                                   \
	X("Deployment", "deployments.apps", NULL, false)                                           \
	X("StatefulSet", "statefulsets.apps", NULL, false)                                         \
	X("DaemonSet", "daemonsets.apps", NULL, false)                                             \
	X("ConfigMap", "configmaps", NULL, false)                                                  \
	X("Event", "events", NULL, false)                                                          \
	X("MutatingWebhookConfiguration",                                                          \
	  "mutatingwebhookconfigurations.v1.admissionregistration.k8s.io",                         \
	  "mutatingwebhookconfigurations.admissionregistration.k8s.io", true)                      \
	X("VirtualService", "virtualservices.v1.networking.istio.io",                              \
	  "virtualservices.networking.istio.io", false)                                            \
	X("DestinationRule", "destinationrules.v1.networking.istio.io",                            \
	  "destinationrules.networking.istio.io", false)                                           \
	X("Gateway", "gateways.v1.networking.istio.io", "gateways.networking.istio.io", false)     \
	X("ServiceEntry", "serviceentries.v1.networking.istio.io",                                 \
	  "serviceentries.networking.istio.io", false)                                             \
	X("Sidecar", "sidecars.v1.networking.istio.io", "sidecars.networking.istio.io", false)     \
	X("EnvoyFilter", "envoyfilters.v1alpha3.networking.istio.io",                              \
	  "envoyfilters.networking.istio.io", false)                                               \
	X("PeerAuthentication", "peerauthentications.v1.security.istio.io",                        \
	  "peerauthentications.security.istio.io", false)                                          \
	X("AuthorizationPolicy", "authorizationpolicies.v1.security.istio.io",                     \
	  "authorizationpolicies.security.istio.io", false)                                        \
	X("RequestAuthentication", "requestauthentications.v1.security.istio.io",                  \
	  "requestauthentications.security.istio.io", false)                                       \
	X("Telemetry", "telemetries.v1.telemetry.istio.io", "telemetries.telemetry.istio.io", false) \
	X(KIND_K8S_GATEWAY, "gateways.v1.gateway.networking.k8s.io",                               \
	  "gateways.gateway.networking.k8s.io", false)

struct kind_info {
	const char *kind, *resource, *fallback;
	bool cluster_scoped;
};

#define KIND_COUNT(k, r, f, s) +1
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
	/* why the cluster cannot be used (unreachable, credentials, context): then nothing runs */
	char *dead;
	/* whether anything at all was read, and the first reason a read failed */
	bool read_any;
	char *first_failure;
	/* more objects than the limit of objects per snapshot: the state is refused */
	char *over;
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
	const char *v[28];
	char rt[32];     /* --request-timeout's value */
	char list[1280]; /* the comma list of resources of one get for several kinds */
	size_t n;
};

/* Append one argument (borrowed). */
void lv_arg(struct cmd *c, const char *s);
void lv_cmd_start(struct cmd *c, const char *prog, const char *verb);
/* --context and --kubeconfig, passed through to every command. */
void lv_cmd_finish(struct cmd *c, const struct live *l);
/* kubectl get RESOURCE (-A | -n NS) -o json; the fallback name if plain */
void lv_cmd_get(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns);
void lv_cmd_get_as(struct cmd *c, const struct live *l, const struct kind_info *ki, const char *ns,
		   bool plain);
/* kubectl get R1,R2,... (-A | -n NS) -o json: n kinds in one process */
void lv_cmd_get_many(struct cmd *c, const struct live *l, const struct kind_info *const ks[],
		     size_t n, const char *ns);
/* kubectl logs POD -n NS -c CONTAINER [--previous] --tail N; the names are validated. */
void lv_cmd_logs(struct cmd *c, const struct live *l, const char *ns, const char *pod,
                 const char *container, bool previous);
/*
 * Run commands concurrently; res[i] is for cmds[i]. Fail fast: the first
 * answer that shows the cluster unusable ends the others and is kept in
 * l->dead; once it is set nothing runs and each result says it.
 */
void lv_run_cmds(struct live *l, size_t n, const struct cmd cmds[], struct exec_result res[]);
/* Why a command failed (exec_explain), or l->dead for one that was stopped; NULL if it succeeded. */
char *lv_explain(const struct live *l, const struct cmd *cmd, const struct exec_result *r);

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
