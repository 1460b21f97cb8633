/*
 * The diagnosis screen: cause, mechanism, fix steps, snippet, verify
 * commands and versions (the text report, in the pager). 's' saves the
 * transcript as Markdown and JSON (the JSON replays with --answers), 'c'
 * writes the snippet to a file, 'y' puts it on the terminal's clipboard.
 * Nothing is wrapped again: the report is laid out already, and its code
 * (snippet, commands) scrolls sideways instead.
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

/*
 * The report wraps its Verify commands for 78 columns; on the screen each
 * comes back to one line (its continuation lines start with four spaces),
 * so that it can be copied whole. New string.
 */
static char *unwrap_verify(const char *text)
{
	struct sbuf b;
	sb_init(&b);
	bool in_verify = false;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		if (!*line || line[0] != ' ')
			in_verify = strcmp(line, "Verify") == 0;
		if (in_verify && strncmp(line, "    ", 4) == 0 && line[4] != ' ' && b.len &&
		    b.s[b.len - 1] == '\n') {
			/* a continuation: joined to its item with the space the wrap took */
			b.s[--b.len] = '\0';
			sb_printf(&b, " %s\n", line + 4);
		} else {
			sb_printf(&b, "%s\n", line);
		}
		free(line);
		p += len;
		p += *p == '\n';
	}
	return sb_steal(&b);
}

/* Opened at the walk's diagnosis: the text report, in the diagnosis's pager. */
static struct act diag_enter(struct tui *t)
{
	char *raw = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&raw, &len);
	struct out o = {fp, FMT_TEXT, false};
	report_diag(&o, t->w.diag);
	fclose(fp);
	char *text = unwrap_verify(raw);
	free(raw);
	char *title = xasprintf("Diagnosis after %zu steps (p shows them)", t->w.nsteps);
	pager_set(t, &t->diag, title, text);
	/* the report is wrapped and indented for 80 columns already: wider lines are code */
	t->diag.margin = 0;
	t->diag.nowrap = true;
	free(title);
	return K_DONE;
}

static char *snippet_file(const struct mm_diag *d);

static void diag_draw(struct tui *t)
{
	pager_draw(t, &t->diag, 3, t->rows - 3);
	const struct mm_diag *d = t->w.diag;
	if (!d || !d->snippet)
		return;
	/* the status bar names the file c writes; the keys needed least come last (they may be cut) */
	char *path = snippet_file(d);
	t->hint = xasprintf("c write %s  y clipboard (OSC 52)  s save  b back  q quit  ? help  "
			    "e evidence",
			    path);
	free(path);
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

/* The file c writes the snippet to: the diagnosis id and the snippet's extension, not taken. */
static char *snippet_file(const struct mm_diag *d)
{
	const char *lang = d->snippet_lang ? d->snippet_lang : "";
	const char *ext = strcmp(lang, "yaml") == 0   ? ".yaml"
			  : strcmp(lang, "json") == 0 ? ".json"
			  : *lang && strstr("sh bash shell console", lang) ? ".sh"
									  : ".txt";
	const char *const suffixes[] = {ext, NULL};
	char *name = free_name(d->id, suffixes);
	char *path = xasprintf("%s%s", name, ext);
	free(name);
	return path;
}

static struct act key_copy(struct tui *t)
{
	const struct mm_diag *d = t->w.diag;
	if (!d->snippet) {
		tui_msg(t, true, "this diagnosis has no snippet");
		return K_DONE;
	}
	char *path = snippet_file(d);
	tui_prompt(t, "Write the snippet to:", path, copy_done);
	free(path);
	return K_DONE;
}

/* Terminals cap what OSC 52 may carry; a snippet is far smaller. */
#define CLIP_MAX 65536

/* 'y': the snippet on the terminal's clipboard through OSC 52 (where the terminal allows it). */
static struct act key_yank(struct tui *t)
{
	const struct mm_diag *d = t->w.diag;
	if (!d->snippet) {
		tui_msg(t, true, "this diagnosis has no snippet");
		return K_DONE;
	}
	size_t len = strlen(d->snippet);
	if (len > CLIP_MAX) {
		tui_msg(t, true, "the snippet is too long for the clipboard: c writes it to a file");
		return K_DONE;
	}
	/* the snippet as c writes it: ending with a newline */
	char *text = xasprintf("%s%s", d->snippet, len && d->snippet[len - 1] != '\n' ? "\n" : "");
	char *seq = osc52_seq(text, strlen(text));
	/* past curses, which has written all it had (the loop refreshes before each key) */
	fflush(stdout);
	size_t n = strlen(seq);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDOUT_FILENO, seq + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	tui_msg(t, false,
		"Sent the snippet to the clipboard (OSC 52): if the terminal refuses it, c writes a file");
	free(seq);
	free(text);
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
	{{'c'}, "c", "write the snippet to a file (DIAGNOSIS.yaml, asked first)", key_copy},
	{{'y'}, "y", "copy the snippet to the terminal's clipboard (OSC 52; tmux: set-clipboard on)",
	 key_yank},
	{{'b', KEY_BACKSPACE, 127}, "b", "back: answer the last step again",
	 act_back},
	{{'p'}, "p", "the path: every step; go back to any of them", act_path},
	{{'e'}, "e", "evidence: what the probes saw and the commands run", act_evidence},
	{{'?', KEY_F(1)}, "?", "help on this cause (again: the keys)", key_help},
	{{'w'}, "w", "a new walk: back to the symptom picker", act_new_walk},
	{{'q'}, "q", "quit (the session is saved: meshmedic tui --resume)", act_quit},
	{{0}, NULL, NULL, NULL},
};

const struct screen screen_diag = {"diagnosis", diag_enter, diag_draw, diag_keys, diag_other,
	"s save  b back  p path  e evidence  ? help  / search  q quit"};
