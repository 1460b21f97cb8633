/*
 * Drawing text: sanitised, measured in screen columns (UTF-8 when the locale
 * is, else ASCII with '?' for anything else), clipped and wrapped; colours
 * only when wanted (--no-color, NO_COLOR) and available.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/tui.h"

static bool utf8_mode, color_mode;

/* A no-break space: it holds a command's words together until tui_wrap is done. */
#define NBSP "\xc2\xa0"

enum { PAIR_TITLE = 1, PAIR_GOOD, PAIR_WARN, PAIR_BAD, PAIR_HIT };

void text_init(bool utf8, bool color)
{
	utf8_mode = utf8;
	color_mode = color;
	if (!color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_GOOD, COLOR_GREEN, -1);
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_BAD, COLOR_RED, -1);
	init_pair(PAIR_HIT, COLOR_BLACK, COLOR_YELLOW);
}

int text_attr(enum role r)
{
	/* without colour, attributes alone tell the roles apart */
	static const int plain[] = {[R_PLAIN] = A_NORMAL, [R_TITLE] = A_REVERSE,
				    [R_SEL] = A_REVERSE | A_BOLD, [R_GOOD] = A_BOLD,
				    [R_WARN] = A_BOLD, [R_BAD] = A_BOLD, [R_DIM] = A_DIM,
				    [R_BOLD] = A_BOLD, [R_HIT] = A_REVERSE};
	static const int pairs[] = {[R_TITLE] = PAIR_TITLE, [R_GOOD] = PAIR_GOOD,
				    [R_WARN] = PAIR_WARN, [R_BAD] = PAIR_BAD, [R_HIT] = PAIR_HIT};
	if (!color_mode || !pairs[r])
		return plain[r];
	return (int)COLOR_PAIR(pairs[r]) | (r == R_TITLE || r == R_HIT ? 0 : A_BOLD);
}

/* The code point at s (valid UTF-8, as sanitize leaves it) and its length. */
static size_t u8_next(const char *s, wchar_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	wchar_t c = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*cp = '?';
			return i;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*cp = c;
	return n;
}

static int cp_width(wchar_t c)
{
	if (!utf8_mode || c < 0x80)
		return 1;
	int w = wcwidth(c);
	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	int w = 0;
	wchar_t c;
	for (size_t n; *s; s += n) {
		n = u8_next(s, &c);
		w += cp_width(c);
	}
	return w;
}

/* Append to b the code points of s that fit in w columns; returns the columns. */
static int fit(struct sbuf *b, const char *s, int w, const char **rest)
{
	int used = 0;
	wchar_t c;
	size_t n;
	for (; *s; s += n) {
		n = u8_next(s, &c);
		int cw = cp_width(c);
		if (used + cw > w)
			break;
		if (utf8_mode || c < 0x80)
			sb_addn(b, s, n);
		else
			sb_addc(b, '?');
		used += cw;
	}
	if (rest)
		*rest = s;
	return used;
}

int tui_put(int y, int x, int w, enum role r, const char *s)
{
	if (w <= 0 || !s)
		return 0;
	char *clean = sanitize(s, false);
	struct sbuf b;
	sb_init(&b);
	int used;
	if (text_width(clean) <= w) {
		used = fit(&b, clean, w, NULL);
	} else {
		/* clipped: end with an ellipsis so the cut shows */
		const char *e = glyph_ellipsis();
		int ew = text_width(e);
		used = fit(&b, clean, w > ew ? w - ew : w, NULL);
		if (w > ew) {
			sb_add(&b, e);
			used += ew;
		}
	}
	attron(text_attr(r));
	mvaddstr(y, x, b.s ? b.s : "");
	attroff(text_attr(r));
	sb_free(&b);
	free(clean);
	return used;
}

void tui_put_code(int y, int x, int w, enum role r, const char *s, size_t left)
{
	if (w <= 0 || !s)
		return;
	char *clean = sanitize(s, false);
	struct sbuf b;
	sb_init(&b);
	const char *rest = clean;
	/* skip the columns scrolled off to the left */
	size_t skipped = 0;
	wchar_t c;
	while (*rest && skipped < left) {
		size_t n = u8_next(rest, &c);
		skipped += (size_t)cp_width(c);
		rest += n;
	}
	bool cut_left = left > 0 && *clean;
	if (cut_left) {
		sb_addc(&b, '<');
		/* the column under '<' is hidden too */
		if (*rest)
			rest += u8_next(rest, &c);
	}
	int room = w - (cut_left ? 1 : 0);
	if (text_width(rest) <= room) {
		fit(&b, rest, room, NULL);
	} else {
		fit(&b, rest, room - 1, NULL);
		sb_addc(&b, '>');
	}
	attron(text_attr(r));
	mvaddstr(y, x, b.s ? b.s : "");
	attroff(text_attr(r));
	sb_free(&b);
	free(clean);
}

