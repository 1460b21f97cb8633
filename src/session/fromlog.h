/*
 * A line in hand: an access log line or an Envoy error body given with
 * --from-log or pasted into the picker or ask. It names the flow (the rule
 * `logs` uses for the same line), the inputs it shows (service, namespace,
 * host) and the answer to the flow's flag question, which the walk then
 * takes with the line as its evidence.
 */
#ifndef MM_FROMLOG_H
#define MM_FROMLOG_H

#include <stdbool.h>

#include "logs/accesslog.h"
#include "session/options.h"
#include "walk/walk.h"

struct from_log {
	struct al_handover h;
	const struct mm_flow *flow; /* the flow the line leads to, or NULL (h.no_flow says why) */
};

/*
 * Read line with the access log format of --log-format (or Istio's
 * defaults). false when it is neither a log line nor an error body Envoy
 * sends (fl is then empty); *err (new string) when --log-format is unusable.
 */
bool from_log_read(const struct opts *o, const struct mm_kb *kb, const char *line,
                   struct from_log *fl, char **err);

/*
 * What the line gives a walk of flow f: the inputs f declares that are not
 * in inputs yet (--set and -n, applied after them, still win), and the
 * answer to the flag question of the line's flow with the line's evidence,
 * unless answers already has one.
 */
void from_log_prepare(const struct from_log *fl, const struct mm_flow *f, struct kvlist *inputs,
                      struct answers *answers);

struct cluster;
/*
 * The caller the line names by its address (the downstream remote address):
 * the one pod of the cluster with that IP, not on the host network, in
 * namespace ns (the walk's, or any when NULL). Its name (borrowed from the
 * cluster), or NULL.
 */
const char *from_log_caller(const struct from_log *fl, struct cluster *c, const char *ns);

/* One line for the person: "access log line: 503 UO, service reviews, namespace default". New string. */
char *from_log_summary(const struct from_log *fl);

void from_log_free(struct from_log *fl);

#endif
