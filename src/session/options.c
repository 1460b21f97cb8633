#include "session/options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *clean = sanitize(msg, false);
	fprintf(stderr, "meshmedic: %s\n", clean);
	free(clean);
	free(msg);
	return 2;
}
