/*
 * The full-screen front end (ncurses): a view over the same walk as batch
 * mode that adds nothing to the engine but presentation.
 *
 * A session is a stack of screens over one walk: the symptom picker, the
 * inputs form, the question screen (with the path pane), the path, pagers
 * (evidence, help, key list) and the diagnosis. As in ncdu, each screen is a
 * file with its draw function and key table; as in htop, key handlers never
 * draw: they change state and return, and the main loop (tui/tui.c) redraws.
 *
 * Probes and cluster look-ups run on a worker thread (tui/job.c) so that the
 * screen stays live and Esc can cancel them; while one runs, the main thread
 * leaves the walk and the cluster alone. Only the main thread calls curses.
 * Every string that came from outside is sanitised before it is drawn
 * (tui_put, tui_wrap).
 */
#ifndef MM_TUI_H
#define MM_TUI_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "session/options.h"
#include "walk/walk.h"

/* ---- what cmd/tui.c hands over ---- */

struct tui_setup {
	struct ctx *c;
	struct cluster *cluster;     /* NULL: questions are asked (owned by the caller) */
	const char *source;          /* for the title bar: "snapshot demo", "live", "no cluster" */
	const struct mm_flow *flow;  /* NULL: start at the picker */
	struct answers answers;      /* --answer and --answers */
	struct kvlist file_inputs;   /* inputs from the answers file */
	json_t *resume;              /* a saved session to continue, or NULL */
	json_t *session;             /* how the cluster was opened, kept in the autosave */
	struct onboard *onboard;     /* the onboarding checklist to run instead of a walk, or NULL */
};

/* Run the session; returns the exit status. */
int tui_run(struct tui_setup *s);

/* ---- the session ---- */

struct tui;

/* The screens, by the id a screen's action names; only tui.c knows their tables. */
enum screen_id {
	SCR_PICKER,
	SCR_INPUTS,
	SCR_QUESTION,
	SCR_PATH,
	SCR_PAGER,
	SCR_DIAG,
	SCR_ONBOARD,
	SCR_ONBOARD_ASK,
	SCR_COUNT
};

/*
 * What a key handler, a screen's entry or a finished job asks for; only the
 * dispatcher (tui.c) acts on it. "Open" is push, then the screen's enter.
 */
enum act_kind {
	ACT_NONE,   /* not handled: the next key table is tried */
	ACT_DONE,   /* handled; the loop redraws after every key either way */
	ACT_QUIT,
	ACT_PUSH,   /* open .to over the screen on top */
	ACT_POP,    /* back to the screen below */
	ACT_POP_TO, /* back to .to (opened if it is not on the stack) */
	ACT_OPEN,   /* back to .over (opened if it is not there), then open .to over it */
	ACT_RESET,  /* an empty stack, then open .to */
};

struct act {
	enum act_kind kind;
	enum screen_id to, over;
};

#define K_NONE ((struct act){ACT_NONE, SCR_PICKER, SCR_PICKER})
#define K_DONE ((struct act){ACT_DONE, SCR_PICKER, SCR_PICKER})
#define K_QUIT ((struct act){ACT_QUIT, SCR_PICKER, SCR_PICKER})
#define K_POP ((struct act){ACT_POP, SCR_PICKER, SCR_PICKER})
#define K_PUSH(s) ((struct act){ACT_PUSH, (s), SCR_PICKER})
#define K_POP_TO(s) ((struct act){ACT_POP_TO, (s), SCR_PICKER})
#define K_OPEN(s, o) ((struct act){ACT_OPEN, (s), (o)})
#define K_RESET(s) ((struct act){ACT_RESET, (s), SCR_PICKER})

struct binding {
	int keys[4];          /* characters or KEY_* codes, 0-terminated */
	const char *label;    /* as the key list shows them */
	const char *help;
	struct act (*run)(struct tui *t);
};

/*
 * A screen: one file, one const table entry, as in ncdu (name, enter, draw,
 * keys, other, hint). Key handlers never draw (htop): they change the
 * screen's state and return an action.
 */
struct screen {
	const char *name;
	struct act (*enter)(struct tui *t);         /* when it is opened, or NULL */
	void (*draw)(struct tui *t);
	const struct binding *keys;                 /* ends with a NULL label */
	struct act (*other)(struct tui *t, int ch); /* keys the table lacks (typing), or NULL */
	const char *hint;                           /* the status bar (a draw may set tui.hint instead) */
};

/*
 * Code (commands, YAML, log lines) is never wrapped, so that it can be copied
 * as it is: a paragraph of a pager's text that starts with CODE_MARK, or every
 * line of a pager whose text is laid out already (nowrap), is drawn clipped
 * and scrolls sideways (Left/Right), with '<' and '>' at a clipped edge.
 */
#define CODE_MARK '\x02'

