/*
 * istioctl proxy-status output, table or JSON, into struct proxy_status
 * rows. The formats are described in cluster/proxystatus.h.
 */
#include "cluster/proxystatus.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

/* A piece of the input; not NUL-terminated. */
struct span {
	const char *s;
	size_t len;
};

/* What a table column holds. */
enum col_kind {
	COL_OTHER,
	COL_NAME,
	COL_NAMESPACE,
	COL_CDS,
	COL_LDS,
	COL_EDS,
	COL_RDS,
	COL_ECDS,
	COL_ISTIOD,
	COL_VERSION,
	COL_SUBSCRIBED,
};

struct column {
	size_t start; /* byte offset in the header line */
	enum col_kind kind;
};

struct header {
	struct column *v;
	size_t n;
};

struct rowbuf {
	struct proxy_status *v;
	size_t n, cap;
};

/* The five xDS types a row holds, in struct order, with their short names. */
static const char *const xds_names[] = {"CDS", "LDS", "EDS", "RDS", "ECDS"};

static char **xds_field(struct proxy_status *r, size_t i)
{
	char **f[] = {&r->cds, &r->lds, &r->eds, &r->rds, &r->ecds};
	return f[i];
}

static struct span span_of(const char *s)
{
	return (struct span){s ? s : "", s ? strlen(s) : 0};
}

static struct span trim(struct span c)
{
	while (c.len && isspace((unsigned char)c.s[0])) {
		c.s++;
		c.len--;
	}
	while (c.len && isspace((unsigned char)c.s[c.len - 1]))
		c.len--;
	return c;
}

static bool span_is(struct span c, const char *word)
{
	return c.len == strlen(word) && memcmp(c.s, word, c.len) == 0;
}

