/*
 * HTTP GET over libcurl, for the Envoy admin API and Prometheus: one call,
 * a timeout, a cap on the body, and every failure put in one line
 * (refused, timed out, HTTP status, too large).
 */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct http_reply {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
};

/*
 * GET url. True on a 200 answer within timeout_ms whose body fits in cap
 * bytes; otherwise false with *error (new string) saying what happened.
 * The reply is filled whenever an answer came; free it with http_reply_free.
 */
bool http_get(const char *url, int timeout_ms, size_t cap, struct http_reply *out, char **error);
void http_reply_free(struct http_reply *r);

/* "a b" -> "a%20b": a query parameter value (new string). */
char *http_escape(const char *s);

#endif
