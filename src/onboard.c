/* Placeholder until the onboarding checklist lands (issue 7). */
#include "onboard.h"
