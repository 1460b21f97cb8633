/*
 * The offline source: a snapshot directory as `meshmedic snapshot` writes
 * it (resources.json, proxy-status.txt, logs/, envoy/, meta.json), a kubectl
 * `-o json` List or single object, a YAML file of one or more documents, or
 * a directory of such manifests. Everything is read at once; problems name
 * the file and line.
 */
#ifndef MM_SOURCE_SNAPSHOT_H
#define MM_SOURCE_SNAPSHOT_H

#include "cluster/cluster.h"

/* NULL with errors added if any file is unreadable or malformed. */
struct cluster *snapshot_open(const char *path, struct mm_errors *errs);

#endif
