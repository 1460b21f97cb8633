#include "base/util.h"
#include "cmd/cli.h"

int main(int argc, char **argv)
{
	mm_alloc_init();
	return cli_main(argc, argv);
}
