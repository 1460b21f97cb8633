#include "cluster/http.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "base/util.h"

struct sink {
	struct sbuf b;
	size_t cap;
	bool over;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct sink *s = user;
	size_t len = size * n;
	if (s->b.len + len > s->cap) {
		s->over = true;
		return 0; /* ends the transfer */
	}
	sb_addn(&s->b, data, len);
	return len;
}

static void init_once(void)
{
	static bool done;
	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
}

/* The failure of a transfer in words an on-call engineer acts on. */
static char *explain(CURLcode rc, const char *url, int timeout_ms, const struct sink *s,
		     const char *detail)
{
	char *clean = sanitize(url, false), *msg;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		msg = xasprintf("%s: connection refused (nothing listens there)", clean);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		msg = xasprintf("%s: no answer within %.1f s", clean, timeout_ms / 1000.0);
		break;
	case CURLE_GOT_NOTHING:
		msg = xasprintf("%s: the connection closed without an answer", clean);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		msg = xasprintf("%s: host name not found", clean);
		break;
	case CURLE_WRITE_ERROR:
		msg = s->over ? xasprintf("%s: answer larger than %zu bytes", clean, s->cap)
			      : xasprintf("%s: %s", clean, detail);
		break;
	default:
		msg = xasprintf("%s: %s", clean, *detail ? detail : curl_easy_strerror(rc));
	}
	free(clean);
	return msg;
}

bool http_get(const char *url, int timeout_ms, size_t cap, struct http_reply *out, char **error)
{
	init_once();
	memset(out, 0, sizeof(*out));
	*error = NULL;
	CURL *h = curl_easy_init();
	if (!h) {
		*error = xstrdup("cannot start an HTTP client (libcurl)");
		return false;
	}
	struct sink s = {.cap = cap ? cap : SIZE_MAX};
	sb_init(&s.b);
	char detail[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, "meshmedic/" PACKAGE_VERSION);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_cleanup(h);
	out->len = s.b.len;
	out->body = sb_steal(&s.b);
	if (rc != CURLE_OK) {
		*error = explain(rc, url, timeout_ms, &s, detail);
		return false;
	}
	if (out->status != 200) {
		char *clean = sanitize(url, false);
		*error = xasprintf("%s: HTTP %ld", clean, out->status);
		free(clean);
		return false;
	}
	return true;
}

void http_reply_free(struct http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

char *http_escape(const char *s)
{
	struct sbuf b;
	sb_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			sb_addn(&b, (const char *)p, 1);
		} else {
			char hex[4];
			snprintf(hex, sizeof(hex), "%%%02X", *p);
			sb_add(&b, hex);
		}
	}
	return sb_steal(&b);
}
