/*
 * The evidence viewer ('e'): what each answer rests on (who gave it, the
 * probe's evidence lines), what the cluster said about the question pending,
 * and every command run with how it ended and the start of its output.
 */
#include "cluster/cluster.h"
#include "tui/tui.h"

/* What the answers rest on: each step's evidence, the question pending, every command run. */
struct act act_evidence(struct tui *t)
{
	struct sbuf b;
	sb_init(&b);
	for (size_t i = 0; t->walking && i < t->w.nsteps; i++) {
		const struct step *s = &t->w.steps[i];
		char *q = walk_text(&t->w, s->node->question);
		char *label = walk_text(&t->w, s->choice->label);
		sb_printf(&b, "Step %zu  %s\n  -> %s: %s (%s)\n", i + 1, q, s->choice->id, label,
			  by_label(s->by, s->inferred));
		for (size_t k = 0; k < s->evidence.n; k++)
			sb_printf(&b, "  | %s\n", s->evidence.v[k]);
		sb_addc(&b, '\n');
		free(label);
		free(q);
	}
	if (t->walking && t->w.node) {
		char *q = walk_text(&t->w, t->w.node->question);
		sb_printf(&b, "Now  %s\n", q);
		free(q);
		const struct strlist *ev = NULL;
		if (t->q.pre >= 0) {
			sb_printf(&b, "  the %s says: %s\n", by_label(t->q.pre_by, t->q.pre_inferred),
				  t->w.node->choices[t->q.pre].id);
			ev = &t->q.pre_evidence;
		} else if (t->w.probe_note) {
			sb_printf(&b, "  the cluster could not tell: %s\n", t->w.probe_note);
			ev = &t->w.probe_evidence;
		} else {
			sb_add(&b, "  no probe answers this question: it is yours\n");
		}
		for (size_t k = 0; ev && k < ev->n; k++)
			sb_printf(&b, "  | %s\n", ev->v[k]);
		sb_addc(&b, '\n');
	}
	sb_add(&b, "Commands run\n");
	pthread_mutex_lock(&t->log.mu);
	/* commands and their output as they are: never wrapped */
	for (size_t i = 0; i < t->log.lines.n; i++)
		sb_printf(&b, "%c%s\n", CODE_MARK, t->log.lines.v[i]);
	size_t count = t->log.count;
	pthread_mutex_unlock(&t->log.mu);
	if (!count && !t->s->cluster)
		sb_add(&b, "  none: no cluster state is loaded (--snapshot PATH or --live)\n");
	else if (!count && !cluster_source(t->s->cluster))
		sb_add(&b, "  none: the answers come from the snapshot, no command is run\n");
	else if (!count)
		sb_add(&b, "  none yet\n");
	pager_set(t, &t->pager, "Evidence", sb_steal(&b));
	return K_PUSH(SCR_PAGER);
}
