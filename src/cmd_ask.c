/* Placeholder until line mode lands (issue 7). */
#include "cli.h"

int cmd_ask(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return usage_error("ask is not built yet");
}