int tui_putf(int y, int x, int w, enum role r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int n = tui_put(y, x, w, r, s);
	free(s);
	return n;
}

/* How far a paragraph's continuation lines are indented: its spaces and list marker. */
static int para_indent(const char *p)
{
	int lead = (int)strspn(p, " ");
	const char *q = p + lead;
	if ((q[0] == '-' || q[0] == '*') && q[1] == ' ')
		return lead + 2;
	size_t digits = strspn(q, "0123456789");
	if (digits && digits < 3 && q[digits] == '.' && q[digits + 1] == ' ')
		return lead + (int)digits + 2;
	return lead;
}

/*
 * Wrap one paragraph (no newline in it). The spaces between words stay as
 * they are within a line (aligned columns survive); a break drops them.
 */
static void wrap_para(const char *para, int width, const char *first, int hang,
		      struct strlist *out)
{
	int indent = para_indent(para);
	int lead = (int)strspn(para, " ");
	struct sbuf line;
	sb_init(&line);
	sb_add(&line, first);
	sb_printf(&line, "%*s", lead, "");
	int col = text_width(first) + lead;
	int start = col;
	const char *p = para + lead;
	while (*p) {
		size_t wl = strcspn(p, " ");
		char *word = xstrndup(p, wl);
		const char *gap = p + wl;
		size_t gl = strspn(gap, " ");
		int ww = text_width(word);
		/* a break helps only a word that then fits; a longer one is cut where it stands */
		if (col > start && col + ww > width && hang + indent + ww <= width) {
			/* the spaces before the word were added already: they go with the break */
			while (line.len && line.s[line.len - 1] == ' ')
				line.s[--line.len] = '\0';
			sl_take(out, sb_steal(&line));
			sb_printf(&line, "%*s", hang + indent, "");
			col = start = hang + indent;
		}
		/* a word longer than the line is cut where the line ends */
		const char *w = word;
		while (col + text_width(w) > width) {
			int got = fit(&line, w, width > col ? width - col : 0, &w);
			if (!got && col == start) {
				/* not even one code point fits: take it anyway */
				wchar_t c;
				size_t n = u8_next(w, &c);
				sb_addn(&line, w, n);
				w += n;
			}
			if (!*w)
				break;
			sl_take(out, sb_steal(&line));
			sb_printf(&line, "%*s", hang + indent, "");
			col = start = hang + indent;
		}
		sb_add(&line, w);
		if (gap[gl])
			sb_addn(&line, gap, gl);
		col = text_width(line.s);
		free(word);
		p = gap + gl;
	}
	sl_take(out, sb_steal(&line));
}

void tui_wrap(const char *text, int width, const char *prefix, int hang, struct strlist *out)
{
	char *t = sanitize(text ? text : "", true);
	for (char *c = t; *c; c++)
		if (*c == '\t')
			*c = ' ';
	char *pad = xasprintf("%*s", hang, "");
	bool first = true;
	for (char *para = t; para;) {
		char *nl = strchr(para, '\n');
		if (nl)
			*nl = '\0';
		size_t before = out->n;
		wrap_para(para, width, first ? prefix : pad, hang, out);
		/* the no-break spaces that held commands together are spaces again */
		for (size_t i = before; i < out->n; i++)
			for (char *sp; (sp = strstr(out->v[i], NBSP));)
				memmove(sp, sp + 1, strlen(sp + 1) + 1), *sp = ' ';
		first = false;
		para = nl ? nl + 1 : NULL;
	}
	free(pad);
	free(t);
}

char *osc52_seq(const char *text, size_t len)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)text;
	struct sbuf b;
	sb_init(&b);
	sb_add(&b, "\033]52;c;");
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		sb_addc(&b, digits[(v >> 18) & 63]);
		sb_addc(&b, digits[(v >> 12) & 63]);
		sb_addc(&b, i + 1 < len ? digits[(v >> 6) & 63] : '=');
		sb_addc(&b, i + 2 < len ? digits[v & 63] : '=');
	}
	sb_addc(&b, '\a');
	return sb_steal(&b);
}

/* Whether a command to copy starts at p: kubectl or istioctl and a word after it. */
static bool command_at(const char *p, const char *start)
{
	if (p > start && p[-1] != ' ' && p[-1] != '(' && p[-1] != '`')
		return false;
	size_t w = strncmp(p, "kubectl ", 8) == 0 ? 8 : strncmp(p, "istioctl ", 9) == 0 ? 9 : 0;
	return w && ((p[w] >= 'a' && p[w] <= 'z') || p[w] == '-');
}

