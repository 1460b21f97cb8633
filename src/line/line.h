/*
 * Reading answers one line at a time: from a person on a terminal through
 * readline (history, Tab completion, Ctrl-C drops the line, Ctrl-D ends),
 * or from a script on a pipe or file, where each line is echoed after its
 * prompt so the output reads as a transcript and '#' lines are comments.
 *
 * Ctrl-C while no line is being read (a probe runs) cancels the commands
 * the probe started (exec_cancel_all) and is reported by line_cancelled.
 */
#ifndef MM_LINE_H
#define MM_LINE_H

#include <stdbool.h>

#include "base/util.h"

/*
 * The candidates for the word that starts at start in line (what is typed so
 * far); LINE_FILES among them asks for file name completion instead.
 */
#define LINE_FILES "\001files"
typedef void (*line_candidates)(void *arg, const char *line, int start, struct strlist *out);

enum line_status { LINE_OK, LINE_EOF, LINE_INTERRUPTED };

struct line_reader;

/*
 * tty: readline on the terminal, else lines from stdin. history: the file
 * the history is kept in (NULL: none), created 0600.
 */
struct line_reader *line_open(bool tty, const char *history, line_candidates fn, void *arg);
/* Save the history and give the terminal back. */
void line_close(struct line_reader *r);

/*
 * Read a line (no newline, new string in *out). LINE_INTERRUPTED: Ctrl-C
 * dropped what was typed; LINE_EOF: Ctrl-D or the end of the script.
 * Non-empty lines a person types go into the history.
 */
enum line_status line_read(struct line_reader *r, const char *prompt, char **out);

/* Around work that Ctrl-C may cancel; line_cancelled says whether it did. */
void line_busy(struct line_reader *r, bool busy);
bool line_cancelled(const struct line_reader *r);

/* The terminal's width in columns (80 when it is not a terminal). */
int line_width(const struct line_reader *r);

#endif
