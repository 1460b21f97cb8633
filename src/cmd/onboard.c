/*
 * `onboard -n NAMESPACE [--service NAME]`: the onboarding checklist over the
 * cluster state the options name (none: every item is asked). --answer
 * ITEM=CHOICE decides items. On a terminal, without --batch, the TUI's
 * checklist screen runs it; otherwise the readiness report is printed.
 * Exit status: 0 nothing fails, 1 something to fix, 2 usage or input error.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "session/sources.h"
#include "cluster/cluster.h"
#include "onboard/onboard.h"
#include "session/session.h"
#include "cluster/live.h"
#include "tui/tui.h"

int cmd_onboard(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("onboard takes no arguments, not '%s' (use -n NAMESPACE, "
		                   "--service NAME)",
		                   argv[1]);
	if (!c->o.ns)
		return usage_error("onboard needs the namespace: -n NAMESPACE");
	struct onboard o;
	char *err = NULL;
	onboard_init(&o, c->o.ns, c->o.service);
	/* answers are checked before the cluster is read */
	if (!onboard_apply(&o, &c->o.answer, -1, &err)) {
		int rc = usage_error("--answer: %s", err);
		free(err);
		onboard_free(&o);
		return rc;
	}
	bool failed;
	struct cluster *cl = open_cluster_opt(c, &failed);
	if (failed) {
		onboard_free(&o);
		return 2;
	}
	o.source = session_source_label(c);
	int rc;
	/* scripts that ask for JSON or Markdown read the report, as demo does */
	if (!c->o.batch && c->o.format == FMT_TEXT && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO)) {
		rc = tui_onboard(c, cl, &o);
	} else {
		/* every check reads most kinds: fetch them at once rather than one by one */
		if (cl && c->o.live)
			live_prefetch(cl, live_kinds());
		for (size_t i = 0; i < o.n; i++)
			onboard_check(&o, i, cl);
		if (cluster_unreadable(cl)) {
			cluster_free(cl);
			onboard_free(&o);
			return 2;
		}
		onboard_apply(&o, &c->o.answer, -1, &err);
		onboard_report(&c->out, &o);
		rc = onboard_exit_status(&o);
	}
	cluster_free(cl);
	onboard_free(&o);
	return rc;
}
