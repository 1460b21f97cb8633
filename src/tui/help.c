/*
 * The help pager ('?'): the question's help page (after the question and the
 * command that answers it in full), or a diagnosis's pages; '?' again shows
 * the key list of the screen underneath.
 */
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

/* Whether a Markdown line starts a block of its own rather than going on with the last one. */
static bool md_block_start(const char *l)
{
	size_t digits = strspn(l, "0123456789");
	return !*l || strncmp(l, "    ", 4) == 0 || l[0] == '#' || l[0] == '|' ||
	       ((l[0] == '-' || l[0] == '*') && l[1] == ' ') ||
	       (digits && l[digits] == '.' && l[digits + 1] == ' ');
}

/*
 * A help page with its paragraphs and list items joined into one line each,
 * for the pager to wrap at the screen's width; code (indented or fenced)
 * is marked so (CODE_MARK: never wrapped), headings and tables stay as they
 * are. New string.
 */
static char *md_reflow(const char *md)
{
	struct sbuf b;
	sb_init(&b);
	bool joinable = false, fenced = false;
	for (const char *p = md; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		bool fence = strncmp(line, "```", 3) == 0;
		if (fenced || fence) {
			sb_printf(&b, "%s%c%s", b.len ? "\n" : "", CODE_MARK, line);
			fenced = fence ? !fenced : fenced;
			joinable = false;
		} else if (strncmp(line, "    ", 4) == 0 && !joinable) {
			sb_printf(&b, "%s%c%s", b.len ? "\n" : "", CODE_MARK, line);
		} else if (joinable && !md_block_start(line)) {
			sb_printf(&b, " %s", line + strspn(line, " "));
		} else {
			sb_printf(&b, "%s%s", b.len ? "\n" : "", line);
			joinable = *line && strncmp(line, "    ", 4) != 0 && line[0] != '#' &&
				   line[0] != '|';
		}
		free(line);
		p += len;
		p += *p == '\n';
	}
	return sb_steal(&b);
}

struct act pager_open_help(struct tui *t, const char *preface, const struct strlist *topics)
{
	struct sbuf b;
	sb_init(&b);
	const char *title = "Help";
	if (preface)
		sb_printf(&b, "%s\n\n", preface);
	for (size_t i = 0; topics && i < topics->n; i++) {
		const struct mm_help *h = kb_help(t->kb, topics->v[i]);
		char *raw = h ? help_body(h) : NULL;
		char *body = raw ? md_reflow(raw) : NULL;
		free(raw);
		if (h)
			sb_printf(&b, "%s (meshmedic help %s)\n\n%s\n", h->title, h->topic,
				  body ? body : "(the page cannot be read)");
		else
			sb_printf(&b, "(no help page '%s')\n\n", topics->v[i]);
		if (h && topics->n == 1)
			title = h->title;
		free(body);
	}
	/* the screen on top now is the one under the pager */
	char *keys = tui_key_list(t, tui_top(t));
	if (!b.len) {
		pager_set(t, &t->pager, "Keys", keys);
		sb_free(&b);
		return K_PUSH(SCR_PAGER);
	}
	char *full = xasprintf("Help: %s", title);
	pager_set(t, &t->pager, full, sb_steal(&b));
	t->pager.alt = keys;
	free(full);
	return K_PUSH(SCR_PAGER);
}

struct act act_keys(struct tui *t)
{
	return pager_open_help(t, NULL, NULL);
}
