/*
 * `istioctl bug-report` archives as a snapshot: the .tar.gz (read with
 * libarchive, never unpacked to disk) or the directory it unpacks to.
 *
 * The layout, as istio/istio tools/bug-report writes it (pkg/archive for
 * the folders, pkg/bugreport and pkg/content for the files, pkg/common for
 * the admin and debug paths); everything sits under one top folder,
 * "bug-report/":
 *
 *   cluster/k8s-resources          kubectl get -A all,namespaces,endpoints,configmaps,events,
 *                                  mutatingwebhookconfigurations,... -o yaml (a List)
 *   cluster/crs                    every custom resource (Istio's config), -o yaml
 *   cluster/secrets, nodes, ...    never read (Secrets above all)
 *   proxies/NS/POD/istio-proxy.log the sidecar's log; after a restart it starts with
 *                                  "==== Previous log present ..." and the previous run
 *                                  follows a "==== Previous log ====" line
 *   proxies/NS/POD/server_info     admin documents as the admin port answered them:
 *   proxies/NS/POD/config_dump     server_info and config_dump (JSON; newer releases name
 *                                  it "config_dump?include_eds"), clusters (Envoy's text
 *                                  form, or JSON), stats/prometheus (Prometheus text)
 *   istio/NS/POD/discovery.log     istiod's log
 *   istio/NS/POD/debug/syncz       istiod's sync state: the proxy-status rows
 *   istio/NS/POD/debug/mesh        the mesh config istiod runs with
 *   analyze/allNamespaces          istioctl analyze's messages (not read: check finds its own)
 *
 * The model gets the objects (Secrets dropped), the logs of istio-proxy and
 * discovery containers, the admin documents (clusters converted from text,
 * cluster stats from Prometheus names back to Envoy's), proxy-status from
 * every istiod's syncz, and the mesh config from debug/mesh when no
 * ConfigMap istio was recorded.
 *
 * An archive is untrusted input. Refused, naming the member and the limit:
 * absolute paths and "..", symbolic and hard links, anything but files and
 * folders, a member over BR_MAX_MEMBER, more than BR_MAX_MEMBERS members,
 * more than BR_MAX_TOTAL unpacked, or an unpacked size over BR_MAX_RATIO
 * times the bytes read once past BR_RATIO_FLOOR (a decompression bomb). The
 * unpacked directory is held to the same rules (symbolic links included).
 */
#ifndef MM_BUGREPORT_H
#define MM_BUGREPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/cluster.h"

#define BR_MAX_MEMBERS 100000
#define BR_MAX_MEMBER ((int64_t)256 << 20)
#define BR_MAX_TOTAL ((int64_t)1 << 30)
#define BR_MAX_RATIO 200
#define BR_RATIO_FLOOR ((int64_t)64 << 20)

/* Whether path is an archive (by its first bytes) or a directory in the bug-report layout. */
bool bugreport_is(const char *path);

/* The cluster the archive or directory records; NULL with errors added. */
struct cluster *bugreport_open(const char *path, struct mm_errors *errs);

/* Envoy's text /clusters as the JSON of /clusters?format=json (what probes read). New reference. */
json_t *bugreport_clusters_json(const char *text);
/* /stats/prometheus as /stats?format=json; cluster stats get Envoy's own names back. New reference. */
json_t *bugreport_stats_json(const char *text);

#endif