static struct proxy_status *row_new(struct rowbuf *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	struct proxy_status *r = &b->v[b->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static void row_clear(struct proxy_status *r)
{
	free(r->pod);
	free(r->ns);
	free(r->cds);
	free(r->lds);
	free(r->eds);
	free(r->rds);
	free(r->ecds);
	free(r->istiod);
	free(r->version);
}

void proxy_status_rows_free(struct proxy_status *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		row_clear(&rows[i]);
	free(rows);
}

/* Replace *dst with a copy of c, or NULL when c is blank. */
static void set_span(char **dst, struct span c)
{
	c = trim(c);
	free(*dst);
	*dst = c.len ? xstrndup(c.s, c.len) : NULL;
}

/* The canonical form of one status, or NULL if it is blank or not a status. */
static const char *status_canon(struct span c)
{
	static const struct {
		const char *text, *canon;
	} map[] = {
	    {"SYNCED", "SYNCED"},
	    {"NOT SENT", "NOT SENT"},
	    {"NOT_SENT", "NOT SENT"},
	    {"STALE", "STALE"},
	    {"ERROR", "ERROR"},
	    {"IGNORED", "IGNORED"},
	    /* istioctl shows the UNKNOWN config status (type not subscribed) as IGNORED */
	    {"UNKNOWN", "IGNORED"},
	};
	c = trim(c);
	/* "SYNCED (2m ago)", "STALE (Never Acknowledged)", "SYNCED (100%)" */
	const char *paren = memchr(c.s, '(', c.len);
	if (paren) {
		c.len = (size_t)(paren - c.s);
		c = trim(c);
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(map); i++)
		if (c.len == strlen(map[i].text) && strncasecmp(c.s, map[i].text, c.len) == 0)
			return map[i].canon;
	return NULL;
}

static void set_status(char **dst, const char *canon)
{
	free(*dst);
	*dst = canon ? xstrdup(canon) : NULL;
}

/* pod and ns from NAME ("POD.NAMESPACE") and, when there is one, the namespace on its own. */
static void set_name(struct proxy_status *r, struct span name, struct span ns)
{
	name = trim(name);
	ns = trim(ns);
	if (ns.len) {
		set_span(&r->ns, ns);
		if (name.len > ns.len + 1 && name.s[name.len - ns.len - 1] == '.' &&
		    memcmp(name.s + name.len - ns.len, ns.s, ns.len) == 0)
			name.len -= ns.len + 1;
		set_span(&r->pod, name);
		return;
	}
	/* Pod names may hold dots but namespaces may not: split at the last one. */
	const char *dot = memrchr(name.s, '.', name.len);
	if (dot && dot > name.s && dot < name.s + name.len - 1) {
		set_span(&r->pod, (struct span){name.s, (size_t)(dot - name.s)});
		set_span(&r->ns, (struct span){dot + 1, (size_t)(name.s + name.len - dot - 1)});
	} else {
		set_span(&r->pod, name);
	}
}

/* The next line of *p without its "\n" or "\r\n", moving *p past it; false at the end. */
static bool next_line(const char **p, struct span *line)
{
	if (!**p)
		return false;
	const char *s = *p, *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + len;
	if (len && s[len - 1] == '\r')
		len--;
	*line = (struct span){s, len};
	return true;
}

/* Cells of a line split at runs of two or more spaces (single spaces stay in a cell). */
static struct span *split_wide(struct span line, size_t *n)
{
	struct span *v = NULL;
	size_t cap = 0, i = 0;
	*n = 0;
	while (i < line.len) {
		while (i < line.len && line.s[i] == ' ')
			i++;
		if (i == line.len)
			break;
		size_t start = i;
		while (i < line.len &&
		       !(line.s[i] == ' ' && (i + 1 == line.len || line.s[i + 1] == ' ')))
			i++;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = (struct span){line.s + start, i - start};
	}
	return v;
}

static enum col_kind col_kind_of(struct span c)
{
	static const struct {
		const char *name;
		enum col_kind kind;
	} names[] = {
	    {"NAME", COL_NAME},    {"PROXY", COL_NAME},      {"NAMESPACE", COL_NAMESPACE},
	    {"CDS", COL_CDS},      {"LDS", COL_LDS},         {"EDS", COL_EDS},
	    {"RDS", COL_RDS},      {"ECDS", COL_ECDS},       {"ISTIOD", COL_ISTIOD},
	    {"PILOT", COL_ISTIOD}, {"VERSION", COL_VERSION}, {"SUBSCRIBED TYPES", COL_SUBSCRIBED},
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(names); i++)
		if (span_is(c, names[i].name))
			return names[i].kind;
	return COL_OTHER;
}

/*
 * Whether line is a proxy-status header: NAME (or PROXY) first, then at
 * least one column only proxy-status has. Fills h; the caller frees h->v.
 * tabwriter pads with spaces, so a line with a tab is a log line, not a table.
 */
static bool parse_header(struct span line, struct header *h)
{
	if (memchr(line.s, '\t', line.len))
		return false;
	size_t n;
	struct span *cells = split_wide(line, &n);
	bool ok = n >= 2 && col_kind_of(cells[0]) == COL_NAME, specific = false;
	for (size_t i = 1; ok && i < n; i++) {
		enum col_kind k = col_kind_of(cells[i]);
		if (k == COL_NAME)
			ok = false;
		else if (k != COL_OTHER && k != COL_NAMESPACE && k != COL_VERSION)
			specific = true;
	}
	if (ok && specific) {
		h->n = n;
		h->v = xmalloc(n * sizeof(*h->v));
		for (size_t i = 0; i < n; i++)
			h->v[i] =
			    (struct column){(size_t)(cells[i].s - line.s), col_kind_of(cells[i])};
	}
	free(cells);
	return ok && specific;
}

/*
 * Cut a row at the header's column positions, which keeps blank cells
 * (ztunnel rows had an empty CLUSTER). false if the row does not line up.
 */
static bool cells_by_position(struct span line, const struct header *h, struct span *cells)
{
	for (size_t i = 0; i < h->v[0].start && i < line.len; i++)
		if (line.s[i] != ' ')
			return false;
	for (size_t i = 0; i < h->n; i++) {
		size_t a = h->v[i].start, b = i + 1 < h->n ? h->v[i + 1].start : line.len;
		if (a >= line.len) {
			cells[i] = (struct span){"", 0};
			continue;
		}
		if (b > line.len)
			b = line.len;
		/* a cell starting mid-word means the row is shifted against the header */
		if (a > 0 && line.s[a - 1] != ' ')
			return false;
		cells[i] = trim((struct span){line.s + a, b - a});
		/* a wide gap inside a cell means it has swallowed part of the next one */
		if (memmem(cells[i].s, cells[i].len, "  ", 2))
			return false;
	}
	return true;
}

/* The cells of a row under h; false if the line cannot be a row of this table. */
static bool row_cells(struct span line, const struct header *h, struct span *cells)
{
	if (memchr(line.s, '\t', line.len))
		return false;
	if (!cells_by_position(line, h, cells)) {
		/* re-spaced by hand or by a pager: take the cells in order, missing ones blank */
		size_t n;
		struct span *parts = split_wide(line, &n);
		bool fits = n <= h->n;
		for (size_t i = 0; fits && i < h->n; i++)
			cells[i] = i < n ? parts[i] : (struct span){"", 0};
		free(parts);
		if (!fits)
			return false;
	}
	/* NAME is one word of printable ASCII, and something else must be filled in */
	struct span name = cells[0];
	if (!name.len)
		return false;
	for (size_t i = 0; i < name.len; i++)
		if (!isgraph((unsigned char)name.s[i]))
			return false;
	if (col_kind_of(name) == COL_NAME)
		return false;
	for (size_t i = 1; i < h->n; i++)
		if (cells[i].len)
			return true;
	return false;
}

/* "4 (CDS,LDS,EDS,RDS)": of a complete list, the types left out are not subscribed. */
static void apply_subscribed(struct proxy_status *r, struct span c)
{
	c = trim(c);
	size_t i = 0, count = 0, nlisted = 0;
	bool listed[MM_ARRAY_LEN(xds_names)] = {false};
	if (!c.len || !isdigit((unsigned char)c.s[0]))
		return;
	while (i < c.len && isdigit((unsigned char)c.s[i]) && count < 10000)
		count = count * 10 + (size_t)(c.s[i++] - '0');
	while (i < c.len && c.s[i] == ' ')
		i++;
	if (i < c.len) {
		if (c.s[i] != '(' || c.s[c.len - 1] != ')' || c.len - i < 2)
			return;
		struct span list = {c.s + i + 1, c.len - i - 2};
		while (list.len) {
			const char *comma = memchr(list.s, ',', list.len);
			size_t len = comma ? (size_t)(comma - list.s) : list.len;
			struct span item = trim((struct span){list.s, len});
			if (item.len)
				nlisted++;
			for (size_t k = 0; k < MM_ARRAY_LEN(xds_names); k++)
				if (span_is(item, xds_names[k]))
					listed[k] = true;
			list.s += comma ? len + 1 : len;
			list.len -= comma ? len + 1 : len;
		}
	}
	/* a list cut short ("7 (CDS,LDS,...)") says nothing about the rest */
	if (nlisted != count)
		return;
	for (size_t k = 0; k < MM_ARRAY_LEN(xds_names); k++)
		if (!listed[k] && !*xds_field(r, k))
			set_status(xds_field(r, k), "IGNORED");
}

static void table_row(const struct header *h, const struct span *cells, struct rowbuf *out)
{
	struct proxy_status *r = row_new(out);
	struct span name = {"", 0}, ns = {"", 0};
	for (size_t i = 0; i < h->n; i++) {
		switch (h->v[i].kind) {
		case COL_NAME:
			name = cells[i];
			break;
		case COL_NAMESPACE:
			ns = cells[i];
			break;
		case COL_CDS:
		case COL_LDS:
		case COL_EDS:
		case COL_RDS:
		case COL_ECDS:
			set_status(xds_field(r, (size_t)(h->v[i].kind - COL_CDS)),
			           status_canon(cells[i]));
			break;
		case COL_ISTIOD:
			set_span(&r->istiod, cells[i]);
			break;
		case COL_VERSION:
			set_span(&r->version, cells[i]);
			break;
		case COL_SUBSCRIBED:
		case COL_OTHER:
			break;
		}
	}
	set_name(r, name, ns);
	/* after the status columns, so that a -v 1 table's own statuses win */
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].kind == COL_SUBSCRIBED)
			apply_subscribed(r, cells[i]);
}

