#include "session/fromlog.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"

bool from_log_read(const struct opts *o, const struct mm_kb *kb, const char *line,
                   struct from_log *fl, char **err)
{
	memset(fl, 0, sizeof *fl);
	fl->h.rule = -1;
	struct al_parser p;
	if (!al_parser_init(&p, o->log_format, false, err))
		return false;
	bool ok = al_handover_of(&p, line, &fl->h);
	al_parser_free(&p);
	if (ok && fl->h.flow)
		fl->flow = kb_flow(kb, fl->h.flow);
	return ok;
}

/* Set inputs[name] to value when f declares it, the line gave it and nothing set it yet. */
static void give(const struct mm_flow *f, struct kvlist *inputs, const char *name,
                 const char *value)
{
	const struct mm_input *in = value ? flow_input(f, name) : NULL;
	char *why = in ? input_value_error(in->type, value) : NULL;
	if (in && !why && !kv_get(inputs, name))
		kv_set(inputs, name, value);
	free(why);
}

void from_log_prepare(const struct from_log *fl, const struct mm_flow *f, struct kvlist *inputs,
                      struct answers *answers)
{
	const struct al_handover *h = &fl->h;
	give(f, inputs, "namespace", h->ns);
	give(f, inputs, "service", h->service);
	/* the host the client asked for is the authority, for a flow that takes one */
	give(f, inputs, "host", h->host);
	if (!fl->flow || !h->answer)
		return;
	const struct mm_node *n = flow_node(fl->flow, AL_ANSWER_NODE);
	if (!n || !node_choice(n, h->answer))
		return;
	char *key = xasprintf("%s:%s", fl->flow->id, AL_ANSWER_NODE);
	if (!kv_get(&answers->file, key) && !kv_get(&answers->user, key) &&
	    !kv_get(&answers->user, AL_ANSWER_NODE)) {
		kv_set(&answers->file, key, h->answer);
		answers_add_evidence(answers, key, &h->evidence);
	}
	free(key);
}

/* Whether pod p has the address ip (status.podIP or one of status.podIPs). */
static bool pod_has_ip(const struct kobj *p, const char *ip)
{
	json_t *st = json_object_get(p->j, "status");
	const char *one = json_string_value(json_object_get(st, "podIP"));
	if (one && strcmp(one, ip) == 0)
		return true;
	json_t *all = json_object_get(st, "podIPs");
	for (size_t i = 0; i < json_array_size(all); i++) {
		const char *v = json_string_value(json_object_get(json_array_get(all, i), "ip"));
		if (v && strcmp(v, ip) == 0)
			return true;
	}
	return false;
}

const char *from_log_caller(const struct from_log *fl, struct cluster *c, const char *ns)
{
	if (!c || !fl->h.caller_ip)
		return NULL;
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	const struct kobj *found = NULL;
	for (size_t i = 0; pods && i < pods->n; i++) {
		const struct kobj *p = pods->v[i];
		json_t *spec = json_object_get(p->j, "spec");
		const char *phase = json_string_value(json_object_get(json_object_get(p->j, "status"), "phase"));
		/* a host-network pod shares its node's address; a finished one may have lent its IP */
		if (json_is_true(json_object_get(spec, "hostNetwork")) ||
		    (phase && strcmp(phase, "Running") != 0) || !pod_has_ip(p, fl->h.caller_ip))
			continue;
		if (found)
			return NULL; /* two pods with the address: the line names neither */
		found = p;
	}
	return found ? found->name : NULL;
}

char *from_log_summary(const struct from_log *fl)
{
	const struct al_handover *h = &fl->h;
	struct sbuf b;
	sb_init(&b);
	sb_printf(&b, "%s:", h->log_line ? "an access log line" : "an error body of Envoy");
	if (h->code >= 0)
		sb_printf(&b, " %d", h->code);
	if (h->flags && *h->flags && strcmp(h->flags, "-") != 0)
		sb_printf(&b, " %s", h->flags);
	if (fl->flow)
		sb_printf(&b, " -> flow %s", fl->flow->id);
	if (h->service)
		sb_printf(&b, ", service %s", h->service);
	if (h->ns)
		sb_printf(&b, ", namespace %s", h->ns);
	else if (h->service)
		sb_add(&b, ", namespace not in the line");
	if (h->host && (!h->service || strncmp(h->host, h->service, strlen(h->service)) != 0))
		sb_printf(&b, ", host %s", h->host);
	if (fl->flow && h->answer)
		sb_printf(&b, ", %s %s", AL_ANSWER_NODE, h->answer);
	if (!fl->flow)
		sb_printf(&b, "; %s", h->no_flow ? h->no_flow : "no flow covers it yet");
	char *out = sanitize(b.s, false);
	sb_free(&b);
	return out;
}

void from_log_free(struct from_log *fl)
{
	al_handover_free(&fl->h);
	memset(fl, 0, sizeof *fl);
}
