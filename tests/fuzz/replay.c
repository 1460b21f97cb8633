/*
 * The replay driver: feeds each file given (or each file of each directory
 * given) to the target's LLVMFuzzerTestOneInput, in a build without
 * libFuzzer, so make check keeps every seed and every input that ever
 * crashed working. Prints one TAP line per directory or file.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "targets/fuzz.h"

static int run_file(const char *path)
{
	size_t len;
	char *data = read_file(path, &len);
	if (!data)
		return 1;
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	mm_alloc_init();
	int failed = 0, n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct strlist names = {0};
		int bad = 0;
		size_t count = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) && list_dir(argv[i], &names)) {
			for (size_t k = 0; k < names.n; k++) {
				char *p = xasprintf("%s/%s", argv[i], names.v[k]);
				if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
					bad += run_file(p), count++;
				free(p);
			}
			sl_free(&names);
		} else {
			bad = run_file(argv[i]);
			count = 1;
		}
		printf("%sok %d - %s (%zu inputs)\n", bad ? "not " : "", ++n, argv[i], count);
		failed += bad;
	}
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