/* A scrollable text with search: help, evidence, key list, diagnosis. */
struct pager {
	char *title;
	char *text;            /* as given; wrapped again when the width changes */
	struct strlist lines;
	bool *code;            /* per line: code, drawn unwrapped from column left */
	int code_width;        /* the widest code line */
	bool nowrap;           /* the text is laid out already: every line is code */
	size_t left;           /* the first column of code lines shown */
	int width;             /* what lines were wrapped for */
	int margin;            /* columns left free on each side (text wrapped already: 0) */
	size_t top;
	char *search;
	size_t hit;            /* the line of the last match, when found */
	bool found;
	char *alt;             /* the help pager's other text ('?' swaps): the key list */
};

/* The one-line editor at the bottom: search, file names. */
struct prompt {
	bool active;
	const char *label;
	char buf[256];
	void (*done)(struct tui *t, const char *value);
};

enum job_kind { JOB_NONE, JOB_PROBE, JOB_NAMES, JOB_CALL };

/* Work on the worker thread; see tui/job.c. */
struct job {
	enum job_kind kind;
	pthread_t thread;
	bool running;          /* started and not yet collected */
	atomic_bool finished;
	bool cancelled;
	int64_t started_ms;
	const char *what;      /* what the spinner says when no command runs */
	/* JOB_PROBE */
	struct probe_result probe;
	/* run on the main thread when the job is collected; its action is the dispatcher's */
	struct act (*done)(struct tui *t);
	/* JOB_NAMES: names of a kind ("Namespace", "Service", "Pod") in ns */
	const char *kind_name;
	char ns[64];
	struct strlist names;
	size_t field;
	/* JOB_CALL: what runs on the worker */
	void (*run)(struct tui *t);
};

/* Every command run for a probe, for the evidence viewer (shared with the worker). */
struct cmdlog {
	pthread_mutex_t mu;
	struct strlist lines;
	char *current;         /* the command running now, for the spinner */
	int64_t current_ms;
	size_t count;
};

struct form {
	char (*val)[256];      /* one per input of the flow */
	size_t n, field;
	struct strlist names;  /* completion candidates of the focused field */
	bool names_ok;         /* names were read for it */
	size_t names_for;
	char cycle[256];       /* Tab cycles through the names starting with this */
	bool cycling;
	bool tab_pending;      /* Tab was pressed while the names were being read */
};

struct question {
	const struct mm_node *node;
	size_t sel;
	int pre;                      /* the choice a probe or a prepared answer made, or -1 */
	enum answer_by pre_by;
	bool pre_inferred;            /* the probe's answer was inferred from the causes below */
	struct strlist pre_evidence;
	size_t top;                   /* first choice shown when they do not all fit */
};

struct tui {
	struct tui_setup *s;
	const struct mm_kb *kb;
	const struct mm_flow *flow;   /* the flow picked */
	struct walk w;
	bool walking;
	bool auto_accept;             /* take every answer the cluster or a file gives */
	enum screen_id stack[8];
	int depth;
	const struct screen *const *screens; /* the dispatcher's table, for the key list */
	/* the picker */
	char filter[1024]; /* room for a pasted access log line */
	size_t pick;
	/* the screens' states */
	struct form form;
	struct question q;
	size_t path_sel;
	struct pager pager, diag;
	struct prompt prompt;
	struct job job;
	struct cmdlog log;
	char *msg;
	bool msg_err;
	char *hint;                   /* the status bar the screen drawn last asks for, or NULL */
	/* the onboarding checklist (tui/onboard.c) */
	struct onboard *ob;
	size_t ob_sel, ob_top;        /* the item selected, the first one shown */
	size_t ob_next;               /* the item being checked, or the next to check */
	bool ob_stopped;              /* Esc stopped the checks */
	size_t ob_choice;             /* the choice selected on the question screen */
	int status;                   /* the session's exit status */
	/* the terminal */
	bool color, utf8;
	int rows, cols;
	char *state_path;
};

/* ---- tui/core.c: what every screen shares ---- */