/* The field of r for an xDS type URL ("type.googleapis.com/envoy.config.cluster.v3.Cluster"). */
static char **type_url_field(struct proxy_status *r, const char *url)
{
	static const char *const msgs[] = {"Cluster", "Listener", "ClusterLoadAssignment",
	                                   "RouteConfiguration", "TypedExtensionConfig"};
	if (!url)
		return NULL;
	const char *dot = strrchr(url, '.');
	const char *msg = dot ? dot + 1 : url;
	for (size_t k = 0; k < MM_ARRAY_LEN(msgs); k++)
		if (strcmp(msg, msgs[k]) == 0)
			return xds_field(r, k);
	return NULL;
}

/* A config status from JSON; protojson leaves out the zero value, UNKNOWN. */
static const char *json_status(json_t *v)
{
	const char *s = json_string_value(v);
	return s ? status_canon(span_of(s)) : "IGNORED";
}

/* One envoy.service.status.v3.ClientConfig from a DiscoveryResponse. */
static void client_config(json_t *cc, const char *istiod, const char *cp_version,
                          struct rowbuf *out)
{
	json_t *node = json_object_get(cc, "node"), *meta = json_object_get(node, "metadata");
	const char *id = json_string_value(json_object_get(node, "id"));
	if (!id || !*id)
		return;
	struct proxy_status *r = row_new(out);
	set_name(r, span_of(id), span_of(json_string_value(json_object_get(meta, "NAMESPACE"))));
	set_span(&r->istiod, span_of(istiod));
	const char *version = json_string_value(json_object_get(meta, "ISTIO_VERSION"));
	set_span(&r->version, span_of(version ? version : cp_version));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(cc, "genericXdsConfigs"), i, x)
	{
		char **f = type_url_field(r, json_string_value(json_object_get(x, "typeUrl")));
		if (f)
			set_status(f, json_status(json_object_get(x, "configStatus")));
	}
	/* the older per-type form: {"status": ..., "clusterConfig": {...}} */
	static const char *const keys[] = {"clusterConfig", "listenerConfig", "endpointConfig",
	                                   "routeConfig"};
	json_array_foreach(json_object_get(cc, "xdsConfig"), i, x)
	{
		for (size_t k = 0; k < MM_ARRAY_LEN(keys); k++)
			if (json_object_get(x, keys[k]) && !*xds_field(r, k))
				set_status(xds_field(r, k),
				           json_status(json_object_get(x, "status")));
	}
}

