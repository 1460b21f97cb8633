/* Placeholder until the onboarding checklist lands (issue 7). */
#include "cli.h"

int cmd_onboard(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return usage_error("onboard is not built yet");
}
