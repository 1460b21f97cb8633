/*
 * Prometheus (--prometheus URL) as evidence when access logs are not at
 * hand: istio_requests_total for one service over a window, by response
 * code and response flags.
 */
#ifndef MM_PROMETHEUS_H
#define MM_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>

struct cluster;

/* The window the requests are counted over. */
#define PROM_WINDOW "15m"

struct prom_row {
	char code[8];    /* "503" */
	char flags[64];  /* "UO", "UF,URX", "-" */
	double requests; /* over the window */
};

/* The largest sample (and sum of samples) taken as a count: 2^53, exact in a double. */
#define PROM_SAMPLE_MAX 9007199254740992.0

struct prom_tally {
	struct prom_row *rows;
	size_t n;
	double total;
};

/*
 * Requests to service in ns over PROM_WINDOW, as the calling sidecars report
 * them (reporter="source"), from the cluster's Prometheus; read once per
 * session. False with *reason (new string) when there is no Prometheus,
 * it fails, or it answers something else than a vector.
 */
bool prom_requests(struct cluster *c, const char *ns, const char *service, struct prom_tally *out,
		   char **reason);
void prom_tally_free(struct prom_tally *t);

/* The flags of the most requests with this code ("503"), or NULL if none. */
const struct prom_row *prom_top_flags(const struct prom_tally *t, const char *code);

#endif