/* One istiod's answer, as `istioctl proxy-status -o json` prints it. */
static void discovery_response(json_t *resp, struct rowbuf *out)
{
	/* controlPlane.identifier is JSON in a string: {"ID":"istiod-…","Info":{"version":…}} */
	const char *ident =
	    json_string_value(json_object_get(json_object_get(resp, "controlPlane"), "identifier"));
	json_t *idj = ident ? json_loads(ident, 0, NULL) : NULL;
	const char *istiod = idj ? json_string_value(json_object_get(idj, "ID")) : ident;
	const char *cp_version =
	    json_string_value(json_object_get(json_object_get(idj, "Info"), "version"));
	size_t i;
	json_t *res;
	json_array_foreach(json_object_get(resp, "resources"), i, res)
	{
		const char *type = json_string_value(json_object_get(res, "@type"));
		if (type ? str_ends_with(type, ".ClientConfig")
		         : json_object_get(res, "node") != NULL)
			client_config(res, istiod, cp_version, out);
	}
	json_decref(idj);
}

/* A status from nonces, as istioctl derives it from /debug/syncz. */
static const char *nonce_status(json_t *entry, const char *sent_key, const char *acked_key)
{
	const char *sent = json_string_value(json_object_get(entry, sent_key));
	const char *acked = json_string_value(json_object_get(entry, acked_key));
	if (!sent || !*sent)
		return "NOT SENT";
	return acked && strcmp(sent, acked) == 0 ? "SYNCED" : "STALE";
}

