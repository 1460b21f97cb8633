/* Placeholder until the onboarding checklist lands (issue 7): no items yet. */
#include "onboard.h"

#include <stdlib.h>
#include <string.h>

const char *ob_status_name(enum ob_status s)
{
	static const char *const names[] = {"pass", "warn", "fail", "ask"};
	return names[s];
}

void onboard_init(struct onboard *o, const char *ns, const char *service)
{
	memset(o, 0, sizeof(*o));
	o->ns = xstrdup(ns);
	o->service = service ? xstrdup(service) : NULL;
}

void onboard_free(struct onboard *o)
{
	free(o->ns);
	free(o->service);
}

void onboard_check(struct onboard *o, size_t i, struct cluster *c)
{
	(void)o, (void)i, (void)c;
}

int onboard_find(const struct onboard *o, const char *id)
{
	(void)o, (void)id;
	return -1;
}

bool onboard_answer(struct onboard *o, const char *id, const char *choice, char **err)
{
	(void)o, (void)choice;
	*err = xasprintf("no checklist item '%s'", id);
	return false;
}

int onboard_exit_status(const struct onboard *o)
{
	(void)o;
	return 0;
}

void onboard_report(const struct out *out, const struct onboard *o)
{
	(void)out, (void)o;
}