/* The screen on top of the stack. */
enum screen_id tui_top(const struct tui *t);
/* The message line; err shows it as a problem. printf-like; NULL clears it. */
void tui_msg(struct tui *t, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tui_prompt(struct tui *t, const char *label, const char *initial,
		void (*done)(struct tui *t, const char *value));
/* The keys of screen under (and of the pager over it, and those that work everywhere). New string. */
char *tui_key_list(const struct tui *t, enum screen_id under);
/* Whether ch is one of the keys that confirm (Enter) or go back (Backspace). */
bool key_is_enter(int ch);
bool key_is_backspace(int ch);
#define KEY_ESC 27
int64_t tui_now_ms(void);
/* Key actions that several screens bind. */
struct act act_quit(struct tui *t);
struct act act_new_walk(struct tui *t);
struct act act_path(struct tui *t);
/* The keys that work on every screen (Ctrl-L), for the dispatcher and the key list. */
extern const struct binding global_keys[];
/* The entry of keys that ch runs, or NULL (entries without run only document a key). */
const struct binding *binding_find(const struct binding *keys, int ch);

/* ---- tui/walking.c: the walk as the session drives it ---- */

/* Start a walk of t->flow with these inputs (preset ones first); false with a message. */
bool walk_start(struct tui *t, const struct kvlist *inputs);
/* Step back so that step i is asked again: the question screen opens on it. */
struct act walk_back_to(struct tui *t, size_t i);
/* Back one step; before the first answer, back to the inputs. */
struct act act_back(struct tui *t);
/* Save the transcript under a name the person confirms. */
struct act act_save(struct tui *t);

/* ---- tui/text.c: drawing ---- */

enum role { R_PLAIN, R_TITLE, R_SEL, R_GOOD, R_WARN, R_BAD, R_DIM, R_BOLD, R_HIT };
void text_init(bool utf8, bool color);
/* The attributes of a role. */
int text_attr(enum role r);
/* Draw s (sanitised here) at y, x in at most w columns; returns the columns used. */
int tui_put(int y, int x, int w, enum role r, const char *s);
/*
 * Draw code line s (sanitised here) at y, x in w columns from its column
 * left, unwrapped: '<' in the first column when columns are hidden to the
 * left, '>' in the last when more follow.
 */
void tui_put_code(int y, int x, int w, enum role r, const char *s, size_t left);
/* printf into tui_put. */
int tui_putf(int y, int x, int w, enum role r, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Columns s takes on the screen. */
int text_width(const char *s);
/*
 * Wrap text (sanitised here) into lines of at most width columns, each
 * paragraph keeping its leading spaces and list marker ("- ", "1. ") as the
 * indent of its continuation lines; prefix starts the first line, hang
 * spaces the others.
 */
void tui_wrap(const char *text, int width, const char *prefix, int hang, struct strlist *out);
/*
 * The escape sequence that puts text[0..len) on the terminal's clipboard
 * (OSC 52: ESC ] 52 ; c ; BASE64 BEL). New string.
 */
char *osc52_seq(const char *text, size_t len);
/*
 * A paragraph of prose with its commands (kubectl, istioctl) kept whole:
 * one that fits in width columns is held together (tui_wrap breaks before
 * it, never inside), a longer one goes on a code line of its own
 * (CODE_MARK). New string.
 */
char *text_split_commands(const char *para, int width);
/*
 * tui_wrap, with code kept whole: paragraphs that start with CODE_MARK and
 * commands too long for a line come out as lines of their own, not wrapped
 * ((*code)[i] true: to be drawn with tui_put_code); (*code) grows with out.
 */
void tui_wrap_code(const char *text, int width, const char *prefix, int hang,
		   struct strlist *out, bool **code);
/* A rule across the screen at y, with a title in it when given. */
void tui_rule(int y, const char *title);
/* Glyphs with an ASCII fallback. */
const char *glyph_mark(void);    /* the selected line */
const char *glyph_spin(int64_t ms);
const char *glyph_ellipsis(void);

/* ---- the parts of screens that others show ---- */

/* tui/steps.c: the last steps in rows y0..y1, one line each (the path pane). */
void path_pane_draw(struct tui *t, int y0, int y1, bool select);
/* Who gave an answer, in a word: you, cluster, inferred (from the causes below), file. */
const char *by_label(enum answer_by by, bool inferred);
/* tui/pager.c: the pager over a text, on its own screen or the diagnosis's */
void pager_set(struct tui *t, struct pager *p, const char *title, char *text);
void pager_free(struct pager *p);
void pager_draw(struct tui *t, struct pager *p, int y0, int y1);
/* The pager's scrolling and search keys, for a screen that shows a pager (the diagnosis). */
struct act pager_key(struct tui *t, int ch);
/*
 * tui/help.c: help (preface, may be NULL, then the pages of topics; with
 * neither, the key list) in the pager; the action opens it.
 */
struct act pager_open_help(struct tui *t, const char *preface, const struct strlist *topics);
/* '?' where a screen has no help of its own: the key list. */
struct act act_keys(struct tui *t);
/* tui/evidence.c: what the answers rest on and the commands run, in the pager. */
struct act act_evidence(struct tui *t);
/* tui/state.c: the autosave */
char *state_default_path(void);
void state_save(struct tui *t);
/* The flow of a saved session, or NULL with *err. */
const struct mm_flow *state_flow(struct tui *t, json_t *saved, char **err);
/*
 * Replay the saved path into t->w (started from t->flow, the inputs form
 * open); false with *err. t->walking says whether a walk stands.
 */
bool state_restore(struct tui *t, json_t *saved, char **err);

/* tui/job.c */
/* Start a job; done runs on the main thread when it is collected. */
void job_start(struct tui *t, enum job_kind kind, struct act (*done)(struct tui *t));
/* Collect a finished job: done's action, or K_NONE when none was collected. */
struct act job_poll(struct tui *t);
void job_cancel(struct tui *t);
/* Cancel a running job and collect it at once (its done sees it cancelled; its action is dropped). */
void job_stop(struct tui *t);
/* Wait for a running job after cancelling it (for exits), at most ms. */
void job_abandon(struct tui *t, int ms);
void cmdlog_init(struct cmdlog *l);
void cmdlog_free(struct cmdlog *l);
/* The spinner's text while a job runs (new string), or NULL. */
char *job_status(struct tui *t);

#endif