/* One entry of istiod's /debug/syncz. */
static void syncz_entry(json_t *e, const char *istiod, struct rowbuf *out)
{
	static const char *const types[] = {"cluster", "listener", "endpoint", "route",
	                                    "extensionconfig"};
	const char *proxy = json_string_value(json_object_get(e, "proxy"));
	if (!*proxy)
		return;
	struct proxy_status *r = row_new(out);
	set_name(r, span_of(proxy), span_of(NULL));
	set_span(&r->istiod, span_of(istiod));
	const char *version = json_string_value(json_object_get(e, "istio_version"));
	if (!version)
		version = json_string_value(json_object_get(e, "proxy_version"));
	set_span(&r->version, span_of(version));
	for (size_t k = 0; k < MM_ARRAY_LEN(types); k++) {
		char *sent = xasprintf("%s_sent", types[k]),
		     *acked = xasprintf("%s_acked", types[k]);
		set_status(xds_field(r, k), nonce_status(e, sent, acked));
		free(sent);
		free(acked);
	}
}

/* One response or syncz entry; false if v is neither. */
static bool json_entry(json_t *v, const char *istiod, struct rowbuf *out)
{
	if (json_is_array(json_object_get(v, "resources")))
		discovery_response(v, out);
	else if (json_is_string(json_object_get(v, "proxy")))
		syncz_entry(v, istiod, out);
	else
		return false;
	return true;
}

/* An entry, or an array of entries; false if v is neither. */
static bool json_entries(json_t *v, const char *istiod, struct rowbuf *out)
{
	if (!json_is_array(v))
		return json_entry(v, istiod, out);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (!json_entry(e, istiod, out))
			return false;
	}
	return true;
}

/* One JSON document: entries, or an object of them keyed by istiod. */
static bool json_document(json_t *doc, struct rowbuf *out)
{
	if (json_is_array(doc))
		return json_entries(doc, NULL, out);
	if (json_entry(doc, NULL, out))
		return true;
	if (!json_is_object(doc) || json_object_size(doc) == 0)
		return false;
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v)
	{
		if (!json_entries(v, key, out))
			return false;
	}
	return true;
}

/* JSON from text (which starts on line first_line): one document, or several in a row. */
static bool parse_json(const char *text, size_t first_line, struct rowbuf *out, char **err)
{
	size_t len = strlen(text), pos = 0, line = first_line;
	while (pos < len) {
		json_error_t jerr;
		json_t *doc = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!doc) {
			*err =
			    xasprintf("JSON line %zu: %s", line + (size_t)jerr.line - 1, jerr.text);
			return false;
		}
		bool ok = json_document(doc, out);
		json_decref(doc);
		if (!ok) {
			*err = xasprintf("JSON line %zu: neither xDS responses (\"resources\") "
			                 "nor syncz entries (\"proxy\")",
			                 line);
			return false;
		}
		/* on success jansson reports how far it read */
		size_t end = pos + (size_t)jerr.position;
		for (; pos < end; pos++)
			line += text[pos] == '\n';
		while (pos < len && isspace((unsigned char)text[pos]))
			line += text[pos++] == '\n';
		if (pos < len && text[pos] != '{' && text[pos] != '[') {
			*err = xasprintf("JSON line %zu: unexpected text after the JSON", line);
			return false;
		}
	}
	return true;
}

/* The error for text with neither a table nor JSON, quoting istioctl's own error if it gave one. */
static char *no_output_error(struct span error_line)
{
	if (!error_line.len)
		return xstrdup("no proxy-status header line (NAME ... CDS/ISTIOD/SUBSCRIBED "
		               "TYPES ...) and no JSON");
	if (error_line.len > 200)
		error_line.len = 200;
	char *raw = xstrndup(error_line.s, error_line.len), *clean = sanitize(raw, false);
	char *e = xasprintf("no proxy-status table; istioctl said: %s", clean);
	free(raw);
	free(clean);
	return e;
}

