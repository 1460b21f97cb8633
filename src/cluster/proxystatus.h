/*
 * Reading what `istioctl proxy-status` printed, in every shape it has had.
 *
 * Tables (tabwriter output: columns padded with spaces; cells such as
 * "SYNCED (2m ago)" hold single spaces, so cells are found from the header's
 * column positions, or else split at runs of two or more spaces):
 *
 *   ~1.0-1.5    PROXY|NAME  CDS  LDS  EDS  RDS  PILOT  [VERSION]
 *               EDS may read "SYNCED (100%)", STALE may read "STALE (1m2s)".
 *   ~1.6-1.1x   NAME  CDS  LDS  EDS  RDS  ISTIOD|PILOT  VERSION
 *   1.18?-1.26  NAME  CLUSTER  CDS  LDS  EDS  RDS  ECDS  ISTIOD  VERSION
 *               statuses SYNCED, NOT SENT (NOT_SENT in some releases), STALE,
 *               "STALE (Never Acknowledged)", ERROR, IGNORED (not subscribed),
 *               perhaps with an age such as "(2m ago)"; CLUSTER may be blank.
 *   1.27+       NAME  CLUSTER  ISTIOD  VERSION  SUBSCRIBED TYPES
 *               "4 (CDS,LDS,EDS,RDS)": no sync status, so CDS..ECDS stay
 *               NULL, except that types left out of a complete list read
 *               IGNORED.
 *   1.27+ -v 1  NAME  CLUSTER  <a column per xDS type, sorted>  ISTIOD  VERSION
 *               (CDS ECDS EDS LDS RDS, and WDS, WADS, ... which are skipped).
 *
 * NAME is "POD.NAMESPACE", split at the last dot (namespaces have no dots);
 * a NAMESPACE column is used if there is one (no release is known to print
 * one). Columns are found by header name. Lines before the header (warnings),
 * blank lines and lines that cannot be a row are skipped; a repeated header
 * starts a new table.
 *
 * JSON:
 *   `istioctl proxy-status -o json` (1.30+): one xDS DiscoveryResponse per
 *   istiod (an object; several are accepted one after another or in an
 *   array): resources[] of envoy.service.status.v3.ClientConfig with node.id
 *   "POD.NAMESPACE", node.metadata (NAMESPACE, ISTIO_VERSION) and
 *   genericXdsConfigs[] of {typeUrl, configStatus}; controlPlane.identifier
 *   names the istiod. A missing configStatus is UNKNOWN, shown as IGNORED.
 *   istiod's /debug/syncz: an array of {proxy, istio_version, cluster_sent,
 *   cluster_acked, ...}; statuses are derived from the nonces as istioctl
 *   does (nothing sent: NOT SENT; acked == sent: SYNCED; else STALE).
 */
#ifndef MM_PROXYSTATUS_H
#define MM_PROXYSTATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "cluster/cluster.h"

/* Parse istioctl proxy-status output in any supported format; rows appended. false with *err (new string) on text that is not proxy-status output. */
bool proxy_status_parse(const char *text, struct proxy_status **rows, size_t *nrows, char **err);
void proxy_status_rows_free(struct proxy_status *rows, size_t n);
/*
 * Rows as the table of istioctl 1.18-1.26 (NAME CLUSTER CDS LDS EDS RDS ECDS
 * ISTIOD VERSION), which proxy_status_parse reads back: what `snapshot`
 * writes when the rows came from istiod's /debug/syncz. New string.
 */
char *proxy_status_format(const struct proxy_status *rows, size_t n);
/* "STALE" etc. for one row: the worst state across its xDS types (ERROR > STALE > NOT SENT > SYNCED), NULL if none known. */
const char *proxy_status_worst(const struct proxy_status *row);

#endif
