/*
 * Access logs as `logs` tallies them. The first byte chooses: even, the
 * default formats; odd, the first line is a --log-format (TEXT, or JSON when
 * it starts with '{') and the rest the log. Every line is also matched on
 * its own, as --explain does, and its upstream cluster taken apart.
 */
#include "logs/accesslog.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	char *text = fuzz_str(data + 1, size - 1), *log = text, *custom = NULL;
	if (data[0] & 1) {
		char *nl = strchr(text, '\n');
		custom = text;
		log = nl ? nl + 1 : text + strlen(text);
		if (nl)
			*nl = '\0';
	}
	struct al_parser p;
	char *err = NULL;
	if (al_parser_init(&p, custom, false, &err)) {
		struct al_tally t;
		memset(&t, 0, sizeof(t));
		al_tally_text(&t, &p, log, strlen(log));
		char *svc = NULL, *ns = NULL;
		al_dominant(&t, "default", &svc, &ns);
		free(svc);
		free(ns);
		al_tally_free(&t);
		for (char *line = log; *line;) {
			size_t n = strcspn(line, "\n");
			struct al_record r;
			if (al_parse_line(&p, line, n, &r) == AL_OK) {
				struct al_cluster_name c = al_cluster_parse(r.f[AL_UPSTREAM_CLUSTER]);
				char *s = NULL, *x = NULL;
				if (c.side != AL_SIDE_UNKNOWN && (!c.port.s || !c.subset.s || !c.host.s))
					abort(); /* the contract of al_cluster_parse: no NULL part */
				al_service_of(r.f[AL_UPSTREAM_CLUSTER], &s, &x);
				free(s);
				free(x);
				al_targets(&r, "reviews", "default");
				al_next_rule_of(&r);
			}
			line += n + (line[n] == '\n');
		}
		al_parser_free(&p);
	}
	free(err);
	free(text);
	return 0;
}
