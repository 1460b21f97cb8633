/*
 * The diagnosis screen: cause, mechanism, fix steps, snippet, verify
 * commands and versions (the text report, in the pager). 's' saves the
 * transcript as Markdown and JSON (the JSON replays with --answers), 'c'
 * writes the snippet to a file.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "session/session.h"
#include "tui/tui.h"

/* Opened at the walk's diagnosis: the text report, in the diagnosis's pager. */
static struct act diag_enter(struct tui *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct out o = {fp, FMT_TEXT, false};
	report_diag(&o, t->w.diag);
	fclose(fp);
	char *title = xasprintf("Diagnosis after %zu steps (p shows them)", t->w.nsteps);
	pager_set(t, &t->diag, title, text);
	/* the report is wrapped and indented for 80 columns already */
	t->diag.margin = 0;
	free(title);
	return K_DONE;
}

static void diag_draw(struct tui *t)
{
	pager_draw(t, &t->diag, 3, t->rows - 3);
}

static void print_snippet(FILE *fp, void *arg)
{
	const char *s = arg;
	fputs(s, fp);
	if (*s && s[strlen(s) - 1] != '\n')
		fputc('\n', fp);
}

static void copy_done(struct tui *t, const char *value)
{
	char *err = NULL;
	if (!*value)
		tui_msg(t, false, "not written");
	else if (access(value, F_OK) == 0)
		tui_msg(t, true, "%s exists: choose another name (c)", value);
	else if (write_new(value, print_snippet, t->w.diag->snippet, &err))
		tui_msg(t, false, "Wrote the snippet to %s", value);
	else
		tui_msg(t, true, "%s", err);
	free(err);
}

static struct act key_copy(struct tui *t)
{
	const struct mm_diag *d = t->w.diag;
	if (!d->snippet) {
		tui_msg(t, true, "this diagnosis has no snippet");
		return K_DONE;
	}
	const char *lang = d->snippet_lang ? d->snippet_lang : "";
	const char *ext = strcmp(lang, "yaml") == 0   ? ".yaml"
			  : strcmp(lang, "json") == 0 ? ".json"
			  : *lang && strstr("sh bash shell console", lang) ? ".sh"
									  : ".txt";
	const char *const suffixes[] = {ext, NULL};
	char *name = free_name(d->id, suffixes);
	char *path = xasprintf("%s%s", name, ext);
	tui_prompt(t, "Write the snippet to:", path, copy_done);
	free(path);
	free(name);
	return K_DONE;
}

static struct act key_help(struct tui *t)
{
	return pager_open_help(t, NULL, &t->w.diag->help);
}

static struct act diag_other(struct tui *t, int ch)
{
	return pager_key(t, ch);
}

static const struct binding diag_keys[] = {
	{{'s'}, "s", "save the transcript: Markdown and JSON (the JSON replays with --answers)",
	 act_save},
	{{'c'}, "c", "write the snippet to a file", key_copy},
	{{'b', KEY_BACKSPACE, KEY_LEFT, 127}, "b, Left", "back: answer the last step again",
	 act_back},
	{{'p'}, "p", "the path: every step; go back to any of them", act_path},
	{{'e'}, "e", "evidence: what the probes saw and the commands run", act_evidence},
	{{'?', KEY_F(1)}, "?", "help on this cause (again: the keys)", key_help},
	{{'w'}, "w", "a new walk: back to the symptom picker", act_new_walk},
	{{'q'}, "q", "quit (the session is saved: meshmedic tui --resume)", act_quit},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_diag = {"diagnosis", diag_enter, diag_draw, diag_keys, diag_other,
	"s save  c copy snippet  b back  p path  e evidence  ? help  / search  q quit"};
