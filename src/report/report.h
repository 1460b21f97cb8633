/*
 * Rendering for people and programs: a walk, a diagnosis, the flow list and
 * a flow's graph, as text (terminal), Markdown (incident tickets) or JSON.
 * Anything that may have come from outside is sanitised before it is shown.
 */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "kb/kb.h"
#include "walk/walk.h"

enum out_format { FMT_TEXT, FMT_JSON, FMT_MARKDOWN };

struct out {
	FILE *fp;
	enum out_format fmt;
	bool color;
};

/* Terminal attributes when o->color, else "": bold, dim, green, yellow, and back to plain. */
const char *out_bold(const struct out *o);
const char *out_dim(const struct out *o);
const char *out_green(const struct out *o);
const char *out_yellow(const struct out *o);
const char *out_reset(const struct out *o);

/* How to continue an undetermined walk, as a command line (NULL: do not show). */
void report_walk(const struct out *o, const struct walk *w, const char *resume_cmd);
/*
 * The same on cluster c (NULL: none): a diagnosis then shows its fix rendered
 * against the objects the cluster holds ("Fix for this cluster"; JSON
 * diagnosis.fix_rendered), or why none is (diagnosis.fix_not_rendered).
 */
struct cluster;
void report_walk_on(const struct out *o, const struct walk *w, const char *resume_cmd,
		    struct cluster *c);
void report_diag(const struct out *o, const struct mm_diag *d);
/* Step i of the walk as the text report shows it, with at most max_evidence lines. */
void report_step(const struct out *o, const struct walk *w, size_t i, size_t max_evidence);
/* Its answer alone: the choice, who gave it, the evidence. */
void report_answer(const struct out *o, const struct walk *w, size_t i, size_t max_evidence);
/*
 * The current question: text, detail, what the probe said, the choices. With
 * num, the question is numbered num and the choices 1..n (line mode).
 */
void report_question(const struct out *o, const struct walk *w, size_t num);
/* An input the walk derived from the cluster: its value, the rule, the evidence, the others. */
void report_derived(const struct out *o, const struct derived *d);
void report_list(const struct out *o, const struct mm_kb *kb);
void report_graph(FILE *fp, const struct mm_flow *f);

/* "Istio 1.5 to 1.6 (note)", "every Istio version", ... New string. */
char *versions_text(const struct mm_diag *d);

/* Write text wrapped at width, each line starting with indent. */
void wrap(FILE *fp, const char *text, int indent, int width);
/* The same, with continuation lines indented by hang instead. */
void wrap_hang(FILE *fp, const char *text, int indent, int hang, int width);

#endif
