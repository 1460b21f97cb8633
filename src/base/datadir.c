#include "base/datadir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

#ifndef MM_PKGDATADIR
#define MM_PKGDATADIR "/usr/local/share/meshmedic"
#endif

/* The directory of the running binary, resolved; NULL if unknown. */
static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return realpath(buf, NULL);
}

char *data_root(void)
{
	const char *env = getenv("MESHMEDIC_DATADIR");
	if (env && *env)
		return xstrdup(env);
#if defined(MM_BUILDDIR) && defined(MM_SRCDIR)
	char *exe = exe_dir(), *build = realpath(MM_BUILDDIR, NULL);
	bool in_build = exe && build && strcmp(exe, build) == 0;
	free(exe);
	free(build);
	if (in_build)
		return xstrdup(MM_SRCDIR);
#endif
	return xstrdup(MM_PKGDATADIR);
}

void demo_paths(char **incident, char **snapshot)
{
	char *root = data_root();
	*incident = xasprintf("%s/demo/incident.json", root);
	*snapshot = xasprintf("%s/demo/snapshot", root);
	free(root);
}