/* Where the command at p ends: the sentence or clause that follows it. */
static size_t command_len(const char *p)
{
	static const char *const ends[] = {". ", "; ", " and ", ", ", " (", ") ", "`"};
	size_t len = strlen(p);
	for (size_t i = 0; i < MM_ARRAY_LEN(ends); i++) {
		const char *e = strstr(p, ends[i]);
		if (e && (size_t)(e - p) < len)
			len = (size_t)(e - p);
	}
	/* the stop or bracket that ends the text is not part of the command */
	while (len && (p[len - 1] == '.' || p[len - 1] == ')') && !p[len])
		len--;
	return len;
}


char *text_split_commands(const char *para, int width)
{
	struct sbuf b;
	sb_init(&b);
	const char *p = para ? para : "";
	for (;;) {
		const char *cmd = p;
		while (*cmd && !command_at(cmd, para))
			cmd++;
		sb_addn(&b, p, (size_t)(cmd - p));
		if (!*cmd)
			break;
		size_t n = command_len(cmd);
		if ((int)n <= width) {
			/* it fits on a line: its words stay together, wrapped as one */
			for (size_t i = 0; i < n; i++)
				if (cmd[i] == ' ')
					sb_add(&b, NBSP);
				else
					sb_addc(&b, cmd[i]);
			p = cmd + n;
			continue;
		}
		/* longer than a line: a code line of its own, the prose on around it */
		while (b.len && b.s[b.len - 1] == ' ')
			b.s[--b.len] = '\0';
		sb_printf(&b, "%s%c    ", b.len ? "\n" : "", CODE_MARK);
		sb_addn(&b, cmd, n);
		p = cmd + n;
		if (*p == '.' || *p == ';' || *p == ',')
			p++;
		p += strspn(p, " ");
		if (*p)
			sb_addc(&b, '\n');
	}
	return b.s ? sb_steal(&b) : xstrdup("");
}

void tui_wrap_code(const char *text, int width, const char *prefix, int hang,
		   struct strlist *out, bool **code)
{
	char *copy = xstrdup(text ? text : "");
	bool first = true;
	for (char *para = copy; para;) {
		char *nl = strchr(para, '\n');
		if (nl)
			*nl = '\0';
		/* commands of prose are kept whole: a long one becomes a code line */
		char *parts = *para == CODE_MARK ? xstrdup(para) : text_split_commands(para, width - 8);
		for (char *part = parts; part;) {
			char *pnl = strchr(part, '\n');
			if (pnl)
				*pnl = '\0';
			size_t before = out->n;
			bool is_code = *part == CODE_MARK;
			/* later paragraphs start where the continuation lines do, as in tui_wrap */
			char *lead = first ? xstrdup(prefix) : xasprintf("%*s", hang, "");
			if (is_code) {
				char *l = xasprintf("%s%s", lead, part + 1);
				for (char *c = l; *c; c++)
					if (*c == '\t')
						*c = ' ';
				sl_take(out, l);
			} else {
				tui_wrap(part, width, lead, hang, out);
			}
			free(lead);
			*code = xrealloc(*code, (out->n + 1) * sizeof(**code));
			for (size_t i = before; i < out->n; i++)
				(*code)[i] = is_code;
			first = false;
			part = pnl ? pnl + 1 : NULL;
		}
		free(parts);
		para = nl ? nl + 1 : NULL;
	}
	free(copy);
}

void tui_rule(int y, const char *title)
{
	int cols = COLS;
	const char *h = utf8_mode ? "\xe2\x94\x80" : "-";
	attron(text_attr(R_DIM));
	for (int x = 0; x < cols; x++)
		mvaddstr(y, x, h);
	attroff(text_attr(R_DIM));
	if (title) {
		char *t = xasprintf(" %s ", title);
		tui_put(y, 2, cols - 4, R_BOLD, t);
		free(t);
	}
}

const char *glyph_mark(void)
{
	return utf8_mode ? "\xe2\x96\xb6" : ">";
}

const char *glyph_ellipsis(void)
{
	return utf8_mode ? "\xe2\x80\xa6" : "...";
}

const char *glyph_spin(int64_t ms)
{
	static const char *const braille[] = {"\xe2\xa0\x8b", "\xe2\xa0\x99", "\xe2\xa0\xb9",
					      "\xe2\xa0\xb8", "\xe2\xa0\xbc", "\xe2\xa0\xb4",
					      "\xe2\xa0\xa6", "\xe2\xa0\xa7", "\xe2\xa0\x87",
					      "\xe2\xa0\x8f"};
	static const char *const ascii[] = {"|", "/", "-", "\\"};
	size_t i = (size_t)(ms / 100);
	return utf8_mode ? braille[i % MM_ARRAY_LEN(braille)] : ascii[i % MM_ARRAY_LEN(ascii)];
}