bool proxy_status_parse(const char *text, struct proxy_status **rows, size_t *nrows, char **err)
{
	if (!text) {
		*err = xstrdup("no proxy-status output");
		return false;
	}
	struct rowbuf out = {0};
	struct header h = {0};
	struct span line, error_line = {"", 0};
	struct span *cells = NULL;
	char *json_err = NULL;
	const char *p = text;
	size_t lineno = 0;
	/* a UTF-8 byte order mark, as some editors save a pasted table */
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	bool in_table = false, done = false;
	while (!done && next_line(&p, &line)) {
		lineno++;
		struct header nh;
		if (parse_header(line, &nh)) {
			free(h.v);
			h = nh;
			cells = xrealloc(cells, h.n * sizeof(*cells));
			in_table = true;
			continue;
		}
		if (in_table) {
			if (row_cells(line, &h, cells))
				table_row(&h, cells, &out);
			continue;
		}
		struct span t = trim(line);
		if (t.len && (t.s[0] == '{' || t.s[0] == '[') && !json_err) {
			struct rowbuf jrows = {0};
			if (parse_json(t.s, lineno, &jrows, &json_err)) {
				out = jrows;
				done = true;
			} else {
				/* perhaps a "[warn] ..." line: look on for a header */
				proxy_status_rows_free(jrows.v, jrows.n);
			}
		} else if (!error_line.len && t.len > 6 && strncmp(t.s, "Error:", 6) == 0) {
			error_line = t;
		}
	}
	free(h.v);
	free(cells);
	if (!in_table && !done) {
		*err = json_err ? json_err : no_output_error(error_line);
		return false;
	}
	free(json_err);
	if (out.n) {
		*rows = xrealloc(*rows, (*nrows + out.n) * sizeof(**rows));
		memcpy(*rows + *nrows, out.v, out.n * sizeof(*out.v));
		*nrows += out.n;
	}
	free(out.v);
	return true;
}

const char *proxy_status_worst(const struct proxy_status *row)
{
	static const char *const rank[] = {"SYNCED", "NOT SENT", "STALE", "ERROR"};
	const char *const v[] = {row->cds, row->lds, row->eds, row->rds, row->ecds};
	const char *worst = NULL;
	size_t worst_rank = 0;
	for (size_t i = 0; i < MM_ARRAY_LEN(v); i++)
		for (size_t k = 0; v[i] && k < MM_ARRAY_LEN(rank); k++)
			if (strcmp(v[i], rank[k]) == 0 && (!worst || k > worst_rank)) {
				worst = rank[k];
				worst_rank = k;
			}
	return worst;
}

/* A cell as the table may hold it: no control characters, no run of spaces (new string). */
static char *table_cell(const char *s)
{
	char *c = xstrdup(s ? s : "");
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || (*p == ' ' && (p[1] == ' ' || !p[1])))
			*p = '_';
	return c;
}

char *proxy_status_format(const struct proxy_status *rows, size_t n)
{
	enum { NCOL = 9 };
	static const char *const head[NCOL] = {"NAME", "CLUSTER", "CDS",    "LDS",    "EDS",
					       "RDS",  "ECDS",    "ISTIOD", "VERSION"};
	char **cell = xcalloc((n + 1) * NCOL, sizeof(*cell));
	size_t width[NCOL];
	for (size_t k = 0; k < NCOL; k++) {
		cell[k] = xstrdup(head[k]);
		width[k] = strlen(head[k]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct proxy_status *r = &rows[i];
		char *name = xasprintf("%s.%s", r->pod ? r->pod : "", r->ns ? r->ns : "");
		const char *v[NCOL] = {name,   "",     r->cds,    r->lds,    r->eds,
				       r->rds, r->ecds, r->istiod, r->version};
		for (size_t k = 0; k < NCOL; k++) {
			char **c = &cell[(i + 1) * NCOL + k];
			*c = table_cell(v[k]);
			if (strlen(*c) > width[k])
				width[k] = strlen(*c);
		}
		free(name);
	}
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; i <= n; i++) {
		for (size_t k = 0; k < NCOL; k++) {
			const char *c = cell[i * NCOL + k];
			/* three spaces between columns, as tabwriter pads them */
			if (k + 1 < NCOL)
				sb_printf(&b, "%-*s   ", (int)width[k], c);
			else
				sb_add(&b, c);
		}
		while (b.len && b.s[b.len - 1] == ' ')
			b.s[--b.len] = '\0';
		sb_addc(&b, '\n');
	}
	for (size_t i = 0; i < (n + 1) * NCOL; i++)
		free(cell[i]);
	free(cell);
	return sb_steal(&b);
}
