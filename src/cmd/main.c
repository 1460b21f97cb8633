#include <string.h>

#include "base/util.h"
#include "cmd/cli.h"

int main(int argc, char **argv)
{
	mm_alloc_init();
	/* the shell completion scripts' hidden command (cmd/complete.c), beside the command table */
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return cli_complete(argc - 2, argv + 2);
	return cli_main(argc, argv);
}
